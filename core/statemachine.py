"""One form for every lifecycle: a table of allowed moves, who may make each, and why others are refused.

Each app declares its machines in its own `lifecycle.py`:

    PHASE = StateMachine("phase", [
        Move(SCHEDULED, OPEN, roles={SCHEDULE, OWNER, STAFF}),
        Move(JUDGING, AWARDED, roles={STAFF, SYSTEM}, refusal=_("Awarding moves a phase to awarded.")),
        ...
    ])

and writes a status only through one `*_move` service that calls `machine.check(...)` with the
actor's roles, then `apply_move(...)`, which saves the new status and appends a record (a model
deriving from `core.models.TransitionRecord`) in the caller's transaction, under the caller's lock.

Roles are the app's own names (a `StrEnum`); `SYSTEM` is what an `Actor.system(...)` acts as.
A move absent from the table is a `Conflict` (409: the object is in the wrong state) with the
machine's `conflict` message; a move in the table that the actor's roles do not allow is
`NotAllowed` (403) with the move's refusal, else the machine's `refusal`. A message is a template
(a lazy string is fine: it is translated when it is raised) filled with `from` and `to` (the
statuses' labels, through `labels`) and `source` and `target` (the statuses' values), or a
function of the two statuses returning the text.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.exceptions import Conflict, NotAllowed

if TYPE_CHECKING:
    from django.db import models

    from core.actors import Actor


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # Shown when someone whose roles are not in `roles` asks for the move (a lazy string is fine).
    refusal: Any = ""

    def __init__(self, source: str, target: str, *, roles: Iterable[str], refusal: Any = "") -> None:
        object.__setattr__(self, "source", str(source))
        object.__setattr__(self, "target", str(target))
        object.__setattr__(self, "roles", frozenset(str(role) for role in roles))
        object.__setattr__(self, "refusal", refusal)


# A refusal: a template filled with from/to/source/target, or a function of (source, target).
Message = Any


class StateMachine:
    """The allowed moves of one lifecycle, looked up by (source, target)."""

    def __init__(
        self,
        name: str,
        moves: Iterable[Move],
        *,
        labels: Callable[[str], Any] = str,
        conflict: Message = "",
        refusal: Message = "",
    ) -> None:
        self.name = name
        self.labels = labels
        self.conflict = conflict
        self.refusal = refusal
        self.moves: dict[tuple[str, str], Move] = {}
        for move in moves:
            key = (move.source, move.target)
            if key in self.moves:
                raise ValueError(f"{name}: the move {move.source} → {move.target} is declared twice.")
            self.moves[key] = move

    def __contains__(self, key: tuple[str, str]) -> bool:
        return (str(key[0]), str(key[1])) in self.moves

    def allows(self, source: str, target: str, roles: Iterable[str] | None = None) -> bool:
        """Whether the table has the move, and (when `roles` are given) whether one of them may make it."""
        move = self.moves.get((str(source), str(target)))
        if move is None:
            return False
        return roles is None or bool(move.roles & {str(role) for role in roles})

    def targets(self, source: str, roles: Iterable[str] | None = None) -> list[str]:
        """Where an object in `source` may go (for `roles`, when given), in declaration order."""
        return [
            move.target
            for move in self.moves.values()
            if move.source == str(source) and self.allows(move.source, move.target, roles)
        ]

    def check(self, source: str, target: str, roles: Iterable[str]) -> Move:
        """The move, or the refusal: `Conflict` when the table has no such move, `NotAllowed` for the roles."""
        move = self.moves.get((str(source), str(target)))
        if move is None:
            raise Conflict(
                self.message(self.conflict, source, target)
                if self.conflict
                else _("This cannot move from “%(source)s” to “%(target)s”.") % {"source": source, "target": target}
            )
        if not move.roles & {str(role) for role in roles}:
            refusal = move.refusal or self.refusal
            raise NotAllowed(self.message(refusal, source, target) if refusal else _("You may not make this change."))
        return move

    def require(self, target: str, roles: Iterable[str]) -> None:
        """Refuse unless one of `roles` may make some move to `target`, whatever the source: for the
        services that say who may act (403) before what state the object is in (409)."""
        into = [move for move in self.moves.values() if move.target == str(target)]
        given = {str(role) for role in roles}
        if into and not any(move.roles & given for move in into):
            refusal = into[0].refusal or self.refusal
            source = into[0].source
            raise NotAllowed(self.message(refusal, source, target) if refusal else _("You may not make this change."))

    def message(self, template: Message, source: str, target: str) -> str:
        """`template` for the move from `source` to `target`, in the active language."""
        if callable(template) and not isinstance(template, str | Promise):
            return str(template(str(source), str(target)))
        text = str(template)
        if "%(" not in text:
            return text
        return text % {
            "from": self.labels(str(source)),
            "to": self.labels(str(target)),
            "source": source,
            "target": target,
        }


def apply_move(
    instance: "models.Model",
    *,
    target: str,
    actor: "Actor",
    record: "type[models.Model]",
    reason: str = "",
    status_field: str = "status",
    update_fields: Iterable[str] = (),
    **record_fields: Any,
) -> "models.Model":
    """Save `instance` in `target` and append its transition record; the caller has checked the move
    (`StateMachine.check`) under a lock on the row and holds the transaction. Returns the record
    (its reason cut to the record's 500 characters)."""
    source = getattr(instance, status_field)
    save_status(instance, target=target, status_field=status_field, update_fields=update_fields)
    return record.objects.create(  # type: ignore[attr-defined]
        from_status=source,
        to_status=target,
        actor=actor.recorded_user,
        task=actor.system_name,
        reason=reason[:500],
        **record_fields,
    )


def save_status(
    instance: "models.Model", *, target: str, status_field: str = "status", update_fields: Iterable[str] = ()
) -> None:
    """Save `instance` in `target` (with `update_fields`, and `updated_at` when it has one), keeping no
    record: for the moves whose history is the row itself (a co-author's answer and when it came)."""
    setattr(instance, status_field, target)
    instance.save(
        update_fields=[status_field, *update_fields, *(["updated_at"] if _has_field(instance, "updated_at") else [])]
    )


def _has_field(instance: "models.Model", name: str) -> bool:
    return any(model_field.name == name for model_field in instance._meta.concrete_fields)
