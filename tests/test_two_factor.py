"""Two-factor sign-in: offered to every member, required for staff before any admin page."""

import re
import time
import uuid

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from community.services import user_create
from tests.accounts import confirm_account, totp_code
from tests.sign_in import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/admin/", "/admin/community/user/", "/admin/payments/payout/", "/admin/axes/accessattempt/"]


@pytest.fixture(autouse=True)
def own_cache_namespace(settings):
    """TOTP codes are marked used in the cache; a namespace per test keeps tests apart."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"two-factor-{uuid.uuid4().hex}"}}


def make_staff(*, with_totp: bool):
    user = user_create(email="root@example.com", password=PASSWORD, display_name="Root", is_staff=True)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    if with_totp:
        return confirm_account(user)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def code_for(secret: str, *, periods_ahead: int = 0) -> str:
    counter = int(time.time()) // 30 + periods_ahead
    return format_hotp_value(hotp_value(secret, counter))


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_staff_without_an_authenticator_app_are_sent_to_activate_one_from_every_admin_page(client, url):
    """Attack: a staff password alone (phished, reused) opens the admin. Now it opens the activation page."""
    staff = make_staff(with_totp=False)
    sign_in(client, staff)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"], follow=True)  # allauth asks for the password once more first
    assert "Staff pages need two-factor sign-in" in page.content.decode()


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_staff_session_signed_in_without_the_code_is_signed_out_and_asked_to_sign_in_again(client, url):
    """Attack: a session that never passed the code step (here made by `force_login`, as a session from
    before the authenticator was activated would be) opens the admin. Now it is signed out."""
    staff = make_staff(with_totp=True)
    client.force_login(staff)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert "_auth_user_id" not in client.session
    assert client.get(url).status_code == 302  # still not in


def test_staff_who_sign_in_with_password_and_code_open_the_admin(client):
    staff = make_staff(with_totp=True)
    asked = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert asked["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code() != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url


def test_a_code_works_once(client):
    """Attack: a code seen over a shoulder is replayed within its 30 seconds."""
    staff = make_staff(with_totp=True)
    code = totp_code()
    sign_in(client, staff, code=code)
    client.post(reverse("account_logout"))

    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    replayed = client.post(reverse("mfa_authenticate"), {"code": code})

    assert replayed.status_code == 200
    assert "_auth_user_id" not in client.session


def test_recovery_codes_work_once_each(client):
    """Attack: a recovery code from a stolen printout is used after its owner used it."""
    staff = make_staff(with_totp=True)
    first, second = RecoveryCodes.activate(staff).get_unused_codes()[:2]

    sign_in(client, staff, code=first)
    assert client.get("/admin/").status_code == 200
    client.post(reverse("account_logout"))

    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    reused = client.post(reverse("mfa_authenticate"), {"code": first})
    assert reused.status_code == 200
    assert "_auth_user_id" not in client.session

    client.post(reverse("mfa_authenticate"), {"code": second})
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200


def test_first_admin_visit_leads_staff_through_activation_and_a_fresh_sign_in(client):
    """The README's first-time set-up: password, activate the app, sign in again with a code, admin."""
    staff = make_staff(with_totp=False)
    sign_in(client, staff)

    confirm_password = client.get(client.get("/admin/")["Location"])
    assert confirm_password["Location"].startswith(reverse("account_reauthenticate"))
    client.post(confirm_password["Location"], {"password": PASSWORD})
    activation = client.get(reverse("mfa_activate_totp"))
    assert activation.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in activation.content.decode()  # typed into the app where the QR code cannot be scanned
    activated = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.RECOVERY_CODES).exists()

    again = client.get("/admin/")  # activation alone is not a two-factor sign-in
    assert again["Location"].startswith(reverse("account_login"))
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code_for(secret, periods_ahead=1)})
    assert client.get("/admin/").status_code == 200


def test_members_may_turn_on_two_factor_sign_in_from_their_profile_and_then_need_a_code(client, member, password):
    sign_in(client, member, password=password)
    profile = client.get(reverse("community:profile_edit")).content.decode()
    assert reverse("mfa_index") in profile

    client.post(reverse("account_reauthenticate"), {"password": password})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    client.post(reverse("account_logout"))

    asked = client.post(reverse("account_login"), {"login": member.email, "password": password})
    assert asked["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": code_for(secret, periods_ahead=1)})
    assert client.session["_auth_user_id"] == str(member.pk)


def test_members_who_are_not_staff_are_not_asked_for_a_second_factor(client, member, password):
    sign_in(client, member, password=password)

    assert client.get(reverse("community:profile_edit")).status_code == 200
    admin = client.get("/admin/")
    assert admin["Location"] != reverse("mfa_activate_totp")  # the admin's own refusal, nothing about 2FA
    assert client.session["_auth_user_id"] == str(member.pk)


def test_the_two_factor_pages_use_the_site_layout_and_no_inline_script(client):
    """The Content-Security-Policy allows no inline script: the pages must not need one."""
    staff = make_staff(with_totp=True)
    RecoveryCodes.activate(staff)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    pages = [client.get(reverse("mfa_authenticate"))]
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    pages += [client.get(reverse(name)) for name in ("mfa_index", "mfa_view_recovery_codes", "mfa_deactivate_totp")]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200, html[:500]
        assert 'class="site-header"' in html
        inline = [s for s in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S) if "src=" not in s[0]]
        assert all("application/json" in attributes or not body.strip() for attributes, body in inline), inline
