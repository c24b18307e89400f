"""Numbers for the challenge page's two pictures: how the budget is split, and when phases run.

Pure functions over prefetched objects: no queries, easy to test.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from challenges.models import Challenge, Phase, PhaseStatus

HUNDRED = Decimal(100)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal(0)
    return (part * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BudgetSlice:
    label: str
    amount: Decimal
    percent: Decimal
    phase: Phase | None = None


def budget_split(challenge: Challenge, phases: list[Phase]) -> list[BudgetSlice]:
    """The prize money of each phase, then what is not yet promised, as shares of the budget."""
    slices = []
    promised = Decimal(0)
    for phase in phases:
        amount = sum((prize.amount for prize in phase.prizes.all()), Decimal(0))
        promised += amount
        if amount:
            slices.append(BudgetSlice(phase.title, amount, _percent(amount, challenge.budget), phase))
    rest = challenge.budget - promised
    if rest > 0:
        slices.append(BudgetSlice("", rest, _percent(rest, challenge.budget)))
    return slices


@dataclass(frozen=True)
class TimelineRow:
    phase: Phase
    entry_left: float
    entry_width: float
    judging_width: float
    is_current: bool


@dataclass(frozen=True)
class Timeline:
    starts: datetime
    ends: datetime
    rows: list[TimelineRow]
    now_at: float | None


def phase_timeline(phases: list[Phase], now: datetime) -> Timeline | None:
    """Each phase's entry and judging periods as percentages of the span from first opening to last judging."""
    live = [phase for phase in phases if phase.status != PhaseStatus.CANCELLED] or phases
    if not live:
        return None
    starts = min(phase.opens_at for phase in live)
    ends = max(phase.judging_ends_at for phase in live)
    span = max((ends - starts).total_seconds(), 1.0)

    def at(moment: datetime) -> float:
        return round(min(max((moment - starts).total_seconds() / span, 0.0), 1.0) * 100, 2)

    rows = [
        TimelineRow(
            phase=phase,
            entry_left=at(phase.opens_at),
            entry_width=round(at(phase.closes_at) - at(phase.opens_at), 2),
            judging_width=round(at(phase.judging_ends_at) - at(phase.closes_at), 2),
            is_current=phase.status in (PhaseStatus.OPEN, PhaseStatus.JUDGING),
        )
        for phase in phases
    ]
    return Timeline(starts=starts, ends=ends, rows=rows, now_at=at(now) if starts <= now <= ends else None)
