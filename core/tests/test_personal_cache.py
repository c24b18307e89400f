"""The personal cache (`core.personal_cache`): a signed-in member's pages served from their own entries,
retired by a write to anything the page read, never shown to anyone else, with the menu's unread badge
rendered fresh on every request."""

from typing import Any

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from challenges.tests.factories import add_phase, make_challenge, publish
from community.services import comment_create, notification_mark_read, notify
from core import caching, personal_cache
from core.tests.clients import as_member

pytestmark = pytest.mark.django_db

LABEL = "challenges.challenge"


@pytest.fixture(autouse=True)
def cache_on(settings: Any) -> None:
    settings.PUBLIC_CACHE_SECONDS = 300
    caching.bump_now(*caching.all_topics())


@pytest.fixture
def challenge(owner: Any, staff: Any) -> Any:
    challenge = make_challenge(owner, title="Desert ambulance")
    add_phase(challenge)
    return publish(challenge, staff=staff)


def get(client: Any, url: str, **headers: str) -> tuple[Any, list[str]]:
    """The response and the SQL it cost."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response, [query["sql"] for query in captured.captured_queries]


def content_queries(queries: list[str]) -> list[str]:
    """Queries beyond signing the member in (the session's user row) and the unread badge."""
    signing_in = 'FROM "community_user" WHERE "community_user"."id" = '
    return [q for q in queries if signing_in not in q and "community_notification" not in q]


def notify_member(member: Any, key: str) -> None:
    notify(recipient_ids=[member.pk], kind="comment_reply", event_key=key, context={"author": "Bo", "target": "x"})


@pytest.mark.parametrize("url", ["/", "/challenges/", "/blueprints/", "/members/", "/api/v1/challenges/"])
def test_a_signed_in_members_second_request_is_served_from_their_entry(challenge, stranger, url):
    member = as_member(stranger)
    first, first_queries = get(member, url)
    second, second_queries = get(member, url)
    assert content_queries(first_queries)
    assert content_queries(second_queries) == []
    assert second.content.replace(b"\n", b"") != b""
    if not url.startswith("/api/"):
        assert b"Stranger" in second.content


def test_an_entry_is_never_served_to_another_member(challenge, stranger, owner):
    stranger_page, _ = get(as_member(stranger), "/challenges/")
    owner_page, queries = get(as_member(owner), "/challenges/")
    assert b"Stranger" in stranger_page.content
    assert b"Stranger" not in owner_page.content
    assert b"Client" in owner_page.content
    assert content_queries(queries), "the second member's page was rendered for them"


def test_a_comment_retires_the_entries_of_the_page_that_shows_comments(
    challenge, stranger, owner, django_capture_on_commit_callbacks
):
    member = as_member(stranger)
    assert b"Is it diesel?" not in get(member, challenge.get_absolute_url())[0].content
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=owner, label=LABEL, object_id=challenge.pk, body="Is it diesel?")
    page, queries = get(member, challenge.get_absolute_url())
    assert content_queries(queries)
    assert b"Is it diesel?" in page.content


def test_the_unread_badge_is_fresh_on_a_page_served_from_the_entry(
    challenge, stranger, django_capture_on_commit_callbacks
):
    member = as_member(stranger)
    before, _ = get(member, "/challenges/")
    assert b'data-testid="unread-count"' not in before.content
    with django_capture_on_commit_callbacks(execute=True):
        notify_member(stranger, "reply-1")
    after, queries = get(member, "/challenges/")
    assert content_queries(queries) == [], "a notification retires none of the member's other pages"
    assert b'data-testid="unread-count"' in after.content
    assert b'aria-label="1 unread notification"' in after.content


def test_a_notification_retires_the_members_own_notification_list_and_home_feed_only(
    challenge, stranger, owner, django_capture_on_commit_callbacks
):
    member, other = as_member(stranger), as_member(owner)
    for client in (member, other):
        get(client, "/members/notifications/")
        get(client, "/api/v1/notifications/")
    with django_capture_on_commit_callbacks(execute=True):
        notify_member(stranger, "reply-2")
    page, queries = get(member, "/members/notifications/")
    api, _ = get(member, "/api/v1/notifications/")
    assert content_queries(queries) or any("community_notification" in q for q in queries)
    assert api.json()["results"][0]["kind"] == "comment_reply"
    _, other_queries = get(other, "/api/v1/notifications/")
    assert content_queries(other_queries) == []
    assert not any("community_notification" in q for q in other_queries)

    with django_capture_on_commit_callbacks(execute=True):
        notification_mark_read(user=stranger)
    api, _ = get(member, "/api/v1/notifications/")
    assert api.json()["results"][0]["read_at"] is not None


def test_a_change_to_the_members_own_row_is_a_new_entry(challenge, stranger):
    member = as_member(stranger)
    get(member, "/challenges/")
    stranger.display_name = "Renamed"
    stranger.save(update_fields=["display_name"])
    page, _ = get(member, "/challenges/")
    assert b"Renamed" in page.content


def test_a_hard_reload_renders_afresh(challenge, stranger):
    member = as_member(stranger)
    get(member, "/challenges/")
    _, queries = get(member, "/challenges/", **{"Cache-Control": "no-cache"})
    assert content_queries(queries)


def test_a_member_with_messages_waiting_gets_a_fresh_page_that_shows_them(challenge, stranger, rf):
    member = as_member(stranger)
    get(member, "/challenges/")
    storage = CookieStorage(rf.get("/"))
    storage.add(constants.SUCCESS, "Saved your draft.")
    carrier = HttpResponse()
    storage.update(carrier)
    member.cookies["messages"] = carrier.cookies["messages"].value
    page, queries = get(member, "/challenges/")
    assert b"Saved your draft." in page.content
    assert content_queries(queries)


def test_pages_outside_the_tables_are_never_stored(challenge, stranger):
    member = as_member(stranger)  # "My entries" is in neither table of config.caching
    for _ in range(2):
        _, queries = get(member, "/entries/mine/")
    assert content_queries(queries)


def test_the_csrf_token_of_a_replayed_page_is_the_members_own(challenge, stranger):
    member = as_member(stranger)
    member.get("/challenges/")
    page, _ = get(member, "/challenges/")
    token = page.content.split(b'name="csrfmiddlewaretoken" value="')[1].split(b'"')[0]
    assert caching._unmask(token) == member.cookies["csrftoken"].value


def test_reads_of_tables_without_topics_or_other_members_rows_are_refused():
    reads = personal_cache.reads_of
    assert reads([('SELECT 1 FROM "challenges_challenge" WHERE id = %s', [3])], 7).topics == {"challenges"}
    assert reads([('SELECT * FROM "payments_payout"', [])], 7).refused
    assert reads([('SELECT * FROM "not_a_table"', [])], 7).refused
    assert reads([('UPDATE "challenges_challenge" SET title = %s', ["x"])], 7).refused
    assert reads([('SELECT * FROM "challenges_challenge" FOR UPDATE', [])], 7).refused
    own = 'SELECT * FROM "community_notification" WHERE "community_notification"."recipient_id" = %s'
    assert reads([(own, [7])], 7).topics == {"notifications:7"}
    assert reads([(own, [8])], 7).refused
    assert reads([('SELECT * FROM "community_notification"', [])], 7).refused
    # A set-returning function after FROM is not a table.
    assert not reads([("SELECT * FROM unnest(%s) AS ids", [[1, 2]])], 7).refused


def test_a_deleted_messages_cookie_does_not_keep_a_member_from_their_entries(challenge, stranger):
    member = as_member(stranger)
    member.cookies["messages"] = ""  # what some clients send after the server deleted the cookie
    get(member, "/challenges/")
    _, queries = get(member, "/challenges/")
    assert content_queries(queries) == []
