"""The staff audit trail: every action staff take in the admin is written twice, to Django's admin log
(so "Recent actions" on the admin index shows it) and to `StaffAction` (who, what, when, the
object's fields before and after, the challenge and member it concerns), which staff filter per
challenge and per member.

`record_staff_action` is the one writer. The admin calls it for every action, object button, save
and delete (`core.admin`); other entry points that act for staff may call it too.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import StaffAction

__all__ = ["ADDITION", "CHANGE", "DELETION", "Concerns", "record_staff_action", "snapshot"]

# Fields never copied into the trail: secrets, and documents too large to repeat in every row.
NEVER_SNAPSHOT = frozenset({"password", "secret_hash", "token", "iban", "destination", "xml"})
LONGEST_TEXT = 500


@dataclass(frozen=True)
class Concerns:
    """The challenge and member an action concerns (either may be unknown)."""

    challenge_id: int | None = None
    challenge_label: str = ""
    member_id: int | None = None


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    text = str(value)
    return text if len(text) <= LONGEST_TEXT else text[:LONGEST_TEXT] + "…"


def snapshot(obj: models.Model | None) -> dict[str, Any] | None:
    """The object's own fields as JSON (foreign keys as ids), without secrets or large documents."""
    if obj is None:
        return None
    fields: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in NEVER_SNAPSHOT or isinstance(field, models.BinaryField):
            continue
        fields[field.attname] = _plain(getattr(obj, field.attname))
    return fields


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def record_staff_action(
    *,
    actor: Any,
    action: str,
    summary: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    concerns: Concerns | None = None,
    flag: int = CHANGE,
    admin_log: bool = True,
) -> StaffAction:
    """Write one staff action to the audit trail and (unless Django's admin already logged it, as it
    does for its own saves and deletes: `admin_log=False`) to the admin log.

    `target` is the object acted on; `before`/`after` are its `snapshot`s around the action;
    `flag` is the admin log's kind (ADDITION, CHANGE, DELETION).
    """
    concerns = concerns or Concerns()
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False) if target else None
    object_id = str(target.pk) if target is not None and target.pk is not None else ""
    if target is not None and not object_id and before:
        object_id = str(before.get("id", ""))
    object_repr = str(target)[:200] if target is not None else ""
    summary = summary[:300]
    if admin_log:
        message = summary if not reason else f"{summary} ({reason})"
        LogEntry.objects.create(
            user_id=actor.pk,
            content_type=content_type,
            object_id=object_id or None,
            object_repr=object_repr or summary[:200],
            action_flag=flag,
            change_message=message,
        )
    return StaffAction.objects.create(
        actor=actor,
        actor_label=str(getattr(actor, "email", "") or actor)[:254],
        action=action[:80],
        summary=summary,
        reason=reason,
        content_type=content_type,
        object_id=object_id,
        object_repr=object_repr,
        challenge_id=concerns.challenge_id,
        challenge_label=concerns.challenge_label[:200],
        member_id=concerns.member_id,
        before=before,
        after=after,
    )
