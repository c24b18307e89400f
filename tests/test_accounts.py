"""Sign up, verify the e-mail address, sign in, sign out and reset the password in the browser views."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from community.models import User

pytestmark = pytest.mark.django_db


def link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def sign_up(client, password: str, email: str = "Grace@Example.com"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": password,
            "password2": password,
            "display_name": "Grace H.",
            "country": "DE",
            "experience": "enthusiast",
        },
    )


def test_sign_up_verify_and_sign_in(client, password):
    response = sign_up(client, password)

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert user.display_name == "Grace H."
    assert user.country == "DE"
    assert len(mail.outbox) == 1
    assert "grace@example.com" in mail.outbox[0].to

    # Not verified yet: signing in is refused and sends the verification mail again.
    client.logout()
    response = client.post(reverse("account_login"), {"login": "grace@example.com", "password": password})
    assert "_auth_user_id" not in client.session

    confirm_url = link_in(mail.outbox[0])
    client.post(confirm_url)
    client.logout()

    response = client.post(reverse("account_login"), {"login": "GRACE@example.com", "password": password})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    home = client.get("/")
    assert "Grace H." in home.content.decode()


def test_sign_up_with_a_taken_address_creates_nothing_and_reveals_nothing(client, member, password):
    response = sign_up(client, password, email="ADA@example.com")

    # Same answer as a fresh sign-up (no account enumeration); the owner is told by mail.
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]


def test_sign_out(client, member):
    client.force_login(member)

    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session


def test_password_reset_by_mail(client, member):
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})

    assert len(mail.outbox) == 1
    reset_form = client.get(link_in(mail.outbox[0]), follow=True)
    client.post(
        reset_form.redirect_chain[-1][0], {"password1": "Brand-new-pw-2026!", "password2": "Brand-new-pw-2026!"}
    )

    member.refresh_from_db()
    assert member.check_password("Brand-new-pw-2026!")


def test_profile_edit_saves_the_profile_and_rejects_an_unknown_time_zone(client, member):
    client.force_login(member)
    url = reverse("community:profile_edit")
    data = {
        "display_name": "Ada L.",
        "country": "GB",
        "experience": "professional",
        "skills": "CAD, Aerodynamics, cad",
        "bio": "Body engineer.",
        "time_zone": "Europe/London",
        "preferred_language": "de",
    }

    assert client.post(url, data).status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.skills, member.time_zone) == (
        "Ada L.",
        ["cad", "aerodynamics"],
        "Europe/London",
    )

    response = client.post(url, {**data, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.time_zone == "Europe/London"


def test_pages_follow_the_language_switch(client):
    client.post(reverse("set_language"), {"language": "de", "next": "/"})

    assert "Gib ein Fahrzeug bei der Crowd in Auftrag" in client.get("/").content.decode()


def test_me_api_requires_sign_in_and_updates_the_profile(client, member):
    assert client.get("/api/v1/me/").status_code == 401  # not signed in

    client.force_login(member)
    response = client.patch("/api/v1/me/", {"bio": "Hi", "email": "x@example.com"}, content_type="application/json")

    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.bio, member.email) == ("Hi", "ada@example.com")
