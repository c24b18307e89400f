"""The phase and challenge state machines in motion, and the clock that moves phases on time.

Each status has its writers: `phase_move` (any phase move, one at a time), `_phase_moves_due`
(the scheduler's time-driven moves, many at once) and `challenge_move`. They check the move
against the machines in `challenges.lifecycle` (`PHASE`, `CHALLENGE`), write it with
`core.statemachine.apply_move` (the batch writer in two statements), record who or which task
made it and why, and announce it on commit. Callers hold the row locks:

- `phase_transition` and `challenge_transition` (people, other apps) lock the challenge, then
  the phase, waiting for each;
- `phase_advance_due` and `phases_advance_batch` (the scheduler) claim due phases with
  `SKIP LOCKED` and lock nothing else, so they never wait while holding a lock.

The database is the clock: `Phase.next_transition_at` is the next time-driven move. A beat sweep
every `CHALLENGES_SWEEP_SECONDS` makes every move that is due and arms a short ETA task for each
move falling due within `CHALLENGES_ARM_AHEAD_SECONDS`; that task makes the move on time. ETAs
stay minutes long at most, far inside the Redis visibility timeout (celery#4400, kombu#337). A
lost or stale task is harmless: the task re-checks the deadline under the lock, and the next
sweep makes any move still due. Many moves due at once (thousands in the same minute) are made
in batches of `SWEEP_BATCH`, one transaction each, which the beat task hands out to all workers.
Every move happens once: a phase is moved only by whoever holds its row lock, only while its
`next_transition_at` is due, and the move changes that deadline in the same transaction.
"""

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import signals
from challenges.guards import challenge_move_refusal
from challenges.lifecycle import CHALLENGE, PHASE, PHASE_AWARDED_OR_LATER, PHASE_FINAL, Role
from challenges.models import (
    BriefVersion,
    Challenge,
    ChallengeStatus,
    ChallengeTransition,
    Phase,
    PhaseDependency,
    PhaseHold,
    PhaseStatus,
    PhaseTransition,
    Prize,
)
from challenges.services.common import actor_roles, lock_challenge, lock_phase
from challenges.services.notify import phase_owner_notify_held
from community.models import User
from core.actors import Actor
from core.caching import bump
from core.exceptions import ApplicationError, Conflict
from core.statemachine import apply_move

logger = logging.getLogger(__name__)

SWEEP_TASK = "challenges.sweep"
ADVANCE_TASK = "challenges.phase_advance"
SWEEP_BATCH_TASK = "challenges.sweep_batch"
# Due moves made in one transaction (one batch task when the beat task fans a sweep out).
SWEEP_BATCH = 500
# At most this many due moves per sweep; more wait for the next one.
SWEEP_LIMIT = 100_000


# Who the beat sweep is, in the records of the moves it makes.
SWEEPER = Actor.system(SWEEP_TASK)


def arm_ahead() -> timedelta:
    return timedelta(seconds=settings.CHALLENGES_ARM_AHEAD_SECONDS)


# --- Scheduling -------------------------------------------------------------------------------


def phase_deadline(phase: Phase, challenge_status: str, *, status: str | None = None) -> datetime | None:
    """When the phase's next time-driven move is due (in `status`, by default its own), or None if none is."""
    status = status or phase.status
    if challenge_status != ChallengeStatus.OPEN or phase.hold:
        return None
    if status == PhaseStatus.SCHEDULED:
        return phase.opens_at
    if status == PhaseStatus.OPEN:
        return phase.closes_at
    return None


def _arm_on_commit(phase_id: int, due: datetime) -> None:
    def send() -> None:
        from challenges.tasks import phase_advance

        phase_advance.apply_async(args=(phase_id, due.isoformat()), eta=due)

    transaction.on_commit(send)


def _schedule(phase: Phase, *, challenge_status: str, now: datetime, status: str | None = None) -> list[str]:
    """Recompute the locked phase's deadline (in `status`, by default its own) and arm an ETA task
    if it falls due soon. The fields changed, for the caller to save."""
    phase.next_transition_at = phase_deadline(phase, challenge_status, status=status)
    fields = ["next_transition_at"]
    due = phase.next_transition_at
    if due is not None and due <= now + arm_ahead() and phase.armed_for != due:
        phase.armed_for = due
        fields.append("armed_for")
        _arm_on_commit(phase.pk, due)
    return fields


def save_scheduled(phase: Phase, *, challenge_status: str, now: datetime, fields: list[str]) -> None:
    """Save `fields` of the locked phase with its deadline recomputed; arm an ETA task if it falls due soon."""
    update = {*fields, *_schedule(phase, challenge_status=challenge_status, now=now), "updated_at"}
    phase.save(update_fields=sorted(update))


# --- Phase moves ------------------------------------------------------------------------------


def unmet_requirements(phase: Phase) -> list[Phase]:
    """The phases `phase` waits for: required by it and not yet awarded, in order."""
    return list(
        Phase.objects.filter(required_by__phase=phase).exclude(status__in=PHASE_AWARDED_OR_LATER).order_by("position")
    )


def _as_system(actor: Actor, name: str) -> Actor:
    """The actor of a move the platform makes because of `actor`'s: the system, on their behalf."""
    return actor if actor.is_system else Actor.system(name, on_behalf_of=actor.member)


def _check_can_open(phase: Phase, challenge: Challenge, *, now: datetime) -> None:
    if challenge.status != ChallengeStatus.OPEN:
        raise Conflict(_("Phases open only once the challenge is funded and open."))
    unmet = unmet_requirements(phase)
    if unmet:
        raise Conflict(
            _("This phase waits until %(phases)s is awarded.") % {"phases": ", ".join(p.title for p in unmet)}
        )
    if phase.closes_at <= now:
        raise Conflict(_("The entry period of this phase is over; give it new dates first."))


def phase_move(
    phase: Phase,
    challenge: Challenge,
    to: PhaseStatus,
    *,
    actor: Actor,
    reason: str,
    now: datetime,
    challenge_locked: bool,
) -> PhaseTransition:
    """The one writer of a phase's status (but for the scheduler's batches, `_phase_moves_due`).

    The caller holds the lock on `phase` (and on `challenge` for a final move, `challenge_locked`).
    Checks the move against `PHASE` in `actor`'s roles, then writes it with its dates, deadline and
    record, announces it on commit and makes what follows from it (dependents released, the
    challenge completed).
    """
    from_status = phase.status
    PHASE.check(from_status, to, actor_roles(actor=actor, challenge=challenge))
    if to == PhaseStatus.OPEN:
        _check_can_open(phase, challenge, now=now)
    fields = ["hold", "held_since", *_write_dates(phase, to, now=now)]
    phase.hold = PhaseHold.NONE
    phase.held_since = None
    fields += _schedule(phase, challenge_status=challenge.status, now=now, status=to)
    record = apply_move(
        phase, target=to, actor=actor, record=PhaseTransition, reason=reason, update_fields=fields, phase=phase
    )
    assert isinstance(record, PhaseTransition)
    signals.announce_phase_moves_on_commit(
        Phase,
        [
            signals.PhaseMove(
                phase_id=phase.pk,
                challenge_id=challenge.pk,
                transition_id=record.pk,
                from_status=from_status,
                to_status=str(to),
                actor_id=record.actor_id,
                task=record.task,
                reason=record.reason,
            )
        ],
    )
    if to == PhaseStatus.AWARDED:
        _release_dependents(phase, challenge=challenge, now=now)
    if to in PHASE_FINAL:
        if not challenge_locked:  # pragma: no cover - the scheduler never makes these moves
            raise RuntimeError("Final phase moves need the challenge lock.")
        _complete_if_finished(challenge, actor=actor, now=now)
    return record


def _release_dependents(required: Phase, *, challenge: Challenge, now: datetime) -> None:
    """Phases waiting only for `required` are due again (and open within seconds)."""
    waiting = (
        Phase.objects.select_for_update(of=("self",))
        .filter(requirements__required=required, status=PhaseStatus.SCHEDULED, hold=PhaseHold.DEPENDENCIES)
        .order_by("position")
    )
    for dependent in waiting:
        if not unmet_requirements(dependent):
            dependent.hold = PhaseHold.NONE
            dependent.held_since = None
            save_scheduled(dependent, challenge_status=challenge.status, now=now, fields=["hold", "held_since"])


def _complete_if_finished(challenge: Challenge, *, actor: Actor, now: datetime) -> None:
    if challenge.status != ChallengeStatus.OPEN:
        return
    phases = Phase.objects.filter(challenge=challenge)
    if phases.exclude(status__in=PHASE_FINAL).exists() or not phases.filter(status=PhaseStatus.CLOSED).exists():
        return
    challenge_move(
        challenge,
        ChallengeStatus.COMPLETED,
        actor=_as_system(actor, "challenges.phases_finished"),
        reason="Every phase is closed or cancelled.",
        now=now,
    )


def _write_dates(phase: Phase, to: PhaseStatus, *, now: datetime) -> list[str]:
    """Opened or closed before its time: the dates say what happened. The fields changed."""
    if to == PhaseStatus.OPEN and phase.opens_at > now:
        phase.opens_at = now
        return ["opens_at"]
    if to == PhaseStatus.JUDGING and phase.closes_at > now:
        phase.closes_at = max(now, phase.opens_at + timedelta(microseconds=1))
        return ["closes_at"]
    return []


def _hold(phase: Phase, *, reason: PhaseHold, now: datetime) -> None:
    phase.hold = reason
    phase.held_since = now
    phase.next_transition_at = None
    phase.save(update_fields=["hold", "held_since", "next_transition_at", "updated_at"])
    phase_owner_notify_held(phase=phase, reason=reason)


def _to_phase_status(value: str) -> PhaseStatus:
    try:
        return PhaseStatus(value)
    except ValueError as error:
        raise ApplicationError(_("Unknown phase status."), {"to": [_("Unknown status.")]}) from error


@transaction.atomic
def phase_transition(*, phase: Phase, to: str, actor: Actor, reason: str = "", now: datetime | None = None) -> Phase:
    """Move a phase by hand (`Actor.user`) or for another app (`Actor.system`). Already there: nothing happens."""
    target = _to_phase_status(to)
    challenge = lock_challenge(phase.challenge_id)
    locked = lock_phase(phase.pk)
    if locked.status == target:
        return locked
    phase_move(locked, challenge, target, actor=actor, reason=reason, now=now or timezone.now(), challenge_locked=True)
    return locked


class Advance(StrEnum):
    MOVED = "moved"
    HELD = "held"
    NOT_DUE = "not_due"
    BUSY = "busy"
    EARLY = "early"


@dataclass(frozen=True)
class AdvanceResult:
    outcome: Advance
    retry_in: float = 0.0


def phase_advance_due(
    *, phase_id: int, actor: Actor, due_at: datetime | None = None, now: datetime | None = None
) -> AdvanceResult:
    """Make the phase's time-driven move if it is due; safe to call any number of times, concurrently.

    `due_at` (from an ETA task) is the deadline the task was armed for: if the owner has changed
    the dates since, the task is stale and does nothing (the new deadline has its own).
    """
    with transaction.atomic():
        phase = _lock_due(Phase.objects.filter(pk=phase_id)).first()
        if phase is None:
            busy = Phase.objects.filter(pk=phase_id).exists()
            return AdvanceResult(Advance.BUSY if busy else Advance.NOT_DUE)
        now = now or timezone.now()
        deadline = phase.next_transition_at
        if deadline is None or (due_at is not None and deadline != due_at):
            return AdvanceResult(Advance.NOT_DUE)
        if deadline > now:
            return AdvanceResult(Advance.EARLY, retry_in=(deadline - now).total_seconds())
        return AdvanceResult(_advance_locked([phase], actor=_scheduler(actor), now=now)[phase.pk])


@dataclass
class SweepReport:
    moved: int = 0
    held: int = 0
    busy: int = 0
    armed: int = 0
    dispatched: int = 0

    def add(self, other: "SweepReport") -> None:
        self.moved += other.moved
        self.held += other.held
        self.busy += other.busy


def phases_advance_batch(*, phase_ids: Sequence[int], actor: Actor, now: datetime | None = None) -> SweepReport:
    """Make the due moves of the phases `phase_ids` in one transaction; safe to repeat, concurrently.

    Claims the rows still due with `SKIP LOCKED` (a row another sweep, task or person holds is
    theirs: counted busy here, and the next sweep looks again) and moves them together: one
    UPDATE, one INSERT of the transition records, one announcement of all moves on commit. If a
    move is refused, the batch is rolled back and each phase moved on its own instead.
    """
    report = SweepReport()
    if not phase_ids:
        return report
    try:
        with transaction.atomic():
            at = now or timezone.now()
            phases = list(_lock_due(Phase.objects.filter(pk__in=phase_ids, next_transition_at__lte=at)))
            outcomes = _advance_locked(phases, actor=_scheduler(actor), now=at) if phases else {}
    except ApplicationError:
        logger.exception("A batch of %s due phases failed; moving them one by one", len(phase_ids))
        return _advance_one_by_one(phase_ids, actor=actor, now=now)
    report.moved = sum(1 for outcome in outcomes.values() if outcome == Advance.MOVED)
    report.held = sum(1 for outcome in outcomes.values() if outcome == Advance.HELD)
    missing = [pk for pk in phase_ids if pk not in outcomes]
    if missing:  # locked by someone else, or moved already
        report.busy = Phase.objects.filter(pk__in=missing, next_transition_at__lte=at).count()
    return report


def _advance_one_by_one(phase_ids: Sequence[int], *, actor: Actor, now: datetime | None) -> SweepReport:
    report = SweepReport()
    for phase_id in phase_ids:
        try:
            result = phase_advance_due(phase_id=phase_id, actor=actor, now=now)
        except ApplicationError:
            logger.exception("Phase %s could not make its due move", phase_id)
            continue
        if result.outcome == Advance.MOVED:
            report.moved += 1
        elif result.outcome == Advance.HELD:
            report.held += 1
        elif result.outcome == Advance.BUSY:
            report.busy += 1
    return report


def phases_due(*, now: datetime, limit: int = SWEEP_LIMIT) -> list[int]:
    """The ids of the phases whose next move is due by `now`, earliest deadline first (not locked)."""
    return list(
        Phase.objects.filter(next_transition_at__lte=now)
        .order_by("next_transition_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def phases_sweep(
    *,
    actor: Actor = SWEEPER,
    now: datetime | None = None,
    batch: int | None = None,
    dispatch: Callable[[list[int]], None] | None = None,
) -> SweepReport:
    """Make every move due by now, then arm ETA tasks for the moves due before the next sweep (and some).

    The due phases are moved in batches of `batch` (default `SWEEP_BATCH`), each in its own
    transaction. With `dispatch` (the beat task passes one that enqueues a batch task), every
    batch but the first is handed to it, so that all workers share a large sweep; a batch whose
    task is lost is due again at the next sweep.
    """
    started = now or timezone.now()
    report = SweepReport()
    due = phases_due(now=started)
    size = batch or SWEEP_BATCH
    batches = [due[i : i + size] for i in range(0, len(due), size)]
    if dispatch is not None:
        for later in batches[1:]:
            dispatch(later)
            report.dispatched += len(later)
        batches = batches[:1]
    for phase_ids in batches:
        report.add(phases_advance_batch(phase_ids=phase_ids, actor=actor, now=now))
    report.armed = _arm_upcoming(now=now or timezone.now())
    return report


# What the scheduler reads of a phase it moves (not the briefs: a batch loads hundreds of rows).
_SCHEDULER_FIELDS = (
    "challenge__status",
    "status",
    "opens_at",
    "closes_at",
    "next_transition_at",
    "armed_for",
    "hold",
    "held_since",
)


def _scheduler(actor: Actor) -> Actor:
    """The scheduler's time-driven moves are the platform's (`Actor.system`, named in the records)."""
    if not actor.is_system:
        raise ValueError("The scheduler's moves are made by the system (Actor.system), not by a member.")
    return actor


def _lock_due(phases: QuerySet[Phase]) -> QuerySet[Phase]:
    """Claim rows for the scheduler: locked with `SKIP LOCKED` (never waiting), their challenge's status read along."""
    return (
        phases.select_for_update(skip_locked=True, of=("self",))
        .select_related("challenge")
        .only(*_SCHEDULER_FIELDS)
        .order_by("pk")
    )


def _advance_locked(phases: list[Phase], *, actor: Actor, now: datetime) -> dict[int, Advance]:
    """Make the time-driven move of each of `phases`, locked by the caller, each due by `now`."""
    outcomes: dict[int, Advance] = {}
    scheduled = [phase.pk for phase in phases if phase.status == PhaseStatus.SCHEDULED]
    waiting = _with_unmet_requirements(scheduled) if scheduled else set()
    moves: list[tuple[Phase, PhaseStatus, str]] = []
    for phase in phases:
        if phase.challenge.status != ChallengeStatus.OPEN:
            phase.next_transition_at = None
            phase.save(update_fields=["next_transition_at", "updated_at"])
            outcomes[phase.pk] = Advance.NOT_DUE
        elif phase.status == PhaseStatus.SCHEDULED:
            if phase.pk in waiting:
                _hold(phase, reason=PhaseHold.DEPENDENCIES, now=now)
                outcomes[phase.pk] = Advance.HELD
            elif phase.closes_at <= now:
                _hold(phase, reason=PhaseHold.DATES_PASSED, now=now)
                outcomes[phase.pk] = Advance.HELD
            else:
                moves.append((phase, PhaseStatus.OPEN, "The opening time was reached."))
        elif phase.status == PhaseStatus.OPEN:
            moves.append((phase, PhaseStatus.JUDGING, "The closing time was reached."))
        else:  # pragma: no cover - deadlines exist only for scheduled and open phases
            phase.next_transition_at = None
            phase.save(update_fields=["next_transition_at", "updated_at"])
            outcomes[phase.pk] = Advance.NOT_DUE
    _phase_moves_due(moves, actor=actor, now=now)
    for phase, _to, _why in moves:
        outcomes[phase.pk] = Advance.MOVED
    return outcomes


def _with_unmet_requirements(phase_ids: list[int]) -> set[int]:
    """Which of `phase_ids` wait for a required phase not yet awarded (one query)."""
    return set(
        PhaseDependency.objects.filter(phase_id__in=phase_ids)
        .exclude(required__status__in=PHASE_AWARDED_OR_LATER)
        .values_list("phase_id", flat=True)
    )


# The scheduler's moves as one JSON array (json.dumps is much faster than psycopg's arrays), read
# by two statements: the phases' new state, then one transition record per move.
_MOVE_SQL = """
UPDATE {phase} AS p
SET status = v.to_status, hold = '', held_since = NULL, opens_at = v.opens_at, closes_at = v.closes_at,
    next_transition_at = v.next_transition_at, armed_for = v.armed_for, updated_at = %(written)s
FROM jsonb_to_recordset(%(moves)s::jsonb) AS v(id bigint, to_status text, opens_at timestamptz,
     closes_at timestamptz, next_transition_at timestamptz, armed_for timestamptz)
WHERE p.id = v.id
"""
_RECORD_SQL = """
INSERT INTO {record} (phase_id, from_status, to_status, actor_id, task, reason, due_at, created_at)
SELECT v.id, v.from_status, v.to_status, %(actor_id)s, %(task)s, v.reason, v.due_at, %(written)s
FROM jsonb_to_recordset(%(moves)s::jsonb) AS v(id bigint, from_status text, to_status text, reason text,
     due_at timestamptz)
ORDER BY v.id
RETURNING id, phase_id
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _phase_moves_due(moves: list[tuple[Phase, PhaseStatus, str]], *, actor: Actor, now: datetime) -> None:
    """The scheduler's writer: the time-driven moves of phases locked by the caller, all at once.

    The same checks, dates, deadlines, records and announcements as `phase_move` makes for one
    move (in the `SCHEDULE` role, with no actor), in two statements whatever the number of moves.
    """
    if not moves:
        return
    rows: list[dict[str, Any]] = []
    made: list[tuple[Phase, str, str, str]] = []  # phase, from, to, reason
    for phase, to, why in moves:
        from_status = phase.status
        PHASE.check(from_status, to, {Role.SCHEDULE})
        due_at = phase.next_transition_at
        _write_dates(phase, to, now=now)
        phase.status = to
        phase.hold = PhaseHold.NONE
        phase.held_since = None
        phase.next_transition_at = phase_deadline(phase, phase.challenge.status)
        due = phase.next_transition_at
        if due is not None and due <= now + arm_ahead() and phase.armed_for != due:
            phase.armed_for = due
            _arm_on_commit(phase.pk, due)
        rows.append(
            {
                "id": phase.pk,
                "from_status": str(from_status),
                "to_status": str(to),
                "reason": why[:500],
                "due_at": _iso(due_at),
                "opens_at": _iso(phase.opens_at),
                "closes_at": _iso(phase.closes_at),
                "next_transition_at": _iso(phase.next_transition_at),
                "armed_for": _iso(phase.armed_for),
            }
        )
        made.append((phase, str(from_status), str(to), why[:500]))
    written = timezone.now()
    params: dict[str, Any] = {
        "moves": json.dumps(rows),
        "task": actor.system_name,
        "actor_id": actor.member.pk if actor.member is not None else None,
        "written": written,
    }
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_SQL.format(phase=connection.ops.quote_name(Phase._meta.db_table)), params)
        cursor.execute(_RECORD_SQL.format(record=connection.ops.quote_name(PhaseTransition._meta.db_table)), params)
        transition_of = {phase_id: pk for pk, phase_id in cursor.fetchall()}
    for phase, _to, _why in moves:
        phase.updated_at = written
    bump("challenges")
    signals.announce_phase_moves_on_commit(
        Phase,
        [
            signals.PhaseMove(
                phase_id=phase.pk,
                challenge_id=phase.challenge_id,
                transition_id=transition_of[phase.pk],
                from_status=from_status,
                to_status=to_status,
                actor_id=params["actor_id"],
                task=actor.system_name,
                reason=reason,
            )
            for phase, from_status, to_status, reason in made
        ],
    )


def _arm_upcoming(*, now: datetime) -> int:
    with transaction.atomic():
        upcoming = list(
            Phase.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_transition_at__gt=now, next_transition_at__lte=now + arm_ahead())
            .filter(Q(armed_for__isnull=True) | ~Q(armed_for=F("next_transition_at")))
            .values_list("pk", "next_transition_at")
        )
        if upcoming:
            Phase.objects.filter(pk__in=[pk for pk, _due in upcoming]).update(armed_for=F("next_transition_at"))
        for pk, due in upcoming:
            if due is not None:  # the filter says so; the type checker cannot know
                _arm_on_commit(pk, due)
    return len(upcoming)


# --- Challenge moves --------------------------------------------------------------------------


def _check_publishable(challenge: Challenge, *, now: datetime, check_dates: bool) -> None:
    phases = list(Phase.objects.filter(challenge=challenge).exclude(status=PhaseStatus.CANCELLED))
    with_prizes = set(Prize.objects.filter(phase__in=phases).values_list("phase_id", flat=True))
    if not with_prizes:
        raise Conflict(_("Add at least one phase with at least one prize first."))
    if check_dates:
        for phase in phases:
            if phase.closes_at <= now:
                raise Conflict(
                    _("Phase “%(title)s” closes before now; give it new dates first.") % {"title": phase.title}
                )


def challenge_move(
    challenge: Challenge, to: ChallengeStatus, *, actor: Actor, reason: str, now: datetime
) -> ChallengeTransition:
    """The one writer of a challenge's status, under the caller's lock on `challenge`.

    Checks the move against `CHALLENGE` in `actor`'s roles and the guards of higher apps, then
    what the new status needs (`_prepare_challenge_move`); writes it with its record, announces it
    on commit, and makes what follows from it (`_follow_challenge_move`).
    """
    from_status = challenge.status
    CHALLENGE.check(from_status, to, actor_roles(actor=actor, challenge=challenge))
    refusal = challenge_move_refusal(challenge, from_status, to)
    if refusal:
        raise Conflict(refusal)
    fields = _prepare_challenge_move(challenge, to, now=now)
    record = apply_move(
        challenge,
        target=to,
        actor=actor,
        record=ChallengeTransition,
        reason=reason,
        update_fields=fields,
        challenge=challenge,
    )
    assert isinstance(record, ChallengeTransition)
    signals.announce_on_commit(
        signals.challenge_transitioned,
        Challenge,
        challenge_id=challenge.pk,
        transition_id=record.pk,
        from_status=from_status,
        to_status=str(to),
        actor_id=record.actor_id,
        task=record.task,
        reason=record.reason,
    )
    _follow_challenge_move(challenge, to, actor=actor, now=now)
    return record


def _prepare_challenge_move(challenge: Challenge, to: ChallengeStatus, *, now: datetime) -> list[str]:
    """Refuse a move the challenge is not ready for; set the dates the new status has. The fields changed."""
    if to == ChallengeStatus.FUNDING:
        _check_publishable(challenge, now=now, check_dates=True)
        challenge.submitted_at = now
        return ["submitted_at"]
    if to == ChallengeStatus.DRAFT:
        challenge.submitted_at = None
        return ["submitted_at"]
    if to == ChallengeStatus.OPEN:
        _check_publishable(challenge, now=now, check_dates=False)
        challenge.published_at = challenge.funded_at = now
        challenge.brief_version = 1
        return ["published_at", "funded_at", "brief_version"]
    if (
        to == ChallengeStatus.COMPLETED
        and Phase.objects.filter(challenge=challenge).exclude(status__in=PHASE_FINAL).exists()
    ):
        raise Conflict(_("A challenge is completed once every phase is closed or cancelled."))
    return []


def _follow_challenge_move(challenge: Challenge, to: ChallengeStatus, *, actor: Actor, now: datetime) -> None:
    """What a challenge's new status sets going: the budget asked for, the phases scheduled or cancelled."""
    if to == ChallengeStatus.FUNDING:
        signals.announce_on_commit(
            signals.challenge_submitted_for_funding,
            Challenge,
            challenge_id=challenge.pk,
            amount=challenge.budget,
            currency=challenge.currency,
        )
    elif to == ChallengeStatus.OPEN:
        BriefVersion.objects.create(
            challenge=challenge, number=1, brief=challenge.brief_snapshot(), change_note="", created_by=challenge.owner
        )
        for phase in Phase.objects.select_for_update(of=("self",)).filter(challenge=challenge).order_by("position"):
            save_scheduled(phase, challenge_status=challenge.status, now=now, fields=[])
        signals.announce_on_commit(signals.challenge_published, Challenge, challenge_id=challenge.pk)
    elif to == ChallengeStatus.CANCELLED:
        live = [PhaseStatus.SCHEDULED, PhaseStatus.OPEN, PhaseStatus.JUDGING]
        for phase in Phase.objects.select_for_update(of=("self",)).filter(challenge=challenge, status__in=live):
            phase_move(
                phase,
                challenge,
                PhaseStatus.CANCELLED,
                actor=_as_system(actor, "challenges.challenge_cancelled"),
                reason="The challenge was cancelled.",
                now=now,
                challenge_locked=True,
            )


def _to_challenge_status(value: str) -> ChallengeStatus:
    try:
        return ChallengeStatus(value)
    except ValueError as error:
        raise ApplicationError(_("Unknown challenge status."), {"to": [_("Unknown status.")]}) from error


@transaction.atomic
def challenge_transition(
    *,
    challenge: Challenge,
    to: str,
    actor: Actor,
    reason: str = "",
    now: datetime | None = None,
) -> Challenge:
    """Move a challenge (`Actor.user`, or another app as `Actor.system`). Already there: nothing happens."""
    target = _to_challenge_status(to)
    locked = lock_challenge(challenge.pk)
    if locked.status == target:
        return locked
    challenge_move(locked, target, actor=actor, reason=reason, now=now or timezone.now())
    return locked


def challenge_submit_for_funding(*, challenge: Challenge, by: User) -> Challenge:
    return challenge_transition(
        challenge=challenge, to=ChallengeStatus.FUNDING, actor=Actor.user(by), reason="Submitted for funding."
    )


def challenge_withdraw_from_funding(*, challenge: Challenge, by: User) -> Challenge:
    return challenge_transition(
        challenge=challenge, to=ChallengeStatus.DRAFT, actor=Actor.user(by), reason="Taken back to edit."
    )


def challenge_mark_funded(*, challenge: Challenge, actor: Actor) -> Challenge:
    """The budget is in: the challenge opens and its phases start running. Idempotent.

    Called by the payments app (`Actor.system`, on behalf of the staff member who recorded the
    payment, if one did) once the escrow covers the budget.
    """
    return challenge_transition(challenge=challenge, to=ChallengeStatus.OPEN, actor=actor, reason="Funded.")


def challenge_cancel(*, challenge: Challenge, actor: Actor, reason: str = "") -> Challenge:
    """Cancel the challenge and every phase not yet awarded (awarded phases still get paid)."""
    return challenge_transition(
        challenge=challenge, to=ChallengeStatus.CANCELLED, actor=actor, reason=reason or "Cancelled."
    )
