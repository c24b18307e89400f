"""Who receives what of a prize: the entry's authors by their agreed shares, and, when the challenge
sets a lineage share, the authors of the revisions the winning blueprint descends from.

The rule (stated on the judging-rules page): the lineage share of the prize goes to the ancestors,
the generation that was forked from directly weighing 1, the one before it 1/2, then 1/4 ... up to
the challenge's number of generations (at most five); the rest goes to the entry's authors by their
shares. Without ancestors the authors receive everything.

Amounts are split exactly: every line's exact part is rounded down to the cent and the cents left
over go, one each, to the lines with the largest remainders (ties: the earlier line). So the parts
sum to the prize, no cent lost or created, and the result does not depend on anything but the input.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

CENTS = 100


@dataclass(frozen=True)
class Line:
    recipient_id: int
    kind: str  # a `ShareKind` value
    weight: Fraction
    generation: int = 0
    source_blueprint_id: int | None = None


@dataclass(frozen=True)
class AuthorShare:
    user_id: int
    percent: Decimal
    is_lead: bool


@dataclass(frozen=True)
class Ancestor:
    generation: int  # 1 = the revision the winning blueprint was forked from
    author_id: int
    blueprint_id: int


def split_exactly(amount: Decimal, lines: Sequence[Line]) -> list[tuple[Line, Decimal]]:
    """`amount` split by the lines' weights into cents (largest remainder); lines getting 0 are left out."""
    cents = int(amount * CENTS)
    if Decimal(cents) != amount * CENTS or cents < 0:
        raise ValueError("The amount is a non-negative number of cents.")
    total = sum((line.weight for line in lines), Fraction(0))
    if total <= 0 or any(line.weight < 0 for line in lines):
        raise ValueError("The weights are non-negative and not all zero.")
    exact = [cents * line.weight / total for line in lines]
    floors = [int(part) for part in exact]  # floor: every part is non-negative
    left = cents - sum(floors)
    by_remainder = sorted(range(len(lines)), key=lambda index: (-(exact[index] - floors[index]), index))
    for index in by_remainder[:left]:
        floors[index] += 1
    return [(line, Decimal(part) / CENTS) for line, part in zip(lines, floors, strict=True) if part > 0]


def prize_lines(
    *, authors: Sequence[AuthorShare], ancestors: Sequence[Ancestor], lineage_percent: int, generations: int
) -> list[Line]:
    """The weighted lines of a prize's split, authors first (lead, then co-authors), then by generation."""
    credited = sorted((a for a in ancestors if 1 <= a.generation <= generations), key=lambda a: a.generation)
    lineage = Fraction(lineage_percent, 100) if credited else Fraction(0)
    lines = [
        Line(
            recipient_id=author.user_id,
            kind="author" if author.is_lead else "co_author",
            weight=(1 - lineage) * Fraction(author.percent) / 100,
        )
        for author in sorted(authors, key=lambda a: (not a.is_lead,))
    ]
    if credited:
        generation_weights = [Fraction(1, 2 ** (a.generation - 1)) for a in credited]
        whole = sum(generation_weights, Fraction(0))
        lines += [
            Line(
                recipient_id=ancestor.author_id,
                kind="lineage",
                weight=lineage * weight / whole,
                generation=ancestor.generation,
                source_blueprint_id=ancestor.blueprint_id,
            )
            for ancestor, weight in zip(credited, generation_weights, strict=True)
        ]
    return [line for line in lines if line.weight > 0]
