"""Reconciliation: compare what the providers say, what the payouts say and what the ledger says.

Run by beat every `PAYMENTS_RECONCILE_MINUTES`; each run is kept (admin) and mismatches are
e-mailed to staff. It only reads and reports: fixing money is a person's decision.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from community.models import User
from payments.models import Account, Entry, LedgerTransaction, Payout, PayoutStatus, ReconciliationRun, TransactionKind
from payments.providers import ProviderError, ProviderState, provider_for

logger = logging.getLogger(__name__)


def _ledger_mismatches() -> list[dict[str, str]]:
    found = []
    for row in Entry.objects.values("currency").annotate(total=Sum("amount")).exclude(total=0):
        found.append(
            {"kind": "currency_not_zero", "detail": f"All accounts in {row['currency']} sum to {row['total']}."}
        )
    below = Account.objects.filter(has_floor=True).annotate(balance=Sum("entries__amount")).filter(balance__lt=0)
    for account in below:
        found.append({"kind": "below_floor", "detail": f"{account} is at {account.balance}."})
    # A payment the bank returned is reversed under the same key with `payout-return:` for `payout:`.
    reversed_by_return = LedgerTransaction.objects.filter(
        kind=TransactionKind.RETURN,
        idempotency_key=Concat(Value("payout-return:"), Substr(OuterRef("idempotency_key"), len("payout:") + 1)),
    )
    orphans = LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT, paid_payout__isnull=True).exclude(
        Exists(reversed_by_return)
    )
    for record in orphans:
        found.append(
            {"kind": "payout_entry_without_payout", "detail": f"Ledger {record.idempotency_key} has no paid payout."}
        )
    return found


def _payout_mismatches(payout: Payout) -> list[dict[str, str]]:
    found = []
    if payout.status == PayoutStatus.PAID:
        legs = payout.paid_transaction.entries.all() if payout.paid_transaction else []
        if not any(leg.account_id == payout.account_id and leg.amount == -payout.amount for leg in legs):
            found.append(
                {
                    "kind": "paid_not_in_ledger",
                    "detail": f"Payout {payout.pk} is paid but its ledger entry is missing or wrong.",
                }
            )
    try:
        state = provider_for(payout.provider).lookup(payout.idempotency_key).state
    except (ProviderError, NotImplementedError) as error:
        return [*found, {"kind": "provider_unreachable", "detail": f"Payout {payout.pk}: {error}"}]
    if state == ProviderState.PAID and payout.status != PayoutStatus.PAID:
        found.append(
            {
                "kind": "provider_paid_ledger_not",
                "detail": f"Payout {payout.pk} is paid at {payout.provider} but {payout.status} here.",
            }
        )
    elif payout.status == PayoutStatus.PAID and state != ProviderState.PAID:
        found.append(
            {
                "kind": "ledger_paid_provider_not",
                "detail": f"Payout {payout.pk} is paid here but {state} at {payout.provider}.",
            }
        )
    elif payout.status == PayoutStatus.SUBMITTED and state == ProviderState.UNKNOWN:
        found.append(
            {
                "kind": "provider_lost",
                "detail": f"Payout {payout.pk} was submitted but {payout.provider} does not know it.",
            }
        )
    return found


def reconcile(*, since: datetime | None = None, notify: bool = True) -> ReconciliationRun:
    """Check the ledger's invariants and every payout that reached a provider against it (failed ones
    too: a worker that died on its last attempt may have been paid)."""
    payouts = (
        Payout.objects.filter(
            Q(status__in=[PayoutStatus.SUBMITTED, PayoutStatus.PAID, PayoutStatus.PROCESSING, PayoutStatus.FAILED])
        )
        .select_related("paid_transaction")
        .prefetch_related("paid_transaction__entries")
    )
    if since is not None:
        payouts = payouts.filter(updated_at__gte=since)
    mismatches = _ledger_mismatches()
    checked = 0
    for payout in payouts.iterator(chunk_size=500):
        checked += 1
        mismatches += _payout_mismatches(payout)
    run = ReconciliationRun.objects.create(checked_payouts=checked, mismatches=mismatches)
    if mismatches and notify:
        staff = list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
        if staff:
            lines = "\n".join(f"- {m['kind']}: {m['detail']}" for m in mismatches[:200])
            send_mail(
                f"[Coachworks] Reconciliation: {len(mismatches)} mismatch(es)",
                f"The reconciliation of {timezone.now():%Y-%m-%d %H:%M} UTC found:\n\n{lines}\n\n"
                f"{settings.SITE_URL.rstrip('/')}/admin/payments/reconciliationrun/{run.pk}/change/\n",
                None,
                staff,
            )
        logger.error("Reconciliation %s found %s mismatch(es)", run.pk, len(mismatches))
    return run
