from typing import Any

import pytest

from challenges.models import Challenge
from challenges.tests.factories import add_phase, make_challenge, publish
from tests.support import (
    UserFactory,
    fast_password_hashing,  # noqa: F401  (autouse: this directory hashes fast)
)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch: Any, request: Any) -> list[int]:
    """E-mail tasks are recorded at their own interface instead of going to the broker;
    tests about workers (marked `worker`) use a real worker process instead."""
    from community import tasks

    sent: list[int] = []
    if request.node.get_closest_marker("worker"):
        return sent
    monkeypatch.setattr(tasks.send_notification_email, "delay", lambda pk: sent.append(pk))
    return sent


@pytest.fixture(autouse=True)
def follower_fanouts(monkeypatch: Any, request: Any) -> list[int]:
    """Comments whose followers are to be told, recorded at the task's interface like the e-mails
    (tests run `comment_followers_notify` themselves; tests marked `worker` use a real worker)."""
    from community import tasks

    queued: list[int] = []
    if request.node.get_closest_marker("worker"):
        return queued
    monkeypatch.setattr(tasks.comment_followers_notify, "delay", lambda pk: queued.append(pk))
    return queued


@pytest.fixture
def ada(db: None) -> Any:
    return UserFactory.create(
        email="ada@example.com", display_name="Ada Okafor", country="NG", skills=["aerodynamics", "cad"],
        time_zone="Africa/Lagos", preferred_language="en", experience="professional",
    )  # fmt: skip


@pytest.fixture
def jonas(db: None) -> Any:
    return UserFactory.create(
        email="jonas@example.com", display_name="Jonas Berg", country="DE", skills=["welding"],
        time_zone="Europe/Berlin", preferred_language="de", experience="enthusiast",
    )  # fmt: skip


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory.create(email="staff@example.com", display_name="Staff", is_staff=True)


@pytest.fixture
def client_member(db: None) -> Any:
    return UserFactory.create(email="client@example.com", display_name="Alpine Logistics")


@pytest.fixture
def challenge(client_member: Any, staff: Any, monkeypatch: Any) -> Challenge:
    """A published public challenge with one phase."""
    from challenges import tasks

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    monkeypatch.setattr(tasks.send_judge_invitation, "delay", lambda *a: None)
    made = make_challenge(client_member)
    add_phase(made)
    return publish(made, staff=staff)


@pytest.fixture
def hidden_challenge(client_member: Any) -> Challenge:
    """A draft: only its owner (and staff) may see it, like a sealed entry for everyone else."""
    made = make_challenge(client_member, title="Secret truck")
    add_phase(made)
    return made


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "translations: checks the German catalogues of every app (fails while an app has gaps)"
    )
