"""Celery tasks of the payments app: thin, idempotent, named. The services re-check everything under locks."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import Task, shared_task
from celery.exceptions import MaxRetriesExceededError
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from community.models import User
from core.actors import Actor
from payments.models import PayoutMethod
from payments.services import award_shares_sweep, paid_phases_close_sweep, payouts_sweep, reconcile
from payments.services.payouts import EXECUTE_TASK, SWEEP_TASK, Outcome
from payments.services.payouts import payout_execute as execute
from payments.services.refunds import escrow_refunds_sweep

logger = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 2


@shared_task(
    bind=True,
    name=EXECUTE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
)
def payout_execute(self: Task, payout_id: int) -> str:
    """Send one payout. Retried with backoff on transient provider failures (the service counts the
    attempts and records the final failure); a lost task is found again by the sweep."""
    result = execute(payout_id=payout_id, actor=Actor.system(EXECUTE_TASK))
    countdown: float | None = None
    if result.outcome == Outcome.RETRY:
        countdown = result.retry_in
    elif result.outcome == Outcome.BUSY:
        countdown = BUSY_RETRY_SECONDS
    if countdown is not None:
        try:
            raise self.retry(countdown=countdown)
        except MaxRetriesExceededError:
            logger.warning("Payout %s: task retries used up; the sweep takes it from here", payout_id)
    return str(result.outcome)


@shared_task(name=SWEEP_TASK, ignore_result=True, soft_time_limit=120, time_limit=150)
def sweep() -> dict[str, int]:
    """Beat runs this every `PAYMENTS_SWEEP_SECONDS`: the database says what is pending, not the broker."""
    awards = award_shares_sweep()
    refunds = escrow_refunds_sweep()
    report = payouts_sweep()
    closed = paid_phases_close_sweep()
    if report.enqueued or awards or refunds or closed:
        logger.info(
            "Payments sweep: %s payouts (%s stale), %s awards, %s refunds, %s paid phases closed",
            report.enqueued,
            report.stale,
            awards,
            refunds,
            closed,
        )
    return {
        "enqueued": report.enqueued,
        "stale": report.stale,
        "awards": awards,
        "refunds": refunds,
        "phases_closed": closed,
    }


@shared_task(name="payments.reconcile", ignore_result=True, soft_time_limit=1200, time_limit=1300)
def reconcile_task() -> int:
    run = reconcile()
    return len(run.mismatches)


NOTIFY_MAX_RETRIES = 6


@shared_task(
    bind=True,
    name="payments.notify_payout_method_changed",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=NOTIFY_MAX_RETRIES,
    soft_time_limit=60,
    time_limit=90,
)
def notify_payout_method_changed(self: Task, user_id: int, change: str) -> None:
    """Tell the member their payout method changed (if it was not them, they have the hold time to react).

    A security notice: a mail server that fails is tried again with backoff (for up to about half an
    hour), and the last failure is logged as an error for staff.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    method = PayoutMethod.objects.filter(owner=user).order_by("-created_at").first()
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "user": user,
            "method": method,
            "change": change,
            "hold_hours": settings.PAYMENTS_METHOD_CHANGE_HOLD_HOURS,
            "url": settings.SITE_URL.rstrip("/") + "/money/payout-methods/",
        }
        subject = render_to_string("payments/email/method_changed_subject.txt", context).strip()
        body = render_to_string("payments/email/method_changed.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (SMTPException, OSError):
        if self.request.retries >= NOTIFY_MAX_RETRIES:
            logger.exception(
                "Member %s was not told their payout method was %s: sending failed %s times",
                user_id,
                change,
                self.request.retries + 1,
            )
        raise


def beat_schedule() -> dict[str, dict[str, object]]:
    """The periodic tasks of the payments app, as beat runs them (`config.celery.every_beat_schedule`)."""
    return {
        SWEEP_TASK: {
            "task": SWEEP_TASK,
            "schedule": timedelta(seconds=settings.PAYMENTS_SWEEP_SECONDS),
            "options": {"expire_seconds": settings.PAYMENTS_SWEEP_SECONDS},
        },
        "payments.reconcile": {
            "task": reconcile_task.name,
            "schedule": timedelta(minutes=settings.PAYMENTS_RECONCILE_MINUTES),
            "options": {"expire_seconds": settings.PAYMENTS_RECONCILE_MINUTES * 60},
        },
    }
