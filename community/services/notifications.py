"""Notifications: created once per (recipient, event), shown in the notification centre and
e-mailed by Celery immediately or in the daily digest, per the recipient's preference."""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from community.models import EmailFrequency, EmailState, Notification, User
from community.notifications import is_registered, notification_text
from core import caching
from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "community.unsubscribe"
ALL_KINDS = "all"

# One statement for any number of events: the rows that did not exist yet come back, with the
# e-mail state each recipient's preferences give them; rows already there (the event announced
# before) are left alone. One JSON row per (recipient, event).
_INSERT_SQL = """
INSERT INTO community_notification
    (recipient_id, kind, event_key, context, url, actor_id, created_at, email_state)
SELECT u.id, e.kind, e.event_key, e.context, e.url, e.actor_id, %(now)s,
       CASE
           WHEN u.email_frequency = 'off' OR e.kind = ANY(u.email_muted_kinds) THEN 'none'
           WHEN u.email_frequency = 'daily' THEN 'digest'
           ELSE 'queued'
       END
FROM jsonb_to_recordset(%(rows)s::jsonb)
    AS e(recipient_id bigint, kind text, event_key text, context jsonb, url text, actor_id bigint)
JOIN community_user u ON u.id = e.recipient_id AND u.is_active
ORDER BY u.id, e.event_key
ON CONFLICT (recipient_id, event_key) DO NOTHING
RETURNING id, email_state
"""


@dataclass(frozen=True)
class NotificationEvent:
    """One event to tell `recipient_ids` about (the arguments of `notify`)."""

    recipient_ids: Iterable[int]
    kind: str
    event_key: str
    context: dict[str, Any]
    url: str = ""
    actor_id: int | None = None


def notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    event_key: str,
    context: dict[str, Any],
    url: str = "",
    actor_id: int | None = None,
) -> int:
    """Tell each recipient about one event; returns how many notifications were new.

    At most one notification per (recipient, event_key): announcing an event again changes
    nothing and sends no second e-mail. The actor is never told about their own action. Mails
    are queued after commit, one task per notification, in the recipient's language.
    """
    return notify_many(
        events=[
            NotificationEvent(
                recipient_ids=recipient_ids, kind=kind, event_key=event_key, context=context, url=url, actor_id=actor_id
            )
        ]
    )


def notify_many(*, events: Iterable[NotificationEvent]) -> int:
    """`notify` for many events in one statement (a batch of phase moves, say), by the same rules;
    returns how many notifications were new."""
    rows: list[dict[str, Any]] = []
    for event in events:
        if not is_registered(event.kind):
            raise ApplicationError(f"Unknown notification kind: {event.kind}")
        if not event.event_key or len(event.event_key) > 200:
            raise ApplicationError("An event key of 1 to 200 characters is required.")
        recipients = sorted({int(pk) for pk in event.recipient_ids if pk is not None and pk != event.actor_id})
        rows += (
            {
                "recipient_id": recipient,
                "kind": event.kind,
                "event_key": event.event_key,
                "context": event.context,
                "url": event.url[:500],
                "actor_id": event.actor_id,
            }
            for recipient in recipients
        )
    if not rows:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, {"rows": json.dumps(rows, default=str), "now": timezone.now()})
        created = cursor.fetchall()
        # Raw SQL sends no signals: retire the recipients' cached pages (the feed and the list show them).
        caching.bump_members("community.notification", {row["recipient_id"] for row in rows})
        to_mail = [pk for pk, state in created if state == EmailState.QUEUED]
        if to_mail:
            transaction.on_commit(lambda: _enqueue_emails(to_mail))
    return len(created)


def _enqueue_emails(notification_ids: list[int]) -> None:
    from community.tasks import send_notification_email

    for pk in notification_ids:
        send_notification_email.delay(pk)


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the member's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    with transaction.atomic():
        marked = unread.update(read_at=timezone.now())
        if marked:
            caching.bump_members("community.notification", [user.pk])
    return marked


# --- E-mail -------------------------------------------------------------------------------------


def unsubscribe_token(*, user_id: int, kind: str = ALL_KINDS) -> str:
    """A signed, dated token that turns off e-mails (of one kind, or all) without signing in."""
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign_object({"u": user_id, "k": kind})


def unsubscribe_url(*, user_id: int, kind: str = ALL_KINDS) -> str:
    path = reverse("community:unsubscribe", kwargs={"token": unsubscribe_token(user_id=user_id, kind=kind)})
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """`(user_id, kind)` of a valid token; ApplicationError if it was tampered with or is too old."""
    max_age = settings.COMMUNITY_UNSUBSCRIBE_MAX_AGE_DAYS * 86400
    try:
        data = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ApplicationError(translation.gettext("This unsubscribe link has expired.")) from error
    except signing.BadSignature as error:
        raise ApplicationError(translation.gettext("This unsubscribe link is not valid.")) from error
    kind = str(data.get("k", ALL_KINDS))
    if kind != ALL_KINDS and not is_registered(kind):
        raise ApplicationError(translation.gettext("This unsubscribe link is not valid."))
    return int(data["u"]), kind


@transaction.atomic
def email_unsubscribe(*, token: str) -> User:
    """Turn off the e-mails the token names: all of them, or one kind. Idempotent."""
    user_id, kind = unsubscribe_token_read(token)
    user = User.objects.select_for_update(no_key=True).filter(pk=user_id).first()
    if user is None:
        raise ApplicationError(translation.gettext("This unsubscribe link is not valid."))
    if kind == ALL_KINDS:
        user.email_frequency = EmailFrequency.OFF
        user.save(update_fields=["email_frequency"])
    elif kind not in user.email_muted_kinds:
        user.email_muted_kinds = [*user.email_muted_kinds, kind]
        user.save(update_fields=["email_muted_kinds"])
    # Whatever was still waiting for an e-mail stays in the notification centre only.
    waiting = Notification.objects.filter(recipient=user, email_state__in=[EmailState.QUEUED, EmailState.DIGEST])
    if kind != ALL_KINDS:
        waiting = waiting.filter(kind=kind)
    waiting.update(email_state=EmailState.NONE)
    return user


def _email_state_for(user: User, kind: str) -> str:
    """The e-mail state the member's settings give a notification of `kind` now (as `notify` does)."""
    if not user.is_active or user.email_frequency == EmailFrequency.OFF or kind in user.email_muted_kinds:
        return EmailState.NONE
    if user.email_frequency == EmailFrequency.DAILY:
        return EmailState.DIGEST
    return EmailState.QUEUED


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL.rstrip("/") + url


def _message(*, user: User, template: str, context: dict[str, Any], unsubscribe: str) -> EmailMultiAlternatives:
    """An HTML + text mail to `user`, rendered in their language and time zone."""
    with (
        translation.override(user.preferred_language or settings.LANGUAGE_CODE),
        timezone.override(_zone(user.time_zone)),
    ):
        context = {**context, "recipient": user, "unsubscribe_url": unsubscribe, "site_url": settings.SITE_URL}
        subject = render_to_string(f"community/email/{template}_subject.txt", context).strip()
        text = render_to_string(f"community/email/{template}.txt", context)
        html = render_to_string(f"community/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=text,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _zone(name: str) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _item(notification: Notification, user: User) -> dict[str, Any]:
    with (
        translation.override(user.preferred_language or settings.LANGUAGE_CODE),
        timezone.override(_zone(user.time_zone)),
    ):
        text = notification_text(notification.kind, notification.context)
    return {"notification": notification, "text": text, "url": _absolute(notification.url) if notification.url else ""}


def notification_email_send(*, notification_id: int) -> bool:
    """Send the e-mail of one queued notification, exactly once; True if a mail went out.

    The row stays locked while the mail is handed to the mail server: a second worker waits and
    then finds it sent. A failure rolls back, leaving it queued for the task's retry.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.email_state != EmailState.QUEUED:
            return False
        user = notification.recipient
        # The member may have changed their mind since the mail was queued: ask their settings again.
        now_wanted = _email_state_for(user, notification.kind)
        if now_wanted != EmailState.QUEUED:
            notification.email_state = now_wanted
            notification.save(update_fields=["email_state"])
            return False
        item = _item(notification, user)
        message = _message(
            user=user,
            template="notification",
            context={"item": item},
            unsubscribe=unsubscribe_url(user_id=user.pk, kind=notification.kind),
        )
        message.send()
        notification.email_state = EmailState.SENT
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["email_state", "emailed_at"])
    return True


def notification_email_failed(*, notification_id: int) -> None:
    """The task gave up: record it (the notification stays in the centre)."""
    Notification.objects.filter(pk=notification_id, email_state=EmailState.QUEUED).update(email_state=EmailState.FAILED)


def digest_send(*, user_id: int, now: datetime | None = None) -> int:
    """Mail one member everything waiting for their digest, in one e-mail; returns how many items.

    Rows are locked (skip_locked: a concurrent run takes none of them twice) and marked sent in
    the same transaction that hands the mail over. What the member no longer wants by e-mail (all
    turned off, or the kind muted, since the rows were queued) is left out and marked `none`.
    """
    with transaction.atomic():
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return 0
        locked = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=user_id, email_state=EmailState.DIGEST)
            .order_by("created_at", "pk")
        )
        waiting = [n for n in locked if _email_state_for(user, n.kind) != EmailState.NONE]
        unwanted = [n.pk for n in locked if n not in waiting]
        if unwanted:
            Notification.objects.filter(pk__in=unwanted).update(email_state=EmailState.NONE)
        if not waiting:
            return 0
        items = [_item(notification, user) for notification in waiting]
        message = _message(
            user=user, template="digest", context={"items": items}, unsubscribe=unsubscribe_url(user_id=user.pk)
        )
        message.send()
        Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(
            email_state=EmailState.SENT, emailed_at=now or timezone.now()
        )
    return len(waiting)


def digest_recipient_ids() -> list[int]:
    """Members with anything waiting for a digest."""
    return list(
        Notification.objects.filter(email_state=EmailState.DIGEST)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
