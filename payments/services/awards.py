"""Awards become payables: each share of an award moves from escrow to its recipient, exactly once.

The judging app (`submissions`) decides awards and their shares (authors, co-authors, lineage)
and announces `phase_awarded`; the receiver calls `award_payables_create` for each award. The
ledger key `award-share:<id>` is unique, so an announcement delivered twice moves nothing twice,
and the sweep (`award_shares_sweep`) moves any share whose announcement was lost.

A phase closes when its last prize is paid (`phase_close_when_paid`, after that payout commits);
`paid_phases_close_sweep` closes any phase whose close was lost on the way (a worker killed right
after the commit, a deadlock or lost connection in the close).
"""

import logging

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from challenges.models import Phase, PhaseStatus
from challenges.services import lock_challenge
from core.exceptions import ApplicationError, Conflict
from payments.models import LedgerTransaction, Payout, PayoutKind, PayoutStatus
from payments.services.payouts import payable_create, phase_close_when_paid
from submissions.models import Award, AwardShare

logger = logging.getLogger(__name__)

AWARD_TASK = "payments.award_payables"


def award_share_key(share_id: int) -> str:
    return f"award-share:{share_id}"


@transaction.atomic
def award_payables_create(*, award_id: int, task: str = AWARD_TASK) -> list[Payout]:
    """Move every share of the award from the challenge's escrow to its recipient's payable account.

    One database transaction with the challenge and the accounts locked: all shares or none.
    """
    award = Award.objects.select_related("phase", "phase__challenge").get(pk=award_id)
    challenge = lock_challenge(award.phase.challenge_id)
    shares = list(award.shares.select_related("recipient").order_by("pk"))
    if sum((share.amount for share in shares), start=award.amount * 0) != award.amount:
        raise Conflict(_("The shares of award %(award)s do not add up to its amount.") % {"award": award.pk})
    if award.currency != challenge.currency or any(share.currency != challenge.currency for share in shares):
        raise Conflict(_("Award %(award)s is not in the challenge's currency.") % {"award": award.pk})
    payouts = []
    for share in shares:
        label = _("Prize") if share.kind == "author" else _("Prize share")
        payouts.append(
            payable_create(
                challenge=challenge,
                recipient=share.recipient,
                amount=share.amount,
                kind=PayoutKind.AWARD,
                idempotency_key=award_share_key(share.pk),
                phase=award.phase,
                description=f"{label}: {challenge.title} · {award.phase.title} · #{award.rank}"[:140],
                task=task,
            )
        )
    return payouts


def award_shares_sweep(*, limit: int = 200) -> int:
    """Move the shares of awards whose announcement never arrived. Returns how many awards it moved."""
    award_ids = list(AwardShare.objects.filter(~_share_moved()).values_list("award_id", flat=True).distinct()[:limit])
    done = 0
    for award_id in award_ids:
        try:
            award_payables_create(award_id=award_id, task="payments.sweep")
        except ApplicationError:
            logger.exception("Award %s could not be moved to payables", award_id)
        else:
            done += 1
    return done


def _share_moved() -> Exists:
    return Exists(
        LedgerTransaction.objects.filter(
            idempotency_key=Concat(Value("award-share:"), Cast(OuterRef("pk"), output_field=CharField()))
        )
    )


def award_shares_unmoved(*, phase_id: int) -> bool:
    """Has the phase any award share not yet moved to a payable?"""
    return AwardShare.objects.filter(award__phase_id=phase_id).filter(~_share_moved()).exists()


def paid_phases_close_sweep(*, limit: int = 100) -> int:
    """Close the awarded phases whose prizes are all paid but which are still open for payment (their
    close after the last payout was lost). Returns how many it closed; each is re-checked under the
    challenge's lock by `phase_close_when_paid`, so a sweep racing the payout's own close is harmless."""
    unpaid = Payout.objects.filter(phase=OuterRef("pk")).exclude(status=PayoutStatus.PAID)
    unmoved = AwardShare.objects.filter(award__phase=OuterRef("pk")).filter(~_share_moved())
    phase_ids = list(
        Phase.objects.filter(status=PhaseStatus.AWARDED)
        .filter(Exists(Award.objects.filter(phase=OuterRef("pk"))), ~Exists(unpaid), ~Exists(unmoved))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for phase_id in phase_ids:
        try:
            if phase_close_when_paid(phase_id=phase_id) is not None:
                closed += 1
        except ApplicationError:
            logger.exception("Phase %s: every prize is paid, but it could not be closed", phase_id)
    return closed
