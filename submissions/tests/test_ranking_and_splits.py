"""Properties of the ranking and of the prize split, with Hypothesis.

Ranking: relabelling or reordering judges, entries and scores changes nothing; the stated
tie-breaks decide. Split: for any fork tree, the parts sum exactly to the prize, no cent lost or
created, each within a cent of its exact share."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from submissions.ranking import EntryFacts, ScoreFacts, rank_entries
from submissions.splits import Ancestor, AuthorShare, Line, prize_lines, split_exactly

START = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def judged_phases(draw):
    entry_count = draw(st.integers(1, 6))
    judge_count = draw(st.integers(1, 4))
    criteria = {100 + i: draw(st.integers(1, 5)) for i in range(draw(st.integers(1, 3)))}
    entries = [
        EntryFacts(
            entry_id=i + 1,
            submitted_at=START + timedelta(minutes=draw(st.integers(0, 3))),
            votes=draw(st.integers(0, 5)),
        )
        for i in range(entry_count)
    ]
    scores = []
    for judge in range(judge_count):
        for entry in entries:
            if draw(st.booleans()):  # not every judge scores (or may score) every entry, nor every criterion
                scored = draw(st.lists(st.sampled_from(sorted(criteria)), min_size=1, unique=True))
                scores += [
                    ScoreFacts(judge + 1, entry.entry_id, criterion, draw(st.integers(0, 10))) for criterion in scored
                ]
    share = Fraction(draw(st.integers(0, 50)), 100)
    return entries, scores, criteria, share


@settings(max_examples=150, deadline=None)
@given(judged_phases(), st.randoms(use_true_random=False))
def test_permuting_or_relabelling_judges_entries_and_scores_changes_nothing(phase, random):
    entries, scores, weights, share = phase
    expected = rank_entries(entries, scores, weights, share)

    shuffled_entries, shuffled_scores = entries[:], scores[:]
    random.shuffle(shuffled_entries)
    random.shuffle(shuffled_scores)
    judge_ids = sorted({s.judge_id for s in scores})
    relabel = dict(zip(judge_ids, random.sample(range(1000, 2000), len(judge_ids)), strict=True))
    relabelled = [ScoreFacts(relabel[s.judge_id], s.entry_id, s.criterion_id, s.value) for s in shuffled_scores]

    assert rank_entries(shuffled_entries, relabelled, weights, share) == expected


@settings(max_examples=150, deadline=None)
@given(judged_phases())
def test_the_order_follows_total_then_first_places_then_submission(phase):
    entries, scores, weights, share = phase
    ranked = rank_entries(entries, scores, weights, share)
    submitted = {entry.entry_id: entry.submitted_at for entry in entries}

    assert [row.position for row in ranked] == list(range(1, len(entries) + 1))
    for before, after in zip(ranked, ranked[1:], strict=False):
        if before.total is None:
            assert after.total is None
        elif after.total is not None and before.total == after.total:
            assert (before.first_places, -submitted[before.entry_id].timestamp()) >= (
                after.first_places,
                -submitted[after.entry_id].timestamp(),
            )
        elif after.total is not None:
            assert before.total > after.total


def test_each_judge_weighs_the_same_however_many_criteria_they_scored():
    # Judge A gives c1 (weight 1) a 10 and nothing else; judge B gives 0 on c1 and on c2 (weight 3).
    # Per judge: A 10, B 0; the entry's judges' score is their mean, 5 (not pooled 10 / 5 = 2).
    weights = {1: 1, 2: 3}
    scores = [ScoreFacts(judge_id=1, entry_id=7, criterion_id=1, value=10)]
    scores += [ScoreFacts(judge_id=2, entry_id=7, criterion_id=c, value=0) for c in (1, 2)]

    (row,) = rank_entries([EntryFacts(7, START)], scores, weights)

    assert (row.judges_score, row.total, row.judges) == (Fraction(5), Fraction(5), 2)


@settings(max_examples=150, deadline=None)
@given(judged_phases())
def test_the_judges_score_is_the_mean_over_judges_of_each_judges_weighted_mean(phase):
    entries, scores, weights, share = phase
    per_judge: dict[tuple[int, int], list[ScoreFacts]] = {}
    for score in scores:
        per_judge.setdefault((score.entry_id, score.judge_id), []).append(score)

    for row in rank_entries(entries, scores, weights, share):
        means = [
            Fraction(sum(weights[s.criterion_id] * s.value for s in given), sum(weights[s.criterion_id] for s in given))
            for (entry_id, _judge), given in per_judge.items()
            if entry_id == row.entry_id
        ]
        assert row.judges == len(means)
        assert row.judges_score == (sum(means, Fraction(0)) / len(means) if means else None)


def test_an_entry_scored_higher_by_every_judge_ranks_higher():
    entries = [EntryFacts(1, START), EntryFacts(2, START - timedelta(days=1))]
    scores = [ScoreFacts(j, 1, 10, 8) for j in (1, 2)] + [ScoreFacts(j, 2, 10, 7) for j in (1, 2)]
    assert [row.entry_id for row in rank_entries(entries, scores, {10: 1})] == [1, 2]


# --- Splits ---------------------------------------------------------------------------------------


@st.composite
def fork_trees(draw):
    """A winning blueprint's chain of ancestors in an arbitrary fork tree, and the entry's authors."""
    depth = draw(st.integers(0, 8))
    ancestors = [
        Ancestor(generation=g, author_id=draw(st.integers(1, 6)), blueprint_id=1000 + g) for g in range(1, depth + 1)
    ]
    co_authors = draw(st.integers(0, 3))
    shares = draw(
        st.lists(st.integers(1, 9000), min_size=co_authors, max_size=co_authors).filter(lambda s: sum(s) < 10000)
    )
    authors = [AuthorShare(user_id=10, percent=Decimal(10000 - sum(shares)) / 100, is_lead=True)]
    authors += [AuthorShare(user_id=11 + i, percent=Decimal(s) / 100, is_lead=False) for i, s in enumerate(shares)]
    return authors, ancestors


amounts = st.integers(1, 10**9).map(lambda cents: Decimal(cents) / 100)


@settings(max_examples=300, deadline=None)
@given(fork_trees(), amounts, st.integers(0, 30), st.integers(1, 5))
def test_a_prize_split_sums_exactly_to_the_prize_for_any_fork_tree(tree, amount, lineage, generations):
    authors, ancestors = tree
    lines = prize_lines(authors=authors, ancestors=ancestors, lineage_percent=lineage, generations=generations)
    parts = split_exactly(amount, lines)

    assert sum((part for _line, part in parts), Decimal(0)) == amount
    total_weight = sum(line.weight for line in lines)
    for line, part in parts:
        assert part == part.quantize(Decimal("0.01"))
        assert part > 0
        assert abs(Fraction(part) - Fraction(amount) * line.weight / total_weight) < Fraction(1, 100)
    credited = [line for line, _part in parts if line.kind == "lineage"]
    assert all(1 <= line.generation <= generations for line in credited)
    if not ancestors or lineage == 0:
        assert not credited


def test_lineage_halves_per_generation_and_stops_after_the_declared_number():
    authors = [AuthorShare(1, Decimal(100), True)]
    ancestors = [Ancestor(g, 100 + g, 200 + g) for g in range(1, 8)]

    lines = prize_lines(authors=authors, ancestors=ancestors, lineage_percent=30, generations=3)
    parts = {(line.kind, line.generation): part for line, part in split_exactly(Decimal("7000.00"), lines)}

    # 30 % of 7000 = 2100 over weights 1, 1/2, 1/4 (sum 7/4): 1200, 600, 300.
    assert parts == {
        ("author", 0): Decimal("4900.00"),
        ("lineage", 1): Decimal("1200.00"),
        ("lineage", 2): Decimal("600.00"),
        ("lineage", 3): Decimal("300.00"),
    }


def test_leftover_cents_go_to_the_largest_remainders_then_the_earlier_line():
    lines = [Line(1, "author", Fraction(1)), Line(2, "co_author", Fraction(1)), Line(3, "co_author", Fraction(1))]
    assert [part for _line, part in split_exactly(Decimal("0.02"), lines)] == [Decimal("0.01"), Decimal("0.01")]
    assert [part for _line, part in split_exactly(Decimal("100.00"), lines)] == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
