"""How much memory does a Celery worker need to preview a huge image? Target: < 300 MB per worker process.

Starts a real Celery worker (prefork, two pool processes, like `make run`) on this run's database,
broker and S3, uploads images the way the upload page does, lets the worker process them, and
reads each worker process's peak resident memory (`VmHWM` in `/proc/<pid>/status`). Each case
gets a fresh worker, so a peak belongs to that case alone:

- one 8944 × 8944 PNG of about 300 KB (the image of issue 13, finding 5);
- two such PNGs at once (one in each pool process);
- an 8944 × 8944 JPEG (decoded at 1/8 scale through `Image.draft`);
- a PNG just under `BLUEPRINT_PREVIEW_MAX_PIXELS`, the largest bitmap a preview still decodes.

    .venv/bin/python scripts/test.py bench/bench_preview_memory.py -s -o python_files='bench_*.py'
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from blueprints import services
from blueprints.models import File, FileStatus
from blueprints.tests.conftest import draft_of, make_member, send_like_a_browser
from blueprints.tests.test_preview_memory import big_jpeg, flat_png
from core.tasks import worker_probe

TARGET = 300 * 1000 * 1000
MB = 1000 * 1000

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@dataclass
class Peaks:
    main: int
    pool_idle: list[int]
    pool_peak: list[int]

    @property
    def worst_process(self) -> int:
        return max(self.pool_peak + [self.main])

    @property
    def worker_total(self) -> int:
        return self.main + sum(self.pool_peak)


def _ready_pool(worker_pid: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pool = _children(worker_pid)
        if len(pool) >= 2:
            # Both pool processes have taken a task: every module a task needs is imported.
            for _ in range(4):
                worker_probe.delay("warm-up").get(timeout=60)
            return pool
        time.sleep(0.2)
    raise AssertionError("the worker's pool processes did not start")


def _measure(worker_pid: int, uploads: list[tuple[str, bytes]]) -> tuple[Peaks, list[File], float]:
    pool = _ready_pool(worker_pid)
    idle = [_status_kib(pid, "VmRSS") * 1024 for pid in pool]
    owner = make_member(f"bench-{time.monotonic_ns()}@example.com", "Bench")
    draft = draft_of(services.blueprint_create(owner=owner, title="Preview memory"))
    files = []
    for name, data in uploads:
        file, ticket = services.upload_start(revision=draft, user=owner, name=name, size=len(data), content_type="")
        send_like_a_browser(ticket.as_dict(), data)
        files.append(file)
    started = time.monotonic()
    for file in files:
        services.upload_complete(file=file, user=owner)  # commits: the task goes to the worker
    deadline = time.monotonic() + 300
    for file in files:
        while file.status == FileStatus.PENDING:
            assert time.monotonic() < deadline, f"file {file.pk} still pending"
            time.sleep(0.2)
            file.refresh_from_db()
    elapsed = time.monotonic() - started
    peaks = Peaks(
        main=_status_kib(worker_pid, "VmHWM") * 1024,
        pool_idle=idle,
        pool_peak=[_status_kib(pid, "VmHWM") * 1024 for pid in pool],
    )
    return peaks, files, elapsed


def _report(title: str, peaks: Peaks, files: list[File], elapsed: float) -> None:
    print(f"\n{title}")
    idle = ", ".join(f"{value / MB:.0f}" for value in peaks.pool_idle)
    peak = ", ".join(f"{value / MB:.0f}" for value in peaks.pool_peak)
    print(f"  pool processes: idle {idle} MB, peak {peak} MB; main process peak {peaks.main / MB:.0f} MB")
    print(
        f"  worst process peak {peaks.worst_process / MB:.0f} MB = {peaks.worst_process / TARGET:.2f} x target "
        f"(300 MB); whole worker (sum of peaks) {peaks.worker_total / MB:.0f} MB; done in {elapsed:.1f} s"
    )
    for file in files:
        reason = getattr(file, "no_preview_reason", "")
        preview = "preview made" if file.preview_key else f"no preview ({reason or 'no reason recorded'})"
        print(f"  {file.original_name}: {file.status}, {file.image_width} x {file.image_height} px, {preview}")


def _case(title: str, uploads: Callable[[], list[tuple[str, bytes]]], worker_pid: int) -> tuple[Peaks, list[File]]:
    made = uploads()
    sizes = ", ".join(f"{name} {len(data) / 1000:.0f} KB" for name, data in made)
    peaks, files, elapsed = _measure(worker_pid, made)
    _report(f"{title} ({sizes})", peaks, files, elapsed)
    return peaks, files


def test_one_8944_px_png(celery_worker_process):
    peaks, files = _case("One 8944 x 8944 PNG", lambda: [("drawing.png", flat_png())], celery_worker_process.pid)
    assert files[0].status == FileStatus.READY
    assert peaks.worst_process < TARGET


def test_two_8944_px_pngs_at_once(celery_worker_process):
    peaks, files = _case(
        "Two 8944 x 8944 PNGs at once",
        lambda: [("front.png", flat_png(stripe=1)), ("rear.png", flat_png(stripe=2))],
        celery_worker_process.pid,
    )
    assert all(file.status == FileStatus.READY for file in files)
    assert peaks.worst_process < TARGET


def test_one_8944_px_jpeg(celery_worker_process):
    peaks, files = _case("One 8944 x 8944 JPEG", lambda: [("photo.jpg", big_jpeg())], celery_worker_process.pid)
    assert files[0].status == FileStatus.READY
    assert files[0].preview_key
    assert peaks.worst_process < TARGET


def test_the_largest_png_still_previewed(celery_worker_process):
    cap = getattr(settings, "BLUEPRINT_PREVIEW_MAX_PIXELS", 0) or 40_000_000
    side = int(cap**0.5)
    peaks, files = _case(
        f"The largest PNG still previewed: {side} x {side} px (cap {cap:,} px)",
        lambda: [("largest.png", flat_png(side))],
        celery_worker_process.pid,
    )
    assert files[0].status == FileStatus.READY
    assert peaks.worst_process < TARGET
