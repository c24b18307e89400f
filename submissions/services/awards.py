"""Awarding a phase: prizes of its table assigned to entries, each award's split computed and
stored, the phase moved to `awarded`, all in one transaction under the challenge and phase locks.

Prize money not assigned stays in the budget: nothing is recorded for it.
"""

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Challenge, Phase, PhaseStatus, Prize
from challenges.selectors import challenge_roles
from challenges.services import lock_challenge, phase_transition
from community.models import User
from core.actors import Actor
from core.caching import bump
from core.exceptions import ApplicationError, Conflict, NotAllowed
from submissions import signals
from submissions.models import Award, AwardShare, Entry, JudgingRules, Recusal, UnscoredConfirmation
from submissions.selectors import (
    award_entries,
    award_preview,
    award_refusal,
    check_award_choices,
    judging_readiness,
    judging_rules_for,
    may_confirm_unscored,
    prize_split,
)
from submissions.services.common import lock_phase

AWARD_TASK = "submissions.phase_award"


class AwardChanged(Conflict):
    """What the confirmation showed is no longer what awarding would do (HTTP 409): show it again."""


@dataclass(frozen=True)
class AwardChoice:
    rank: int
    entry_id: int


def award_split(*, award: Award, entry: Entry, rules: JudgingRules) -> list[AwardShare]:
    """Store who receives what of `award` (the shares sum exactly to its amount)."""
    bump("submissions")
    return AwardShare.objects.bulk_create(
        [
            AwardShare(
                award=award,
                recipient_id=line.recipient_id,
                amount=amount,
                currency=award.currency,
                kind=line.kind,
                generation=line.generation,
                source_blueprint_id=line.source_blueprint_id,
            )
            for line, amount in prize_split(entry=entry, rules=rules, amount=award.amount)
        ]
    )


@transaction.atomic
def phase_unscored_confirm(
    *, phase_id: int, by: User, reason: str, now: datetime | None = None
) -> UnscoredConfirmation:
    """A judge of the panel, the owner or staff confirm that the entries unscored now stay unscored,
    and say why: awarding is offered from then on (until another entry becomes unscored)."""
    challenge = lock_challenge_for_phase(phase_id)
    phase = lock_phase(phase_id)
    if not may_confirm_unscored(user=by, challenge=challenge):
        raise NotAllowed(_("Only the challenge's judges, its owner and staff confirm that entries stay unscored."))
    if phase.status != PhaseStatus.JUDGING:
        raise Conflict(_("Unscored entries are confirmed while the phase is being judged."))
    reason = " ".join(reason.split())
    if not reason:
        message = _("Say why these entries stay unscored.")
        raise ApplicationError(message, {"reason": [message]})
    readiness = judging_readiness(phase=phase)
    if not readiness.unscored:
        raise Conflict(_("Every entry is scored; there is nothing to confirm."))
    return UnscoredConfirmation.objects.create(
        phase=phase,
        confirmed_by=by,
        confirmed_at=now or timezone.now(),
        reason=reason[:500],
        entry_ids=readiness.unscored_ids,
    )


@transaction.atomic
def phase_award(
    *, phase_id: int, by: User, choices: Sequence[AwardChoice], fingerprint: str, now: datetime | None = None
) -> list[Award]:
    """Award prizes of the phase's table to its submitted entries and move the phase to `awarded`. Final.

    Only once the panel scored every entry, or the entries still unscored are confirmed
    (`phase_unscored_confirm`); only with the `fingerprint` of the confirmation that was shown
    (`submissions.selectors.award_preview`): when anything it showed changed since, it refuses.

    Two people awarding at once: the second waits for the phase lock, then finds it awarded and is told so.
    """
    now = now or timezone.now()
    challenge = lock_challenge_for_phase(phase_id)
    phase = lock_phase(phase_id)
    rules = judging_rules_for(challenge)
    refusal = award_refusal(user=by, challenge=challenge, rules=rules)
    if refusal is not None:
        raise NotAllowed(refusal)
    if phase.status in (PhaseStatus.AWARDED, PhaseStatus.CLOSED) or Award.objects.filter(phase=phase).exists():
        raise Conflict(_("This phase has already been awarded."))
    if phase.status != PhaseStatus.JUDGING:
        raise Conflict(_("Prizes are awarded while the phase is being judged."))
    readiness = judging_readiness(phase=phase)
    if not readiness.ready:
        message = _(
            "%(unscored)s of %(total)s entries are not fully scored by the panel. Award once they are, or once a "
            "judge or the owner confirms, with a reason, that they stay unscored."
        ) % {"unscored": len(readiness.unscored), "total": readiness.total}
        raise Conflict(message, {"awards": [message], "entries": readiness.unscored_ids})
    pairs = [(choice.rank, choice.entry_id) for choice in choices]
    prizes = {prize.rank: prize for prize in Prize.objects.filter(phase=phase)}
    check_award_choices(pairs, prizes)
    entries = award_entries(phase=phase, entry_ids=[entry_id for _rank, entry_id in pairs])
    recused = sorted(Recusal.objects.filter(judge=by, entry_id__in=list(entries)).values_list("entry_id", flat=True))
    if recused:
        message = _("You are recused from “%(titles)s” and cannot award it a prize.") % {
            "titles": "”, “".join(entries[pk].title for pk in recused)
        }
        raise NotAllowed(message, {"awards": [message], "entries": recused})
    preview = award_preview(phase=phase, choices=pairs)
    if not fingerprint or not hmac.compare_digest(fingerprint, preview.fingerprint):
        message = _(
            "The ranking, the scores or the split changed since the confirmation was shown (or none was shown). "
            "Check the prizes again and confirm."
        )
        raise AwardChanged(message, {"awards": [message]})
    awards = []
    for choice in sorted(choices, key=lambda c: c.rank):
        award = Award.objects.create(
            phase=phase,
            rank=choice.rank,
            entry=entries[choice.entry_id],
            amount=prizes[choice.rank].amount,
            currency=challenge.currency,
            awarded_by=by,
            awarded_at=now,
        )
        award_split(award=award, entry=entries[choice.entry_id], rules=rules)
        awards.append(award)
    if Role.STAFF in challenge_roles(user=by, challenge=challenge):
        phase_transition(phase=phase, to=PhaseStatus.AWARDED, actor=Actor.user(by), reason="Prizes awarded.", now=now)
    else:
        # Judges and owners award through this service only; the phase table leaves the move to it (SYSTEM).
        phase_transition(
            phase=phase,
            to=PhaseStatus.AWARDED,
            actor=Actor.system(AWARD_TASK),
            reason=f"Prizes awarded by {by.public_name} (member {by.pk}).",
            now=now,
        )
    signals.announce_on_commit(
        signals.phase_awarded,
        Award,
        phase_id=phase.pk,
        challenge_id=challenge.pk,
        award_ids=[award.pk for award in awards],
    )
    return awards


def lock_challenge_for_phase(phase_id: int) -> Challenge:
    challenge_id = Phase.objects.values_list("challenge_id", flat=True).get(pk=phase_id)
    return lock_challenge(challenge_id)
