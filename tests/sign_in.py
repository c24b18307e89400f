"""Signing in as a person does, through allauth's forms: the password, then (when the account has an
authenticator app) a code from it. Staff need the second step before the admin (`core.admin_site`), so
tests that open the admin sign in with this instead of `force_login`, which records no sign-in step."""

from typing import Any

from django.urls import reverse

from tests.accounts import totp_code
from tests.support import PASSWORD  # what every test factory gives its users


def sign_in(client: Any, user: Any, *, password: str = PASSWORD, code: str | None = None) -> Any:
    """Sign `user` in on the Django test client; returns the last response (the redirect after sign-in)."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    if response["Location"] == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": code or totp_code()})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert client.session.get("_auth_user_id") == str(user.pk)
    return response
