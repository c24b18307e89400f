"""The indexes of the entry lists, justified by PostgreSQL's own plans.

Thousands of rows are written in bulk, the table is ANALYZEd, and `EXPLAIN (FORMAT JSON)` of the
first page must read the ordering index and stop after the page: no sort of every visible entry,
no aggregate over every vote (the 884 MB sort of issue 14). The planner is left free (no
`enable_seqscan = off`): with statistics, this is the plan it picks because it is the cheapest.
"""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from submissions import selectors
from submissions.models import Entry, EntryAuthor, EntryStatus, Vote
from submissions.tests.factories import enter, latest, open_phase, published_blueprint
from tests.query_plans import indexes_used, nodes, plan_of, sorts_more_than
from tests.support import UserFactory

pytestmark = pytest.mark.django_db

ROWS = 6000


@pytest.fixture
def many_entries(owner: Any, staff: Any, judge: Any) -> Any:
    """Two unsealed open phases with `ROWS` submitted entries (bulk), a few votes, and statistics."""
    phases = [open_phase(owner, staff, sealed=False, title=f"Plan {n}") for n in range(2)]
    author = UserFactory.create()
    revision = latest(published_blueprint(author))
    start = timezone.now() - timedelta(days=30)
    entries = Entry.objects.bulk_create(
        Entry(
            phase=phases[n % 2],
            lead_author=author,
            revision=revision,
            title=f"Bulk {n}",
            status=EntryStatus.SUBMITTED,
            submitted_at=start + timedelta(minutes=n),
        )
        for n in range(ROWS)
    )
    EntryAuthor.objects.bulk_create(
        EntryAuthor(entry=entry, user=author, share=100, is_lead=True, acceptance="accepted") for entry in entries
    )
    voters = UserFactory.create_batch(3)
    Vote.objects.bulk_create(Vote(voter=voter, entry=entry) for entry in entries[:2000] for voter in voters)
    enter(phases[0], UserFactory.create())
    with connection.cursor() as cursor:
        for table in (
            "submissions_entry",
            "submissions_entryauthor",
            "submissions_vote",
            "challenges_phase",
            "challenges_challenge",
        ):
            cursor.execute(f"ANALYZE {table}")
    return phases


def test_the_entry_list_reads_the_listed_index_and_counts_votes_per_row(many_entries: Any) -> None:
    page = selectors.entry_list(user=None)[:26]
    plan = plan_of(page)
    assert "submissions_entry_listed_idx" in indexes_used(plan), json.dumps(plan, indent=1)
    assert not sorts_more_than(plan, 1000), json.dumps(plan, indent=1)
    # The vote count is a subplan per listed row, not an aggregate over every vote.
    assert not any(node["Node Type"] == "Aggregate" and node.get("Plan Rows", 0) > 1000 for node in nodes(plan))


def test_the_signed_in_entry_list_reads_the_listed_index_too(many_entries: Any, outsider: Any) -> None:
    plan = plan_of(selectors.entry_list(user=outsider)[:26])
    assert "submissions_entry_listed_idx" in indexes_used(plan), json.dumps(plan, indent=1)
    assert not sorts_more_than(plan, 1000), json.dumps(plan, indent=1)


def test_the_gallery_reads_the_phase_index(many_entries: Any) -> None:
    plan = plan_of(selectors.phase_gallery(user=None, phase=many_entries[0])[:25])
    assert "submissions_entry_phase_idx" in indexes_used(plan), json.dumps(plan, indent=1)
    assert not sorts_more_than(plan, 1000), json.dumps(plan, indent=1)
