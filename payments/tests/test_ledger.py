"""The ledger holds its invariants in the services and, below them, in the database itself."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from payments.models import Account, AccountKind, Entry, LedgerTransaction, TransactionKind
from payments.services import (
    InsufficientFunds,
    Leg,
    account_balance,
    accounts_lock,
    clearing_account,
    escrow_account,
    ledger_post,
    payable_account,
)
from payments.tests.factories import challenge_in_funding

pytestmark = pytest.mark.django_db


def commit_raw(write) -> None:
    """Write past the services and make the database run its commit-time checks."""
    with transaction.atomic():
        write()
        check_deferred_constraints_now()


def check_deferred_constraints_now() -> None:
    """Deferred triggers run at commit; tests run inside a transaction that never commits."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def accounts(owner, winner):
    challenge = challenge_in_funding(owner)
    return (
        escrow_account(challenge=challenge),
        clearing_account(provider="manual", currency="EUR"),
        payable_account(user=winner, currency="EUR"),
    )


def post(legs, key="k1", kind=TransactionKind.FUNDING):
    with transaction.atomic():
        accounts_lock([leg.account for leg in legs])
        return ledger_post(kind=kind, idempotency_key=key, legs=legs)


def test_a_balanced_transaction_moves_money_and_balances_are_derived_from_entries(accounts):
    escrow, clearing, _payable = accounts

    posted = post([Leg(clearing, Decimal("-250.00")), Leg(escrow, Decimal("250.00"))])

    check_deferred_constraints_now()
    assert posted.created
    assert account_balance(escrow) == Decimal("250.00")
    assert account_balance(clearing) == Decimal("-250.00")


def test_the_same_idempotency_key_moves_money_once(accounts):
    escrow, clearing, _payable = accounts
    first = post([Leg(clearing, Decimal("-10.00")), Leg(escrow, Decimal("10.00"))])

    again = post([Leg(clearing, Decimal("-10.00")), Leg(escrow, Decimal("10.00"))])

    assert (again.transaction, again.created) == (first.transaction, False)
    assert account_balance(escrow) == Decimal("10.00")


def test_the_service_refuses_an_unbalanced_transaction(accounts):
    escrow, clearing, _payable = accounts

    with pytest.raises(ValueError, match="sums to zero"):
        post([Leg(clearing, Decimal("-10.00")), Leg(escrow, Decimal("9.99"))])

    assert not LedgerTransaction.objects.exists()


def test_the_service_refuses_to_take_an_escrow_below_zero(accounts):
    escrow, _clearing, payable = accounts

    with pytest.raises(InsufficientFunds):
        post([Leg(escrow, Decimal("-0.01")), Leg(payable, Decimal("0.01"))], kind=TransactionKind.AWARD)

    assert account_balance(escrow) == 0


def test_the_database_refuses_an_unbalanced_transaction_written_past_the_service(accounts):
    escrow, clearing, _payable = accounts

    def write():
        record = LedgerTransaction.objects.create(kind=TransactionKind.FUNDING, idempotency_key="raw")
        Entry.objects.bulk_create(
            [
                Entry(transaction=record, account=clearing, amount=Decimal("-5.00"), currency="EUR"),
                Entry(transaction=record, account=escrow, amount=Decimal("4.00"), currency="EUR"),
            ]
        )

    with pytest.raises(IntegrityError, match="does not balance"):
        commit_raw(write)


def test_the_database_refuses_a_transaction_with_one_entry(accounts):
    _escrow, clearing, _payable = accounts

    def write():
        record = LedgerTransaction.objects.create(kind=TransactionKind.FUNDING, idempotency_key="single")
        Entry.objects.create(transaction=record, account=clearing, amount=Decimal("-5.00"), currency="EUR")

    with pytest.raises(IntegrityError, match="at least two"):
        commit_raw(write)


def test_the_database_refuses_an_escrow_below_zero_written_past_the_service(accounts):
    escrow, _clearing, payable = accounts

    def write():
        record = LedgerTransaction.objects.create(kind=TransactionKind.AWARD, idempotency_key="overdraw")
        Entry.objects.bulk_create(
            [
                Entry(transaction=record, account=escrow, amount=Decimal("-5.00"), currency="EUR"),
                Entry(transaction=record, account=payable, amount=Decimal("5.00"), currency="EUR"),
            ]
        )

    with pytest.raises(IntegrityError, match="below zero"):
        commit_raw(write)


def test_the_database_refuses_an_entry_in_another_currency_than_its_account(accounts):
    escrow, clearing, _payable = accounts

    def write():
        record = LedgerTransaction.objects.create(kind=TransactionKind.FUNDING, idempotency_key="fx")
        Entry.objects.create(transaction=record, account=clearing, amount=Decimal("-5.00"), currency="EUR")
        Entry.objects.create(transaction=record, account=escrow, amount=Decimal("5.00"), currency="USD")

    with pytest.raises(IntegrityError, match="another currency"):
        commit_raw(write)


@pytest.mark.parametrize("change", ["update", "delete"])
def test_ledger_entries_and_transactions_are_append_only(accounts, change):
    escrow, clearing, _payable = accounts
    posted = post([Leg(clearing, Decimal("-10.00")), Leg(escrow, Decimal("10.00"))])
    entries = Entry.objects.filter(transaction=posted.transaction)

    def change_entries():
        with transaction.atomic():
            entries.update(amount=Decimal("11.00")) if change == "update" else entries.delete()

    def change_transaction():
        with transaction.atomic():
            LedgerTransaction.objects.filter(pk=posted.transaction.pk).update(memo="changed")

    with pytest.raises(DatabaseError, match="append-only"):
        change_entries()
    with pytest.raises(DatabaseError, match="append-only"):
        change_transaction()


def test_accounts_exist_once_per_owner_and_currency(owner, winner):
    challenge = challenge_in_funding(owner)

    assert escrow_account(challenge=challenge) == escrow_account(challenge=challenge)
    assert payable_account(user=winner, currency="EUR") != payable_account(user=winner, currency="USD")
    assert Account.objects.filter(kind=AccountKind.PAYABLE, owner=winner).count() == 2
    assert not clearing_account(provider="manual", currency="EUR").has_floor
    assert escrow_account(challenge=challenge).has_floor
