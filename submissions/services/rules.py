"""The judging rules a challenge declares (lineage share, who awards) while it is a draft, and a
phase declares (community-vote share, shortlist) before it opens."""

from django.db import transaction
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Challenge, ChallengeStatus, Phase, PhaseStatus
from challenges.selectors import challenge_roles
from challenges.services import lock_challenge
from community.models import User
from core.exceptions import ApplicationError, Conflict, NotAllowed
from submissions.models import (
    MAX_LINEAGE_GENERATIONS,
    MAX_LINEAGE_PERCENT,
    MAX_VOTE_PERCENT,
    AwardedBy,
    JudgingRules,
    PhaseJudgingRules,
)
from submissions.services.common import lock_phase


def _require_owner(by: User, challenge: Challenge) -> None:
    if not challenge_roles(user=by, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise NotAllowed(_("Only the owner of the challenge or staff may change its judging rules."))


def rules_editor_require(*, by: User, challenge: Challenge) -> None:
    """Refuse (403) anyone who may not change the challenge's or its phases' judging rules. The APIs ask
    before they read the body, so a non-owner gets the same answer whatever it sends."""
    _require_owner(by, challenge)


def _in_range(value: int, low: int, high: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = _("Choose a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        raise ApplicationError(message, {field: [message]})
    return value


@transaction.atomic
def judging_rules_set(
    *, challenge: Challenge, by: User, lineage_share_percent: int, lineage_generations: int, awarded_by: str
) -> JudgingRules:
    locked = lock_challenge(challenge.pk)
    _require_owner(by, locked)
    if locked.status != ChallengeStatus.DRAFT:
        raise Conflict(_("The judging rules are declared while the challenge is a draft."))
    _in_range(lineage_share_percent, 0, MAX_LINEAGE_PERCENT, "lineage_share_percent")
    _in_range(lineage_generations, 1, MAX_LINEAGE_GENERATIONS, "lineage_generations")
    if awarded_by not in AwardedBy.values:
        message = _("Choose who awards the prizes.")
        raise ApplicationError(message, {"awarded_by": [message]})
    rules, _created = JudgingRules.objects.update_or_create(
        challenge=locked,
        defaults={
            "lineage_share_percent": lineage_share_percent,
            "lineage_generations": lineage_generations,
            "awarded_by": awarded_by,
        },
    )
    return rules


@transaction.atomic
def phase_rules_set(*, phase: Phase, by: User, vote_share_percent: int, shortlist_size: int) -> PhaseJudgingRules:
    locked_challenge = lock_challenge(phase.challenge_id)
    locked = lock_phase(phase.pk)
    _require_owner(by, locked_challenge)
    if locked.status != PhaseStatus.SCHEDULED:
        raise Conflict(_("A phase's judging rules are declared before it opens."))
    _in_range(vote_share_percent, 0, MAX_VOTE_PERCENT, "vote_share_percent")
    _in_range(shortlist_size, 1, 100, "shortlist_size")
    rules, _created = PhaseJudgingRules.objects.update_or_create(
        phase=locked, defaults={"vote_share_percent": vote_share_percent, "shortlist_size": shortlist_size}
    )
    return rules
