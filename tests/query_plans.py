"""Reading PostgreSQL's plans in tests that justify an index: `EXPLAIN (FORMAT JSON)` of a queryset.

    plan = plan_of(queryset)
    assert "blueprints_listed_new" in indexes_used(plan)
    assert "blueprints_blueprint" not in seq_scanned(plan)

The tests build enough rows that a sequential scan would be the planner's alternative, run
`ANALYZE`, and leave the planner free (never `enable_seqscan = off`): the plan they assert is the
one PostgreSQL picks because it is the cheapest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def plan_of(queryset: Any) -> dict[str, Any]:
    raw = queryset.explain(format="json")
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def indexes_used(plan: dict[str, Any]) -> set[str]:
    return {node["Index Name"] for node in nodes(plan) if "Index Name" in node}


def seq_scanned(plan: dict[str, Any]) -> set[str]:
    return {node["Relation Name"] for node in nodes(plan) if node["Node Type"] == "Seq Scan"}


def sorts_more_than(plan: dict[str, Any], rows: int) -> bool:
    """A Sort node reading more rows than `rows` (an index would deliver them in order)."""
    return any(node["Node Type"] == "Sort" and node.get("Plan Rows", 0) > rows for node in nodes(plan))
