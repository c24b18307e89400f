"""The indexes of the challenge list, justified by PostgreSQL's own plans (after ANALYZE, the
planner left free): the first page reads the ordering index and stops after the page."""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from challenges import selectors
from challenges.models import Challenge
from challenges.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROWS = 4000


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


def _plan(queryset: Any) -> dict[str, Any]:
    raw = queryset.explain(format="json")
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _indexes(plan: dict[str, Any]) -> set[str]:
    return {node["Index Name"] for node in _nodes(plan) if "Index Name" in node}


def _sorts_every_row(plan: dict[str, Any]) -> bool:
    return any(node["Node Type"] == "Sort" and node.get("Plan Rows", 0) > 500 for node in _nodes(plan))


@pytest.fixture
def many_challenges(db: None) -> list[Any]:
    owners = UserFactory.create_batch(20)
    start = timezone.now() - timedelta(days=400)
    Challenge.objects.bulk_create(
        Challenge(
            owner=owners[n % len(owners)],
            title=f"Challenge {n}",
            slug=f"challenge-{n}",
            summary="A vehicle.",
            vehicle_type="truck" if n % 3 else "bus",
            budget=Decimal("1000.00"),
            status="open" if n % 5 else "draft",
            published_at=start + timedelta(hours=n) if n % 5 else None,
        )
        for n in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE challenges_challenge")
    return owners


def test_the_public_list_reads_the_published_index(many_challenges: Any) -> None:
    filters = selectors.ChallengeFilters()
    plan = _plan(selectors.challenge_list(user=None, filters=filters)[:13])
    assert "challenges_published_idx" in _indexes(plan), json.dumps(plan, indent=1)
    assert not _sorts_every_row(plan), json.dumps(plan, indent=1)


def test_my_challenges_read_the_owner_index(many_challenges: Any) -> None:
    filters = selectors.ChallengeFilters(mine=True)
    plan = _plan(selectors.challenge_list(user=many_challenges[0], filters=filters)[:13])
    assert "challenges_owner_created_idx" in _indexes(plan), json.dumps(plan, indent=1)
