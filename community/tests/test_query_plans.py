"""The community's lists use the indexes of migration 0005_scale_indexes at a size where a
sequential scan would be the alternative: 30,000 notifications, 20,000 members, 20,000 comments,
analysed. Each test asserts the plan of `EXPLAIN (FORMAT JSON)` of a page's query."""

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from community import selectors
from community.models import Comment, Notification, User
from tests.query_plans import indexes_used, plan_of, seq_scanned

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(ada: Any, jonas: Any) -> None:
    """20,000 members (1 in 10 unlisted), 30,000 notifications over 30 members (Ada has 1,000,
    half read), 20,000 comments on 200 members' worth of targets (1 in 4 a reply)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO community_user (
                password, is_superuser, email, display_name, country, skills, experience, bio, avatar,
                time_zone, preferred_language, email_frequency, email_muted_kinds, show_earnings,
                listed_in_directory, reputation, is_staff, is_active, date_joined)
            SELECT '!', false, 'crowd' || g || '@example.com', 'Crowd ' || g, 'DE', '{}', 'enthusiast', '', '',
                   'UTC', 'en', 'immediate', '{}', false, g % 10 <> 0, g % 500, false, true,
                   now() - g * interval '1 hour'
            FROM generate_series(1, 20000) AS g
            """
        )
        cursor.execute(
            """
            INSERT INTO community_notification (
                recipient_id, kind, event_key, context, url, created_at, read_at, email_state)
            SELECT CASE WHEN g <= 1000 THEN %s ELSE (SELECT min(id) FROM community_user) + g %% 29 + 1 END,
                   'challenge_published', 'crowd:' || g, '{}', '', now() - g * interval '1 minute',
                   CASE WHEN g %% 2 = 0 THEN now() END, 'none'
            FROM generate_series(1, 30000) AS g
            ORDER BY random()
            """,
            [ada.pk],
        )
        content_type = ContentType.objects.get_for_model(User).pk
        cursor.execute(
            """
            INSERT INTO community_comment (
                content_type_id, object_id, author_id, body, body_html, created_at, is_hidden, hidden_reason)
            SELECT %s, g %% 200, %s, 'Bulk', '<p>Bulk</p>', now() - g * interval '1 minute', false, ''
            FROM generate_series(1, 20000) AS g
            ORDER BY random()
            """,
            [content_type, jonas.pk],
        )
        cursor.execute("ANALYZE community_user")
        cursor.execute("ANALYZE community_notification")
        cursor.execute("ANALYZE community_comment")


@pytest.mark.parametrize("unread_only", [False, True])
def test_a_page_of_notifications_is_an_index_range_scan(crowd: None, ada: Any, unread_only: bool) -> None:
    plan = plan_of(selectors.notifications_for(user=ada, unread_only=unread_only)[:31])
    expected = "community_notif_unread_page" if unread_only else "community_notif_page"
    assert expected in indexes_used(plan)
    assert "community_notification" not in seq_scanned(plan)


def test_the_unread_count_reads_at_most_a_hundred_index_entries(crowd: None, ada: Any) -> None:
    unread = Notification.objects.filter(recipient=ada, read_at__isnull=True).order_by()[:100]
    plan = plan_of(unread)
    assert "community_notification" not in seq_scanned(plan)
    assert selectors.notification_unread_count(user=ada) == 99
    assert str(selectors.notification_unread_count(user=ada)) == "99+"


@pytest.mark.parametrize("sort", ["reputation", "name", "newest"])
def test_each_sort_of_the_directory_is_an_index_range_scan(crowd: None, sort: str) -> None:
    members = selectors.member_directory(filters=selectors.DirectoryFilters(sort=sort))
    plan = plan_of(members[:25])
    assert indexes_used(plan) & {
        "community_user_dir_rep_idx",
        "community_user_dir_name_idx",
        "community_user_dir_new_idx",
    }
    assert "community_user" not in seq_scanned(plan)


def test_the_leaderboard_is_an_index_range_scan(crowd: None) -> None:
    members = User.objects.filter(is_active=True, listed_in_directory=True, reputation__gt=0).order_by(
        "-reputation", "display_name", "pk"
    )
    plan = plan_of(members[:50])
    assert "community_user_dir_rep_idx" in indexes_used(plan)
    assert "community_user" not in seq_scanned(plan)


def test_a_page_of_a_thread_is_an_index_range_scan(crowd: None) -> None:
    content_type = ContentType.objects.get_for_model(User)
    top = Comment.objects.filter(content_type=content_type, object_id=7, parent__isnull=True)
    plan = plan_of(top.order_by(*selectors.THREAD_ORDERING)[:31])
    assert indexes_used(plan) & {"community_comment_top_idx", "community_comment_target_idx"}
    assert "community_comment" not in seq_scanned(plan)
