"""Notifications: idempotent per event, e-mailed once per preference, digests, unsubscribe tokens."""

from typing import cast

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation

from community.models import EmailFrequency, EmailState, Notification
from community.services import (
    digest_send,
    email_unsubscribe,
    notification_email_send,
    notification_mark_read,
    notify,
    unsubscribe_token,
    unsubscribe_token_read,
    user_update_profile,
)
from community.services.notifications import UNSUBSCRIBE_SALT
from core.exceptions import ApplicationError
from tests.support import UserFactory


def announce(recipients, key="phase-opened:1", kind="phase_opened"):
    return notify(
        recipient_ids=[user.pk for user in recipients],
        kind=kind,
        event_key=key,
        context={"challenge": "Desert ambulance", "phase": "Concept"},
        url="/challenges/desert-ambulance/",
    )


def test_a_duplicated_event_creates_and_mails_nothing_twice(ada, jonas, no_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert announce([ada, jonas]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert announce([ada, jonas]) == 0
    assert Notification.objects.count() == 2
    assert sorted(no_broker) == sorted(Notification.objects.values_list("pk", flat=True))
    for pk in list(no_broker):
        notification_email_send(notification_id=pk)
        notification_email_send(notification_id=pk)  # a redelivered task
    assert len(mail.outbox) == 2


def test_nothing_is_queued_when_the_transaction_rolls_back(ada, no_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce([ada])
    assert len(callbacks) == 1
    assert no_broker == []


def test_the_actor_is_not_notified_and_unknown_kinds_are_refused(ada, jonas):
    assert notify(recipient_ids=[ada.pk], kind="mention", event_key="m:1", context={}, actor_id=ada.pk) == 0
    with pytest.raises(ApplicationError):
        notify(recipient_ids=[ada.pk], kind="bogus", event_key="x:1", context={})


def test_email_preference_decides_immediate_digest_or_none(ada, jonas, client_member):
    jonas.email_frequency = EmailFrequency.DAILY
    jonas.save()
    client_member.email_muted_kinds = ["phase_opened"]
    client_member.save()
    announce([ada, jonas, client_member])
    states = dict(Notification.objects.values_list("recipient__email", "email_state"))
    assert states == {
        ada.email: EmailState.QUEUED,
        jonas.email: EmailState.DIGEST,
        client_member.email: EmailState.NONE,
    }


def test_the_email_is_in_the_recipients_language_with_html_text_and_list_unsubscribe(
    jonas, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce([jonas])
    notification_email_send(notification_id=no_broker[0])
    message = cast(EmailMultiAlternatives, mail.outbox[0])
    assert "Die Phase „Concept“ von „Desert ambulance“ nimmt jetzt Beiträge an." in message.subject
    assert "Hallo Jonas Berg" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "http" in str(html)
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get().email_state == EmailState.SENT


def test_the_daily_digest_batches_everything_waiting_into_one_mail(jonas):
    jonas.email_frequency = EmailFrequency.DAILY
    jonas.save()
    for number in range(3):
        announce([jonas], key=f"phase-opened:{number}")
    assert digest_send(user_id=jonas.pk) == 3
    assert len(mail.outbox) == 1
    assert "3" in mail.outbox[0].subject
    assert mail.outbox[0].body.count("Desert ambulance") == 3
    assert digest_send(user_id=jonas.pk) == 0  # nothing twice
    assert len(mail.outbox) == 1
    announce([jonas], key="phase-opened:99")
    assert digest_send(user_id=jonas.pk) == 1


@pytest.mark.parametrize(
    "change",
    [{"email_frequency": EmailFrequency.OFF}, {"email_muted_kinds": ["phase_opened"]}],
    ids=["never", "kind muted"],
)
def test_a_queued_email_is_not_sent_once_the_member_turned_such_emails_off(
    ada, change, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce([ada])
    user_update_profile(user=ada, **change)
    assert notification_email_send(notification_id=no_broker[0]) is False
    assert mail.outbox == []
    assert Notification.objects.get().email_state == EmailState.NONE


def test_a_queued_email_waits_for_the_digest_once_the_member_chose_daily(
    ada, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announce([ada])
    user_update_profile(user=ada, email_frequency=EmailFrequency.DAILY)
    assert notification_email_send(notification_id=no_broker[0]) is False
    assert Notification.objects.get().email_state == EmailState.DIGEST
    assert digest_send(user_id=ada.pk) == 1
    assert len(mail.outbox) == 1


def test_the_digest_leaves_out_what_the_member_turned_off_since(jonas):
    jonas.email_frequency = EmailFrequency.DAILY
    jonas.save()
    announce([jonas], key="phase-opened:1")
    announce([jonas], key="payout:1", kind="payout_paid")
    user_update_profile(user=jonas, email_muted_kinds=["phase_opened"])
    assert digest_send(user_id=jonas.pk) == 1
    assert "Desert ambulance" not in mail.outbox[0].body
    announce([jonas], key="payout:2", kind="payout_paid")
    user_update_profile(user=jonas, email_frequency=EmailFrequency.OFF)
    assert digest_send(user_id=jonas.pk) == 0
    assert len(mail.outbox) == 1
    states = dict(Notification.objects.values_list("event_key", "email_state"))
    assert states == {"phase-opened:1": EmailState.NONE, "payout:1": EmailState.SENT, "payout:2": EmailState.NONE}


def test_subjects_and_text_bodies_are_plain_text_and_html_bodies_escaped(
    db, no_broker, django_capture_on_commit_callbacks
):
    reader = UserFactory.create(display_name="Aoife O'Brien")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipient_ids=[reader.pk],
            kind="new_comment",
            event_key="comment:1",
            context={"actor": "Seán O'Neill", "target": "R&D <van>", "excerpt": "Fish & chips"},
            url="/challenges/r-d-van/",
        )
    notification_email_send(notification_id=no_broker[0])
    message = cast(EmailMultiAlternatives, mail.outbox[0])
    assert message.subject.endswith("Seán O'Neill commented on “R&D <van>”.")
    assert "Hello Aoife O'Brien," in message.body
    assert "Seán O'Neill commented on “R&D <van>”." in message.body
    assert "> Fish & chips" in message.body
    html = str(message.alternatives[0][0])
    assert "R&amp;D &lt;van&gt;" in html
    assert "<van>" not in html


def test_an_unsubscribe_token_turns_off_one_kind_or_all(ada):
    announce([ada], key="phase-opened:7")
    email_unsubscribe(token=unsubscribe_token(user_id=ada.pk, kind="phase_opened"))
    ada.refresh_from_db()
    assert ada.email_muted_kinds == ["phase_opened"]
    assert Notification.objects.get().email_state == EmailState.NONE  # the queued mail is not sent
    email_unsubscribe(token=unsubscribe_token(user_id=ada.pk))
    ada.refresh_from_db()
    assert ada.email_frequency == EmailFrequency.OFF


def test_a_tampered_unsubscribe_token_is_refused(ada, jonas):
    token = unsubscribe_token(user_id=ada.pk)
    value, signature = token.rsplit(":", 1)
    forged = signing.TimestampSigner(salt="another-salt").sign_object({"u": jonas.pk, "k": "all"})
    for bad in (
        f"{value}:{signature[::-1]}",
        forged,
        "nonsense",
        token.replace(token[2], "x" if token[2] != "x" else "y"),
    ):
        with pytest.raises(ApplicationError):
            unsubscribe_token_read(bad)
    jonas.refresh_from_db()
    assert jonas.email_frequency == EmailFrequency.IMMEDIATE


@translation.override("en")
def test_an_expired_unsubscribe_token_is_refused(ada, settings, monkeypatch):
    max_age = settings.COMMUNITY_UNSUBSCRIBE_MAX_AGE_DAYS * 86400
    issued = int(timezone.now().timestamp()) - max_age - 5
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(issued))
        token = unsubscribe_token(user_id=ada.pk)
    with pytest.raises(ApplicationError, match="expired"):
        unsubscribe_token_read(token)
    with pytest.raises(ApplicationError, match="expired"):
        email_unsubscribe(token=token)
    ada.refresh_from_db()
    assert ada.email_frequency == EmailFrequency.IMMEDIATE


def test_a_valid_token_is_read_back(ada):
    assert unsubscribe_token_read(unsubscribe_token(user_id=ada.pk, kind="mention")) == (ada.pk, "mention")
    assert (
        signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign_object(unsubscribe_token(user_id=ada.pk))["u"] == ada.pk
    )


def test_the_unsubscribe_page_needs_no_sign_in_and_changes_nothing_on_get(client, ada):
    url = f"/members/unsubscribe/{unsubscribe_token(user_id=ada.pk)}/"
    assert client.get(url).status_code == 200
    ada.refresh_from_db()
    assert ada.email_frequency == EmailFrequency.IMMEDIATE
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    ada.refresh_from_db()
    assert ada.email_frequency == EmailFrequency.OFF
    assert client.post("/members/unsubscribe/forged:token/").status_code == 400


def test_marking_read_touches_only_the_members_own(ada, jonas):
    announce([ada, jonas])
    theirs = Notification.objects.get(recipient=jonas)
    assert notification_mark_read(user=ada, notification_ids=[theirs.pk]) == 0
    assert notification_mark_read(user=ada) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_app_registers_a_new_kind_and_notifies_with_it_without_a_migration(ada, jonas, client):
    """As `payments/community_events.py` registers `payout_paid`: a kind community has never heard of."""
    from community.notifications import kind_choices, register_kind

    kind = register_kind(
        "test_trophy_polished",
        label="A trophy of mine was polished",
        sentence="%(actor)s polished your trophy “%(trophy)s”.",
    )

    assert (
        notify(recipient_ids=[ada.pk], kind=kind, event_key="trophy:1", context={"actor": "Jonas", "trophy": "Gold"})
        == 1
    )
    (notice,) = Notification.objects.filter(recipient=ada)
    assert notice.kind == "test_trophy_polished"
    client.force_login(ada)
    assert "Jonas polished your trophy “Gold”." in client.get(reverse("community:notifications")).content.decode()
    assert ("test_trophy_polished", "A trophy of mine was polished") in kind_choices()  # members can mute it
    user_update_profile(user=ada, email_muted_kinds=[kind])
