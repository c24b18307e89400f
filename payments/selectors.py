"""Reads of the payments app, with their permission checks.

A budget is read by the challenge's owner and staff; earnings, payouts and payout methods by
their member only (staff use the admin). Anything else is a 404: its existence stays private.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from challenges.lifecycle import Role
from challenges.models import Challenge, ChallengeStatus, Prize
from challenges.selectors import challenge_roles
from community.models import User
from community.selectors import AnyUser
from core.pagination import KeysetPage, keyset_page
from core.templatetags.coachworks_time import local_date
from payments.models import (
    ZERO,
    AccountKind,
    BatchStatus,
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
from payments.services.batches import SEPA_CURRENCY


class MoneyStateCode(StrEnum):
    WAITING = "waiting"  # not in any file yet: waiting for the next batch (or for a payout method)
    IN_BATCH = "in_batch"  # in an exported batch, at the bank, not confirmed paid yet
    PAID = "paid"
    RETURNED = "returned"  # paid, then sent back by the bank; waits for staff to retry it
    FAILED = "failed"  # refused (a rejected batch, the provider, the bank); waits for staff to retry it


@dataclass(frozen=True)
class MoneyState:
    """Where a payout or refund really is, in words a member or client can trust."""

    code: MoneyStateCode
    label: str
    batch_number: int | None = None
    sent_on: date | None = None
    paid_on: date | None = None


def _day(value: date) -> str:
    return local_date(value)


def money_state(obj: Payout) -> MoneyState:
    """The truthful state of a payout (a prize or a refund: both are `Payout` rows).

    `Payout.status` alone says "Sent to the bank" for a payout the manual provider accepted but
    no batch holds yet; this reads the batch too. Load it with `select_related("batch")`, or this
    costs one query per payout that has one. The label is in the active language.
    """
    batch = obj.batch if obj.batch_id is not None else None
    batch_number = batch.pk if batch is not None else None
    sent_on = timezone.localdate(batch.created_at) if batch is not None else None
    status = obj.status
    if status == PayoutStatus.PAID:
        paid_on = timezone.localdate(obj.paid_at) if obj.paid_at else None
        label = gettext("Paid on %(date)s") % {"date": _day(paid_on)} if paid_on else gettext("Paid")
        return MoneyState(MoneyStateCode.PAID, label, batch_number, sent_on, paid_on)
    if status == PayoutStatus.FAILED:
        if batch is not None and batch.status == BatchStatus.REJECTED:
            label = gettext("Failed: the bank refused batch %(number)s") % {"number": batch_number}
            return MoneyState(MoneyStateCode.FAILED, label, batch_number, sent_on)
        # A return keeps the paid batch on the payout until staff retry it into a new one.
        if obj.returns and (batch is None or batch.status == BatchStatus.PAID):
            return MoneyState(MoneyStateCode.RETURNED, gettext("Returned by the bank"), batch_number, sent_on)
        return MoneyState(MoneyStateCode.FAILED, gettext("Failed"), batch_number, sent_on)
    if batch is not None and batch.status == BatchStatus.EXPORTED and status == PayoutStatus.SUBMITTED:
        label = gettext("In batch %(number)s, given to the bank on %(date)s") % {
            "number": batch_number,
            "date": _day(sent_on) if sent_on else "",
        }
        return MoneyState(MoneyStateCode.IN_BATCH, label, batch_number, sent_on)
    if status == PayoutStatus.PENDING and obj.next_attempt_at is None:
        return MoneyState(MoneyStateCode.WAITING, gettext("Waiting for a payout method"))
    if obj.provider == manual.NAME and obj.currency != SEPA_CURRENCY:
        # SEPA files carry euros only: staff pay other currencies by hand.
        return MoneyState(MoneyStateCode.WAITING, gettext("Waiting to be paid by bank transfer"))
    return MoneyState(MoneyStateCode.WAITING, gettext("Waiting for the next batch"))


@dataclass(frozen=True)
class PayoutRow:
    payout: Payout
    state: MoneyState


def payout_rows(payouts: Iterable[Payout]) -> list[PayoutRow]:
    """Payouts (batches loaded) with their money state, for a page's table."""
    return [PayoutRow(payout, money_state(payout)) for payout in payouts]


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

    @property
    def payout_rows(self) -> list["PayoutRow"]:
        """Each prize and refund with where it really is (`money_state`)."""
        return payout_rows(self.payouts)


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
        .select_related("recipient", "challenge", "batch")
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
    return Payout.objects.filter(recipient=user).select_related("challenge", "batch").order_by(*PAYOUT_ORDER)


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
