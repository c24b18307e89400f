"""Request helpers: the request type of views that require a signed-in member and the member of an
API request (both for the type checker), and reading ids from query strings and forms."""

import re

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from community.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required`: `user` is a member, never anonymous."""

    user: User


def request_member(request: Request | HttpRequest) -> User:
    """The member making a request behind `IsAuthenticated` (an API view) or the admin's staff check,
    typed as a member. Should a view forget that check, an anonymous request is refused (401) rather
    than let through."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


_ID = re.compile(r"[0-9]+")


def parse_id(value: str | None) -> int | None:
    """`value` as an id if it is written in ASCII digits only, else None.

    Not `str.isdigit()`: it also accepts "²" or "١", which `int()` refuses.
    """
    if value is None or not _ID.fullmatch(value):
        return None
    return int(value)
