"""Checks every write of the blueprints app shares."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from blueprints.models import Blueprint, Revision
from core.exceptions import Conflict


def require_member(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("Sign in to do this."))


def require_owner(blueprint: Blueprint, user: Any) -> None:
    require_member(user)
    if blueprint.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner of this blueprint can do this."))


def require_staff(user: Any) -> None:
    require_member(user)
    if not user.is_staff:
        raise PermissionDenied(_("Only staff can do this."))


def require_draft(revision: Revision) -> None:
    if revision.is_published:
        raise Conflict(
            _("Revision %(number)s is published and cannot change; make a new revision instead.")
            % {"number": revision.number}
        )
