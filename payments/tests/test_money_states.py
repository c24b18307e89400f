"""Money states that tell the truth: where each payout and refund really is (waiting for the next
batch, in batch N given to the bank on date D, paid, returned, failed), from one selector, on the
budget and earnings pages."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core.actors import Actor
from core.templatetags.coachworks_time import local_date
from payments.models import Payout, PayoutKind
from payments.selectors import MoneyStateCode, money_state
from payments.services import (
    Outcome,
    escrow_refund,
    payout_batch_create,
    payout_batch_mark_paid,
    payout_batch_reject,
    payout_execute,
    payout_mark_failed,
    payout_retry,
    payout_return,
)
from payments.tests.factories import IBANS, bank_account, funded_challenge, prize, receive

pytestmark = pytest.mark.django_db


def fresh(payout: Payout) -> Payout:
    return Payout.objects.select_related("batch").get(pk=payout.pk)


@pytest.fixture
def submitted(owner, staff, winner):
    """A prize the manual provider accepted: it waits for the next SEPA batch."""
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, "1500.00")
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.SUBMITTED
    return fresh(payout)


def test_a_prize_for_a_member_without_a_payout_method_waits_for_one(owner, staff, winner):
    payout = prize(funded_challenge(owner, staff=staff), winner, "100.00")

    state = money_state(fresh(payout))

    assert (state.code, state.label) == (MoneyStateCode.WAITING, "Waiting for a payout method")
    assert (state.batch_number, state.sent_on, state.paid_on) == (None, None, None)


def test_a_payout_the_manual_provider_accepted_but_no_batch_holds_waits_for_the_next_batch(submitted):
    state = money_state(submitted)

    assert submitted.get_status_display() == "Sent to the bank"  # what the status alone claimed
    assert (state.code, state.label) == (MoneyStateCode.WAITING, "Waiting for the next batch")
    assert state.batch_number is None


def test_a_payout_in_an_exported_batch_names_the_batch_and_the_day_it_went_to_the_bank(submitted, staff):
    batch = payout_batch_create(by=staff)

    state = money_state(fresh(submitted))

    today = timezone.localdate()
    assert (state.code, state.batch_number, state.sent_on, state.paid_on) == (
        MoneyStateCode.IN_BATCH,
        batch.pk,
        today,
        None,
    )
    assert state.label == f"In batch {batch.pk}, given to the bank on {local_date(today)}"


def test_a_payout_in_a_batch_marked_paid_is_paid_on_that_day(submitted, staff):
    batch = payout_batch_mark_paid(batch=payout_batch_create(by=staff), by=staff)

    state = money_state(fresh(submitted))

    today = timezone.localdate()
    assert (state.code, state.batch_number, state.sent_on, state.paid_on) == (
        MoneyStateCode.PAID,
        batch.pk,
        today,
        today,
    )
    assert state.label == f"Paid on {local_date(today)}"


def test_a_paid_payout_the_bank_sent_back_is_returned_until_staff_retry_it(submitted, staff):
    payout_batch_mark_paid(batch=payout_batch_create(by=staff), by=staff)
    payout_return(payout=submitted, actor=Actor.user(staff), reason="Account closed")

    returned = money_state(fresh(submitted))
    payout_retry(payout=submitted, actor=Actor.user(staff))
    retried = money_state(fresh(submitted))

    assert (returned.code, returned.label, returned.paid_on) == (
        MoneyStateCode.RETURNED,
        "Returned by the bank",
        None,
    )
    assert (retried.code, retried.batch_number) == (MoneyStateCode.WAITING, None)


def test_payouts_of_a_batch_the_bank_refused_failed_and_name_the_batch(submitted, staff):
    batch = payout_batch_reject(batch=payout_batch_create(by=staff), by=staff, reason="Wrong file")

    state = money_state(fresh(submitted))

    assert (state.code, state.batch_number) == (MoneyStateCode.FAILED, batch.pk)
    assert state.label == f"Failed: the bank refused batch {batch.pk}"


def test_a_payout_refused_outside_a_batch_failed(submitted, staff):
    payout_mark_failed(payout=submitted, actor=Actor.user(staff), reason="Unknown account")

    state = money_state(fresh(submitted))

    assert (state.code, state.label, state.batch_number) == (MoneyStateCode.FAILED, "Failed", None)


def test_a_payout_in_a_currency_sepa_files_cannot_carry_waits_to_be_paid_by_hand(owner, staff, winner):
    challenge = funded_challenge(owner, staff=staff, currency="CHF")
    bank_account(winner)
    payout = prize(challenge, winner, "100.00")
    payout_execute(payout_id=payout.pk)

    state = money_state(fresh(payout))

    assert (state.code, state.label) == (MoneyStateCode.WAITING, "Waiting to be paid by bank transfer")


def test_the_label_is_in_the_active_language(submitted, staff):
    payout_batch_create(by=staff)

    with translation.override("de"):
        label = money_state(fresh(submitted)).label

    assert label.startswith("Im Sammelauftrag ")
    assert "an die Bank übergeben" in label


@pytest.fixture
def refund_after_export(owner, staff, winner):
    """The issue's case: a prize went into the batch just exported; a refund created a few seconds
    later missed it."""
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    bank_account(winner, iban=IBANS[1])
    bank_account(owner, iban=IBANS[2])
    award = prize(challenge, winner, "3000.00")
    payout_execute(payout_id=award.pk)
    batch = payout_batch_create(by=staff)
    receive(challenge, "500.00", staff=staff)  # paid in beyond the budget: refunded
    [refund] = escrow_refund(challenge=challenge, by=staff)
    assert payout_execute(payout_id=refund.pk).outcome == Outcome.SUBMITTED
    return challenge, award, refund, batch


def test_a_refund_created_after_the_last_export_waits_for_the_next_batch(refund_after_export):
    _challenge, award, refund, batch = refund_after_export

    award_state, refund_state = money_state(fresh(award)), money_state(fresh(refund))

    assert refund.kind == PayoutKind.REFUND
    assert (refund_state.code, refund_state.label) == (MoneyStateCode.WAITING, "Waiting for the next batch")
    assert (award_state.code, award_state.batch_number) == (MoneyStateCode.IN_BATCH, batch.pk)


def test_the_budget_page_shows_where_each_prize_and_refund_really_is(
    client, owner, refund_after_export, django_assert_max_num_queries
):
    challenge, award, refund, batch = refund_after_export
    client.force_login(owner)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("payments:budget", args=[challenge.slug]))
    page = response.content.decode()

    assert "Sent to the bank" not in page
    refund_row = page.split(f'data-testid="payout-{refund.pk}"')[1].split("</tr>")[0]
    award_row = page.split(f'data-testid="payout-{award.pk}"')[1].split("</tr>")[0]
    assert "Waiting for the next batch" in refund_row
    assert f"In batch {batch.pk}, given to the bank on" in award_row
    assert 'data-money-state="waiting"' in refund_row
    assert 'data-money-state="in_batch"' in award_row


def test_the_earnings_page_shows_each_payouts_real_state_without_a_query_per_payout(
    client, owner, staff, winner, django_assert_max_num_queries
):
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    bank_account(winner)
    batched = [prize(challenge, winner, "10.00") for _ in range(5)]
    for payout in batched:
        payout_execute(payout_id=payout.pk)
    batch = payout_batch_create(by=staff)
    later = prize(challenge, winner, "20.00")
    payout_execute(payout_id=later.pk)
    client.force_login(winner)

    # Session, user, payouts with their challenges and batches, methods, the header's notifications.
    with django_assert_max_num_queries(5):
        page = client.get(reverse("payments:earnings")).content.decode()

    assert page.count(f"In batch {batch.pk}, given to the bank on") == len(batched)
    later_row = page.split(f'data-testid="payout-{later.pk}"')[1].split("</tr>")[0]
    assert "Waiting for the next batch" in later_row
    assert "Sent to the bank" not in page
