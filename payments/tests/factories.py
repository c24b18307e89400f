"""Test data for the payments app, made through the services so every invariant holds."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from challenges.models import Challenge
from challenges.services import challenge_submit_for_funding
from challenges.tests.factories import add_phase, make_challenge
from community.models import User
from core.actors import Actor
from payments.models import FundingReceipt, Payout, PayoutKind, PayoutMethod
from payments.services import funding_receipt_record, funding_request_ensure, payable_create, payout_method_set
from tests.support import PASSWORD

IBANS = ["DE89370400440532013000", "NL91ABNA0417164300", "FR1420041010050500013M02606", "AT611904300234573201"]
_receipts = iter(range(1, 10**9))


def challenge_in_funding(
    owner: User,
    *,
    budget: str = "10000.00",
    currency: str = "EUR",
    prizes: tuple[str, ...] = ("3000", "1000"),
    **kw: Any,
) -> Challenge:
    challenge = make_challenge(owner, budget=budget, currency=currency, **kw)
    add_phase(challenge, prizes=prizes)
    challenge_submit_for_funding(challenge=challenge, by=owner)
    funding_request_ensure(challenge=challenge)
    challenge.refresh_from_db()
    return challenge


def receive(challenge: Challenge, amount: str | Decimal, *, staff: User, currency: str | None = None) -> FundingReceipt:
    reference = funding_request_ensure(challenge=challenge).reference
    return funding_receipt_record(
        reference=reference,
        amount=Decimal(str(amount)),
        currency=currency or challenge.currency,
        bank_transaction_id=f"BANK-{next(_receipts)}-{challenge.pk}",
        received_on=timezone.localdate(),
        by=staff,
    )


def funded_challenge(owner: User, *, staff: User, budget: str = "10000.00", **kw: Any) -> Challenge:
    challenge = challenge_in_funding(owner, budget=budget, **kw)
    receive(challenge, budget, staff=staff)
    challenge.refresh_from_db()
    return challenge


def bank_account(
    user: User, *, iban: str = IBANS[1], holder: str | None = None, usable_now: bool = True
) -> PayoutMethod:
    """A payout method; `usable_now` backdates it past the change hold."""
    now = timezone.now() - timedelta(days=2) if usable_now else None
    return payout_method_set(user=user, password=PASSWORD, holder_name=holder or user.display_name, iban=iban, now=now)


_payables = iter(range(1, 10**9))


def prize(challenge: Challenge, recipient: User, amount: str | Decimal, *, key: str | None = None) -> Payout:
    """A prize moved from escrow to the recipient's payable account (as an award share would be)."""
    return payable_create(
        challenge=challenge,
        recipient=recipient,
        amount=Decimal(str(amount)),
        kind=PayoutKind.AWARD,
        idempotency_key=key or f"test-prize:{next(_payables)}",
        description=f"Prize: {challenge.title}",
        task="tests",
    )


def claim(payout: Payout) -> Any:
    """Claim the payout as a worker would (and then, in these tests, die): its provider request."""
    from payments.services.payouts import Claim, payout_claim

    claimed = payout_claim(payout.pk, actor=Actor.system("dead-worker"), now=timezone.now())
    assert isinstance(claimed, Claim), claimed
    return claimed
