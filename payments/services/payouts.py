"""Payables and payouts: money owed to a member, and sending it exactly once.

A payout moves `pending` → `processing` (a worker claimed it) → `submitted` (the provider accepted
it and pays later: the manual provider's SEPA batch) → `paid` (the ledger records it) or `failed`
(recorded; staff retry it). A paid payout the bank sends back moves `paid` → `failed`
(`payout_return`: the ledger reverses the payment) and is retried like any failed one. Every move
goes through `payout_move`, which checks `payments.lifecycle.PAYOUT` with the actor's roles, writes it
and records who or which task made it. Services a staff member, a task or a provider's webhook may
call take an `Actor`: `Actor.user(staff)`, `Actor.system("<task>")` or `Actor.system("provider:<code>")`.

`payout_execute` is what workers run. It claims the payout under a row lock (a second worker
finds it claimed and does nothing; the first claim sends it through the provider of the member's
payout method, with the method's destination), calls the provider with no lock held, then writes the result
under the lock again. The provider pays each idempotency key once, so a worker killed between the
call and the write is harmless: the sweep finds the stale claim and executes again, the provider
answers with the first result, and the ledger's idempotency key records the payment once.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import cast

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.models import Challenge, Phase, PhaseStatus
from challenges.services import lock_challenge, phase_transition
from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError, Conflict
from core.statemachine import apply_move
from payments import signals
from payments.lifecycle import PAYOUT, payout_roles
from payments.models import (
    BatchStatus,
    Payout,
    PayoutKind,
    PayoutMethod,
    PayoutStatus,
    PayoutTransition,
    TransactionKind,
)
from payments.providers import (
    PayoutRequest,
    ProviderError,
    ProviderResult,
    ProviderState,
    provider_for,
)
from payments.services.ledger import Leg, accounts_lock, clearing_account, escrow_account, ledger_post, payable_account

logger = logging.getLogger(__name__)

EXECUTE_TASK = "payments.payout_execute"
SWEEP_TASK = "payments.sweep"


def payout_move_allowed(from_status: str, to_status: str) -> bool:
    return PAYOUT.allows(from_status, to_status)


def payout_move(
    payout: Payout, target: PayoutStatus, *, actor: Actor, reason: str, update_fields: Iterable[str] = ()
) -> PayoutTransition:
    """The one writer of a payout's status; the caller holds the payout's lock.

    Checks the move against `payments.lifecycle.PAYOUT` with the actor's roles (a provider only on
    the payouts sent through it), saves it with `update_fields` and records who or which task made it.
    """
    PAYOUT.check(payout.status, target, payout_roles(actor, provider=payout.provider))
    record = apply_move(
        payout,
        target=target,
        actor=actor,
        record=PayoutTransition,
        reason=reason[:500],
        update_fields=update_fields,
        payout=payout,
    )
    assert isinstance(record, PayoutTransition)
    return record


def _member_of(actor: Actor) -> User | None:
    """The member the ledger records as the author (none for the system on its own)."""
    return cast("User | None", actor.recorded_user)


def _authorise(actor: Actor, payout: Payout, source: PayoutStatus, target: PayoutStatus) -> None:
    """Refuse (`NotAllowed`, with the table's refusal) an actor who may not make the move the service makes."""
    PAYOUT.check(source, target, payout_roles(actor, provider=payout.provider))


def _lock(pk: int) -> Payout:
    return Payout.objects.select_for_update(of=("self",)).get(pk=pk)


def _enqueue_on_commit(payout_id: int) -> None:
    def send() -> None:
        from payments.tasks import payout_execute

        payout_execute.delay(payout_id)

    transaction.on_commit(send)


def _active_method(user_id: int) -> PayoutMethod | None:
    return PayoutMethod.objects.filter(owner_id=user_id, is_active=True).first()


def _first_attempt_at(recipient: User, now: datetime) -> datetime | None:
    method = _active_method(recipient.pk)
    if method is None:
        return None  # due once the member adds a payout method
    return max(method.usable_from, now)


@transaction.atomic
def payable_create(
    *,
    challenge: Challenge,
    recipient: User,
    amount: Decimal,
    kind: str,
    idempotency_key: str,
    description: str,
    phase: Phase | None = None,
    currency: str | None = None,
    by: User | None = None,
    task: str = "",
    now: datetime | None = None,
) -> Payout:
    """Move `amount` from the challenge's escrow to the recipient's payable account, and create its payout.

    `currency` is the challenge's unless given (a refund of an escrow kept in an earlier currency).
    Locks the challenge (callers already holding it keep it). Called twice with the same key:
    the first payout, nothing moved again.
    """
    now = now or timezone.now()
    currency = currency or challenge.currency
    lock_challenge(challenge.pk)
    escrow = escrow_account(challenge=challenge, currency=currency)
    payable = payable_account(user=recipient, currency=currency)
    accounts_lock([escrow, payable])
    posted = ledger_post(
        kind=TransactionKind.AWARD if kind == PayoutKind.AWARD else TransactionKind.REFUND,
        idempotency_key=idempotency_key,
        legs=[Leg(escrow, -amount), Leg(payable, amount)],
        challenge=challenge,
        memo=description,
        by=by,
        task=task,
    )
    if not posted.created:
        return Payout.objects.get(payable_transaction=posted.transaction)
    due = _first_attempt_at(recipient, now)
    payout = Payout.objects.create(
        kind=kind,
        recipient=recipient,
        account=payable,
        payable_transaction=posted.transaction,
        challenge=challenge,
        phase=phase,
        description=description[:140],
        amount=amount,
        currency=currency,
        idempotency_key=f"cw-payout-{posted.transaction.pk}",
        next_attempt_at=due,
    )
    if due is not None and due <= now:
        _enqueue_on_commit(payout.pk)
    return payout


class Outcome(StrEnum):
    PAID = "paid"
    SUBMITTED = "submitted"
    RETRY = "retry"  # a transient failure; attempted again after `retry_in`
    FAILED = "failed"
    DONE = "done"  # already paid, submitted or failed: nothing to do
    BUSY = "busy"  # another worker holds it
    NOT_DUE = "not_due"  # waiting for its next attempt, a payout method, or a changed method's hold


@dataclass(frozen=True)
class ExecuteResult:
    outcome: Outcome
    retry_in: float = 0.0


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.PAYMENTS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.PAYMENTS_STALE_CLAIM_SECONDS)


@dataclass(frozen=True)
class Claim:
    """A payout a worker claimed: what to send to which provider, and the token that proves the claim."""

    token: str
    request: PayoutRequest
    provider: str


def payout_claim(payout_id: int, *, actor: Actor, now: datetime) -> Claim | ExecuteResult:
    """Claim a due payout for sending (the first half of `payout_execute`), or say why not."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk=payout_id).first()
        if payout is None:
            return ExecuteResult(Outcome.BUSY if Payout.objects.filter(pk=payout_id).exists() else Outcome.DONE)
        if payout.status in (PayoutStatus.PAID, PayoutStatus.SUBMITTED, PayoutStatus.FAILED):
            return ExecuteResult(Outcome.DONE)
        if payout.status == PayoutStatus.PROCESSING and payout.claimed_at and payout.claimed_at > _stale_before(now):
            return ExecuteResult(Outcome.BUSY)
        if payout.status == PayoutStatus.PROCESSING and payout.attempts >= settings.PAYMENTS_PAYOUT_MAX_ATTEMPTS:
            return _fail_abandoned(payout, actor=actor)
        if payout.status == PayoutStatus.PENDING and (payout.next_attempt_at is None or payout.next_attempt_at > now):
            return ExecuteResult(Outcome.NOT_DUE)
        method = _active_method(payout.recipient_id)
        if method is None or method.usable_from > now:
            # No method (due once one is added) or a changed one still on hold (due when the hold ends).
            payout.next_attempt_at = method.usable_from if method else None
            payout.save(update_fields=["next_attempt_at", "updated_at"])
            return ExecuteResult(Outcome.NOT_DUE)
        token = uuid.uuid4().hex
        # The first claim pins the provider of the member's method: every later attempt goes to the
        # same provider with the same key, which it pays once.
        pinned = payout.provider
        payout.provider = pinned or method.provider
        payout.claim_token, payout.claimed_at, payout.method = token, now, method
        payout.attempts += 1
        payout.next_attempt_at = payout.swept_at = None
        fields = ["provider", "claim_token", "claimed_at", "method", "attempts", "next_attempt_at", "swept_at"]
        if payout.status == PayoutStatus.PENDING:
            payout_move(payout, PayoutStatus.PROCESSING, actor=actor, reason="Claimed.", update_fields=fields)
        else:  # a stale claim: its worker died; take it over
            payout_move(
                payout, PayoutStatus.PROCESSING, actor=actor, reason="Stale claim taken over.", update_fields=fields
            )
        if method.provider != payout.provider:
            return _fail_provider_changed(payout, method=method, actor=actor)
        request = PayoutRequest(
            idempotency_key=payout.idempotency_key,
            payout_id=payout.pk,
            amount=payout.amount,
            currency=payout.currency,
            holder_name=method.holder_name,
            destination=method.destination,
            description=payout.description,
        )
        return Claim(token=token, request=request, provider=payout.provider)


def _fail_provider_changed(payout: Payout, *, method: PayoutMethod, actor: Actor) -> ExecuteResult:
    """The member's method now pays through another provider than the one this payout was sent to.

    Sending it to the new provider could pay it twice (the first may have paid, or pay later), so it
    fails instead; staff check with the first provider (reconciliation) and retry it, which sends it
    through the member's method of then.
    """
    reason = (
        f"Sent to {payout.provider} before, but the member's payout method is now with {method.provider}: "
        f"check with {payout.provider} that it did not pay, then retry."
    )
    payout.last_error = reason
    payout.claim_token = ""
    payout_move(payout, PayoutStatus.FAILED, actor=actor, reason=reason, update_fields=["last_error", "claim_token"])
    logger.error("Payout %s: %s", payout.pk, reason)
    return ExecuteResult(Outcome.FAILED)


def _fail_abandoned(payout: Payout, *, actor: Actor) -> ExecuteResult:
    """A stale claim whose worker died on the last attempt allowed: fail it instead of calling again.

    A provider call that hangs or kills its worker would otherwise be retried by the sweep forever.
    The provider may have paid before the worker died; reconciliation compares failed payouts with
    the provider, and a retry by staff sends the same idempotency key, which it pays only once.
    """
    reason = (
        f"Abandoned after {payout.attempts} attempts: the last one never recorded the provider's answer "
        f"(its worker died or hung)."
    )
    payout.last_error = reason
    payout.claim_token = ""
    payout.next_attempt_at = payout.swept_at = None
    payout_move(
        payout,
        PayoutStatus.FAILED,
        actor=actor,
        reason=reason,
        update_fields=["last_error", "claim_token", "next_attempt_at", "swept_at"],
    )
    logger.error("Payout %s failed for good: %s", payout.pk, reason)
    return ExecuteResult(Outcome.FAILED)


def _nth(key: str, returns: int) -> str:
    """The key of a payout's first payment is `key`; after the bank returned it n times, `key:<n+1>`."""
    return key if returns == 0 else f"{key}:{returns + 1}"


def payout_record_paid(payout: Payout, *, reference: str, actor: Actor, now: datetime) -> None:
    """Write the payment to the ledger (payable → provider clearing) and mark the payout paid.

    The caller holds the payout's lock and has checked that it may be paid now (a worker's
    claim, staff or the provider confirming a submitted payout, a SEPA batch paid)."""
    payable = payout.account
    clearing = clearing_account(provider=payout.provider, currency=payout.currency)
    accounts_lock([payable, clearing])
    posted = ledger_post(
        kind=TransactionKind.PAYOUT,
        idempotency_key=_nth(f"payout:{payout.pk}", payout.returns),
        legs=[Leg(payable, -payout.amount), Leg(clearing, payout.amount)],
        challenge=payout.challenge,
        memo=payout.description,
        by=_member_of(actor),
        task=actor.system_name,
    )
    payout.paid_transaction = posted.transaction
    payout.paid_at = now
    payout.provider_reference = reference[:120] or payout.provider_reference
    payout.claim_token = ""
    payout_move(
        payout,
        PayoutStatus.PAID,
        actor=actor,
        reason="Paid.",
        update_fields=["paid_transaction", "paid_at", "provider_reference", "claim_token"],
    )
    if payout.phase_id is not None:
        _close_phase_on_commit(payout.phase_id)
    signals.announce_on_commit(
        signals.payout_paid,
        Payout,
        payout_id=payout.pk,
        recipient_id=payout.recipient_id,
        amount=payout.amount,
        currency=payout.currency,
    )


PHASE_PAID_TASK = "payments.phase_paid"


def _close_phase_on_commit(phase_id: int) -> None:
    # After commit, in its own transaction: closing locks the challenge, which must come before payouts.
    # The payout is paid whatever happens here; a close that fails is done by the payments sweep
    # (`paid_phases_close_sweep`).
    def close() -> None:
        try:
            phase_close_when_paid(phase_id=phase_id)
        except (ApplicationError, DatabaseError):
            logger.exception("Phase %s: every prize is paid, but it could not be closed yet", phase_id)

    transaction.on_commit(close)


def phase_close_when_paid(*, phase_id: int) -> Phase | None:
    """An awarded phase whose prizes are all paid is closed (and the challenge completes with its last phase)."""
    phase = Phase.objects.filter(pk=phase_id, status=PhaseStatus.AWARDED).first()
    if phase is None:
        return None
    if Payout.objects.filter(phase=phase).exclude(status=PayoutStatus.PAID).exists():
        return None
    from payments.services.awards import award_shares_unmoved

    if award_shares_unmoved(phase_id=phase.pk):
        return None
    return phase_transition(
        phase=phase, to=PhaseStatus.CLOSED, actor=Actor.system(PHASE_PAID_TASK), reason="Every prize is paid."
    )


def payout_finish(
    claim: Claim, result: ProviderResult | ProviderError, *, actor: Actor, now: datetime
) -> ExecuteResult:
    """Write the provider's answer to a claimed payout (the second half of `payout_execute`)."""
    with transaction.atomic():
        payout = _lock(claim.request.payout_id)
        if payout.status != PayoutStatus.PROCESSING or payout.claim_token != claim.token:
            # Our claim went stale and another worker took over; it gets the provider's same answer.
            return ExecuteResult(Outcome.BUSY)
        if isinstance(result, ProviderResult) and result.state == ProviderState.PAID:
            payout_record_paid(payout, reference=result.reference, actor=actor, now=now)
            return ExecuteResult(Outcome.PAID)
        if isinstance(result, ProviderResult) and result.state == ProviderState.SUBMITTED:
            payout.provider_reference = result.reference[:120]
            payout.claim_token = ""
            payout_move(
                payout,
                PayoutStatus.SUBMITTED,
                actor=actor,
                reason="Accepted by the provider.",
                update_fields=["provider_reference", "claim_token"],
            )
            return ExecuteResult(Outcome.SUBMITTED)
        error = str(result) if isinstance(result, ProviderError) else f"Unexpected provider answer: {result}"
        payout.last_error = error[:500]
        payout.claim_token = ""
        permanent = isinstance(result, ProviderError) and result.permanent
        if permanent or payout.attempts >= settings.PAYMENTS_PAYOUT_MAX_ATTEMPTS:
            payout_move(
                payout, PayoutStatus.FAILED, actor=actor, reason=error, update_fields=["last_error", "claim_token"]
            )
            logger.error("Payout %s failed for good after %s attempts: %s", payout.pk, payout.attempts, error)
            return ExecuteResult(Outcome.FAILED)
        delay = _backoff(payout.attempts)
        payout.next_attempt_at = now + delay
        payout_move(
            payout,
            PayoutStatus.PENDING,
            actor=actor,
            reason=error,
            update_fields=["last_error", "claim_token", "next_attempt_at"],
        )
        return ExecuteResult(Outcome.RETRY, retry_in=delay.total_seconds())


def payout_execute(*, payout_id: int, actor: Actor | None = None, now: datetime | None = None) -> ExecuteResult:
    """Send one payout if it is due. Safe to call any number of times, from any number of workers at once.

    `actor` is the task running it (`Actor.system(EXECUTE_TASK)` unless given)."""
    actor = actor or Actor.system(EXECUTE_TASK)
    claimed = payout_claim(payout_id, actor=actor, now=now or timezone.now())
    if isinstance(claimed, ExecuteResult):
        return claimed
    result: ProviderResult | ProviderError
    try:
        result = provider_for(claimed.provider).pay(claimed.request)
    except ProviderError as error:
        result = error
    except Exception as error:  # noqa: BLE001 - any provider bug is a failed attempt, recorded and retried
        logger.exception("Payout %s: the provider %s raised", payout_id, claimed.provider)
        result = ProviderError(f"{type(error).__name__}: {error}")
    return payout_finish(claimed, result, actor=actor, now=now or timezone.now())


def _refuse_exported_batch_member(payout: Payout) -> None:
    # The file is at the bank: it pays every transfer in it. Settling one here and sending it again
    # in another file would pay it twice; the batch is settled as a whole (paid, or rejected).
    batch = payout.batch
    if batch is not None and batch.status == BatchStatus.EXPORTED:
        raise Conflict(
            _(
                "Payout %(payout)s is in the SEPA batch %(batch)s, which is at the bank: settle the whole batch "
                "(mark it paid, or rejected if the bank refused the file), not this payout on its own."
            )
            % {"payout": payout.pk, "batch": batch.message_id}
        )


@transaction.atomic
def payout_mark_paid(*, payout: Payout, actor: Actor, reference: str = "", now: datetime | None = None) -> Payout:
    """A submitted payout left the bank: staff confirm a transfer made by hand, or the payout's provider
    confirms it (its webhook, `Actor.system("provider:<code>")`). The payment is written to the ledger."""
    locked = _lock(payout.pk)
    _authorise(actor, locked, PayoutStatus.SUBMITTED, PayoutStatus.PAID)
    if locked.status == PayoutStatus.PAID:
        return locked
    if locked.status != PayoutStatus.SUBMITTED:
        raise Conflict(_("Only payouts sent to the bank can be marked paid."))
    _refuse_exported_batch_member(locked)
    payout_record_paid(locked, reference=reference, actor=actor, now=now or timezone.now())
    return locked


@transaction.atomic
def payout_mark_failed(*, payout: Payout, actor: Actor, reason: str) -> Payout:
    """The bank or provider refused a submitted payout outside a batch (wrong account, closed account):
    the money stays payable. Staff, or the payout's provider (its webhook), record it."""
    locked = _lock(payout.pk)
    _authorise(actor, locked, PayoutStatus.SUBMITTED, PayoutStatus.FAILED)
    if locked.status == PayoutStatus.FAILED:
        return locked
    if locked.status != PayoutStatus.SUBMITTED:
        raise Conflict(_("Only payouts sent to the bank can be marked failed."))
    _refuse_exported_batch_member(locked)
    locked.last_error = reason[:500]
    payout_move(locked, PayoutStatus.FAILED, actor=actor, reason=reason, update_fields=["last_error"])
    return locked


@transaction.atomic
def payout_return(*, payout: Payout, actor: Actor, reason: str) -> Payout:
    """The bank sent back a payout after it was paid (its batch marked paid): reverse the payment.

    Staff only. The ledger moves the amount from the provider's clearing account back to the
    member's payable account under `payout-return:<pk>`; the payout fails with the reason and gets
    new keys for its next payment (ledger and provider), so staff can retry it into a new batch.
    Exactly once: a payout already returned (failed, or retried since) is left as it is.
    """
    locked = _lock(payout.pk)
    _authorise(actor, locked, PayoutStatus.PAID, PayoutStatus.FAILED)
    reason = " ".join(reason.split())
    if not reason:
        raise ApplicationError(_("Say why the bank returned it."), {"reason": [_("Required.")]})
    if locked.status in (PayoutStatus.FAILED, PayoutStatus.PENDING) and locked.returns:
        return locked
    if locked.status != PayoutStatus.PAID:
        raise Conflict(_("Only paid payouts can be returned by the bank."))
    payable = locked.account
    clearing = clearing_account(provider=locked.provider, currency=locked.currency)
    accounts_lock([payable, clearing])
    ledger_post(
        kind=TransactionKind.RETURN,
        idempotency_key=_nth(f"payout-return:{locked.pk}", locked.returns),
        legs=[Leg(clearing, -locked.amount), Leg(payable, locked.amount)],
        challenge=locked.challenge,
        memo=f"{locked.description} · {reason}",
        by=_member_of(actor),
        task=actor.system_name,
    )
    paid_as = locked.provider_reference
    locked.returns += 1
    # The provider pays a key once: the next payment needs its own.
    locked.idempotency_key = f"cw-payout-{locked.payable_transaction_id}-{locked.returns + 1}"
    locked.paid_transaction = None
    locked.paid_at = None
    locked.last_error = reason[:500]
    payout_move(
        locked,
        PayoutStatus.FAILED,
        actor=actor,
        reason=f"Returned by the bank ({paid_as}): {reason}",
        update_fields=["returns", "idempotency_key", "paid_transaction", "paid_at", "last_error"],
    )
    return locked


@transaction.atomic
def payout_retry(*, payout: Payout, actor: Actor, now: datetime | None = None) -> Payout:
    """A failed payout goes back to pending, with fresh attempts, and is sent again (staff, or a task)
    through the provider of the member's payout method when it is claimed."""
    locked = _lock(payout.pk)
    _authorise(actor, locked, PayoutStatus.FAILED, PayoutStatus.PENDING)
    if locked.status == PayoutStatus.PENDING:
        return locked
    if locked.status != PayoutStatus.FAILED:
        raise Conflict(_("Only failed payouts can be retried."))
    now = now or timezone.now()
    locked.attempts = 0
    locked.next_attempt_at = _first_attempt_at(locked.recipient, now)
    locked.batch = None  # a payout returned from a batch goes into a new file
    locked.provider = ""  # the next claim sends it through the member's method of then
    payout_move(
        locked,
        PayoutStatus.PENDING,
        actor=actor,
        reason="Retried.",
        update_fields=["attempts", "next_attempt_at", "batch", "provider"],
    )
    if locked.next_attempt_at is not None and locked.next_attempt_at <= now:
        _enqueue_on_commit(locked.pk)
    return locked


def payouts_reschedule_for(*, user: User, usable_from: datetime | None) -> int:
    """A member's payout method changed: their waiting payouts are due when the new one is usable."""
    return Payout.objects.filter(recipient=user, status=PayoutStatus.PENDING).update(
        next_attempt_at=usable_from, updated_at=timezone.now()
    )


@dataclass
class SweepReport:
    enqueued: int = 0
    stale: int = 0


def payouts_sweep(*, now: datetime | None = None, batch: int = 500) -> SweepReport:
    """Enqueue every due payout and every one whose worker vanished (the broker may have lost its task).

    Claims rows with SKIP LOCKED, so sweeps and workers never wait for each other. A payout sent
    to the workers here is not sent again for one claim timeout, so slow queues are not flooded.
    """
    now = now or timezone.now()
    report = SweepReport()
    stale = _stale_before(now)
    with transaction.atomic():
        due = list(
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(status=PayoutStatus.PENDING, next_attempt_at__lte=now)
                | Q(status=PayoutStatus.PROCESSING, claimed_at__lt=stale)
            )
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lt=stale))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "status")[:batch]
        )
        if due:
            Payout.objects.filter(pk__in=[pk for pk, _status in due]).update(swept_at=now)
        for pk, status in due:
            _enqueue_on_commit(pk)
            report.enqueued += 1
            report.stale += status == PayoutStatus.PROCESSING
    return report
