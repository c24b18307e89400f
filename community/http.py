"""Request helpers: the request type of views that require a signed-in member (for the type
checker), and reading ids from query strings and forms."""

import re

from django.http import HttpRequest

from community.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required`: `user` is a member, never anonymous."""

    user: User


_ID = re.compile(r"[0-9]+")


def parse_id(value: str | None) -> int | None:
    """`value` as an id if it is written in ASCII digits only, else None.

    Not `str.isdigit()`: it also accepts "²" or "١", which `int()` refuses.
    """
    if value is None or not _ID.fullmatch(value):
        return None
    return int(value)
