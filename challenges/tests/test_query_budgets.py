"""Query budgets: every list page and list API of the challenges app costs the same number of
queries with a few rows as with many (more than a page), signed in and anonymous.

The challenge list is a keyset page with a bounded count ("More than 1,000"); the histories,
judges, invitations and phases of a challenge are keyset pages of the API.
"""

from typing import Any

import pytest
from django.urls import reverse

from challenges.models import Challenge, PhaseStatus
from challenges.services import challenge_invite_member, judge_invite, phase_transition
from challenges.tests.factories import add_phase, make_challenge, publish
from core.actors import Actor
from tests.query_budget import assert_query_count_flat

pytestmark = pytest.mark.django_db


def _published(owner: Any, staff: Any, count: int, **details: Any) -> list[Challenge]:
    made = []
    for n in range(count):
        challenge = make_challenge(owner, title=f"Bulk {Challenge.objects.count()} {n}", budget="50000", **details)
        add_phase(challenge, kind="concept", prizes=("100", "50"))
        add_phase(challenge, kind="front", prizes=("100",))
        made.append(publish(challenge, staff=staff))
    return made


LISTS = [
    "/challenges/",
    "/challenges/?vehicle_type=truck",
    "/challenges/?q=ambulance",
    "/api/v1/challenges/",
    "/api/v1/challenges/?vehicle_type=truck&status=open",
    "/api/v1/transitions/",
]


@pytest.mark.parametrize("url", LISTS)
def test_the_lists_cost_their_page_anonymous_and_signed_in(
    client: Any, owner: Any, staff: Any, other_client: Any, url: str
) -> None:
    _published(owner, staff, 3, vehicle_type="truck", summary="An ambulance.")
    assert_query_count_flat(
        client, url, grow=lambda: _published(owner, staff, 14, vehicle_type="truck", summary="An ambulance."), budget=6
    )
    client.force_login(other_client)
    assert_query_count_flat(client, url, grow=lambda: _published(owner, staff, 2, vehicle_type="truck"), budget=12)


def test_my_challenges_and_the_dashboard_cost_the_same_at_any_size(client: Any, owner: Any, staff: Any) -> None:
    _published(owner, staff, 2)
    client.force_login(owner)
    for url in ("/challenges/?mine=on", "/api/v1/challenges/?mine=1", reverse("challenges:dashboard")):
        assert_query_count_flat(client, url, grow=lambda: make_challenge(owner, title="A draft"), budget=12)


def test_the_list_pages_with_a_cursor_and_keeps_the_filters(client: Any, owner: Any, staff: Any) -> None:
    _published(owner, staff, 14, vehicle_type="truck")
    first = client.get("/challenges/?vehicle_type=truck")
    assert len(first.context["page"].object_list) == 12
    cursor = first.context["page"].next_cursor
    assert f"vehicle_type=truck&amp;cursor={cursor}" in first.content.decode()
    second = client.get("/challenges/", {"vehicle_type": "truck", "cursor": cursor})
    assert len(second.context["page"].object_list) == 2
    assert "14 challenges" in first.content.decode()


def test_the_challenge_page_and_the_phase_page_cost_the_same_at_any_size(
    client: Any, open_challenge: Challenge, owner: Any, judge: Any
) -> None:
    phase = open_challenge.phases.get()
    urls = [
        reverse("challenges:detail", args=[open_challenge.slug]),
        reverse("challenges:phase", args=[open_challenge.slug, phase.pk]),
    ]

    invited = iter(range(1000))

    def grow() -> None:
        for _ in range(5):
            judge_invite(challenge=open_challenge, by=owner, email=f"more-judges-{next(invited)}@example.com")

    for url in urls:
        assert_query_count_flat(client, url, grow=grow, budget=30)
    client.force_login(owner)
    for url in urls:
        assert_query_count_flat(client, url, grow=grow, budget=40)


def test_the_histories_judges_invitations_and_phases_apis_are_keyset_pages(
    client: Any, open_challenge: Challenge, owner: Any, staff: Any
) -> None:
    phase = open_challenge.phases.get()
    pk = open_challenge.pk
    client.force_login(owner)
    urls = [
        f"/api/v1/challenges/{pk}/transitions/",
        f"/api/v1/phases/{phase.pk}/transitions/",
        f"/api/v1/challenges/{pk}/judges/",
        f"/api/v1/challenges/{pk}/invitations/",
        f"/api/v1/challenges/{pk}/phases/",
    ]
    counter = iter(range(1000))

    def grow() -> None:
        n = next(counter)
        for m in range(3):
            judge_invite(challenge=open_challenge, by=owner, email=f"judge-{n}-{m}@example.com")
            challenge_invite_member(challenge=open_challenge, by=owner, email=f"member-{n}-{m}@example.com")

    for url in urls:
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}, url
        assert_query_count_flat(client, url, grow=grow, budget=12)
    phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(owner))
    history = client.get(f"/api/v1/phases/{phase.pk}/transitions/").json()["results"]
    assert "open" in [row["to_status"] for row in history]
    judges = client.get(f"/api/v1/challenges/{pk}/judges/?page_size=2").json()
    assert len(judges["results"]) == 2
    assert judges["next"]
