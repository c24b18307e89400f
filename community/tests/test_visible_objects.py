"""`visible_objects` checks a page of targets in one query per kind of target, however many there are."""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from challenges.models import Challenge
from challenges.tests.factories import make_challenge
from community.models import User
from community.targets import visible_objects
from tests.support import UserFactory


def _pairs(objects: list) -> list[tuple[int, int]]:
    return [(ContentType.objects.get_for_model(type(obj)).pk, obj.pk) for obj in objects]


def test_visible_objects_costs_one_query_per_kind_of_target_whatever_their_number(ada):
    challenges = [make_challenge(ada, title=f"Van {n}") for n in range(6)]
    members = UserFactory.create_batch(6)
    others_draft = make_challenge(members[0], title="Someone else's draft")
    few = _pairs([challenges[0], members[0]])
    many = _pairs([*challenges, *members, others_draft])
    visible_objects(user=ada, pairs=many)  # content types cached, as in a running site

    with CaptureQueriesContext(connection) as for_few:
        visible_objects(user=ada, pairs=few)
    with CaptureQueriesContext(connection) as for_many:
        seen = visible_objects(user=ada, pairs=many)

    assert len(for_few) == len(for_many) == 2  # challenges, members
    assert sorted(obj.pk for target, obj in seen.values() if isinstance(obj, Challenge)) == sorted(
        challenge.pk for challenge in challenges
    )  # not the other member's draft
    assert sorted(obj.pk for target, obj in seen.values() if isinstance(obj, User)) == sorted(m.pk for m in members)
