"""What the challenges app announces, for higher apps (submissions, payments, community) to act on.

Every signal is sent after the transaction that made the change has committed (never for a change
rolled back), with `send_robust`: a failing receiver is logged and cannot undo the change.
Receivers should be quick (enqueue a task) and take ids, not model instances.

- `challenge_transitioned(challenge_id, transition_id, from_status, to_status, actor_id, task, reason)`
- `challenge_submitted_for_funding(challenge_id, amount, currency)`: the budget is to be collected
  (`amount` is a `Decimal`); payments answers with `challenges.services.challenge_mark_funded`.
- `challenge_published(challenge_id)`: the challenge is funded, public and its phases run.
- `brief_revised(challenge_id, version, change_note)`: a published brief was edited.
- `phase_added(phase_id, challenge_id)`: a phase was added to a challenge already published.
- `phase_transitioned(phase_id, challenge_id, transition_id, from_status, to_status, actor_id, task, reason)`
- `phases_transitioned(moves)`: the same moves again, once per transaction that made them (the
  scheduler moves due phases in batches of hundreds), as a list of `PhaseMove`, for receivers that
  work in bulk (one query for all the moves rather than one per move). Listen to one of the two.
- `phase_held(phase_id, challenge_id, reason)`: a phase's opening time came but it cannot open yet
  (`reason` is a `PhaseHold` value); the owner has been told.
- `judge_invited(assignment_id, challenge_id, email)` and
  `judge_responded(assignment_id, challenge_id, judge_id, accepted)`.
"""

from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal

from core.events import announce_on_commit as announce_on_commit
from core.events import send_robust

challenge_transitioned = Signal()
challenge_submitted_for_funding = Signal()
challenge_published = Signal()
brief_revised = Signal()
phase_added = Signal()
phase_transitioned = Signal()
phases_transitioned = Signal()
phase_held = Signal()
judge_invited = Signal()
judge_responded = Signal()


@dataclass(frozen=True)
class PhaseMove:
    """One phase move, as `phase_transitioned` announces it (its keyword arguments)."""

    phase_id: int
    challenge_id: int
    transition_id: int
    from_status: str
    to_status: str
    actor_id: int | None
    task: str
    reason: str


def announce_phase_moves_on_commit(sender: type, moves: list[PhaseMove]) -> None:
    """Once the current transaction commits: `phase_transitioned` for each of `moves`, then
    `phases_transitioned` once for them all."""

    def send() -> None:
        for move in moves:
            send_robust(phase_transitioned, sender, **vars(move))
        send_robust(phases_transitioned, sender, moves=moves)

    transaction.on_commit(send)
