"""Reads of the payments app, with their permission checks.

A budget is read by the challenge's owner and staff; earnings, payouts and payout methods by
their member only (staff use the admin). Anything else is a 404: its existence stays private.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from challenges.lifecycle import Role
from challenges.models import Challenge, ChallengeStatus, Prize
from challenges.selectors import challenge_roles
from community.models import User
from core.pagination import KeysetPage, keyset_page
from payments.models import (
    ZERO,
    AccountKind,
    Entry,
    FundingReceipt,
    FundingRequest,
    Payout,
    PayoutKind,
    PayoutMethod,
    PayoutStatus,
    TransactionKind,
)
from payments.providers import manual

AnyUser = User | AnonymousUser


def _member(user: AnyUser | None) -> User | None:
    return user if user is not None and user.is_authenticated and isinstance(user, User) else None


def challenge_for_budget(*, user: AnyUser | None, pk: int | None = None, slug: str | None = None) -> Challenge:
    """The challenge whose money `user` may see: its owner's and staff's only."""
    lookup = Q(pk=pk) if pk is not None else Q(slug=slug)
    challenge = Challenge.objects.select_related("owner").filter(lookup).first()
    if challenge is None or not challenge_roles(user=user, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise Http404
    return challenge


@dataclass
class ChartBar:
    key: str
    amount: Decimal
    percent: Decimal


@dataclass
class Budget:
    challenge: Challenge
    currency: str
    budget: Decimal
    prizes: Decimal
    funded: Decimal
    awarded: Decimal
    paid: Decimal
    refunded: Decimal
    refunds_paid: Decimal
    escrow: Decimal
    due: Decimal  # still to pay in
    overpaid: Decimal
    receipts: list[FundingReceipt]
    payouts: list[Payout]
    reference: str
    bank: dict[str, str]
    chart: list[ChartBar] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        """Everything paid in is awarded, refunded or still in escrow, to the cent."""
        return self.funded == self.awarded + self.refunded + self.escrow

    @property
    def awarded_unpaid(self) -> Decimal:
        return self.awarded - self.paid


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole > 0 else ZERO


def challenge_budget(*, challenge: Challenge) -> Budget:
    """Funded, prizes, awarded, paid, refunded and what is left, all from the ledger and the payouts."""
    escrow_entries = Entry.objects.filter(transaction__challenge=challenge, account__kind=AccountKind.ESCROW)
    sums = escrow_entries.aggregate(
        funded=Sum("amount", filter=Q(transaction__kind=TransactionKind.FUNDING)),
        awarded=Sum("amount", filter=Q(transaction__kind=TransactionKind.AWARD)),
        refunded=Sum("amount", filter=Q(transaction__kind=TransactionKind.REFUND)),
        escrow=Sum("amount"),
    )
    funded = sums["funded"] or ZERO
    awarded = -(sums["awarded"] or ZERO)
    refunded = -(sums["refunded"] or ZERO)
    escrow = sums["escrow"] or ZERO
    payouts = list(
        Payout.objects.filter(challenge=challenge)
        .select_related("recipient", "challenge")
        .order_by("kind", "created_at", "pk")
    )
    paid = sum((p.amount for p in payouts if p.kind == PayoutKind.AWARD and p.status == PayoutStatus.PAID), ZERO)
    refunds_paid = sum(
        (p.amount for p in payouts if p.kind == PayoutKind.REFUND and p.status == PayoutStatus.PAID), ZERO
    )
    prizes = (
        Prize.objects.filter(phase__challenge=challenge)
        .exclude(phase__status="cancelled")
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    request = FundingRequest.objects.filter(challenge=challenge).first()
    budget = Budget(
        challenge=challenge,
        currency=challenge.currency,
        budget=challenge.budget,
        prizes=prizes,
        funded=funded,
        awarded=awarded,
        paid=paid,
        refunded=refunded,
        refunds_paid=refunds_paid,
        escrow=escrow,
        due=max(challenge.budget - funded, ZERO) if challenge.status == ChallengeStatus.FUNDING else ZERO,
        overpaid=max(funded - challenge.budget, ZERO),
        receipts=list(FundingReceipt.objects.filter(challenge=challenge).order_by("received_on", "pk")),
        payouts=payouts,
        reference=request.reference if request else "",
        bank=manual.bank_details(),
    )
    whole = max(funded, challenge.budget)
    parts = [
        ("paid", paid),
        ("awarded_unpaid", awarded - paid),
        ("refunded", refunded),
        ("escrow", escrow),
        ("due", budget.due),
    ]
    budget.chart = [ChartBar(key, amount, _percent(amount, whole)) for key, amount in parts if amount > 0]
    return budget


@dataclass
class CurrencyEarnings:
    currency: str
    pending: Decimal = ZERO
    paid: Decimal = ZERO


@dataclass
class Earnings:
    totals: list[CurrencyEarnings]
    # Every payout of the member, newest first, read in chunks as it is iterated (the statement
    # downloads stream them); a page shows `member_payouts_page` instead.
    payouts: Iterable[Payout]


PAYOUT_ORDER = ("-created_at", "-pk")


def member_payouts(*, user: User) -> QuerySet[Payout]:
    return Payout.objects.filter(recipient=user).select_related("challenge").order_by(*PAYOUT_ORDER)


def member_payouts_page(*, user: User, cursor: str | None, size: int = 25) -> KeysetPage:
    return keyset_page(member_payouts(user=user), ordering=PAYOUT_ORDER, cursor=cursor, size=size)


def member_earnings_totals(*, user: User) -> list[CurrencyEarnings]:
    """Pending and paid per currency, summed by the database (one row per currency and state)."""
    totals: dict[str, CurrencyEarnings] = {}
    rows = (
        Payout.objects.filter(recipient=user)
        .order_by()
        .values("currency")
        .annotate(
            paid=Sum("amount", filter=Q(status=PayoutStatus.PAID)),
            pending=Sum("amount", filter=~Q(status=PayoutStatus.PAID)),
        )
    )
    for row in rows:
        totals[row["currency"]] = CurrencyEarnings(
            row["currency"], pending=row["pending"] or ZERO, paid=row["paid"] or ZERO
        )
    return [totals[c] for c in sorted(totals)]


def member_earnings(*, user: User) -> Earnings:
    """What the member has earned: pending and paid per currency, and every payout (streamed)."""
    return Earnings(
        totals=member_earnings_totals(user=user), payouts=member_payouts(user=user).iterator(chunk_size=500)
    )


def payout_methods_of(*, user: User) -> list[PayoutMethod]:
    """The member's active method first, then the replaced ones (newest first)."""
    return list(PayoutMethod.objects.filter(owner=user).order_by("-is_active", "-created_at"))


def payout_method_for_owner(*, user: User, pk: int) -> PayoutMethod:
    method = PayoutMethod.objects.filter(owner=user, pk=pk).first()
    if method is None:
        raise Http404
    return method
