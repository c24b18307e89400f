from typing import Any

import pytest

from submissions.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """These tests create many members; a slow hash would only slow them down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db: None) -> Any:
    return UserFactory.create(email="client@example.com", display_name="Client")


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory.create(email="staff@example.com", display_name="Staff", is_staff=True)


@pytest.fixture
def judge(db: None) -> Any:
    return UserFactory.create(email="judge@example.com", display_name="Judge One")


@pytest.fixture
def judge2(db: None) -> Any:
    return UserFactory.create(email="judge2@example.com", display_name="Judge Two")


@pytest.fixture
def ada(db: None) -> Any:
    return UserFactory.create(email="ada@example.com", display_name="Ada")


@pytest.fixture
def bob(db: None) -> Any:
    return UserFactory.create(email="bob@example.com", display_name="Bob")


@pytest.fixture
def outsider(db: None) -> Any:
    return UserFactory.create(email="outsider@example.com", display_name="Outsider")
