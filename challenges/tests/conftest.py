from typing import Any

import pytest

from challenges.models import Challenge
from challenges.services import judge_declare_conflicts, judge_invite, judge_respond
from challenges.tests.factories import add_phase, make_challenge, publish
from tests.support import (
    UserFactory,
    fast_password_hashing,  # noqa: F401  (autouse: this directory hashes fast)
)


@pytest.fixture
def owner(db: None) -> Any:
    return UserFactory.create(email="client@example.com", display_name="Client")


@pytest.fixture
def other_client(db: None) -> Any:
    return UserFactory.create(email="other-client@example.com", display_name="Other client")


@pytest.fixture
def judge(db: None) -> Any:
    return UserFactory.create(email="judge@example.com", display_name="Judge")


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory.create(email="staff@example.com", display_name="Staff", is_staff=True)


@pytest.fixture
def draft(owner: Any) -> Challenge:
    challenge = make_challenge(owner)
    add_phase(challenge)
    return challenge


@pytest.fixture
def open_challenge(owner: Any, judge: Any, staff: Any, other_client: Any) -> Challenge:
    """Published, with one scheduled phase, an accepted judge who declared no conflict, and
    another client who owns a challenge of their own."""
    challenge = make_challenge(owner)
    add_phase(challenge)
    assignment = judge_invite(challenge=challenge, by=owner, email=judge.email)
    judge_respond(assignment=assignment, user=judge, accept=True)
    judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=False)
    make_challenge(other_client, title="Other client's bus")
    return publish(challenge, staff=staff)


class Enqueued:
    """What the code under test sent to the broker, recorded at the tasks' own interface."""

    def __init__(self) -> None:
        self.armed: list[tuple[int, str, Any]] = []
        self.held_notices: list[tuple[int, str]] = []
        self.invitations: list[int] = []


@pytest.fixture
def enqueued(monkeypatch: Any) -> Enqueued:
    from challenges import tasks

    record = Enqueued()

    def arm(args: tuple[int, str], eta: Any, **options: Any) -> None:
        record.armed.append((args[0], args[1], eta))

    monkeypatch.setattr(tasks.phase_advance, "apply_async", arm)
    monkeypatch.setattr(tasks.notify_owner_phase_held, "delay", lambda *a: record.held_notices.append(a))
    monkeypatch.setattr(tasks.send_judge_invitation, "delay", lambda pk: record.invitations.append(pk))
    return record
