"""The ranking of a phase's entries, as a pure function of the scores, weights and votes.

Exact arithmetic (fractions), so the order of judges, entries or scores cannot change a result.

- A judge's score of an entry is the weighted mean of the criterion scores that judge gave it
  (over the criteria they scored). An entry's judges' score is the plain mean of those, over the
  judges who scored it: every judge weighs the same, however many criteria they scored (a recused
  judge has no scores on it, so the mean rests on the others).
- With a community-vote share `s` (0 to 1/2), the total is `(1 - s) * judges' score + s * vote score`,
  the vote score being 10 × the entry's votes / the most votes any entry of the phase has.
- Ties are broken by more first places (an entry is a judge's first place when no entry has a
  higher score from that judge), then by the earlier submission, then by the lower id.
- Entries no judge has scored come last, in the same tie-break order.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

MAX_SCORE = 10


@dataclass(frozen=True)
class EntryFacts:
    entry_id: int
    submitted_at: datetime
    votes: int = 0


@dataclass(frozen=True)
class ScoreFacts:
    judge_id: int
    entry_id: int
    criterion_id: int
    value: int


@dataclass(frozen=True)
class Ranked:
    entry_id: int
    position: int
    judges_score: Fraction | None
    vote_score: Fraction
    total: Fraction | None
    first_places: int
    judges: int


def rank_entries(
    entries: Iterable[EntryFacts],
    scores: Iterable[ScoreFacts],
    weights: Mapping[int, int],
    vote_share: Fraction = Fraction(0),
) -> list[Ranked]:
    if not 0 <= vote_share <= Fraction(1, 2):
        raise ValueError("The vote share is between 0 and 1/2.")
    entries = list(entries)
    known = {entry.entry_id for entry in entries}
    # Whole numbers while summing (weights and scores are integers); one fraction per judge and entry.
    per_judge: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for score in scores:
        if score.entry_id not in known:
            continue
        weight = weights[score.criterion_id]
        pair = per_judge[(score.judge_id, score.entry_id)]
        pair[0] += weight * score.value
        pair[1] += weight

    judge_scores: dict[int, dict[int, Fraction]] = defaultdict(dict)
    for (judge_id, entry_id), (points, weight_total) in per_judge.items():
        if weight_total:
            judge_scores[judge_id][entry_id] = Fraction(points, weight_total)
    first_places: dict[int, int] = defaultdict(int)
    judges_of: dict[int, int] = defaultdict(int)
    judges_sum: dict[int, Fraction] = defaultdict(Fraction)
    for by_entry in judge_scores.values():
        best = max(by_entry.values())
        for entry_id, value in by_entry.items():
            judges_of[entry_id] += 1
            judges_sum[entry_id] += value
            if value == best:
                first_places[entry_id] += 1

    most_votes = max((entry.votes for entry in entries), default=0)
    rows: list[tuple[EntryFacts, Fraction | None, Fraction, Fraction | None]] = []
    for entry in entries:
        judges = judges_of[entry.entry_id]
        judged = judges_sum[entry.entry_id] / judges if judges else None
        votes = Fraction(MAX_SCORE * entry.votes, most_votes) if most_votes else Fraction(0)
        total: Fraction | None = None if judged is None else (1 - vote_share) * judged + vote_share * votes
        rows.append((entry, judged, votes, total))

    def key(row: tuple[EntryFacts, Fraction | None, Fraction, Fraction | None]) -> tuple[object, ...]:
        entry, _judged, _votes, total = row
        return (
            total is None,
            -(total or 0),
            -first_places[entry.entry_id],
            entry.submitted_at,
            entry.entry_id,
        )

    rows.sort(key=key)
    return [
        Ranked(
            entry_id=entry.entry_id,
            position=index,
            judges_score=judged,
            vote_score=votes,
            total=total,
            first_places=first_places[entry.entry_id],
            judges=judges_of[entry.entry_id],
        )
        for index, (entry, judged, votes, total) in enumerate(rows, start=1)
    ]
