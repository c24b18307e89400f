"""Rules kept by the services beyond the state machines: publishing needs a prize, dependencies
point backwards, judges declare conflicts, announcements go out only after commit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from challenges import signals, tasks
from challenges.models import ChallengeStatus, JudgeStatus, PhaseStatus
from challenges.selectors import judge_may_score
from challenges.services import (
    challenge_submit_for_funding,
    challenge_update,
    judge_declare_conflicts,
    judge_invite,
    judge_respond,
    phase_builds_on_set,
    phase_create,
    phase_delete,
    phase_prizes_set,
    phase_transition,
    phase_update,
)
from challenges.tests.factories import add_phase, make_challenge, publish
from core.actors import Actor
from core.exceptions import ApplicationError
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def test_a_challenge_without_a_prize_cannot_be_submitted(owner):
    challenge = make_challenge(owner)
    add_phase(challenge, prizes=())

    with pytest.raises(ApplicationError, match="at least one prize"):
        challenge_submit_for_funding(challenge=challenge, by=owner)
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.DRAFT


def test_a_challenge_whose_phase_already_closed_cannot_be_submitted(owner, draft):
    phase = draft.phases.get()
    past = timezone.now() - timedelta(days=1)
    type(phase).objects.filter(pk=phase.pk).update(opens_at=past - timedelta(days=2), closes_at=past)

    with pytest.raises(ApplicationError, match="closes before now"):
        challenge_submit_for_funding(challenge=draft, by=owner)


def test_phases_depend_only_on_earlier_phases_of_the_same_challenge(owner, draft, other_client):
    concept = draft.phases.get()
    other = add_phase(make_challenge(other_client))
    later = add_phase(draft, kind="front")

    with pytest.raises(ApplicationError, match="earlier phases"):
        phase_update(phase=concept, by=owner, depends_on=[later])
    with pytest.raises(ApplicationError, match="earlier phases"):
        add_phase(draft, kind="rear", depends_on=[other])
    phase_update(phase=later, by=owner, depends_on=[concept])
    assert list(later.depends_on.all()) == [concept]


def test_a_phase_others_depend_on_cannot_be_removed(owner, draft):
    concept = draft.phases.get()
    add_phase(draft, kind="front", depends_on=[concept])

    with pytest.raises(ApplicationError, match="depend on this one"):
        phase_delete(phase=concept, by=owner)


def test_positions_follow_in_order_and_stay_unique(owner, draft):
    second, third = add_phase(draft, kind="front"), add_phase(draft, kind="rear")
    phase_delete(phase=second, by=owner)
    fourth = add_phase(draft, kind="side")

    assert [p.position for p in draft.phases.order_by("position")] == [1, 3, 4]
    assert (third.position, fourth.position) == (3, 4)


def test_amounts_are_exact_two_decimal_money(owner, draft):
    phase = draft.phases.get()
    for bad in ("0", "-5", "10.001", "NaN", "lots"):
        with pytest.raises(ApplicationError):
            phase_prizes_set(phase=phase, by=owner, amounts=[bad])
    phase_prizes_set(phase=phase, by=owner, amounts=["1234.5"])
    assert phase.prizes.get().amount == Decimal("1234.50")


def test_prizes_and_criteria_are_fixed_once_a_phase_opens(owner, staff, open_challenge):
    phase = open_challenge.phases.get()
    phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff))

    with pytest.raises(ApplicationError):
        phase_prizes_set(phase=phase, by=owner, amounts=["10"])


def test_another_client_cannot_change_a_challenge(other_client, draft):
    with pytest.raises(ApplicationError):
        challenge_update(challenge=draft, by=other_client, summary="Mine now")
    with pytest.raises(ApplicationError):
        phase_create(
            challenge=draft,
            by=other_client,
            kind="front",
            title="X",
            opens_at=timezone.now() + timedelta(days=1),
            closes_at=timezone.now() + timedelta(days=2),
            judging_ends_at=timezone.now() + timedelta(days=3),
        )


def test_a_judge_is_invited_accepts_declares_and_only_then_may_score(
    owner, draft, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assignment = judge_invite(challenge=draft, by=owner, email="Future.Judge@example.com")
    assert enqueued.invitations == [assignment.pk]
    tasks.send_judge_invitation(assignment.pk)
    assert mail.outbox[-1].to == ["future.judge@example.com"]
    assert assignment.token in mail.outbox[-1].body

    judge = UserFactory.create(email="future.judge@example.com")  # joins after the invitation
    assert not judge_may_score(user=judge, challenge_id=draft.pk)
    judge_respond(assignment=assignment, user=judge, accept=True)
    assert not judge_may_score(user=judge, challenge_id=draft.pk)
    with pytest.raises(ApplicationError, match="Describe"):
        judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=True)
    judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=False)
    assert judge_may_score(user=judge, challenge_id=draft.pk)

    judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=True, statement="I work for the client")
    assert not judge_may_score(user=judge, challenge_id=draft.pk)


def test_judge_invitations_refuse_the_owner_duplicates_and_strangers(owner, draft, member):
    judge_invite(challenge=draft, by=owner, email="judge@example.com")

    with pytest.raises(ApplicationError):
        judge_invite(challenge=draft, by=owner, email=owner.email)
    with pytest.raises(ApplicationError):
        judge_invite(challenge=draft, by=owner, email="JUDGE@example.com")
    with pytest.raises(ApplicationError):
        judge_respond(assignment=draft.judge_assignments.get(), user=member, accept=True)
    assert draft.judge_assignments.get().status == JudgeStatus.INVITED


def test_builds_on_names_winning_entries_once_the_required_phase_is_awarded(owner, staff):
    challenge = make_challenge(owner)
    concept = add_phase(challenge)
    front = add_phase(challenge, kind="front", depends_on=[concept])
    publish(challenge, staff=staff)

    with pytest.raises(ApplicationError):
        phase_builds_on_set(phase=front, required=concept, by=owner, entry_ids=[7])
    type(concept).objects.filter(pk=concept.pk).update(status=PhaseStatus.JUDGING)
    phase_transition(phase=concept, to=PhaseStatus.AWARDED, actor=Actor.user(staff))
    dependency = phase_builds_on_set(phase=front, required=concept, by=owner, entry_ids=[9, 7, 9])

    assert dependency.builds_on_entries == [7, 9]


def test_announcements_are_sent_after_commit_and_never_for_a_rollback(
    open_challenge, staff, django_capture_on_commit_callbacks
):
    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.phase_transitioned.connect(receiver)
    try:
        phase = open_challenge.phases.get()

        def move_then_fail() -> None:
            with transaction.atomic():
                phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff))
                raise RuntimeError("rolled back")

        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            move_then_fail()
        assert received == []

        with django_capture_on_commit_callbacks(execute=True):
            phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff), reason="go")
    finally:
        signals.phase_transitioned.disconnect(receiver)

    assert len(received) == 1
    assert {
        k: received[0][k] for k in ("phase_id", "challenge_id", "from_status", "to_status", "actor_id", "reason")
    } == {
        "phase_id": phase.pk,
        "challenge_id": open_challenge.pk,
        "from_status": "scheduled",
        "to_status": "open",
        "actor_id": staff.pk,
        "reason": "go",
    }


def test_a_failing_receiver_cannot_undo_or_break_a_move(open_challenge, staff, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise ValueError("receiver bug")

    signals.challenge_published.connect(broken)
    signals.challenge_submitted_for_funding.connect(broken)
    try:
        challenge = make_challenge(open_challenge.owner, title="Second")
        add_phase(challenge)
        with django_capture_on_commit_callbacks(execute=True):
            publish(challenge, staff=staff)
    finally:
        signals.challenge_published.disconnect(broken)
        signals.challenge_submitted_for_funding.disconnect(broken)

    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.OPEN
