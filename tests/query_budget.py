"""Query budgets: a list's query count must not grow with the number of rows.

    def test_the_gallery_costs_the_same_at_any_size(client):
        assert_query_count_flat(client, url, grow=lambda: EntryFactory.create_batch(30, phase=phase))

The URL is requested once to warm up (sessions, content types, caches that a first request fills),
then counted, then the data grows, then counted again; both counts must be equal and within
`budget`. The response must be 200 both times: a budget on an error page proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings


def count_queries(client: Any, url: str, **headers: Any) -> int:
    # The shared page cache (core.caching) would answer with no query at all: count the real work.
    with override_settings(PUBLIC_CACHE_SECONDS=0), CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries)


def assert_query_count_flat(
    client: Any, url: str, *, grow: Callable[[], Any], budget: int | None = None, **headers: Any
) -> tuple[int, int]:
    count_queries(client, url, **headers)
    small = count_queries(client, url, **headers)
    grow()
    large = count_queries(client, url, **headers)
    assert large == small, f"{url}: {small} queries before the data grew, {large} after"
    if budget is not None:
        assert large <= budget, f"{url}: {large} queries, budget {budget}"
    return small, large
