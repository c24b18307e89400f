"""How the API knows who is calling: a personal token (programs) or the session (browsers, with CSRF).

Both refuse accounts that may not sign in (inactive, or no confirmed primary address) with a 401
that says so, instead of quietly treating the caller as anonymous.
"""

import hmac
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from community import selectors
from community.models import ApiToken, ApiTokenScope
from community.services.api_tokens import (
    api_token_failure_record,
    api_token_hash,
    api_token_lockout_seconds,
    api_token_mark_used,
    api_token_split,
)

# Compared against when no row matches, so unknown and known prefixes cost the same work.
_NO_HASH = "0" * 64


def client_ip(request: Request) -> str:
    """The caller's address as DRF's throttles see it (honours REST_FRAMEWORK["NUM_PROXIES"])."""
    return BaseThrottle().get_ident(request)


def _unconfirmed() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(
        _("This account cannot use the API: confirm its e-mail address first (or it has been deactivated).")
    )


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer cw_…`: a member's personal token, checked in constant time."""

    keyword = "Bearer"

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        ip = client_ip(request)
        wait = api_token_lockout_seconds(ip=ip)
        if wait:
            raise exceptions.Throttled(wait=wait, detail=_("Too many failed token attempts from your address."))
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send exactly one token: `Authorization: Bearer <token>`."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = self._lookup(raw)
        if token is None:
            api_token_failure_record(ip=ip)
            raise exceptions.AuthenticationFailed(_("Unknown, expired or revoked API token."))
        if not selectors.may_authenticate(token.user):
            raise _unconfirmed()
        if token.scope == ApiTokenScope.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(_("This token is read-only; create a read-write token to make changes."))
        api_token_mark_used(token=token)
        return token.user, token

    @staticmethod
    def _lookup(raw: str) -> ApiToken | None:
        prefix = api_token_split(raw) if raw else None
        token = selectors.api_token_by_prefix(prefix=prefix) if prefix else None
        matches = hmac.compare_digest(api_token_hash(raw), token.secret_hash if token else _NO_HASH)
        if token is None or not matches or not token.is_active:
            return None
        return token


class ConfirmedSessionAuthentication(SessionAuthentication):
    """The browser's session, with CSRF on unsafe methods; only for accounts that may sign in."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not selectors.may_authenticate(user):
            raise _unconfirmed()
        self.enforce_csrf(request)
        return user, None
