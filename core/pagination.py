"""Keyset pagination: a page costs its own size, whichever page it is and however long the list.

Offsets make page 500 read (and throw away) 12,000 rows; a keyset page starts where the previous
one ended (`WHERE (a, b) < (last_a, last_b) ORDER BY a DESC, b DESC LIMIT n + 1`), so with an
index on the ordering every page is one short index range scan. The price: no "page 7 of 300"
and no jump to a page number, only the next and the previous page.

The cursor in the URL is the ordering values of the first or last row shown, encoded (base64 of
JSON); a cursor that does not decode or does not fit the ordering is ignored (the first page is
shown), so a stale or edited URL never errors.

    page = keyset_page(entries, ordering=("-submitted_at", "-pk"), cursor=request.GET.get("cursor"), size=24)
    {% include "core/_keyset_pages.html" with page=page query=query %}

`KeysetPagination` is the same for the REST API: a list answers `{"next", "previous", "results"}`
with `?cursor=` links, and `?page_size=` up to `max_page_size`.

`bounded_count` counts at most `limit` rows: "1,000+" costs what counting a thousand costs.

Ordering fields must be NOT NULL and the last one unique (end with `pk`), or rows would be
skipped or repeated between pages.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, QueryDict
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_PARAM = "cursor"


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list (iterable, like a Django `Page`)."""

    object_list: list[Any]
    has_next: bool = False
    has_previous: bool = False
    next_cursor: str | None = None
    previous_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)


def _field_and_direction(term: str) -> tuple[str, bool]:
    """("-submitted_at") -> ("submitted_at", descending=True)."""
    return (term[1:], True) if term.startswith("-") else (term, False)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"dec": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _decode_value(raw: Any) -> Any:
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, text),) = raw.items()
        if not isinstance(text, str):
            raise ValueError("bad cursor value")
        if tag == "dt":
            return datetime.datetime.fromisoformat(text)
        if tag == "d":
            return datetime.date.fromisoformat(text)
        if tag == "dec":
            return decimal.Decimal(text)
        raise ValueError("bad cursor value")
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    raise ValueError("bad cursor value")


def encode_cursor(values: Sequence[Any], *, backwards: bool = False) -> str:
    payload = {"v": [_encode_value(value) for value in values], "b": backwards}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, width: int) -> tuple[list[Any], bool] | None:
    """The values and direction of a cursor, or None when it is missing or malformed."""
    if not cursor or len(cursor) > 1000:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = [_decode_value(raw) for raw in payload["v"]]
        backwards = payload.get("b", False)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, decimal.InvalidOperation):
        return None
    if len(values) != width or not isinstance(backwards, bool) or any(value is None for value in values):
        return None
    return values, backwards


def _after(ordering: Sequence[str], values: Sequence[Any], *, backwards: bool) -> Q:
    """Rows strictly after `values` in `ordering` (before them when going backwards).

    Written as `a <= x AND (a < x OR (a = x AND b < y))`: the leading range lets PostgreSQL use
    the index on the first column for a range scan, the rest breaks ties exactly."""
    condition = Q()
    for index in reversed(range(len(ordering))):
        name, descending = _field_and_direction(ordering[index])
        lookup = "lt" if descending != backwards else "gt"
        strictly = Q(**{f"{name}__{lookup}": values[index]})
        condition = strictly if index == len(ordering) - 1 else strictly | (Q(**{name: values[index]}) & condition)
    first, descending = _field_and_direction(ordering[0])
    bound = Q(**{f"{first}__{'lte' if descending != backwards else 'gte'}": values[0]})
    return bound & condition


def _values_of(row: Any, ordering: Sequence[str]) -> list[Any]:
    values = []
    for term in ordering:
        name, _ = _field_and_direction(term)
        value: Any = row
        for part in name.split("__"):
            value = getattr(value, part)
        if isinstance(value, Model):
            value = value.pk
        values.append(value)
    return values


def _page_query(
    queryset: QuerySet[Any], ordering: Sequence[str], cursor: str | None, size: int
) -> tuple[QuerySet[Any], tuple[list[Any], bool] | None]:
    if not ordering or size < 1:
        raise ValueError("a keyset page needs an ordering and a positive size")
    decoded = decode_cursor(cursor, width=len(ordering))
    if decoded is None:
        return queryset.order_by(*ordering)[: size + 1], None
    values, backwards = decoded
    queryset = queryset.filter(_after(ordering, values, backwards=backwards))
    if backwards:
        ordering = [term[1:] if term.startswith("-") else f"-{term}" for term in ordering]
    return queryset.order_by(*ordering)[: size + 1], decoded


def keyset_query(queryset: QuerySet[Any], *, ordering: Sequence[str], cursor: str | None, size: int) -> QuerySet[Any]:
    """The one query `keyset_page` runs for this page (`size + 1` rows: the extra one says whether
    there is a next page). Tests EXPLAIN it to prove an index serves every page."""
    return _page_query(queryset, ordering, cursor, size)[0]


def keyset_page(queryset: QuerySet[Any], *, ordering: Sequence[str], cursor: str | None, size: int) -> KeysetPage:
    """The page of `queryset` that `cursor` points at (the first page without one)."""
    query, decoded = _page_query(queryset, ordering, cursor, size)
    rows = list(query)
    backwards = bool(decoded and decoded[1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(object_list=rows)
    if not rows:
        # Past the end (or before the start): offer the way back to the first page.
        page.has_previous = decoded is not None
        return page
    if backwards:
        page.has_previous, page.has_next = more, True
    else:
        page.has_next, page.has_previous = more, decoded is not None
    if page.has_next:
        page.next_cursor = encode_cursor(_values_of(rows[-1], ordering))
    if page.has_previous:
        page.previous_cursor = encode_cursor(_values_of(rows[0], ordering), backwards=True)
    return page


def query_without_cursor(request: HttpRequest, *also: str) -> str:
    """The request's query string without the cursor (and `also`), for the pager's links."""
    query: QueryDict = request.GET.copy()
    for name in (CURSOR_PARAM, "page", *also):
        query.pop(name, None)
    return query.urlencode()


def bounded_count(queryset: QuerySet[Any], *, limit: int = 1000) -> tuple[int, bool]:
    """(count, more): the number of rows up to `limit`, and whether there are more than that.
    Counting stops at `limit + 1` rows, so a common search word does not count 40,000 matches."""
    counted = queryset.order_by()[: limit + 1].count()
    return min(counted, limit), counted > limit


class KeysetPagination(BasePagination):
    """Keyset pagination for API lists. Subclass and set `ordering` (NOT NULL fields ending with
    a unique one); views that paginate by hand call `paginate_queryset` and
    `get_paginated_response` as with DRF's own classes."""

    ordering: Sequence[str] = ("-pk",)
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"

    def __init__(self, ordering: Sequence[str] | None = None) -> None:
        if ordering is not None:
            self.ordering = tuple(ordering)
        self.page: KeysetPage | None = None
        self.request: Request | None = None

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw and raw.isascii() and raw.isdigit():
            return max(1, min(int(raw), self.max_page_size))
        return self.page_size

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.page = keyset_page(
            queryset,
            ordering=self.ordering,
            cursor=request.query_params.get(CURSOR_PARAM),
            size=self.get_page_size(request),
        )
        return self.page.object_list

    def _link(self, cursor: str | None) -> str | None:
        assert self.request is not None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, CURSOR_PARAM, cursor) if cursor else None

    def get_next_link(self) -> str | None:
        return self._link(self.page.next_cursor) if self.page else None

    def get_previous_link(self) -> str | None:
        if not self.page or not self.page.has_previous:
            return None
        if self.page.previous_cursor:
            return self._link(self.page.previous_cursor)
        assert self.request is not None
        return remove_query_param(self.request.build_absolute_uri(), CURSOR_PARAM)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "The pagination cursor (from a `next` or `previous` link).",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
