"""Members' Markdown is rendered safe; the budget split and timeline numbers add up."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from challenges.charts import budget_split, phase_timeline
from challenges.models import Challenge, Phase, PhaseStatus, Prize
from core.markdown import render_markdown


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("**bold** and _em_", ["<strong>bold</strong>", "<em>em</em>"], []),
        ("<script>alert(1)</script>", [], ["<script"]),
        ('<a href="javascript:alert(1)">x</a>', [], ["javascript:"]),
        ("<img src=x onerror=alert(1)>", [], ["onerror", "<img"]),
        ('<p style="color:red" onclick="x()">hi</p>', ["hi"], ["style=", "onclick"]),
        ("[site](https://example.com)", ['<a href="https://example.com" rel="nofollow noopener">site</a>'], []),
        ("| a | b |\n|---|---|\n| 1 | 2 |", ["<table>", "<td>1</td>"], []),
        ("<iframe src=https://evil.example></iframe>", [], ["<iframe"]),
    ],
)
def test_markdown_keeps_formatting_and_drops_anything_active(text, present, absent):
    html = str(render_markdown(text))

    for fragment in present:
        assert fragment in html
    for fragment in absent:
        assert fragment not in html


PKS = itertools.count(1)


def unsaved_phase(title: str, opens: datetime, days: int, prizes: list[str], status: str = "scheduled") -> Phase:
    """A phase with its prizes as if prefetched: the charts must not query."""
    phase = Phase(pk=next(PKS), title=title, opens_at=opens, closes_at=opens + timedelta(days=days), status=status)
    phase.judging_ends_at = phase.closes_at + timedelta(days=days)
    prizes_ = [Prize(rank=i, amount=Decimal(a)) for i, a in enumerate(prizes, 1)]
    phase._prefetched_objects_cache = {"prizes": prizes_}  # type: ignore[attr-defined]
    return phase


def test_the_budget_split_shows_each_phase_and_what_is_left():
    challenge = Challenge(budget=Decimal("10000"))
    start = datetime(2031, 1, 1, tzinfo=ZoneInfo("UTC"))
    phases = [unsaved_phase("Concept", start, 10, ["3000", "1000"]), unsaved_phase("Front", start, 10, ["2500"])]

    slices = budget_split(challenge, phases)

    assert [(s.label, s.amount, s.percent) for s in slices] == [
        ("Concept", Decimal("4000"), Decimal("40.0")),
        ("Front", Decimal("2500"), Decimal("25.0")),
        ("", Decimal("3500"), Decimal("35.0")),
    ]


def test_the_timeline_places_entry_and_judging_periods_on_one_axis():
    start = datetime(2031, 1, 1, tzinfo=ZoneInfo("UTC"))
    concept = unsaved_phase("Concept", start, 10, [], status=PhaseStatus.OPEN)  # 0-10 entries, 10-20 judging
    front = unsaved_phase("Front", start + timedelta(days=20), 10, [])  # 20-30 entries, 30-40 judging

    timeline = phase_timeline([concept, front], now=start + timedelta(days=5))

    assert timeline is not None
    assert [(r.entry_left, r.entry_width, r.judging_width, r.is_current) for r in timeline.rows] == [
        (0.0, 25.0, 25.0, True),
        (50.0, 25.0, 25.0, False),
    ]
    assert timeline.now_at == 12.5
    assert phase_timeline([], now=start) is None
