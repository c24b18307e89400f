"""Phases move by themselves, on time: the sweep makes what is due, short ETA tasks make it on
the second, changed dates win over old tasks, and a lost task is caught by the next sweep."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from challenges import tasks
from challenges.models import ChallengeStatus, Phase, PhaseHold, PhaseStatus, PhaseTransition
from challenges.selectors import dashboard_for
from challenges.services import (
    Advance,
    challenge_cancel,
    phase_advance_due,
    phase_transition,
    phase_update,
    phases_sweep,
)
from challenges.tests.factories import add_phase, make_challenge, publish
from core.actors import Actor
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
SECOND = timedelta(seconds=1)


def fresh(phase: Phase) -> Phase:
    return Phase.objects.get(pk=phase.pk)


def moves(phase: Phase) -> list[tuple[str, str, str]]:
    return list(
        PhaseTransition.objects.filter(phase=phase).order_by("pk").values_list("from_status", "to_status", "task")
    )


@pytest.fixture
def soon(owner, staff, enqueued, django_capture_on_commit_callbacks):
    """A published challenge whose only phase opens in 60 s (inside the arming window)."""
    now = timezone.now()
    challenge = make_challenge(owner)
    phase = add_phase(challenge, opens_at=now + timedelta(seconds=60), closes_at=now + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        publish(challenge, staff=staff)
    return fresh(phase)


def test_phases_of_unfunded_challenges_have_no_deadline(draft):
    assert draft.phases.get().next_transition_at is None


def test_funding_gives_each_phase_its_next_deadline_and_arms_the_imminent_one(soon, enqueued):
    assert soon.next_transition_at == soon.opens_at
    assert enqueued.armed == [(soon.pk, soon.opens_at.isoformat(), soon.opens_at)]


def test_deadlines_far_ahead_are_not_armed_yet(owner, staff, enqueued, django_capture_on_commit_callbacks):
    challenge = make_challenge(owner)
    phase = add_phase(challenge, opens_at=timezone.now() + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        publish(challenge, staff=staff)

    assert fresh(phase).next_transition_at == phase.opens_at
    assert enqueued.armed == []  # a week-long ETA would be redelivered by Redis again and again


def test_the_sweep_arms_what_falls_due_before_the_next_sweep_once(
    owner, staff, enqueued, django_capture_on_commit_callbacks, settings
):
    now = timezone.now()
    challenge = make_challenge(owner)
    phase = add_phase(challenge, opens_at=now + timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        publish(challenge, staff=staff)
    assert enqueued.armed == []

    later = phase.opens_at - timedelta(seconds=settings.CHALLENGES_ARM_AHEAD_SECONDS - 5)
    with django_capture_on_commit_callbacks(execute=True):
        first = phases_sweep(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        second = phases_sweep(now=later + SECOND)

    assert (first.armed, second.armed) == (1, 0)
    assert enqueued.armed == [(phase.pk, phase.opens_at.isoformat(), phase.opens_at)]
    eta = enqueued.armed[0][2]
    assert eta - later <= timedelta(seconds=settings.CHALLENGES_ARM_AHEAD_SECONDS)


def test_the_due_task_opens_then_the_sweep_closes_on_time(soon):
    result = phase_advance_due(
        phase_id=soon.pk, actor=Actor.system("challenges.phase_advance"), due_at=soon.opens_at, now=soon.opens_at
    )

    assert result.outcome == Advance.MOVED
    opened = fresh(soon)
    assert opened.status == PhaseStatus.OPEN
    assert opened.next_transition_at == opened.closes_at
    record = PhaseTransition.objects.get(phase=soon)
    assert (record.task, record.due_at, record.actor) == ("challenges.phase_advance", soon.opens_at, None)

    report = phases_sweep(now=opened.closes_at + SECOND)

    assert report.moved == 1
    assert fresh(soon).status == PhaseStatus.JUDGING
    assert fresh(soon).next_transition_at is None
    assert moves(soon) == [
        ("scheduled", "open", "challenges.phase_advance"),
        ("open", "judging", "challenges.sweep"),
    ]


def test_a_task_arriving_early_waits_for_its_deadline(soon):
    result = phase_advance_due(
        phase_id=soon.pk, actor=Actor.system("t"), due_at=soon.opens_at, now=soon.opens_at - 2 * SECOND
    )

    assert result.outcome == Advance.EARLY
    assert result.retry_in == pytest.approx(2.0)
    assert fresh(soon).status == PhaseStatus.SCHEDULED


def test_a_repeated_task_makes_the_move_once(soon):
    first = phase_advance_due(phase_id=soon.pk, actor=Actor.system("t"), due_at=soon.opens_at, now=soon.opens_at)
    again = phase_advance_due(
        phase_id=soon.pk, actor=Actor.system("t"), due_at=soon.opens_at, now=soon.opens_at + SECOND
    )
    sweep = phases_sweep(now=soon.opens_at + 2 * SECOND)

    assert (first.outcome, again.outcome, sweep.moved) == (Advance.MOVED, Advance.NOT_DUE, 0)
    assert moves(soon) == [("scheduled", "open", "t")]


def test_a_lost_task_is_made_up_for_by_the_next_sweep(soon, enqueued):
    assert fresh(soon).armed_for == soon.opens_at  # armed, but the worker holding it crashed: never runs

    report = phases_sweep(now=soon.opens_at + 20 * SECOND)

    assert report.moved == 1
    assert moves(soon) == [("scheduled", "open", "challenges.sweep")]


def test_a_later_deadline_set_by_the_owner_wins_and_the_old_task_does_nothing(
    soon, owner, enqueued, django_capture_on_commit_callbacks
):
    old_deadline = soon.opens_at
    new_deadline = old_deadline + timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        phase_update(phase=soon, by=owner, opens_at=new_deadline)

    assert fresh(soon).next_transition_at == new_deadline
    assert enqueued.armed[-1] == (soon.pk, new_deadline.isoformat(), new_deadline)

    stale = phase_advance_due(phase_id=soon.pk, actor=Actor.system("t"), due_at=old_deadline, now=old_deadline + SECOND)
    assert stale.outcome == Advance.NOT_DUE
    assert phases_sweep(now=old_deadline + SECOND).moved == 0
    assert fresh(soon).status == PhaseStatus.SCHEDULED

    made = phase_advance_due(phase_id=soon.pk, actor=Actor.system("t"), due_at=new_deadline, now=new_deadline)
    assert made.outcome == Advance.MOVED
    assert moves(soon) == [("scheduled", "open", "t")]


def test_an_earlier_deadline_set_by_the_owner_is_armed_and_the_old_task_later_does_nothing(
    soon, owner, enqueued, django_capture_on_commit_callbacks
):
    old_deadline = soon.opens_at
    new_deadline = old_deadline - timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        phase_update(phase=soon, by=owner, opens_at=new_deadline, now=new_deadline - timedelta(seconds=5))

    assert enqueued.armed[-1][2] == new_deadline
    assert (
        phase_advance_due(phase_id=soon.pk, actor=Actor.system("t"), due_at=new_deadline, now=new_deadline).outcome
        == Advance.MOVED
    )
    stale = phase_advance_due(phase_id=soon.pk, actor=Actor.system("t"), due_at=old_deadline, now=old_deadline)
    assert stale.outcome == Advance.NOT_DUE
    assert moves(soon) == [("scheduled", "open", "t")]


def test_a_phase_waits_for_the_phase_it_depends_on_and_its_owner_is_told(
    owner, staff, judge, enqueued, django_capture_on_commit_callbacks
):
    now = timezone.now()
    challenge = make_challenge(owner)
    concept = add_phase(challenge, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2))
    detail = add_phase(
        challenge,
        kind="front",
        opens_at=now + timedelta(hours=3),
        closes_at=now + timedelta(days=3),
        depends_on=[concept],
        prizes=("500",),
    )
    with django_capture_on_commit_callbacks(execute=True):
        publish(challenge, staff=staff)
    phases_sweep(now=concept.opens_at)
    phases_sweep(now=concept.closes_at)
    assert fresh(concept).status == PhaseStatus.JUDGING

    with django_capture_on_commit_callbacks(execute=True):
        report = phases_sweep(now=detail.opens_at + SECOND)

    waiting = fresh(detail)
    assert report.held == 1
    assert (waiting.status, waiting.hold, waiting.next_transition_at) == ("scheduled", PhaseHold.DEPENDENCIES, None)
    assert enqueued.held_notices == [(detail.pk, "dependencies")]
    assert [item.kind for item in dashboard_for(user=owner).actions] == ["phase_waiting"]
    tasks.notify_owner_phase_held(detail.pk, "dependencies")
    assert mail.outbox[-1].to == [owner.email]
    assert "waiting" in mail.outbox[-1].subject
    assert phases_sweep(now=detail.opens_at + 10 * SECOND).held == 0  # told once, not every sweep

    with django_capture_on_commit_callbacks(execute=True):
        phase_transition(
            phase=concept, to=PhaseStatus.AWARDED, actor=Actor.user(staff), now=detail.opens_at + timedelta(minutes=2)
        )

    released = fresh(detail)
    assert (released.hold, released.next_transition_at) == ("", released.opens_at)
    assert enqueued.armed[-1][0] == detail.pk  # due already: armed to run at once
    now_then = detail.opens_at + timedelta(minutes=2, seconds=1)
    assert phase_advance_due(phase_id=detail.pk, actor=Actor.system("t"), now=now_then).outcome == Advance.MOVED
    assert fresh(detail).status == PhaseStatus.OPEN


def test_a_phase_whose_entry_period_passed_unopened_waits_for_new_dates(
    owner, staff, enqueued, django_capture_on_commit_callbacks
):
    now = timezone.now()
    challenge = make_challenge(owner)
    phase = add_phase(challenge, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2))
    publish(challenge, staff=staff)

    with django_capture_on_commit_callbacks(execute=True):
        phases_sweep(now=phase.closes_at + SECOND)  # the platform was down for the whole entry period

    assert fresh(phase).hold == PhaseHold.DATES_PASSED
    assert enqueued.held_notices == [(phase.pk, "dates_passed")]
    assert [item.kind for item in dashboard_for(user=owner).actions] == ["phase_needs_dates"]

    later = phase.closes_at + timedelta(minutes=1)
    phase_update(phase=phase, by=owner, closes_at=later + timedelta(days=2), now=later)

    assert fresh(phase).hold == ""
    assert phases_sweep(now=later + SECOND).moved == 1
    assert fresh(phase).status == PhaseStatus.OPEN


def test_an_open_phase_keeps_its_opening_date_but_may_run_longer(soon, owner):
    phase_advance_due(phase_id=soon.pk, actor=Actor.system("t"), now=soon.opens_at)
    longer = soon.closes_at + timedelta(days=1)

    with pytest.raises(ApplicationError):
        phase_update(phase=soon, by=owner, opens_at=soon.opens_at + SECOND)
    with pytest.raises(ApplicationError):
        phase_update(phase=soon, by=owner, title="Renamed")
    phase_update(phase=soon, by=owner, closes_at=longer, judging_ends_at=longer + timedelta(days=1))

    assert fresh(soon).next_transition_at == longer


def test_opening_and_closing_early_rewrite_the_dates(soon, owner, staff):
    phase_transition(phase=soon, to=PhaseStatus.OPEN, actor=Actor.user(owner), reason="We are ready")
    opened = fresh(soon)
    assert opened.opens_at <= timezone.now()
    assert opened.next_transition_at == opened.closes_at

    phase_transition(phase=soon, to=PhaseStatus.JUDGING, actor=Actor.user(staff))
    closed = fresh(soon)
    assert closed.closes_at <= timezone.now()
    assert closed.next_transition_at is None
    assert [r[:2] for r in moves(soon)] == [("scheduled", "open"), ("open", "judging")]


def test_a_phase_cannot_open_before_its_challenge_is_funded(draft, owner, staff):
    with pytest.raises(ApplicationError):
        phase_transition(phase=draft.phases.get(), to=PhaseStatus.OPEN, actor=Actor.user(staff))


def test_cancelling_a_challenge_cancels_its_phases_not_yet_awarded(owner, staff, judge):
    challenge = make_challenge(owner)
    awarded = add_phase(challenge)
    open_ = add_phase(challenge, kind="front")
    publish(challenge, staff=staff)
    Phase.objects.filter(pk=awarded.pk).update(status=PhaseStatus.AWARDED)
    Phase.objects.filter(pk=open_.pk).update(status=PhaseStatus.OPEN)

    challenge_cancel(challenge=challenge, actor=Actor.user(staff), reason="Client withdrew")

    assert fresh(awarded).status == PhaseStatus.AWARDED  # its winners are still paid
    assert fresh(open_).status == PhaseStatus.CANCELLED
    assert fresh(open_).next_transition_at is None
    assert moves(open_) == [("open", "cancelled", "challenges.challenge_cancelled")]


def test_the_challenge_completes_when_its_last_phase_closes(owner, staff):
    challenge = make_challenge(owner)
    first, second = add_phase(challenge), add_phase(challenge, kind="rear")
    publish(challenge, staff=staff)
    Phase.objects.filter(pk=first.pk).update(status=PhaseStatus.AWARDED)
    phase_transition(phase=second, to=PhaseStatus.CANCELLED, actor=Actor.user(staff))
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.OPEN

    phase_transition(phase=first, to=PhaseStatus.CLOSED, actor=Actor.system("payments.payouts_done"))

    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.COMPLETED
    completion = challenge.transitions.order_by("pk").last()
    assert completion is not None
    assert (completion.to_status, completion.task) == ("completed", "payments.payouts_done")


def test_the_eta_task_does_nothing_when_its_deadline_is_stale(soon):
    assert tasks.phase_advance.run(soon.pk, (soon.opens_at - SECOND).isoformat()) == "not_due"


@override_settings(CHALLENGES_ARM_AHEAD_SECONDS=10, CHALLENGES_SWEEP_SECONDS=30)
def test_the_settings_check_refuses_an_arming_window_shorter_than_two_sweeps():
    from challenges.checks import phase_clock_settings

    assert [error.id for error in phase_clock_settings(None)] == ["challenges.E002"]


def test_the_default_clock_settings_pass_the_check():
    from challenges.checks import phase_clock_settings

    assert phase_clock_settings(None) == []
