"""Writing phases: their dates, dependencies, prize tables and judging criteria.

Every write locks the challenge row first: the prizes of all its phases must stay within its
budget, which no single-row constraint can hold.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import signals
from challenges.lifecycle import CHALLENGE_FINAL
from challenges.models import (
    Challenge,
    ChallengeStatus,
    Criterion,
    Phase,
    PhaseDependency,
    PhaseHold,
    PhaseStatus,
    Prize,
)
from challenges.selectors import challenge_prize_sum
from challenges.services.common import lock_challenge, lock_phase, require_editor, validate
from challenges.services.transitions import save_scheduled, unmet_requirements
from community.models import User
from core.caching import bump
from core.exceptions import ApplicationError, Conflict
from core.money import money

DATE_FIELDS = ("opens_at", "closes_at", "judging_ends_at")
CONTENT_FIELDS = ("kind", "title", "brief", "entry_limit")
MAX_PRIZES = 10
MAX_CRITERIA = 12


@dataclass(frozen=True)
class CriterionData:
    name: str
    weight: int = 1
    description: str = ""


def _structure_editable(challenge: Challenge) -> None:
    if challenge.status in CHALLENGE_FINAL:
        raise Conflict(_("A completed or cancelled challenge cannot be changed."))
    if challenge.status == ChallengeStatus.FUNDING:
        raise Conflict(_("Take the challenge back from funding to change its phases."))


def phase_editable_fields(phase: Phase, challenge: Challenge) -> set[str]:
    """What may still change: everything before a phase opens; then only the dates still ahead."""
    if challenge.status in CHALLENGE_FINAL:
        return set()
    dates_only = challenge.status == ChallengeStatus.FUNDING
    if phase.status == PhaseStatus.SCHEDULED:
        return set(DATE_FIELDS) if dates_only else {*DATE_FIELDS, *CONTENT_FIELDS, "prizes", "criteria", "depends_on"}
    if phase.status == PhaseStatus.OPEN:
        return {"closes_at", "judging_ends_at"}
    if phase.status == PhaseStatus.JUDGING:
        return {"judging_ends_at"}
    return set()


def _check_dates(phase: Phase, *, changed: set[str], now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if phase.opens_at >= phase.closes_at:
        errors["closes_at"] = [_("Must be after the opening time.")]
    if phase.judging_ends_at < phase.closes_at:
        errors["judging_ends_at"] = [_("Must not be before the closing time.")]
    if "closes_at" in changed and phase.closes_at <= now:
        errors.setdefault("closes_at", []).append(_("Must be in the future."))
    if "judging_ends_at" in changed and phase.judging_ends_at <= now:
        errors.setdefault("judging_ends_at", []).append(_("Must be in the future."))
    if errors:
        raise ApplicationError(_("Please correct the dates of the phase."), errors)


def _set_prizes(phase: Phase, challenge: Challenge, amounts: Sequence[Decimal | str | int]) -> list[Prize]:
    """Replace the phase's prize table (rank 1 first); the challenge is locked by the caller."""
    if len(amounts) > MAX_PRIZES:
        raise ApplicationError(_("At most %(count)d prizes per phase.") % {"count": MAX_PRIZES})
    cleaned = [money(amount, field="prizes") for amount in amounts]
    others = challenge_prize_sum(challenge_id=challenge.pk) - sum(
        (prize.amount for prize in Prize.objects.filter(phase=phase)), Decimal(0)
    )
    total = others + sum(cleaned, Decimal(0))
    if total > challenge.budget:
        message = _("The prizes would add up to %(total)s %(currency)s, more than the budget of %(budget)s.") % {
            "total": total,
            "currency": challenge.currency,
            "budget": challenge.budget,
        }
        raise ApplicationError(message, {"prizes": [message]})
    Prize.objects.filter(phase=phase).delete()
    bump("challenges")
    return Prize.objects.bulk_create(
        Prize(phase=phase, rank=rank, amount=amount) for rank, amount in enumerate(cleaned, start=1)
    )


def _set_criteria(phase: Phase, criteria: Iterable[CriterionData]) -> list[Criterion]:
    rows = [
        Criterion(phase=phase, name=c.name.strip(), description=c.description.strip(), weight=c.weight)
        for c in criteria
    ]
    if len(rows) > MAX_CRITERIA:
        raise ApplicationError(_("At most %(count)d criteria per phase.") % {"count": MAX_CRITERIA})
    names = [row.name.lower() for row in rows]
    if len(set(names)) != len(names):
        message = _("Each criterion needs its own name.")
        raise ApplicationError(message, {"criteria": [message]})
    for row in rows:
        validate(row, exclude=["phase"])
    Criterion.objects.filter(phase=phase).delete()
    bump("challenges")
    return Criterion.objects.bulk_create(rows)


def _set_dependencies(phase: Phase, required: Iterable[Phase]) -> None:
    required = list(required)
    for other in required:
        if other.challenge_id != phase.challenge_id or other.position >= phase.position:
            message = _("A phase can depend only on earlier phases of the same challenge.")
            raise ApplicationError(message, {"depends_on": [message]})
        if other.status == PhaseStatus.CANCELLED:
            message = _("“%(title)s” is cancelled and will never be awarded.") % {"title": other.title}
            raise ApplicationError(message, {"depends_on": [message]})
    wanted = {other.pk for other in required}
    PhaseDependency.objects.filter(phase=phase).exclude(required_id__in=wanted).delete()
    existing = set(PhaseDependency.objects.filter(phase=phase).values_list("required_id", flat=True))
    PhaseDependency.objects.bulk_create(PhaseDependency(phase=phase, required_id=pk) for pk in wanted - existing)
    bump("challenges")


@transaction.atomic
def phase_create(
    *,
    challenge: Challenge,
    by: User,
    kind: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    judging_ends_at: datetime,
    brief: str = "",
    entry_limit: int = 1,
    depends_on: Iterable[Phase] = (),
    prizes: Sequence[Decimal | str | int] = (),
    criteria: Iterable[CriterionData] = (),
    now: datetime | None = None,
) -> Phase:
    """Add a phase after the existing ones, with its prizes (within the budget) and criteria."""
    now = now or timezone.now()
    locked = lock_challenge(challenge.pk)
    require_editor(by=by, challenge=locked)
    _structure_editable(locked)
    last = Phase.objects.filter(challenge=locked).order_by("-position").values_list("position", flat=True).first()
    phase = Phase(
        challenge=locked,
        position=(last or 0) + 1,
        kind=kind,
        title=title.strip(),
        brief=brief,
        opens_at=opens_at,
        closes_at=closes_at,
        judging_ends_at=judging_ends_at,
        entry_limit=entry_limit,
    )
    _check_dates(phase, changed=set(DATE_FIELDS), now=now)
    validate(phase, exclude=["challenge"])
    phase.save()
    _set_dependencies(phase, depends_on)
    _set_prizes(phase, locked, list(prizes))
    _set_criteria(phase, criteria)
    save_scheduled(phase, challenge_status=locked.status, now=now, fields=[])
    if locked.published_at is not None:
        signals.announce_on_commit(signals.phase_added, Phase, phase_id=phase.pk, challenge_id=locked.pk)
    return phase


@transaction.atomic
def phase_update(
    *,
    phase: Phase,
    by: User,
    prizes: Sequence[Decimal | str | int] | None = None,
    criteria: Iterable[CriterionData] | None = None,
    depends_on: Iterable[Phase] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> Phase:
    """Change a phase. New dates take effect at once: the scheduler follows `next_transition_at`."""
    now = now or timezone.now()
    locked_challenge = lock_challenge(phase.challenge_id)
    require_editor(by=by, challenge=locked_challenge)
    locked = lock_phase(phase.pk)
    unknown = set(changes) - {*DATE_FIELDS, *CONTENT_FIELDS}
    if unknown:
        raise ApplicationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    changes = {field: value for field, value in changes.items() if getattr(locked, field) != value}
    requested = set(changes)
    requested |= {name for name, value in (("prizes", prizes), ("criteria", criteria)) if value is not None}
    if depends_on is not None:
        depends_on = list(depends_on)
        current = set(PhaseDependency.objects.filter(phase=locked).values_list("required_id", flat=True))
        if {other.pk for other in depends_on} != current:
            requested.add("depends_on")
    refused = requested - phase_editable_fields(locked, locked_challenge)
    if refused:
        message = _("This can no longer be changed: %(fields)s.") % {"fields": ", ".join(sorted(refused))}
        raise Conflict(message, {name: [_("No longer editable.")] for name in refused})
    for field, value in changes.items():
        setattr(locked, field, value)
    _check_dates(locked, changed=set(changes) & set(DATE_FIELDS), now=now)
    validate(locked, exclude=["challenge"])
    if "depends_on" in requested and depends_on is not None:
        _set_dependencies(locked, depends_on)
    if prizes is not None:
        _set_prizes(locked, locked_challenge, list(prizes))
    if criteria is not None:
        _set_criteria(locked, criteria)
    fields = list(changes)
    new_dates = locked.hold == PhaseHold.DATES_PASSED and bool(set(changes) & set(DATE_FIELDS))
    dependencies_met = locked.hold == PhaseHold.DEPENDENCIES and not unmet_requirements(locked)
    if new_dates or dependencies_met:  # released: the scheduler looks at it again
        locked.hold, locked.held_since = PhaseHold.NONE, None
        fields += ["hold", "held_since"]
    save_scheduled(locked, challenge_status=locked_challenge.status, now=now, fields=fields)
    return locked


@transaction.atomic
def phase_delete(*, phase: Phase, by: User) -> None:
    """Remove a phase of a draft; published phases are cancelled instead, never deleted."""
    locked_challenge = lock_challenge(phase.challenge_id)
    require_editor(by=by, challenge=locked_challenge)
    if locked_challenge.status != ChallengeStatus.DRAFT:
        raise Conflict(_("Only phases of a draft can be removed; cancel it instead."))
    locked = lock_phase(phase.pk)
    if PhaseDependency.objects.filter(required=locked).exists():
        raise Conflict(_("Other phases depend on this one; remove those dependencies first."))
    locked.delete()


@transaction.atomic
def phase_prizes_set(*, phase: Phase, by: User, amounts: Sequence[Decimal | str | int]) -> list[Prize]:
    """Replace the prize table of a phase: rank 1 gets `amounts[0]`, and so on."""
    locked_challenge = lock_challenge(phase.challenge_id)
    require_editor(by=by, challenge=locked_challenge)
    locked = lock_phase(phase.pk)
    _structure_editable(locked_challenge)
    if "prizes" not in phase_editable_fields(locked, locked_challenge):
        raise Conflict(_("Prizes are fixed once a phase opens."))
    return _set_prizes(locked, locked_challenge, list(amounts))


@transaction.atomic
def phase_criteria_set(*, phase: Phase, by: User, criteria: Iterable[CriterionData]) -> list[Criterion]:
    locked_challenge = lock_challenge(phase.challenge_id)
    require_editor(by=by, challenge=locked_challenge)
    locked = lock_phase(phase.pk)
    _structure_editable(locked_challenge)
    if "criteria" not in phase_editable_fields(locked, locked_challenge):
        raise Conflict(_("Criteria are fixed once a phase opens."))
    return _set_criteria(locked, criteria)


@transaction.atomic
def phase_builds_on_set(*, phase: Phase, required: Phase, by: User, entry_ids: Sequence[int]) -> PhaseDependency:
    """Name the winning entries of the awarded phase `required` that `phase` builds on.

    The entries belong to the submissions app, which checks that they won; this keeps the ids.
    """
    locked_challenge = lock_challenge(phase.challenge_id)
    require_editor(by=by, challenge=locked_challenge)
    dependency = PhaseDependency.objects.select_for_update().filter(phase=phase, required=required).first()
    if dependency is None:
        raise ApplicationError(_("This phase does not depend on that one."))
    if Phase.objects.get(pk=required.pk).status not in (PhaseStatus.AWARDED, PhaseStatus.CLOSED):
        raise Conflict(_("Winning entries can be named once the phase is awarded."))
    dependency.builds_on_entries = sorted({int(pk) for pk in entry_ids})
    dependency.save(update_fields=["builds_on_entries"])
    return dependency
