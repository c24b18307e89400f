"""Helpers every service of the app shares: locks, actors and validation."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Challenge, Phase
from challenges.selectors import challenge_roles
from community.models import User
from core.exceptions import ApplicationError, NotAllowed


def lock_challenge(pk: int) -> Challenge:
    """The challenge row, locked until the transaction ends.

    Lock order everywhere: the challenge first, then its phases (by position). The time-driven
    path locks only a phase, and never waits for anything while holding it.
    """
    return Challenge.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)


def lock_phase(pk: int) -> Phase:
    return Phase.objects.select_for_update(of=("self",)).get(pk=pk)


def actor_roles(*, by: User | None, task: str, challenge: Challenge) -> set[Role]:
    """The roles a move is made in: another app's task acts as SYSTEM (a member it acts for, such
    as the staff member who recorded a payment, is only recorded); otherwise the member's relation
    to the challenge."""
    if task:
        return {Role.SYSTEM}
    if by is None:
        raise ValueError("A move is made by a member (`by`) or by a named task (`task`).")
    return challenge_roles(user=by, challenge=challenge)


def require_editor(*, by: User, challenge: Challenge) -> None:
    if not challenge_roles(user=by, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise NotAllowed(_("Only the owner of the challenge or staff may change it."))


def validate(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Model validation as a domain error with field messages."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        first = next(iter(fields.values()))[0]
        raise ApplicationError(first, fields) from error
