"""Amounts are typed with the ASCII digits 0-9 (finding 10: a budget of "١٢٣" became 123.00, because
`Decimal`, and with it Django's and DRF's decimal fields, reads any Unicode decimal digit). Every
money input (services, page forms, the admin, the API) refuses other digits with a field error."""

from decimal import Decimal
from typing import Any

import pytest

from challenges.forms import BriefForm, PrizeForm
from challenges.models import Challenge
from challenges.tests.factories import add_phase, make_challenge
from core.exceptions import ApplicationError
from core.money import ASCII_DIGITS_MESSAGE, is_amount_text, money
from core.tests.clients import as_member
from payments.admin import ReceiptForm

# Arabic-Indic, Eastern Arabic-Indic, Devanagari, fullwidth, superscript, mathematical bold digits,
# and a Python-only underscore grouping: all read by Decimal (but the superscripts) or look like numbers.
FOREIGN_AMOUNTS = ["١٢٣", "۱۲۳", "१२३", "１２３", "¹²³", "𝟏𝟐𝟑", "12٣.00", "1_000", "1e3", "١٢٣.٤٥"]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", FOREIGN_AMOUNTS)
def test_the_money_validator_refuses_digits_other_than_ascii(text: str) -> None:
    assert not is_amount_text(text)
    with pytest.raises(ApplicationError) as refused:
        money(text, field="budget")
    assert refused.value.extra == {"budget": [str(ASCII_DIGITS_MESSAGE)]}


@pytest.mark.parametrize(("text", "amount"), [("123", "123.00"), (" 1250.5 ", "1250.50"), ("0.01", "0.01")])
def test_the_money_validator_reads_ascii_amounts(text: str, amount: str) -> None:
    assert money(text) == Decimal(amount)


@pytest.mark.parametrize("text", FOREIGN_AMOUNTS)
def test_a_budget_in_foreign_digits_is_refused_through_the_api(owner: Any, text: str) -> None:
    """Attack: POST a challenge with the budget "١٢٣" (was created with a budget of 123.00)."""
    response = as_member(owner).post(
        "/api/v1/challenges/",
        {"title": "Bus", "summary": "A bus.", "vehicle_type": "bus", "budget": text, "currency": "EUR"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["extra"]["fields"] == {"budget": [str(ASCII_DIGITS_MESSAGE)]}
    assert not Challenge.objects.exists()


def test_a_prize_in_foreign_digits_is_refused_through_the_api(owner: Any) -> None:
    """Attack: a prize table of ["١٠٠٠"] (the phase API and the prize-table API)."""
    challenge = make_challenge(owner)
    phase = add_phase(challenge)
    client = as_member(owner)
    created = client.post(
        f"/api/v1/challenges/{challenge.pk}/phases/",
        {"kind": "interior", "title": "Interior", "opens_at": "2031-01-01T10:00:00Z",
         "closes_at": "2031-02-01T10:00:00Z", "judging_ends_at": "2031-02-15T10:00:00Z", "prizes": ["١٠٠٠"]},
        content_type="application/json",
    )  # fmt: skip
    replaced = client.put(
        f"/api/v1/phases/{phase.pk}/prizes/", {"amounts": ["500", "１００"]}, content_type="application/json"
    )
    assert created.status_code == 400, created.content
    assert created.json()["extra"]["fields"] == {"prizes.0": [str(ASCII_DIGITS_MESSAGE)]}
    assert replaced.status_code == 400, replaced.content
    assert replaced.json()["extra"]["fields"] == {"amounts.1": [str(ASCII_DIGITS_MESSAGE)]}
    assert [prize.amount for prize in phase.prizes.all()] == [Decimal("1000.00")]


def test_a_received_payment_in_foreign_digits_is_refused_through_the_api(staff: Any, owner: Any) -> None:
    """Attack: staff record a bank credit of "٥٠٠٠" for a challenge (payments' amount input)."""
    response = as_member(staff).post(
        "/api/v1/payments/receipts/",
        {"reference": "RF18539007547034", "amount": "٥٠٠٠", "currency": "EUR", "bank_transaction_id": "T-1"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["extra"]["fields"] == {"amount": [str(ASCII_DIGITS_MESSAGE)]}


@pytest.mark.parametrize("text", ["١٢٣", "１２３"])
def test_page_and_admin_forms_refuse_foreign_digits(owner: Any, text: str) -> None:
    """The challenge form's budget, a prize row and the admin's received-payment form."""
    brief = BriefForm(
        data={"title": "Bus", "summary": "A bus.", "vehicle_type": "bus", "budget": text, "currency": "EUR"},
        instance=Challenge(owner=owner),
    )
    prize = PrizeForm(data={"amount": text})
    receipt = ReceiptForm(data={"reference": "RF18539007547034", "amount": text, "currency": "EUR"})
    assert brief.errors["budget"] == [str(ASCII_DIGITS_MESSAGE)]
    assert prize.errors["amount"] == [str(ASCII_DIGITS_MESSAGE)]
    assert receipt.errors["amount"] == [str(ASCII_DIGITS_MESSAGE)]


def test_a_budget_in_foreign_digits_on_the_challenge_page_is_a_form_error(owner: Any) -> None:
    response = as_member(owner).post(
        "/challenges/new/",
        {"title": "Bus", "summary": "A bus.", "vehicle_type": "bus", "budget": "١٢٣", "currency": "EUR"},
    )
    assert response.status_code == 200
    assert str(ASCII_DIGITS_MESSAGE) in response.content.decode()
    assert not Challenge.objects.exists()
