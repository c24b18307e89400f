"""Query budgets: the money pages and list APIs cost the same with a few rows as with many.

The earnings page and the payout, receipt and batch lists are keyset pages; the totals are summed
by the database. The statement downloads are the one place that reads every row of the member's
own statement: the CSV streams them in chunks.
"""

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from payments.tests.factories import funded_challenge, prize, receive
from tests.query_budget import assert_query_count_flat

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge(owner: Any, staff: Any, winner: Any) -> Any:
    challenge = funded_challenge(owner, staff=staff, budget="100000.00")
    for _ in range(3):
        prize(challenge, winner, "10.00")
    return challenge


def test_the_earnings_page_and_apis_cost_their_page(client: Any, challenge: Any, winner: Any) -> None:
    client.force_login(winner)

    def grow() -> None:
        for _ in range(30):
            prize(challenge, winner, "10.00")

    for url in (reverse("payments:earnings"), reverse("api-payments-payouts"), reverse("api-payments-earnings")):
        assert_query_count_flat(client, url, grow=grow, budget=10)
    page = client.get(reverse("payments:earnings"))
    assert len(page.context["page"]) == 25
    assert 'rel="next"' in page.content.decode()
    assert client.get(reverse("api-payments-earnings")).json()["totals"][0]["pending"] == "930.00"


def test_the_statement_streams_every_payout(client: Any, challenge: Any, winner: Any) -> None:
    for _ in range(30):
        prize(challenge, winner, "10.00")
    client.force_login(winner)
    response = client.get(reverse("payments:statement_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + 33


def test_the_staff_lists_and_the_budget_cost_the_same_at_any_size(
    client: Any, challenge: Any, owner: Any, staff: Any, winner: Any
) -> None:
    client.force_login(staff)

    def grow() -> None:
        for _ in range(4):
            receive(challenge, "1.00", staff=staff)
            prize(challenge, winner, "1.00")

    for url in (
        reverse("api-payments-receipts"),
        reverse("api-payments-batches"),
        reverse("payments:budget", args=[challenge.slug]),
        reverse("api-payments-budget", args=[challenge.pk]),
    ):
        assert_query_count_flat(client, url, grow=grow, budget=16)
