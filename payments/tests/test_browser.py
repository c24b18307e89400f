"""The issue's "done means", in headless Chromium and the admin: a client funds a challenge by bank
transfer recorded by staff, the challenge opens, a phase is awarded, the winners' payables appear,
staff export a SEPA batch and mark it paid, the members see the money as paid, and the client's
budget page adds up to the cent."""

from decimal import Decimal

import pytest

from challenges.models import PhaseStatus
from challenges.services import challenge_submit_for_funding, phase_transition
from challenges.tests.factories import add_phase, make_challenge
from conftest import sign_in
from core.actors import Actor
from payments.models import BatchStatus, Payout, PayoutBatch, PayoutStatus
from payments.services import payout_execute
from payments.tests.factories import bank_account
from submissions.tests.factories import accept_judge, award, enter, to_judging
from tests.accounts import confirm_account
from tests.support import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def verified(user):
    return confirm_account(user)


@pytest.fixture
def tab(chromium, live_server, settings):
    """A signed-in browser tab per person, each in its own context (closed at the end)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    contexts = []

    def open_for(user):
        context = chromium.new_context(base_url=live_server.url, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, user.email, PASSWORD)
        return page

    yield open_for
    for context in contexts:
        context.close()


def test_money_flows_from_the_clients_transfer_to_the_winners_and_adds_up(tab, enqueued):
    client = verified(UserFactory.create(email="client@example.com", display_name="Alpine Logistics"))
    staff = verified(UserFactory.create(email="staff@example.com", display_name="Staff", is_staff=True))
    judge = verified(UserFactory.create(email="judge@example.com", display_name="Judge"))
    ada = verified(UserFactory.create(email="ada@example.com", display_name="Ada"))
    jonas = verified(UserFactory.create(email="jonas@example.com", display_name="Jonas"))
    bank_account(ada, iban="NL91ABNA0417164300")
    bank_account(jonas, iban="DE02120300000000202051")
    challenge = make_challenge(client, title="Alpine delivery van", budget="12000.00")
    phase = add_phase(challenge, prizes=("5000.00", "2500.50"))
    accept_judge(challenge, judge)
    challenge_submit_for_funding(challenge=challenge, by=client)

    # The client reads how to pay.
    client_tab = tab(client)
    client_tab.goto(f"/money/challenges/{challenge.slug}/budget/")
    reference = client_tab.inner_text("[data-testid=payment-reference]")
    assert reference.startswith("RF")
    assert "12,000.00 EUR" in client_tab.inner_text("[data-testid=how-to-pay]")

    # Staff record the transfer from the bank statement: first a part, then the rest.
    staff_tab = tab(staff)
    for line, amount in (("STMT-1", "7000.00"), ("STMT-2", "5000.00")):
        staff_tab.goto("/admin/payments/fundingreceipt/add/")
        staff_tab.fill("#id_reference", reference)
        staff_tab.fill("#id_amount", amount)
        staff_tab.select_option("#id_currency", "EUR")
        staff_tab.fill("#id_bank_transaction_id", line)
        staff_tab.click("#record-receipt input[type=submit]")
        staff_tab.wait_for_selector(f"text=Recorded {amount} EUR")
    challenge.refresh_from_db()
    assert challenge.status == "open"

    # The phase runs and is awarded (through the judging app's services, as the judge would).
    phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(client))
    first, second = enter(phase, ada), enter(phase, jonas)
    to_judging(phase)
    award(phase, judge, (1, first), (2, second))

    # The winners' payables appear; the worker's job (here, run inline) hands them to the bank batch.
    assert sorted(Payout.objects.values_list("amount", flat=True)) == [Decimal("2500.50"), Decimal("5000.00")]
    for payout_id in enqueued.payouts:
        payout_execute(payout_id=payout_id)
    ada_tab = tab(ada)
    ada_tab.goto("/money/earnings/")
    assert ada_tab.inner_text("[data-testid=pending-EUR]") == "5,000.00 EUR"

    # Staff export the SEPA batch, download it, and mark it paid once the bank has executed it.
    staff_tab.goto("/admin/payments/payoutbatch/add/")
    staff_tab.click("#export-batch input[type=submit]")
    staff_tab.wait_for_selector("text=Exported 2 payouts")
    with staff_tab.expect_download() as download:
        staff_tab.click("[data-testid=batch-download]")
    assert b"<CtrlSum>7500.50</CtrlSum>" in open(download.value.path(), "rb").read()  # noqa: PTH123, SIM115
    staff_tab.goto("/admin/payments/payoutbatch/")
    staff_tab.check("input.action-select")
    staff_tab.select_option("select[name=action]", "mark_paid")
    staff_tab.click("button[name=index]")
    staff_tab.wait_for_selector("text=1 done.")
    assert PayoutBatch.objects.get().status == BatchStatus.PAID

    # The members see their money as paid.
    ada_tab.goto("/money/earnings/")
    assert ada_tab.inner_text("[data-testid=paid-EUR]") == "5,000.00 EUR"
    assert ada_tab.inner_text("[data-testid=pending-EUR]") == "0.00 EUR"
    jonas_tab = tab(jonas)
    jonas_tab.goto("/money/earnings/")
    assert jonas_tab.inner_text("[data-testid=paid-EUR]") == "2,500.50 EUR"

    # Every prize is paid: the phase closes, the challenge (its only phase) completes, and what the
    # escrow still holds goes back to the client. The client's budget adds up to the cent.
    challenge.refresh_from_db()
    assert (challenge.status, challenge.phases.get().status) == ("completed", "closed")
    client_tab.goto(f"/money/challenges/{challenge.slug}/budget/")
    assert client_tab.inner_text("[data-testid=figure-funded]") == "12,000.00 EUR"
    assert client_tab.inner_text("[data-testid=figure-awarded]") == "7,500.50 EUR"
    assert client_tab.inner_text("[data-testid=figure-paid]") == "7,500.50 EUR"
    assert client_tab.inner_text("[data-testid=figure-refunded]") == "4,499.50 EUR"
    assert client_tab.inner_text("[data-testid=figure-escrow]") == "0.00 EUR"
    assert client_tab.inner_text("[data-testid=adds-up]") == (
        "Funded 12,000.00 EUR = awarded 7,500.50 EUR + refunded 4,499.50 EUR + in escrow 0.00 EUR."
    )
    statuses = dict(Payout.objects.values_list("kind", "status").distinct())
    assert statuses == {
        "award": PayoutStatus.PAID,
        "refund": PayoutStatus.PENDING,
    }  # waits for the client's bank account
