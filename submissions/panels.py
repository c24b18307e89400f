"""What submissions shows on the challenge and phase pages (registered in `SubmissionsConfig.ready`):
entries, the "enter this phase" button with the reason when one may not, winners and each award's split."""

from collections import Counter
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from challenges.lifecycle import Role
from challenges.models import Challenge, Phase, PhaseStatus
from challenges.selectors import challenge_roles
from submissions import selectors
from submissions.models import Entry, EntryStatus

CACHE = "_submissions_panels"
ENTRY_COUNT_LIMIT = 1000


def _challenge_facts(request: HttpRequest, challenge: Challenge) -> dict[str, Any]:
    """What the panels of one challenge page need, loaded once per request in constant queries."""
    cache: dict[int, dict[str, Any]] = request.__dict__.setdefault(CACHE, {})
    if challenge.pk not in cache:
        # The challenge page has prefetched the phases.
        phases = list(challenge.phases.all())
        phase_ids = [phase.pk for phase in phases]
        roles = challenge_roles(user=request.user, challenge=challenge)
        # Counted up to ENTRY_COUNT_LIMIT per phase ("more than 1000"), all phases in one query (a
        # UNION ALL of one LIMITed read per phase): a phase with thousands of entries costs what
        # counting a thousand costs. The page's reader may read the challenge, so every submitted
        # entry of an unsealed phase is visible to them: read from the phase index alone; a
        # sealed phase goes through the visibility rule.
        visible = selectors.entries_visible_to(request.user).filter(status=EntryStatus.SUBMITTED)
        submitted = Entry.objects.filter(status=EntryStatus.SUBMITTED)
        reads = [
            (visible if selectors.is_sealed(phase) else submitted)
            .filter(phase_id=phase.pk)
            .order_by()
            .values_list("phase_id", flat=True)[: ENTRY_COUNT_LIMIT + 1]
            for phase in phases
        ]
        tally = Counter(reads[0].union(*reads[1:], all=True)) if reads else Counter()
        counts = {pk: (min(tally[pk], ENTRY_COUNT_LIMIT), tally[pk] > ENTRY_COUNT_LIMIT) for pk in phase_ids}
        cache[challenge.pk] = {
            "counts": counts,
            "awards": selectors.awards_of_phases(phase_ids=phase_ids),
            "roles": roles,
            "may_rank": bool(roles & {Role.JUDGE, Role.OWNER, Role.STAFF}),
        }
    return cache[challenge.pk]


def phase_panel(request: HttpRequest, phase: Phase) -> str:
    facts = _challenge_facts(request, phase.challenge)
    eligibility = (
        selectors.entry_eligibility(user=request.user, phase=phase) if phase.status == PhaseStatus.OPEN else None
    )
    context = {
        "phase": phase,
        "entry_count": facts["counts"].get(phase.pk, (0, False))[0],
        "more_entries": facts["counts"].get(phase.pk, (0, False))[1],
        "awards": facts["awards"].get(phase.pk, []),
        "may_rank": facts["may_rank"],
        "eligibility": eligibility,
    }
    return render_to_string("submissions/_phase_panel.html", context, request=request)


def challenge_panel(request: HttpRequest, challenge: Challenge) -> str:
    roles = _challenge_facts(request, challenge)["roles"]
    context = {
        "challenge": challenge,
        "rules": selectors.judging_rules_for(challenge),
        "is_judge": Role.JUDGE in roles,
        "is_editor": bool(roles & {Role.OWNER, Role.STAFF}),
    }
    return render_to_string("submissions/_challenge_panel.html", context, request=request)
