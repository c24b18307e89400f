"""The double-entry ledger: accounts, and the one writer of transactions (`ledger_post`).

Callers hold the locks: `accounts_lock` takes the account rows (in primary-key order, so two
movements over the same accounts never deadlock) before any balance is read. The database checks
again at commit (see `payments.models`): balanced per currency, floors kept, append-only.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from challenges.models import Challenge
from community.models import User
from core.exceptions import Conflict
from core.money import CENT
from payments.models import FLOORED_KINDS, ZERO, Account, AccountKind, Entry, LedgerTransaction


class InsufficientFunds(Conflict):
    """A movement would take an account with a floor below zero (409: the balance forbids it now)."""


def _account(kind: AccountKind, currency: str, **owner: object) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=kind, currency=currency, **owner, defaults={"has_floor": kind in FLOORED_KINDS}
    )
    return account


def escrow_account(*, challenge: Challenge, currency: str | None = None) -> Account:
    """The challenge's escrow in `currency` (its current currency unless given)."""
    return _account(AccountKind.ESCROW, currency or challenge.currency, challenge=challenge)


def payable_account(*, user: User, currency: str) -> Account:
    return _account(AccountKind.PAYABLE, currency, owner=user)


def clearing_account(*, provider: str, currency: str) -> Account:
    return _account(AccountKind.CLEARING, currency, provider=provider)


def accounts_lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock the rows of the accounts with a floor, always in primary-key order.

    Accounts without a floor (clearing) need no lock: nothing is checked against their balance,
    and leaving them unlocked keeps them from serialising every payment of a provider.
    """
    pks = sorted({account.pk for account in accounts if account.has_floor})
    return {
        account.pk: account
        for account in Account.objects.select_for_update(of=("self",)).filter(pk__in=pks).order_by("pk")
    }


def account_balance(account: Account) -> Decimal:
    """The balance: the sum of the account's entries (there is no stored balance)."""
    return Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or ZERO


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: Decimal  # positive: the account's balance grows


@dataclass(frozen=True)
class Posted:
    transaction: LedgerTransaction
    created: bool


def ledger_post(
    *,
    kind: str,
    idempotency_key: str,
    legs: list[Leg],
    challenge: Challenge | None = None,
    memo: str = "",
    by: User | None = None,
    task: str = "",
) -> Posted:
    """Write one balanced transaction, or find the one already written under `idempotency_key`.

    Runs inside the caller's `transaction.atomic()` with the legs' accounts locked (`accounts_lock`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post needs the caller's transaction and account locks.")
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return Posted(existing, created=False)
    if len(legs) < 2:
        raise ValueError("A ledger transaction has at least two entries.")
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    deltas: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for leg in legs:
        if leg.amount == 0 or leg.amount != leg.amount.quantize(CENT):
            raise ValueError(f"Entry amounts are non-zero with at most two decimals, not {leg.amount}.")
        totals[leg.account.currency] += leg.amount
        deltas[leg.account.pk] += leg.amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        raise ValueError(f"A ledger transaction sums to zero per currency; this one leaves {unbalanced}.")
    for leg in legs:
        if leg.account.has_floor and deltas[leg.account.pk] < 0:
            balance = account_balance(leg.account)
            if balance + deltas[leg.account.pk] < 0:
                raise InsufficientFunds(
                    _("Not enough money in %(account)s: %(balance)s %(currency)s available, %(needed)s needed.")
                    % {
                        "account": str(leg.account),
                        "balance": balance,
                        "currency": leg.account.currency,
                        "needed": -deltas[leg.account.pk],
                    }
                )
    try:
        with transaction.atomic():
            record = LedgerTransaction.objects.create(
                kind=kind,
                idempotency_key=idempotency_key,
                challenge=challenge,
                memo=memo[:300],
                created_by=by,
                task=task,
            )
            Entry.objects.bulk_create(
                Entry(transaction=record, account=leg.account, amount=leg.amount, currency=leg.account.currency)
                for leg in legs
            )
    except IntegrityError:
        # Another writer got there between our check and our insert (we did not hold its lock).
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return Posted(existing, created=False)
    return Posted(record, created=True)
