"""The demo data command is idempotent."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from community.demo import DEMO_ACCOUNTS
from community.models import User

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return sorted(User.objects.values_list("email", "display_name", "is_staff", "password"))


def test_demo_data_twice_leaves_the_same_rows():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    first = snapshot()
    call_command("load_demo_data", stdout=StringIO())

    assert snapshot() == first
    assert len(first) == len(DEMO_ACCOUNTS)
    assert EmailAddress.objects.filter(verified=True).count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        assert f"{account.email}" in out.getvalue()
        assert account.password in out.getvalue()
        assert User.objects.get(email=account.email).check_password(account.password)
