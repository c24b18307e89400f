"""Awards become payables: each share of an award moves from escrow to its recipient, exactly once.

The judging app (`submissions`) decides awards and their shares (authors, co-authors, lineage)
and announces `phase_awarded`; the receiver calls `award_payables_create` for each award. The
ledger key `award-share:<id>` is unique, so an announcement delivered twice moves nothing twice,
and the sweep (`award_shares_sweep`) moves any share whose announcement was lost.
"""

import logging

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from challenges.services import lock_challenge
from core.exceptions import ApplicationError, Conflict
from payments.models import LedgerTransaction, Payout, PayoutKind
from payments.services.payouts import payable_create
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
    moved = LedgerTransaction.objects.filter(
        idempotency_key=Concat(Value("award-share:"), Cast(OuterRef("pk"), output_field=CharField()))
    )
    award_ids = list(AwardShare.objects.filter(~Exists(moved)).values_list("award_id", flat=True).distinct()[:limit])
    done = 0
    for award_id in award_ids:
        try:
            award_payables_create(award_id=award_id, task="payments.sweep")
        except ApplicationError:
            logger.exception("Award %s could not be moved to payables", award_id)
        else:
            done += 1
    return done


def award_shares_unmoved(*, phase_id: int) -> bool:
    """Has the phase any award share not yet moved to a payable?"""
    moved = LedgerTransaction.objects.filter(
        idempotency_key=Concat(Value("award-share:"), Cast(OuterRef("pk"), output_field=CharField()))
    )
    return AwardShare.objects.filter(award__phase_id=phase_id).filter(~Exists(moved)).exists()
