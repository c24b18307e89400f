"""Signed-in pages and API lists cached per member, retired by what they actually read (README, "Caching").

A signed-in response differs per member (their name, their buttons, what they may see), so it is never
shared: each entry belongs to one member and one session, and its key holds their id, a digest of their
user row and of their session, the language, the time zone and the request. What retires it is learnt
while it is made: every SQL query the view runs is seen (`connection.execute_wrapper`), the tables it
reads are mapped to their models' topics (`config.caching`, the table of the shared cache), and the entry
is stored with the versions those topics had *before* the view ran. A later request is served from the
entry only while every one of those versions is unchanged (one round trip to Redis). A response that
read a table without topics (payments, notifications, tokens, anything unknown, or SQL this module
cannot read) is not stored at all: it is rendered every time, as before.

Parts of a page that change more often than the page itself are left out of the entry and rendered per
request: `{% personal_part "template.html" %}` (core.templatetags.personal) renders its template
normally, but while an entry is being recorded it writes a placeholder that a replay fills in. The
unread-notifications badge in the menu is one: a notification for a member retires none of their pages.

Not stored either: requests whose session holds messages or that asked `Cache-Control: no-cache` (a hard
reload renders afresh and stores the result), responses that changed the session or set cookies, and
everything `core.caching.storable` refuses. The entry lives `PUBLIC_CACHE_SECONDS` at most.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core import caching

logger = logging.getLogger(__name__)

PERSONAL_KEY = "pc:p:"
PART_OPEN = b"\x00pc-part:"
PART_CLOSE = b"\x00"
_PART = re.compile(rb"\x00pc-part:([A-Za-z0-9_./-]+)\x00")
# Tables no page's content depends on, or that never change while the platform runs.
STATIC_TABLES = frozenset({"django_content_type", "django_site", "django_migrations"})
# A table named after FROM or JOIN (quoted or not), not a function call such as `FROM unnest(...)`.
_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+(?:ONLY\s+)?("?)([A-Za-z_][A-Za-z0-9_$]*)\1(?![A-Za-z0-9_$])(?!\s*\()', re.I)
# Anything that could change data or read outside plain tables makes the response unstorable.
_NOT_A_READ = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE|COPY|CALL|DO|LOCK|NOTIFY|LISTEN)\b|\bFOR\s+UPDATE\b", re.I)

# One round trip: the entry's topics and the versions it was stored under, the current versions, the entry.
_LOOKUP = """
local topics = redis.call('HGET', KEYS[1], 't')
if not topics then return false end
local keys = {}
for topic in string.gmatch(topics, '[^,]+') do keys[#keys + 1] = ARGV[1] .. topic end
local current = {}
if #keys > 0 then current = redis.call('MGET', unpack(keys)) end
for i, value in ipairs(current) do if not value then current[i] = '' end end
return {redis.call('HGET', KEYS[1], 'v'), table.concat(current, ','), redis.call('HGET', KEYS[1], 'e')}
"""


@dataclass(frozen=True)
class Reads:
    """What a response read: the topics of its tables, or why it cannot be stored."""

    topics: frozenset[str]
    refused: str = ""


@functools.cache
def _topics_by_table() -> dict[str, tuple[str, ...] | None]:
    """Table name -> the topics of its model; None for a model without topics (never stored)."""
    found: dict[str, tuple[str, ...] | None] = {}
    for model in apps.get_models(include_auto_created=True):
        topics = caching.topics_for_model(model)
        found[model._meta.db_table] = topics or None
    return found


@functools.cache
def _member_tables() -> dict[str, tuple[str, re.Pattern[str]]]:
    """Table name -> (topic, the condition "<column> = %s" every query on it must have) of member-scoped tables."""
    found = {}
    for label, (topic, column) in caching.member_topics_table().items():
        table = apps.get_model(label)._meta.db_table
        found[table] = (topic, re.compile(rf'\."?{re.escape(column)}"? = %s'))
    return found


def reads_of(statements: list[tuple[str, Any]], member_id: int) -> Reads:
    """The topics of the tables `statements` ((sql, params) pairs) read, for a response to member `member_id`.

    A member-scoped table counts only when the query filters its member column by a parameter that is this
    member's id (then the topic is theirs alone); anything else, any write or lock, or an unknown table refuses.
    """
    table = _topics_by_table()
    member_tables = _member_tables()
    topics: set[str] = set()
    for sql, params in statements:
        if sql == NOT_THE_PRIMARY:
            return Reads(frozenset(), refused="a read from a replica")
        if _NOT_A_READ.search(sql):
            return Reads(frozenset(), refused="a statement that is not a plain read")
        for match in _TABLE.finditer(sql):
            name = match.group(2)
            if name in STATIC_TABLES:
                continue
            if name in member_tables:
                topic, condition = member_tables[name]
                values = params.values() if isinstance(params, dict) else (params or ())
                if not condition.search(sql) or member_id not in list(values):
                    return Reads(frozenset(), refused=f"table {name} read beyond the member's own rows")
                topics.add(caching.member_topic(topic, member_id))
                continue
            if name not in table:
                return Reads(frozenset(), refused=f"table {name} is not a model's")
            found = table[name]
            if found is None:
                return Reads(frozenset(), refused=f"table {name} has no topics")
            topics.update(found)
    return Reads(frozenset(topics))


def member_topics(member_id: int) -> set[str]:
    """Every member-scoped topic of one member (their versions are read before a response is made)."""
    return {caching.member_topic(topic, member_id) for topic, _column in caching.member_topics_table().values()}


# Stands for a statement run on a database other than the primary: an entry must be read from the primary
# (its versions are bumped when the primary commits; a lagging replica could hold older rows).
NOT_THE_PRIMARY = "-- not the primary"


@contextmanager
def recorded_sql() -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement (with its parameters) run on any database connection of this thread in the block."""
    statements: list[tuple[str, Any]] = []

    def recorder(alias: str) -> Callable[..., Any]:
        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
            statements.append((sql if isinstance(sql, str) else str(sql), params))
            if alias != DEFAULT_DB_ALIAS:
                statements.append((NOT_THE_PRIMARY, None))
            return execute(sql, params, many, context)

        return record

    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(recorder(alias)))
        yield statements


@dataclass
class PersonalEntry:
    entry: caching.Entry
    parts: bool


def _digest(*values: object) -> str:
    return hashlib.sha1(repr(values).encode("utf-8", "surrogateescape"), usedforsecurity=False).hexdigest()


def _user_state(request: HttpRequest) -> str:
    """The member's row (but the time of their last sign-in) and their session: a change to either is a new key."""
    user = request.user
    fields = user._meta.concrete_fields  # type: ignore[union-attr]  # signed in only
    row = tuple(getattr(user, f.attname) for f in fields if f.attname != "last_login")
    session = getattr(request, "session", None)
    items = sorted((str(k), repr(v)) for k, v in session.items()) if session is not None else []
    return _digest(row, items, timezone.get_current_timezone_name())


def _messages_waiting(request: HttpRequest) -> bool:
    if request.COOKIES.get("messages"):  # CookieStorage's cookie; a deleted one is sent empty by some clients
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


def is_recording(request: HttpRequest) -> bool:
    """True while a response is made to be stored: personal parts are written as placeholders."""
    return bool(getattr(request, "_personal_recording", False))


def part_placeholder(template_name: str) -> bytes:
    return PART_OPEN + template_name.encode("ascii") + PART_CLOSE


class PersonalCacheMiddleware:
    """Serves a signed-in member's GET/HEAD requests of the cached routes from their own entries (see the
    module's docstring). Placed last, after authentication, preferences, messages and the sign-in checks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        seconds = settings.PUBLIC_CACHE_SECONDS
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD")
            or seconds <= 0
            or user is None
            or not user.is_authenticated
            or "HTTP_AUTHORIZATION" in request.META
            or not caching.is_personal_route(request.path_info)
        ):
            return self.get_response(request)
        if _messages_waiting(request):  # the page must show them: rendered, not stored
            return self.get_response(request)
        is_api = request.path_info.startswith(caching.API_PREFIX)
        language = translation.get_language()
        description = caching.request_description(request, request.get_host(), language)
        client, prefix = caching.redis_client()
        key = prefix + PERSONAL_KEY + _digest(user.pk, _user_state(request), description)
        fresh = "no-cache" in request.headers.get("Cache-Control", "").lower()

        try:
            if not fresh:
                found = caching.redis_script(client, _LOOKUP)(keys=[key], args=[prefix + caching.VERSION_KEY])
                if found and found[0] == found[1] and found[2] is not None:
                    stored: PersonalEntry = pickle.loads(found[2])  # noqa: S301 - our own Redis
                    return self.replay(request, stored)
            before = caching.versions(caching.all_topics() | member_topics(user.pk))
        except Exception:  # Redis away: render without the cache
            logger.warning("personal cache: Redis unavailable", exc_info=True)
            return self.get_response(request)

        request._personal_recording = True  # type: ignore[attr-defined]
        try:
            with recorded_sql() as statements:
                response = self.get_response(request)
        finally:
            request._personal_recording = False  # type: ignore[attr-defined]
        parts = isinstance(response, HttpResponse) and _PART.search(response.content) is not None
        record = self.record(request, response, statements, language, is_api)
        if record is not None:
            entry, topics = record
            ordered = sorted(topics)
            try:
                pipe = client.pipeline(transaction=True)
                pipe.delete(key)
                pipe.hset(
                    key,
                    mapping={
                        "t": ",".join(ordered),
                        "v": ",".join(str(before[t]) for t in ordered),
                        "e": pickle.dumps(PersonalEntry(entry, parts), pickle.HIGHEST_PROTOCOL),
                    },
                )
                pipe.expire(key, seconds)
                pipe.execute()
            except Exception:
                logger.warning("personal cache: storing failed", exc_info=True)
        if parts:
            assert isinstance(response, HttpResponse)  # noqa: S101 - `parts` is only true for one
            response.content = self.fill_parts(request, response.content)
        return response

    def record(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        statements: list[tuple[str, Any]],
        language: str,
        is_api: bool,
    ) -> tuple[caching.Entry, frozenset[str]] | None:
        session = getattr(request, "session", None)
        if session is not None and session.modified:
            return None
        storage = getattr(request, "_messages", None)
        if storage is not None and getattr(storage, "used", False):
            return None
        member_id = request.user.pk
        assert member_id is not None  # noqa: S101 - only signed-in members come here
        reads = reads_of(statements, member_id)
        if reads.refused:
            logger.debug("personal cache: %s not stored: %s", request.path, reads.refused)
            return None
        entry = caching.storable(request, response, language, is_api)
        if entry is None:
            return None
        return entry, reads.topics

    def fill_parts(self, request: HttpRequest, body: bytes) -> bytes:
        rendered: dict[bytes, bytes] = {}

        def fill(match: re.Match[bytes]) -> bytes:
            name = match.group(1)
            if name not in rendered:
                rendered[name] = render_to_string(name.decode("ascii"), request=request).encode()
            return rendered[name]

        return _PART.sub(fill, body)

    def replay(self, request: HttpRequest, stored: PersonalEntry) -> HttpResponseBase:
        body = caching.filled_body(request, stored.entry)
        if stored.parts:
            body = self.fill_parts(request, body)
        # A body with parts filled in per request is not the body the stored ETag names.
        return caching.replayed_response(request, stored.entry, body, etag=not stored.parts)
