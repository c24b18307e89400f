"""What the tests of every app share to make members: one factory, one password, one fast hasher.

The fast hasher is opt-in per test directory, not set for the whole run: a test may start the site
as separate processes (tests/nodes.py), which run with the production settings, whose hashers cannot
check an MD5 hash, so a member who signs in there needs a production hash. An app's
tests/conftest.py switches the fast hasher on for its own directory by importing the autouse fixture:

    from tests.support import fast_password_hashing  # noqa: F401  (autouse: this directory hashes fast)

A test that makes many members but talks to in-process code only may set
`settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS` itself.
"""

from typing import Any

import factory
import pytest

from community.models import User
from community.services import user_create
from tests.accounts import confirm_account

PASSWORD = "a-Long-and-unusual-pw-2026"

# MD5 is unsafe for real passwords and fine for test members: it makes creating one fast.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """These tests create many members; a slow hash would only slow them down."""
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


class UserFactory(factory.Factory[User]):
    """Members with a confirmed address (staff also with a TOTP device and superuser rights), created
    by `community.services.user_create`; each signs in with `PASSWORD`."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password = PASSWORD
    is_staff = False

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        is_staff = kwargs.pop("is_staff")
        user = user_create(is_staff=is_staff, **kwargs)
        if is_staff:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        return confirm_account(user)
