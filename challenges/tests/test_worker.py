"""A real Celery worker process makes the moves: on time from the short ETA task, and from the
sweep when the task was lost."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from challenges import tasks
from challenges.models import Phase, PhaseStatus, PhaseTransition
from challenges.tests.factories import add_phase, make_challenge, publish
from tests.support import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TARGET_SECONDS = 5


def wait_for_status(phase: Phase, status: str, timeout: float = 60) -> Phase:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = Phase.objects.get(pk=phase.pk)
        if current.status == status:
            return current
        time.sleep(0.1)
    raise AssertionError(f"phase {phase.pk} still {Phase.objects.get(pk=phase.pk).status}, expected {status}")


def test_the_worker_opens_and_closes_a_phase_on_time_from_its_eta_tasks(celery_worker_process):
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    challenge = make_challenge(owner)
    now = timezone.now()
    phase = add_phase(challenge, opens_at=now + timedelta(seconds=4), closes_at=now + timedelta(seconds=8))

    publish(challenge, staff=staff)  # commits; the ETA task for the opening goes to the broker

    wait_for_status(phase, PhaseStatus.OPEN, timeout=30)
    wait_for_status(phase, PhaseStatus.JUDGING, timeout=30)
    records = list(PhaseTransition.objects.filter(phase=phase).order_by("pk"))
    assert [(r.from_status, r.to_status, r.task) for r in records] == [
        ("scheduled", "open", "challenges.phase_advance"),
        ("open", "judging", "challenges.phase_advance"),
    ]
    for record in records:
        assert record.due_at is not None
        assert timedelta(0) <= record.created_at - record.due_at < timedelta(seconds=TARGET_SECONDS)


def test_the_worker_running_the_sweep_makes_a_move_whose_task_was_lost(celery_worker_process):
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    challenge = make_challenge(owner)
    phase = add_phase(challenge, opens_at=timezone.now() + timedelta(days=2))
    publish(challenge, staff=staff)
    # The deadline came and went while its task was lost (never armed, or its worker died).
    past = timezone.now() - timedelta(seconds=5)
    Phase.objects.filter(pk=phase.pk).update(opens_at=past, next_transition_at=past, armed_for=past)

    tasks.sweep.delay()

    opened = wait_for_status(phase, PhaseStatus.OPEN, timeout=30)
    assert PhaseTransition.objects.get(phase=opened).task == "challenges.sweep"
