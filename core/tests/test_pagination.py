"""Keyset pagination: every row once, in order, forwards and backwards, whatever the ties."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.pagination import bounded_count, decode_cursor, encode_cursor, keyset_page

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def members():
    # Display names with ties, so the order needs its tie-breaker (pk).
    return User.objects.bulk_create(
        User(email=f"m{n}@example.com", display_name=f"Name {n % 4}", password="!") for n in range(23)
    )


def _walk_forwards(queryset, ordering, size):
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, ordering=ordering, cursor=cursor, size=size)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor


ORDERINGS = [("-pk",), ("display_name", "pk"), ("-display_name", "-pk"), ("display_name", "-pk")]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_walking_forwards_shows_every_row_once_in_order(members, ordering):
    queryset = User.objects.all()
    pages = _walk_forwards(queryset, ordering, size=5)
    shown = [member.pk for page in pages for member in page]
    assert shown == list(queryset.order_by(*ordering).values_list("pk", flat=True))
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert not pages[0].has_previous
    assert all(page.has_previous for page in pages[1:])


def test_walking_backwards_from_the_last_page_returns_the_same_pages(members):
    ordering = ("display_name", "pk")
    forwards = _walk_forwards(User.objects.all(), ordering, size=5)
    page, backwards = forwards[-1], []
    while page.has_previous:
        page = keyset_page(User.objects.all(), ordering=ordering, cursor=page.previous_cursor, size=5)
        backwards.append([member.pk for member in page])
    assert backwards == [[member.pk for member in page] for page in reversed(forwards[:-1])]


def test_a_page_costs_one_query_wherever_it_is(members):
    pages = _walk_forwards(User.objects.all(), ("-pk",), size=5)
    with CaptureQueriesContext(connection) as queries:
        keyset_page(User.objects.all(), ordering=("-pk",), cursor=pages[3].next_cursor, size=5)
    assert len(queries) == 1
    assert "OFFSET" not in queries[0]["sql"].upper()


@pytest.mark.parametrize("cursor", ["", "garbage", "e30", encode_cursor([1, 2]), "x" * 2000, encode_cursor([None])])
def test_a_cursor_that_does_not_fit_shows_the_first_page(members, cursor):
    page = keyset_page(User.objects.all(), ordering=("-pk",), cursor=cursor, size=5)
    assert [member.pk for member in page] == list(User.objects.order_by("-pk").values_list("pk", flat=True)[:5])


def test_cursors_carry_dates_and_decimals():
    import datetime
    import decimal

    values = [datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC), decimal.Decimal("12.50"), 7]
    assert decode_cursor(encode_cursor(values), width=3) == (values, False)


def test_bounded_count_stops_counting_at_its_limit(members):
    assert bounded_count(User.objects.all(), limit=10) == (10, True)
    assert bounded_count(User.objects.all(), limit=100) == (23, False)
