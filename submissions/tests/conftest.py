from typing import Any

import pytest

from tests.support import (
    UserFactory,
    fast_password_hashing,  # noqa: F401  (autouse: this directory hashes fast)
)


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
