"""What every app's admin shares: read-only records that staff change only through actions and
forms that call the services."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError


class ReadOnlyMixin:
    """Staff read here; they change things through actions and forms that call the services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = False


def run_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: QuerySet[Any],
    action: Callable[[Any], object],
) -> None:
    """Apply `action` (a service call) to each object, telling staff what worked and what was
    refused and why: one refusal does not stop the others."""
    done = 0
    for obj in objects:
        try:
            action(obj)
        except ApplicationError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, _("%(count)d done.") % {"count": done}, messages.SUCCESS)
