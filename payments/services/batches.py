"""SEPA credit-transfer batches of the manual provider: staff export a pain.001 file, pay it at the
bank, and mark it paid, which writes every payout in it to the ledger. A file the bank refused as
a whole is marked rejected: its payouts fail and can be retried into a new file. A batch is
settled only as a whole; single transfers the bank returns later are `payout_return`."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError

from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError, Conflict, NotAllowed
from payments.models import BatchStatus, Payout, PayoutBatch, PayoutStatus
from payments.providers import manual
from payments.services.payouts import payout_move, payout_record_paid

SEPA_CURRENCY = "EUR"


def sepa_file(payouts: list[Payout], *, execution_date: date) -> tuple[str, str]:
    """The pain.001.001.03 document paying `payouts` (methods loaded), validated against the XSD
    shipped with sepaxml. Returns (message id, XML)."""
    config = {
        "name": settings.PAYMENTS_BANK_NAME,
        "IBAN": settings.PAYMENTS_BANK_IBAN,
        "BIC": settings.PAYMENTS_BANK_BIC,
        "batch": True,
        "currency": SEPA_CURRENCY,
    }
    transfer = SepaTransfer(config, schema="pain.001.001.03", clean=True)
    for payout in payouts:
        method = payout.method
        if method is None:  # pragma: no cover - submitted payouts always have their method
            raise Conflict(_("Payout %(id)s has no payout method.") % {"id": payout.pk})
        transfer.add_payment(
            {
                "name": method.holder_name,
                "IBAN": method.destination["iban"],
                "BIC": method.destination["bic"],
                "amount": int(payout.amount * 100),  # minor units only here, at the file's edge
                "execution_date": execution_date,
                "description": payout.description,
                "endtoend_id": payout.idempotency_key,
            }
        )
    try:
        xml = transfer.export(validate=True)
    except SepaValidationError as error:
        raise Conflict(_("The SEPA file did not validate: %(why)s") % {"why": error.__cause__ or error}) from error
    return transfer.msg_id, xml.decode()


@transaction.atomic
def payout_batch_create(*, by: User, currency: str = SEPA_CURRENCY, now: datetime | None = None) -> PayoutBatch:
    """Collect every submitted, unbatched payout of the manual provider into one SEPA file."""
    if not by.is_staff:
        raise NotAllowed(_("Only staff export payout batches."))
    if currency != SEPA_CURRENCY:
        raise ApplicationError(
            _("SEPA files carry euros only; pay %(currency)s payouts by hand and mark them paid.")
            % {"currency": currency}
        )
    now = now or timezone.now()
    payouts = list(
        Payout.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("method")
        .filter(provider=manual.NAME, status=PayoutStatus.SUBMITTED, currency=currency, batch__isnull=True)
        .order_by("pk")
    )
    if not payouts:
        raise Conflict(_("No payouts are waiting for a batch."))
    message_id, xml = sepa_file(payouts, execution_date=timezone.localdate(now))
    batch = PayoutBatch.objects.create(
        currency=currency,
        message_id=message_id,
        total=sum((payout.amount for payout in payouts), start=payouts[0].amount * 0),
        count=len(payouts),
        xml=xml,
        created_by=by,
    )
    Payout.objects.filter(pk__in=[payout.pk for payout in payouts]).update(batch=batch, updated_at=now)
    return batch


@transaction.atomic
def payout_batch_mark_paid(*, batch: PayoutBatch, by: User, now: datetime | None = None) -> PayoutBatch:
    """The bank executed the file: every payout still in it is paid (and written to the ledger)."""
    if not by.is_staff:
        raise NotAllowed(_("Only staff mark batches paid."))
    locked = PayoutBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
    if locked.status == BatchStatus.PAID:
        return locked
    if locked.status == BatchStatus.REJECTED:
        raise Conflict(
            _("Batch %(batch)s was rejected by the bank; nothing in it was paid.") % {"batch": locked.message_id}
        )
    now = now or timezone.now()
    for payout in (
        Payout.objects.select_for_update(of=("self",))
        .select_related("account", "challenge")
        .filter(batch=locked, status=PayoutStatus.SUBMITTED)
        .order_by("pk")
    ):
        payout_record_paid(payout, reference=locked.message_id, actor=Actor.user(by), now=now)
    locked.status = BatchStatus.PAID
    locked.paid_by = by
    locked.paid_at = now
    locked.save(update_fields=["status", "paid_by", "paid_at"])
    return locked


@transaction.atomic
def payout_batch_reject(*, batch: PayoutBatch, by: User, reason: str, now: datetime | None = None) -> PayoutBatch:
    """The bank refused the whole file: nothing in it was paid. Every payout in it fails with the
    reason and stays payable; staff retry them into a new file. A second call changes nothing."""
    if not by.is_staff:
        raise NotAllowed(_("Only staff mark batches rejected."))
    reason = " ".join(reason.split())
    if not reason:
        raise ApplicationError(_("Say why the bank rejected the file."), {"reason": [_("Required.")]})
    locked = PayoutBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
    if locked.status == BatchStatus.REJECTED:
        return locked
    if locked.status != BatchStatus.EXPORTED:
        raise Conflict(
            _("Batch %(batch)s is paid; record a transfer the bank returned on its payout instead.")
            % {"batch": locked.message_id}
        )
    payouts = Payout.objects.select_for_update(of=("self",)).filter(batch=locked, status=PayoutStatus.SUBMITTED)
    for payout in payouts.order_by("pk"):
        payout.last_error = reason[:500]
        payout_move(
            payout,
            PayoutStatus.FAILED,
            actor=Actor.user(by),
            reason=f"The bank rejected batch {locked.message_id}: {reason}",
            update_fields=["last_error"],
        )
    locked.status = BatchStatus.REJECTED
    locked.rejected_by = by
    locked.rejected_at = now or timezone.now()
    locked.rejection_reason = reason[:500]
    locked.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason"])
    return locked


@dataclass(frozen=True)
class Waiting:
    count: int
    total: Decimal


def payouts_waiting_for_batch(*, currency: str = SEPA_CURRENCY) -> Waiting:
    waiting = Payout.objects.filter(
        provider=manual.NAME, status=PayoutStatus.SUBMITTED, currency=currency, batch__isnull=True
    ).aggregate(count=Count("pk"), total=Sum("amount"))
    return Waiting(count=waiting["count"], total=waiting["total"] or Decimal("0.00"))
