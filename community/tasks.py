"""Celery tasks of the community app: thin, idempotent, named."""

import logging

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from community import services

logger = logging.getLogger(__name__)


@shared_task(name="community.send_notification_email", bind=True, max_retries=5, acks_late=True)
def send_notification_email(self, notification_id: int) -> bool:
    """Mail one notification; does nothing if it was mailed already (or needs no mail)."""
    try:
        return services.notification_email_send(notification_id=notification_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            logger.exception("Giving up on the e-mail of notification %s", notification_id)
            services.notification_email_failed(notification_id=notification_id)
            return False
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error


@shared_task(name="community.comment_followers_notify", bind=True, max_retries=5, acks_late=True)
def comment_followers_notify(self, comment_id: int) -> int:
    """Tell the followers of a comment's target; telling anyone twice is impossible, so retries are safe."""
    try:
        return services.comment_followers_notify(comment_id=comment_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            logger.exception("Giving up on telling the followers of comment %s", comment_id)
            return 0
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error


@shared_task(name="community.send_digest", bind=True, max_retries=5, acks_late=True)
def send_digest(self, user_id: int) -> int:
    try:
        return services.digest_send(user_id=user_id)
    except Exception as error:
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error


@shared_task(name="community.send_digests")
def send_digests() -> int:
    """Daily: one digest task per member with notifications waiting for it."""
    user_ids = services.digest_recipient_ids()
    for user_id in user_ids:
        send_digest.delay(user_id)
    return len(user_ids)


def beat_schedule() -> dict[str, dict[str, object]]:
    """The periodic tasks of the community app, as beat runs them (`config.celery.every_beat_schedule`)."""
    return {
        "community.send_digests": {
            "task": send_digests.name,
            "schedule": crontab(hour=settings.COMMUNITY_DIGEST_HOUR_UTC, minute=0),
        },
    }
