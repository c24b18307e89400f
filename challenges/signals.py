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
- `phase_held(phase_id, challenge_id, reason)`: a phase's opening time came but it cannot open yet
  (`reason` is a `PhaseHold` value); the owner has been told.
- `judge_invited(assignment_id, challenge_id, email)` and
  `judge_responded(assignment_id, challenge_id, judge_id, accepted)`.
"""

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

challenge_transitioned = Signal()
challenge_submitted_for_funding = Signal()
challenge_published = Signal()
brief_revised = Signal()
phase_added = Signal()
phase_transitioned = Signal()
phase_held = Signal()
judge_invited = Signal()
judge_responded = Signal()


def announce_on_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send `signal` once the current transaction commits."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("Receiver %r of %s failed", receiver, sender.__name__, exc_info=result)

    transaction.on_commit(send)
