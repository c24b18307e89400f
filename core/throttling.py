"""How hard anyone may knock: API throttles (DRF) and the sign-in lock-out (django-axes).

API: every request counts against the anonymous (per client address) or the member's rate; views
that are expensive or invite abuse name a `throttle_scope` ("search", "uploads", "comments",
"votes") with a rate of its own that counts only the requests the scope is about (searches are
reads; uploads, comments and votes are writes). Rates come from `REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]`, read on every request (DRF itself copies them once at import), so a
deployment tunes them by environment and a test by `settings`. `None` means no limit. A refusal is
DRF's `Throttled`, which `core.api.exception_handler` answers with 429, `Retry-After` and
`{"message": ..., "extra": {"retry_after": seconds}}`.

Sign-in: django-axes counts failed passwords per (address, client address) pair and locks that
pair out for the cool-off (`AXES_FAILURE_LIMIT`, `AXES_COOLOFF_TIME`): a guesser is stopped,
while the member signs in from anywhere else. `SignInLockoutMiddleware` refuses a locked-out pair
before the sign-in form runs at all, so the right password during a lock-out signs nobody in and
costs no password hash; `sign_in_locked_out` is the 429 page with `Retry-After`.
"""

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, ScopedRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # DRF imports the throttle classes while it defines APIView
    from rest_framework.views import APIView

# --- API throttles ------------------------------------------------------------------------------

# Which requests of a scoped view count against its scope (any other request of the view does not).
SCOPE_METHODS: dict[str, frozenset[str]] = {
    "search": frozenset(SAFE_METHODS),
    "uploads": frozenset({"POST"}),
    "comments": frozenset({"POST"}),
    "votes": frozenset({"POST", "DELETE"}),
}


class _LiveRates:
    """Look the rate up in the current settings instead of DRF's import-time copy."""

    scope: str | None

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r} in DEFAULT_THROTTLE_RATES.")
        rate = rates[self.scope]
        return None if rate is None else str(rate)


class AnonThrottle(_LiveRates, AnonRateThrottle):
    """Anonymous callers, per client address (`client_ip`)."""


class UserThrottle(_LiveRates, UserRateThrottle):
    """Signed-in callers (session or token), per member."""


class ScopedThrottle(_LiveRates, ScopedRateThrottle):
    """The rate of the view's `throttle_scope`, per member (or client address), for the requests
    `SCOPE_METHODS` names; views without a scope are not affected."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        scope = getattr(view, self.scope_attr, None)
        if not scope or request.method not in SCOPE_METHODS.get(scope, frozenset({request.method})):
            return True
        return super().allow_request(request, view)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: `REMOTE_ADDR`, or with `REST_FRAMEWORK["NUM_PROXIES"]` trusted proxies the
    address the nearest of them saw. One definition for the throttles and the sign-in lock-out, so a
    made-up `X-Forwarded-For` moves neither. None for requests made up in code (`force_login`)."""
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    return str(ident) if ident else None


# --- Sign-in lock-out (django-axes) -------------------------------------------------------------


def sign_in_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The address a sign-in attempt is for, as axes counts it: the e-mail passed to `authenticate`
    (or the form's `login` field), trimmed and lower-cased so `ADA@example.com` counts with `ada@…`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "")
    return str(value or "").strip().lower()[:255]


def sign_in_retry_after(request: HttpRequest, username: str) -> int:
    """Seconds until the newest counted failure of this (address, client address) pair has cooled off."""
    from axes.helpers import get_client_ip_address, get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=get_client_ip_address(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    remaining = (last + cool_off - timezone.now()).total_seconds() if last else cool_off.total_seconds()
    return max(1, math.ceil(remaining))


def sign_in_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """`AXES_LOCKOUT_CALLABLE`: a page that says what happened and when to try again, 429 with `Retry-After`."""
    from django.conf import settings

    retry_after = sign_in_retry_after(request, sign_in_username(request, credentials))
    response = render(
        request,
        "account/locked_out.html",
        {"retry_after_minutes": max(1, math.ceil(retry_after / 60)), "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


class SignInLockoutMiddleware:
    """Answer a sign-in POST of a locked-out (address, client address) pair with the lock-out page
    before the form runs: no password is checked, not even the right one. (Axes itself only sees
    attempts that reach `authenticate`, which allauth's own limits may stop earlier with a form error.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from axes.handlers.proxy import AxesProxyHandler

        if request.method == "POST" and request.path_info == reverse("account_login"):
            credentials = {"email": sign_in_username(request, None)}
            if credentials["email"] and not AxesProxyHandler.is_allowed(request, credentials):
                return sign_in_locked_out(request, None, credentials)
        return self.get_response(request)
