"""Staff run the money from object pages: read-only records show no Save, each action is a button
with a confirmation page that calls the service, and every step lands in the admin log and the
audit trail with the challenge and member it concerns."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from challenges.models import ChallengeStatus
from core.actors import Actor
from core.models import StaffAction
from payments.models import BatchStatus, FundingReceipt, PayoutBatch, PayoutStatus
from payments.services import funding_request_ensure, payout_execute, payout_mark_failed
from payments.tests.factories import bank_account, challenge_in_funding, funded_challenge, prize
from tests.query_budget import assert_query_count_flat
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

SAVE_BUTTONS = ('name="_save"', 'name="_continue"', 'name="_addanother"')


@pytest.fixture
def staff_client(client, staff):
    sign_in(client, staff)
    return client


def _submitted_payout(owner, staff, winner, amount="250.00"):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, amount)
    payout_execute(payout_id=payout.pk)
    payout.refresh_from_db()
    return payout


def _exported_batch(staff_client, owner, staff, winner):
    payout = _submitted_payout(owner, staff, winner)
    staff_client.post(reverse("admin:payments_payoutbatch_export"))
    return PayoutBatch.objects.get(), payout


def _button(obj, name):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_object_action", args=[obj.pk, name])


def _page(client, obj):
    meta = obj._meta
    return client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])).content.decode()


def test_a_batch_page_has_no_save_buttons_and_offers_mark_paid_and_rejected(staff_client, owner, staff, winner):
    batch, _payout = _exported_batch(staff_client, owner, staff, winner)

    page = _page(staff_client, batch)

    assert not [button for button in SAVE_BUTTONS if button in page]
    assert _button(batch, "mark-paid") in page
    assert _button(batch, "mark-rejected") in page
    assert reverse("admin:payments_payoutbatch_file", args=[batch.pk]) in page


def test_marking_a_batch_paid_asks_first_then_pays_it_and_leaves_a_trail(staff_client, owner, staff, winner):
    batch, payout = _exported_batch(staff_client, owner, staff, winner)
    url = _button(batch, "mark-paid")

    asked = staff_client.get(url)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED  # asking changes nothing
    assert 'id="object-action-confirm"' in asked.content.decode()

    done = staff_client.post(url, {"confirm": "1"}, follow=True)

    batch.refresh_from_db()
    payout.refresh_from_db()
    assert (batch.status, payout.status) == (BatchStatus.PAID, PayoutStatus.PAID)
    page = done.content.decode()
    assert _button(batch, "mark-paid") not in page  # nothing left to do on a paid file
    trail = StaffAction.objects.get(action="payments.payoutbatch.mark-paid")
    assert (trail.actor, trail.object_id) == (staff, str(batch.pk))
    assert (trail.value_before("status"), trail.value_after("status")) == ("exported", "paid")
    assert trail.value_after("message_id") == batch.message_id
    assert trail.value_after("xml") is None  # the file itself is not copied into every row
    assert LogEntry.objects.filter(user=staff, object_id=str(batch.pk), change_message__startswith="Mark paid").exists()


def test_rejecting_a_batch_needs_the_banks_reason_which_the_trail_keeps(staff_client, owner, staff, winner):
    batch, payout = _exported_batch(staff_client, owner, staff, winner)
    url = _button(batch, "mark-rejected")

    missing = staff_client.post(url, {"reason": "  "})
    staff_client.post(url, {"reason": "Unknown  creditor   account"})

    assert "This field is required" in missing.content.decode()
    batch.refresh_from_db()
    payout.refresh_from_db()
    assert (batch.status, batch.rejection_reason) == (BatchStatus.REJECTED, "Unknown creditor account")
    assert payout.status == PayoutStatus.FAILED
    assert StaffAction.objects.get(action="payments.payoutbatch.mark-rejected").reason == "Unknown creditor account"


def test_a_button_that_no_longer_applies_changes_nothing_and_says_so(staff_client, owner, staff, winner):
    batch, _payout = _exported_batch(staff_client, owner, staff, winner)
    staff_client.post(_button(batch, "mark-paid"), {"confirm": "1"})

    again = staff_client.post(_button(batch, "mark-rejected"), {"reason": "Late"}, follow=True)

    assert "not possible for this object any more" in again.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    assert not StaffAction.objects.filter(action="payments.payoutbatch.mark-rejected").exists()


def test_exporting_a_batch_is_a_button_above_the_list_not_add(staff_client, owner, staff, winner):
    _submitted_payout(owner, staff, winner)
    changelist = staff_client.get(reverse("admin:payments_payoutbatch_changelist")).content.decode()

    assert reverse("admin:payments_payoutbatch_export") in changelist
    assert reverse("admin:payments_payoutbatch_add") not in changelist
    assert staff_client.get(reverse("admin:payments_payoutbatch_add"))["Location"] == reverse(
        "admin:payments_payoutbatch_export"
    )

    staff_client.post(reverse("admin:payments_payoutbatch_export"))

    batch = PayoutBatch.objects.get()
    trail = StaffAction.objects.get(action="payments.payoutbatch.export")
    assert (trail.object_id, trail.before, trail.value_after("count")) == (str(batch.pk), None, 1)
    assert LogEntry.objects.filter(object_id=str(batch.pk), change_message__startswith="Exported 1 payouts").exists()


def test_a_payout_page_offers_only_the_buttons_its_status_allows(staff_client, owner, staff, winner):
    payout = _submitted_payout(owner, staff, winner)
    payout_mark_failed(payout=payout, actor=Actor.user(staff), reason="Account closed")

    page = _page(staff_client, payout)

    assert not [button for button in SAVE_BUTTONS if button in page]
    assert _button(payout, "retry") in page
    assert _button(payout, "mark-paid") not in page
    assert _button(payout, "mark-returned") not in page


def test_retrying_a_failed_payout_from_its_page_records_who_and_for_whom(staff_client, owner, staff, winner):
    payout = _submitted_payout(owner, staff, winner)
    payout_mark_failed(payout=payout, actor=Actor.user(staff), reason="Account closed")

    staff_client.post(_button(payout, "retry"), {"confirm": "1"})

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING
    trail = StaffAction.objects.get(action="payments.payout.retry")
    assert (trail.value_before("status"), trail.value_after("status")) == ("failed", "pending")
    assert (trail.member, trail.challenge_id) == (winner, payout.challenge_id)


def test_a_hand_made_transfer_is_marked_failed_with_the_reason_from_its_page(staff_client, owner, staff, winner):
    payout = _submitted_payout(owner, staff, winner)

    staff_client.post(_button(payout, "mark-failed"), {"reason": "IBAN closed"})

    payout.refresh_from_db()
    assert (payout.status, payout.last_error) == (PayoutStatus.FAILED, "IBAN closed")


def test_a_challenge_waiting_for_its_budget_has_the_record_transfer_button_which_opens_it(staff_client, owner, staff):
    challenge = challenge_in_funding(owner, budget="10000.00")

    page = _page(staff_client, challenge)
    record = staff_client.get(reverse("admin:payments_fundingreceipt_record") + f"?challenge={challenge.pk}")
    reference = funding_request_ensure(challenge=challenge).reference
    staff_client.post(
        reverse("admin:payments_fundingreceipt_record") + f"?challenge={challenge.pk}",
        {
            "reference": reference,
            "amount": "10000.00",
            "currency": "EUR",
            "bank_transaction_id": "STMT-9",
            "received_on": timezone.localdate().isoformat(),
        },
    )

    assert reverse("admin:payments_fundingreceipt_record") + f"?challenge={challenge.pk}" in page
    assert f'value="{reference}"' in record.content.decode()
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.OPEN
    assert 'data-object-action="record-transfer"' not in _page(staff_client, challenge)
    trail = StaffAction.objects.get(action="payments.fundingreceipt.record")
    assert (trail.challenge_id, trail.member, trail.object_id) == (
        challenge.pk,
        owner,
        str(FundingReceipt.objects.get().pk),
    )
    assert Decimal(str(trail.value_after("amount"))) == Decimal("10000.00")


def test_funding_receipts_cannot_be_added_or_edited_only_recorded(staff_client, owner, staff):
    challenge = funded_challenge(owner, staff=staff)
    receipt = FundingReceipt.objects.get(challenge=challenge)

    changelist = staff_client.get(reverse("admin:payments_fundingreceipt_changelist")).content.decode()
    page = _page(staff_client, receipt)
    edited = staff_client.post(reverse("admin:payments_fundingreceipt_change", args=[receipt.pk]), {"amount": "1.00"})

    assert reverse("admin:payments_fundingreceipt_record") in changelist
    assert reverse("admin:payments_fundingreceipt_add") not in changelist
    assert not [button for button in SAVE_BUTTONS if button in page]
    assert edited.status_code == 403
    receipt.refresh_from_db()
    assert receipt.amount == Decimal("10000.00")


def test_list_actions_are_written_to_recent_actions_and_the_trail(staff_client, owner, staff, winner):
    batch, _payout = _exported_batch(staff_client, owner, staff, winner)

    staff_client.post(
        reverse("admin:payments_payoutbatch_changelist"), {"action": "mark_paid", "_selected_action": [batch.pk]}
    )
    index = staff_client.get(reverse("admin:index")).content.decode()

    assert StaffAction.objects.filter(action="payments.payoutbatch.mark_paid", object_id=str(batch.pk)).exists()
    assert batch.message_id in index  # "Recent actions" names the file
    assert LogEntry.objects.filter(user=staff).count() == 2  # the export and the mark-paid


def test_the_admin_index_leads_with_payouts_to_batch_and_failed_ones(staff_client, owner, staff, winner):
    _submitted_payout(owner, staff, winner)  # one payout waits for a batch

    index = staff_client.get(reverse("admin:index")).content.decode()

    needs_doing = index[index.index('id="needs-doing"') : index.index("</table>", index.index('id="needs-doing"'))]
    assert reverse("admin:payments_payoutbatch_export") in needs_doing
    assert "Payouts waiting for a SEPA batch" in needs_doing
    assert "<strong>1</strong>" in needs_doing


def test_payouts_and_refunds_show_where_the_money_really_is_in_the_list_and_on_their_page(
    staff_client, owner, staff, winner
):
    waiting = _submitted_payout(owner, staff, winner)

    before_export = staff_client.get(reverse("admin:payments_payout_changelist")).content.decode()
    staff_client.post(reverse("admin:payments_payoutbatch_export"))
    batch = PayoutBatch.objects.get()
    page = _page(staff_client, waiting)

    assert "Waiting for the next batch" in before_export
    assert f"In batch {batch.pk}, given to the bank on" in page


def test_the_payout_list_costs_the_same_however_many_payouts_and_batches(staff_client, owner, staff, winner):
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    bank_account(winner)

    def more_payouts():
        for _ in range(3):
            payout_execute(payout_id=prize(challenge, winner, "10.00").pk)
            staff_client.post(reverse("admin:payments_payoutbatch_export"))

    assert_query_count_flat(staff_client, reverse("admin:payments_payout_changelist"), grow=more_payouts)
    assert PayoutBatch.objects.count() == 3


def test_staff_who_may_only_view_batches_get_no_buttons_and_cannot_post_them(client, owner, staff, winner):
    from django.contrib.auth.models import Permission

    from tests.support import UserFactory

    payout = _submitted_payout(owner, staff, winner)
    viewer = UserFactory.create(email="viewer@example.com", display_name="Viewer", is_staff=True)
    type(viewer).objects.filter(pk=viewer.pk).update(is_superuser=False)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_payoutbatch"), Permission.objects.get(codename="view_payout")
    )
    sign_in(client, viewer)

    refused_export = client.post(reverse("admin:payments_payoutbatch_export"))
    page = _page(client, payout)
    refused_button = client.post(_button(payout, "mark-paid"), {"confirm": "1"})

    assert refused_export.status_code == 403
    assert page.count("data-object-action=") == 0
    assert refused_button.status_code == 403
    assert not PayoutBatch.objects.exists()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SUBMITTED
