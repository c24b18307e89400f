"""Celery tasks of the challenges app: thin, idempotent, named. The services re-check everything."""

import logging
from datetime import datetime, timedelta

from celery import Task, shared_task
from celery.exceptions import MaxRetriesExceededError
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from challenges.community_events import phases_closing_soon_notify
from challenges.models import JudgeAssignment, Phase
from challenges.services import Advance, phases_sweep
from challenges.services.transitions import (
    ADVANCE_TASK,
    SWEEP_BATCH_TASK,
    SWEEP_TASK,
    phase_advance_due,
    phases_advance_batch,
)
from core.actors import Actor

logger = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 1


@shared_task(name=SWEEP_TASK, ignore_result=True, soft_time_limit=120, time_limit=150)
def sweep() -> dict[str, int]:
    """Beat runs this every `CHALLENGES_SWEEP_SECONDS`: due moves now, short ETA tasks for the next ones.

    The first batch of due moves is made here; the others go to `sweep_batch` tasks, so that every
    worker shares a large sweep. A batch task expires with the sweep interval: the next sweep
    hands out again whatever is still due.
    """
    report = phases_sweep(actor=Actor.system(SWEEP_TASK), dispatch=_dispatch_batch)
    if report.moved or report.held or report.busy or report.dispatched:
        logger.info("Phase sweep: %s", report)
    return {
        "moved": report.moved,
        "held": report.held,
        "busy": report.busy,
        "armed": report.armed,
        "dispatched": report.dispatched,
    }


def _dispatch_batch(phase_ids: list[int]) -> None:
    sweep_batch.apply_async(args=(phase_ids,), expires=settings.CHALLENGES_SWEEP_SECONDS)


@shared_task(name=SWEEP_BATCH_TASK, ignore_result=True, soft_time_limit=60, time_limit=90)
def sweep_batch(phase_ids: list[int]) -> dict[str, int]:
    """Make the due moves of these phases (handed out by a sweep); repeated or late, it moves nothing twice."""
    report = phases_advance_batch(phase_ids=phase_ids, actor=Actor.system(SWEEP_TASK))
    return {"moved": report.moved, "held": report.held, "busy": report.busy}


@shared_task(bind=True, name=ADVANCE_TASK, max_retries=30, ignore_result=True, soft_time_limit=60, time_limit=90)
def phase_advance(self: Task, phase_id: int, due_at: str) -> str:
    """Make the move due at `due_at`, armed minutes ahead by the sweep or by a date change.

    Stale (the dates changed) or already made: nothing happens. Row busy: try again in a second.
    Given up: the next sweep makes the move.
    """
    result = phase_advance_due(
        phase_id=phase_id, actor=Actor.system(ADVANCE_TASK), due_at=datetime.fromisoformat(due_at)
    )
    countdown: float | None = None
    if result.outcome == Advance.BUSY:
        countdown = BUSY_RETRY_SECONDS
    elif result.outcome == Advance.EARLY:  # clocks of the arming host and this worker disagree
        countdown = min(result.retry_in, settings.CHALLENGES_ARM_AHEAD_SECONDS)
    if countdown is not None:
        try:
            raise self.retry(countdown=countdown)
        except MaxRetriesExceededError:
            logger.warning("Phase %s: gave up at %s; the sweep will make the move", phase_id, due_at)
    return str(result.outcome)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@shared_task(name="challenges.notify_owner_phase_held", ignore_result=True, max_retries=3, default_retry_delay=60)
def notify_owner_phase_held(phase_id: int, reason: str) -> None:
    phase = Phase.objects.select_related("challenge", "challenge__owner").filter(pk=phase_id).first()
    if phase is None or not phase.hold:
        return
    owner = phase.challenge.owner
    with translation.override(owner.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "owner": owner,
            "phase": phase,
            "challenge": phase.challenge,
            "reason": reason,
            "dashboard_url": _absolute(reverse("challenges:dashboard")),
            "edit_url": _absolute(reverse("challenges:edit_phase", args=[phase.challenge.slug, phase.pk])),
        }
        subject = render_to_string("challenges/email/phase_held_subject.txt", context).strip()
        body = render_to_string("challenges/email/phase_held_body.txt", context)
    send_mail(subject, body, None, [owner.email])


@shared_task(name="challenges.send_judge_invitation", ignore_result=True, max_retries=3, default_retry_delay=60)
def send_judge_invitation(assignment_id: int) -> None:
    assignment = (
        JudgeAssignment.objects.select_related("challenge", "challenge__owner", "judge")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        return
    language = assignment.judge.preferred_language if assignment.judge else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "assignment": assignment,
            "challenge": assignment.challenge,
            "url": _absolute(reverse("challenges:invitation", args=[assignment.token])),
        }
        subject = render_to_string("challenges/email/judge_invitation_subject.txt", context).strip()
        body = render_to_string("challenges/email/judge_invitation_body.txt", context)
    send_mail(subject, body, None, [assignment.email])


@shared_task(name="challenges.notify_closing_phases")
def notify_closing_phases() -> int:
    """Beat, every COMMUNITY_CLOSING_SWEEP_MINUTES: "closes in 24 hours" notices (idempotent)."""
    return phases_closing_soon_notify()


def beat_schedule() -> dict[str, dict[str, object]]:
    """The periodic tasks of the challenges app, as beat runs them (`config.celery.every_beat_schedule`)."""
    return {
        SWEEP_TASK: {
            "task": SWEEP_TASK,
            "schedule": timedelta(seconds=settings.CHALLENGES_SWEEP_SECONDS),
            # A sweep not started within its interval is dropped: the next one does the same work.
            "options": {"expire_seconds": settings.CHALLENGES_SWEEP_SECONDS},
        },
        "challenges.notify_closing_phases": {
            "task": notify_closing_phases.name,
            "schedule": timedelta(minutes=settings.COMMUNITY_CLOSING_SWEEP_MINUTES),
            "options": {"expire_seconds": settings.COMMUNITY_CLOSING_SWEEP_MINUTES * 60},
        },
    }
