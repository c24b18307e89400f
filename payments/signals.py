"""What the payments app announces (the community app turns these into notifications).

Sent after the transaction that made the change has committed, with `send_robust`; receivers get
ids and plain values (`amount` is a `Decimal`, `currency` an ISO code).

- `funding_received(challenge_id, receipt_id, amount, currency)`: staff recorded a payment into a
  challenge's escrow.
- `payout_paid(payout_id, recipient_id, amount, currency)`: a payout left the platform (the ledger
  has recorded it).
"""

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

funding_received = Signal()
payout_paid = Signal()


def announce_on_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("Receiver %r of a payments signal failed", receiver, exc_info=result)

    transaction.on_commit(send)
