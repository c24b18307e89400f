"""Community hooks of the payments app: a paid payout notifies its recipient (a kind of notification
payments registers itself). Imported by `PaymentsConfig.ready()`."""

from decimal import Decimal
from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from community.notifications import register_kind
from community.services import notify
from payments import signals

PAYOUT_PAID = register_kind(
    "payout_paid",
    label=_("A payout was paid"),
    sentence=_("A payout of %(amount)s %(currency)s was paid to you."),
)


@receiver(signals.payout_paid, dispatch_uid="community.payout_paid")
def on_payout_paid(
    sender: Any, *, payout_id: int, recipient_id: int, amount: Decimal, currency: str, **kwargs: Any
) -> None:
    notify(
        recipient_ids=[recipient_id],
        kind=PAYOUT_PAID,
        event_key=f"payout-paid:{payout_id}",
        context={"amount": str(amount), "currency": currency},
    )
