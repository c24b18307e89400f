"""Returning escrow to the client: what is not needed for prizes goes back through the ledger.

The refund becomes a payable of the client and is paid by the same payout machinery as a prize
(to the client's payout method, held like any other until one is added). Every currency the
escrow holds is refunded, not only the challenge's current one (money received before its
currency changed must not stay stuck).
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from challenges.models import Challenge, ChallengeStatus
from challenges.services import lock_challenge
from community.models import User
from payments.models import ZERO, Account, AccountKind, Entry, LedgerTransaction, Payout, PayoutKind, TransactionKind
from payments.services.ledger import account_balance, accounts_lock, escrow_account
from payments.services.payouts import payable_create
from submissions.models import AwardShare

REFUND_TASK = "payments.escrow_refund"


def escrow_awarded_total(challenge: Challenge, *, currency: str) -> Decimal:
    """What has moved from the escrow in `currency` to winners' payable accounts."""
    moved = Entry.objects.filter(
        transaction__challenge=challenge, transaction__kind=TransactionKind.AWARD, amount__gt=0, currency=currency
    ).aggregate(total=Sum("amount"))["total"]
    return moved or ZERO


def unmoved_award_total(challenge: Challenge, *, currency: str) -> Decimal:
    """Awards in `currency` the judging app has decided whose shares have not yet reached the payable accounts."""
    shares = AwardShare.objects.filter(award__phase__challenge=challenge, currency=currency)
    keys = {f"award-share:{pk}" for pk in shares.values_list("pk", flat=True)}
    moved = set(LedgerTransaction.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    total = ZERO
    for pk, amount in shares.values_list("pk", "amount"):
        if f"award-share:{pk}" not in moved:
            total += amount
    return total


def escrow_needed(challenge: Challenge, *, currency: str) -> Decimal:
    """What the escrow in `currency` must keep: in the challenge's currency, the budget not yet
    awarded while the challenge runs; otherwise (ended, or an earlier currency) only awards in that
    currency decided but not yet moved."""
    if currency == challenge.currency and challenge.status in (ChallengeStatus.FUNDING, ChallengeStatus.OPEN):
        return max(challenge.budget - escrow_awarded_total(challenge, currency=currency), ZERO)
    return unmoved_award_total(challenge, currency=currency)


@transaction.atomic
def escrow_refund(*, challenge: Challenge, by: User | None = None, task: str = "", reason: str = "") -> list[Payout]:
    """Refund to the client whatever the escrow holds beyond what it must keep, in every currency it
    holds: one refund payout per currency with a surplus (none: an empty list).

    Idempotent: a second call finds nothing beyond what is needed.
    """
    locked = lock_challenge(challenge.pk)
    escrow_account(challenge=locked)  # the current currency's escrow exists, even when nothing was paid in
    escrows = list(Account.objects.filter(kind=AccountKind.ESCROW, challenge=locked).order_by("pk"))
    accounts_lock(escrows)
    refunds = []
    for escrow in escrows:
        surplus = account_balance(escrow) - escrow_needed(locked, currency=escrow.currency)
        if surplus <= 0:
            continue
        number = LedgerTransaction.objects.filter(challenge=locked, kind=TransactionKind.REFUND).count() + 1
        refunds.append(
            payable_create(
                challenge=locked,
                recipient=locked.owner,
                amount=surplus,
                currency=escrow.currency,
                kind=PayoutKind.REFUND,
                idempotency_key=f"refund:{locked.pk}:{number}",
                description=f"Refund: {locked.title}"[:140] if not reason else f"Refund: {reason}"[:140],
                by=by,
                task=task or (REFUND_TASK if by is None else ""),
            )
        )
    return refunds


def escrow_refunds_sweep(*, limit: int = 100) -> int:
    """Refund ended challenges whose escrow still holds money (their announcement was lost). Returns how many."""
    with_money = (
        Account.objects.filter(kind=AccountKind.ESCROW)
        .annotate(balance=Sum("entries__amount"))
        .filter(balance__gt=0)
        .values("challenge_id")
    )
    ended = [ChallengeStatus.CANCELLED, ChallengeStatus.COMPLETED]
    candidates = list(
        Challenge.objects.filter(status__in=ended, pk__in=with_money).values_list("pk", flat=True)[:limit]
    )
    refunded = 0
    for pk in candidates:
        if escrow_refund(challenge=Challenge.objects.get(pk=pk), task=REFUND_TASK):
            refunded += 1
    return refunded
