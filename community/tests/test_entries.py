"""Entries (submissions app): comments respect sealing; entering, scoring, votes and awards notify
and earn reputation through `submissions/community_events.py`."""

import pytest
from django.http import Http404

from community.models import Notification, ReputationEntry, ReputationReason
from community.services import comment_create
from submissions.tests.factories import award, enter, open_phase, score_all, to_judging
from tests.support import UserFactory

LABEL = "submissions.entry"


@pytest.fixture
def judge(db):
    return UserFactory.create(email="judge@example.com", display_name="Mira Judge")


@pytest.fixture
def sealed_phase(client_member, staff, judge, monkeypatch):
    from challenges import tasks

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    monkeypatch.setattr(tasks.send_judge_invitation, "delay", lambda *a: None)
    return open_phase(client_member, staff, judges=[judge], sealed=True)


def test_comments_on_a_sealed_entry_are_for_its_authors_judges_and_staff_until_the_phase_closes(
    ada, jonas, judge, staff, sealed_phase, django_capture_on_commit_callbacks
):
    entry = enter(sealed_phase, ada)
    comment_create(author=ada, label=LABEL, object_id=entry.pk, body="Notes for the jury")
    comment_create(author=judge, label=LABEL, object_id=entry.pk, body="@AdaOkafor which steel?")
    comment_create(author=staff, label=LABEL, object_id=entry.pk, body="Looks complete.")
    with pytest.raises(Http404):
        comment_create(author=jonas, label=LABEL, object_id=entry.pk, body="let me see")
    to_judging(sealed_phase)
    comment_create(author=jonas, label=LABEL, object_id=entry.pk, body="Now it is public: nice!")
    assert Notification.objects.filter(recipient=ada, kind="mention").count() == 1


def test_entering_scoring_and_awarding_notify_and_earn_reputation_once(
    ada, judge, client_member, sealed_phase, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = enter(sealed_phase, ada)
    to_judging(sealed_phase)
    with django_capture_on_commit_callbacks(execute=True):
        score_all(judge, entry, [8] * sealed_phase.criteria.count())
    with django_capture_on_commit_callbacks(execute=True):
        award(sealed_phase, client_member, (1, entry))
    reasons = sorted(ReputationEntry.objects.filter(user=ada).values_list("reason", "points"))
    assert reasons == [(ReputationReason.AWARD, 25 + 30), (ReputationReason.ENTRY, 2)]
    kinds = set(Notification.objects.filter(recipient=ada).values_list("kind", flat=True))
    assert {"entry_scored", "entry_awarded"} <= kinds


def points_of(member):
    member.refresh_from_db()
    return sorted(ReputationEntry.objects.filter(user=member).values_list("reason", "source_key")), member.reputation


def test_an_entry_withdrawn_or_a_vote_taken_back_takes_its_points_back(
    ada, jonas, client_member, staff, monkeypatch, django_capture_on_commit_callbacks
):
    """Submitting, withdrawing and entering again cannot farm points: what is gone earns nothing."""
    from challenges import tasks
    from submissions.services import entry_withdraw, vote_cast, vote_retract

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    phase = open_phase(client_member, staff, sealed=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = enter(phase, ada)
    with django_capture_on_commit_callbacks(execute=True):
        vote_cast(voter=jonas, entry=first)
    assert points_of(ada) == (
        [(ReputationReason.ENTRY, f"entry:{first.pk}"), (ReputationReason.VOTE, f"vote:{first.pk}:{jonas.pk}")],
        3,
    )

    with django_capture_on_commit_callbacks(execute=True):
        vote_retract(voter=jonas, entry=first)
    with django_capture_on_commit_callbacks(execute=True):
        entry_withdraw(entry=first, user=ada, reason="Starting over.")
    assert points_of(ada) == ([], 0)

    with django_capture_on_commit_callbacks(execute=True):
        second = enter(phase, ada, title="Second go")
    assert points_of(ada) == ([(ReputationReason.ENTRY, f"entry:{second.pk}")], 2)


def test_a_named_co_author_is_asked_once_per_invitation(
    ada, jonas, client_member, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from challenges import tasks

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    phase = open_phase(client_member, staff, sealed=False)
    with django_capture_on_commit_callbacks(execute=True):
        entry = enter(phase, ada, co_authors=[(jonas, "25")], submit=False)

    (asked,) = Notification.objects.filter(recipient=jonas, kind="co_author_invited")
    assert asked.actor == ada
    assert asked.context["entry"] == entry.title
    assert asked.context["share"] == "25.00"
    assert asked.url == "/entries/mine/"
