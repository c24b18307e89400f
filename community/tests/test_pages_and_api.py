"""Pages and API: permissions per endpoint, privacy, query counts, time zones."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from community.models import Comment, Follow, Notification, ReputationReason
from community.portfolio import PortfolioItem, register_section
from community.services import comment_create, follow_create, notify, reputation_grant
from core.templatetags.coachworks_time import local_datetime, relative_time
from tests.support import UserFactory

LABEL = "challenges.challenge"


# --- Time zones and relative times ------------------------------------------------------------


def test_dates_are_shown_in_the_members_zone_with_the_zone_named():
    moment = datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("UTC"))
    with timezone.override(ZoneInfo("Europe/Berlin")), translation.override("de"):
        assert local_datetime(moment) == "1. Dez. 2026, 16:00 CET (Europe/Berlin)"
    with timezone.override(ZoneInfo("Africa/Lagos")), translation.override("en"):
        assert local_datetime(moment).startswith("1 Dec 2026, 16:00 ")
        assert "WAT (Africa/Lagos)" in local_datetime(moment)
    with timezone.override(ZoneInfo("America/Sao_Paulo")):
        assert local_datetime(moment).endswith("America/Sao_Paulo")  # "-03" is no name: the zone's is shown


def test_deadlines_read_in_3_days_in_english_and_german():
    now = timezone.now()
    with translation.override("en"):
        assert relative_time(now + timedelta(days=3, hours=2), now) == "in 3 days"
        assert relative_time(now + timedelta(hours=5), now) == "in 5 hours"
        assert relative_time(now - timedelta(minutes=2), now) == "2 minutes ago"
        assert relative_time(now + timedelta(seconds=10), now) == "just now"
    with translation.override("de"):
        assert relative_time(now + timedelta(days=3, hours=2), now) == "in 3 Tagen"
        assert relative_time(now + timedelta(days=1, hours=2), now) == "in 1 Tag"


def test_the_when_tag_shows_relative_and_absolute_time():
    moment = timezone.now() + timedelta(days=3, minutes=5)
    with timezone.override(ZoneInfo("Europe/Berlin")):
        html = Template("{% load coachworks_time %}{% when moment %}").render(Context({"moment": moment}))
    assert "in 3 days" in html
    assert "(Europe/Berlin)" in html
    assert f'datetime="{moment.isoformat()}"' in html


def test_member_pages_name_their_time_zone(client, jonas):
    client.force_login(jonas)
    html = client.get("/members/").content.decode()
    assert "Europe/Berlin" in html
    assert "Mitglieder" in html  # preferred language: German


# --- Directory, profile, leaderboard ---------------------------------------------------------


def test_the_directory_searches_filters_and_sorts_by_reputation(client, ada, jonas):
    reputation_grant(user_id=jonas.pk, reason=ReputationReason.FORK, source_key="fork:1")
    hidden = UserFactory.create(display_name="Private Person")
    hidden.listed_in_directory = False
    hidden.save()
    html = client.get("/members/").content.decode()
    assert html.index("Jonas Berg") < html.index("Ada Okafor")
    assert "Private Person" not in html
    assert "Jonas Berg" not in client.get("/members/?country=NG").content.decode()
    assert "Ada Okafor" in client.get("/members/?skill=cad").content.decode()
    assert "Ada Okafor" not in client.get("/members/?experience=enthusiast").content.decode()
    api = client.get("/api/v1/members/?sort=name").json()
    assert [row["name"] for row in api["results"]][:2] == ["Ada Okafor", "Jonas Berg"]
    assert "email" not in api["results"][0]


@pytest.mark.parametrize("rows", [1, 12])
def test_the_directory_costs_the_same_queries_for_any_number_of_members(
    db, client, rows, django_assert_max_num_queries
):
    for number in range(rows):
        UserFactory.create(display_name=f"Designer {number}", country="FR", skills=["cad"])
    # session-less visitor: count + page (if this grows, justify every new query)
    with django_assert_max_num_queries(3):
        assert client.get("/members/").status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/members/").status_code == 200


def test_a_profile_shows_portfolio_and_hides_earnings_unless_allowed(client, ada, jonas):
    register_section(
        "test-awards",
        title="Awards won",
        items=lambda member, viewer: [PortfolioItem("Concept winner", "/x/", "1st", "3,000.00 EUR")],
    )
    try:
        page = client.get(f"/members/{ada.pk}/").content.decode()
        assert "Concept winner" in page
        assert "3,000.00 EUR" not in page
        assert '<abbr class="badge flag" title="Nigeria">NG</abbr>' in page
        client.force_login(ada)
        assert "3,000.00 EUR" in client.get(f"/members/{ada.pk}/").content.decode()  # her own view
        ada.show_earnings = True
        ada.save()
        client.force_login(jonas)
        assert "3,000.00 EUR" in client.get(f"/members/{ada.pk}/").content.decode()
    finally:
        from community import portfolio

        portfolio._sections.pop("test-awards")


def test_award_points_of_a_member_hiding_earnings_show_to_nobody_else(client, ada, staff):
    # 25 + 30 points would tell anyone the prize was about 3,000 EUR.
    reputation_grant(user_id=ada.pk, reason=ReputationReason.AWARD, source_key="award:1", amount=Decimal("3000"),
                     currency="EUR")  # fmt: skip
    reputation_grant(user_id=ada.pk, reason=ReputationReason.ENTRY, source_key="entry:1")
    url = f"/members/{ada.pk}/"
    another_member = UserFactory.create()
    for viewer in (None, another_member):
        if viewer is not None:
            client.force_login(viewer)
        page = client.get(url).content.decode()
        assert "Award won" in page
        assert "+55" not in page
        assert "+2" in page  # other rows keep their points
        assert "Reputation 57" in page  # and the total stays public
        assert "3000" not in str(client.get(f"/api/v1/members/{ada.pk}/").json())
    for viewer in (ada, staff):
        client.force_login(viewer)
        assert "+55" in client.get(url).content.decode()
    ada.show_earnings = True
    ada.save()
    client.force_login(another_member)
    assert "+55" in client.get(url).content.decode()


def test_profile_page_queries_do_not_grow_with_reputation_rows(client, ada, django_assert_max_num_queries):
    for number in range(15):
        reputation_grant(user_id=ada.pk, reason=ReputationReason.VOTE, source_key=f"vote:{number}")
    with django_assert_max_num_queries(8):
        assert client.get(f"/members/{ada.pk}/").status_code == 200


def test_inactive_members_have_no_profile(client, ada):
    ada.is_active = False
    ada.save()
    assert client.get(f"/members/{ada.pk}/").status_code == 404
    assert client.get(f"/api/v1/members/{ada.pk}/").status_code == 404


def test_the_leaderboard_is_overall_per_country_and_per_skill(client, ada, jonas):
    reputation_grant(user_id=ada.pk, reason=ReputationReason.AWARD, source_key="award:1", amount=Decimal("1000"))
    reputation_grant(user_id=jonas.pk, reason=ReputationReason.ENTRY, source_key="entry:1")
    overall = client.get("/api/v1/leaderboard/").json()
    assert [row["name"] for row in overall] == ["Ada Okafor", "Jonas Berg"]
    assert [row["name"] for row in client.get("/api/v1/leaderboard/?country=DE").json()] == ["Jonas Berg"]
    assert [row["name"] for row in client.get("/api/v1/leaderboard/?skill=cad").json()] == ["Ada Okafor"]
    page = client.get("/members/leaderboard/?country=NG").content.decode()
    assert "Ada Okafor" in page
    assert "Jonas Berg" not in page


def test_the_explanation_page_shows_the_formula_applied_per_currency(client):
    page = client.get("/members/reputation/").content.decode()
    assert "25 plus 1 per step of the prize, at most 500" in page
    assert "<td>EUR</td><td>100</td>" in page
    assert "<td>JPY</td><td>15000</td>" in page
    assert "Prizes in other currencies earn the 25 points only." in page
    german = client.get("/members/reputation/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "25 plus 1 je Stufe des Preisgeldes, höchstens 500" in german


# --- Threads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 10])
def test_a_thread_costs_the_same_queries_for_any_number_of_comments(
    client, ada, jonas, challenge, rows, django_assert_max_num_queries, settings
):
    settings.COMMUNITY_COMMENT_RATE_LIMIT = 100
    for number in range(rows):
        top = comment_create(author=ada, label=LABEL, object_id=challenge.pk, body=f"question {number}")
        comment_create(author=jonas, label=LABEL, object_id=challenge.pk, body="answer", parent_id=top.pk)
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/comments/?target={LABEL}&object_id={challenge.pk}")
    assert len(response.json()["results"]) == rows * 2


@pytest.fixture
def long_reply_chain(ada, jonas, challenge):
    """A question with REPLIES_PER_COMMENT + 5 answers (bulk: the rate limit is not the point here)."""
    from django.contrib.contenttypes.models import ContentType

    from community.selectors import REPLIES_PER_COMMENT

    question = comment_create(author=ada, label=LABEL, object_id=challenge.pk, body="question")
    start = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            content_type=ContentType.objects.get_for_model(challenge),
            object_id=challenge.pk,
            author=jonas,
            parent=question,
            body=f"answer {number}",
            body_html=f"<p>answer {number}</p>",
            created_at=start + timedelta(seconds=number),
        )
        for number in range(REPLIES_PER_COMMENT + 5)
    )
    return question


def _answers(html):
    return [int(number) for number in re.findall(r"<p>answer (\d+)</p>", html)]


def test_every_reply_of_a_long_chain_can_be_read_on_the_page(client, challenge, long_reply_chain):
    from community.selectors import REPLIES_PER_COMMENT

    first = client.get(challenge.get_absolute_url()).content.decode()
    assert _answers(first) == list(range(REPLIES_PER_COMMENT))
    assert "Show 5 more replies" in first

    more = re.search(r'href="([^"]+)"[^>]*data-testid="more-replies"', first)
    assert more
    more_url = more.group(1).replace("&amp;", "&")
    rest = client.get(more_url).content.decode()
    assert _answers(rest) == list(range(REPLIES_PER_COMMENT, REPLIES_PER_COMMENT + 5))
    assert 'data-testid="more-replies"' not in rest

    earlier = re.search(r'href="([^"]+)"[^>]*data-testid="replies-earlier"', rest)
    assert earlier
    earlier_url = earlier.group(1).replace("&amp;", "&")
    assert _answers(client.get(earlier_url).content.decode()) == list(range(REPLIES_PER_COMMENT))


def test_the_comment_api_lists_every_reply_of_a_comment_a_page_at_a_time(client, challenge, long_reply_chain):
    from community.selectors import REPLIES_PER_COMMENT

    url = f"/api/v1/comments/?target={LABEL}&object_id={challenge.pk}&parent={long_reply_chain.pk}&page_size=40"
    first = client.get(url).json()
    second = client.get(first["next"]).json()
    bodies = [reply["body"] for reply in first["results"] + second["results"]]
    assert bodies == [f"answer {number}" for number in range(REPLIES_PER_COMMENT + 5)]
    assert second["next"] is None


def test_replies_are_listed_only_for_a_top_level_comment_of_that_target(client, ada, challenge, long_reply_chain):
    reply = Comment.objects.filter(parent=long_reply_chain).first()
    assert reply is not None
    base = f"/api/v1/comments/?target={LABEL}&object_id={challenge.pk}"
    assert client.get(f"{base}&parent={reply.pk}").status_code == 404
    assert client.get(f"{base}&parent=999999").status_code == 404
    assert client.get(f"{base}&parent=x").status_code == 400


def test_the_challenge_page_shows_the_thread_and_members_post_with_htmx(client, ada, challenge):
    client.force_login(ada)
    response = client.post(
        "/members/comments/",
        {"target": LABEL, "object_id": challenge.pk, "body": "Nice **brief**", "next": challenge.get_absolute_url()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<strong>brief</strong>" in response.content.decode()
    assert "<strong>brief</strong>" in client.get(challenge.get_absolute_url()).content.decode()


def test_the_comment_form_without_javascript_redirects_back(client, ada, challenge):
    client.force_login(ada)
    response = client.post(
        "/members/comments/",
        {"target": LABEL, "object_id": challenge.pk, "body": "Hi", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/#comment-")


# --- Permissions per endpoint ---------------------------------------------------------------


def test_anonymous_visitors_read_public_things_and_write_nothing(client, ada, challenge):
    comment_create(author=ada, label=LABEL, object_id=challenge.pk, body="public")
    assert client.get(f"/api/v1/comments/?target={LABEL}&object_id={challenge.pk}").status_code == 200
    assert client.get(f"/api/v1/members/{ada.pk}/").status_code == 200
    for method, url in [
        ("post", "/api/v1/comments/"),
        ("get", "/api/v1/follows/"),
        ("post", "/api/v1/follows/"),
        ("get", "/api/v1/notifications/"),
        ("post", "/api/v1/notifications/read/"),
        ("get", "/api/v1/me/"),
    ]:
        assert getattr(client, method)(url).status_code == 401, url  # not signed in
    assert (
        client.post("/members/comments/", {"target": LABEL, "object_id": challenge.pk, "body": "x"}).status_code == 302
    )
    assert Comment.objects.count() == 1
    assert client.get("/members/notifications/").status_code == 302


def test_comments_of_a_target_one_may_not_see_are_404_everywhere(client, ada, client_member, hidden_challenge):
    comment = comment_create(author=client_member, label=LABEL, object_id=hidden_challenge.pk, body="secret")
    client.force_login(ada)
    assert client.get(f"/api/v1/comments/?target={LABEL}&object_id={hidden_challenge.pk}").status_code == 404
    post = {"target": LABEL, "object_id": hidden_challenge.pk, "body": "let me in"}
    assert client.post("/api/v1/comments/", post).status_code == 404
    assert client.post("/members/comments/", post).status_code == 404
    assert client.post("/api/v1/follows/", {"target": LABEL, "object_id": hidden_challenge.pk}).status_code == 404
    assert (
        client.patch(f"/api/v1/comments/{comment.pk}/", {"body": "x"}, content_type="application/json").status_code
        == 404
    )
    assert client.post(f"/api/v1/comments/{comment.pk}/report/", {"reason": "x"}).status_code == 404
    assert client.post(f"/members/comments/{comment.pk}/edit/", {"body": "x"}).status_code == 404
    client.force_login(client_member)
    assert client.get(f"/api/v1/comments/?target={LABEL}&object_id={hidden_challenge.pk}").status_code == 200


def test_comment_api_create_edit_report_and_hide(client, ada, jonas, staff, challenge):
    client.force_login(ada)
    created = client.post("/api/v1/comments/", {"target": LABEL, "object_id": challenge.pk, "body": "<b>hi</b>"})
    assert created.status_code == 201
    pk = created.json()["id"]
    edit = client.patch(f"/api/v1/comments/{pk}/", {"body": "hello"}, content_type="application/json")
    assert edit.status_code == 200
    assert edit.json()["edited_at"]
    assert client.post("/api/v1/comments/", {"target": LABEL, "object_id": challenge.pk, "body": ""}).status_code == 400
    client.force_login(jonas)
    refused = client.patch(f"/api/v1/comments/{pk}/", {"body": "mine now"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["message"]
    assert client.post(f"/api/v1/comments/{pk}/report/", {"reason": "rude"}).status_code == 201
    assert client.post(f"/api/v1/comments/{pk}/hide/", {"reason": "rude"}).status_code == 403
    client.force_login(staff)
    hidden = client.post(f"/api/v1/comments/{pk}/hide/", {"reason": "Rude"})
    assert hidden.status_code == 200
    assert hidden.json()["is_hidden"]
    assert hidden.json()["body"] == ""


def test_follow_api_lists_creates_and_deletes_only_ones_own(client, ada, jonas, challenge):
    client.force_login(ada)
    created = client.post("/api/v1/follows/", {"target": LABEL, "object_id": challenge.pk})
    assert created.status_code == 201
    assert created.json()["title"] == challenge.title
    assert client.post("/api/v1/follows/", {"target": LABEL, "object_id": challenge.pk}).status_code == 201
    assert Follow.objects.count() == 1
    follow_member = client.post("/api/v1/follows/", {"target": "community.user", "object_id": jonas.pk})
    assert follow_member.status_code == 201
    assert Notification.objects.get(recipient=jonas).kind == "new_follower"
    assert client.post("/api/v1/follows/", {"target": "community.user", "object_id": ada.pk}).status_code == 400
    assert len(client.get("/api/v1/follows/").json()["results"]) == 2
    client.force_login(jonas)
    assert client.delete(f"/api/v1/follows/{created.json()['id']}/").status_code == 404
    client.force_login(ada)
    assert client.delete(f"/api/v1/follows/{created.json()['id']}/").status_code == 204


def test_notification_api_and_centre(client, ada, jonas):
    for number in range(3):
        notify(recipient_ids=[ada.pk, jonas.pk], kind="phase_opened", event_key=f"p:{number}",
               context={"challenge": "Van", "phase": "Concept"})  # fmt: skip
    client.force_login(ada)
    listed = client.get("/api/v1/notifications/").json()
    assert len(listed["results"]) == 3
    assert listed["results"][0]["text"].startswith("The phase “Concept”")
    one = listed["results"][0]["id"]
    assert client.post("/api/v1/notifications/read/", {"ids": [one]}, content_type="application/json").json() == {
        "marked_read": 1
    }
    assert len(client.get("/api/v1/notifications/?unread=1").json()["results"]) == 2
    page = client.get("/").content.decode()
    assert 'data-testid="unread-count"' in page
    assert ">2</span>" in page
    client.post("/members/notifications/read/")
    assert Notification.objects.filter(recipient=ada, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=jonas, read_at__isnull=True).count() == 3


def test_the_unread_count_costs_one_query_per_page(client, ada, django_assert_num_queries):
    client.force_login(ada)
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/members/reputation/")
    counts = [q["sql"] for q in queries.captured_queries if "community_notification" in q["sql"]]
    assert len(counts) == 1


def test_the_home_page_feed_shows_what_happened_in_what_i_follow(
    client, ada, jonas, challenge, hidden_challenge, client_member
):
    follow_create(user=ada, label="community.user", object_id=client_member.pk)
    follow_create(user=ada, label=LABEL, object_id=challenge.pk)
    comment_create(author=jonas, label=LABEL, object_id=challenge.pk, body="Looks great")
    comment_create(author=client_member, label=LABEL, object_id=hidden_challenge.pk, body="internal draft note")
    client.force_login(ada)
    page = client.get("/").content.decode()
    assert "Looks great" in page
    assert "internal draft note" not in page  # followed member, but a target Ada may not see


# --- Bad input is a 400 or 404, never a 500 ---------------------------------------------------


@pytest.mark.parametrize("bad", ["²", "١٢", "1.5", "-1", "", "99999999999999999999999"])
def test_malformed_ids_are_answered_with_400_404_or_ignored(client, ada, challenge, bad):
    well_formed = bad.isascii() and bad.isdigit()  # a number no object has: not found; anything else: invalid
    assert client.get(f"/api/v1/comments/?target={LABEL}&object_id={bad}").status_code == (404 if well_formed else 400)
    client.force_login(ada)
    assert client.post("/members/comments/", {"target": LABEL, "object_id": bad, "body": "x"}).status_code == 404
    assert client.post("/members/follow/", {"target": LABEL, "object_id": bad}).status_code == 404
    assert client.post("/members/notifications/read/", {"id": bad}).status_code == 302
    posted = client.post(
        "/members/comments/", {"target": LABEL, "object_id": challenge.pk, "body": "hi", "parent": bad}
    )
    assert posted.status_code == 302  # a malformed parent is no parent (or one that is not here)
    assert not Comment.objects.filter(parent__isnull=False).exists()


def test_one_click_unsubscribe_of_a_member_who_is_gone_is_a_400_page(client, ada):
    from community.services import unsubscribe_token

    token = unsubscribe_token(user_id=ada.pk)
    ada.delete()
    response = client.post(f"/members/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    assert "This unsubscribe link is not valid." in response.content.decode()


def test_commenting_too_fast_through_the_api_is_a_429_that_says_when_to_retry(client, ada, challenge, settings):
    """Contract: a rate limit is a 429 with Retry-After, not a 400 the program would take for bad input."""
    settings.COMMUNITY_COMMENT_RATE_LIMIT = 2
    settings.COMMUNITY_COMMENT_RATE_WINDOW_SECONDS = 60
    client.force_login(ada)
    body = {"target": LABEL, "object_id": challenge.pk, "body": "hello"}
    for _ in range(2):
        assert client.post("/api/v1/comments/", body, content_type="application/json").status_code == 201
    refused = client.post("/api/v1/comments/", body, content_type="application/json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["extra"]["retry_after"] == int(refused["Retry-After"])
    assert Comment.objects.count() == 2


def test_listing_comments_without_naming_a_target_is_a_400_with_field_errors(client):
    """Contract: a request that leaves out required parameters is invalid input (400), not 'not found'."""
    response = client.get("/api/v1/comments/?object_id=abc")
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"target", "object_id"}
