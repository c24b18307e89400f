"""A large sweep: due phases move in batches, each batch in a fixed number of queries whatever its
size; the beat task hands the batches to all workers; a repeated or racing batch moves nothing
twice; followers are told of each opening once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges import tasks
from challenges.models import Phase, PhaseHold, PhaseStatus, PhaseTransition
from challenges.services.transitions import SWEEP_TASK, phases_advance_batch, phases_sweep
from challenges.tests.factories import add_phase, make_challenge, publish
from community.models import Notification
from community.services import follow_create
from core.actors import Actor
from tests.support import UserFactory

pytestmark = pytest.mark.django_db
SECOND = timedelta(seconds=1)


@pytest.fixture
def make_due(owner, staff, enqueued):
    """`challenges` funded challenges of `per` phases each, all due to open at the returned time."""

    def make(challenges: int, per: int = 2, followers: list | None = None) -> tuple[list[Phase], object]:
        opens = timezone.now() + timedelta(minutes=10)
        phases = []
        for n in range(challenges):
            challenge = make_challenge(owner, title=f"Batch {n}", budget="90000")
            for k in range(per):
                phases.append(
                    add_phase(challenge, title=f"Round {k}", opens_at=opens, closes_at=opens + timedelta(days=1))
                )
            publish(challenge, staff=staff)
            for follower in followers or []:
                follow_create(user=follower, label="challenges.challenge", object_id=challenge.pk)
        return phases, opens + SECOND

    return make


def queries_to_move(phases: list[Phase], at) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = phases_advance_batch(phase_ids=[p.pk for p in phases], actor=Actor.system(SWEEP_TASK), now=at)
    assert report.moved == len(phases)
    return len(queries)


def test_a_batch_costs_the_same_queries_for_4_moves_as_for_24(make_due):
    phases, at = make_due(14)

    assert queries_to_move(phases[:4], at) == queries_to_move(phases[4:], at)


def test_a_batch_moves_each_due_phase_once_and_records_it(make_due):
    phases, at = make_due(3)

    first = phases_advance_batch(phase_ids=[p.pk for p in phases], actor=Actor.system(SWEEP_TASK), now=at)
    again = phases_advance_batch(phase_ids=[p.pk for p in phases], actor=Actor.system(SWEEP_TASK), now=at)

    assert (first.moved, again.moved, again.busy) == (6, 0, 0)
    records = PhaseTransition.objects.filter(phase__in=phases)
    assert sorted(records.values_list("phase_id", flat=True)) == sorted(p.pk for p in phases)
    assert {(r.from_status, r.to_status, r.task, r.due_at) for r in records} == {
        ("scheduled", "open", SWEEP_TASK, phases[0].opens_at)
    }
    moved = Phase.objects.get(pk=phases[0].pk)
    assert (moved.status, moved.next_transition_at, moved.hold) == (PhaseStatus.OPEN, moved.closes_at, "")


def test_a_batch_holds_a_phase_waiting_for_another_and_moves_the_rest(
    make_due, enqueued, django_capture_on_commit_callbacks
):
    phases, at = make_due(2)
    challenge = phases[0].challenge
    later = add_phase(
        challenge, title="Detail", opens_at=phases[0].opens_at + SECOND / 2, closes_at=phases[0].closes_at,
        depends_on=[phases[0]],
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        report = phases_advance_batch(
            phase_ids=[*(p.pk for p in phases), later.pk], actor=Actor.system(SWEEP_TASK), now=at
        )

    assert (report.moved, report.held) == (4, 1)
    assert Phase.objects.get(pk=later.pk).hold == PhaseHold.DEPENDENCIES
    assert [notice[0] for notice in enqueued.held_notices] == [later.pk]


def test_the_beat_task_makes_the_first_batch_and_hands_out_the_others(make_due, monkeypatch):
    phases, at = make_due(3)  # six due moves, in batches of two
    handed_out: list[list[int]] = []
    monkeypatch.setattr(tasks.sweep_batch, "apply_async", lambda args, **options: handed_out.append(args[0]))
    monkeypatch.setattr("challenges.services.transitions.SWEEP_BATCH", 2)
    monkeypatch.setattr("challenges.services.transitions.timezone.now", lambda: at)

    result = tasks.sweep.run()

    assert (result["moved"], result["dispatched"]) == (2, 4)
    assert len(handed_out) == 2
    for batch in handed_out:  # each as its own task, delivered twice
        assert tasks.sweep_batch.run(batch)["moved"] == 2
        assert tasks.sweep_batch.run(batch)["moved"] == 0
    assert PhaseTransition.objects.filter(phase__in=phases).count() == 6
    assert phases_sweep(now=at).moved == 0


def test_followers_are_told_of_each_opening_in_a_batch_once(make_due, django_capture_on_commit_callbacks):
    ada, jonas = UserFactory.create(), UserFactory.create()
    phases, at = make_due(3, followers=[ada, jonas])
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        phases_advance_batch(phase_ids=[p.pk for p in phases], actor=Actor.system(SWEEP_TASK), now=at)
    with django_capture_on_commit_callbacks(execute=True):
        phases_advance_batch(phase_ids=[p.pk for p in phases], actor=Actor.system(SWEEP_TASK), now=at)

    opened = Notification.objects.filter(kind="phase_opened")
    transitions = PhaseTransition.objects.filter(phase__in=phases).values_list("pk", flat=True)
    assert sorted(opened.values_list("event_key", "recipient_id")) == sorted(
        (f"phase-opened:{pk}", member.pk) for pk in transitions for member in (ada, jonas)
    )
    first = opened.get(recipient=ada, event_key=f"phase-opened:{PhaseTransition.objects.get(phase=phases[0]).pk}")
    assert first.context["phase"] == phases[0].title
    assert first.url.endswith(f"/{phases[0].pk}/")
