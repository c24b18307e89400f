from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from payments.tests import fakebank
from tests.support import (
    UserFactory,
    fast_password_hashing,  # noqa: F401  (autouse: this directory hashes fast)
)


@pytest.fixture(autouse=True)
def locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def owner(db: None) -> Any:
    return UserFactory.create(email="client@example.com", display_name="Client")


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory.create(email="staff@example.com", display_name="Staff", is_staff=True)


@pytest.fixture
def winner(db: None) -> Any:
    return UserFactory.create(email="winner@example.com", display_name="Winner")


@pytest.fixture
def stranger(db: None) -> Any:
    return UserFactory.create(email="stranger@example.com", display_name="Stranger")


class Enqueued:
    def __init__(self) -> None:
        self.payouts: list[int] = []
        self.notices: list[tuple[int, str]] = []


@pytest.fixture(autouse=True)
def enqueued(monkeypatch: Any, request: Any) -> Enqueued:
    """What the code under test sent to the broker, recorded at the tasks' own interface.

    Tests with a real worker (marked `worker`) send for real.
    """
    record = Enqueued()
    if request.node.get_closest_marker("worker"):
        return record
    from payments import tasks

    monkeypatch.setattr(tasks.payout_execute, "delay", lambda pk: record.payouts.append(pk))

    def notify(user_id: int, change: str) -> None:
        record.notices.append((user_id, change))
        tasks.notify_payout_method_changed(user_id, change)  # the e-mail goes to the locmem outbox

    monkeypatch.setattr(tasks.notify_payout_method_changed, "delay", notify)
    return record


@pytest.fixture
def bank(tmp_path: Path, settings: Any, monkeypatch: Any) -> Path:
    """The pretend external bank (`payments.tests.fakebank`) as the payout provider."""
    root = tmp_path / "fakebank"
    monkeypatch.setenv("FAKEBANK_DIR", str(root))
    settings.PAYMENTS_PAYOUT_PROVIDERS = {**settings.PAYMENTS_PAYOUT_PROVIDERS, fakebank.NAME: fakebank.PATH}
    settings.PAYMENTS_PAYOUT_PROVIDER = fakebank.NAME
    fakebank.bank_dir()
    return root


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """A page served in German leaves German active in the thread (the locale middleware never resets it)."""
    with translation.override("en"):
        yield
