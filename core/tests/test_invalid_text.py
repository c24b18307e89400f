"""NUL bytes and text that is not UTF-8 anywhere in a request are a clean 400, never a 500
(finding 4: PostgreSQL refuses NUL in text, so such input was a server error wherever it first met
the database). `core.middleware.RejectInvalidTextMiddleware` checks the path, the query string and
the headers; `core.parsers.JSONParser` checks JSON bodies; Django's form fields check form posts."""

import base64
import json
from typing import Any

import pytest
from django.test import Client

from community.models import User

pytestmark = pytest.mark.django_db


def assert_api_400(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["extra"]["fields"]
    return body["extra"]["fields"]


# --- Query strings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/leaderboard/", "skill"),
        ("/api/v1/leaderboard/", "country"),
        ("/api/v1/members/", "q"),
        ("/api/v1/members/", "skill"),
        ("/api/v1/blueprints/", "q"),
        ("/api/v1/challenges/", "q"),
    ],
)
def test_a_nul_byte_in_a_query_parameter_of_the_api_is_a_400_naming_it(url: str, parameter: str) -> None:
    """Attack: `?skill=a%00b` on the leaderboard, `?q=a%00b` on the member and blueprint search (were 500s)."""
    fields = assert_api_400(Client().get(url, {parameter: "wheel\x00s"}))
    assert list(fields) == [parameter]


@pytest.mark.parametrize("query", ["q=%ff%fe", "q=%ed%a0%80", "%ff=1", "q=caf%C3"])
def test_bytes_that_are_not_utf8_in_the_query_string_are_a_400(query: str) -> None:
    """Attack: a query string of raw bytes, a UTF-8-encoded lone surrogate (U+D800), a cut-off character."""
    assert_api_400(Client().get(f"/api/v1/members/?{query}"))


def test_a_nul_byte_in_the_query_of_a_page_is_a_plain_400() -> None:
    response = Client().get("/members/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_proper_unicode_in_the_query_string_is_welcome() -> None:
    assert Client().get("/api/v1/members/", {"q": "Zoë 東京 ١٢٣"}).status_code == 200


# --- Paths and headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/challenges/a%00b/", "/api/v1/blueprints/%ff%fe/"])
def test_a_nul_byte_or_invalid_utf8_in_an_api_path_is_a_400(path: str) -> None:
    assert_api_400(Client().get(path))


@pytest.mark.parametrize("path", ["/blueprints/a%00b/", "/challenges/%c3/"])
def test_a_nul_byte_or_invalid_utf8_in_a_page_path_is_a_400(path: str) -> None:
    assert Client().get(path).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_USER_AGENT": "curl\x00"},
        {"HTTP_ACCEPT_LANGUAGE": "en\x00"},
        {"HTTP_X_REQUESTED_WITH": "\xff\xfe"},  # WSGI hands header bytes over as latin-1: not UTF-8
        {"HTTP_COOKIE": "sessionid=a\x00b"},
        {"HTTP_AUTHORIZATION": "Bearer cw_\x00"},
    ],
)
def test_a_nul_byte_or_invalid_utf8_in_a_header_is_a_400(headers: dict[str, str]) -> None:
    assert_api_400(Client().get("/api/v1/challenges/", **headers))  # type: ignore[arg-type]


def test_a_nul_byte_in_a_basic_auth_user_name_is_a_400() -> None:
    """Attack: `Authorization: Basic` with "ada\\0@example.com" as the user name (was a 500 from the
    user lookup). The NUL hides inside base64, so the header check looks inside Basic credentials."""
    credentials = base64.b64encode(b"ada\x00@example.com:secret").decode()
    response = Client().get("/api/v1/members/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert_api_400(response)


# --- JSON bodies -----------------------------------------------------------------------------------


def challenge_body(**changes: Any) -> dict[str, Any]:
    body = {"title": "Bus", "summary": "A bus.", "vehicle_type": "bus", "budget": "1000.00", "currency": "EUR"}
    return body | changes


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (json.dumps(challenge_body(title="Bus\x00")), "title"),  # "\\u0000" in the JSON text
        (json.dumps(challenge_body(summary="\ud800")), "summary"),  # a lone surrogate, "\\ud800"
        (json.dumps(challenge_body(description="ok \udfff ok")), "description"),
        (json.dumps(challenge_body(**{"extra\x00key": "x"})), "non_field_errors"),
    ],
)
def test_nul_or_a_lone_surrogate_in_a_json_string_is_a_400_naming_the_field(owner: Any, raw: str, field: str) -> None:
    """Attack: JSON that spells a NUL or an unpaired surrogate; Python decodes both, PostgreSQL (or
    the UTF-8 encoder) refused them later with a 500."""
    client = Client()
    client.force_login(owner)
    response = client.post("/api/v1/challenges/", raw, content_type="application/json")
    assert list(assert_api_400(response)) == [field]
    assert not owner.challenges.exists()


def test_a_nul_deep_inside_a_json_body_is_named_by_its_path(owner: Any) -> None:
    from challenges.tests.factories import make_challenge

    challenge = make_challenge(owner)
    client = Client()
    client.force_login(owner)
    body = {
        "kind": "concept",
        "title": "Concept",
        "opens_at": "2031-01-01T10:00:00Z",
        "closes_at": "2031-02-01T10:00:00Z",
        "judging_ends_at": "2031-02-15T10:00:00Z",
        "criteria": [{"name": "Looks", "weight": 1}, {"name": "Cold\x00start", "weight": 1}],
    }
    response = client.post(f"/api/v1/challenges/{challenge.pk}/phases/", body, content_type="application/json")
    assert list(assert_api_400(response)) == ["criteria.1.name"]


@pytest.mark.parametrize("raw", [b'{"title": "Bus \xff"}', b'{"title": "\xed\xa0\x80"}', b"\xff\xfe{}"])
def test_a_json_body_that_is_not_utf8_is_a_400(owner: Any, raw: bytes) -> None:
    client = Client()
    client.force_login(owner)
    response = client.post("/api/v1/challenges/", raw, content_type="application/json")
    assert list(assert_api_400(response)) == ["non_field_errors"]


# --- Form posts on pages --------------------------------------------------------------------------


def test_a_nul_byte_in_a_page_form_is_a_form_error(owner: Any) -> None:
    """Attack: a NUL in the title of the challenge form: Django's CharField refuses it (since 4.x)."""
    client = Client()
    client.force_login(owner)
    response = client.post(
        "/challenges/new/",
        {"title": "Bus\x00", "summary": "A bus.", "vehicle_type": "bus", "budget": "1000", "currency": "EUR"},
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not owner.challenges.exists()


def test_a_nul_byte_in_the_sign_up_form_is_a_form_error() -> None:
    """Attack: sign up with a NUL in the display name and in the e-mail address."""
    response = Client().post(
        "/accounts/signup/",
        {
            "email": "eve\x00@example.com",
            "password1": "a-Long-and-unusual-pw-2026",
            "password2": "a-Long-and-unusual-pw-2026",
            "display_name": "Eve\x00",
            "experience": "enthusiast",
        },
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not User.objects.filter(email__startswith="eve").exists()
