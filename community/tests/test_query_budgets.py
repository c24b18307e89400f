"""Query budgets of the community's list pages and list APIs: the number of queries of a page does
not grow with the rows behind it (measured at two data sizes, signed in and anonymous).

Each `grow` adds more rows than a page shows, so a list that is not bounded would show it."""

from typing import Any

import pytest

from community.models import Follow, Notification, User
from community.tests.factories import make_comments
from tests.query_budget import assert_query_count_flat
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def more_members(count: int = 30) -> None:
    User.objects.bulk_create(
        [
            User(
                email=f"bulk-{User.objects.count()}-{number}@example.com",
                display_name=f"Bulk {number}",
                reputation=number,
                skills=["welding"],
                country="DE",
            )
            for number in range(count)
        ]
    )


def more_notifications(member: Any, count: int = 40) -> None:
    start = Notification.objects.filter(recipient=member).count()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=member,
                kind="challenge_published",
                event_key=f"bulk:{start + number}",
                context={"challenge": f"Challenge {number}", "actor": "Ada"},
                url=f"/challenges/c-{number}/",
            )
            for number in range(count)
        ]
    )


@pytest.fixture(params=["anonymous", "signed in"])
def viewer(request: Any, client: Any, ada: Any) -> Any:
    if request.param == "signed in":
        client.force_login(ada)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/members/",
        "/members/?sort=name",
        "/members/?sort=newest",
        "/members/?q=bulk",
        "/members/leaderboard/",
        "/members/reputation/",
        "/api/v1/members/",
        "/api/v1/members/?sort=name",
        "/api/v1/members/?sort=newest&skill=welding",
        "/api/v1/leaderboard/",
    ],
)
def test_member_lists_cost_the_same_however_many_members(viewer: Any, url: str) -> None:
    more_members()
    assert_query_count_flat(viewer, url, grow=more_members, budget=12)


def test_a_profile_costs_the_same_however_long_its_portfolio_and_followers(viewer: Any, jonas: Any) -> None:
    user_type_follows = lambda: [  # noqa: E731
        Follow.objects.get_or_create(follower=UserFactory.create(), content_type_id=_user_type(), object_id=jonas.pk)
        for _ in range(3)
    ]
    assert_query_count_flat(viewer, f"/members/{jonas.pk}/", grow=user_type_follows, budget=16)


def _user_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(User).pk


def test_notifications_cost_a_page_however_many_a_member_has(client: Any, ada: Any) -> None:
    client.force_login(ada)
    more_notifications(ada)
    for url in ("/members/notifications/", "/members/notifications/?unread=1", "/api/v1/notifications/"):
        assert_query_count_flat(client, url, grow=lambda: more_notifications(ada), budget=10)


def test_the_unread_count_stops_at_99(client: Any, ada: Any) -> None:
    client.force_login(ada)
    more_notifications(ada, count=150)
    response = client.get("/members/notifications/")
    assert b"99+" in response.content
    page = client.get("/members/notifications/")
    assert page.content.count(b'data-testid="notification"') == 30
    assert b'rel="next"' in page.content


def test_following_pages_cost_the_same_however_much_a_member_follows(client: Any, ada: Any) -> None:
    client.force_login(ada)

    def follow_more() -> None:
        Follow.objects.bulk_create(
            [Follow(follower=ada, content_type_id=_user_type(), object_id=member.pk) for member in _members(60)]
        )

    follow_more()
    for url in ("/members/me/following/", "/api/v1/follows/"):
        assert_query_count_flat(client, url, grow=follow_more, budget=10)


def _members(count: int) -> list[User]:
    more_members(count)
    return list(User.objects.order_by("-pk")[:count])


def test_the_comment_api_costs_a_page_however_long_the_thread(viewer: Any, ada: Any, jonas: Any) -> None:
    url = f"/api/v1/comments/?target=community.user&object_id={jonas.pk}"
    # Members are not commentable: comment on a blueprint instead (registered by the blueprints app).
    from blueprints.tests.conftest import make_published

    blueprint = make_published(jonas, "Roll cage")
    url = f"/api/v1/comments/?target=blueprints.blueprint&object_id={blueprint.pk}"
    make_comments(blueprint, ada, 35, replies=2)
    assert_query_count_flat(viewer, url, grow=lambda: make_comments(blueprint, jonas, 40, replies=3), budget=10)


def test_the_comment_api_pages_with_a_cursor_oldest_first(client: Any, ada: Any, jonas: Any) -> None:
    from blueprints.tests.conftest import make_published

    blueprint = make_published(jonas, "Roll cage")
    make_comments(blueprint, ada, 45, replies=1)
    first = client.get(f"/api/v1/comments/?target=blueprints.blueprint&object_id={blueprint.pk}").json()
    assert set(first) == {"next", "previous", "results"}
    assert [c["body"] for c in first["results"][:3]] == ["Comment 0", "Comment 0", "Comment 1"]
    assert len([c for c in first["results"] if c["parent"] is None]) == 30
    second = client.get(first["next"]).json()
    assert len([c for c in second["results"] if c["parent"] is None]) == 15
    assert second["next"] is None
    assert second["previous"]


def test_the_home_feed_costs_one_visibility_query_per_kind_of_target(client: Any, ada: Any, jonas: Any) -> None:
    """The feed checks what the member may see with one query per content type (not per item)."""
    from django.contrib.contenttypes.models import ContentType

    from blueprints.tests.conftest import make_published

    client.force_login(ada)
    blueprint_type = ContentType.objects.get_for_model(make_published(jonas, "Seed")).pk

    def follow_and_discuss() -> None:
        for number in range(4):
            blueprint = make_published(jonas, f"Frame {Follow.objects.count()}-{number}")
            Follow.objects.create(follower=ada, content_type_id=blueprint_type, object_id=blueprint.pk)
            make_comments(blueprint, jonas, 3)
        Follow.objects.get_or_create(follower=ada, content_type_id=_user_type(), object_id=jonas.pk)
        more_notifications(ada, 5)

    follow_and_discuss()
    assert_query_count_flat(client, "/", grow=follow_and_discuss, budget=12)
    assert b"commented on" in client.get("/").content


def test_the_home_page_costs_the_same_for_visitors(client: Any, jonas: Any) -> None:
    assert_query_count_flat(client, "/", grow=lambda: more_notifications(jonas), budget=6)
