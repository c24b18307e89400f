"""A new payout provider needs no change below payments, nor in payments itself: a card provider
defined in this module only registers itself, a member chooses it as their payout method, a prize is
paid through it, and the provider confirms the payment as its webhook would."""

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from core.exceptions import ApplicationError, NotAllowed
from payments.models import LedgerTransaction, PayoutMethod, PayoutStatus, TransactionKind
from payments.providers import (
    Destination,
    DestinationField,
    PayoutRequest,
    ProviderResult,
    ProviderState,
    register_provider,
)
from payments.services import (
    Outcome,
    account_balance,
    clearing_account,
    payable_account,
    payout_execute,
    payout_mark_paid,
    payout_method_choose,
)
from payments.tests.factories import PASSWORD, funded_challenge, prize

pytestmark = pytest.mark.django_db


class CardProvider:
    """Pays to a card token; answers `SUBMITTED` and confirms later (by webhook, here by the test)."""

    code = "card"
    label = "Card"
    destination_fields = (DestinationField("card_token", "Card token", max_length=40),)

    def __init__(self) -> None:
        self.sent: dict[str, PayoutRequest] = {}

    def clean_destination(self, destination: Mapping[str, Any]) -> Destination:
        token = str(destination.get("card_token") or "").strip()
        if not token.startswith("tok_") or len(token) < 8:
            raise ApplicationError("That is not a card token.", {"card_token": ["Not a card token."]})
        return Destination(data={"card_token": token}, shown_as=f"Card •••• {token[-4:]}")

    def pay(self, request: PayoutRequest) -> ProviderResult:
        first = self.sent.setdefault(request.idempotency_key, request)  # one payment per key
        return ProviderResult(ProviderState.SUBMITTED, reference=f"card-{first.payout_id}")

    def lookup(self, idempotency_key: str) -> ProviderResult:
        known = idempotency_key in self.sent
        return ProviderResult(ProviderState.SUBMITTED if known else ProviderState.UNKNOWN)


@pytest.fixture
def card() -> CardProvider:
    return register_provider(CardProvider())  # as an app's `ready()` would


def choose_card(member: Any, token: str = "tok_visa_4242") -> PayoutMethod:
    return payout_method_choose(
        user=member,
        password=PASSWORD,
        provider="card",
        holder_name=member.display_name,
        destination={"card_token": token},
        now=timezone.now() - timedelta(days=2),  # past the change hold
    )


def test_a_prize_is_paid_through_a_card_provider_the_member_chose_and_the_webhook_confirms(
    card, owner, staff, winner, client
):
    method = choose_card(winner)
    assert (method.provider, method.destination, method.shown_as) == (
        "card",
        {"card_token": "tok_visa_4242"},
        "Card •••• 4242",
    )
    payout = prize(funded_challenge(owner, staff=staff), winner, "250.00")
    assert payout.provider == ""  # chosen when it is sent, by the member's method

    assert payout_execute(payout_id=payout.pk).outcome == Outcome.SUBMITTED

    payout.refresh_from_db()
    assert (payout.status, payout.provider, payout.provider_reference) == ("submitted", "card", f"card-{payout.pk}")
    (request,) = card.sent.values()
    assert request.destination == {"card_token": "tok_visa_4242"}
    assert (request.amount, request.currency, request.holder_name) == (Decimal("250.00"), "EUR", "Winner")

    # The provider's webhook: the system acting as the provider that was sent the payout.
    payout_mark_paid(payout=payout, actor=Actor.system("provider:card"), reference=f"card-{payout.pk}")

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT, idempotency_key=f"payout:{payout.pk}").exists()
    assert account_balance(clearing_account(provider="card", currency="EUR")) == Decimal("250.00")
    assert account_balance(payable_account(user=winner, currency="EUR")) == 0
    assert list(payout.transitions.order_by("pk").values_list("to_status", "task")) == [
        ("processing", "payments.payout_execute"),
        ("submitted", "payments.payout_execute"),
        ("paid", "provider:card"),
    ]
    client.force_login(winner)
    assert "Card •••• 4242" in client.get(reverse("payments:payout_methods")).content.decode()


def test_only_the_card_provider_confirms_its_payouts(card, owner, staff, winner):
    choose_card(winner)
    payout = prize(funded_challenge(owner, staff=staff), winner, "80.00")
    payout_execute(payout_id=payout.pk)

    with pytest.raises(NotAllowed):
        payout_mark_paid(payout=payout, actor=Actor.system("provider:manual"))
    with pytest.raises(NotAllowed):
        payout_mark_paid(payout=payout, actor=Actor.user(winner))

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SUBMITTED


def test_the_card_provider_validates_its_destination_and_nothing_is_stored_when_it_refuses(card, winner):
    with pytest.raises(ApplicationError) as refused:
        choose_card(winner, token="4242 4242 4242 4242")

    assert refused.value.extra == {"card_token": ["Not a card token."]}
    assert not PayoutMethod.objects.filter(owner=winner).exists()


def test_a_provider_nobody_registered_cannot_be_chosen(winner):
    with pytest.raises(ApplicationError, match="cannot go through"):
        payout_method_choose(
            user=winner, password=PASSWORD, provider="nowhere", holder_name="W", destination={"x": "y"}
        )
    assert not PayoutMethod.objects.filter(owner=winner).exists()


def test_a_payout_sent_to_one_provider_is_not_sent_to_another_before_staff_retry_it(card, bank, owner, staff, winner):
    from payments.services import payout_retry
    from payments.tests import fakebank
    from payments.tests.factories import bank_account

    bank_account(winner)  # through the test bank (`PAYMENTS_PAYOUT_PROVIDER`)
    payout = prize(funded_challenge(owner, staff=staff), winner, "40.00")
    (bank / "fail-next").write_text("1")
    assert payout_execute(payout_id=payout.pk).outcome == Outcome.RETRY  # the bank saw the key
    choose_card(winner)

    later = timezone.now() + timedelta(hours=1)
    assert payout_execute(payout_id=payout.pk, now=later).outcome == Outcome.FAILED

    payout.refresh_from_db()
    assert payout.provider == fakebank.NAME
    assert "now with card" in payout.last_error
    assert card.sent == {}

    payout_retry(payout=payout, actor=Actor.user(staff))  # staff checked with the bank
    assert payout_execute(payout_id=payout.pk, now=later).outcome == Outcome.SUBMITTED
    payout.refresh_from_db()
    assert (payout.provider, list(card.sent)) == ("card", [payout.idempotency_key])


def test_the_payout_methods_page_and_the_api_offer_the_card_provider_from_its_declared_fields(
    card, winner, client, django_capture_on_commit_callbacks
):
    client.force_login(winner)
    page = client.get(reverse("payments:payout_methods")).content.decode()
    assert 'data-testid="provider-card"' in page
    assert 'name="provider-card-card_token"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payments:payout_methods"),
            {
                "provider-card-provider": "card",
                "provider-card-holder_name": "Winner",
                "provider-card-card_token": "tok_mastercard_5555",
                "provider-card-password": PASSWORD,
            },
            follow=True,
        )
    assert response.status_code == 200
    method = PayoutMethod.objects.get(owner=winner, is_active=True)
    assert (method.provider, method.destination) == ("card", {"card_token": "tok_mastercard_5555"})
    assert "Card •••• 5555" in response.content.decode()

    refused = client.post(
        reverse("payments:payout_methods"),
        {"provider-card-provider": "card", "provider-card-holder_name": "W", "provider-card-card_token": "1234",
         "provider-card-password": PASSWORD},
    )  # fmt: skip
    assert "Not a card token." in refused.content.decode()

    created = client.post(
        reverse("api-payments-methods"),
        {"holder_name": "Winner", "provider": "card", "destination": {"card_token": "tok_amex_0005"},
         "password": PASSWORD},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert (created.json()["provider"], created.json()["shown_as"]) == ("card", "Card •••• 0005")
