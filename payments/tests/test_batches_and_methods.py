"""The manual provider's SEPA batches, payout methods (validated, masked, password, e-mail, hold),
and reconciliation of providers, payouts and the ledger."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema
from django.conf import settings
from django.core import mail
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError
from payments.models import (
    BatchStatus,
    LedgerTransaction,
    Payout,
    PayoutMethod,
    PayoutStatus,
    PayoutTransition,
    TransactionKind,
)
from payments.services import (
    Outcome,
    account_balance,
    clearing_account,
    payable_account,
    payout_batch_create,
    payout_batch_mark_paid,
    payout_batch_reject,
    payout_execute,
    payout_mark_failed,
    payout_mark_paid,
    payout_method_remove,
    payout_method_set,
    payout_retry,
    payout_return,
    reconcile,
)
from payments.tests import fakebank
from payments.tests.factories import IBANS, bank_account, claim, funded_challenge, prize
from tests.support import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAIN_001_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture
def submitted(owner, staff, winner):
    """Two prizes of the manual provider, accepted for the next SEPA batch."""
    challenge = funded_challenge(owner, staff=staff)
    other = UserFactory.create(display_name="Zoë Ähnlich-Øster")
    bank_account(winner, iban=IBANS[1])
    bank_account(other, iban=IBANS[2])
    payouts = [prize(challenge, winner, "1500.00"), prize(challenge, other, "499.99")]
    for payout in payouts:
        assert payout_execute(payout_id=payout.pk).outcome == Outcome.SUBMITTED
    return payouts


def test_the_manual_provider_collects_payouts_into_a_sepa_file_that_validates(submitted, staff):
    batch = payout_batch_create(by=staff)

    schema = xmlschema.XMLSchema(str(PAIN_001_XSD))
    schema.validate(batch.xml)
    document: Any = schema.to_dict(batch.xml)
    payment = document["CstmrCdtTrfInitn"]["PmtInf"][0]
    transfers = payment["CdtTrfTxInf"]
    assert (batch.count, batch.total) == (2, Decimal("1999.99"))
    assert document["CstmrCdtTrfInitn"]["GrpHdr"]["CtrlSum"] == Decimal("1999.99")
    assert {t["CdtrAcct"]["Id"]["IBAN"] for t in transfers} == {IBANS[1], IBANS[2]}
    assert {t["PmtId"]["EndToEndId"] for t in transfers} == {p.idempotency_key for p in submitted}
    assert payment["DbtrAcct"]["Id"]["IBAN"] == settings.PAYMENTS_BANK_IBAN
    assert set(Payout.objects.values_list("batch", flat=True)) == {batch.pk}


def test_a_payout_is_in_one_batch_only(submitted, staff):
    payout_batch_create(by=staff)

    with pytest.raises(ApplicationError, match="No payouts are waiting"):
        payout_batch_create(by=staff)


def test_marking_the_batch_paid_writes_every_payout_to_the_ledger_once(submitted, staff, winner):
    batch = payout_batch_create(by=staff)

    payout_batch_mark_paid(batch=batch, by=staff)
    payout_batch_mark_paid(batch=batch, by=staff)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.PAID}
    assert account_balance(payable_account(user=winner, currency="EUR")) == 0
    assert account_balance(clearing_account(provider="manual", currency="EUR")) == Decimal("-10000.00") + Decimal(
        "1999.99"
    )


def test_a_payout_in_an_exported_batch_is_settled_only_with_its_batch(submitted, staff):
    """The file is at the bank: failing one payout and sending it again in another file would pay it twice."""
    batch = payout_batch_create(by=staff)
    payout = submitted[1]

    with pytest.raises(ApplicationError, match=f"in the SEPA batch {batch.message_id}, which is at the bank"):
        payout_mark_failed(payout=payout, actor=Actor.user(staff), reason="Account closed")
    with pytest.raises(ApplicationError, match=f"in the SEPA batch {batch.message_id}, which is at the bank"):
        payout_mark_paid(payout=payout, actor=Actor.user(staff))

    payout.refresh_from_db()
    assert (payout.status, payout.batch_id) == (PayoutStatus.SUBMITTED, batch.pk)
    with pytest.raises(ApplicationError, match="No payouts are waiting"):
        payout_batch_create(by=staff)
    payout_batch_mark_paid(batch=batch, by=staff)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == 2


def test_a_payout_sent_by_hand_outside_a_batch_can_still_be_marked_failed_or_paid(submitted, staff):
    failed, paid = submitted

    payout_mark_failed(payout=failed, actor=Actor.user(staff), reason="Account closed")
    payout_mark_paid(payout=paid, actor=Actor.user(staff), reference="manual transfer")

    assert Payout.objects.get(pk=failed.pk).status == PayoutStatus.FAILED
    assert Payout.objects.get(pk=paid.pk).status == PayoutStatus.PAID


def test_a_file_the_bank_rejected_fails_its_payouts_once_and_they_go_into_a_new_file(submitted, staff, winner):
    batch = payout_batch_create(by=staff)

    payout_batch_reject(batch=batch, by=staff, reason="Wrong debtor account")
    payout_batch_reject(batch=batch, by=staff, reason="Again")

    batch.refresh_from_db()
    assert (batch.status, batch.rejected_by, batch.rejection_reason) == (
        BatchStatus.REJECTED,
        staff,
        "Wrong debtor account",
    )
    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.FAILED}
    assert PayoutTransition.objects.filter(to_status=PayoutStatus.FAILED).count() == 2
    assert account_balance(payable_account(user=winner, currency="EUR")) == Decimal("1500.00")
    for payout in submitted:
        payout_retry(payout=payout, actor=Actor.user(staff))
        assert payout_execute(payout_id=payout.pk).outcome == Outcome.SUBMITTED
    second = payout_batch_create(by=staff)
    assert (second.count, set(Payout.objects.values_list("batch", flat=True))) == (2, {second.pk})
    with pytest.raises(ApplicationError, match="rejected by the bank; nothing in it was paid"):
        payout_batch_mark_paid(batch=batch, by=staff)
    payout_batch_mark_paid(batch=second, by=staff)
    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.PAID}


def test_a_paid_batch_cannot_be_rejected_and_only_staff_reject(submitted, staff, winner):
    batch = payout_batch_create(by=staff)
    with pytest.raises(ApplicationError, match="Only staff"):
        payout_batch_reject(batch=batch, by=winner, reason="no")
    payout_batch_mark_paid(batch=batch, by=staff)

    with pytest.raises(ApplicationError, match="is paid; record a transfer the bank returned"):
        payout_batch_reject(batch=batch, by=staff, reason="Too late")

    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.PAID}


def test_a_transfer_returned_after_its_batch_was_paid_is_reversed_once_and_paid_again_in_a_new_file(
    submitted, staff, winner, django_assert_max_num_queries
):
    batch = payout_batch_create(by=staff)
    payout_batch_mark_paid(batch=batch, by=staff)
    payout = Payout.objects.get(pk=submitted[0].pk)
    first_key = payout.idempotency_key
    clearing = clearing_account(provider="manual", currency="EUR")
    clearing_after_payment = account_balance(clearing)

    # A new query here is a new round trip while the payout and accounts are locked: justify it.
    with django_assert_max_num_queries(14):
        payout_return(payout=payout, actor=Actor.user(staff), reason="Account closed (AC04)")
    payout_return(payout=payout, actor=Actor.user(staff), reason="Clicked twice")

    payout.refresh_from_db()
    reversal = LedgerTransaction.objects.get(kind=TransactionKind.RETURN)
    assert reversal.idempotency_key == f"payout-return:{payout.pk}"
    assert sorted((e.account_id, e.amount) for e in reversal.entries.all()) == sorted(
        [(clearing.pk, Decimal("-1500.00")), (payout.account_id, Decimal("1500.00"))]
    )
    assert account_balance(payable_account(user=winner, currency="EUR")) == Decimal("1500.00")
    assert account_balance(clearing) == clearing_after_payment - Decimal("1500.00")
    assert (payout.status, payout.last_error, payout.paid_transaction, payout.returns) == (
        PayoutStatus.FAILED,
        "Account closed (AC04)",
        None,
        1,
    )
    assert payout.idempotency_key != first_key  # the next transfer is a new one for the bank
    assert "Account closed (AC04)" in payout.transitions.get(from_status="paid", to_status="failed").reason

    payout_retry(payout=payout, actor=Actor.user(staff))
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.SUBMITTED
    again = payout_batch_create(by=staff)
    payout_batch_mark_paid(batch=again, by=staff)

    payout.refresh_from_db()
    assert (again.count, payout.batch_id, payout.status) == (1, again.pk, PayoutStatus.PAID)
    assert LedgerTransaction.objects.get(paid_payout=payout).idempotency_key == f"payout:{payout.pk}:2"
    assert account_balance(payable_account(user=winner, currency="EUR")) == 0
    assert reconcile(notify=False).mismatches == []


def test_only_staff_record_a_return_and_only_of_a_paid_payout(submitted, staff, winner):
    with pytest.raises(ApplicationError, match="Only paid payouts"):
        payout_return(payout=submitted[0], actor=Actor.user(staff), reason="Account closed")
    with pytest.raises(ApplicationError, match="Only staff"):
        payout_return(payout=submitted[0], actor=Actor.user(winner), reason="Account closed")
    payout_batch_mark_paid(batch=payout_batch_create(by=staff), by=staff)
    with pytest.raises(ApplicationError, match="why the bank returned"):
        payout_return(payout=submitted[0], actor=Actor.user(staff), reason="  ")

    assert not LedgerTransaction.objects.filter(kind=TransactionKind.RETURN).exists()


def test_only_staff_export_and_mark_batches(submitted, winner, staff):
    with pytest.raises(ApplicationError, match="Only staff"):
        payout_batch_create(by=winner)
    batch = payout_batch_create(by=staff)
    with pytest.raises(ApplicationError, match="Only staff"):
        payout_batch_mark_paid(batch=batch, by=winner)


def test_sepa_files_carry_euros_only(staff):
    with pytest.raises(ApplicationError, match="euros only"):
        payout_batch_create(by=staff, currency="USD")


# --- Payout methods ----------------------------------------------------------------------------


def test_adding_a_bank_account_validates_normalises_masks_holds_and_tells_the_member(
    winner, django_capture_on_commit_callbacks
):
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        method = payout_method_set(
            user=winner, password=PASSWORD, holder_name="  Win  Ner ", iban="nl91 abna 0417 1643 00", now=now
        )

    assert method.destination == {"iban": "NL91ABNA0417164300", "bic": "ABNANL2A", "country": "NL"}
    assert (method.holder_name, method.provider) == ("Win Ner", "manual")
    assert method.shown_as == "NL91 •••• 4300"
    assert method.usable_from == now + timedelta(hours=24)
    assert len(mail.outbox) == 1
    assert winner.email in mail.outbox[0].to
    assert "NL91 •••• 4300" in mail.outbox[0].body
    assert "NL91ABNA0417164300" not in mail.outbox[0].body


def test_changing_the_bank_account_replaces_it_and_holds_waiting_payouts(
    owner, staff, winner, django_capture_on_commit_callbacks
):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, "10.00")

    with django_capture_on_commit_callbacks(execute=True):
        new = payout_method_set(user=winner, password=PASSWORD, holder_name="Winner", iban=IBANS[2])

    assert list(PayoutMethod.objects.filter(owner=winner, is_active=True)) == [new]
    payout.refresh_from_db()
    assert payout.next_attempt_at == new.usable_from
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.NOT_DUE
    assert "changed" in mail.outbox[-1].subject.lower()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "wrong"}, "password"),
        ({"iban": "DE89370400440532013001"}, "iban"),
        ({"iban": "not an iban"}, "iban"),
        ({"bic": "XYZ"}, "bic"),
        ({"holder_name": "   "}, "holder_name"),
        ({"iban": "BR1500000000000010932840814P2", "bic": "BRASBRRJ"}, "iban"),  # valid, but not SEPA
        ({"iban": IBANS[1], "bic": "COBADEFFXXX"}, "bic"),  # a Dutch account, a German bank
    ],
)
def test_bad_payout_methods_are_refused_and_change_nothing(winner, changes, field):
    data = {"user": winner, "password": PASSWORD, "holder_name": "Winner", "iban": IBANS[0]} | changes

    with pytest.raises(ApplicationError) as refused:
        payout_method_set(**data)

    assert field in refused.value.extra
    assert not PayoutMethod.objects.exists()
    assert mail.outbox == []


def test_only_sepa_accounts_are_accepted_and_the_bic_must_be_of_the_ibans_country(winner):
    with pytest.raises(ApplicationError, match="BR is not in the SEPA zone"):
        payout_method_set(
            user=winner, password=PASSWORD, holder_name="W", iban="BR1500000000000010932840814P2", bic="BRASBRRJ"
        )
    with pytest.raises(ApplicationError, match="The BIC is of a bank in DE, the IBAN of an account in NL"):
        payout_method_set(user=winner, password=PASSWORD, holder_name="W", iban=IBANS[1], bic="COBADEFFXXX")

    british = payout_method_set(user=winner, password=PASSWORD, holder_name="W", iban="GB33BUKB20201555555555")
    swiss = payout_method_set(
        user=winner, password=PASSWORD, holder_name="W", iban="CH9300762011623852957", bic="UBSWCHZH80A"
    )

    assert british.destination == {
        "iban": "GB33BUKB20201555555555",
        "bic": "BUKBGB22",
        "country": "GB",
    }  # the BIC found from the IBAN
    assert (swiss.destination["country"], swiss.destination["bic"]) == ("CH", "UBSWCHZH80A")


def test_removing_needs_the_password_and_the_owner(winner, stranger):
    method = bank_account(winner)

    with pytest.raises(ApplicationError):
        payout_method_remove(user=winner, method=method, password="wrong")
    with pytest.raises(ApplicationError):
        payout_method_remove(user=stranger, method=method, password=PASSWORD)
    payout_method_remove(user=winner, method=method, password=PASSWORD)

    assert not PayoutMethod.objects.filter(is_active=True).exists()


# --- Reconciliation ----------------------------------------------------------------------------


def test_reconciliation_finds_nothing_when_provider_payouts_and_ledger_agree(owner, staff, winner, bank):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout_execute(payout_id=prize(challenge, winner, "10.00").pk)

    run = reconcile()

    assert (run.checked_payouts, run.mismatches) == (1, [])


def test_reconciliation_reports_a_payment_the_ledger_does_not_know_to_staff(owner, staff, winner, bank):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, "10.00")
    fakebank.FakeBank().pay(claim(payout).request)  # the worker died here

    run = reconcile()

    assert [m["kind"] for m in run.mismatches] == ["provider_paid_ledger_not"]
    assert mail.outbox[-1].to == [staff.email]
    assert "provider_paid_ledger_not" in mail.outbox[-1].body
