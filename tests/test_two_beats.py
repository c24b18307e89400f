"""One beat, safely: two beats running at once by mistake (two pods during a rollout) double no effect.

`config.celery.OncePerTickScheduler` claims each tick of each periodic task in Redis before sending it;
the sweeps behind the ticks claim their rows with `SKIP LOCKED` as well. The test runs two real
`celery beat` processes and a real worker on short schedules and counts every effect.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab, schedule
from django.utils import timezone

from config.celery import tick_claim
from tests import nodes

# --- the tick a beat claims -------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def claim(entry_schedule: object, when: str) -> tuple[str, int]:
    moment = at(when)
    return tick_claim("sweep", entry_schedule, now=moment, epoch=moment.timestamp())


def test_two_beats_sending_an_interval_task_within_one_window_claim_the_same_tick():
    every_30s = schedule(timedelta(seconds=30))

    first, ttl = claim(every_30s, "2026-11-30 07:00:05")
    second, _ = claim(every_30s, "2026-11-30 07:00:29.9")
    next_window, _ = claim(every_30s, "2026-11-30 07:00:30")

    assert first == second
    assert next_window != first
    assert ttl >= 30


def test_two_beats_sending_a_daily_crontab_claim_the_same_tick_and_tomorrows_is_another():
    daily = crontab(hour=7, minute=0)

    first, ttl = claim(daily, "2026-11-30 07:00:00.4")
    late, _ = claim(daily, "2026-11-30 07:00:59")
    very_late, _ = claim(daily, "2026-11-30 07:03:10")
    tomorrow, _ = claim(daily, "2026-12-01 07:00:01")

    assert first == late == very_late
    assert tomorrow != first
    assert ttl > 23 * 3600


def test_ticks_of_different_tasks_never_share_a_claim():
    every_30s = schedule(timedelta(seconds=30))
    moment = at("2026-11-30 07:00:05")

    assert (
        tick_claim("a", every_30s, now=moment, epoch=moment.timestamp())[0]
        != tick_claim("b", every_30s, now=moment, epoch=moment.timestamp())[0]
    )


# --- two real beats ---------------------------------------------------------------------------

EVERY = 2  # seconds between ticks of the short schedules
RUN_SECONDS = 24
PHASES = 6
FOLLOWERS = 3


def sent_and_skipped(beats: list[nodes.Node], entry: str) -> tuple[int, int]:
    logs = "".join(path.read_text(errors="replace") for beat in beats for path in beat.log_paths)
    sent = len(re.findall(rf"Sending due task {re.escape(entry)} ", logs))
    skipped = len(re.findall(rf"beat-tick:{re.escape(entry)}:\S+ was sent by another beat", logs))
    return sent, skipped


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_move_each_phase_once_notify_once_and_report_once_per_tick():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from challenges.models import Phase, PhaseStatus, PhaseTransition
    from challenges.tests.factories import add_phase, make_challenge, publish
    from community.models import Notification
    from community.services import follow_create
    from payments.models import ReconciliationRun
    from tests.support import UserFactory

    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    followers = [UserFactory.create() for _ in range(FOLLOWERS)]
    # Reports and "closes soon" notices every EVERY seconds, as the database schedule an admin edits.
    every = IntervalSchedule.objects.create(every=EVERY, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="test-reconcile", task="payments.reconcile", interval=every)
    PeriodicTask.objects.create(name="test-closing-soon", task="challenges.notify_closing_phases", interval=every)

    def publish_phases() -> list[Phase]:
        """All due at once, a few seconds after the beats start: only the sweeps and armed tasks move them."""
        start = timezone.now()
        phases = []
        for n in range(PHASES):
            challenge = make_challenge(owner, title=f"Two beats {n}")
            phases.append(
                add_phase(challenge, opens_at=start + timedelta(seconds=8), closes_at=start + timedelta(seconds=20))
            )
            publish(challenge, staff=staff)
            for follower in followers:
                follow_create(user=follower, label="challenges.challenge", object_id=challenge.pk)
        return phases

    env = nodes.node_env(
        CHALLENGES_SWEEP_SECONDS=str(EVERY),
        CHALLENGES_ARM_AHEAD_SECONDS=str(3 * EVERY),
        PAYMENTS_SWEEP_SECONDS=str(EVERY),
    )
    from config.celery_routes import queues_arg

    worker = nodes.worker("beats-worker", queues_arg(), env, concurrency=2)
    beats = [nodes.beat("beat-a", env), nodes.beat("beat-b", env)]

    def logs() -> str:
        return "\n".join(node.log_tail(8000) for node in [worker, *beats])

    with nodes.running([worker]):
        nodes.workers_ready([worker])
        phases = publish_phases()
        with nodes.running(beats[:1]):
            time.sleep(1.5)  # the first beat writes the apps' schedules into the database
            with nodes.running(beats[1:]):
                begun = time.monotonic()
                nodes.wait_for(
                    lambda: (
                        Phase.objects.filter(pk__in=[p.pk for p in phases], status=PhaseStatus.JUDGING).count()
                        == PHASES
                    ),
                    60,
                    f"every phase to open and close; logs:\n{logs()}",
                )
                time.sleep(max(0.0, RUN_SECONDS - (time.monotonic() - begun)))
                both_ran = time.monotonic() - begun
                assert all(beat.alive for beat in beats), logs()
        time.sleep(3)  # the worker finishes what the beats sent last

    moves = PhaseTransition.objects.filter(phase__in=phases)
    assert moves.count() == 2 * PHASES
    for phase in phases:
        assert sorted(moves.filter(phase=phase).values_list("to_status", flat=True)) == ["judging", "open"]
    closing = Notification.objects.filter(kind="phase_closing_soon")
    assert closing.count() == PHASES * FOLLOWERS, logs()
    assert closing.values("recipient", "event_key").distinct().count() == PHASES * FOLLOWERS

    sent, skipped = sent_and_skipped(beats, "test-reconcile")
    runs = ReconciliationRun.objects.count()
    windows = (both_ran + 1.5 + 3) / EVERY + 2  # every window a beat may have sent in, generously
    print(f"\nTwo beats for {both_ran:.0f} s: reconcile sent {sent}, skipped {skipped}, runs {runs}")  # noqa: T201
    assert skipped > 0, f"the second beat never tried: the test proves nothing\n{logs()}"
    assert runs == sent
    assert sent <= windows
    assert sent >= both_ran / EVERY / 2
