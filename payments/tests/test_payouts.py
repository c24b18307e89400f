"""Payouts: claimed under a lock, sent once with their idempotency key, retried with backoff,
failed for good after the last attempt, taken over when their worker vanished."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError, NotAllowed
from payments.lifecycle import PAYOUT, Role, payout_roles
from payments.models import LedgerTransaction, Payout, PayoutStatus, PayoutTransition, TransactionKind
from payments.services import (
    Outcome,
    account_balance,
    clearing_account,
    payable_account,
    payout_execute,
    payout_mark_failed,
    payout_mark_paid,
    payout_retry,
    payout_return,
    payouts_sweep,
    reconcile,
)
from payments.tests import fakebank
from payments.tests.factories import bank_account, claim, funded_challenge, prize

pytestmark = pytest.mark.django_db


@pytest.fixture
def payout(owner, staff, winner, bank):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    return prize(challenge, winner, "1500.00")


def test_a_prize_moves_from_escrow_to_the_winners_payable_and_is_queued(owner, staff, winner, enqueued, bank):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)

    payout = prize(challenge, winner, "1500.00")

    assert payout.status == PayoutStatus.PENDING
    assert account_balance(payable_account(user=winner, currency="EUR")) == Decimal("1500.00")
    assert payout.idempotency_key == f"cw-payout-{payout.payable_transaction_id}"


def test_executing_pays_once_at_the_provider_and_records_it_in_the_ledger(
    payout, bank, django_capture_on_commit_callbacks
):
    from payments import signals

    heard = []
    signals.payout_paid.connect(lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="t-paid")
    with django_capture_on_commit_callbacks(execute=True):
        result = payout_execute(payout_id=payout.pk)
    signals.payout_paid.disconnect(dispatch_uid="t-paid")

    payout.refresh_from_db()
    assert result.outcome == Outcome.PAID
    assert payout.status == PayoutStatus.PAID
    assert fakebank.payments_made(bank) == [payout.idempotency_key]
    assert account_balance(payable_account(user=payout.recipient, currency="EUR")) == 0
    assert account_balance(clearing_account(provider="fakebank", currency="EUR")) == Decimal("1500.00")
    assert (heard[0]["payout_id"], heard[0]["amount"]) == (payout.pk, Decimal("1500.00"))
    assert [(t.from_status, t.to_status) for t in payout.transitions.all()] == [
        ("pending", "processing"),
        ("processing", "paid"),
    ]


def test_executing_again_does_nothing(payout, bank):
    payout_execute(payout_id=payout.pk)

    assert payout_execute(payout_id=payout.pk).outcome == Outcome.DONE
    assert fakebank.calls(bank) == [payout.idempotency_key]
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == 1


def test_a_transient_failure_is_retried_with_backoff_then_pays(payout, bank):
    (bank / "fail-next").write_text("1")
    now = timezone.now()

    first = payout_execute(payout_id=payout.pk, now=now)

    payout.refresh_from_db()
    assert first.outcome == Outcome.RETRY
    assert (payout.status, payout.attempts) == (PayoutStatus.PENDING, 1)
    assert payout.next_attempt_at == now + timedelta(seconds=30)
    assert payout_execute(payout_id=payout.pk, now=now).outcome == Outcome.NOT_DUE
    assert payout_execute(payout_id=payout.pk, now=now + timedelta(seconds=31)).outcome == Outcome.PAID


def test_the_last_failed_attempt_is_recorded_and_staff_can_retry(payout, bank, staff, settings):
    settings.PAYMENTS_PAYOUT_MAX_ATTEMPTS = 2
    (bank / "fail-next").write_text("2")
    now = timezone.now()

    payout_execute(payout_id=payout.pk, now=now)
    last = payout_execute(payout_id=payout.pk, now=now + timedelta(hours=1))

    payout.refresh_from_db()
    assert last.outcome == Outcome.FAILED
    assert payout.status == PayoutStatus.FAILED
    assert "injected" in payout.last_error
    assert fakebank.payments_made(bank) == []

    payout_retry(payout=payout, actor=Actor.user(staff))
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.PAID


def test_a_payout_waits_while_its_member_has_no_payout_method(owner, staff, winner, bank, enqueued):
    challenge = funded_challenge(owner, staff=staff)

    payout = prize(challenge, winner, "100.00")

    assert payout.next_attempt_at is None
    assert enqueued.payouts == []
    assert payouts_sweep().enqueued == 0


def test_a_payout_waits_for_a_changed_methods_hold_then_is_swept(
    owner, staff, winner, bank, enqueued, django_capture_on_commit_callbacks
):
    challenge = funded_challenge(owner, staff=staff)
    payout = prize(challenge, winner, "100.00")
    method = bank_account(winner, usable_now=False)
    payout.refresh_from_db()
    assert payout.next_attempt_at == method.usable_from

    with django_capture_on_commit_callbacks(execute=True):
        assert payouts_sweep().enqueued == 0
        assert payouts_sweep(now=method.usable_from + timedelta(seconds=1)).enqueued == 1

    assert enqueued.payouts == [payout.pk]


def test_a_claim_of_a_vanished_worker_is_taken_over_and_the_provider_pays_once(payout, bank, settings):
    fakebank.FakeBank().pay(claim(payout).request)  # the bank paid; the worker died before writing it down
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.BUSY  # its claim is still fresh
    stale = timezone.now() - timedelta(seconds=settings.PAYMENTS_STALE_CLAIM_SECONDS + 1)
    Payout.objects.filter(pk=payout.pk).update(claimed_at=stale)

    assert payouts_sweep().stale == 1
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.PAID

    assert fakebank.payments_made(bank) == [payout.idempotency_key]
    assert len(fakebank.calls(bank)) == 2
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == 1


def test_a_stale_claim_on_the_last_attempt_fails_the_payout_instead_of_calling_the_provider_again(
    payout, bank, settings
):
    """A provider call that hangs or kills its worker every time is not retried by the sweep forever."""
    settings.PAYMENTS_PAYOUT_MAX_ATTEMPTS = 3
    claim(payout)  # the worker died during the call
    stale = timezone.now() - timedelta(seconds=settings.PAYMENTS_STALE_CLAIM_SECONDS + 1)
    Payout.objects.filter(pk=payout.pk).update(attempts=3, claimed_at=stale)

    assert payouts_sweep().stale == 1
    result = payout_execute(payout_id=payout.pk)

    payout.refresh_from_db()
    assert result.outcome == Outcome.FAILED
    assert fakebank.calls(bank) == []
    assert (payout.status, payout.attempts, payout.claim_token) == (PayoutStatus.FAILED, 3, "")
    assert "Abandoned after 3 attempts" in payout.last_error
    assert payout.transitions.get(to_status="failed").from_status == "processing"
    assert payouts_sweep().enqueued == 0


def test_a_stale_claim_below_the_last_attempt_is_still_taken_over(payout, bank, settings):
    settings.PAYMENTS_PAYOUT_MAX_ATTEMPTS = 3
    claim(payout)
    stale = timezone.now() - timedelta(seconds=settings.PAYMENTS_STALE_CLAIM_SECONDS + 1)
    Payout.objects.filter(pk=payout.pk).update(attempts=2, claimed_at=stale)

    assert payout_execute(payout_id=payout.pk).outcome == Outcome.PAID
    assert Payout.objects.get(pk=payout.pk).attempts == 3


def test_reconciliation_reports_a_failed_payout_its_provider_paid(payout, bank, settings):
    fakebank.FakeBank().pay(claim(payout).request)  # paid, then the worker died on its last attempt
    stale = timezone.now() - timedelta(seconds=settings.PAYMENTS_STALE_CLAIM_SECONDS + 1)
    Payout.objects.filter(pk=payout.pk).update(attempts=settings.PAYMENTS_PAYOUT_MAX_ATTEMPTS, claimed_at=stale)
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.FAILED

    run = reconcile(notify=False)

    assert [m["kind"] for m in run.mismatches] == ["provider_paid_ledger_not"]


def test_a_payout_the_bank_returned_after_payment_is_sent_again_under_a_new_key(payout, bank, staff):
    payout_execute(payout_id=payout.pk)
    payout.refresh_from_db()
    first_key = payout.idempotency_key

    payout_return(payout=payout, actor=Actor.user(staff), reason="Beneficiary deceased (MD07)")
    payout_retry(payout=payout, actor=Actor.user(staff))

    assert payout_execute(payout_id=payout.pk).outcome == Outcome.PAID
    payout.refresh_from_db()
    assert fakebank.payments_made(bank) == sorted([first_key, payout.idempotency_key])
    assert list(
        LedgerTransaction.objects.order_by("pk")
        .filter(kind__in=[TransactionKind.PAYOUT, TransactionKind.RETURN])
        .values_list("idempotency_key", flat=True)
    ) == [f"payout:{payout.pk}", f"payout-return:{payout.pk}", f"payout:{payout.pk}:2"]
    assert account_balance(payable_account(user=payout.recipient, currency="EUR")) == 0
    assert reconcile(notify=False).mismatches == []


def test_the_old_workers_late_result_is_ignored_after_a_takeover(payout, bank, settings):
    from payments.providers import ProviderResult, ProviderState
    from payments.services.payouts import payout_finish

    old = claim(payout)
    stale = timezone.now() - timedelta(seconds=settings.PAYMENTS_STALE_CLAIM_SECONDS + 1)
    Payout.objects.filter(pk=payout.pk).update(claimed_at=stale)
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.PAID

    late = payout_finish(
        old, ProviderResult(ProviderState.PAID, "late"), actor=Actor.system("slow"), now=timezone.now()
    )

    assert late.outcome == Outcome.BUSY
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == 1


ALL = list(PayoutStatus)

# (from, to): who may make the move. System: the platform's tasks; provider: the payout's own
# provider (its webhook); staff: a staff member.
WHO_MAY = {
    ("pending", "processing"): {"system"},
    ("processing", "processing"): {"system"},  # a stale claim taken over
    ("processing", "pending"): {"system"},
    ("processing", "submitted"): {"system"},
    ("processing", "paid"): {"system"},
    ("processing", "failed"): {"system"},
    ("submitted", "paid"): {"system", "provider", "staff"},
    ("submitted", "failed"): {"system", "provider", "staff"},
    ("paid", "failed"): {"staff"},
    ("failed", "pending"): {"system", "staff"},
}


@pytest.mark.parametrize("from_status", ALL)
@pytest.mark.parametrize("to_status", ALL)
def test_the_payout_state_machine_allows_exactly_its_table_to_exactly_its_roles(from_status, to_status):
    from payments.services import payout_move_allowed

    allowed = WHO_MAY.get((from_status, to_status), set())
    assert payout_move_allowed(from_status, to_status) is bool(allowed)
    for role in Role:
        assert PAYOUT.allows(from_status, to_status, {role}) is (role in allowed), role
    assert len(PAYOUT.moves) == len(WHO_MAY)


def test_who_an_actor_is_on_a_payout(staff, winner):
    assert payout_roles(Actor.user(staff)) == {Role.STAFF}
    assert payout_roles(Actor.user(winner)) == set()
    assert payout_roles(Actor.system("payments.payout_execute")) == {Role.SYSTEM}
    assert payout_roles(Actor.system("provider:card"), provider="card") == {Role.PROVIDER}
    assert payout_roles(Actor.system("provider:card"), provider="manual") == set()  # not its payout


def test_a_provider_cannot_settle_another_providers_payout_nor_a_member_any(owner, staff, winner):
    bank_account(winner)
    payout = prize(funded_challenge(owner, staff=staff), winner, "100.00")
    submitted = payout_execute(payout_id=payout.pk)
    assert submitted.outcome == Outcome.SUBMITTED  # the manual provider
    payout.refresh_from_db()

    with pytest.raises(NotAllowed, match="Only staff or the payout's provider"):
        payout_mark_paid(payout=payout, actor=Actor.system("provider:card"))
    with pytest.raises(NotAllowed, match="Only staff or the payout's provider"):
        payout_mark_failed(payout=payout, actor=Actor.user(winner), reason="I say so")
    with pytest.raises(NotAllowed, match="Only staff retry"):
        payout_retry(payout=payout, actor=Actor.user(winner))

    payout_mark_paid(payout=payout, actor=Actor.system("provider:manual"), reference="bank notice")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert payout.transitions.order_by("pk").values_list("task", flat=True).last() == "provider:manual"


def test_paid_is_final_unless_the_bank_returns_it(payout, bank, staff):
    payout_execute(payout_id=payout.pk)
    payout.refresh_from_db()

    with pytest.raises(ApplicationError):
        payout_retry(payout=payout, actor=Actor.user(staff))
    with pytest.raises(ApplicationError):
        payout_mark_failed(payout=payout, actor=Actor.user(staff), reason="no")
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PAID
    assert PayoutTransition.objects.filter(payout=payout, to_status="paid").count() == 1
