"""Request types for views that require a signed-in member (for the type checker)."""

from django.http import HttpRequest

from community.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required`: `user` is a member, never anonymous."""

    user: User
