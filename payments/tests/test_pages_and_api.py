"""The money pages and API: who may see what (every view and endpoint), what they show, and how
many queries they take."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import BatchStatus, FundingReceipt, Payout, PayoutMethod, PayoutStatus
from payments.selectors import money_state
from payments.services import payout_batch_create, payout_execute
from payments.tests.factories import IBANS, bank_account, challenge_in_funding, funded_challenge, prize
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def money(owner, staff, winner):
    """A funded challenge with two prizes for the winner: one paid, one waiting."""
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    bank_account(winner)
    paid, waiting = prize(challenge, winner, "3000.00"), prize(challenge, winner, "1000.00")
    payout_execute(payout_id=paid.pk)
    from payments.services import payout_batch_mark_paid

    payout_batch_mark_paid(batch=payout_batch_create(by=staff), by=staff)
    return challenge, paid, waiting


def login(client, user):
    client.force_login(user)
    return client


# --- Pages ------------------------------------------------------------------------------------


def test_the_budget_page_adds_up_to_the_cent(client, owner, money, django_assert_max_num_queries):
    challenge, _paid, _waiting = money

    login(client, owner)

    # Session, user, challenge, judge role, ledger sums, payouts, prizes, funding request, receipts,
    # and the unread-notification count of the page header.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("payments:budget", args=[challenge.slug]))

    page = response.content.decode()
    assert response.status_code == 200
    budget = response.context["b"]
    assert (budget.funded, budget.awarded, budget.paid, budget.escrow) == (
        Decimal("10000.00"),
        Decimal("4000.00"),
        Decimal("3000.00"),
        Decimal("6000.00"),
    )
    assert budget.adds_up
    assert "10,000.00 EUR" in page
    assert "6,000.00 EUR" in page
    assert 'class="money-paid"' in page


def test_the_budget_page_of_a_challenge_in_funding_shows_how_to_pay(client, owner, settings):
    challenge = challenge_in_funding(owner, budget="2500.00", prizes=("2500",))

    page = login(client, owner).get(reverse("payments:budget", args=[challenge.slug])).content.decode()

    assert "RF" in page
    assert settings.PAYMENTS_BANK_IBAN in page
    assert "2,500.00 EUR" in page


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("staff", 200), ("winner", 404), ("stranger", 404)])
def test_only_the_owner_and_staff_see_a_budget(client, money, request, who, status):
    challenge, _paid, _waiting = money

    response = login(client, request.getfixturevalue(who)).get(reverse("payments:budget", args=[challenge.slug]))

    assert response.status_code == status


@pytest.mark.parametrize(
    "url",
    ["payments:earnings", "payments:statement_csv", "payments:statement_pdf", "payments:payout_methods"],
)
def test_money_pages_need_a_signed_in_member(client, url):
    response = client.get(reverse(url))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_budget_needs_a_signed_in_member(client, money):
    response = client.get(reverse("payments:budget", args=[money[0].slug]))

    assert response.status_code == 302


def test_the_earnings_page_shows_pending_and_paid_and_only_the_members_own(
    client, winner, stranger, money, django_assert_max_num_queries
):
    login(client, winner)
    # Session, user, payouts with their challenges, methods, the header's unread-notification count.
    with django_assert_max_num_queries(5):
        page = client.get(reverse("payments:earnings")).content.decode()

    assert 'data-testid="paid-EUR">3,000.00 EUR' in page
    assert 'data-testid="pending-EUR">1,000.00 EUR' in page
    client.logout()
    other = login(client, stranger).get(reverse("payments:earnings")).content.decode()
    assert "3,000.00" not in other


def test_earnings_page_query_count_does_not_grow_with_payouts(
    client, owner, staff, winner, django_assert_max_num_queries
):
    challenge = funded_challenge(owner, staff=staff, budget="10000.00")
    for _ in range(20):
        prize(challenge, winner, "10.00")

    login(client, winner)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("payments:earnings")).status_code == 200


def test_the_statement_downloads_as_csv_and_pdf(client, winner, money):
    login(client, winner)

    rows = list(
        csv.reader(io.StringIO(b"".join(client.get(reverse("payments:statement_csv")).streaming_content).decode()))
    )
    pdf = client.get(reverse("payments:statement_pdf"))

    assert rows[0][:5] == ["Date", "Challenge", "Description", "Kind", "Amount"]
    paid = Payout.objects.select_related("batch").get(pk=money[1].pk)
    assert sorted((row[4], row[6]) for row in rows[1:]) == [
        ("1000.00", "Waiting for the next batch"),
        ("3000.00", money_state(paid).label),
    ]
    assert money_state(paid).label.startswith("Paid on ")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_statement_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(client, owner, staff, winner):
    challenge = funded_challenge(owner, staff=staff, title='=HYPERLINK("https://evil.example","Claim")')
    prize(challenge, winner, "10.00")
    login(client, winner)

    rows = list(
        csv.reader(io.StringIO(b"".join(client.get(reverse("payments:statement_csv")).streaming_content).decode()))
    )

    assert rows[1][1] == '\'=HYPERLINK("https://evil.example","Claim")'
    assert rows[1][2] == 'Prize: =HYPERLINK("https://evil.example","Claim")'  # not at the start: harmless
    assert rows[1][4] == "10.00"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_quoted_in_statements(start):
    from core.spreadsheets import spreadsheet_cell

    assert spreadsheet_cell(f"{start}1+1") == f"'{start}1+1"
    assert spreadsheet_cell("Desert ambulance") == "Desert ambulance"


def test_a_member_adds_a_bank_account_with_the_password(client, winner, django_capture_on_commit_callbacks):
    login(client, winner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:payout_methods"),
            {"holder_name": "Winner", "iban": IBANS[3], "bic": "BKAUATWW", "password": PASSWORD},
            follow=True,
        )

    assert response.status_code == 200
    assert PayoutMethod.objects.get(owner=winner).destination["iban"] == IBANS[3]
    assert "AT61 •••• 3201" in response.content.decode()
    assert IBANS[3] not in response.content.decode()


@pytest.mark.parametrize(
    ("iban", "bic", "error"),
    [
        ("BR1500000000000010932840814P2", "BRASBRRJ", "BR is not in the SEPA zone"),
        (IBANS[1], "COBADEFFXXX", "The BIC is of a bank in DE, the IBAN of an account in NL"),
    ],
)
def test_a_non_sepa_account_or_a_bic_of_another_country_is_a_form_and_api_error(client, winner, iban, bic, error):
    login(client, winner)
    data = {"holder_name": "Winner", "iban": iban, "bic": bic, "password": PASSWORD}

    page = client.post(reverse("payments:payout_methods"), data)
    api = client.post(reverse("api-payments-methods"), data, content_type="application/json")

    assert page.status_code == 200
    assert error in page.content.decode()
    assert api.status_code == 400
    assert error in api.json()["message"]
    assert not PayoutMethod.objects.exists()


def test_a_wrong_password_is_a_form_error_and_changes_nothing(client, winner):
    response = login(client, winner).post(
        reverse("payments:payout_methods"), {"holder_name": "Winner", "iban": IBANS[3], "password": "nope"}
    )

    assert response.status_code == 200
    assert "Wrong password" in response.content.decode()
    assert not PayoutMethod.objects.exists()


def test_a_member_cannot_remove_anothers_payout_method(client, winner, stranger):
    method = bank_account(winner)

    response = login(client, stranger).post(
        reverse("payments:payout_method_remove", args=[method.pk]), {"password": PASSWORD}
    )

    assert response.status_code == 404
    assert PayoutMethod.objects.get(pk=method.pk).is_active


# --- API --------------------------------------------------------------------------------------


def test_the_budget_api_for_the_owner(client, owner, money, django_assert_max_num_queries):
    challenge, _paid, _waiting = money

    login(client, owner)
    with django_assert_max_num_queries(10):  # + 1 since issue 13: the API checks the member's confirmed address
        data = client.get(reverse("api-payments-budget", args=[challenge.pk])).json()

    assert (data["funded"], data["awarded"], data["paid"], data["escrow"], data["adds_up"]) == (
        "10000.00",
        "4000.00",
        "3000.00",
        "6000.00",
        True,
    )
    assert len(data["payouts"]) == 2


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("staff", 200), ("winner", 404), ("stranger", 404)])
def test_budget_api_permissions(client, money, request, who, status):
    response = login(client, request.getfixturevalue(who)).get(reverse("api-payments-budget", args=[money[0].pk]))

    assert response.status_code == status


def test_the_member_apis_show_only_the_members_own(client, winner, stranger, money, django_assert_max_num_queries):
    login(client, winner)
    with django_assert_max_num_queries(5):  # session, user, confirmed address, count, page of payouts with challenges
        payouts = client.get(reverse("api-payments-payouts")).json()
    earnings = client.get(reverse("api-payments-earnings")).json()
    methods = client.get(reverse("api-payments-methods")).json()

    assert sorted(p["status"] for p in payouts["results"]) == ["paid", "pending"]
    assert earnings["totals"] == [{"currency": "EUR", "pending": "1000.00", "paid": "3000.00"}]
    assert methods[0]["masked_iban"] == "NL91 •••• 4300"
    assert "iban" not in methods[0]
    client.logout()
    login(client, stranger)
    assert client.get(reverse("api-payments-payouts")).json()["results"] == []
    assert (
        client.delete(
            reverse("api-payments-method", args=[methods[0]["id"]]),
            {"password": PASSWORD},
            content_type="application/json",
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("method", "url", "args"),
    [
        ("get", "api-payments-earnings", []),
        ("get", "api-payments-payouts", []),
        ("get", "api-payments-methods", []),
        ("post", "api-payments-methods", []),
        ("delete", "api-payments-method", [1]),
        ("get", "api-payments-budget", [1]),
    ],
)
def test_member_apis_need_a_signed_in_member(client, db, method, url, args):
    response = getattr(client, method)(reverse(url, args=args))

    assert response.status_code in (401, 403)


def test_adding_a_bank_account_through_the_api_needs_the_password(client, winner):
    login(client, winner)

    refused = client.post(
        reverse("api-payments-methods"),
        {"holder_name": "W", "iban": IBANS[0], "password": "nope"},
        content_type="application/json",
    )
    created = client.post(
        reverse("api-payments-methods"),
        {"holder_name": "W", "iban": IBANS[0], "password": PASSWORD},
        content_type="application/json",
    )

    assert refused.status_code == 400
    assert "password" in refused.json()["extra"]["fields"]
    assert created.status_code == 201
    assert created.json()["masked_iban"] == "DE89 •••• 3000"


STAFF_ENDPOINTS = [
    ("get", "api-payments-receipts", []),
    ("post", "api-payments-receipts", []),
    ("get", "api-payments-batches", []),
    ("post", "api-payments-batches", []),
    ("get", "api-payments-batch-file", [1]),
    ("post", "api-payments-batch-paid", [1]),
    ("post", "api-payments-payout-retry", [1]),
]


@pytest.mark.parametrize(("method", "url", "args"), STAFF_ENDPOINTS)
def test_staff_apis_refuse_members(client, owner, method, url, args):
    response = getattr(login(client, owner), method)(reverse(url, args=args))

    assert response.status_code == 403


def test_staff_record_a_receipt_through_the_api_and_the_challenge_opens(client, owner, staff):
    challenge = challenge_in_funding(owner, budget="500.00", prizes=("500",))
    from payments.services import funding_request_ensure

    reference = funding_request_ensure(challenge=challenge).reference
    login(client, staff)
    body = {"reference": reference, "amount": "500.00", "currency": "EUR", "bank_transaction_id": "ST-1"}

    created = client.post(reverse("api-payments-receipts"), body, content_type="application/json")
    again = client.post(reverse("api-payments-receipts"), body, content_type="application/json")

    assert created.status_code == 201
    assert again.status_code == 409
    assert "already been recorded" in again.json()["message"]
    challenge.refresh_from_db()
    assert challenge.status == "open"
    assert FundingReceipt.objects.count() == 1


def test_a_payment_reference_with_non_ascii_characters_is_a_clear_400(client, owner, staff):
    challenge = challenge_in_funding(owner)
    from payments.services import funding_request_ensure

    reference = funding_request_ensure(challenge=challenge).reference
    body = {"reference": reference[:6] + "É" + reference[7:], "amount": "5.00", "currency": "EUR"}

    response = login(client, staff).post(
        reverse("api-payments-receipts"), body | {"bank_transaction_id": "ST-9"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["message"] == "That is not a valid payment reference (check digits wrong)."
    assert not FundingReceipt.objects.exists()


@pytest.mark.parametrize("body", [["EUR"], '"EUR"', "42", "null"])
def test_a_batch_request_that_is_not_a_json_object_is_a_clear_400(client, staff, body):
    response = login(client, staff).post(reverse("api-payments-batches"), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["message"] == 'Send a JSON object, such as {"currency": "EUR"}.'


def test_staff_export_download_and_mark_a_batch_through_the_api(client, owner, staff, winner):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout_execute(payout_id=prize(challenge, winner, "42.00").pk)
    login(client, staff)

    batch = client.post(reverse("api-payments-batches"), {"currency": "EUR"}, content_type="application/json").json()
    xml = client.get(reverse("api-payments-batch-file", args=[batch["id"]]))
    paid = client.post(reverse("api-payments-batch-paid", args=[batch["id"]])).json()

    assert batch["count"] == 1
    assert b"<CtrlSum>42.00</CtrlSum>" in xml.content
    assert paid["status"] == BatchStatus.PAID
    assert winner.payouts.get().status == PayoutStatus.PAID


def test_nothing_waiting_is_a_clear_409(client, staff):
    response = login(client, staff).post(reverse("api-payments-batches"), {}, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["message"] == "No payouts are waiting for a batch."


def test_staff_retry_a_failed_payout_through_the_api(client, owner, staff, winner, bank):
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    payout = prize(challenge, winner, "5.00")
    from payments.models import Payout

    Payout.objects.filter(pk=payout.pk).update(attempts=99)
    (bank / "fail-next").write_text("1")
    payout_execute(payout_id=payout.pk)

    response = login(client, staff).post(reverse("api-payments-payout-retry", args=[payout.pk]))

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
