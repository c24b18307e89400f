"""Community hooks of the payments app: a paid payout notifies its recipient.
Imported by `PaymentsConfig.ready()`."""

from decimal import Decimal
from typing import Any

from django.dispatch import receiver

from community.models import NotificationKind
from community.services import notify
from payments import signals


@receiver(signals.payout_paid, dispatch_uid="community.payout_paid")
def on_payout_paid(
    sender: Any, *, payout_id: int, recipient_id: int, amount: Decimal, currency: str, **kwargs: Any
) -> None:
    notify(
        recipient_ids=[recipient_id],
        kind=NotificationKind.PAYOUT_PAID,
        event_key=f"payout-paid:{payout_id}",
        context={"amount": str(amount), "currency": currency},
    )
