"""The REST API: a challenge written, published and read through it, its errors, and its cost in
queries, which does not grow with the number of rows."""

from decimal import Decimal

import pytest

from challenges.models import ChallengeStatus, PhaseStatus
from challenges.services import challenge_mark_funded, challenge_submit_for_funding, judge_invite
from challenges.tests.factories import FUNDED_TASK, add_phase, make_challenge, publish
from core.actors import Actor

pytestmark = pytest.mark.django_db


def test_a_client_posts_a_challenge_through_the_api(client, owner, staff):
    client.force_login(owner)

    created = client.post(
        "/api/v1/challenges/",
        {"title": "Ice road truck", "summary": "Arctic haulage.", "vehicle_type": "truck", "budget": "20000.00",
         "currency": "USD", "climate": "cold", "description": "# Cold\n<img src=x onerror=alert(1)>"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["currency"], body["budget"], body["sealed_entries"]) == (
        "draft",
        "USD",
        "20000.00",
        True,
    )
    assert "onerror" not in body["description_html"]
    pk = body["id"]
    concept = client.post(
        f"/api/v1/challenges/{pk}/phases/",
        {"kind": "concept", "title": "Concept", "opens_at": "2031-01-01T10:00:00Z", "closes_at": "2031-02-01T10:00:00Z",
         "judging_ends_at": "2031-02-15T10:00:00Z", "prizes": ["5000.00", "2500.00"],
         "criteria": [{"name": "Cold start", "weight": 3}, {"name": "Looks", "weight": 1}]},
        content_type="application/json",
    ).json()  # fmt: skip
    detail = client.post(
        f"/api/v1/challenges/{pk}/phases/",
        {"kind": "drivetrain", "title": "Drivetrain", "opens_at": "2031-03-01T10:00:00Z",
         "closes_at": "2031-04-01T10:00:00Z", "judging_ends_at": "2031-04-15T10:00:00Z", "prizes": ["4000.00"],
         "depends_on": [concept["id"]]},
        content_type="application/json",
    ).json()  # fmt: skip
    assert detail["depends_on"] == [concept["id"]]
    assert [p["amount"] for p in concept["prizes"]] == ["5000.00", "2500.00"]

    moved = client.post(f"/api/v1/challenges/{pk}/transitions/", {"to": "funding"}, content_type="application/json")
    assert moved.json()["status"] == "funding"
    from challenges.models import Challenge

    challenge_mark_funded(challenge=Challenge.objects.get(pk=pk), actor=Actor.system(FUNDED_TASK, on_behalf_of=staff))

    read = client.get(f"/api/v1/challenges/{pk}/").json()
    assert read["status"] == "open"
    assert [p["status"] for p in read["phases"]] == ["scheduled", "scheduled"]
    assert read["phases"][0]["next_transition_at"] == "2031-01-01T10:00:00Z"
    history = client.get(f"/api/v1/challenges/{pk}/transitions/").json()["results"]
    assert [(h["from_status"], h["to_status"], h["made_by"]) for h in history] == [
        ("draft", "funding", "Client"),
        ("funding", "open", "Staff"),
    ]


def test_bad_input_gets_a_400_with_field_messages_and_changes_nothing(client, owner, draft):
    client.force_login(owner)
    phase = draft.phases.get()

    over_budget = client.put(
        f"/api/v1/phases/{phase.pk}/prizes/", {"amounts": ["9000", "9000"]}, content_type="application/json"
    )
    backwards = client.patch(
        f"/api/v1/phases/{phase.pk}/", {"closes_at": "2020-01-01T00:00:00Z"}, content_type="application/json"
    )
    missing = client.post("/api/v1/challenges/", {"title": "No budget"}, content_type="application/json")

    assert over_budget.status_code == 400
    assert "more than the budget" in over_budget.json()["extra"]["fields"]["prizes"][0]
    assert backwards.status_code == 400
    assert "closes_at" in backwards.json()["extra"]["fields"]
    assert missing.status_code == 400
    assert set(missing.json()["extra"]["fields"]) >= {"summary", "vehicle_type", "budget"}
    phase.refresh_from_db()
    assert [p.amount for p in phase.prizes.all()] == [Decimal("1000.00")]


def test_a_move_the_state_table_forbids_is_a_409_with_the_reason(client, owner, open_challenge):
    client.force_login(owner)
    phase = open_challenge.phases.get()

    response = client.post(
        f"/api/v1/phases/{phase.pk}/transitions/", {"to": "awarded"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert "cannot move" in response.json()["message"]
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.SCHEDULED


def test_the_list_api_filters(client, owner, staff):
    bus = make_challenge(owner, title="School bus", vehicle_type="bus", budget="3000")
    add_phase(bus)
    publish(bus, staff=staff)
    van = make_challenge(owner, title="Van", vehicle_type="van", budget="9000")
    add_phase(van)
    publish(van, staff=staff)
    make_challenge(owner, title="My draft")

    def titles(query: str) -> list[str]:
        return sorted(c["title"] for c in client.get(f"/api/v1/challenges/?{query}").json()["results"])

    assert titles("") == ["School bus", "Van"]
    assert titles("vehicle_type=bus") == ["School bus"]
    assert titles("budget_min=5000") == ["Van"]
    assert titles("q=school") == ["School bus"]
    assert titles("mine=1") == []  # anonymous
    client.force_login(owner)
    assert titles("mine=1") == ["My draft", "School bus", "Van"]
    assert client.get("/api/v1/challenges/?budget_min=abc").status_code == 400


def test_transitions_api_lists_the_moves_one_may_read(client, owner, staff, open_challenge):
    from challenges.services import phase_transition

    phase = open_challenge.phases.get()
    phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff), reason="Early start")
    draft = make_challenge(owner, title="Hidden")
    hidden_phase = add_phase(draft)
    phase_transition(phase=hidden_phase, to=PhaseStatus.CANCELLED, actor=Actor.user(owner))

    public = client.get("/api/v1/transitions/").json()["results"]
    mine = client.get(f"/api/v1/transitions/?challenge={open_challenge.pk}").json()["results"]

    assert [(t["phase"], t["to_status"], t["made_by"], t["reason"]) for t in public] == [
        (phase.pk, "open", "Staff", "Early start")
    ]
    assert mine == public


@pytest.fixture
def many_challenges(owner, staff):
    def make(count: int) -> None:
        for n in range(count):
            challenge = make_challenge(owner, title=f"Bulk {n}", budget="50000")
            for kind in ("concept", "front", "rear"):
                add_phase(challenge, kind=kind, prizes=("100", "50"))
            judge_invite(challenge=challenge, by=owner, email=f"judge-{n}@example.com")
            publish(challenge, staff=staff)

    return make


def test_the_list_api_costs_a_fixed_number_of_queries(client, many_challenges, django_assert_num_queries):
    """If this fails, a query per row crept in: prefetch it, or justify the new constant here."""
    many_challenges(1)
    with django_assert_num_queries(2):  # keyset page, phases (no count)
        client.get("/api/v1/challenges/")
    many_challenges(10)
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/challenges/").json()["results"]) == 11


def test_the_detail_api_costs_a_fixed_number_of_queries(
    client, owner, staff, many_challenges, django_assert_num_queries
):
    small = make_challenge(owner, title="Small")
    add_phase(small)
    publish(small, staff=staff)
    big = make_challenge(owner, title="Big", budget="90000")
    for kind in ("concept", "front", "rear", "side", "interior", "drivetrain"):
        add_phase(big, kind=kind, prizes=("100", "50", "25"))
    publish(big, staff=staff)
    client.force_login(owner)

    # member, confirmed address, challenge, phases, prizes, criteria, dependencies, judges, versions (the session
    # comes from the cache)
    for challenge in (small, big):
        with django_assert_num_queries(9):
            client.get(f"/api/v1/challenges/{challenge.pk}/")
        # member, confirmed address, challenge, phases, prizes, criteria, dependencies
        with django_assert_num_queries(7):
            client.get(f"/api/v1/challenges/{challenge.pk}/phases/")


def test_the_transitions_api_costs_a_fixed_number_of_queries(client, staff, many_challenges, django_assert_num_queries):
    from challenges.models import Phase
    from challenges.services import phase_transition

    many_challenges(2)
    for phase in Phase.objects.all()[:2]:
        phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff))
    with django_assert_num_queries(1):  # keyset page (with phase and actor), no count
        client.get("/api/v1/transitions/")
    for phase in Phase.objects.filter(status=PhaseStatus.SCHEDULED):
        phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff))
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/transitions/").json()["results"]) == 6


def test_the_openapi_schema_describes_the_challenge_api(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    assert "/api/v1/challenges/{id}/phases/" in schema["paths"] or "/api/v1/challenges/{pk}/phases/" in schema["paths"]
    assert ChallengeStatus.OPEN in str(schema)


def test_nobody_opens_a_challenge_whose_budget_is_not_in_escrow(client, owner, staff, draft):
    """Only payments opens a challenge, once the escrow covers the budget; staff cannot skip it."""
    challenge_submit_for_funding(challenge=draft, by=owner)
    client.force_login(staff)

    response = client.post(
        f"/api/v1/challenges/{draft.pk}/transitions/", {"to": "open"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "may not move" in response.json()["message"]
    draft.refresh_from_db()
    assert draft.status == "funding"
