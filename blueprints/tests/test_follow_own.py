"""A member's own blueprint offers no Follow (there is nothing to hear of one's own work that way); Fork stays,
to start a variant of it."""

from typing import Any

import pytest

from core.tests.clients import as_member
from submissions.tests.factories import published_blueprint
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def test_the_owner_sees_fork_but_not_follow_on_their_own_blueprint(member: Any) -> None:
    blueprint = published_blueprint(member)

    page = as_member(member).get(blueprint.get_absolute_url()).content.decode()

    assert 'data-testid="follow"' not in page
    assert 'data-testid="fork"' in page


def test_another_member_may_follow_and_fork_it(member: Any) -> None:
    blueprint = published_blueprint(member)
    other = UserFactory.create(email="other@example.com")

    page = as_member(other).get(blueprint.get_absolute_url()).content.decode()

    assert 'data-testid="follow"' in page
    assert 'data-testid="fork"' in page
