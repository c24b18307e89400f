"""Every phase and challenge move, allowed and forbidden, for every kind of actor: the tables
in `challenges.lifecycle` are the rules, and the services follow them exactly."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override

from challenges.lifecycle import CHALLENGE, PHASE, Role
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
from challenges.services.common import actor_roles
from core.actors import Actor
from core.exceptions import ApplicationError, Conflict, NotAllowed

pytestmark = pytest.mark.django_db

PEOPLE = [Role.OWNER, Role.JUDGE, Role.STAFF, Role.SYSTEM]


def actor(role: Role, challenge: Challenge, judge: Any, staff: Any) -> Actor:
    return {
        Role.OWNER: Actor.user(challenge.owner),
        Role.JUDGE: Actor.user(judge),
        Role.STAFF: Actor.user(staff),
        Role.SYSTEM: Actor.system("payments.payouts_done"),
    }[role]


def force_phase_status(phase: Phase, status: str) -> None:
    """Test setup only: put the phase in `status` without a recorded move."""
    Phase.objects.filter(pk=phase.pk).update(status=status)


PHASE_CASES = [(frm, to, role) for frm in PhaseStatus for to in PhaseStatus if frm != to for role in PEOPLE]


@pytest.mark.parametrize(("frm", "to", "role"), PHASE_CASES, ids=[f"{f}->{t}-by-{r}" for f, t, r in PHASE_CASES])
def test_phase_move_is_made_exactly_when_the_table_allows_it(open_challenge, judge, staff, frm, to, role):
    phase = open_challenge.phases.get()
    force_phase_status(phase, frm)
    allowed = PHASE.allows(frm, to, {role})
    who = actor(role, open_challenge, judge, staff)

    if allowed:
        moved = phase_transition(phase=phase, to=to, reason="table test", actor=who)

        assert moved.status == to
        record = PhaseTransition.objects.get(phase=phase)
        assert (record.from_status, record.to_status, record.reason) == (frm, to, "table test")
        assert record.actor == who.recorded_user
        assert record.task == who.system_name
    else:
        with pytest.raises(ApplicationError):
            phase_transition(phase=phase, to=to, actor=who)

        phase.refresh_from_db()
        assert phase.status == frm
        assert not PhaseTransition.objects.exists()


def test_a_member_with_no_role_moves_nothing(open_challenge, member):
    phase = open_challenge.phases.get()
    for to in PhaseStatus:
        if to != phase.status:
            with pytest.raises(ApplicationError):
                phase_transition(phase=phase, to=to, actor=Actor.user(member))
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

    result = phase_advance_due(phase_id=phase.pk, actor=Actor.system("challenges.sweep"), now=now)

    phase.refresh_from_db()
    expected = {PhaseStatus.SCHEDULED: PhaseStatus.OPEN, PhaseStatus.OPEN: PhaseStatus.JUDGING}.get(frm)
    if expected:
        assert PHASE.allows(frm, expected, {Role.SCHEDULE})
        assert result.outcome == Advance.MOVED
        assert phase.status == expected
        assert PhaseTransition.objects.get(phase=phase).task == "challenges.sweep"
    else:
        assert result.outcome == Advance.NOT_DUE
        assert phase.status == frm
        assert phase.next_transition_at is None
        assert not PhaseTransition.objects.exists()


def test_the_table_gives_the_scheduler_no_other_move():
    assert {key for key, move in PHASE.moves.items() if Role.SCHEDULE in move.roles} == {
        (PhaseStatus.SCHEDULED, PhaseStatus.OPEN),
        (PhaseStatus.OPEN, PhaseStatus.JUDGING),
    }
    assert not any(Role.SCHEDULE in move.roles for move in CHALLENGE.moves.values())


def test_moving_to_the_current_status_changes_nothing(open_challenge, staff):
    phase = open_challenge.phases.get()

    assert (
        phase_transition(phase=phase, to=PhaseStatus.SCHEDULED, actor=Actor.user(staff)).status == PhaseStatus.SCHEDULED
    )
    assert (
        challenge_transition(challenge=open_challenge, to=ChallengeStatus.OPEN, actor=Actor.user(staff)).status
        == "open"
    )
    assert not PhaseTransition.objects.exists()
    assert ChallengeTransition.objects.filter(challenge=open_challenge).count() == 2  # submitted, funded


def test_an_unknown_status_is_refused(open_challenge, staff):
    with pytest.raises(ApplicationError):
        phase_transition(phase=open_challenge.phases.get(), to="paused", actor=Actor.user(staff))
    with pytest.raises(ApplicationError):
        challenge_transition(challenge=open_challenge, to="paused", actor=Actor.user(staff))


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
    allowed = CHALLENGE.allows(frm, to, {role})
    who = actor(role, challenge, judge, staff)

    if allowed:
        moved = challenge_transition(challenge=challenge, to=to, reason="table test", actor=who)

        assert moved.status == to
        record = ChallengeTransition.objects.get(challenge=challenge)
        assert (record.from_status, record.to_status, record.actor, record.task) == (
            frm,
            to,
            who.recorded_user,
            who.system_name,
        )
    else:
        with pytest.raises(ApplicationError):
            challenge_transition(challenge=challenge, to=to, actor=who)

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
    challenge_transition(challenge=draft, to=ChallengeStatus.FUNDING, actor=Actor.user(owner))

    with pytest.raises(ApplicationError, match="Money has been received."):
        challenge_transition(challenge=draft, to=ChallengeStatus.DRAFT, actor=Actor.user(owner))

    draft.refresh_from_db()
    assert draft.status == ChallengeStatus.FUNDING
    assert seen == [(draft.pk, "draft", "funding"), (draft.pk, "funding", "draft")]
    assert ChallengeTransition.objects.filter(challenge=draft).count() == 1


def test_the_refusals_name_the_move_in_the_members_language(open_challenge, judge, staff):
    phase = open_challenge.phases.get()

    with pytest.raises(NotAllowed, match="^You may not move this phase from “Scheduled” to “Open”.$"):
        phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(judge))
    with pytest.raises(Conflict, match="^A phase cannot move from “Scheduled” to “Closed”.$"):
        phase_transition(phase=phase, to=PhaseStatus.CLOSED, actor=Actor.user(staff))
    with override("de"), pytest.raises(Conflict, match="^Eine Challenge kann nicht von „"):
        challenge_transition(challenge=open_challenge, to=ChallengeStatus.DRAFT, actor=Actor.user(staff))


def test_only_a_system_actor_acts_as_the_system(open_challenge, staff):
    """Authority is in the actor's type: no string makes a member the system."""
    phase = open_challenge.phases.get()
    Phase.objects.filter(pk=phase.pk).update(status=PhaseStatus.AWARDED)

    assert Role.SYSTEM not in actor_roles(actor=Actor.user(staff), challenge=open_challenge)
    assert actor_roles(actor=Actor.system("payments.payouts_done"), challenge=open_challenge) == {Role.SYSTEM}
    phase_transition(
        phase=phase, to=PhaseStatus.CLOSED, actor=Actor.system("payments.payouts_done", on_behalf_of=staff)
    )

    record = PhaseTransition.objects.get(phase=phase)
    assert (record.actor, record.task, record.made_by) == (staff, "payments.payouts_done", staff.public_name)
