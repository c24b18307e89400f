"""A real Celery worker mails queued notifications exactly once, and the daily digest."""

import time

import pytest

from community.models import EmailFrequency, EmailState, Notification
from community.services import comment_create, follow_create, notify
from community.tasks import send_digests

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_mails_each_notification_once_and_the_digest(celery_worker_process, ada, jonas):
    jonas.email_frequency = EmailFrequency.DAILY
    jonas.save()
    for _round in range(2):  # the same event announced twice
        notify(recipient_ids=[ada.pk, jonas.pk], kind="phase_opened", event_key="phase-opened:1",
               context={"challenge": "Van", "phase": "Concept"})  # fmt: skip
    immediate = Notification.objects.get(recipient=ada)
    assert wait_for(lambda: Notification.objects.get(pk=immediate.pk).email_state == EmailState.SENT)
    assert Notification.objects.get(recipient=jonas).email_state == EmailState.DIGEST
    send_digests.delay()
    assert wait_for(lambda: Notification.objects.get(recipient=jonas).email_state == EmailState.SENT)
    assert Notification.objects.count() == 2


def test_a_worker_tells_the_followers_of_a_new_comment(celery_worker_process, ada, jonas, challenge):
    follow_create(user=jonas, label="challenges.challenge", object_id=challenge.pk)
    comment = comment_create(author=ada, label="challenges.challenge", object_id=challenge.pk, body="Snow chains?")
    assert wait_for(lambda: Notification.objects.filter(recipient=jonas, kind="new_comment").exists())
    assert Notification.objects.get(recipient=jonas).event_key == f"comment:{comment.pk}"
