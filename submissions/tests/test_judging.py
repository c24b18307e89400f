"""Judges score per criterion, recuse themselves from single entries, see their progress and the
panel's; the community votes; the ranking follows the stated rule."""

from decimal import Decimal

import pytest

from challenges.services import judge_declare_conflicts, judge_invite, judge_respond
from core.exceptions import ApplicationError
from submissions import services, signals
from submissions.models import Score, Vote
from submissions.selectors import judge_queue, panel_progress, phase_ranking
from submissions.services import ScoreInput
from submissions.tests.factories import accept_judge, enter, open_phase, score_all, to_judging
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phase(owner, staff, judge, judge2):
    return open_phase(owner, staff, judges=[judge, judge2])


@pytest.fixture
def entries(phase, ada, bob):
    first, second = enter(phase, ada), enter(phase, bob)
    to_judging(phase)
    return first, second


def test_a_judge_scores_every_criterion_and_the_authors_are_told_once(
    entries, judge, ada, django_capture_on_commit_callbacks
):
    entry = entries[0]
    criteria = list(entry.phase.criteria.order_by("pk"))
    calls = []

    def receiver(sender, signal, **kwargs):
        calls.append(kwargs)

    signals.entry_scored.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.entry_score(judge=judge, entry=entry, scores=[ScoreInput(criteria[0].pk, 7)])
        assert calls == []  # one criterion of two
        with django_capture_on_commit_callbacks(execute=True):
            services.entry_score(judge=judge, entry=entry, scores=[ScoreInput(criteria[1].pk, 5, "Solid.")])
        with django_capture_on_commit_callbacks(execute=True):
            services.entry_score(judge=judge, entry=entry, scores=[ScoreInput(criteria[1].pk, 6)])  # a correction
    finally:
        signals.entry_scored.disconnect(receiver)

    assert calls == [{"entry_id": entry.pk, "phase_id": entry.phase_id, "judge_id": judge.pk, "author_ids": [ada.pk]}]
    assert sorted(Score.objects.filter(judge=judge).values_list("value", flat=True)) == [6, 7]


@pytest.mark.parametrize("value", [-1, 11, 5.5, "7", True])
def test_scores_outside_zero_to_ten_or_not_whole_are_refused(entries, judge, value):
    criterion = entries[0].phase.criteria.order_by("pk")[0]
    with pytest.raises(ApplicationError, match="whole number from 0 to 10"):
        services.entry_score(judge=judge, entry=entries[0], scores=[ScoreInput(criterion.pk, value)])
    assert not Score.objects.exists()


def test_only_judges_without_a_declared_conflict_score_and_only_while_judging(phase, owner, ada, outsider, judge):
    entry = enter(phase, ada)
    criterion = phase.criteria.order_by("pk")[0]
    with pytest.raises(ApplicationError, match="while the phase is being judged"):
        services.entry_score(judge=judge, entry=entry, scores=[ScoreInput(criterion.pk, 5)])
    to_judging(phase)
    conflicted = UserFactory.create()
    assignment = judge_invite(challenge=phase.challenge, by=owner, email=conflicted.email)
    judge_respond(assignment=assignment, user=conflicted, accept=True)
    judge_declare_conflicts(assignment=assignment, user=conflicted, has_conflict=True, statement="I advise Ada.")

    for someone in (outsider, owner, conflicted):
        with pytest.raises(ApplicationError, match="Only the challenge's judges"):
            services.entry_score(judge=someone, entry=entry, scores=[ScoreInput(criterion.pk, 5)])


def test_a_criterion_of_another_phase_is_refused(entries, judge, owner, staff):
    other = open_phase(owner, staff, title="Other")
    with pytest.raises(ApplicationError, match="each criterion of this phase once"):
        services.entry_score(judge=judge, entry=entries[0], scores=[ScoreInput(other.criteria.order_by("pk")[0].pk, 5)])


def test_a_recused_judge_cannot_score_the_entry_and_the_ranking_rests_on_the_others(entries, judge, judge2):
    first, second = entries
    score_all(judge, first, [10, 10])
    score_all(judge, second, [4, 4])
    score_all(judge2, first, [2, 2])
    score_all(judge2, second, [6, 6])
    # Without recusal: first (10+2)/2 = 6, second (4+6)/2 = 5.
    assert [row.entry for row in phase_ranking(phase=first.phase)] == [first, second]

    services.entry_recuse(judge=judge, entry=first, reason="My co-worker wrote it.")

    assert not Score.objects.filter(judge=judge, entry=first).exists()
    with pytest.raises(ApplicationError, match="recused"):
        score_all(judge, first, [10, 10])
    ranking = phase_ranking(phase=first.phase)
    assert [(row.entry, row.judges_score) for row in ranking] == [(second, Decimal("5.000")), (first, Decimal("2.000"))]


def test_judges_see_their_queue_and_the_panel_its_progress(entries, judge, judge2):
    first, second = entries
    score_all(judge, first, [5, 5])
    services.entry_recuse(judge=judge2, entry=second, reason="Friend.")

    queue = judge_queue(user=judge, phase=first.phase)
    assert [(item.entry, item.done) for item in queue] == [(second, False), (first, True)]
    progress = {p.judge: (p.scored, p.recused, p.remaining) for p in panel_progress(phase=first.phase)}
    assert progress == {judge: (1, 0, 1), judge2: (0, 1, 1)}


def test_a_judge_never_scores_an_entry_they_wrote(owner, staff, ada, judge):
    phase = open_phase(owner, staff)
    entry = enter(phase, ada)
    accept_judge(phase.challenge, ada)  # Ada became a judge after entering
    to_judging(phase)
    with pytest.raises(ApplicationError, match="never scores their own entry"):
        score_all(ada, entry, [5, 5])


def test_the_tie_break_is_more_first_places_then_the_earlier_submission(owner, staff, judge, judge2):
    third_judge = UserFactory.create()
    phase = open_phase(owner, staff, judges=[judge, judge2, third_judge])
    a, b, c = (enter(phase, UserFactory.create()) for _ in range(3))
    to_judging(phase)
    # All three average 6; a is first for two judges, b and c (tied) for the third; c entered after b.
    score_all(judge, a, [7, 7])
    score_all(judge2, a, [7, 7])
    score_all(third_judge, a, [4, 4])
    score_all(judge, b, [6, 6])
    score_all(judge2, b, [6, 6])
    score_all(third_judge, b, [6, 6])
    score_all(judge, c, [6, 6])
    score_all(judge2, c, [6, 6])
    score_all(third_judge, c, [6, 6])

    ranking = phase_ranking(phase=phase)

    assert [(row.entry, row.ranked.first_places) for row in ranking] == [(a, 2), (b, 1), (c, 1)]
    assert ranking[0].judges_score == ranking[1].judges_score == ranking[2].judges_score == Decimal("6.000")


def test_members_vote_once_per_entry_never_on_their_own(owner, staff, judge, ada, bob, outsider):
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    entry = enter(phase, ada, co_authors=[(bob, "10")])

    services.vote_cast(voter=outsider, entry=entry)
    services.vote_cast(voter=outsider, entry=entry)
    assert Vote.objects.filter(entry=entry).count() == 1
    for author in (ada, bob):
        with pytest.raises(ApplicationError, match="your own entry"):
            services.vote_cast(voter=author, entry=entry)
    with pytest.raises(ApplicationError, match="owner and judges do not vote"):
        services.vote_cast(voter=judge, entry=entry)
    services.vote_retract(voter=outsider, entry=entry)
    assert not Vote.objects.exists()


def test_a_sealed_entry_cannot_be_voted_on(owner, staff, ada, outsider):
    entry = enter(open_phase(owner, staff), ada)
    with pytest.raises(ApplicationError, match="cannot be voted on"):
        services.vote_cast(voter=outsider, entry=entry)


def test_the_declared_community_vote_share_blends_into_the_ranking(owner, staff, judge):
    phase = open_phase(owner, staff, judges=[judge], sealed=False, vote_share=50)
    liked, judged = enter(phase, UserFactory.create()), enter(phase, UserFactory.create())
    for _ in range(3):
        services.vote_cast(voter=UserFactory.create(), entry=liked)
    to_judging(phase)
    score_all(judge, liked, [5, 5])
    score_all(judge, judged, [8, 8])

    # liked: 0.5 * 5 + 0.5 * 10 = 7.5; judged: 0.5 * 8 + 0 = 4.
    assert [(row.entry, row.total) for row in phase_ranking(phase=phase)] == [
        (liked, Decimal("7.500")),
        (judged, Decimal("4.000")),
    ]
