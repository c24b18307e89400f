"""Test accounts that may sign in: a confirmed primary address, and for staff an activated TOTP device.

Since issue 13 only an active account with a confirmed primary address may authenticate (by token,
session or the sign-in form), and staff need a second factor before the admin. Every factory and
fixture that makes a user calls `confirm_account`; a test about unconfirmed accounts leaves it out.
"""

import time
from typing import TypeVar

from django.apps import apps

# A fixed base32 TOTP secret for every test staff account, so browser tests can compute the code.
TOTP_TEST_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

U = TypeVar("U")


def confirm_account(user: U) -> U:
    """Give `user` a verified primary e-mail address and, for staff, an activated TOTP authenticator."""
    from allauth.account.models import EmailAddress

    email = user.email  # type: ignore[attr-defined]
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email__iexact=email, defaults={"email": email, "verified": True, "primary": True}
    )
    if user.is_staff and apps.is_installed("allauth.mfa"):  # type: ignore[attr-defined]
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, TOTP_TEST_SECRET)
    return user


def totp_code(at: float | None = None) -> str:
    """The current TOTP code for `TOTP_TEST_SECRET` (what the member's authenticator app would show)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(TOTP_TEST_SECRET, counter))
