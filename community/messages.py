"""The sentence each kind of notification reads as, translated; filled from the notification's context."""

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.models import NotificationKind

TEXTS: dict[str, Any] = {
    NotificationKind.CHALLENGE_PUBLISHED: _("%(actor)s published the challenge “%(challenge)s”."),
    NotificationKind.PHASE_PUBLISHED: _("“%(challenge)s” is published with %(phases)s phase(s)."),
    NotificationKind.PHASE_OPENED: _("The phase “%(phase)s” of “%(challenge)s” is open for entries."),
    NotificationKind.PHASE_CLOSING_SOON: _("The phase “%(phase)s” of “%(challenge)s” closes in 24 hours."),
    NotificationKind.ENTRY_SCORED: _("A judge scored your entry “%(entry)s” in “%(challenge)s”."),
    NotificationKind.ENTRY_AWARDED: _("Your entry “%(entry)s” won an award in “%(challenge)s”."),
    NotificationKind.BLUEPRINT_FORKED: _("%(actor)s forked your blueprint “%(blueprint)s”."),
    NotificationKind.COMMENT_REPLY: _("%(actor)s replied to your comment on “%(target)s”."),
    NotificationKind.NEW_COMMENT: _("%(actor)s commented on “%(target)s”."),
    NotificationKind.MENTION: _("%(actor)s mentioned you on “%(target)s”."),
    NotificationKind.JUDGE_INVITED: _("You are invited to judge “%(challenge)s”."),
    NotificationKind.PAYOUT_PAID: _("A payout of %(amount)s %(currency)s was paid to you."),
    NotificationKind.NEW_FOLLOWER: _("%(actor)s follows you now."),
}


def notification_text(kind: str, context: dict[str, Any]) -> str:
    """The sentence in the active language; missing details read as "…" rather than failing."""
    template = TEXTS.get(kind)
    if template is None:
        return gettext("Something happened.")
    values: defaultdict[str, Any] = defaultdict(lambda: "…", context or {})
    return str(template) % values
