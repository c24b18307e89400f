"""The shared cache of anonymous responses, invalidated by versioned keys (README, "Caching").

Topics: a topic names a part of the data ("challenges", "comments", ...). Each has a version counter in
Redis; an entry's key holds the versions of every topic its page depends on, so bumping a topic makes
every entry that depends on it unreachable at once (the old entries expire by their TTL).

The rule between writers and readers (why no reader ever keeps old data under a current version):
- a reader reads the versions *before* its view runs and stores the response under exactly those;
- a writer bumps *after its transaction commits* (`transaction.on_commit`; immediately outside one).
So whatever a reader saw before the commit is stored under versions the bump then retires, and a
rolled-back write bumps nothing. Writes through the ORM bump by signal (`connect_signals`, from the
topic table of `settings.PUBLIC_CACHE_TABLE`); writes that bypass signals (`QuerySet.update`,
`bulk_create`, raw SQL) call `bump()` themselves.

The middleware (`PublicCacheMiddleware`) serves anonymous GET/HEAD requests for the routes of the table:
no session cookie, no messages cookie, no Authorization header. Signed-in requests never read or write
the shared entries. Per-visitor parts of a stored page are cut out and filled in again per request: the
CSRF token (every page carries one in the language switch) and the CSP nonce.

This module knows no app: the routes and the topics of models come from `config.caching`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, signals
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CsrfViewMiddleware, get_token
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers, set_response_etag
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
VERSION_KEY = "pc:v:"
ENTRY_KEY = "pc:e:"
# Larger responses are served fresh every time (a cached entry is read whole from Redis).
MAX_ENTRY_BYTES = 2 * 1024 * 1024
# What stands in a stored body for the parts that differ per visitor (NUL never occurs in a page: the
# platform refuses it in every input, and templates and JSON escape it).
CSRF_PLACEHOLDER = b"\x00pc-csrf\x00"
NONCE_PLACEHOLDER = b"\x00pc-nonce\x00"
# A masked CSRF token as Django writes it (32 characters of mask, 32 of cipher).
_MASKED_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
# Headers a replay must not carry over: the outer middleware (security, CSP) writes them again.
_NOT_STORED = {"content-security-policy", "content-security-policy-report-only", "set-cookie", "etag"}
# Request headers an entry may vary on, because the key holds them (Cookie: only cookie-less requests come here).
_KEYED_VARY = {"accept-language", "cookie", "accept", "authorization", "hx-request"}
_BYPASS_COOKIES = ("messages",)


@functools.cache
def _client(location: str) -> redis.Redis:
    # One client per process, kept: Django's cache builds a client object per call, which costs more
    # than the round trip on a hit. Keys are the cache's own (`make_key`: prefix and version).
    return redis.Redis.from_url(location)


def redis_client() -> tuple[redis.Redis, str]:
    """The Redis client and the key prefix of the cache alias `PUBLIC_CACHE_ALIAS` (default "default")."""
    alias = getattr(settings, "PUBLIC_CACHE_ALIAS", "default")
    location = settings.CACHES[alias]["LOCATION"]
    return _client(location if isinstance(location, str) else location[0]), caches[alias].make_key("")


# A hit in one round trip: the topics' versions, and the entry stored under them (the key is the SHA-1
# of the request's description and the versions, computed alike here and in `_entry_key`).
_LOOKUP = """
local versions = redis.call('MGET', unpack(KEYS))
local parts = {ARGV[1]}
for i, version in ipairs(versions) do
    if not version then return {versions, false} end
    parts[#parts + 1] = version
end
return {versions, redis.call('GET', ARGV[2] .. redis.sha1hex(table.concat(parts, '\\n')))}
"""
# A bump: a counter that is missing starts above any value it can have had (`_initial_version`).
_BUMP = """
for i, key in ipairs(KEYS) do
    redis.call('SET', key, ARGV[1], 'NX')
    redis.call('INCR', key)
end
"""


@functools.cache
def redis_script(client: redis.Redis, source: str) -> Any:
    return client.register_script(source)


def _initial_version() -> int:
    # A counter lost from Redis (evicted, flushed) starts again above any value it can have had, so no
    # entry stored under an old value becomes reachable again: microseconds outgrow any bump rate.
    return time.time_ns() // 1000


def versions(topics: Iterable[str]) -> dict[str, int]:
    """The current version of each topic (one round trip; a missing counter is created)."""
    ordered = sorted(set(topics))
    client, prefix = redis_client()
    keys = [prefix + VERSION_KEY + topic for topic in ordered]
    found = client.mget(keys)
    result = {}
    for topic, key, value in zip(ordered, keys, found, strict=True):
        if value is None:
            client.set(key, _initial_version(), nx=True)
            value = client.get(key)
        result[topic] = int(value)  # type: ignore[arg-type]
    return result


def bump_now(*topics: str) -> None:
    """Retire every entry that depends on one of `topics`, now (use `bump` inside transactions)."""
    if not topics:
        return
    client, prefix = redis_client()
    keys = [prefix + VERSION_KEY + topic for topic in sorted(set(topics))]
    redis_script(client, _BUMP)(keys=keys, args=[_initial_version()])


@dataclass(frozen=True)
class _Bump:
    topics: frozenset[str]

    def __call__(self) -> None:
        try:
            bump_now(*self.topics)
        except Exception:  # a write must not fail because Redis did; entries still expire by their TTL
            logger.exception("public cache: bumping %s failed", sorted(self.topics))


def bump(*topics: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Retire every entry that depends on one of `topics` once the current transaction commits.

    One bump per topic and transaction: a callback already queued at this savepoint level or an outer
    one (so it survives whenever this one would) covers the new one.
    """
    if not topics or settings.PUBLIC_CACHE_SECONDS <= 0:  # the cache is off: nothing to retire
        return
    wanted = frozenset(topics)
    connection = connections[using]
    if connection.in_atomic_block:
        current = set(connection.savepoint_ids)
        # Django 5.2 queues (savepoint ids, callback, robust) in `run_on_commit`.
        for queued in connection.run_on_commit:
            sids, func = queued[0], queued[1]
            if isinstance(func, _Bump) and wanted <= func.topics and set(sids) <= current:
                return
    transaction.on_commit(_Bump(wanted), using=using)


# --- Which routes, which topics ---------------------------------------------------------------------


@functools.cache
def _table() -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, tuple[str, ...]]]:
    """(route name -> topics, "app_label" or "app_label.model" -> topics) from settings.PUBLIC_CACHE_TABLE."""
    module = settings.PUBLIC_CACHE_TABLE
    return import_string(module + ".ROUTES"), import_string(module + ".MODELS")


@functools.lru_cache(maxsize=8192)
def topics_for_path(path: str) -> tuple[str, ...] | None:
    """The topics of the route `path` resolves to, or None if that route is not cached."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return _table()[0].get(match.view_name)


@functools.cache
def member_topics_table() -> Mapping[str, tuple[str, str]]:
    """ "app_label.model" -> (topic, member id column) of the tables whose rows belong to one member."""
    try:
        return import_string(settings.PUBLIC_CACHE_TABLE + ".MEMBER_TOPICS")
    except ImportError:
        return {}


def member_topic(topic: str, member_id: object) -> str:
    """The topic of one member's rows of a member-scoped table ("notifications:42")."""
    return f"{topic}:{member_id}"


def bump_members(label: str, member_ids: Iterable[object], using: str = DEFAULT_DB_ALIAS) -> None:
    """Retire the entries of these members that depend on their rows of the member-scoped table `label`
    ("app_label.model"), after commit: for writes that bypass signals (bulk inserts, `update`)."""
    topic, _column = member_topics_table()[label]
    bump(*{member_topic(topic, pk) for pk in member_ids}, using=using)


@functools.lru_cache(maxsize=8192)
def is_personal_route(path: str) -> bool:
    """True if the personal cache (`core.personal_cache`) may serve `path`: a route of ROUTES or PERSONAL_ROUTES."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    try:
        personal = import_string(settings.PUBLIC_CACHE_TABLE + ".PERSONAL_ROUTES")
    except ImportError:
        personal = ()
    return match.view_name in _table()[0] or match.view_name in personal


def topics_for_model(model: type[Model]) -> tuple[str, ...]:
    models = _table()[1]
    meta = model._meta
    found = models.get(f"{meta.app_label}.{meta.model_name}")
    if found is None:
        found = models.get(meta.app_label, ())
    return found


def _on_save(sender: type[Model], update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
    # Signing in stores `last_login`, which no page shows: not a reason to retire the member pages.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    bump(*topics_for_model(sender), using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _on_delete(sender: type[Model], **kwargs: Any) -> None:
    bump(*topics_for_model(sender), using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _on_member_row(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    topic, column = member_topics_table()[sender._meta.label_lower]
    bump(member_topic(topic, getattr(instance, column)), using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _on_m2m(sender: type[Model], instance: Model, action: str, model: type[Model], **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        topics = {*topics_for_model(sender), *topics_for_model(type(instance)), *topics_for_model(model)}
        bump(*topics, using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def connect_signals() -> None:
    """Bump the topics of a model on every save and delete of its rows (models without topics: nothing,
    which keeps Django's fast deletes for them)."""
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        if topics_for_model(model):
            uid = f"public-cache:{model._meta.label_lower}"
            signals.post_save.connect(_on_save, sender=model, weak=False, dispatch_uid=uid)
            signals.post_delete.connect(_on_delete, sender=model, weak=False, dispatch_uid=uid)
    for label in member_topics_table():
        model = apps.get_model(label)
        uid = f"personal-cache:{label}"
        signals.post_save.connect(_on_member_row, sender=model, weak=False, dispatch_uid=uid)
        signals.post_delete.connect(_on_member_row, sender=model, weak=False, dispatch_uid=uid)
    signals.m2m_changed.connect(_on_m2m, weak=False, dispatch_uid="public-cache:m2m")


def all_topics() -> set[str]:
    """Every topic the table names (`bump_now(*all_topics())` retires every entry, e.g. after bulk loads)."""
    routes, models = _table()
    return {topic for table in (routes, models) for topics in table.values() for topic in topics}


# --- The middleware ------------------------------------------------------------------------------


def is_anonymous(request: HttpRequest) -> bool:
    """Cheap and conservative: no session cookie (signing in always sets one), no messages waiting, no
    credentials. An anonymous visitor with a session (after a failed sign-in, say) is simply not cached."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and not any(name in cookies for name in _BYPASS_COOKIES)
        and "HTTP_AUTHORIZATION" not in request.META
    )


def request_description(request: HttpRequest, host: str, language: str) -> str:
    """What an entry's key holds besides the versions."""
    is_api = request.path_info.startswith(API_PREFIX)
    parts = [
        request.scheme,
        host,
        request.path,
        request.META.get("QUERY_STRING", ""),
        language,
        request.headers.get("HX-Request", ""),
        request.headers.get("Accept", "") if is_api else "",
    ]
    return "\n".join(parts).replace("\x00", "")


def _entry_key(prefix: str, description: str, found: list[bytes]) -> str:
    joined = b"\n".join([description.encode("utf-8", "surrogateescape"), *found])
    return prefix + ENTRY_KEY + hashlib.sha1(joined, usedforsecurity=False).hexdigest()


def _lookup(topics: tuple[str, ...], description: str) -> tuple[str, Entry | None]:
    """The key an entry for this request has under the current versions, and the entry if stored."""
    client, prefix = redis_client()
    keys = [prefix + VERSION_KEY + topic for topic in sorted(set(topics))]
    found, raw = redis_script(client, _LOOKUP)(keys=keys, args=[description, prefix + ENTRY_KEY])
    if any(value is None for value in found):  # a counter is missing: create it, nothing is stored yet
        current = versions(topics)
        found = [str(current[topic]).encode() for topic in sorted(set(topics))]
        raw = None
    key = _entry_key(prefix, description, found)
    return key, (pickle.loads(raw) if raw is not None else None)  # noqa: S301 - our own Redis, as Django's cache


def _unmask(token: bytes) -> str:
    """The secret of a masked CSRF token (Django's `_unmask_cipher_token`)."""
    text = token.decode("ascii")
    mask, cipher = text[:32], text[32:]
    chars = CSRF_ALLOWED_CHARS
    return "".join(chars[chars.index(c) - chars.index(m)] for c, m in zip(cipher, mask, strict=True))


@dataclass
class Entry:
    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    csrf: bool
    nonce: bool


def storable(request: HttpRequest, response: HttpResponseBase, language: str, is_api: bool) -> Entry | None:
    """The response as an entry to store (the visitor's CSRF tokens and CSP nonce cut out), or None when it
    must not be stored: not a plain 200, private, varying on what the key lacks, or carrying other cookies."""
    if response.status_code != 200 or response.streaming or not isinstance(response, HttpResponse):
        return None
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return None
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    if not vary <= (_KEYED_VARY if is_api else _KEYED_VARY - {"accept"}):
        return None
    if response.get("Content-Language", language) != language:
        return None
    if is_api and not response.get("Content-Type", "").startswith("application/json"):
        return None
    body = response.content
    if len(body) > MAX_ENTRY_BYTES or CSRF_PLACEHOLDER in body or NONCE_PLACEHOLDER in body:
        return None

    csrf = False
    cookies = set(response.cookies)
    if cookies - {settings.CSRF_COOKIE_NAME}:
        return None
    secret = request.META.get("CSRF_COOKIE")
    if cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        # The page carries this visitor's CSRF token(s): cut every one out (a token is the secret,
        # masked; anyone can unmask it). Any other cookie makes the page the visitor's own.
        if not secret:
            return None

        def cut(match: re.Match[bytes]) -> bytes:
            return CSRF_PLACEHOLDER if _unmask(match.group()) == secret else match.group()

        body = _MASKED_TOKEN.sub(cut, body)
        csrf = CSRF_PLACEHOLDER in body
    if secret and secret.encode() in body:
        return None

    nonce_value = getattr(request, "_csp_nonce", None)
    nonce = isinstance(nonce_value, str)
    if nonce:
        body = body.replace(nonce_value.encode(), NONCE_PLACEHOLDER)  # type: ignore[union-attr]

    headers = [(name, value) for name, value in response.items() if name.lower() not in _NOT_STORED]
    etag = response.get("ETag") or ""
    return Entry(body=body, headers=headers, etag=etag, csrf=csrf, nonce=nonce)


def filled_body(request: HttpRequest, entry: Entry) -> bytes:
    """A stored body with this visitor's parts filled in: their CSP nonce and CSRF token (one token for the
    whole response, as one rendering uses)."""
    body = entry.body
    if entry.nonce:
        body = body.replace(NONCE_PLACEHOLDER, str(request.csp_nonce).encode())  # type: ignore[attr-defined]
    if entry.csrf:
        first, *rest = body.split(CSRF_PLACEHOLDER)
        token = get_token(request).encode()
        body = first + b"".join(token + part for part in rest)
    return body


def replayed_response(request: HttpRequest, entry: Entry, body: bytes, *, etag: bool) -> HttpResponseBase:
    """The response of a stored entry with `body`; a 304 when `etag` and the client's copy is current."""
    response = HttpResponse(body)
    for name, value in entry.headers:
        response[name] = value
    response["Content-Length"] = str(len(body))
    if etag and entry.etag:
        response["ETag"] = entry.etag
        conditional = get_conditional_response(request, etag=entry.etag, response=response)
        if conditional is not None:
            return conditional
    return response


class PublicCacheMiddleware:
    """Serves anonymous GET/HEAD requests of the cached routes from Redis (see the module's docstring),
    and gives API responses validators: an ETag (304 on a matching If-None-Match) and Cache-Control."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        is_api = request.path_info.startswith(API_PREFIX)
        anonymous = is_anonymous(request)
        seconds = settings.PUBLIC_CACHE_SECONDS
        topics = topics_for_path(request.path_info) if anonymous and seconds > 0 else None
        if topics is None:
            response = self.get_response(request)
            return self.validate(request, response, public=False) if is_api else response

        language = translation.get_language_from_request(request)
        host = request.get_host()  # DisallowedHost: Django's 400, as without the cache
        try:
            key, entry = _lookup(topics, request_description(request, host, language))
        except Exception:  # Redis away: serve without the cache
            logger.warning("public cache: Redis unavailable", exc_info=True)
            response = self.get_response(request)
            return self.validate(request, response, public=True) if is_api else response
        if entry is not None:
            return self.replay(request, entry)

        response = self.get_response(request)
        if is_api:
            response = self.validate(request, response, public=True)
        stored = storable(request, response, language, is_api)
        if stored is not None:
            try:
                client, _prefix = redis_client()
                client.set(key, pickle.dumps(stored, pickle.HIGHEST_PROTOCOL), ex=seconds)
            except Exception:
                logger.warning("public cache: storing failed", exc_info=True)
        return response

    def validate(self, request: HttpRequest, response: HttpResponseBase, *, public: bool) -> HttpResponseBase:
        """ETag and Cache-Control for an API response; 304 when the client's copy is current."""
        if response.status_code != 200 or not isinstance(response, HttpResponse):
            return response
        if not response.has_header("Cache-Control"):
            if public:
                patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
                patch_vary_headers(response, ["Authorization"])
            else:
                patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        if not response.has_header("ETag"):
            set_response_etag(response)
        return get_conditional_response(request, etag=response.get("ETag"), response=response) or response

    def replay(self, request: HttpRequest, entry: Entry) -> HttpResponseBase:
        if entry.csrf:
            self.csrf.process_request(request)  # this middleware runs before Django's CSRF middleware
        response = replayed_response(request, entry, filled_body(request, entry), etag=True)
        if entry.csrf and response.status_code == 200:
            self.csrf.process_response(request, response)
        return response
