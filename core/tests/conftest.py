"""Fixtures of the core tests (error contract, invalid text, money input): the members they act as."""

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
def stranger(db: None) -> Any:
    return UserFactory.create(email="stranger@example.com", display_name="Stranger")


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory.create(email="staff@example.com", display_name="Staff", is_staff=True)
