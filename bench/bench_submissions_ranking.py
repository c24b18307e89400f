"""How long does ranking a big phase take? Target: under 1 second for 1,000 entries scored by
5 judges on 4 criteria (20,000 scores), with community votes blended in; the queries stay constant.

Rows are bulk-inserted (the services are exercised by the tests); the ranking, the judges'
progress and the gallery's first page are timed as the judge dashboard and gallery load them.

    .venv/bin/python scripts/test.py bench/bench_submissions_ranking.py -s -o python_files='bench_*.py'

BENCH_ENTRIES (default 1000), BENCH_JUDGES (default 5) size the run.
"""

import os
import random
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges.services import CriterionData
from submissions.models import Acceptance, Entry, EntryAuthor, EntryStatus, Score, Vote
from submissions.selectors import panel_progress, phase_gallery, phase_ranking
from submissions.tests.factories import latest, open_phase, published_blueprint, to_judging
from tests.support import FAST_PASSWORD_HASHERS, UserFactory

TARGET_SECONDS = 1.0
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000"))
JUDGES = int(os.environ.get("BENCH_JUDGES", "5"))

pytestmark = pytest.mark.django_db


def test_ranking_a_big_phase(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    owner, staff = UserFactory.create(), UserFactory.create(is_staff=True)
    judges = [UserFactory.create() for _ in range(JUDGES)]
    criteria = [CriterionData(f"Criterion {n}", n + 1) for n in range(4)]
    phase = open_phase(owner, staff, judges=judges, criteria=criteria, vote_share=20, sealed=False)
    members = [UserFactory.create() for _ in range(50)]
    revision = latest(published_blueprint(members[0]))
    now = timezone.now()
    entries = Entry.objects.bulk_create(
        Entry(
            phase=phase,
            lead_author=members[n % len(members)],
            revision=revision,
            title=f"Entry {n}",
            status=EntryStatus.SUBMITTED,
            submitted_at=now - timedelta(seconds=n),
        )
        for n in range(ENTRIES)
    )
    EntryAuthor.objects.bulk_create(
        EntryAuthor(entry=e, user=e.lead_author, share=100, is_lead=True, acceptance=Acceptance.ACCEPTED)
        for e in entries
    )
    to_judging(phase)
    rng = random.Random(5)
    criterion_ids = list(phase.criteria.values_list("pk", flat=True))
    Score.objects.bulk_create(
        (
            Score(judge=j, entry=e, criterion_id=c, value=rng.randint(0, 10))
            for j in judges
            for e in entries
            for c in criterion_ids
        ),
        batch_size=5000,
    )
    Vote.objects.bulk_create(
        (Vote(voter=m, entry=e) for e in entries[:200] for m in members[: rng.randint(0, 10)]), batch_size=5000
    )

    with CaptureQueriesContext(connection) as ranking_queries:
        started = time.perf_counter()
        ranking = phase_ranking(phase=phase)
        ranking_seconds = time.perf_counter() - started
    started = time.perf_counter()
    progress = panel_progress(phase=phase)
    progress_seconds = time.perf_counter() - started
    started = time.perf_counter()
    first_page = list(phase_gallery(user=owner, phase=phase)[:24])
    gallery_seconds = time.perf_counter() - started

    scores = ENTRIES * JUDGES * len(criterion_ids)
    print(f"\nentries={ENTRIES} judges={JUDGES} scores={scores}")
    print(f"ranking: {ranking_seconds:.3f} s in {len(ranking_queries.captured_queries)} queries "
          f"(target {TARGET_SECONDS} s, ratio {ranking_seconds / TARGET_SECONDS:.2f})")  # fmt: skip
    print(f"panel progress: {progress_seconds:.3f} s; gallery first page: {gallery_seconds:.3f} s")
    assert len(ranking) == ENTRIES
    assert len(progress) == JUDGES
    assert len(first_page) == 24
    assert ranking_seconds < TARGET_SECONDS
