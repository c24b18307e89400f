from functools import cached_property
from typing import Any

from django.http import HttpRequest

from community.selectors import notification_unread_count


class UnreadCount:
    """Counted on first use only (pages that do not show it cost nothing), then cached on the request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def value(self) -> int:  # a BoundedCount: shows "99+" beyond 99
        cached = getattr(self.request, "_unread_notifications", None)
        if cached is None:
            user = getattr(self.request, "user", None)
            cached = notification_unread_count(user=user) if user is not None and user.is_authenticated else 0
            self.request._unread_notifications = cached  # type: ignore[attr-defined]
        return cached

    def __str__(self) -> str:
        return str(self.value)


def community(request: HttpRequest) -> dict[str, Any]:
    """`unread_notifications.value`: the signed-in member's unread notifications, one query per page."""
    return {"unread_notifications": UnreadCount(request)}
