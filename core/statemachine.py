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
A move absent from the table is a `Conflict` (409: the object is in the wrong state); a move in
the table that the actor's roles do not allow is `NotAllowed` (403) with the move's refusal.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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


class StateMachine:
    """The allowed moves of one lifecycle, looked up by (source, target)."""

    def __init__(self, name: str, moves: Iterable[Move]) -> None:
        self.name = name
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
                _("This cannot move from “%(source)s” to “%(target)s”.") % {"source": source, "target": target}
            )
        if not move.roles & {str(role) for role in roles}:
            raise NotAllowed(str(move.refusal) if move.refusal else _("You may not make this change."))
        return move


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
    (`StateMachine.check`) under a lock on the row and holds the transaction. Returns the record."""
    source = getattr(instance, status_field)
    setattr(instance, status_field, target)
    instance.save(
        update_fields=[status_field, *update_fields, *(["updated_at"] if _has_field(instance, "updated_at") else [])]
    )
    return record.objects.create(  # type: ignore[attr-defined]
        from_status=source,
        to_status=target,
        actor=actor.recorded_user,
        task=actor.system_name,
        reason=reason,
        **record_fields,
    )


def _has_field(instance: "models.Model", name: str) -> bool:
    return any(model_field.name == name for model_field in instance._meta.concrete_fields)
