"""Safe judging: awarding is offered once the panel has scored every entry, or once a judge, the
owner or staff confirm with a reason that the rest stay unscored (who, when and why recorded); no
winner is suggested from unscored entries; a confirmation step shows who wins what, the co-author
and lineage shares, and that awarding is final; the award re-checks everything and refuses when
what was shown changed. The same rule holds in the service, the pages and the API."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from challenges.models import PhaseStatus
from core.exceptions import ApplicationError, Conflict, NotAllowed
from submissions.models import Award, AwardShare, UnscoredConfirmation
from submissions.selectors import award_preview, judging_readiness
from submissions.services import (
    AwardChanged,
    AwardChoice,
    ScoreInput,
    entry_recuse,
    entry_score,
    phase_award,
    phase_unscored_confirm,
)
from submissions.tests.factories import enter, fork_of, open_phase, published_blueprint, score_all, to_judging
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(owner, staff, judge, judge2, ada, bob):
    """A phase being judged by two judges, with Ada's and Bob's entries, nothing scored yet."""
    phase = open_phase(owner, staff, judges=[judge, judge2], sealed=False)
    first, second = enter(phase, ada, title="Ada's van"), enter(phase, bob, title="Bob's bus")
    return to_judging(phase), first, second


def award_shown(phase, by, *pairs):
    """Award exactly what the confirmation for `pairs` shows."""
    choices = [(rank, entry.pk) for rank, entry in pairs]
    fingerprint = award_preview(phase=phase, choices=choices).fingerprint
    return phase_award(
        phase_id=phase.pk, by=by, choices=[AwardChoice(rank, pk) for rank, pk in choices], fingerprint=fingerprint
    )


# --- Service ----------------------------------------------------------------------------------


def test_awarding_waits_until_every_judge_of_the_panel_has_scored_every_entry(panel, owner, judge, judge2):
    phase, first, second = panel
    score_all(judge, first, [9, 8])
    score_all(judge, second, [5, 5])
    score_all(judge2, first, [7, 7])
    design = phase.criteria.order_by("pk").first()
    entry_score(judge=judge2, entry=second, scores=[ScoreInput(design.pk, 4)])  # one of two criteria only

    with pytest.raises(Conflict, match="1 of 2 entries are not fully scored by the panel") as waits:
        award_shown(phase, owner, (1, first))

    assert waits.value.extra["entries"] == [second.pk]
    assert not Award.objects.exists()
    score_all(judge2, second, [4, 4])
    assert [a.entry for a in award_shown(phase, owner, (1, first))] == [first]


def test_an_entry_a_judge_is_recused_from_needs_only_the_other_judges_but_one_no_one_judged_is_unscored(
    panel, judge, judge2
):
    phase, first, second = panel
    entry_recuse(judge=judge, entry=first, reason="Ada is my sister.")
    score_all(judge2, first, [6, 6])
    score_all(judge, second, [5, 5])
    entry_recuse(judge=judge2, entry=second, reason="Bob is my brother.")
    assert judging_readiness(phase=phase).ready

    entry_recuse(judge=judge2, entry=first, reason="Ada is my cousin too.")

    readiness = judging_readiness(phase=phase)
    assert (readiness.ready, readiness.unscored_ids) == (False, [first.pk])


def test_a_confirmation_records_who_when_and_why_and_opens_awarding_with_those_entries_unscored(
    panel, owner, judge, judge2
):
    phase, first, second = panel
    score_all(judge, first, [9, 8])
    score_all(judge2, first, [7, 7])
    before = timezone.now()

    confirmation = phase_unscored_confirm(phase_id=phase.pk, by=judge, reason="  Bob's files do not open.  ")

    confirmation.refresh_from_db()
    assert (confirmation.confirmed_by, confirmation.reason, confirmation.entry_ids) == (
        judge,
        "Bob's files do not open.",
        [second.pk],
    )
    assert before <= confirmation.confirmed_at <= timezone.now()
    assert judging_readiness(phase=phase).ready
    assert [a.entry for a in award_shown(phase, owner, (1, first))] == [first]


def test_an_entry_unscored_after_the_confirmation_needs_a_new_one(panel, owner, judge, judge2):
    phase, first, second = panel
    score_all(judge, first, [9, 8])
    score_all(judge2, first, [7, 7])
    phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Bob's files do not open.")
    entry_recuse(judge=judge, entry=first, reason="Ada is my sister.")
    entry_recuse(judge=judge2, entry=first, reason="Ada is my cousin.")

    with pytest.raises(Conflict, match="2 of 2 entries are not fully scored"):
        award_shown(phase, owner, (1, first))

    phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Everyone knows Ada; we decide without scores.")
    assert [a.entry for a in award_shown(phase, owner, (1, first))] == [first]


def test_only_the_panel_the_owner_and_staff_confirm_unscored_entries_with_a_reason_while_judging(
    owner, staff, judge, ada, outsider
):
    phase = open_phase(owner, staff, judges=[judge])
    entry = enter(phase, ada)
    with pytest.raises(Conflict, match="while the phase is being judged"):
        phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Too early.")
    to_judging(phase)
    for someone in (outsider, ada):
        with pytest.raises(NotAllowed, match="Only the challenge's judges, its owner and staff"):
            phase_unscored_confirm(phase_id=phase.pk, by=someone, reason="I want to.")
    with pytest.raises(ApplicationError, match="Say why"):
        phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="   ")
    assert not UnscoredConfirmation.objects.exists()

    phase_unscored_confirm(phase_id=phase.pk, by=staff, reason="The judge left.")
    score_all(judge, entry, [5, 5])
    with pytest.raises(Conflict, match="nothing to confirm"):
        phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Again.")


def test_the_award_refuses_when_the_ranking_changed_since_the_confirmation_was_shown(panel, owner, judge, judge2):
    phase, first, second = panel
    score_all(judge, first, [9, 9])
    score_all(judge2, first, [9, 9])
    score_all(judge, second, [3, 3])
    phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Judge Two ran out of time.")
    shown = award_preview(phase=phase, choices=[(1, first.pk)]).fingerprint
    score_all(judge2, second, [10, 10])  # Bob's bus now leads the ranking

    with pytest.raises(AwardChanged, match="changed since the confirmation was shown"):
        phase_award(phase_id=phase.pk, by=owner, choices=[AwardChoice(1, first.pk)], fingerprint=shown)
    with pytest.raises(AwardChanged):
        phase_award(phase_id=phase.pk, by=owner, choices=[AwardChoice(1, first.pk)], fingerprint="")

    phase.refresh_from_db()
    assert (phase.status, Award.objects.count()) == (PhaseStatus.JUDGING, 0)
    assert [a.entry for a in award_shown(phase, owner, (1, second), (2, first))] == [second, first]


def test_the_confirmation_shows_the_co_author_and_lineage_shares_the_award_then_stores(owner, staff, judge, bob):
    ancestor, winner = UserFactory.create(display_name="Ancestor"), UserFactory.create(display_name="Winner")
    phase = open_phase(owner, staff, judges=[judge], lineage_percent=20, prizes=("1000", "500"))
    root = published_blueprint(ancestor, "Root")
    entry = enter(phase, winner, blueprint=fork_of(root, winner), co_authors=[(bob, "25")])
    to_judging(phase)
    score_all(judge, entry, [8, 8])

    preview = award_preview(phase=phase, choices=[(1, entry.pk)])
    (awarded,) = phase_award(
        phase_id=phase.pk, by=owner, choices=[AwardChoice(1, entry.pk)], fingerprint=preview.fingerprint
    )

    shown = [(s.recipient, s.kind, s.generation, s.amount) for prize in preview.awarded for s in prize.shares]
    # 20 % lineage = 200 to the root's author; 800 split 75 : 25 between the lead and the co-author.
    assert shown == [
        (winner, "author", 0, Decimal("600.00")),
        (bob, "co_author", 0, Decimal("200.00")),
        (ancestor, "lineage", 1, Decimal("200.00")),
    ]
    stored = [(s.recipient, s.kind, s.generation, s.amount) for s in AwardShare.objects.filter(award=awarded)]
    assert sorted(stored, key=str) == sorted(shown, key=str)
    assert [(prize.rank, prize.amount) for prize in preview.kept] == [(2, Decimal("500.00"))]


# --- Pages ------------------------------------------------------------------------------------


def test_the_judging_page_offers_awarding_only_once_every_entry_is_scored_or_confirmed(client, panel, owner):
    phase, _first, _second = panel
    client.force_login(owner)
    dashboard = reverse("submissions:judge_phase", kwargs={"phase_pk": phase.pk})

    waiting = client.get(dashboard).content.decode()
    assert 'data-testid="award-link"' not in waiting
    assert "0 of 2 entries are fully scored by the panel." in waiting
    assert 'data-testid="unscored-form"' in waiting
    refused = client.post(reverse("submissions:unscored_confirm", kwargs={"phase_pk": phase.pk}), {"reason": " "})
    assert refused.status_code == 302
    assert not UnscoredConfirmation.objects.exists()

    confirmed = client.post(
        reverse("submissions:unscored_confirm", kwargs={"phase_pk": phase.pk}), {"reason": "Scored on paper."}
    )

    assert confirmed.status_code == 302
    page = client.get(dashboard).content.decode()
    assert 'data-testid="award-link"' in page
    assert "Scored on paper." in page
    assert f"{owner.public_name} confirmed on" in page


def test_the_award_page_before_scoring_offers_no_award_and_suggests_no_winner_from_an_unscored_ranking(
    client, panel, owner, judge, judge2
):
    phase, first, second = panel
    client.force_login(owner)
    url = reverse("submissions:award", kwargs={"phase_pk": phase.pk})

    page = client.get(url).content.decode()
    assert 'data-testid="not-ready"' in page
    assert 'data-testid="award-form"' not in page
    assert client.post(url, {"rank_1": str(first.pk)}).status_code == 200
    assert not Award.objects.exists()

    phase_unscored_confirm(phase_id=phase.pk, by=owner, reason="Scored on paper.")
    unscored = client.get(url).context["form"]
    assert [unscored[f"rank_{rank}"].value() for rank in (1, 2, 3)] == [None, None, None]

    score_all(judge, second, [6, 6])
    score_all(judge2, second, [6, 6])
    partly = client.get(url).context["form"]
    assert [partly[f"rank_{rank}"].value() for rank in (1, 2, 3)] == [str(second.pk), None, None]


def test_the_confirmation_step_shows_who_wins_what_says_it_is_final_and_only_the_confirmed_post_awards(
    client, owner, staff, judge, ada, bob
):
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    first = enter(phase, ada, title="Ada's van", co_authors=[(bob, "40")])
    second = enter(phase, UserFactory.create(display_name="Cleo"), title="Cleo's camper")
    to_judging(phase)
    score_all(judge, first, [9, 9])
    score_all(judge, second, [5, 5])
    client.force_login(owner)
    url = reverse("submissions:award", kwargs={"phase_pk": phase.pk})
    choices = {"rank_1": str(first.pk), "rank_2": str(second.pk)}

    shown = client.post(url, choices)

    page = shown.content.decode()
    assert 'data-testid="award-confirmation"' in page
    assert "Awarding is final." in page
    prize = page.split('data-testid="preview-prize-1"')[1].split("</article>")[0]
    assert "Ada&#x27;s van" in prize
    assert "3,000.00" in prize
    assert ("Ada" in prize, "Bob" in prize, "Co-author" in prize) == (True, True, True)
    assert "1,800.00" in prize  # 60 : 40
    assert "1,200.00" in prize
    assert "prize 3" in page.split('data-testid="preview-kept"')[1]
    assert not Award.objects.exists()
    fingerprint = shown.context["preview"].fingerprint

    score_all(judge, second, [10, 10])  # the ranking changes between showing and confirming
    changed = client.post(url, {**choices, "fingerprint": fingerprint, "confirm": "1"})

    assert changed.status_code == 200
    assert 'data-testid="award-changed"' in changed.content.decode()
    assert not Award.objects.exists()
    again = changed.context["preview"].fingerprint
    assert again != fingerprint
    awarded = client.post(url, {**choices, "fingerprint": again, "confirm": "1"})
    assert awarded.status_code == 302
    assert [(a.rank, a.entry) for a in Award.objects.order_by("rank")] == [(1, first), (2, second)]


# --- API --------------------------------------------------------------------------------------


def test_the_api_reports_readiness_confirms_previews_and_refuses_a_stale_confirmation(
    client, panel, owner, judge, judge2, outsider
):
    phase, first, second = panel
    score_all(judge, first, [9, 9])
    score_all(judge2, first, [8, 8])
    confirmation_url = f"/api/v1/phases/{phase.pk}/unscored-confirmation/"
    preview_url = f"/api/v1/phases/{phase.pk}/awards/preview/"
    choices = {"awards": [{"rank": 1, "entry": first.pk}]}
    client.force_login(outsider)
    assert client.get(confirmation_url).status_code == 403
    assert client.post(confirmation_url, {"reason": "x"}, content_type="application/json").status_code == 403
    assert client.post(preview_url, choices, content_type="application/json").status_code == 403

    client.force_login(judge)
    readiness = client.get(confirmation_url).json()
    assert (readiness["ready"], readiness["scored"], readiness["total"], readiness["unscored"]) == (
        False,
        1,
        2,
        [second.pk],
    )
    confirmed = client.post(confirmation_url, {"reason": "Bob's files are broken."}, content_type="application/json")
    assert confirmed.status_code == 201
    assert (confirmed.json()["confirmed_by"], confirmed.json()["entry_ids"]) == (judge.pk, [second.pk])

    client.force_login(owner)
    preview = client.post(preview_url, choices, content_type="application/json").json()
    assert preview["readiness"]["ready"] is True
    assert [(p["rank"], p["entry"], [s["amount"] for s in p["shares"]]) for p in preview["prizes"]] == [
        (1, first.pk, ["3000.00"]),
        (2, None, []),
        (3, None, []),
    ]
    score_all(judge, second, [1, 1])
    stale = client.post(
        f"/api/v1/phases/{phase.pk}/awards/",
        {**choices, "fingerprint": preview["fingerprint"]},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert not Award.objects.exists()
