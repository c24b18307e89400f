"""Awarding: only within the prize table, once per rank and entry, only while judging, by whom the
challenge says; each award's split (with lineage credit) stored so that it sums to the prize; two
concurrent award requests: one wins, the other is told."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from challenges.models import PhaseStatus, PhaseTransition
from core.exceptions import ApplicationError
from submissions import signals
from submissions.models import Award, AwardShare
from submissions.selectors import award_preview
from submissions.services import AwardChoice, phase_award, phase_unscored_confirm
from submissions.tests.factories import award, enter, fork_of, open_phase, published_blueprint, to_judging
from tests.support import UserFactory


@pytest.fixture
def judged(db, owner, staff, judge, ada, bob):
    phase = open_phase(owner, staff, judges=[judge])
    first, second = enter(phase, ada), enter(phase, bob)
    return to_judging(phase), first, second


@pytest.mark.django_db
def test_the_owner_awards_first_and_second_prize_and_the_phase_is_awarded_once(
    judged, owner, ada, bob, django_capture_on_commit_callbacks
):
    phase, first, second = judged
    calls = []

    def receiver(sender, signal, **kwargs):
        calls.append(kwargs)

    signals.phase_awarded.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            awards = award(phase, owner, (1, first), (2, second))
    finally:
        signals.phase_awarded.disconnect(receiver)

    phase.refresh_from_db()
    assert phase.status == PhaseStatus.AWARDED
    assert [(a.rank, a.entry, a.amount, a.currency, a.awarded_by) for a in awards] == [
        (1, first, Decimal("3000.00"), "EUR", owner),
        (2, second, Decimal("1500.00"), "EUR", owner),
    ]
    assert [(s.recipient, s.amount, s.kind, s.generation) for s in AwardShare.objects.order_by("award__rank")] == [
        (ada, Decimal("3000.00"), "author", 0),
        (bob, Decimal("1500.00"), "author", 0),
    ]
    assert calls == [{"phase_id": phase.pk, "challenge_id": phase.challenge_id, "award_ids": [a.pk for a in awards]}]
    transition = PhaseTransition.objects.get(phase=phase, to_status="awarded")
    assert transition.reason == f"Prizes awarded by {owner.public_name} (member {owner.pk})."
    assert transition.task == "submissions.phase_award"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([(4, 0)], "has no rank 4"),
        ([(1, 0), (1, 1)], "Each prize rank is awarded once"),
        ([(1, 0), (2, 0)], "at most one prize"),
        ([], "at least one prize"),
    ],
)
def test_awards_beyond_the_table_or_doubled_are_refused_and_nothing_changes(judged, owner, pairs, message):
    phase, *entries = judged
    phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Scored on paper.")
    choices = [AwardChoice(rank=rank, entry_id=entries[index].pk) for rank, index in pairs]

    with pytest.raises(ApplicationError, match=message):
        phase_award(phase_id=phase.pk, by=owner, choices=choices, fingerprint="")

    phase.refresh_from_db()
    assert (phase.status, Award.objects.count(), AwardShare.objects.count()) == ("judging", 0, 0)


@pytest.mark.django_db
def test_awarding_outside_judging_twice_or_by_the_wrong_person_is_refused(owner, staff, judge, ada, outsider):
    phase = open_phase(owner, staff, judges=[judge], awarded_by="judges")
    entry = enter(phase, ada)
    with pytest.raises(ApplicationError, match="while the phase is being judged"):
        award(phase, judge, (1, entry))
    to_judging(phase)
    for someone in (owner, outsider, ada):
        with pytest.raises(ApplicationError, match="may not award"):
            award(phase, someone, (1, entry))

    award(phase, judge, (1, entry))

    with pytest.raises(ApplicationError, match="already been awarded"):
        award(phase, staff, (2, entry))
    move = PhaseTransition.objects.get(phase=phase, to_status="awarded")
    assert (move.task, move.reason) == (
        "submissions.phase_award",
        f"Prizes awarded by {judge.public_name} (member {judge.pk}).",
    )


@pytest.mark.django_db
def test_an_entry_of_another_phase_or_withdrawn_cannot_win(judged, owner, staff, ada):
    phase, first, _second = judged
    elsewhere = enter(open_phase(owner, staff, title="Elsewhere"), ada)
    with pytest.raises(ApplicationError, match="Only submitted entries of this phase"):
        award(phase, owner, (1, elsewhere))


@pytest.mark.django_db
def test_lineage_credit_flows_to_the_authors_of_the_forked_revisions(owner, staff, judge):
    grandparent_author, parent_author, winner = UserFactory.create(), UserFactory.create(), UserFactory.create()
    phase = open_phase(owner, staff, judges=[judge], lineage_percent=20, prizes=("1000",))
    root = published_blueprint(grandparent_author, "Root")
    middle = fork_of(root, parent_author)
    leaf = fork_of(middle, winner)
    entry = enter(phase, winner, blueprint=leaf)
    to_judging(phase)

    (prize,) = award(phase, owner, (1, entry))

    shares = [(s.recipient, s.amount, s.kind, s.generation, s.source_blueprint) for s in prize.shares.all()]
    # 20 % = 200 split 1 : 1/2 → 133.33 (generation 1) and 66.67 (generation 2).
    assert shares == [
        (winner, Decimal("800.00"), "author", 0, None),
        (parent_author, Decimal("133.33"), "lineage", 1, middle),
        (grandparent_author, Decimal("66.67"), "lineage", 2, root),
    ]
    assert sum(s.amount for s in prize.shares.all()) == prize.amount


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_award_requests_one_wins_and_the_other_is_told(owner, staff, judge, ada, bob):
    phase = open_phase(owner, staff, judges=[judge])
    first, second = enter(phase, ada), enter(phase, bob)
    to_judging(phase)
    phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Scored on paper.")
    shown = {entry.pk: award_preview(phase=phase, choices=[(1, entry.pk)]).fingerprint for entry in (first, second)}
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def request(index, by, entry):
        try:
            barrier.wait()
            results[index] = phase_award(
                phase_id=phase.pk, by=by, choices=[AwardChoice(1, entry.pk)], fingerprint=shown[entry.pk]
            )
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=request, args=(0, owner, first)),
        threading.Thread(target=request, args=(1, judge, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    errors = [r for r in results if isinstance(r, ApplicationError)]
    winners = [r for r in results if isinstance(r, list)]
    assert (len(errors), len(winners)) == (1, 1), results
    assert errors[0].message == "This phase has already been awarded."
    assert Award.objects.filter(phase=phase).count() == 1
    assert PhaseTransition.objects.filter(phase=phase, to_status="awarded").count() == 1


def conflicted_judge(phase):
    from challenges.services import judge_declare_conflicts, judge_invite, judge_respond

    conflicted = UserFactory.create(display_name="Conflicted")
    assignment = judge_invite(challenge=phase.challenge, by=phase.challenge.owner, email=conflicted.email)
    judge_respond(assignment=assignment, user=conflicted, accept=True)
    judge_declare_conflicts(assignment=assignment, user=conflicted, has_conflict=True, statement="I advise Ada.")
    return conflicted


@pytest.mark.django_db
@pytest.mark.parametrize("awarded_by", ["judges", "both"])
def test_a_judge_who_declared_a_conflict_of_interest_cannot_award(owner, staff, judge, ada, awarded_by, client):
    from django.urls import reverse

    from submissions.selectors import may_award

    phase = open_phase(owner, staff, judges=[judge], awarded_by=awarded_by)
    entry = enter(phase, ada)
    conflicted = conflicted_judge(phase)
    to_judging(phase)

    assert not may_award(user=conflicted, challenge=phase.challenge)
    with pytest.raises(ApplicationError, match="Only judges who declared no conflict of interest may award"):
        award(phase, conflicted, (1, entry))
    client.force_login(conflicted)
    assert client.get(reverse("submissions:award", kwargs={"phase_pk": phase.pk})).status_code == 403
    refused = client.post(
        f"/api/v1/phases/{phase.pk}/awards/",
        {"awards": [{"rank": 1, "entry": entry.pk}]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only judges who declared no conflict of interest may award the prizes."
    assert not Award.objects.exists()

    assert [a.entry for a in award(phase, judge, (1, entry))] == [entry]


@pytest.mark.django_db
def test_a_judge_cannot_award_a_prize_to_an_entry_they_are_recused_from(owner, staff, judge, ada, bob):
    from submissions.services import entry_recuse

    phase = open_phase(owner, staff, judges=[judge], awarded_by="judges")
    first, second = enter(phase, ada, title="Ada's van"), enter(phase, bob)
    to_judging(phase)
    entry_recuse(judge=judge, entry=first, reason="Ada is my sister.")

    with pytest.raises(
        ApplicationError, match="You are recused from “Ada's van” and cannot award it a prize."
    ) as refused:
        award(phase, judge, (1, second), (2, first))

    assert refused.value.extra["entries"] == [first.pk]
    phase.refresh_from_db()
    assert (phase.status, Award.objects.count()) == ("judging", 0)
    assert [a.entry for a in award(phase, judge, (1, second))] == [second]
