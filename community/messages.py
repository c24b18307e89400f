"""The sentence each kind of notification reads as, translated; filled from the notification's context."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.models import NotificationKind
from core.templatetags.coachworks_time import local_datetime, relative_time

TEXTS: dict[str, Any] = {
    NotificationKind.CHALLENGE_PUBLISHED: _("%(actor)s published the challenge “%(challenge)s”."),
    NotificationKind.PHASE_PUBLISHED: _("“%(challenge)s” is published with %(phases)s phase(s)."),
    NotificationKind.PHASE_OPENED: _("The phase “%(phase)s” of “%(challenge)s” is open for entries."),
    NotificationKind.PHASE_CLOSING_SOON: _("The phase “%(phase)s” of “%(challenge)s” closes %(deadline)s."),
    NotificationKind.ENTRY_SCORED: _("A judge scored your entry “%(entry)s” in “%(challenge)s”."),
    NotificationKind.ENTRY_AWARDED: _("Your entry “%(entry)s” won an award in “%(challenge)s”."),
    NotificationKind.BLUEPRINT_FORKED: _("%(actor)s forked your blueprint “%(blueprint)s”."),
    NotificationKind.COMMENT_REPLY: _("%(actor)s replied to your comment on “%(target)s”."),
    NotificationKind.NEW_COMMENT: _("%(actor)s commented on “%(target)s”."),
    NotificationKind.MENTION: _("%(actor)s mentioned you on “%(target)s”."),
    NotificationKind.JUDGE_INVITED: _("You are invited to judge “%(challenge)s”."),
    NotificationKind.CO_AUTHOR_INVITED: _(
        "%(actor)s names you a co-author of “%(entry)s” in “%(challenge)s” with a %(share)s %% share; "
        "please accept or decline."
    ),
    NotificationKind.PAYOUT_PAID: _("A payout of %(amount)s %(currency)s was paid to you."),
    NotificationKind.NEW_FOLLOWER: _("%(actor)s follows you now."),
}


# A phase added to a challenge already published (its context names the phase).
PHASE_ADDED = _("A new phase “%(phase)s” was added to “%(challenge)s”.")


def notification_text(kind: str, context: dict[str, Any]) -> str:
    """The sentence in the active language and time zone; missing details read as "…" rather
    than failing. A deadline (`closes_at`) reads as "in 5 hours (29.11.2026 16:00 CET (Europe/Berlin))"."""
    template = TEXTS.get(kind)
    if template is None:
        return gettext("Something happened.")
    values: defaultdict[str, Any] = defaultdict(lambda: "…", context or {})
    if kind == NotificationKind.PHASE_PUBLISHED and "phase" in values:
        template = PHASE_ADDED
    deadline = _moment(values.get("closes_at"))
    if deadline is not None:
        values["deadline"] = f"{relative_time(deadline)} ({local_datetime(deadline)})"
    return str(template) % values


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
