"""10,000 phases due in the same minute: how long until every move is made, by one worker and by two?
Target: under 10 seconds, each move made exactly once.

Builds 1,250 funded, open challenges of 8 phases each (one made through the services, the rest
bulk copies of its rows), each followed by two members. In every challenge four phases close
(open -> judging) and four open (scheduled -> open), their deadlines spread over the minute
before the run. Then real Celery worker processes (the project's settings, real PostgreSQL and
Redis, `--concurrency 1` each) get the sweep as beat sends it: once at the start (twice at once
with two workers: concurrent sweeps must not double a move) and again every
`CHALLENGES_SWEEP_SECONDS`, until every move is recorded. Each run starts from fresh data.

    make bench ARGS=bench/bench_phase_sweep.py

Printed: phases, workers, seconds until the last move is recorded (and until the last "phase
opened" notification), moves/s, seconds / target. Asserted: every phase moved once, in the right
direction; one notification per follower and opening, keyed by the opening's transition.

BENCH_SWEEP_PHASES (default 10000, a multiple of 8) and BENCH_SWEEP_TIMEOUT (default 120 s) size the run.
"""

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from challenges.models import (
    BriefVersion,
    Challenge,
    ChallengeStatus,
    ChallengeTransition,
    Criterion,
    Phase,
    PhaseStatus,
    PhaseTransition,
    Prize,
)
from challenges.services.transitions import SWEEP_TASK
from challenges.tests.factories import add_phase, make_challenge, publish
from community.models import EmailFrequency, Follow, Notification
from config.celery_routes import queues_arg
from conftest import ROOT, database_url_for_tests
from tests.support import UserFactory

TARGET_SECONDS = 10.0
PHASES_PER_CHALLENGE = 8
PHASES = int(os.environ.get("BENCH_SWEEP_PHASES", "10000"))
TIMEOUT = float(os.environ.get("BENCH_SWEEP_TIMEOUT", "120"))

pytestmark = pytest.mark.django_db(transaction=True)


# --- Data ---------------------------------------------------------------------------------------


def _copy(instance, **changes):
    clone = type(instance)(**{f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields})
    clone.pk = None
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def build_due_phases(count: int) -> tuple[list[int], int]:
    """`count` phases of funded, open challenges, all due within the last minute; their ids and
    the number of followers per challenge."""
    assert count % PHASES_PER_CHALLENGE == 0
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    followers = [UserFactory.create(), UserFactory.create()]
    followers[0].email_frequency = EmailFrequency.DAILY  # the digest: no mail task per notification
    followers[1].email_frequency = EmailFrequency.OFF
    for follower in followers:
        follower.save(update_fields=["email_frequency"])

    far = timezone.now() + timedelta(days=30)
    template = make_challenge(owner, title="Sweep template", budget="80000")
    for position in range(PHASES_PER_CHALLENGE):
        opens = far + timedelta(days=position)
        add_phase(template, kind="concept", title=f"Round {position + 1}", opens_at=opens,
                  closes_at=opens + timedelta(days=1), judging_ends_at=opens + timedelta(days=2))  # fmt: skip
    template = publish(template, staff=staff)
    assert template.status == ChallengeStatus.OPEN
    template_phases = list(Phase.objects.filter(challenge=template).order_by("position"))
    prizes = {p.phase_id: p for p in Prize.objects.filter(phase__challenge=template)}
    criteria = {c.phase_id: c for c in Criterion.objects.filter(phase__challenge=template)}
    brief = BriefVersion.objects.get(challenge=template)
    history = list(ChallengeTransition.objects.filter(challenge=template).order_by("pk"))

    # The deadlines: spread over the minute before the run.
    now = timezone.now()
    minute = now - timedelta(seconds=61)
    challenges_count = count // PHASES_PER_CHALLENGE
    with transaction.atomic():
        challenges = Challenge.objects.bulk_create(
            [_copy(template, title=f"Sweep {n}", slug=f"sweep-{now.timestamp():.0f}-{n}")
             for n in range(challenges_count)],
            batch_size=1000,
        )  # fmt: skip
        BriefVersion.objects.bulk_create([_copy(brief, challenge_id=c.pk) for c in challenges], batch_size=2000)
        ChallengeTransition.objects.bulk_create(
            [_copy(record, challenge_id=c.pk) for c in challenges for record in history], batch_size=2000
        )
        phases = []
        for n, challenge in enumerate(challenges):
            for index, model in enumerate(template_phases):
                due = minute + timedelta(microseconds=((n * PHASES_PER_CHALLENGE + index) * 60_000_000) // count)
                if index % 2 == 0:  # open since yesterday, closing now
                    status, opens, closes = PhaseStatus.OPEN, due - timedelta(days=1), due
                else:  # opening now
                    status, opens, closes = PhaseStatus.SCHEDULED, due, due + timedelta(days=7)
                phases.append(
                    _copy(model, challenge_id=challenge.pk, status=status, opens_at=opens, closes_at=closes,
                          judging_ends_at=closes + timedelta(days=7), next_transition_at=due, armed_for=None)
                )  # fmt: skip
        Phase.objects.bulk_create(phases, batch_size=2000)
        by_template = {model.pk: index for index, model in enumerate(template_phases)}
        template_of = [template_phases[i % PHASES_PER_CHALLENGE].pk for i in range(len(phases))]
        assert all(by_template[t] == i % PHASES_PER_CHALLENGE for i, t in enumerate(template_of))
        Prize.objects.bulk_create(
            [_copy(prizes[t], phase_id=p.pk) for p, t in zip(phases, template_of, strict=True)], batch_size=2000
        )
        Criterion.objects.bulk_create(
            [_copy(criteria[t], phase_id=p.pk) for p, t in zip(phases, template_of, strict=True)], batch_size=2000
        )
        challenge_type = ContentType.objects.get_for_model(Challenge)
        Follow.objects.bulk_create(
            [Follow(follower=f, content_type=challenge_type, object_id=c.pk) for c in challenges for f in followers],
            batch_size=2000,
        )
    return [p.pk for p in phases], len(followers)


# --- Workers ------------------------------------------------------------------------------------


@contextmanager
def celery_workers(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` worker processes (one task at a time each) on this run's queue, ready when yielded."""
    workdir = Path(os.environ.get("COACHWORKS_TEST_WORKDIR", "/tmp"))
    env = dict(os.environ, DATABASE_URL=database_url_for_tests(), DATABASE_CONN_MAX_AGE="0")
    processes, logs = [], []
    for n in range(count):
        log_path = workdir / f"sweep-worker-{os.getpid()}-{time.monotonic_ns()}-{n}.log"
        logs.append(log_path)
        with log_path.open("wb") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                 "--concurrency", "1", "--pool", "prefork", "--without-gossip", "--without-mingle",
                 "-Q", queues_arg(), "-n", f"sweep-{os.getpid()}-{n}-{time.monotonic_ns()}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not all(" ready." in path.read_text(errors="replace") for path in logs):
            assert time.monotonic() < deadline, "the workers did not start"
            assert all(p.poll() is None for p in processes), "a worker exited"
            time.sleep(0.2)
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process, path in zip(processes, logs, strict=True):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            text = path.read_text(errors="replace")
            errors = [line for line in text.splitlines() if "ERROR" in line or "Traceback" in line]
            if errors:
                sys.stderr.write("\n".join(errors[:20]) + "\n")


# --- The run ------------------------------------------------------------------------------------


def run_sweep(workers: int, phase_ids: list[int], followers: int) -> dict[str, float]:
    from config.celery import app

    app.control.purge()
    openings = PHASES // 2
    # Polled by primary-key range (cheap): the polling must not load the database it measures.
    first_move = (PhaseTransition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_notice = (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with celery_workers(workers):
        started = time.monotonic()
        last_beat = started
        for _ in range(workers):  # as if beat fired while the previous sweep still ran: concurrent sweeps
            app.send_task(SWEEP_TASK)
        moved_at = notified_at = None
        moves = notified = 0
        while time.monotonic() - started < TIMEOUT:
            if moved_at is None:
                moves = PhaseTransition.objects.filter(pk__gte=first_move).count()
                if moves >= len(phase_ids):
                    moved_at = time.monotonic()
            notified = Notification.objects.filter(pk__gte=first_notice, kind="phase_opened").count()
            if moved_at is not None and notified >= openings * followers:
                notified_at = time.monotonic()
                break
            if time.monotonic() - last_beat >= settings.CHALLENGES_SWEEP_SECONDS:
                last_beat = time.monotonic()
                app.send_task(SWEEP_TASK)  # beat's next sweep
            time.sleep(0.2)
        elapsed = (moved_at or time.monotonic()) - started
        notify_elapsed = (notified_at or time.monotonic()) - started
        time.sleep(1)  # anything still running (a late duplicate) would show up in the checks below
    app.control.purge()
    moves = PhaseTransition.objects.filter(phase_id__in=phase_ids).count()
    print(
        f"\nPhase sweep: {len(phase_ids)} phases, {workers} worker(s): "
        f"{moves} moves in {elapsed:.2f} s ({moves / elapsed:.0f} moves/s), "
        f"{notified} 'phase opened' notifications in {notify_elapsed:.2f} s; "
        f"seconds / target {elapsed / TARGET_SECONDS:.2f} (target {TARGET_SECONDS:.0f} s)"
        + ("" if moved_at else f"  -- TIMED OUT after {TIMEOUT:.0f} s")
    )
    by_task = Counter(PhaseTransition.objects.filter(phase_id__in=phase_ids).values_list("task", flat=True))
    print(f"  made by: {dict(by_task)}")
    return {"seconds": elapsed, "moves": moves, "notified": notified}


def assert_each_moved_once(phase_ids: list[int], followers: int) -> None:
    per_phase = Counter(
        dict(
            PhaseTransition.objects.filter(phase_id__in=phase_ids)
            .values("phase_id")
            .annotate(n=Count("pk"))
            .values_list("phase_id", "n")
        )
    )
    assert len(per_phase) == len(phase_ids), f"{len(phase_ids) - len(per_phase)} phases did not move"
    assert set(per_phase.values()) == {1}, "a phase moved more than once"
    directions = Counter(PhaseTransition.objects.filter(phase_id__in=phase_ids).values_list("from_status", "to_status"))
    half = len(phase_ids) // 2
    assert directions == {("open", "judging"): half, ("scheduled", "open"): half}
    statuses = Counter(Phase.objects.filter(pk__in=phase_ids).values_list("status", flat=True))
    assert statuses == {PhaseStatus.JUDGING: half, PhaseStatus.OPEN: half}
    # One notification per follower and opening, keyed by the opening's own transition.
    openings = set(
        PhaseTransition.objects.filter(phase_id__in=phase_ids, to_status=PhaseStatus.OPEN).values_list("pk", flat=True)
    )
    keys = Counter(Notification.objects.filter(kind="phase_opened").values_list("event_key", flat=True))
    assert {int(key.removeprefix("phase-opened:")) for key in keys} == openings
    assert set(keys.values()) == {followers}, "a follower was told twice, or not at all"


@pytest.mark.parametrize("workers", [1, 2])
def test_ten_thousand_due_phases_are_each_moved_once(workers):
    built = time.monotonic()
    phase_ids, followers = build_due_phases(PHASES)
    print(f"\n{len(phase_ids)} due phases built in {time.monotonic() - built:.1f} s")
    assert Phase.objects.filter(pk__in=phase_ids, next_transition_at__lte=timezone.now()).count() == len(phase_ids)

    result = run_sweep(workers, phase_ids, followers)

    assert_each_moved_once(phase_ids, followers)
    assert result["seconds"] < TIMEOUT


@pytest.mark.skipif(not os.environ.get("BENCH_SWEEP_PROFILE"), reason="set BENCH_SWEEP_PROFILE=1 to profile")
def test_profile_of_one_sweep_in_process():
    """Where the time of a sweep goes: the whole sweep in this process (no worker, no fan-out),
    with its announcements, under cProfile; the functions with the most time (cumulative, own)."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from challenges.services.transitions import phases_sweep

    phase_ids, followers = build_due_phases(PHASES)
    profile = cProfile.Profile()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        profile.enable()
        report = phases_sweep()
        profile.disable()
    elapsed = time.monotonic() - started
    print(f"\nIn-process sweep: {report} in {elapsed:.2f} s, {len(queries)} queries")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profile).sort_stats("tottime").print_stats(20)
    assert_each_moved_once(phase_ids, followers)
