import logging
import math
import os
import time
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab, schedule

from core.celery_liveness import install as install_liveness_file

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coachworks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# `celery worker --liveness-file PATH`: what the Kubernetes probes of workers read (core.celery_liveness).
install_liveness_file(app)

logger = logging.getLogger(__name__)

# Seconds a minute-resolution tick (crontab, solar, clocked) stays claimed at least.
MIN_TICK_SECONDS = 60


def tick_claim(entry_name: str, entry_schedule: Any, *, now: datetime, epoch: float) -> tuple[str, int]:
    """The cache key naming the tick of a periodic task that is due now, and how long to keep it.

    Two beats that send the same tick compute the same key: an interval schedule ticks once per
    aligned window of its length (window number = seconds since the epoch // interval), a crontab at
    the time of its next run after now (the same for every beat until that run is due); anything
    else once per minute.
    """
    if isinstance(entry_schedule, schedule):
        seconds = max(entry_schedule.seconds, 1.0)
        return f"beat-tick:{entry_name}:every-{seconds:g}:{math.floor(epoch / seconds)}", math.ceil(2 * seconds)
    if isinstance(entry_schedule, crontab):
        start, delta, _ = entry_schedule.remaining_delta(now)
        following = (start + delta).replace(second=0, microsecond=0)
        ttl = max(math.ceil((following - now).total_seconds()), MIN_TICK_SECONDS)
        return f"beat-tick:{entry_name}:before-{following.isoformat()}", ttl
    return f"beat-tick:{entry_name}:minute-{math.floor(epoch / 60)}", 2 * MIN_TICK_SECONDS


def every_beat_schedule() -> dict[str, dict[str, Any]]:
    """The periodic tasks of every app of the project, each declared next to its tasks: the
    `beat_schedule()` of `<app>/tasks.py`, which reads its intervals from the settings when called.
    Needs Django's app registry (the tasks modules import models)."""
    from django.apps import apps
    from django.conf import settings

    schedule: dict[str, dict[str, Any]] = {}
    for app_config in apps.get_app_configs():
        app_dir = Path(app_config.path)
        if app_dir.parent != Path(settings.BASE_DIR) or not (app_dir / "tasks.py").exists():
            continue  # Django's and third-party apps, and the project's apps without tasks
        declared = getattr(import_module(f"{app_config.name}.tasks"), "beat_schedule", None)
        if declared is not None:
            schedule.update(declared())
    return schedule


def _database_scheduler() -> type:
    # Imported late: django-celery-beat needs Django's app registry, which workers set up after this module.
    from django_celery_beat.schedulers import DatabaseScheduler

    return DatabaseScheduler


def __getattr__(name: str) -> Any:
    """`config.celery:OncePerTickScheduler` (CELERY_BEAT_SCHEDULER) is built on first use, so that importing
    this module never imports Django models."""
    if name == "OncePerTickScheduler":
        return _once_per_tick_scheduler()
    raise AttributeError(name)


_SCHEDULER: type | None = None


def _once_per_tick_scheduler() -> type:
    global _SCHEDULER  # noqa: PLW0603 - built once per process
    if _SCHEDULER is not None:
        return _SCHEDULER
    base = _database_scheduler()

    class OncePerTickScheduler(base):  # type: ignore[misc, valid-type]
        """django-celery-beat's database scheduler that sends each tick of each periodic task once, however
        many beats run (two pods during a rollout, a second `make run`): before sending, a beat claims the
        tick in Redis (`cache.add`, an atomic SET NX with the tick in the key); a beat that finds it claimed
        skips it. The tasks' services are idempotent as well; the claim keeps reports and mails single.
        Without Redis the tick is sent anyway: a sweep missed would delay payouts and phase moves."""

        def setup_schedule(self) -> None:
            # The apps' schedules, collected now that Django is ready; the database copy is what beat runs.
            self.app.conf.beat_schedule = {**every_beat_schedule(), **(self.app.conf.beat_schedule or {})}
            super().setup_schedule()

        def apply_entry(self, entry: Any, producer: Any = None) -> None:
            if not self.claim_tick(entry):
                return
            super().apply_entry(entry, producer=producer)

        def claim_tick(self, entry: Any) -> bool:
            from django.core.cache import cache

            key, ttl = tick_claim(entry.name, entry.schedule, now=entry.schedule.now(), epoch=time.time())
            try:
                claimed = bool(cache.add(key, os.getpid(), timeout=ttl))
            except Exception:  # the cache is down: sending twice is safe, skipping is not
                logger.warning("Beat: could not claim %s; sending it unclaimed", key, exc_info=True)
                return True
            if not claimed:
                logger.info("Beat: %s was sent by another beat; skipped", key)
            return claimed

    _SCHEDULER = OncePerTickScheduler
    return _SCHEDULER
