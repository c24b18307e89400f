"""The challenge pages: list with filters, search and pages; a challenge with its charts; the
dashboard; the judges' pages. Each page costs the same number of queries however many rows exist."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges.models import JudgeAssignment, JudgeStatus, PhaseStatus
from challenges.services import judge_invite, phase_transition
from challenges.tests.factories import add_phase, make_challenge, publish
from core.actors import Actor
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def published(owner, staff, **kwargs):
    challenge = make_challenge(owner, **kwargs)
    add_phase(challenge)
    add_phase(challenge, kind="front", prizes=("250", "100"))
    return publish(challenge, staff=staff)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def test_the_list_shows_published_challenges_only(client, owner, staff):
    published(owner, staff, title="Snow plough")
    make_challenge(owner, title="Unfinished draft")

    page = client.get(reverse("challenges:list")).content.decode()

    assert "Snow plough" in page
    assert "Unfinished draft" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vehicle_type=bus", ["City bus"]),
        ("status=open", ["City bus", "Desert ambulance"]),
        ("status=cancelled", []),
        ("budget_min=5000", ["Desert ambulance"]),
        ("budget_max=5000&currency=CHF", ["City bus"]),
        ("currency=EUR", ["Desert ambulance"]),
        ("q=Sahel", ["Desert ambulance"]),
        ("q=electric+bus", ["City bus"]),
        ("open_phase_kind=concept", ["City bus"]),
        ("open_phase_kind=front", []),
    ],
)
def test_the_list_filters(client, owner, staff, query, expected):
    published(owner, staff, title="Desert ambulance", summary="A 4x4 ambulance for the Sahel.")
    bus = published(
        owner, staff, title="City bus", summary="An electric bus for Lagos.", vehicle_type="bus", budget="4000",
        currency="CHF",
    )  # fmt: skip
    phase_transition(phase=bus.phases.get(kind="concept"), to=PhaseStatus.OPEN, actor=Actor.user(staff))

    page = client.get(f"{reverse('challenges:list')}?{query}").content.decode()

    assert sorted(t for t in ("Desert ambulance", "City bus") if t in page) == sorted(expected)


def test_the_list_reports_unreadable_filters_and_shows_everything(client, owner, staff):
    published(owner, staff)

    response = client.get(reverse("challenges:list") + "?budget_min=lots&vehicle_type=rocket")

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"budget_min", "vehicle_type"}
    assert "Desert ambulance" in response.content.decode()


def test_the_list_is_paginated_and_keeps_the_filters(client, owner, staff):
    for n in range(14):
        published(owner, staff, title=f"Truck {n:02}", vehicle_type="truck")

    first = client.get(reverse("challenges:list") + "?vehicle_type=truck")
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("challenges:list") + f"?vehicle_type=truck&cursor={cursor}")

    assert len(first.context["page"].object_list) == 12
    assert len(second.context["page"].object_list) == 2
    assert f"vehicle_type=truck&amp;cursor={cursor}" in first.content.decode()


def test_htmx_filtering_gets_just_the_results(client, owner, staff):
    published(owner, staff)

    response = client.get(reverse("challenges:list"), headers={"HX-Request": "true"})

    assert "<html" not in response.content.decode()
    assert 'data-testid="challenge-list"' in response.content.decode()


def test_the_list_page_costs_the_same_queries_for_one_or_many_challenges(client, owner, staff, member):
    """If this fails, a new query per row crept in: prefetch it, or justify a new constant."""
    published(owner, staff)
    client.force_login(member)
    one = queries(client, reverse("challenges:list"))
    for n in range(8):
        published(owner, staff, title=f"More {n}")
    many = queries(client, reverse("challenges:list"))

    assert one == many == 5  # member, count, page, phases, unread notifications (the session: cached)


def test_a_challenge_page_shows_brief_budget_split_timeline_and_judges(client, owner, staff, judge):
    challenge = make_challenge(
        owner,
        description="**Must** climb.\n\n<script>alert(1)</script>\n\n[map](https://example.com/map)",
        region="Graubünden",
        payload_kg=800,
    )
    add_phase(challenge, prizes=("3000",))
    add_phase(challenge, kind="drivetrain", prizes=("2000", "1000"))
    assignment = judge_invite(challenge=challenge, by=owner, email=judge.email)
    JudgeAssignment.objects.filter(pk=assignment.pk).update(status=JudgeStatus.ACCEPTED)
    publish(challenge, staff=staff)

    response = client.get(challenge.get_absolute_url())
    page = response.content.decode()

    assert "<strong>Must</strong> climb." in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="https://example.com/map" rel="nofollow noopener"' in page
    assert "Graubünden" in page
    assert "800 kg" in page
    assert [s.percent for s in response.context["budget_split"]] == [Decimal("30.0"), Decimal("30.0"), Decimal("40.0")]
    assert "Not yet promised" in page
    assert len(response.context["timeline"].rows) == 2
    assert "Judge" in page
    assert judge.email not in page  # invitations are for the owner's eyes


def test_a_challenge_page_costs_the_same_queries_however_many_phases_and_judges(client, owner, staff, member):
    small = published(owner, staff, title="Small", budget="100000")
    big = make_challenge(owner, title="Big", budget="100000")
    for kind in ("concept", "front", "rear", "side", "interior", "materials", "drivetrain", "other"):
        add_phase(big, kind=kind, prizes=("100", "50", "25"))
    for n in range(5):
        judge_invite(challenge=big, by=owner, email=f"judge{n}@example.com")
    publish(big, staff=staff)
    client.force_login(owner)
    client.get(small.get_absolute_url())  # warms the process-wide content-type cache

    small_count, big_count = queries(client, small.get_absolute_url()), queries(client, big.get_absolute_url())
    # member, challenge, phases, prizes, criteria, dependencies, judges, brief versions,
    # invitations, the member's judge role (page, then entry panels); entry counts, awards and
    # judging rules (submissions); unread notifications, follow, discussion access and comments; the
    # dossier panel and the second-generation panel (dossiers)
    assert small_count == big_count == 20  # (the session comes from the cache)


def test_the_dashboard_lists_my_challenges_and_costs_the_same_queries_for_many(client, owner, staff):
    client.force_login(owner)
    make_challenge(owner, title="My draft")
    one = queries(client, reverse("challenges:dashboard"))
    for n in range(6):
        published(owner, staff, title=f"Mine {n}")
    many = queries(client, reverse("challenges:dashboard"))

    # member, challenges, their phases, judging assignments, unread notifications (the session: cached)
    assert one == many == 5
    page = client.get(reverse("challenges:dashboard")).content.decode()
    assert "My draft" in page
    assert "Mine 5" in page
    assert "is a draft" in page


def test_a_judge_accepts_and_declares_conflicts_in_the_pages(client, open_challenge, owner):
    invitee = UserFactory.create(email="Invited@Example.com")
    assignment = judge_invite(challenge=open_challenge, by=owner, email="invited@example.com")
    client.force_login(invitee)

    assert "You are invited to judge" in client.get(reverse("challenges:dashboard")).content.decode()
    response = client.post(reverse("challenges:invitation", args=[assignment.token]), {"answer": "accept"})
    assert response["Location"] == reverse("challenges:conflicts", args=[assignment.pk])

    refused = client.post(response["Location"], {"has_conflict": "yes", "statement": ""})
    assert refused.status_code == 200
    assert "Describe the conflict" in refused.content.decode()
    client.post(response["Location"], {"has_conflict": "no", "statement": ""})

    assignment.refresh_from_db()
    assert (assignment.status, assignment.judge, assignment.may_score) == ("accepted", invitee, True)


def test_an_invitation_link_is_useless_to_anyone_else(client, open_challenge, owner, member):
    """A member who has not confirmed the invited address is told so, and refused (see
    `test_invitation_binding.py` for every way in)."""
    assignment = judge_invite(challenge=open_challenge, by=owner, email="invited@example.com")
    client.force_login(member)

    assert (
        client.post(reverse("challenges:invitation", args=[assignment.token]), {"answer": "accept"}).status_code == 403
    )
    assignment.refresh_from_db()
    assert assignment.status == "invited"


def test_the_owner_closes_a_phase_early_from_the_challenge_page(client, owner, staff):
    challenge = published(owner, staff)
    phase = challenge.phases.get(kind="concept")
    client.force_login(owner)
    move = reverse("challenges:move_phase", args=[challenge.slug, phase.pk])

    client.post(move, {"to": "open"})
    client.post(move, {"to": "judging", "reason": "Enough entries"})

    phase.refresh_from_db()
    assert phase.status == PhaseStatus.JUDGING
    assert phase.closes_at <= timezone.now() + timedelta(seconds=1)
    assert list(phase.transitions.values_list("to_status", "actor", "reason")) == [
        ("open", owner.pk, ""),
        ("judging", owner.pk, "Enough entries"),
    ]


def test_the_pages_speak_german(client, owner, staff):
    challenge = published(owner, staff)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    client.force_login(owner)

    listing = client.get(reverse("challenges:list")).content.decode()
    detail = client.get(challenge.get_absolute_url()).content.decode()

    assert "Challenge ausschreiben" in listing
    assert "Noch nicht verplant" in detail
    assert "Geplant" in detail


def test_every_message_of_the_app_has_a_german_translation():
    from pathlib import Path

    import polib

    catalogue = polib.pofile(str(Path(__file__).parents[1] / "locale" / "de" / "LC_MESSAGES" / "django.po"))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue) > 300


def test_a_phase_has_its_own_page_with_its_discussion(client, owner, staff, member):
    challenge = published(owner, staff, title="Snow plough")
    phase = challenge.phases.get(position=2)
    other = published(owner, staff, title="Tractor").phases.first()
    client.force_login(member)

    page = client.get(reverse("challenges:phase", kwargs={"slug": challenge.slug, "pk": phase.pk}))
    elsewhere = client.get(reverse("challenges:phase", kwargs={"slug": challenge.slug, "pk": other.pk}))
    draft = make_challenge(owner, title="Unpublished")
    hidden = client.get(reverse("challenges:phase", kwargs={"slug": draft.slug, "pk": add_phase(draft).pk}))

    assert page.status_code == 200
    assert phase.title in page.text
    assert 'data-testid="comments"' in page.text
    assert elsewhere.status_code == 404  # a phase is reached through its own challenge only
    assert hidden.status_code == 404


def test_followers_hear_of_a_phase_added_to_a_published_challenge_once(
    owner, staff, member, django_capture_on_commit_callbacks
):
    from community.models import Notification
    from community.services import follow_create

    challenge = published(owner, staff, title="Snow plough")
    follow_create(user=member, label="challenges.challenge", object_id=challenge.pk)

    with django_capture_on_commit_callbacks(execute=True):
        added = add_phase(challenge, kind="front", title="Front and blade")

    (notice,) = Notification.objects.filter(recipient=member, kind="phase_published")
    assert notice.event_key == f"phase-published:{added.pk}"
    assert notice.url == reverse("challenges:phase", kwargs={"slug": challenge.slug, "pk": added.pk})
