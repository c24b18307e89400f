"""A Hypothesis state machine drives random sequences of fund / award / payout / fail / retry /
return by the bank / cancel through the services and checks the ledger's invariants after every step."""

import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test import TestCase
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from challenges.models import ChallengeStatus
from challenges.services import challenge_cancel
from core.actors import Actor
from core.exceptions import ApplicationError
from payments.models import Account, AccountKind, Entry, LedgerTransaction, Payout, PayoutStatus, TransactionKind
from payments.services import InsufficientFunds, account_balance, payout_execute, payout_retry, payout_return
from payments.tests import fakebank
from payments.tests.factories import bank_account, challenge_in_funding, prize, receive
from tests.support import UserFactory

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("6000.00"), places=2)


class MoneyMachine(RuleBasedStateMachine):
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        os.environ["FAKEBANK_DIR"] = str(self.root / uuid.uuid4().hex)
        tag = uuid.uuid4().hex[:8]
        self.staff = UserFactory.create(is_staff=True, email=f"staff-{tag}@example.com")
        self.owner = UserFactory.create(email=f"owner-{tag}@example.com")
        self.members = [UserFactory.create(email=f"m{n}-{tag}@example.com") for n in range(3)]
        for member in self.members:
            bank_account(member)
        self.challenge = challenge_in_funding(self.owner, budget="10000.00", title=f"Machine {tag}")
        self.returned_keys: set[str] = set()  # provider keys of payments the bank sent back

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- rules ---

    @rule(amount=amounts)
    def fund(self, amount: Decimal) -> None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            receive(self.challenge, amount, staff=self.staff)
        self.challenge.refresh_from_db()

    @rule(member=st.integers(0, 2), amount=amounts)
    def award(self, member: int, amount: Decimal) -> None:
        before = Entry.objects.count()
        try:
            with transaction.atomic():
                prize(self.challenge, self.members[member], amount)
        except InsufficientFunds:
            assert Entry.objects.count() == before  # refused: nothing moved

    @rule(data=st.data())
    def execute(self, data: st.DataObject) -> None:
        waiting = list(Payout.objects.filter(status=PayoutStatus.PENDING).values_list("pk", flat=True))
        if waiting:
            payout_execute(payout_id=data.draw(st.sampled_from(waiting)))

    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        waiting = list(Payout.objects.filter(status=PayoutStatus.PENDING).values_list("pk", flat=True))
        if waiting:
            (fakebank.bank_dir() / "fail-next").write_text("1")
            payout_execute(payout_id=data.draw(st.sampled_from(waiting)))
            (fakebank.bank_dir() / "fail-next").unlink()

    @rule(data=st.data())
    def fail_for_good(self, data: st.DataObject) -> None:
        waiting = list(Payout.objects.filter(status=PayoutStatus.PENDING).values_list("pk", flat=True))
        if waiting:
            pk = data.draw(st.sampled_from(waiting))
            Payout.objects.filter(pk=pk).update(attempts=99)
            (fakebank.bank_dir() / "fail-next").write_text("1")
            payout_execute(payout_id=pk)
            (fakebank.bank_dir() / "fail-next").unlink()

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        failed = list(Payout.objects.filter(status=PayoutStatus.FAILED))
        if failed:
            payout_retry(payout=data.draw(st.sampled_from(failed)), actor=Actor.user(self.staff))

    @rule(data=st.data())
    def bank_returns(self, data: st.DataObject) -> None:
        paid = list(Payout.objects.filter(status=PayoutStatus.PAID))
        if paid:
            payout = data.draw(st.sampled_from(paid))
            self.returned_keys.add(payout.idempotency_key)
            payout_return(payout=payout, actor=Actor.user(self.staff), reason="Account closed")
            payout_return(payout=payout, actor=Actor.user(self.staff), reason="Recorded twice")

    @rule()
    def make_waiting_payouts_due(self) -> None:
        Payout.objects.filter(status=PayoutStatus.PENDING).update(next_attempt_at="2000-01-01T00:00:00Z")

    @rule()
    def cancel(self) -> None:
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                challenge_cancel(challenge=self.challenge, actor=Actor.user(self.staff))
        except ApplicationError:
            pass
        self.challenge.refresh_from_db()

    # --- invariants ---

    @invariant()
    def every_transaction_sums_to_zero_per_currency(self) -> None:
        with connection.cursor() as cursor:  # the database's own deferred checks, now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        unbalanced = Entry.objects.values("transaction_id", "currency").annotate(total=Sum("amount")).exclude(total=0)
        assert not unbalanced.exists()

    @invariant()
    def no_escrow_or_payable_below_zero(self) -> None:
        for account in Account.objects.filter(has_floor=True):
            assert account_balance(account) >= 0, account

    @invariant()
    def no_payout_paid_twice(self) -> None:
        paid = set(Payout.objects.filter(status=PayoutStatus.PAID).values_list("idempotency_key", flat=True))
        # The bank paid exactly the paid payouts and the payments it returned, once each.
        assert set(fakebank.payments_made()) == paid | self.returned_keys
        payments = LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count()
        returns = LedgerTransaction.objects.filter(kind=TransactionKind.RETURN).count()
        assert (payments - returns, returns) == (len(paid), len(self.returned_keys))

    @invariant()
    def every_paid_award_is_fully_paid_and_the_rest_is_still_payable(self) -> None:
        for account in Account.objects.filter(kind=AccountKind.PAYABLE):
            unpaid = Payout.objects.filter(account=account).exclude(status=PayoutStatus.PAID)
            assert account_balance(account) == (unpaid.aggregate(total=Sum("amount"))["total"] or 0)
        for payout in Payout.objects.filter(status=PayoutStatus.PAID).select_related("paid_transaction"):
            assert payout.paid_transaction is not None
            assert payout.paid_transaction.entries.get(account=payout.account).amount == -payout.amount

    @invariant()
    def an_ended_challenge_keeps_nothing_in_escrow(self) -> None:
        if self.challenge.status == ChallengeStatus.CANCELLED:
            escrow = Account.objects.get(kind=AccountKind.ESCROW, challenge=self.challenge)
            assert account_balance(escrow) == 0


def test_the_ledger_holds_its_invariants_under_random_money_flows(tmp_path, bank, monkeypatch):
    MoneyMachine.root = tmp_path
    monkeypatch.setenv("FAKEBANK_DIR", str(tmp_path / "unused"))
    run_state_machine_as_test(
        MoneyMachine,
        settings=hypothesis_settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
