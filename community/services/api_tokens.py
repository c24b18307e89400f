"""Personal API tokens: created and revoked by their member, shown once, stored as a SHA-256 hash.

A token reads `cw_<prefix>_<secret>`. The prefix (10 hex characters) is not secret: it finds the row
and names the token in lists. The whole token carries 256 random bits, so one SHA-256 round is
enough to store it (no password hash needed: there is nothing to guess from a dictionary).
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import ApiToken, ApiTokenScope, User
from core.exceptions import ApplicationError, NotAllowed

TOKEN_PREFIX = "cw_"  # noqa: S105  (a marker that names our tokens, not a secret)
EXPIRY_DAYS_MIN = 1
EXPIRY_DAYS_MAX = 365
EXPIRY_DAYS_DEFAULT = 90
# A member with more live tokens than this has lost track of them; refuse rather than pile up rows.
ACTIVE_TOKENS_MAX = 50
# `last_used_at` is written at most once per this interval, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_split(raw: str) -> str | None:
    """The lookup prefix of a presented token, or None when it is not shaped like one of ours."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    prefix, sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(prefix) != 10 or not secret:
        return None
    return prefix


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scope: str = ApiTokenScope.READ,
    expires_in_days: int = EXPIRY_DAYS_DEFAULT,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, which is never retrievable again."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, so you recognise it later.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if scope not in ApiTokenScope.values:
        errors["scope"] = [_("Choose “read” or “read-write”.")]
    if (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not (EXPIRY_DAYS_MIN <= expires_in_days <= EXPIRY_DAYS_MAX)
    ):
        errors["expires_in_days"] = [
            _("A token expires after %(min)d to %(max)d days.") % {"min": EXPIRY_DAYS_MIN, "max": EXPIRY_DAYS_MAX}
        ]
    if errors:
        raise ApplicationError(_("The token was not created."), extra={"fields": errors})
    User.objects.select_for_update().filter(pk=user.pk).first()  # one creation at a time per member
    now = timezone.now()
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).count()
    if live >= ACTIVE_TOKENS_MAX:
        raise ApplicationError(
            _("You have %(count)d active tokens; revoke some before creating another.") % {"count": live}
        )
    prefix = secrets.token_hex(5)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=api_token_hash(raw),
        scope=scope,
        expires_at=now + timedelta(days=expires_in_days),
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner, or staff (a leaked token reported to them); revoking twice keeps
    the first time."""
    if token.user_id != user.pk and not user.is_staff:
        raise NotAllowed(_("You can only revoke your own tokens."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_mark_used(*, token: ApiToken) -> None:
    """Record that the token was used now, writing at most once per `LAST_USED_RESOLUTION`."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


# --- Failed attempts per client address -------------------------------------------------------


def _failure_window() -> tuple[str, int]:
    window = max(1, settings.API_TOKEN_FAILURE_WINDOW_SECONDS)
    now = int(timezone.now().timestamp())
    return str(now // window), window - now % window


def api_token_failure_record(*, ip: str) -> int:
    """Count one failed token attempt from `ip` in the current window; returns the count so far."""
    bucket, remaining = _failure_window()
    key = f"api-token-failures:{ip}:{bucket}"
    cache.add(key, 0, timeout=remaining + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=remaining + 1)
        return 1


def api_token_lockout_seconds(*, ip: str) -> int:
    """Seconds until `ip` may present a token again; 0 while it is under the failure limit."""
    bucket, remaining = _failure_window()
    failures = cache.get(f"api-token-failures:{ip}:{bucket}", 0)
    return remaining if failures >= settings.API_TOKEN_FAILURE_LIMIT else 0
