"""Celery tasks of the blueprints app: thin, idempotent, named. Each calls one service."""

import logging
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from blueprints import services

logger = logging.getLogger(__name__)

# Failures worth another try: the store or the database being briefly away.
TRANSIENT = (BotoCoreError, ClientError, OperationalError, ConnectionError, TimeoutError)


class ProcessFileTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries spent (or an unexpected error): record it so the uploader is told and staff can re-run.
        file_id = kwargs.get("file_id", args[0] if args else None)
        if file_id is not None:
            services.file_processing_failed(file_id=int(file_id), error=repr(exc))


@shared_task(
    name="blueprints.process_file",
    base=ProcessFileTask,
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    # Large models take a while to stream and render; well below the broker's visibility timeout.
    soft_time_limit=1800,
    time_limit=1900,
    acks_late=True,
)
def process_file(file_id: int) -> str | None:
    file = services.file_process(file_id=file_id)
    return file.status if file else None


@shared_task(name="blueprints.refresh_file", autoretry_for=TRANSIENT, retry_backoff=10, max_retries=3,
             soft_time_limit=1800, time_limit=1900, acks_late=True)  # fmt: skip
def refresh_file(file_id: int) -> str | None:
    file = services.file_process(file_id=file_id, refresh=True)
    return file.status if file else None


@shared_task(name="blueprints.sweep_stale_uploads", acks_late=True, soft_time_limit=1200, time_limit=1300)
def sweep_stale_uploads() -> dict[str, int]:
    report = services.upload_sweep_stale()
    return {
        "expired": report.expired,
        "requeued": report.requeued,
        "aborted_multipart": report.aborted_multipart,
        "deleted_objects": report.deleted_objects,
    }


def beat_schedule() -> dict[str, dict[str, object]]:
    """The periodic tasks of the blueprints app, as beat runs them (`config.celery.every_beat_schedule`)."""
    return {
        "blueprints.sweep_stale_uploads": {
            "task": sweep_stale_uploads.name,
            "schedule": timedelta(minutes=settings.BLUEPRINT_SWEEP_MINUTES),
            # A sweep not started within its interval is dropped: the next one does the same work.
            "options": {"expire_seconds": settings.BLUEPRINT_SWEEP_MINUTES * 60},
        },
    }
