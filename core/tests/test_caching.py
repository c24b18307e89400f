"""The shared cache of anonymous responses (`core.caching`): served without the database, retired by every
write that changes what it shows, never shared with or filled by signed-in members."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges.services import challenge_update, phases_sweep
from challenges.tests.factories import add_phase, make_challenge, publish
from community.models import ReputationEntry, ReputationReason
from community.services import comment_create, comment_hide, reputation_recompute
from core import caching
from core.tests.clients import as_member

pytestmark = pytest.mark.django_db

LABEL = "challenges.challenge"


@pytest.fixture(autouse=True)
def public_cache(settings: Any) -> None:
    """The cache on (the test run turns it off), and every entry of earlier tests retired: their rows
    were rolled back, which bumped nothing."""
    settings.PUBLIC_CACHE_SECONDS = 300
    caching.bump_now(*caching.all_topics())


@pytest.fixture
def challenge(owner: Any, staff: Any) -> Any:
    challenge = make_challenge(owner, title="Desert ambulance")
    add_phase(challenge)
    return publish(challenge, staff=staff)


def get(client: Client, url: str, **headers: str) -> tuple[Any, int]:
    """The response and the number of database queries it cost."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    return response, len(captured)


def test_an_anonymous_page_is_served_from_the_cache_without_a_query(client, challenge):
    first, first_queries = get(client, challenge.get_absolute_url())
    second, second_queries = get(client, challenge.get_absolute_url())
    assert first.status_code == second.status_code == 200
    assert first_queries > 0
    assert second_queries == 0
    assert b"Desert ambulance" in second.content


@pytest.mark.parametrize("url", ["/", "/challenges/", "/blueprints/", "/members/", "/members/leaderboard/"])
def test_anonymous_list_pages_are_served_from_the_cache(client, challenge, url):
    assert get(client, url)[0].status_code == 200
    response, count = get(client, url)
    assert response.status_code == 200
    assert count == 0


def test_public_api_lists_are_served_from_the_cache(client, challenge):
    for url in ("/api/v1/challenges/", "/api/v1/entries/", "/api/v1/members/", "/api/v1/blueprints/"):
        assert get(client, url)[0].status_code == 200
        response, count = get(client, url)
        assert (response.status_code, count) == (200, 0), url
        assert response["Cache-Control"] == "public, max-age=0, must-revalidate"


def test_a_new_comment_shows_on_the_next_anonymous_request(
    client, challenge, stranger, django_capture_on_commit_callbacks
):
    assert b"Is it diesel?" not in client.get(challenge.get_absolute_url()).content
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=stranger, label=LABEL, object_id=challenge.pk, body="Is it diesel?")
    response, count = get(client, challenge.get_absolute_url())
    assert count > 0
    assert b"Is it diesel?" in response.content


def test_hiding_a_comment_takes_it_off_the_cached_page(
    client, challenge, stranger, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(author=stranger, label=LABEL, object_id=challenge.pk, body="Buy cheap watches")
    assert b"Buy cheap watches" in client.get(challenge.get_absolute_url()).content
    with django_capture_on_commit_callbacks(execute=True):
        comment_hide(comment_id=comment.pk, by=staff, reason="spam")
    assert b"Buy cheap watches" not in client.get(challenge.get_absolute_url()).content


def test_editing_a_challenge_changes_the_list_and_the_api(client, challenge, owner, django_capture_on_commit_callbacks):
    client.get("/challenges/")
    client.get("/api/v1/challenges/")
    with django_capture_on_commit_callbacks(execute=True):
        challenge_update(challenge=challenge, by=owner, title="Mountain rescue truck", change_note="renamed")
    assert b"Mountain rescue truck" in client.get("/challenges/").content
    assert b"Mountain rescue truck" in client.get("/api/v1/challenges/").content


def test_a_phase_moved_by_the_clock_shows_its_new_status(client, challenge, django_capture_on_commit_callbacks):
    phase = challenge.phases.get()
    url = reverse("api-phase", args=[phase.pk])
    before = client.get(url).json()["status"]
    with django_capture_on_commit_callbacks(execute=True):
        phases_sweep(now=phase.opens_at + timedelta(minutes=1))
    after = client.get(url).json()["status"]
    assert (before, after) == ("scheduled", "open")


def test_a_write_by_queryset_update_retires_the_entries_too(client, stranger, django_capture_on_commit_callbacks):
    url = reverse("api-member", args=[stranger.pk])
    assert client.get(url).json()["reputation"] == 0
    # Rows written without signals, then the score rebuilt with `QuerySet.update` (no signal either).
    ReputationEntry.objects.bulk_create(
        [ReputationEntry(user=stranger, reason=ReputationReason.ADJUSTMENT, source_key="test:1", points=7)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        reputation_recompute(user_id=stranger.pk)
    assert client.get(url).json()["reputation"] == 7


def test_a_rolled_back_write_bumps_nothing_and_stores_nothing_of_it(
    client, challenge, stranger, django_capture_on_commit_callbacks
):
    client.get(challenge.get_absolute_url())
    before = caching.versions(caching.all_topics())

    def comment_then_fail() -> None:
        with transaction.atomic():
            comment_create(author=stranger, label=LABEL, object_id=challenge.pk, body="Never said")
            # A reader in the middle of the write stores what it sees under the versions it read.
            Client().get(challenge.get_absolute_url())
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        comment_then_fail()
    assert not [callback for callback in callbacks if isinstance(callback, caching._Bump)]
    assert caching.versions(caching.all_topics()) == before
    response, count = get(client, challenge.get_absolute_url())
    assert count == 0
    assert b"Never said" not in response.content


def test_a_signed_in_member_neither_reads_nor_fills_the_shared_cache(client, challenge, stranger):
    member = as_member(stranger)
    anonymous_page = client.get("/challenges/")
    assert b"Stranger" not in anonymous_page.content
    signed_in = member.get("/challenges/")
    assert b'data-testid="signed-in-as"' in signed_in.content
    assert b"Stranger" in signed_in.content
    # Nothing the member saw went into the shared entries: the anonymous page still shows no member.
    again, count = get(Client(), "/challenges/")
    assert count == 0
    assert b"Stranger" not in again.content
    assert b"signed-in-as" not in again.content


def test_a_signed_in_api_client_gets_private_responses_with_a_content_etag(client, challenge, stranger):
    member = as_member(stranger)
    response = member.get("/api/v1/challenges/")
    assert response["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert response.has_header("ETag")
    assert member.get("/api/v1/challenges/", headers={"If-None-Match": response["ETag"]}).status_code == 304


def test_languages_are_cached_apart(client, challenge):
    english = client.get("/challenges/", headers={"Accept-Language": "en"})
    german = client.get("/challenges/", headers={"Accept-Language": "de"})
    english_again, count = get(client, "/challenges/", **{"Accept-Language": "en"})
    assert english["Content-Language"] == english_again["Content-Language"] == "en"
    assert german["Content-Language"] == "de"
    assert count == 0
    assert german.content != english.content
    client.cookies["django_language"] = "de"
    by_cookie, count = get(client, "/challenges/")
    assert by_cookie["Content-Language"] == "de"
    assert count == 0


def test_htmx_partials_are_cached_apart_from_whole_pages(client, challenge):
    partial = client.get("/challenges/", headers={"HX-Request": "true"})
    whole, _count = get(client, "/challenges/")
    assert b"<html" not in partial.content
    assert b"<html" in whole.content
    partial_again, count = get(client, "/challenges/", **{"HX-Request": "true"})
    assert count == 0
    assert b"<html" not in partial_again.content


def test_an_unchanged_public_api_list_answers_304_and_a_changed_one_200(
    client, challenge, owner, django_capture_on_commit_callbacks
):
    first = client.get("/api/v1/challenges/")
    etag = first["ETag"]
    assert etag.startswith('W/"') or etag.startswith('"')
    not_modified, count = get(client, "/api/v1/challenges/", **{"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert count == 0
    with django_capture_on_commit_callbacks(execute=True):
        challenge_update(challenge=challenge, by=owner, title="Amphibious bus", change_note="renamed")
    changed = client.get("/api/v1/challenges/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert b"Amphibious bus" in changed.content


def test_each_visitor_of_a_cached_page_gets_a_csrf_token_of_their_own(challenge):
    first = Client(enforce_csrf_checks=True)
    second = Client(enforce_csrf_checks=True)
    first.get("/challenges/")
    page, count = get(second, "/challenges/")
    assert count == 0
    token = second.cookies["csrftoken"].value
    assert token
    # The form's token belongs to this visitor's cookie: switching the language works.
    form_token = page.content.split(b'name="csrfmiddlewaretoken" value="')[1].split(b'"')[0].decode()
    assert caching._unmask(form_token.encode()) == token
    switched = second.post(reverse("set_language"), {"language": "de", "csrfmiddlewaretoken": form_token, "next": "/"})
    assert switched.status_code == 302


def _middleware(response: HttpResponse) -> Any:
    return caching.PublicCacheMiddleware(lambda request: response)


def test_a_response_that_sets_a_cookie_or_is_private_is_not_stored():
    factory = RequestFactory()
    with_cookie = HttpResponse("hello")
    with_cookie.set_cookie("tracking", "1")
    private = HttpResponse("hello")
    private["Cache-Control"] = "private"
    for response in (with_cookie, private):
        _middleware(response)(factory.get("/challenges/"))
        again = _middleware(HttpResponse("again"))(factory.get("/challenges/"))
        assert again.content == b"again", response


def test_visitors_with_messages_or_a_session_bypass_the_cache(client, challenge):
    client.get("/challenges/")
    for cookie in ("messages", "sessionid"):
        visitor = Client()
        visitor.cookies[cookie] = "x"
        assert get(visitor, "/challenges/")[1] > 0


def test_a_csp_nonce_in_a_cached_page_is_fresh_on_every_replay():
    factory = RequestFactory()

    def view(request: Any) -> HttpResponse:
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    from csp.middleware import CSPMiddleware

    served = []
    for _attempt in range(2):
        request = factory.get("/challenges/")
        csp = CSPMiddleware(caching.PublicCacheMiddleware(view))
        response: Any = csp(request)
        nonce = response.content.split(b'nonce="')[1].split(b'"')[0].decode()
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        served.append(nonce)
    assert served[0] != served[1]


def test_an_old_entry_expires_after_the_configured_seconds(settings, client, challenge):
    settings.PUBLIC_CACHE_SECONDS = 0
    get(client, "/challenges/")
    assert get(client, "/challenges/")[1] > 0


def test_no_entry_outlives_the_versions_it_was_stored_under():
    topics = ("challenges",)
    before = caching.versions(topics)
    caching.bump_now(*topics)
    assert caching.versions(topics)["challenges"] == before["challenges"] + 1


def test_json_and_the_browsable_api_are_cached_apart(client, challenge):
    client.get("/api/v1/challenges/")
    browsable = client.get("/api/v1/challenges/", headers={"Accept": "text/html"})
    assert browsable["Content-Type"].startswith("text/html")
    assert client.get("/api/v1/challenges/")["Content-Type"].startswith("application/json")


def test_pages_outside_the_table_are_never_cached(client, challenge):
    assert caching.topics_for_path("/accounts/login/") is None
    assert caching.topics_for_path("/members/notifications/") is None
    assert caching.topics_for_path("/challenges/") is not None
