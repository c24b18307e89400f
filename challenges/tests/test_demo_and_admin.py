"""The demo challenge, and staff running challenges from the admin."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from challenges.models import Challenge, JudgeStatus, Phase, PhaseStatus, PhaseTransition
from challenges.services import challenge_submit_for_funding
from community.demo import demo_user
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


def test_the_demo_challenge_is_open_with_its_concept_phase_taking_entries_and_loads_once(monkeypatch):
    # The completed Sahel ambulance and its dossier are loaded and checked in dossiers/tests/test_demo.py.
    monkeypatch.setattr("dossiers.demo.load", lambda out: None)
    call_command("load_demo_data", stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())

    challenge = Challenge.objects.get()
    assert (challenge.title, challenge.owner, challenge.status) == ("Alpine delivery van", demo_user("client"), "open")
    phases = list(challenge.phases.order_by("position"))
    assert [(p.kind, p.status) for p in phases] == [
        ("concept", "open"),
        ("front", "scheduled"),
        ("wheels_tyres", "scheduled"),
        ("drivetrain", "scheduled"),
    ]
    assert all(list(p.depends_on.all()) == [phases[0]] for p in phases[1:])
    assert all(p.prizes.exists() and p.criteria.exists() for p in phases)
    judge = challenge.judge_assignments.get()
    assert (judge.judge, judge.status, judge.may_score) == (demo_user("judge"), JudgeStatus.ACCEPTED, True)
    assert PhaseTransition.objects.count() == 1


@pytest.fixture
def staff_client(client, staff):
    sign_in(client, staff)
    return client


def test_the_admin_has_no_mark_funded_action_funding_is_recorded_by_payments(staff_client, owner, draft):
    challenge_submit_for_funding(challenge=draft, by=owner)

    response = staff_client.get(reverse("admin:challenges_challenge_changelist"))

    assert response.status_code == 200
    assert "mark_funded" not in response.content.decode()


def test_admin_actions_report_refusals_and_change_nothing(staff_client, draft):
    phase = draft.phases.get()

    response = staff_client.post(
        reverse("admin:challenges_phase_changelist"),
        {"action": "close_phase", "_selected_action": [phase.pk]},
        follow=True,
    )

    assert "cannot move" in response.content.decode()
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.SCHEDULED


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("open_now", PhaseStatus.SCHEDULED, PhaseStatus.OPEN),
        ("close_entries", PhaseStatus.OPEN, PhaseStatus.JUDGING),
        ("mark_awarded", PhaseStatus.JUDGING, PhaseStatus.AWARDED),
        ("close_phase", PhaseStatus.AWARDED, PhaseStatus.CLOSED),
        ("cancel_phase", PhaseStatus.OPEN, PhaseStatus.CANCELLED),
    ],
)
def test_staff_move_phases_from_the_admin(staff_client, open_challenge, action, start, end):
    phase = open_challenge.phases.get()
    Phase.objects.filter(pk=phase.pk).update(status=start)

    staff_client.post(reverse("admin:challenges_phase_changelist"), {"action": action, "_selected_action": [phase.pk]})

    phase.refresh_from_db()
    assert phase.status == end
    assert PhaseTransition.objects.get(phase=phase).to_status == end


def test_the_admin_shows_challenges_with_phases_and_history_read_only(staff_client, open_challenge):
    phase = open_challenge.phases.get()
    pages = [
        reverse("admin:challenges_challenge_changelist") + "?status__exact=open",
        reverse("admin:challenges_challenge_change", args=[open_challenge.pk]),
        reverse("admin:challenges_phase_change", args=[phase.pk]),
        reverse("admin:challenges_phasetransition_changelist"),
        reverse("admin:challenges_challengetransition_changelist"),
        reverse("admin:challenges_judgeassignment_changelist"),
    ]
    for url in pages:
        assert staff_client.get(url).status_code == 200, url
    change_page = staff_client.get(pages[1]).content.decode()
    assert phase.title in change_page
    assert staff_client.get(reverse("admin:challenges_phasetransition_add")).status_code == 403
    assert staff_client.get(reverse("admin:challenges_challenge_add")).status_code == 403
