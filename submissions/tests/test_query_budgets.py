"""Query budgets: every list page and list API of the submissions app costs the same number of
queries with 3 entries as with 33 (more than a page), signed in and anonymous.

The counts are the page's own work: the gallery, the entry list and "my entries" are keyset pages
(24 or 25 rows whatever the table holds), votes are counted for the page's entries only, and the
ranking is computed from narrow rows and listed a page at a time.
"""

from typing import Any

import pytest
from django.urls import reverse

from submissions.models import Vote
from submissions.tests.factories import award, enter, open_phase, score_all, to_judging
from tests.query_budget import assert_query_count_flat
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def _entries(phase: Any, count: int, *, co_author: Any = None) -> list[Any]:
    """`count` submitted entries of new members; each gets a vote (the vote count must not cost per row)."""
    entries = []
    for _ in range(count):
        author = UserFactory.create()
        entry = enter(phase, author, co_authors=[(co_author, "10")] if co_author else ())
        Vote.objects.create(voter=UserFactory.create(), entry=entry)
        entries.append(entry)
    return entries


@pytest.fixture
def unsealed(owner: Any, staff: Any, judge: Any) -> Any:
    """An open, unsealed phase (its entries are public at once) with 3 entries."""
    phase = open_phase(owner, staff, judges=[judge], sealed=False, entry_limit=1)
    _entries(phase, 3)
    return phase


def test_the_gallery_costs_its_page_anonymous_and_signed_in(client: Any, unsealed: Any, outsider: Any) -> None:
    url = reverse("submissions:gallery", args=[unsealed.pk])
    assert_query_count_flat(client, url, grow=lambda: _entries(unsealed, 30), budget=12)
    client.force_login(outsider)
    assert_query_count_flat(client, url, grow=lambda: _entries(unsealed, 3), budget=30)


def test_the_gallery_shows_one_page_and_links_the_next(client: Any, unsealed: Any) -> None:
    _entries(unsealed, 24)
    url = reverse("submissions:gallery", args=[unsealed.pk])
    first = client.get(url)
    assert len(first.context["entries"]) == 24
    second = client.get(url, {"cursor": first.context["page"].next_cursor})
    assert len(second.context["entries"]) == 3
    assert not {e.pk for e in first.context["entries"]} & {e.pk for e in second.context["entries"]}
    assert 'rel="next"' in first.content.decode()


def test_the_entry_list_api_costs_its_page(client: Any, unsealed: Any, outsider: Any) -> None:
    url = f"/api/v1/entries/?phase={unsealed.pk}"
    assert_query_count_flat(client, "/api/v1/entries/", grow=lambda: _entries(unsealed, 30), budget=4)
    client.force_login(outsider)
    assert_query_count_flat(client, url, grow=lambda: _entries(unsealed, 3), budget=25)


def test_the_entry_list_api_pages_with_a_cursor_and_counts_votes_exactly(client: Any, unsealed: Any) -> None:
    _entries(unsealed, 27)
    first = client.get("/api/v1/entries/").json()
    assert set(first) == {"next", "previous", "results"}
    assert len(first["results"]) == 25
    assert all(row["votes"] == 1 for row in first["results"])
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"]
    listed = [row["id"] for row in first["results"] + second["results"]]
    assert len(set(listed)) == 30


def test_my_entries_cost_their_page(client: Any, unsealed: Any, ada: Any, staff: Any, owner: Any) -> None:
    client.force_login(ada)

    def more() -> None:
        for n in range(30):
            enter(open_phase(owner, staff, sealed=False, title=f"Challenge {n}"), ada)

    enter(unsealed, ada)
    assert_query_count_flat(client, reverse("submissions:mine"), grow=more, budget=20)
    assert_query_count_flat(client, "/api/v1/entries/?mine=1", grow=lambda: None, budget=25)


def test_the_judging_pages_and_apis_cost_the_same_at_any_size(client: Any, unsealed: Any, judge: Any) -> None:
    client.force_login(judge)
    urls = [
        reverse("submissions:judging"),
        reverse("submissions:judge_phase", args=[unsealed.pk]),
        f"/api/v1/phases/{unsealed.pk}/ranking/",
        f"/api/v1/phases/{unsealed.pk}/judging-progress/",
    ]
    for url in urls:
        assert_query_count_flat(client, url, grow=lambda: _entries(unsealed, 11), budget=30)


def test_the_ranking_api_lists_a_page_of_the_exact_ranking(client: Any, owner: Any, staff: Any, judge: Any) -> None:
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    entries = _entries(phase, 4)
    to_judging(phase)
    for value, entry in enumerate(entries):
        score_all(judge, entry, [value, value])
    client.force_login(judge)
    first = client.get(f"/api/v1/phases/{phase.pk}/ranking/?page_size=3").json()
    assert [row["entry"] for row in first["results"]] == [e.pk for e in reversed(entries)][:3]
    second = client.get(first["next"]).json()
    assert [row["position"] for row in second["results"]] == [4]
    assert second["next"] is None
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_the_award_page_and_the_entry_page_cost_the_same_at_any_size(
    client: Any, owner: Any, staff: Any, judge: Any, outsider: Any
) -> None:
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    first = _entries(phase, 3)[0]
    client.force_login(outsider)
    assert_query_count_flat(
        client, reverse("submissions:detail", args=[first.pk]), grow=lambda: _entries(phase, 10), budget=25
    )
    to_judging(phase)
    client.force_login(owner)
    assert_query_count_flat(
        client, reverse("submissions:award", args=[phase.pk]), grow=lambda: _entries_late(phase, 10), budget=30
    )


def _entries_late(phase: Any, count: int) -> None:
    """More votes on the phase's entries once it stopped taking entries (the ranking reads them all)."""
    for entry in phase.entries.all()[:count]:
        Vote.objects.create(voter=UserFactory.create(), entry=entry)


def test_the_awards_api_costs_the_same_at_any_size(client: Any, owner: Any, staff: Any, judge: Any) -> None:
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    entries = _entries(phase, 3)
    to_judging(phase)
    award(phase, owner, (1, entries[0]), (2, entries[1]))
    url = f"/api/v1/phases/{phase.pk}/awards/"
    assert_query_count_flat(client, url, grow=lambda: _entries_late(phase, 3), budget=6)
