"""What the payments app does when lower apps announce something. Receivers stay thin: services decide."""

import logging
from typing import Any

from challenges.models import Challenge, ChallengeStatus
from challenges.signals import challenge_submitted_for_funding, challenge_transitioned
from payments.services import award_payables_create, escrow_refund, funding_request_ensure
from submissions.signals import phase_awarded

logger = logging.getLogger(__name__)

ENDED = {ChallengeStatus.CANCELLED, ChallengeStatus.COMPLETED}


def on_challenge_submitted_for_funding(sender: Any, *, challenge_id: int, **kwargs: Any) -> None:
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is not None:
        funding_request_ensure(challenge=challenge)


def on_challenge_transitioned(sender: Any, *, challenge_id: int, to_status: str, **kwargs: Any) -> None:
    """A cancelled or completed challenge returns what its escrow does not owe winners to the client."""
    if to_status not in ENDED:
        return
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is not None:
        escrow_refund(challenge=challenge, task="payments.challenge_ended", reason=f"{challenge.title} ({to_status})")


def connect() -> None:
    challenge_submitted_for_funding.connect(on_challenge_submitted_for_funding, dispatch_uid="payments.funding_request")
    challenge_transitioned.connect(on_challenge_transitioned, dispatch_uid="payments.escrow_refund")
    phase_awarded.connect(on_phase_awarded, dispatch_uid="payments.award_payables")


def on_phase_awarded(sender: Any, *, award_ids: list[int], **kwargs: Any) -> None:
    """Each award's shares move from escrow to the winners' payable accounts (once, however often this runs)."""
    for award_id in award_ids:
        award_payables_create(award_id=award_id)
