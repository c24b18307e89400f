"""Funding: the bank-transfer reference, receipts recorded by staff, opening on a covered budget,
partial and overpayment, and the refund when a challenge ends."""

from decimal import Decimal

import pytest
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus
from challenges.services import challenge_cancel, challenge_withdraw_from_funding
from challenges.tests.factories import make_challenge
from core.actors import Actor
from core.exceptions import ApplicationError
from payments.models import FundingReceipt, Payout, PayoutKind
from payments.providers.manual import creditor_reference, creditor_reference_valid
from payments.services import (
    account_balance,
    escrow_account,
    escrow_refund,
    funding_receipt_record,
    funding_request_ensure,
)
from payments.tests.factories import challenge_in_funding, funded_challenge, prize, receive

pytestmark = pytest.mark.django_db


def test_the_payment_reference_is_a_valid_rf_creditor_reference_unique_per_challenge():
    references = {creditor_reference(pk) for pk in (1, 2, 42, 99999999)}

    assert len(references) == 4
    assert all(creditor_reference_valid(ref) for ref in references)
    assert not creditor_reference_valid(creditor_reference(42)[:-1] + "3")


def test_submitting_for_funding_creates_the_challenge_payment_reference(owner, django_capture_on_commit_callbacks):
    challenge = make_challenge(owner)
    from challenges.tests.factories import add_phase

    add_phase(challenge)
    from challenges.services import challenge_submit_for_funding

    with django_capture_on_commit_callbacks(execute=True):
        challenge_submit_for_funding(challenge=challenge, by=owner)

    assert funding_request_ensure(challenge=challenge).reference == creditor_reference(challenge.pk)


def test_a_full_payment_moves_into_escrow_and_opens_the_challenge(owner, staff, django_capture_on_commit_callbacks):
    from payments import signals

    challenge = challenge_in_funding(owner, budget="10000.00")
    heard = []
    signals.funding_received.connect(lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="t-heard")

    with django_capture_on_commit_callbacks(execute=True):
        receipt = receive(challenge, "10000.00", staff=staff)

    signals.funding_received.disconnect(dispatch_uid="t-heard")
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.OPEN
    assert challenge.transitions.get(to_status="open").actor == staff
    assert account_balance(escrow_account(challenge=challenge)) == Decimal("10000.00")
    assert heard == [
        {
            "challenge_id": challenge.pk,
            "receipt_id": receipt.pk,
            "amount": Decimal("10000.00"),
            "currency": "EUR",
            "signal": signals.funding_received,
        }
    ]


def test_a_partial_payment_waits_for_the_rest(owner, staff):
    challenge = challenge_in_funding(owner, budget="10000.00")

    receive(challenge, "4000.00", staff=staff)
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FUNDING

    receive(challenge, "6000.00", staff=staff)
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.OPEN
    assert account_balance(escrow_account(challenge=challenge)) == Decimal("10000.00")


def test_an_overpayment_stays_in_escrow_and_is_refunded_to_the_client_on_request(owner, staff):
    challenge = challenge_in_funding(owner, budget="10000.00")
    receive(challenge, "10500.00", staff=staff)

    [refund] = escrow_refund(challenge=challenge, by=staff)

    assert (refund.kind, refund.recipient, refund.amount) == (PayoutKind.REFUND, owner, Decimal("500.00"))
    assert account_balance(escrow_account(challenge=challenge)) == Decimal("10000.00")
    assert escrow_refund(challenge=challenge, by=staff) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reference": "RF00CW00000001"}, "not a valid payment reference"),
        ({"currency": "USD"}, "funded in EUR"),
        ({"amount": "-5"}, "more than zero"),
        ({"amount": "1.001"}, "two decimals"),
        ({"bank_transaction_id": "  "}, "bank's id"),
    ],
)
def test_bad_receipts_are_refused_and_change_nothing(owner, staff, changes, message):
    challenge = challenge_in_funding(owner)
    data = {
        "reference": funding_request_ensure(challenge=challenge).reference,
        "amount": "100.00",
        "currency": "EUR",
        "bank_transaction_id": "LINE-1",
        "received_on": timezone.localdate(),
        "by": staff,
    } | changes

    with pytest.raises(ApplicationError, match=message):
        funding_receipt_record(**data)

    assert not FundingReceipt.objects.exists()
    assert account_balance(escrow_account(challenge=challenge)) == 0


def test_the_same_bank_line_is_recorded_once(owner, staff):
    challenge = challenge_in_funding(owner)
    data = {
        "reference": funding_request_ensure(challenge=challenge).reference,
        "amount": "100.00",
        "currency": "EUR",
        "bank_transaction_id": "LINE-7",
        "received_on": timezone.localdate(),
        "by": staff,
    }
    funding_receipt_record(**data)

    with pytest.raises(ApplicationError, match="already been recorded"):
        funding_receipt_record(**data)

    assert account_balance(escrow_account(challenge=challenge)) == Decimal("100.00")


def test_only_staff_record_receipts(owner):
    challenge = challenge_in_funding(owner)

    with pytest.raises(ApplicationError, match="Only staff"):
        receive(challenge, "100.00", staff=owner)


def test_cancelling_refunds_the_unawarded_escrow_to_the_client(
    owner, staff, winner, django_capture_on_commit_callbacks
):
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    prize(challenge, winner, "3000.00")

    with django_capture_on_commit_callbacks(execute=True):
        challenge_cancel(challenge=challenge, actor=Actor.user(staff))

    refund = Payout.objects.get(kind=PayoutKind.REFUND)
    assert (refund.recipient, refund.amount) == (owner, Decimal("7000.00"))
    assert account_balance(escrow_account(challenge=challenge)) == 0
    assert Payout.objects.get(kind=PayoutKind.AWARD).amount == Decimal("3000.00")  # the winner is still paid


def test_money_arriving_after_cancellation_goes_straight_back(owner, staff):
    challenge = challenge_in_funding(owner)
    challenge_cancel(challenge=challenge, actor=Actor.user(owner))

    receive(challenge, "250.00", staff=staff)

    assert Payout.objects.get(kind=PayoutKind.REFUND).amount == Decimal("250.00")
    assert account_balance(escrow_account(challenge=challenge)) == 0


def test_a_refund_returns_every_currency_the_escrow_holds_less_what_winners_are_owed(
    owner, staff, winner, django_capture_on_commit_callbacks
):
    challenge = challenge_in_funding(owner, budget="10000.00")
    receive(challenge, "400.00", staff=staff)
    # Its currency changed with euros already in escrow (possible before the guard below existed).
    Challenge.objects.filter(pk=challenge.pk).update(currency="USD")
    challenge.refresh_from_db()
    receive(challenge, "10000.00", staff=staff)
    prize(challenge, winner, "3000.00")

    with django_capture_on_commit_callbacks(execute=True):
        challenge_cancel(challenge=challenge, actor=Actor.user(staff))

    refunds = Payout.objects.filter(kind=PayoutKind.REFUND, recipient=owner)
    assert sorted(refunds.values_list("currency", "amount")) == [
        ("EUR", Decimal("400.00")),
        ("USD", Decimal("7000.00")),
    ]
    assert account_balance(escrow_account(challenge=challenge, currency="EUR")) == 0
    assert account_balance(escrow_account(challenge=challenge, currency="USD")) == 0
    assert Payout.objects.get(kind=PayoutKind.AWARD).currency == "USD"
    assert escrow_refund(challenge=challenge, by=staff) == []


def test_a_challenge_cannot_go_back_to_draft_once_money_for_it_was_received(owner, staff):
    challenge = challenge_in_funding(owner, budget="10000.00")
    receive(challenge, "100.00", staff=staff)

    with pytest.raises(ApplicationError, match="Money for this challenge has been received"):
        challenge_withdraw_from_funding(challenge=challenge, by=owner)

    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FUNDING


def test_a_challenge_no_money_was_received_for_can_go_back_to_draft(owner):
    challenge = challenge_in_funding(owner, budget="10000.00")

    challenge_withdraw_from_funding(challenge=challenge, by=owner)

    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.DRAFT
