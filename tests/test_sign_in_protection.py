"""Password guessing on the sign-in form meets a lock-out; reset and confirmation mails are rate-limited."""

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def production_limits(settings):
    """allauth's limits as deployed (the test run switches them off), in a cache namespace of this test's own."""
    settings.ACCOUNT_RATE_LIMITS = settings.SIGN_IN_RATE_LIMITS
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"sign-in-{uuid.uuid4().hex}"}}
    settings.AXES_FAILURE_LIMIT = 5


def attempt(client, email, password, ip="198.51.100.7", **extra):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_two_hundred_wrong_passwords_meet_the_lock_out_long_before_the_end(client, member, password):
    """Attack: 200 guesses at one member's password from one address. Before: 200 password checks, no
    refusal. Now the 5th failure locks the pair out; every later try is a 429 with Retry-After and the
    lock-out page, and during the lock-out even the right password signs nobody in."""
    statuses = [attempt(client, member.email, f"guess-{n}").status_code for n in range(200)]

    assert statuses[:4] == [200] * 4  # the form says the password is wrong
    assert statuses[4:] == [429] * 196
    locked = attempt(client, member.email, password)
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert "Sign-in paused" in locked.content.decode()
    assert not signed_in(client)
    assert AccessAttempt.objects.get().failures_since_start == 5  # the locked-out tries checked no password


def test_the_lock_out_holds_the_address_however_it_is_spelled_and_whatever_x_forwarded_for_says(client, member):
    """Attack: dodge the counter by changing the address's case or by inventing X-Forwarded-For per try."""
    for n in range(5):
        attempt(client, member.email.upper() if n % 2 else member.email, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert attempt(client, f" {member.email.title()} ", "wrong", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_a_guesser_elsewhere_does_not_lock_the_member_out(client, member, password):
    """Attack: lock a victim out of their account by failing on purpose. The pair (address, client address)
    is locked, not the account: the member signs in from their own network."""
    for n in range(6):
        attempt(client, member.email, f"wrong-{n}", ip="203.0.113.66")

    response = attempt(client, member.email, password, ip="192.0.2.10")

    assert response.status_code == 302
    assert signed_in(client)


def test_after_the_cool_off_the_member_signs_in_again(client, member, password):
    for n in range(5):
        attempt(client, member.email, f"wrong-{n}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert attempt(client, member.email, password).status_code == 302
    assert signed_in(client)


def test_the_lock_out_page_speaks_german(client, member):
    for n in range(5):
        attempt(client, member.email, f"wrong-{n}")

    response = attempt(client, member.email, "wrong", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 429
    assert "Anmeldung pausiert" in response.content.decode()


def test_password_reset_mails_are_limited_per_address(client, member):
    """Attack: flood a member's inbox (or the mail provider's quota) with reset mails."""
    responses = [client.post(reverse("account_reset_password"), {"email": member.email}) for _ in range(8)]

    assert [r.status_code for r in responses] == [302] * 5 + [429] * 3
    assert len(mail.outbox) == 5
    assert "Too many requests" in responses[-1].content.decode()


def test_confirmation_mails_are_sent_again_at_most_once_per_cool_down(client, password):
    """Attack: make the site send an unconfirmed address one confirmation mail per sign-in attempt."""
    from community.services import user_create

    user = user_create(email="new@example.com", password=password, display_name="New")
    for _ in range(4):
        attempt(client, user.email, password)

    assert len(mail.outbox) == 1
    assert not signed_in(client)
