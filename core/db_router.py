"""Read replicas: which reads may go to the `replica` database alias (README "Configuration", docs/architecture.md).

Writes, migrations, transactions, workers, commands and the admin use the primary (`default`). A read goes to
the replica only when everything below holds, so a page never mixes a write with an older view of the data:

- the request marked it allowed (`ReplicaRoutingMiddleware`): a GET or HEAD of a public page or public API
  route (the routes of the shared-cache table, `config.caching.ROUTES`), whose response will not be stored in
  the shared or the personal cache (their versions are bumped when the primary commits, so an entry rendered
  from a lagging replica would keep old data under a new version: cache fills read the primary; with the
  caches on, the replica serves the API calls made with credentials, which no cache stores);
- the same client did not write within the last REPLICA_STICKY_SECONDS (a signed cookie for browsers, a mark
  in the cache for API tokens): a member sees their own writes at once (the bounded-staleness rule);
- nothing was written in this request so far, and no transaction is open on the primary;
- the model is not one whose reads must be current (`PRIMARY_ONLY`): money, sessions, API tokens, sign-in
  protection, the beat schedule.

Everything else reads the primary. The state lives in a context variable, one per request (threads and
asyncio tasks each see their own); code outside a request (Celery, commands, tests) sees none: primary.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signing import BadSignature
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest
from django.http.response import HttpResponseBase

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
# Reads that must see the latest commit whatever the page: balances and payouts, who is signed in, API tokens
# (a revoked one stops at once), lock-outs and second factors, the beat schedule. App labels or "app.model".
PRIMARY_ONLY = frozenset({"payments", "sessions", "community.apitoken", "axes", "mfa", "django_celery_beat"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
STICKY_COOKIE = "cw_primary"
_STICKY_SALT = "core.db_router.sticky"
_STICKY_CACHE_PREFIX = "replica:wrote:"


@dataclass
class RequestRouting:
    """What one request allows: `replica_allowed` is decided before the view runs; `wrote` turns true at the
    first write routed in the request and stays true."""

    replica_allowed: bool
    wrote: bool = False


_routing: ContextVar[RequestRouting | None] = ContextVar("coachworks_db_routing", default=None)


@contextmanager
def request_routing(*, replica_allowed: bool) -> Iterator[RequestRouting]:
    """The routing state of the code run inside (one request)."""
    state = RequestRouting(replica_allowed=replica_allowed)
    token = _routing.set(state)
    try:
        yield state
    finally:
        _routing.reset(token)


def read_alias() -> str:
    """The alias a read made now goes to, by the rules of the module's docstring (models aside)."""
    state = _routing.get()
    if state is None or not state.replica_allowed or state.wrote:
        return PRIMARY
    if REPLICA not in connections.settings or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return REPLICA


class ReplicaRouter:
    """`DATABASE_ROUTERS` when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY or meta.label_lower in PRIMARY_ONLY:
            return PRIMARY
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # Django asks this for every write and for reads that lock (`select_for_update`, `get_or_create`):
        # from here on the request reads what it wrote.
        state = _routing.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may point at one from the other.
        aliases = {PRIMARY, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # The replica follows the primary's schema by replication; `migrate --database=replica` does nothing.
        return db == PRIMARY


# --- The request side: which requests may read the replica, and the sticky window after a write ---------------


def _public_route(path: str) -> bool:
    from core.caching import topics_for_path

    return topics_for_path(path) is not None


def _fills_shared_cache(request: HttpRequest) -> bool:
    """May the response be stored by a cache (anonymous: `core.caching`; a signed-in browser session:
    `core.personal_cache`)? Both key their entries by versions bumped when the primary commits, so what
    they store must be read from the primary. Only API calls with credentials are never stored."""
    return settings.PUBLIC_CACHE_SECONDS > 0 and "HTTP_AUTHORIZATION" not in request.META


def _token_mark(request: HttpRequest) -> str | None:
    """The cache key of an API caller's sticky mark (a hash of its credentials), or None without any."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if not authorization:
        return None
    return _STICKY_CACHE_PREFIX + hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()


def wrote_recently(request: HttpRequest) -> bool:
    """True if this browser or API token made a request that wrote within REPLICA_STICKY_SECONDS."""
    seconds = settings.REPLICA_STICKY_SECONDS
    if STICKY_COOKIE in request.COOKIES:
        try:
            request.get_signed_cookie(STICKY_COOKIE, salt=_STICKY_SALT, max_age=seconds)
        except (BadSignature, ValueError):
            pass  # forged or older than the window (expired signatures are BadSignature too)
        else:
            return True
    mark = _token_mark(request)
    if mark is None:
        return False
    try:
        return cache.get(mark) is not None
    except Exception:  # Redis away: the primary is always right
        logger.warning("replica routing: the sticky mark could not be read", exc_info=True)
        return True


def replica_allowed(request: HttpRequest) -> bool:
    """May the reads of this request go to the replica (the request side of the module's rules)?"""
    return (
        request.method in SAFE_METHODS
        and _public_route(request.path_info)
        and not _fills_shared_cache(request)
        and not wrote_recently(request)
    )


def remember_write(request: HttpRequest, response: HttpResponseBase) -> None:
    """After a request that wrote (or might have: any unsafe method), its client reads the primary for
    REPLICA_STICKY_SECONDS."""
    seconds = settings.REPLICA_STICKY_SECONDS
    if seconds <= 0:
        return
    response.set_signed_cookie(
        STICKY_COOKIE,
        "1",
        salt=_STICKY_SALT,
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    mark = _token_mark(request)
    if mark is not None:
        try:
            cache.set(mark, 1, timeout=seconds)
        except Exception:
            logger.warning("replica routing: the sticky mark could not be stored", exc_info=True)
