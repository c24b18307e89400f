"""Funding a challenge: the bank-transfer reference, receipts staff record, and opening on full escrow."""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from challenges.models import Challenge, ChallengeStatus
from challenges.services import challenge_mark_funded, lock_challenge
from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError, Conflict, NotAllowed
from core.money import money
from payments import signals
from payments.models import Account, FundingReceipt, FundingRequest, LedgerTransaction, TransactionKind
from payments.providers import manual
from payments.services.ledger import (
    Leg,
    account_balance,
    accounts_lock,
    clearing_account,
    escrow_account,
    ledger_post,
)
from payments.services.refunds import escrow_refund

FUNDING_TASK = "payments.funding"


def funding_request_ensure(*, challenge: Challenge) -> FundingRequest:
    """The challenge's payment reference (created once, the same forever)."""
    try:
        request, _created = FundingRequest.objects.get_or_create(
            challenge=challenge,
            defaults={"provider": manual.NAME, "reference": manual.creditor_reference(challenge.pk)},
        )
    except IntegrityError:  # pragma: no cover - a concurrent first call
        request = FundingRequest.objects.get(challenge=challenge)
    return request


def challenge_move_refusal(
    challenge: Challenge, from_status: ChallengeStatus, to_status: ChallengeStatus
) -> str | None:
    """A guard of the challenges app (`challenges.guards`), asked under the challenge's row lock.

    Once money for a challenge is in its escrow, taking it back to draft would let its budget and
    currency change under that money.
    """
    if (from_status, to_status) != (ChallengeStatus.FUNDING, ChallengeStatus.DRAFT):
        return None
    if LedgerTransaction.objects.filter(challenge_id=challenge.pk, kind=TransactionKind.FUNDING).exists():
        return _("Money for this challenge has been received; its budget can no longer change. Ask staff if it must.")
    return None


def _normalised_reference(reference: str) -> str:
    return "".join(reference.split()).upper()


@transaction.atomic
def funding_receipt_record(
    *,
    reference: str,
    amount: object,
    currency: str,
    bank_transaction_id: str,
    received_on: date,
    by: User,
    payer_name: str = "",
    note: str = "",
) -> FundingReceipt:
    """Staff saw a credit on the bank account: move it into the challenge's escrow.

    The challenge opens once its escrow covers the budget. Partial payments wait for the rest;
    overpayments stay in escrow (shown on the budget page) and go back to the client with the
    rest of the escrow when the challenge ends. A challenge already ended refunds at once.
    """
    if not by.is_staff:
        raise NotAllowed(_("Only staff record payments."))
    value = money(amount)
    request = _funding_request_for(reference)
    line = _bank_line(bank_transaction_id)
    challenge = _challenge_taking(request, currency=currency, line=line)
    escrow = escrow_account(challenge=challenge)
    receipt = _receipt_posted(
        request,
        challenge=challenge,
        escrow=escrow,
        value=value,
        line=line,
        received_on=received_on,
        by=by,
        payer_name=payer_name,
        note=note,
    )
    _settle(challenge, escrow=escrow, by=by)
    signals.announce_on_commit(
        signals.funding_received,
        FundingReceipt,
        challenge_id=challenge.pk,
        receipt_id=receipt.pk,
        amount=value,
        currency=challenge.currency,
    )
    return receipt


def _funding_request_for(reference: str) -> FundingRequest:
    """The funding request a payment reference names (spaces and case ignored), or a field error."""
    cleaned = _normalised_reference(reference)
    if not manual.creditor_reference_valid(cleaned):
        raise ApplicationError(
            _("That is not a valid payment reference (check digits wrong)."), {"reference": [_("Not valid.")]}
        )
    request = FundingRequest.objects.filter(reference=cleaned).first()
    if request is None:
        raise ApplicationError(_("No challenge has that payment reference."), {"reference": [_("Unknown.")]})
    return request


def _bank_line(bank_transaction_id: str) -> str:
    """The bank's id of the credit, which records it once (the ledger's idempotency key)."""
    line = bank_transaction_id.strip()
    if not line:
        raise ApplicationError(
            _("Give the bank's id of the credit (from the statement)."), {"bank_transaction_id": [_("Required.")]}
        )
    return line


def _challenge_taking(request: FundingRequest, *, currency: str, line: str) -> Challenge:
    """The request's challenge, locked, if it may take this credit: submitted for funding (or past
    it), in its own currency, and the credit not recorded before."""
    challenge = lock_challenge(request.challenge_id)
    if challenge.status == ChallengeStatus.DRAFT:
        raise Conflict(_("This challenge has not been submitted for funding; return the money to the payer."))
    if currency != challenge.currency:
        raise ApplicationError(
            _("This challenge is funded in %(currency)s; return the money or convert it before recording it.")
            % {"currency": challenge.currency},
            {"currency": [_("Must be %(currency)s.") % {"currency": challenge.currency}]},
        )
    if FundingReceipt.objects.filter(bank_transaction_id=line).exists():
        raise Conflict(
            _("This bank credit has already been recorded."), {"bank_transaction_id": [_("Already recorded.")]}
        )
    return challenge


def _receipt_posted(
    request: FundingRequest,
    *,
    challenge: Challenge,
    escrow: Account,
    value: Decimal,
    line: str,
    received_on: date,
    by: User,
    payer_name: str,
    note: str,
) -> FundingReceipt:
    """The credit moved from the bank's clearing account into escrow, and the receipt that records it."""
    clearing = clearing_account(provider=manual.NAME, currency=challenge.currency)
    accounts_lock([escrow, clearing])
    posted = ledger_post(
        kind=TransactionKind.FUNDING,
        idempotency_key=f"funding:{line}",
        legs=[Leg(clearing, -value), Leg(escrow, value)],
        challenge=challenge,
        memo=f"{request.reference} {payer_name}".strip(),
        by=by,
    )
    return FundingReceipt.objects.create(
        challenge=challenge,
        amount=value,
        currency=challenge.currency,
        reference=request.reference,
        bank_transaction_id=line,
        payer_name=payer_name[:140],
        note=note[:300],
        transaction=posted.transaction,
        recorded_by=by,
        received_on=received_on,
    )


def _settle(challenge: Challenge, *, escrow: Account, by: User) -> None:
    """After a credit: a challenge in funding opens once its escrow covers the budget; one already
    ended sends the money back at once."""
    if challenge.status == ChallengeStatus.FUNDING and account_balance(escrow) >= challenge.budget:
        challenge_mark_funded(challenge=challenge, actor=Actor.system(FUNDING_TASK, on_behalf_of=by))
    elif challenge.status in (ChallengeStatus.CANCELLED, ChallengeStatus.COMPLETED):
        escrow_refund(challenge=challenge, by=by, reason="Received after the challenge ended.")
