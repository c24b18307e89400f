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
from tests.query_plans import indexes_used, plan_of, sorts_more_than
from tests.support import UserFactory

pytestmark = pytest.mark.django_db

ROWS = 4000


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
    plan = plan_of(selectors.challenge_list(user=None, filters=filters)[:13])
    assert "challenges_published_idx" in indexes_used(plan), json.dumps(plan, indent=1)
    assert not sorts_more_than(plan, 500), json.dumps(plan, indent=1)


def test_my_challenges_read_the_owner_index(many_challenges: Any) -> None:
    filters = selectors.ChallengeFilters(mine=True)
    plan = plan_of(selectors.challenge_list(user=many_challenges[0], filters=filters)[:13])
    assert "challenges_owner_created_idx" in indexes_used(plan), json.dumps(plan, indent=1)
