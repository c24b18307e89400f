"""The ledger holds its invariants in the services and, below them, in the database itself."""

import threading
from decimal import Decimal

import psycopg
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
from tests.support import UserFactory

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


def _overdraw_past_the_services(conn, *, key: str, source: Account, target: Account) -> None:
    """Raw SQL taking 10.00 from `source`, with no lock a service would take, then the commit-time checks."""
    with conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_ledgertransaction (kind, idempotency_key, memo, task, created_at) "
            "VALUES ('award', %s, '', '', now()) RETURNING id",
            [key],
        )
        (record,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO payments_entry (transaction_id, account_id, amount, currency) "
            "VALUES (%s, %s, -10.00, 'EUR'), (%s, %s, 10.00, 'EUR')",
            [record, source.pk, record, target.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db(transaction=True)
def test_two_transactions_overdrawing_one_account_at_once_are_serialised_and_the_second_refused():
    challenge = challenge_in_funding(UserFactory.create())
    escrow = escrow_account(challenge=challenge)
    payable = payable_account(user=UserFactory.create(), currency="EUR")
    post([Leg(clearing_account(provider="manual", currency="EUR"), Decimal("-10.00")), Leg(escrow, Decimal("10.00"))])
    first, second = (connection.get_new_connection(connection.get_connection_params()) for _ in range(2))
    outcome: dict[str, str] = {}

    def race() -> None:
        try:
            _overdraw_past_the_services(second, key="race-2", source=escrow, target=payable)
            second.commit()
            outcome["second"] = "committed"
        except psycopg.errors.CheckViolation as error:
            second.rollback()
            outcome["second"] = str(error)

    try:
        _overdraw_past_the_services(first, key="race-1", source=escrow, target=payable)  # checked: 10 - 10 = 0
        racer = threading.Thread(target=race)
        racer.start()
        racer.join(timeout=1)  # the second waits for the first's lock on the account; unlocked, it commits here
        first.commit()
        racer.join(timeout=10)
    finally:
        first.close()
        second.close()

    assert "would end below zero" in outcome["second"]
    assert account_balance(escrow) == 0


ACCOUNT_CHANGES = {
    "currency": ("escrow", lambda: {"currency": "USD"}),
    "kind": ("escrow", lambda: {"kind": AccountKind.PLATFORM, "challenge": None}),
    "challenge": ("escrow", lambda: {"challenge": challenge_in_funding(UserFactory.create())}),
    "owner": ("payable", lambda: {"owner": UserFactory.create()}),
    "payable currency": ("payable", lambda: {"currency": "CHF"}),
    "provider": ("clearing", lambda: {"provider": "another-bank"}),
}


@pytest.mark.parametrize("change", ACCOUNT_CHANGES.values(), ids=ACCOUNT_CHANGES.keys())
def test_an_account_with_entries_keeps_its_kind_currency_floor_and_owner(accounts, change):
    escrow, clearing, payable = accounts
    post([Leg(clearing, Decimal("-10.00")), Leg(escrow, Decimal("10.00"))])
    post([Leg(escrow, Decimal("-4.00")), Leg(payable, Decimal("4.00"))], key="k2", kind=TransactionKind.AWARD)
    which, values = change
    account = {"escrow": escrow, "clearing": clearing, "payable": payable}[which]
    changes = values()

    with (
        pytest.raises(DatabaseError, match="has entries: its kind, currency, floor and owner are fixed"),
        transaction.atomic(),
    ):
        Account.objects.filter(pk=account.pk).update(**changes)

    fields = ("kind", "currency", "has_floor", "challenge_id", "owner_id", "provider")
    unchanged = Account.objects.get(pk=account.pk)
    assert [getattr(unchanged, f) for f in fields] == [getattr(account, f) for f in fields]


def test_an_account_without_entries_may_still_be_corrected(winner):
    account = payable_account(user=winner, currency="USD")

    Account.objects.filter(pk=account.pk).update(currency="CHF")

    account.refresh_from_db()
    assert account.currency == "CHF"
