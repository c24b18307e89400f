"""Awarding a phase: prizes of its table assigned to entries, each award's split computed and
stored, the phase moved to `awarded`, all in one transaction under the challenge and phase locks.

Prize money not assigned stays in the budget: nothing is recorded for it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Challenge, Phase, PhaseStatus, Prize
from challenges.selectors import challenge_roles
from challenges.services import phase_transition
from community.models import User
from core.caching import bump
from core.exceptions import ApplicationError, Conflict, NotAllowed
from submissions import signals
from submissions.lineage import entry_ancestors
from submissions.models import Award, AwardShare, Entry, EntryStatus, JudgingRules, Recusal
from submissions.selectors import award_refusal, judging_rules_for
from submissions.services.common import lock_challenge, lock_phase
from submissions.splits import AuthorShare, prize_lines, split_exactly

AWARD_TASK = "submissions.phase_award"


@dataclass(frozen=True)
class AwardChoice:
    rank: int
    entry_id: int


def award_split(*, award: Award, entry: Entry, rules: JudgingRules) -> list[AwardShare]:
    """Store who receives what of `award` (the shares sum exactly to its amount)."""
    authors = [
        AuthorShare(user_id=author.user_id, percent=author.share, is_lead=author.is_lead)
        for author in entry.authors.order_by("-is_lead", "pk")
    ]
    ancestors = (
        entry_ancestors(entry=entry, generations=rules.lineage_generations) if rules.lineage_share_percent else []
    )
    lines = prize_lines(
        authors=authors,
        ancestors=ancestors,
        lineage_percent=rules.lineage_share_percent,
        generations=rules.lineage_generations,
    )
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
            for line, amount in split_exactly(award.amount, lines)
        ]
    )


def _check_choices(choices: Sequence[AwardChoice], prizes: dict[int, Prize]) -> None:
    if not choices:
        raise ApplicationError(_("Assign at least one prize."), {"awards": [_("Assign at least one prize.")]})
    ranks = [choice.rank for choice in choices]
    entries = [choice.entry_id for choice in choices]
    if len(set(ranks)) != len(ranks):
        message = _("Each prize rank is awarded once.")
        raise ApplicationError(message, {"awards": [message]})
    if len(set(entries)) != len(entries):
        message = _("An entry wins at most one prize of a phase.")
        raise ApplicationError(message, {"awards": [message]})
    beyond = sorted(rank for rank in ranks if rank not in prizes)
    if beyond:
        message = _("This phase's prize table has no rank %(ranks)s.") % {"ranks": ", ".join(map(str, beyond))}
        raise ApplicationError(message, {"awards": [message]})


@transaction.atomic
def phase_award(*, phase_id: int, by: User, choices: Sequence[AwardChoice], now: datetime | None = None) -> list[Award]:
    """Award prizes of the phase's table to its submitted entries and move the phase to `awarded`.

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
    prizes = {prize.rank: prize for prize in Prize.objects.filter(phase=phase)}
    _check_choices(choices, prizes)
    entries = {
        entry.pk: entry
        for entry in Entry.objects.filter(
            pk__in=[choice.entry_id for choice in choices], phase=phase, status=EntryStatus.SUBMITTED
        ).select_related("revision")
    }
    missing = [choice.entry_id for choice in choices if choice.entry_id not in entries]
    if missing:
        message = _("Only submitted entries of this phase can win its prizes.")
        raise ApplicationError(message, {"awards": [message], "entries": missing})
    recused = sorted(Recusal.objects.filter(judge=by, entry_id__in=list(entries)).values_list("entry_id", flat=True))
    if recused:
        message = _("You are recused from “%(titles)s” and cannot award it a prize.") % {
            "titles": "”, “".join(entries[pk].title for pk in recused)
        }
        raise NotAllowed(message, {"awards": [message], "entries": recused})
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
        phase_transition(phase=phase, to=PhaseStatus.AWARDED, by=by, reason="Prizes awarded.", now=now)
    else:
        # Judges and owners award through this service only; the phase table leaves the move to it (SYSTEM).
        phase_transition(
            phase=phase,
            to=PhaseStatus.AWARDED,
            task=AWARD_TASK,
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
