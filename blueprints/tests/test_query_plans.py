"""The library's queries use the indexes of migration 0004_scale_indexes at a size where a
sequential scan would be the alternative: 20,000 blueprints, a word in 80 % of them, analysed.

Each test asserts the plan of `EXPLAIN (FORMAT JSON)`: the index is used, and the blueprints table
is not read whole (no Seq Scan) where a page of 24 rows is all that is wanted."""

from typing import Any

import pytest
from django.db import connection

from blueprints import selectors
from blueprints.models import Blueprint
from blueprints.tests.conftest import make_published
from core.pagination import bounded_count, keyset_page, keyset_query
from tests.query_plans import indexes_used, plan_of, seq_scanned

pytestmark = pytest.mark.django_db

ROWS = 20_000


@pytest.fixture
def big_library(owner: Any) -> Blueprint:
    """ROWS listed blueprints (1 in 50 hidden), "chassis" in 4 of 5, "monocoque" in 1 in 1,000 (none hidden)."""
    first = make_published(owner, "Seed")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO blueprints_blueprint (
                created_at, updated_at, title, slug, description, category, tags, licence, lineage,
                last_published_at, has_model, cover_key, download_count, fork_count, is_hidden,
                owner_id, latest_revision_id)
            SELECT now() - g * interval '1 minute', now(), 'Part ' || g ||
                   CASE WHEN g %% 5 <> 0 THEN ' chassis' ELSE ' wheel' END ||
                   CASE WHEN g %% 1000 = 1 THEN ' monocoque' ELSE '' END,
                   'part-' || g, 'Bulk row', 'chassis', '{}', %s, '{}',
                   now() - g * interval '1 minute', g %% 3 = 0, '', g %% 997, g %% 89, g %% 50 = 0,
                   %s, %s
            FROM generate_series(1, %s) AS g
            ORDER BY random()
            """,
            [first.licence, first.owner_id, first.latest_revision_id, ROWS],
        )
        cursor.execute("ANALYZE blueprints_blueprint")
    return first


def page_query(filters: selectors.SearchFilters) -> Any:
    """The query of the first page: what `keyset_page` runs (LIMIT size + 1)."""
    listing = selectors.blueprint_library(filters=filters)
    return keyset_query(listing.blueprints, ordering=listing.ordering, cursor=None, size=24)


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("newest", "blueprints_listed_new_idx"),
        ("forks", "blueprints_listed_forks_idx"),
        ("downloads", "blueprints_listed_dl_idx"),
    ],
)
def test_each_sort_of_the_library_is_an_index_range_scan(big_library: Blueprint, sort: str, index: str) -> None:
    plan = plan_of(page_query(selectors.SearchFilters(sort=sort)))
    assert index in indexes_used(plan)
    assert "blueprints_blueprint" not in seq_scanned(plan)


def test_a_later_page_is_an_index_range_scan_too(big_library: Blueprint) -> None:
    listing = selectors.blueprint_library(filters=selectors.SearchFilters(sort="forks"))
    first = keyset_page(listing.blueprints, ordering=listing.ordering, cursor=None, size=24)
    assert first.next_cursor is not None
    plan = plan_of(keyset_query(listing.blueprints, ordering=listing.ordering, cursor=first.next_cursor, size=24))
    assert "blueprints_listed_forks_idx" in indexes_used(plan)
    assert "blueprints_blueprint" not in seq_scanned(plan)


def test_a_common_word_ranks_a_bounded_set_of_the_newest_matches(big_library: Blueprint) -> None:
    plan = plan_of(page_query(selectors.SearchFilters(query="chassis")))
    assert "blueprints_listed_new_idx" in indexes_used(plan)
    assert "blueprints_blueprint" not in seq_scanned(plan)


def test_a_common_word_sorted_by_newest_walks_the_index(big_library: Blueprint) -> None:
    plan = plan_of(page_query(selectors.SearchFilters(query="chassis", sort="newest")))
    assert "blueprints_listed_new_idx" in indexes_used(plan)
    assert "blueprints_blueprint" not in seq_scanned(plan)


@pytest.mark.parametrize("sort", ["", "newest", "forks"])
def test_a_rare_word_is_found_through_the_search_index_and_its_few_matches_sorted(
    big_library: Blueprint, sort: str
) -> None:
    listing = selectors.blueprint_library(filters=selectors.SearchFilters(query="monocoque", sort=sort))
    assert listing.counted == (20, False)
    ids = plan_of(listing.matches.order_by().values("pk")[: selectors.SEARCH_MATCH_LIMIT + 1])
    assert "blueprints_search_gin" in indexes_used(ids)
    assert "blueprints_blueprint" not in seq_scanned(ids)
    page = plan_of(page_query(selectors.SearchFilters(query="monocoque", sort=sort)))
    assert "blueprints_blueprint" not in seq_scanned(page)


def test_the_count_of_a_common_word_stops_at_its_limit(big_library: Blueprint) -> None:
    listing = selectors.blueprint_library(filters=selectors.SearchFilters(query="chassis"))
    assert bounded_count(listing.matches) == (1000, True)
