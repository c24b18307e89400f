"""Workers, repeated tasks and sweeps racing over the same due phases make each move exactly once.

Each thread has its own database connection (transactional tests: the data is committed)."""

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from celery.exceptions import Retry
from django.db import connection, transaction
from django.utils import timezone

from challenges import tasks
from challenges.models import Phase, PhaseStatus, PhaseTransition
from challenges.services import Advance, AdvanceResult, SweepReport, phase_advance_due, phases_sweep
from challenges.tests.factories import add_phase, make_challenge, publish
from core.actors import Actor
from tests.support import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(workers: list[Callable[[], object]]) -> list[object]:
    """Start all `workers` at once, each in a thread with its own connection; their results or errors."""
    barrier = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)

    def run(index: int, work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def due_phases(enqueued):
    """Twelve phases of four funded challenges, all due to open now."""
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    now = timezone.now()
    phases = []
    for n in range(4):
        challenge = make_challenge(owner, title=f"Race {n}", budget="90000")
        for kind in ("concept", "front", "rear"):
            phases.append(
                add_phase(challenge, kind=kind, opens_at=now + timedelta(seconds=2), closes_at=now + timedelta(days=1))
            )
        publish(challenge, staff=staff)
    return phases


def test_sweeps_and_due_tasks_racing_make_each_move_once(due_phases):
    at = due_phases[0].opens_at + timedelta(seconds=1)
    workers: list[Callable[[], object]] = [partial(phases_sweep, now=at) for _ in range(4)]
    for phase in due_phases:
        for _ in range(2):  # the ETA task, delivered twice
            task = partial(
                phase_advance_due,
                phase_id=phase.pk,
                actor=Actor.system("challenges.phase_advance"),
                due_at=phase.opens_at,
            )
            workers.append(partial(task, now=at))

    results = race(workers)

    assert not [r for r in results if isinstance(r, Exception)]
    for phase in due_phases:
        assert Phase.objects.get(pk=phase.pk).status == PhaseStatus.OPEN
        assert PhaseTransition.objects.filter(phase=phase).count() == 1
    sweeps = [r for r in results[:4] if isinstance(r, SweepReport)]
    tasks_made = [r for r in results[4:] if isinstance(r, AdvanceResult) and r.outcome == Advance.MOVED]
    made = sum(report.moved for report in sweeps) + len(tasks_made)
    assert made == len(due_phases)


def test_a_due_task_finding_the_row_busy_reports_it_and_asks_to_run_again(due_phases):
    phase = due_phases[0]
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        with transaction.atomic():
            Phase.objects.select_for_update().get(pk=phase.pk)
            locked.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    locked.wait(timeout=30)
    try:
        at = phase.opens_at + timedelta(seconds=1)
        assert phase_advance_due(phase_id=phase.pk, actor=Actor.system("t"), now=at).outcome == Advance.BUSY
        with pytest.raises(Retry):
            tasks.phase_advance.run(phase.pk, phase.opens_at.isoformat())
    finally:
        release.set()
        holder.join()

    assert (
        phase_advance_due(phase_id=phase.pk, actor=Actor.system("t"), now=phase.opens_at + timedelta(seconds=1)).outcome
        == Advance.MOVED
    )
