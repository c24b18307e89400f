"""One way in for programs: personal API tokens; for browsers: the session with CSRF. Only active
accounts with a confirmed primary address get in, by any path (issue 13, finding 1)."""

import base64
import hashlib
import ipaddress
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from community.models import ApiToken, ApiTokenScope, User
from community.services import api_token_create, api_token_revoke, user_create
from core.exceptions import NotAllowed
from tests.accounts import confirm_account
from tests.support import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
TOKENS = "/api/v1/tokens/"


def fresh_ip() -> str:
    """A client address of its own, so failed-attempt counters of other tests never meet it."""
    return str(ipaddress.IPv4Address(0x0A000000 + uuid.uuid4().int % 0xFFFFFF))


@pytest.fixture
def ip() -> str:
    return fresh_ip()


def bearer(secret: str, ip: str = "10.0.0.1") -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "REMOTE_ADDR": ip}


def unconfirmed_member(email: str = "eve@example.com") -> User:
    """Signed up, never clicked the confirmation link."""
    return user_create(email=email, password=PASSWORD, display_name="Eve")


# --- The attacks of issue 13 --------------------------------------------------------------------


def test_basic_auth_with_the_right_password_is_refused(client, ip):
    """Attack: send the member's real password as HTTP Basic auth (which skipped confirmation,
    lock-out and two-factor sign-in). The API no longer knows Basic auth: 401 naming Bearer."""
    member = UserFactory.create()
    credentials = base64.b64encode(f"{member.email}:{PASSWORD}".encode()).decode()

    response = client.get(ME, HTTP_AUTHORIZATION=f"Basic {credentials}", REMOTE_ADDR=ip)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_account_that_never_confirmed_its_address_cannot_use_a_token(client, ip):
    """Attack: sign up with someone else's address, never confirm it, and call the API with a token."""
    eve = unconfirmed_member()
    _token, secret = api_token_create(user=eve, name="script", scope=ApiTokenScope.READ_WRITE)

    response = client.get(ME, **bearer(secret, ip))

    assert response.status_code == 401
    assert "confirm" in response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_account_that_never_confirmed_its_address_cannot_use_a_session(client):
    """Attack: a session of an unconfirmed account (however obtained) calls the API. It is refused
    with a 401 that says why, not treated as a silent anonymous visitor."""
    client.force_login(unconfirmed_member())

    response = client.get(ME)

    assert response.status_code == 401
    assert "confirm" in response.json()["message"]


def test_a_deactivated_account_cannot_use_its_token(client, ip):
    member = UserFactory.create()
    _token, secret = api_token_create(user=member, name="script")
    member.is_active = False
    member.save(update_fields=["is_active"])

    response = client.get(ME, **bearer(secret, ip))

    assert response.status_code == 401


def test_an_expired_token_is_refused(client, ip):
    """Attack: keep using a token after its expiry."""
    member = UserFactory.create()
    token, secret = api_token_create(user=member, name="script", expires_in_days=1)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(created_at=an_hour_ago - timedelta(days=1), expires_at=an_hour_ago)

    response = client.get(ME, **bearer(secret, ip))

    assert response.status_code == 401
    assert response.json()["message"] == "Unknown, expired or revoked API token."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(client, ip):
    """Attack: keep using a token its member revoked (e.g. after it leaked)."""
    member = UserFactory.create()
    token, secret = api_token_create(user=member, name="script")
    assert client.get(ME, **bearer(secret, ip)).status_code == 200

    api_token_revoke(user=member, token=token)

    assert client.get(ME, **bearer(secret, ip)).status_code == 401


def test_a_read_token_cannot_write(client, ip):
    """Attack: change data with a token that was granted read access only."""
    member = UserFactory.create(display_name="Ada")
    _token, secret = api_token_create(user=member, name="dashboard", scope=ApiTokenScope.READ)

    response = client.patch(ME, {"display_name": "Mallory"}, content_type="application/json", **bearer(secret, ip))

    assert response.status_code == 403
    assert "read-only" in response.json()["message"]
    member.refresh_from_db()
    assert member.display_name == "Ada"
    assert client.get(ME, **bearer(secret, ip)).status_code == 200


def test_a_read_write_token_writes_without_csrf_but_a_session_write_needs_csrf(ip):
    """Token requests carry no cookie and need no CSRF token; a session write without one is refused."""
    member = UserFactory.create(display_name="Ada")
    _token, secret = api_token_create(user=member, name="script", scope=ApiTokenScope.READ_WRITE)
    browser = Client(enforce_csrf_checks=True)

    by_token = browser.patch(ME, {"display_name": "Ada O."}, content_type="application/json", **bearer(secret, ip))
    browser.force_login(member)
    by_session = browser.patch(ME, {"display_name": "Forged"}, content_type="application/json")

    assert by_token.status_code == 200
    assert by_session.status_code == 403
    assert "CSRF" in by_session.json()["message"]
    member.refresh_from_db()
    assert member.display_name == "Ada O."


def test_a_member_cannot_list_see_or_revoke_another_members_tokens(client, django_assert_max_num_queries):
    """Attack: enumerate token ids and read or revoke another member's tokens: 404, theirs untouched."""
    ada, bob = UserFactory.create(), UserFactory.create()
    bobs, bobs_secret = api_token_create(user=bob, name="bob's script")
    for n in range(3):
        api_token_create(user=ada, name=f"ada {n}")
    client.force_login(ada)

    with django_assert_max_num_queries(5):  # session, user, address check, count, page: justify any more
        listing = client.get(TOKENS)
    seen = client.get(f"{TOKENS}{bobs.pk}/")
    revoked = client.delete(f"{TOKENS}{bobs.pk}/")

    assert listing.status_code == 200
    assert {row["name"] for row in listing.json()["results"]} == {"ada 0", "ada 1", "ada 2"}
    assert (seen.status_code, revoked.status_code) == (404, 404)
    bobs.refresh_from_db()
    assert bobs.revoked_at is None


def test_the_token_secret_is_not_stored_in_clear(client):
    """Attack: read the tokens table (a backup, a SQL injection): it holds no usable secret."""
    member = UserFactory.create()
    client.force_login(member)

    created = client.post(TOKENS, {"name": "ci", "scope": "read-write", "expires_in_days": 30}, "application/json")

    secret = created.json()["token"]
    assert created.status_code == 201
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM community_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert not any(secret in str(value) for value in row)
    assert secret.startswith(f"cw_{token.prefix}_")
    assert len(secret) > 40
    assert "token" not in client.get(f"{TOKENS}{token.pk}/").json()
    assert all("token" not in row for row in client.get(TOKENS).json()["results"])


def test_the_settings_page_shows_the_secret_once(client):
    """Attack: come back to the settings page (or its cached copy) to read a token's secret again."""
    member = UserFactory.create()
    client.force_login(member)
    page = "/members/me/tokens/"

    created = client.post(page, {"name": "CAD export", "scope": "read", "expires_in_days": 90})
    secret = ApiToken.objects.get(user=member)
    shown = created.content.decode()
    later = client.get(page).content.decode()

    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    assert shown.count(f"cw_{secret.prefix}_") >= 1
    full = shown.split('data-testid="token-secret">', 1)[1].split("<", 1)[0]
    assert hashlib.sha256(full.encode()).hexdigest() == secret.secret_hash
    assert full not in later
    assert "CAD export" in later


def test_a_flood_of_failed_tokens_gets_429_with_retry_after_before_any_lookup(client, settings, ip):
    """Attack: guess tokens from one address. After the limit, every token from that address, even
    a valid one, gets 429 with Retry-After; another address is unaffected."""
    settings.API_TOKEN_FAILURE_LIMIT = 5
    member = UserFactory.create()
    _token, secret = api_token_create(user=member, name="script")

    guesses = [client.get(ME, **bearer(f"cw_{n:010d}_guess", ip)).status_code for n in range(5)]
    refused = client.get(ME, **bearer(secret, ip))

    assert guesses == [401] * 5
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= settings.API_TOKEN_FAILURE_WINDOW_SECONDS
    assert "Too many failed token attempts" in refused.json()["message"]
    assert client.get(ME, **bearer(secret, fresh_ip())).status_code == 200


# --- How tokens behave --------------------------------------------------------------------------


def test_a_member_creates_lists_and_revokes_a_token_through_the_api(client, ip):
    member = UserFactory.create()
    client.force_login(member)

    created = client.post(TOKENS, {"name": "ci", "scope": "read-write"}, "application/json").json()
    token_client = Client()

    assert token_client.get(ME, **bearer(created["token"], ip)).json()["id"] == member.pk
    assert created["scope"] == "read-write"
    assert created["is_active"] is True
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=89) < expires - timezone.now() <= timedelta(days=90)
    assert client.delete(f"{TOKENS}{created['id']}/").status_code == 204
    assert client.get(f"{TOKENS}{created['id']}/").json()["revoked_at"] is not None
    assert token_client.get(ME, **bearer(created["token"], ip)).status_code == 401


def test_a_token_cannot_mint_another_token(client, ip):
    """A leaked token must not be able to create a successor that outlives its revocation."""
    member = UserFactory.create()
    _token, secret = api_token_create(user=member, name="script", scope=ApiTokenScope.READ_WRITE)

    response = client.post(TOKENS, {"name": "successor"}, "application/json", **bearer(secret, ip))

    assert response.status_code == 403
    assert ApiToken.objects.filter(user=member).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 366}, "expires_in_days"),
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": ""}, "name"),
    ],
)
def test_a_token_needs_a_name_a_known_scope_and_a_bounded_expiry(client, body, field):
    client.force_login(UserFactory.create())

    response = client.post(TOKENS, body, "application/json")

    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    assert not ApiToken.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(client, ip):
    member = UserFactory.create()
    token, secret = api_token_create(user=member, name="script")

    client.get(ME, **bearer(secret, ip))
    token.refresh_from_db()
    first = token.last_used_at
    client.get(ME, **bearer(secret, ip))
    token.refresh_from_db()
    assert first is not None
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(ME, **bearer(secret, ip))
    token.refresh_from_db()
    assert token.last_used_at >= first


def test_a_malformed_authorization_header_is_a_401_not_a_server_error(client, ip):
    for header in ["Bearer", "Bearer a b", "Bearer cw_short", "Bearer cw_zzzzzzzzzz_" + "x" * 300]:
        response = client.get(ME, HTTP_AUTHORIZATION=header, REMOTE_ADDR=ip)
        assert response.status_code == 401, header
    non_ascii = client.get(ME, HTTP_AUTHORIZATION="Bearer cw_zzzzzzzzzz_\u00e9", REMOTE_ADDR=ip)
    assert 400 <= non_ascii.status_code < 500


def test_a_confirmed_member_with_a_session_still_uses_the_api(client):
    client.force_login(UserFactory.create())

    assert client.get(ME).status_code == 200


# --- The other ways in ------------------------------------------------------------------------


def test_the_admin_login_sends_staff_to_the_one_sign_in_form(client):
    """Attack: use the admin's own login form to sign in with an unconfirmed staff account."""
    staff = user_create(email="root@example.com", password=PASSWORD, is_staff=True)

    shown = client.get("/admin/login/?next=/admin/payments/")
    posted = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert shown.status_code == 302
    assert shown["Location"].startswith("/accounts/login/?next=/admin/payments/")
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_sign_in_form_refuses_an_unconfirmed_account(client):
    eve = unconfirmed_member()

    client.post("/accounts/login/", {"login": eve.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session


def test_email_verification_cannot_be_relaxed_by_the_environment():
    """Attack on the deployment: ACCOUNT_EMAIL_VERIFICATION=none in the environment used to turn off
    confirmation for every sign-in path."""
    env = {**os.environ, "ACCOUNT_EMAIL_VERIFICATION": "none", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.ACCOUNT_EMAIL_VERIFICATION)"

    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "mandatory"


def test_the_schema_documents_bearer_tokens_and_no_basic_auth(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"]["scheme"] == "bearer"
    assert "basicAuth" not in schemes
    assert "/api/v1/tokens/" in schema["paths"]


def test_confirm_account_gives_staff_a_second_factor_and_is_idempotent():
    from django.apps import apps

    staff = confirm_account(confirm_account(UserFactory.create(is_staff=True)))

    assert EmailAddress.objects.filter(user=staff, primary=True, verified=True).count() == 1
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa.models import Authenticator

        assert Authenticator.objects.filter(user=staff).count() == 1


def test_staff_revoke_a_leaked_token_in_the_admin_and_never_see_its_secret(client, ip, staff):
    """A member reports a leaked token: staff find it by its prefix and revoke it; it stops working."""
    from tests.sign_in import sign_in

    member = UserFactory.create()
    token, secret = api_token_create(user=member, name="leaked script")
    sign_in(client, staff)

    listing = client.get(f"/admin/community/apitoken/?q={token.prefix}")
    assert listing.status_code == 200
    assert token.prefix in listing.content.decode()
    assert token.secret_hash not in client.get(f"/admin/community/apitoken/{token.pk}/change/").content.decode()
    client.post(
        "/admin/community/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}, REMOTE_ADDR=ip
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(ME, **bearer(secret, ip)).status_code == 401


def test_another_member_cannot_revoke_a_token_but_staff_can():
    member, other = UserFactory.create(), UserFactory.create()
    staff = UserFactory.create(is_staff=True)
    token, _secret = api_token_create(user=member, name="script")
    with pytest.raises(NotAllowed):
        api_token_revoke(user=other, token=token)
    assert api_token_revoke(user=staff, token=token).revoked_at is not None
