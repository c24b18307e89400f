"""Staff run the money from the admin; the demo data funds the demo challenge; every page string is in German."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from challenges.models import Challenge
from payments.models import (
    BatchStatus,
    FundingReceipt,
    LedgerTransaction,
    PayoutBatch,
    PayoutMethod,
    PayoutStatus,
    TransactionKind,
)
from payments.services import (
    account_balance,
    escrow_account,
    funding_request_ensure,
    payable_account,
    payout_execute,
)
from payments.tests.factories import bank_account, challenge_in_funding, funded_challenge, prize
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    sign_in(client, staff)
    return client


def test_staff_record_a_receipt_in_the_admin_and_the_challenge_opens(staff_client, owner):
    challenge = challenge_in_funding(owner, budget="10000.00")
    form = {
        "reference": funding_request_ensure(challenge=challenge).reference,
        "amount": "10000.00",
        "currency": "EUR",
        "bank_transaction_id": "STMT-2026-11-28-001",
        "received_on": timezone.localdate().isoformat(),
    }

    response = staff_client.post(reverse("admin:payments_fundingreceipt_record"), form, follow=True)

    assert response.status_code == 200
    assert "Recorded 10000.00 EUR" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.status == "open"


def test_a_refused_receipt_is_a_form_error_in_the_admin(staff_client, owner):
    challenge = challenge_in_funding(owner)
    form = {
        "reference": funding_request_ensure(challenge=challenge).reference,
        "amount": "10.00",
        "currency": "USD",
        "bank_transaction_id": "X",
        "received_on": timezone.localdate().isoformat(),
    }

    response = staff_client.post(reverse("admin:payments_fundingreceipt_record"), form)

    assert response.status_code == 200
    assert "funded in EUR" in response.content.decode()
    assert not FundingReceipt.objects.exists()


def test_a_payment_reference_with_non_ascii_characters_is_a_form_error_in_the_admin(staff_client, owner):
    challenge = challenge_in_funding(owner)
    reference = funding_request_ensure(challenge=challenge).reference
    form = {
        "reference": reference[:6] + "²" + reference[7:],
        "amount": "10.00",
        "currency": "EUR",
        "bank_transaction_id": "X",
        "received_on": timezone.localdate().isoformat(),
    }

    response = staff_client.post(reverse("admin:payments_fundingreceipt_record"), form)

    assert response.status_code == 200
    assert "That is not a valid payment reference" in response.content.decode()
    assert not FundingReceipt.objects.exists()


def _exported_batch(staff_client, owner, staff, winner):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, "250.00")
    payout_execute(payout_id=payout.pk)
    staff_client.post(reverse("admin:payments_payoutbatch_export"))
    return PayoutBatch.objects.get(), payout


def test_the_admin_refuses_to_fail_a_payout_of_a_batch_at_the_bank(staff_client, owner, staff, winner):
    batch, payout = _exported_batch(staff_client, owner, staff, winner)
    action = {"action": "mark_failed", "_selected_action": [payout.pk]}

    asked = staff_client.post(reverse("admin:payments_payout_changelist"), action)
    refused = staff_client.post(
        reverse("admin:payments_payout_changelist"), action | {"apply": "1", "reason": "Closed"}, follow=True
    )

    assert 'name="reason"' in asked.content.decode()
    assert f"in the SEPA batch {batch.message_id}, which is at the bank" in refused.content.decode()
    payout.refresh_from_db()
    assert (payout.status, payout.batch_id) == (PayoutStatus.SUBMITTED, batch.pk)


def test_staff_record_a_transfer_returned_after_payment_with_its_reason_in_the_admin(
    staff_client, owner, staff, winner
):
    batch, payout = _exported_batch(staff_client, owner, staff, winner)
    staff_client.post(
        reverse("admin:payments_payoutbatch_changelist"), {"action": "mark_paid", "_selected_action": [batch.pk]}
    )
    action = {"action": "mark_returned", "_selected_action": [payout.pk]}

    missing = staff_client.post(reverse("admin:payments_payout_changelist"), action | {"apply": "1", "reason": ""})
    done = staff_client.post(
        reverse("admin:payments_payout_changelist"), action | {"apply": "1", "reason": "IBAN closed"}, follow=True
    )
    staff_client.post(reverse("admin:payments_payout_changelist"), action | {"apply": "1", "reason": "Twice"})

    assert "This field is required" in missing.content.decode()
    assert "1 done." in done.content.decode()
    payout.refresh_from_db()
    assert (payout.status, payout.last_error) == (PayoutStatus.FAILED, "IBAN closed")
    assert account_balance(payable_account(user=winner, currency="EUR")) == Decimal("250.00")
    assert LedgerTransaction.objects.filter(kind=TransactionKind.RETURN).count() == 1


def test_staff_mark_a_file_the_bank_rejected_in_the_admin(staff_client, owner, staff, winner):
    batch, payout = _exported_batch(staff_client, owner, staff, winner)

    staff_client.post(
        reverse("admin:payments_payoutbatch_changelist"),
        {"action": "mark_rejected", "_selected_action": [batch.pk], "apply": "1", "reason": "Bad file"},
    )

    batch.refresh_from_db()
    payout.refresh_from_db()
    assert (batch.status, batch.rejection_reason) == (BatchStatus.REJECTED, "Bad file")
    assert payout.status == PayoutStatus.FAILED


def test_staff_export_download_and_mark_a_batch_paid_in_the_admin(staff_client, owner, staff, winner):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout_execute(payout_id=prize(challenge, winner, "250.00").pk)

    exported = staff_client.post(reverse("admin:payments_payoutbatch_export"), follow=True)
    batch = PayoutBatch.objects.get()
    xml = staff_client.get(reverse("admin:payments_payoutbatch_file", args=[batch.pk]))
    staff_client.post(
        reverse("admin:payments_payoutbatch_changelist"), {"action": "mark_paid", "_selected_action": [batch.pk]}
    )

    assert "Exported 1 payouts" in exported.content.decode()
    assert xml["Content-Disposition"] == f'attachment; filename="{batch.message_id}.xml"'
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    assert winner.payouts.get().status == PayoutStatus.PAID


def test_staff_retry_failed_payouts_from_the_admin(staff_client, owner, staff, winner, bank):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, "5.00")
    type(payout).objects.filter(pk=payout.pk).update(attempts=99)
    (bank / "fail-next").write_text("1")
    payout_execute(payout_id=payout.pk)

    staff_client.post(reverse("admin:payments_payout_changelist"), {"action": "retry", "_selected_action": [payout.pk]})

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING


@pytest.mark.parametrize(
    "model",
    [
        "ledgertransaction",
        "entry",
        "account",
        "fundingreceipt",
        "payout",
        "payoutbatch",
        "payoutmethod",
        "reconciliationrun",
    ],
)
def test_every_money_admin_page_opens_and_the_ledger_cannot_be_edited(staff_client, owner, staff, winner, model):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    prize(challenge, winner, "5.00")

    assert staff_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    if model in ("ledgertransaction", "entry", "account"):
        assert staff_client.get(reverse(f"admin:payments_{model}_add")).status_code == 403


@pytest.mark.parametrize("url", ["admin:payments_fundingreceipt_record", "admin:payments_payoutbatch_export"])
def test_members_cannot_reach_the_money_admin(client, owner, url):
    client.force_login(owner)

    response = client.get(reverse(url))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_demo_challenge_is_funded_in_escrow_and_the_demo_members_can_be_paid_once(monkeypatch):
    # The completed Sahel ambulance and its dossier are loaded and checked in dossiers/tests/test_demo.py.
    monkeypatch.setattr("dossiers.demo.load", lambda out: None)
    call_command("load_demo_data", stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())

    challenge = Challenge.objects.get(title="Alpine delivery van")
    assert challenge.status == "open"
    assert account_balance(escrow_account(challenge=challenge)) == challenge.budget
    assert FundingReceipt.objects.count() == 1
    assert PayoutMethod.objects.filter(is_active=True, usable_from__lte=timezone.now()).count() == 3


def test_every_string_of_the_app_has_a_german_translation():
    import polib

    catalogue = polib.pofile(str(Path(__file__).parents[1] / "locale" / "de" / "LC_MESSAGES" / "django.po"))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue) > 200


def test_the_earnings_page_speaks_german(client, winner):
    winner.preferred_language = "de"
    winner.save(update_fields=["preferred_language"])
    client.force_login(winner)

    page = client.get(reverse("payments:earnings"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Einnahmen" in page
