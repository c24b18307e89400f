"""Community at scale: one event told to 5,000 followers, the member directory and a long thread.

Targets: notify() for 5,000 recipients under 2 s (one INSERT ... ON CONFLICT statement; announcing
it again creates nothing); the directory page over 5,000 members and a 300-comment thread page
each under 0.5 s, in a constant number of queries.

    .venv/bin/python scripts/test.py bench/bench_community.py -s -o python_files='bench_*.py'
"""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.models import Comment, Notification, User
from community.services import notify

MEMBERS = 5000
COMMENTS = 300

pytestmark = pytest.mark.django_db


def _members(count: int) -> list[int]:
    password = make_password(None)
    User.objects.bulk_create(
        User(email=f"bench{n}@example.com", display_name=f"Bench {n}", country="DE", skills=["cad"], password=password)
        for n in range(count)
    )
    return list(User.objects.values_list("pk", flat=True))


def _timed(label: str, target: float, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = action()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.3f} s, {len(queries)} queries (target {target} s, ratio {seconds / target:.2f})")
    assert seconds < target
    return result


def test_community_at_scale(client, monkeypatch):
    from community import tasks

    monkeypatch.setattr(tasks.send_notification_email, "delay", lambda pk: None)
    ids = _members(MEMBERS)
    context = {"challenge": "Bench", "phase": "Concept"}
    created = _timed(
        f"notify {MEMBERS} followers",
        2.0,
        lambda: notify(recipient_ids=ids, kind="phase_opened", event_key="bench:1", context=context),
    )
    again = _timed(
        "the same event again",
        2.0,
        lambda: notify(recipient_ids=ids, kind="phase_opened", event_key="bench:1", context=context),
    )
    assert (created, again) == (MEMBERS, 0)
    assert Notification.objects.count() == MEMBERS
    client.get("/members/?sort=name")  # warm up: templates compiled, URLs resolved
    _timed("directory page (5,000 members)", 0.5, lambda: client.get("/members/?sort=reputation"))
    from django.contrib.contenttypes.models import ContentType

    author = User.objects.get(pk=ids[0])
    user_type = ContentType.objects.get_for_model(User)
    Comment.objects.bulk_create(
        Comment(content_type=user_type, object_id=author.pk, author=author, body=f"c{n}", body_html=f"<p>c{n}</p>")
        for n in range(COMMENTS)
    )
    from community.selectors import comment_thread

    _timed(f"thread of {COMMENTS} comments (selector)", 0.5, lambda: comment_thread(obj=author))
