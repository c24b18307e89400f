"""What the payments app announces (the community app turns these into notifications).

Sent after the transaction that made the change has committed, with `send_robust`; receivers get
ids and plain values (`amount` is a `Decimal`, `currency` an ISO code).

- `funding_received(challenge_id, receipt_id, amount, currency)`: staff recorded a payment into a
  challenge's escrow.
- `payout_paid(payout_id, recipient_id, amount, currency)`: a payout left the platform (the ledger
  has recorded it).
"""

from django.dispatch import Signal

from core.events import announce_on_commit as announce_on_commit

funding_received = Signal()
payout_paid = Signal()
