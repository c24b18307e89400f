"""API throttles: anonymous and member rates, scoped rates for search, uploads, comments and votes;
a refusal is a 429 in the error contract with Retry-After."""

import uuid

import pytest

from blueprints.services import blueprint_create

pytestmark = pytest.mark.django_db

OFF = {"anon": None, "user": None, "search": None, "uploads": None, "comments": None, "votes": None}


@pytest.fixture
def rates(settings):
    """Set some rates (the test run switches them all off) in a cache namespace of this test's own."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"throttle-{uuid.uuid4().hex}"}}

    def set_rates(**chosen):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**OFF, **chosen}}

    return set_rates


def assert_throttled(response):
    assert response.status_code == 429, response.content[:300]
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["message"]
    assert body["extra"] == {"retry_after": retry_after}


def test_an_anonymous_flood_gets_429_with_retry_after_and_the_contract_body(client, rates):
    """Attack: one address hammers a public list. Before: every request answered (no throttle class)."""
    rates(anon="10/min")
    statuses = [client.get("/api/v1/challenges/", REMOTE_ADDR="198.51.100.20").status_code for _ in range(10)]
    assert statuses == [200] * 10

    assert_throttled(client.get("/api/v1/challenges/", REMOTE_ADDR="198.51.100.20"))
    assert client.get("/api/v1/challenges/", REMOTE_ADDR="198.51.100.21").status_code == 200  # another caller


def test_a_made_up_x_forwarded_for_does_not_reset_the_count(client, rates):
    """Attack: send a fresh X-Forwarded-For with every request so each looks like a new caller."""
    rates(anon="5/min")
    for n in range(5):
        client.get("/api/v1/members/", REMOTE_ADDR="198.51.100.30", HTTP_X_FORWARDED_FOR=f"10.1.0.{n}")

    spoofed = client.get("/api/v1/members/", REMOTE_ADDR="198.51.100.30", HTTP_X_FORWARDED_FOR="10.1.0.99")

    assert_throttled(spoofed)


def test_behind_trusted_proxies_the_address_the_nearest_proxy_saw_counts(client, rates, settings):
    rates(anon="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(2):
        client.get("/api/v1/members/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="made-up, 203.0.113.5")

    assert_throttled(client.get("/api/v1/members/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"))
    assert client.get("/api/v1/members/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


def test_a_member_flooding_the_blueprint_search_gets_429_while_the_rest_of_the_api_answers(client, rates, member):
    """Attack: a signed-in member runs full-text searches in a loop (each one costs the database)."""
    rates(user="1000/min", search="5/min")
    blueprint_create(owner=member, title="Desert buggy", description="", category="chassis", tags=[])
    client.force_login(member)
    for n in range(5):
        assert client.get(f"/api/v1/blueprints/?q=buggy{n}").status_code == 200

    assert_throttled(client.get("/api/v1/blueprints/?q=buggy"))
    assert_throttled(client.get("/api/v1/members/?q=ada"))  # one search budget for every search
    assert_throttled(client.get("/api/v1/leaderboard/"))
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/challenges/").status_code == 200


def test_each_member_has_a_budget_of_their_own(client, rates, member):
    from community.services import user_create
    from tests.accounts import confirm_account

    rates(user="3/min")
    other = confirm_account(user_create(email="other@example.com", password="x-Long-pw-2026!", display_name="O"))
    client.force_login(member)
    for _ in range(3):
        client.get("/api/v1/me/")
    assert_throttled(client.get("/api/v1/me/"))

    client.force_login(other)
    assert client.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("scope", "method", "url"),
    [
        ("comments", "post", "/api/v1/comments/"),
        ("votes", "post", "/api/v1/entries/999999/vote/"),
        ("uploads", "post", "/api/v1/blueprints/no-such-blueprint/revisions/1/uploads/"),
    ],
)
def test_writes_that_invite_abuse_have_a_scoped_rate_counted_before_any_work(client, rates, member, scope, method, url):
    """Attack: a member scripts comments, votes or upload slots. The scope's rate counts every try (even
    refused ones) and stops the flood before the view does any work."""
    rates(user="1000/min", **{scope: "3/min"})
    client.force_login(member)
    for _ in range(3):
        assert getattr(client, method)(url, {}, content_type="application/json").status_code in (400, 404)

    assert_throttled(getattr(client, method)(url, {}, content_type="application/json"))


def test_reading_comments_does_not_use_up_the_comment_budget(client, rates, member):
    rates(user="1000/min", comments="2/min")
    client.force_login(member)
    for _ in range(5):
        assert client.get("/api/v1/comments/").status_code != 429
    assert client.post("/api/v1/comments/", {}, content_type="application/json").status_code == 400


def test_with_the_rates_switched_off_nothing_is_throttled(client, rates):
    """The test run's setting (API_THROTTLE_*=off): no limit and no cache traffic."""
    rates()
    assert {client.get("/api/v1/challenges/").status_code for _ in range(100)} == {200}
