"""Two members acting at once, each in their own database connection, never deadlock.

A member's row is locked while their comment or reputation changes; telling another member
(a notification row referencing them) takes a key-share lock on that member's row. Locks on
member rows therefore must not block key-share locks, or two members replying to each other at
once wait for each other until PostgreSQL aborts one of them.
"""

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction

from community.models import Comment, Notification, ReputationReason, User
from community.services import comment_create, reputation_grant, reputation_recompute, reputation_revoke

pytestmark = pytest.mark.django_db(transaction=True)

LABEL = "challenges.challenge"


def _comment(member: User, challenge) -> None:
    comment_create(author=member, label=LABEL, object_id=challenge.pk, body="Another thought.")


def _grant(member: User, challenge) -> None:
    reputation_grant(user_id=member.pk, reason=ReputationReason.AWARD, source_key="award:1", amount=Decimal("500"),
                     currency="EUR")  # fmt: skip


def _revoke(member: User, challenge) -> None:
    reputation_revoke(user_id=member.pk, source_key="vote:1:1")


def _recompute(member: User, challenge) -> None:
    reputation_recompute(user_id=member.pk)


@pytest.mark.parametrize("first", [_comment, _grant, _revoke, _recompute], ids=lambda f: f.__name__.strip("_"))
def test_two_members_replying_to_each_other_at_once_both_succeed(
    ada, jonas, challenge, first: Callable[[User, object], None]
):
    questions = {
        ada.pk: comment_create(author=ada, label=LABEL, object_id=challenge.pk, body="Steel or aluminium?"),
        jonas.pk: comment_create(author=jonas, label=LABEL, object_id=challenge.pk, body="How heavy?"),
    }
    both_hold_their_own_row = threading.Barrier(2, timeout=15)
    errors: list[BaseException] = []

    def reply(member: User, other: User) -> None:
        try:
            with transaction.atomic():
                first(member, challenge)  # the member's own row is now locked until commit
                both_hold_their_own_row.wait()
                comment_create(
                    author=member, label=LABEL, object_id=challenge.pk, body="Good question.",
                    parent_id=questions[other.pk].pk,
                )  # fmt: skip
        except BaseException as error:  # reported by the assertions below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=pair) for pair in ((ada, jonas), (jonas, ada))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert Comment.objects.filter(body="Good question.").count() == 2
    for member in (ada, jonas):
        assert Notification.objects.filter(recipient=member, kind="comment_reply").count() == 1
