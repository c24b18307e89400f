"""Every phase and challenge move, allowed and forbidden, for every kind of actor: the tables
in `challenges.lifecycle` are the rules, and the services follow them exactly."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from challenges.lifecycle import CHALLENGE_MOVES, PHASE_MOVES, Role
from challenges.models import (
    Challenge,
    ChallengeStatus,
    ChallengeTransition,
    Phase,
    PhaseStatus,
    PhaseTransition,
)
from challenges.services import (
    Advance,
    challenge_transition,
    phase_advance_due,
    phase_transition,
)
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

PEOPLE = [Role.OWNER, Role.JUDGE, Role.STAFF, Role.SYSTEM]


def actor(role: Role, challenge: Challenge, judge: Any, staff: Any) -> dict[str, Any]:
    return {
        Role.OWNER: {"by": challenge.owner},
        Role.JUDGE: {"by": judge},
        Role.STAFF: {"by": staff},
        Role.SYSTEM: {"task": "payments.payouts_done"},
    }[role]


def force_phase_status(phase: Phase, status: str) -> None:
    """Test setup only: put the phase in `status` without a recorded move."""
    Phase.objects.filter(pk=phase.pk).update(status=status)


PHASE_CASES = [(frm, to, role) for frm in PhaseStatus for to in PhaseStatus if frm != to for role in PEOPLE]


@pytest.mark.parametrize(("frm", "to", "role"), PHASE_CASES, ids=[f"{f}->{t}-by-{r}" for f, t, r in PHASE_CASES])
def test_phase_move_is_made_exactly_when_the_table_allows_it(open_challenge, judge, staff, frm, to, role):
    phase = open_challenge.phases.get()
    force_phase_status(phase, frm)
    allowed = role in PHASE_MOVES.get((frm, to), frozenset())

    if allowed:
        moved = phase_transition(phase=phase, to=to, reason="table test", **actor(role, open_challenge, judge, staff))

        assert moved.status == to
        record = PhaseTransition.objects.get(phase=phase)
        assert (record.from_status, record.to_status, record.reason) == (frm, to, "table test")
        assert record.actor == actor(role, open_challenge, judge, staff).get("by")
        assert record.task == actor(role, open_challenge, judge, staff).get("task", "")
    else:
        with pytest.raises(ApplicationError):
            phase_transition(phase=phase, to=to, **actor(role, open_challenge, judge, staff))

        phase.refresh_from_db()
        assert phase.status == frm
        assert not PhaseTransition.objects.exists()


def test_a_member_with_no_role_moves_nothing(open_challenge, member):
    phase = open_challenge.phases.get()
    for to in PhaseStatus:
        if to != phase.status:
            with pytest.raises(ApplicationError):
                phase_transition(phase=phase, to=to, by=member)
    assert not PhaseTransition.objects.exists()


@pytest.mark.parametrize("frm", list(PhaseStatus))
def test_the_scheduler_makes_only_the_time_driven_moves(open_challenge, frm):
    phase = open_challenge.phases.get()
    now = timezone.now()
    Phase.objects.filter(pk=phase.pk).update(
        status=frm,
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(seconds=1) if frm == PhaseStatus.OPEN else now + timedelta(days=1),
        judging_ends_at=now + timedelta(days=3),
        next_transition_at=now - timedelta(seconds=1),
    )

    result = phase_advance_due(phase_id=phase.pk, task="challenges.sweep", now=now)

    phase.refresh_from_db()
    expected = {PhaseStatus.SCHEDULED: PhaseStatus.OPEN, PhaseStatus.OPEN: PhaseStatus.JUDGING}.get(frm)
    if expected:
        assert Role.SCHEDULE in PHASE_MOVES[(frm, expected)]
        assert result.outcome == Advance.MOVED
        assert phase.status == expected
        assert PhaseTransition.objects.get(phase=phase).task == "challenges.sweep"
    else:
        assert result.outcome == Advance.NOT_DUE
        assert phase.status == frm
        assert phase.next_transition_at is None
        assert not PhaseTransition.objects.exists()


def test_the_table_gives_the_scheduler_no_other_move():
    assert {move for move, roles in PHASE_MOVES.items() if Role.SCHEDULE in roles} == {
        (PhaseStatus.SCHEDULED, PhaseStatus.OPEN),
        (PhaseStatus.OPEN, PhaseStatus.JUDGING),
    }
    assert not any(Role.SCHEDULE in roles for roles in CHALLENGE_MOVES.values())


def test_moving_to_the_current_status_changes_nothing(open_challenge, staff):
    phase = open_challenge.phases.get()

    assert phase_transition(phase=phase, to=PhaseStatus.SCHEDULED, by=staff).status == PhaseStatus.SCHEDULED
    assert challenge_transition(challenge=open_challenge, to=ChallengeStatus.OPEN, by=staff).status == "open"
    assert not PhaseTransition.objects.exists()
    assert ChallengeTransition.objects.filter(challenge=open_challenge).count() == 2  # submitted, funded


def test_an_unknown_status_is_refused(open_challenge, staff):
    with pytest.raises(ApplicationError):
        phase_transition(phase=open_challenge.phases.get(), to="paused", by=staff)
    with pytest.raises(ApplicationError):
        challenge_transition(challenge=open_challenge, to="paused", by=staff)


CHALLENGE_CASES = [(frm, to, role) for frm in ChallengeStatus for to in ChallengeStatus if frm != to for role in PEOPLE]


def prepare_challenge_in(challenge: Challenge, status: str) -> None:
    """Test setup only: the challenge in `status`, with everything that status implies."""
    fields: dict[str, Any] = {"status": status}
    if status in (ChallengeStatus.OPEN, ChallengeStatus.COMPLETED):
        fields["published_at"] = timezone.now()
    Challenge.objects.filter(pk=challenge.pk).update(**fields)
    if status == ChallengeStatus.OPEN:
        # Completing needs every phase closed or cancelled.
        Phase.objects.filter(challenge=challenge).update(status=PhaseStatus.CLOSED)


@pytest.mark.parametrize(
    ("frm", "to", "role"), CHALLENGE_CASES, ids=[f"{f}->{t}-by-{r}" for f, t, r in CHALLENGE_CASES]
)
def test_challenge_move_is_made_exactly_when_the_table_allows_it(owner, judge, staff, frm, to, role):
    from challenges.services import judge_invite, judge_respond
    from challenges.tests.factories import add_phase, make_challenge

    challenge = make_challenge(owner)
    add_phase(challenge)
    judge_respond(assignment=judge_invite(challenge=challenge, by=owner, email=judge.email), user=judge, accept=True)
    prepare_challenge_in(challenge, frm)
    allowed = role in CHALLENGE_MOVES.get((frm, to), frozenset())
    who = actor(role, challenge, judge, staff)

    if allowed:
        moved = challenge_transition(challenge=challenge, to=to, reason="table test", **who)

        assert moved.status == to
        record = ChallengeTransition.objects.get(challenge=challenge)
        assert (record.from_status, record.to_status, record.actor, record.task) == (
            frm,
            to,
            who.get("by"),
            who.get("task", ""),
        )
    else:
        with pytest.raises(ApplicationError):
            challenge_transition(challenge=challenge, to=to, **who)

        challenge.refresh_from_db()
        assert challenge.status == frm
        assert not ChallengeTransition.objects.exists()


def test_a_guard_of_a_higher_app_refuses_a_move_with_its_reason_and_nothing_changes(owner, draft, monkeypatch):
    """Apps above challenges (payments: money received) veto moves through `challenges.guards`."""
    from challenges import guards

    monkeypatch.setattr(guards, "_guards", [])
    seen = []

    def no_going_back(challenge, from_status, to_status):
        seen.append((challenge.pk, from_status, to_status))
        return "Money has been received." if to_status == ChallengeStatus.DRAFT else None

    guards.register_challenge_move_guard(no_going_back)
    challenge_transition(challenge=draft, to=ChallengeStatus.FUNDING, by=owner)

    with pytest.raises(ApplicationError, match="Money has been received."):
        challenge_transition(challenge=draft, to=ChallengeStatus.DRAFT, by=owner)

    draft.refresh_from_db()
    assert draft.status == ChallengeStatus.FUNDING
    assert seen == [(draft.pk, "draft", "funding"), (draft.pk, "funding", "draft")]
    assert ChallengeTransition.objects.filter(challenge=draft).count() == 1
