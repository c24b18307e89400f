"""The manual provider: clients pay by bank transfer, members are paid by SEPA credit-transfer files.

Funding: the client transfers the budget to the platform's bank account (`PAYMENTS_BANK_*`) with
the challenge's reference; staff record the credit (`funding_receipt_record`).

Payouts: `pay` accepts a payout for the next SEPA batch (state `submitted`); staff export the
batch (`payout_batch_create`, a pain.001 file validated against its XSD), upload it to the bank,
and mark it paid (`payout_batch_mark_paid`), which writes the ledger, or rejected if the bank
refused the file (`payout_batch_reject`). A transfer the bank returns later is recorded on its
payout (`payout_return`). Nothing here leaves the machine, so `pay` is naturally idempotent: it
answers the same for the same key.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from payments.models import BatchStatus, Payout, PayoutStatus
from payments.providers.base import Destination, PayoutRequest, ProviderResult, ProviderState
from payments.providers.sepa import SEPA_FIELDS, sepa_destination

NAME = "manual"


class ManualProvider:
    code = NAME
    label = _("Bank account (IBAN)")
    destination_fields = SEPA_FIELDS

    def clean_destination(self, destination: Mapping[str, Any]) -> Destination:
        return sepa_destination(destination)

    def pay(self, request: PayoutRequest) -> ProviderResult:
        return ProviderResult(ProviderState.SUBMITTED, reference=request.idempotency_key)

    def lookup(self, idempotency_key: str) -> ProviderResult:
        payout = Payout.objects.select_related("batch").filter(idempotency_key=idempotency_key).first()
        if payout is None or payout.status not in (PayoutStatus.SUBMITTED, PayoutStatus.PAID):
            return ProviderResult(ProviderState.UNKNOWN)
        if payout.batch is not None and payout.batch.status == BatchStatus.PAID:
            return ProviderResult(ProviderState.PAID, reference=payout.batch.message_id)
        if payout.status == PayoutStatus.PAID:  # paid by hand (a non-EUR transfer) and marked by staff
            return ProviderResult(ProviderState.PAID, reference=payout.provider_reference)
        return ProviderResult(ProviderState.SUBMITTED, reference=idempotency_key)


def bank_details() -> dict[str, str]:
    """The platform's account clients transfer budgets to (and SEPA batches are paid from)."""
    return {"name": settings.PAYMENTS_BANK_NAME, "iban": settings.PAYMENTS_BANK_IBAN, "bic": settings.PAYMENTS_BANK_BIC}


def creditor_reference(challenge_id: int) -> str:
    """An ISO 11649 (RF) structured creditor reference for the challenge, e.g. `RF18CW00000042`.

    Banks carry it unchanged and its check digits catch typing errors when staff record a credit.
    """
    body = f"CW{challenge_id:08d}"
    digits = "".join(str(int(char, 36)) for char in body + "RF00")
    check = 98 - int(digits) % 97
    return f"RF{check:02d}{body}"


def creditor_reference_valid(reference: str) -> bool:
    cleaned = reference.replace(" ", "").upper()
    # ASCII only: `isalnum` alone accepts letters and digits `int(char, 36)` cannot read (É, ², ١).
    if len(cleaned) < 5 or not cleaned.startswith("RF") or not (cleaned.isascii() and cleaned.isalnum()):
        return False
    rearranged = cleaned[4:] + cleaned[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1
