"""Kinds of notification, registered by the app that owns the event (as `community.targets` are).

`community` is the lowest app and knows none of the others' events: each app registers its kinds
(from its `community_events` module, imported in `AppConfig.ready()`) with

    CHALLENGE_PUBLISHED = register_kind(
        "challenge_published",
        label=_("A followed member published a challenge"),
        sentence=_("%(actor)s published the challenge “%(challenge)s”."),
    )

and notifies with the code it got back. A notification stores its kind as a plain string, so a new
kind needs no migration. The label is what a member mutes in their e-mail settings; the sentence
is what they read, filled from the notification's context. A kind whose sentence depends on the
context registers a function of the context that returns the sentence to fill.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.templatetags.coachworks_time import local_datetime, relative_time

Sentence = Any  # a lazy translated string with %(name)s placeholders


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any
    sentence: Sentence | Callable[[Mapping[str, Any]], Sentence]

    def sentence_for(self, context: Mapping[str, Any]) -> Sentence:
        return self.sentence(context) if callable(self.sentence) else self.sentence


_registry: dict[str, Kind] = {}


def register_kind(code: str, *, label: Any, sentence: Sentence | Callable[[Mapping[str, Any]], Sentence]) -> str:
    """Make `code` a kind members can be notified of (and mute by e-mail); returns the code.
    Registering a code again replaces its label and sentence."""
    if not code or len(code) > 40 or code == "all":
        raise ValueError("A notification kind's code is 1 to 40 characters, and not 'all'.")
    _registry[code] = Kind(code, label, sentence)
    return code


def kind_for(code: str) -> Kind | None:
    return _registry.get(code)


def is_registered(code: str) -> bool:
    return code in _registry


def kind_choices() -> list[tuple[str, Any]]:
    """`(code, label)` of every registered kind, in the order they were registered."""
    return [(kind.code, kind.label) for kind in _registry.values()]


def notification_text(kind: str, context: Mapping[str, Any]) -> str:
    """The sentence in the active language and time zone; missing details read as "…" rather
    than failing. A deadline (`closes_at`) reads as "in 5 hours (29.11.2026 16:00 CET (Europe/Berlin))"."""
    registered = _registry.get(kind)
    if registered is None:
        return gettext("Something happened.")
    values: defaultdict[str, Any] = defaultdict(lambda: "…", context or {})
    template = registered.sentence_for(values)
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


# --- Community's own kinds ----------------------------------------------------------------------


class CommunityKind(StrEnum):
    COMMENT_REPLY = register_kind(
        "comment_reply",
        label=_("A reply to my comment"),
        sentence=_("%(actor)s replied to your comment on “%(target)s”."),
    )
    NEW_COMMENT = register_kind(
        "new_comment",
        label=_("A comment on something I follow"),
        sentence=_("%(actor)s commented on “%(target)s”."),
    )
    MENTION = register_kind(
        "mention", label=_("A mention of me"), sentence=_("%(actor)s mentioned you on “%(target)s”.")
    )
    NEW_FOLLOWER = register_kind("new_follower", label=_("A new follower"), sentence=_("%(actor)s follows you now."))
