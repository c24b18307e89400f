"""The admin's door: staff reach `/admin/` only with two-factor sign-in.

A staff member without an activated authenticator app is sent to activate one; a staff member whose
session was signed in without the second step (a password-only sign-in from before activation, a
session made some other way) is signed out and sent to sign in again, password and code. Members who
are not staff are not affected; anonymous visitors meet the admin's own sign-in redirect.
"""

from collections.abc import Callable
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _


def signed_in_with_two_factors(request: HttpRequest, user: Any) -> bool:
    """Whether this session's sign-in included an authenticator code or a recovery code (allauth
    records every step of a sign-in in the session, for the user it signed in)."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return self.get_response(request)
        if not request.path_info.startswith(reverse("admin:index")):
            return self.get_response(request)
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            messages.warning(
                request,
                _(
                    "Staff pages need two-factor sign-in. Activate an authenticator app here, "
                    "then sign in again with your password and a code from the app."
                ),
            )
            return redirect("mfa_activate_totp")
        if not signed_in_with_two_factors(request, user):
            logout(request)
            messages.info(
                request,
                _("Staff pages need two-factor sign-in: sign in again with your password and a code from your app."),
            )
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        return self.get_response(request)
