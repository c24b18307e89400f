"""Test data for the community app, made through the services."""

from typing import Any

import factory

from community.models import User
from community.services import user_create
from tests.accounts import confirm_account

PASSWORD = "a-Long-and-unusual-pw-2026"


class MemberFactory(factory.Factory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Person {n}")
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
