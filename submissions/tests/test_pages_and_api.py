"""The pages and the API: each walks the same services and the same visibility rule; list pages,
dashboards and list APIs cost a fixed number of queries however many rows they show."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from challenges.models import PhaseStatus
from submissions import services
from submissions.models import Award, Entry, EntryStatus, Score
from submissions.tests.factories import award, enter, latest, open_phase, published_blueprint, score_all, to_judging
from tests.sign_in import sign_in
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def queries(client, url, django_assert_max_num_queries=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(context.captured_queries)


@pytest.fixture
def phase(owner, staff, judge, judge2):
    return open_phase(owner, staff, judges=[judge, judge2], sealed=False)


def test_a_member_enters_a_phase_through_the_page(client, phase, ada, bob):
    blueprint = published_blueprint(ada)
    client.force_login(ada)
    url = reverse("submissions:enter", kwargs={"phase_pk": phase.pk})
    page = client.get(url).content.decode()
    assert blueprint.title in page
    assert "You may submit 1 more entry" in page

    response = client.post(
        url,
        {"revision": latest(blueprint).pk, "title": "Snow climber", "statement": "Low and wide.",
         "co_authors": f"{bob.email} 25"},
    )  # fmt: skip

    entry = Entry.objects.get()
    assert response.url == reverse("submissions:detail", kwargs={"pk": entry.pk})
    # With a co-author the entry waits as a draft until Bob has accepted.
    assert (entry.title, entry.status) == ("Snow climber", EntryStatus.DRAFT)
    assert {a.user: a.share for a in entry.authors.all()} == {ada: Decimal("75.00"), bob: Decimal("25.00")}
    page = client.get(response.url).content.decode()
    assert "co-authors have been asked to accept" in page
    assert "co-author, not yet answered" in page
    assert "still waiting for Bob" in page

    client.force_login(bob)
    mine = client.get(reverse("submissions:mine")).content.decode()
    assert "Ada names you as a co-author with a 25 % share of any prize." in mine
    answered = client.post(reverse("submissions:co_author_answer", kwargs={"pk": entry.pk}), {"answer": "accept"})
    assert answered.url == reverse("submissions:mine")

    client.force_login(ada)
    assert "co-author, accepted" in client.get(response.url).content.decode()
    client.post(reverse("submissions:submit", kwargs={"pk": entry.pk}))
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED


def test_a_declined_co_author_is_shown_to_the_lead_who_changes_the_co_authors_on_the_entry_page(
    client, phase, ada, bob
):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    client.force_login(bob)
    client.post(reverse("submissions:co_author_answer", kwargs={"pk": draft.pk}), {"answer": "decline"})
    assert "Declined" in client.get(reverse("submissions:mine")).content.decode()

    client.force_login(ada)
    url = reverse("submissions:detail", kwargs={"pk": draft.pk})
    page = client.get(url).content.decode()
    assert "co-author, declined" in page
    assert "Bob declined to be a co-author. Change the co-authors before you submit the entry." in page
    refused = client.post(reverse("submissions:submit", kwargs={"pk": draft.pk}), follow=True).content.decode()
    assert "Bob declined to be a co-author" in refused

    changed = client.post(reverse("submissions:co_authors", kwargs={"pk": draft.pk}), {"co_authors": ""})
    assert changed.url == url
    client.post(reverse("submissions:submit", kwargs={"pk": draft.pk}))
    draft.refresh_from_db()
    assert draft.status == EntryStatus.SUBMITTED


@pytest.mark.parametrize("share", ["NaN", "nan", "Infinity", "-inf", "sNaN"])
def test_a_share_that_is_not_a_number_is_a_form_error_on_the_enter_page(client, phase, ada, bob, share):
    blueprint = published_blueprint(ada)
    client.force_login(ada)
    response = client.post(
        reverse("submissions:enter", kwargs={"phase_pk": phase.pk}),
        {"revision": latest(blueprint).pk, "title": "Odd", "co_authors": f"{bob.email} {share}"},
    )

    assert response.status_code == 200
    assert "A share is a number of percent." in response.content.decode()
    assert not Entry.objects.exists()


@pytest.mark.parametrize("revision", ["abc", "999999", "mine-but-unpublished", "bobs"])
def test_replacing_the_revision_with_a_bad_choice_is_a_form_error(client, phase, ada, bob, revision):
    entry = enter(phase, ada)
    choices = {
        "mine-but-unpublished": lambda: _unpublished(published_blueprint(ada, "Second")).pk,
        "bobs": lambda: latest(published_blueprint(bob, "Bob's")).pk,
    }
    value = choices[revision]() if revision in choices else revision
    client.force_login(ada)

    response = client.post(reverse("submissions:replace_revision", kwargs={"pk": entry.pk}), {"revision": value})

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    entry.refresh_from_db()
    assert entry.revision_history.count() == 1


def _unpublished(blueprint):
    from blueprints import services as blueprint_services

    return blueprint_services.revision_create(blueprint=blueprint, user=blueprint.owner)


def test_the_revision_is_replaced_through_the_page(client, phase, ada):
    entry = enter(phase, ada)
    second = latest(published_blueprint(ada, "Second"))
    client.force_login(ada)

    response = client.post(reverse("submissions:replace_revision", kwargs={"pk": entry.pk}), {"revision": second.pk})

    assert response.url == reverse("submissions:detail", kwargs={"pk": entry.pk})
    entry.refresh_from_db()
    assert entry.revision == second


def test_the_enter_page_shows_why_one_may_not_enter(client, phase, judge):
    client.force_login(judge)
    page = client.get(reverse("submissions:enter", kwargs={"phase_pk": phase.pk})).content.decode()
    assert "Judges of a challenge cannot enter it." in page


def test_the_challenge_page_offers_to_enter_and_later_shows_the_winners_with_the_split(client, phase, ada, bob, owner):
    client.force_login(ada)
    page = client.get(phase.challenge.get_absolute_url()).content.decode()
    assert 'data-testid="enter-phase"' in page
    first, second = enter(phase, ada), enter(phase, bob)
    to_judging(phase)
    award(phase, owner, (1, first), (2, second))

    page = client.get(phase.challenge.get_absolute_url()).content.decode()
    assert 'data-testid="winners"' in page
    assert first.title in page
    assert "€3,000.00" in page or "3,000.00" in page or "3000" in page


def test_scoring_and_awarding_through_the_pages(client, phase, ada, bob, judge, judge2, owner):
    first, second = enter(phase, ada), enter(phase, bob)
    to_judging(phase)
    criteria = list(phase.criteria.order_by("pk"))
    client.force_login(judge)
    response = client.post(
        reverse("submissions:score", kwargs={"pk": first.pk}),
        {f"score_{criteria[0].pk}": "9", f"score_{criteria[1].pk}": "8", f"comment_{criteria[0].pk}": "Great."},
    )
    assert response.status_code == 302
    assert Score.objects.filter(judge=judge, entry=first).count() == 2
    score_all(judge, second, [5, 5])
    for entry, values in ((first, [8, 8]), (second, [6, 6])):
        score_all(judge2, entry, values)
    url = reverse("submissions:award", kwargs={"phase_pk": phase.pk})
    assert client.get(url).status_code == 200

    client.force_login(owner)
    shown = client.post(url, {"rank_1": str(first.pk), "rank_2": str(second.pk)})
    assert shown.status_code == 200
    assert not Award.objects.exists()
    fingerprint = shown.context["preview"].fingerprint
    response = client.post(
        url, {"rank_1": str(first.pk), "rank_2": str(second.pk), "fingerprint": fingerprint, "confirm": "1"}
    )

    assert response.status_code == 302
    assert [(a.rank, a.entry) for a in Award.objects.order_by("rank")] == [(1, first), (2, second)]
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.AWARDED


def test_members_and_outsiders_cannot_reach_the_judging_pages(client, phase, ada, outsider):
    entry = enter(phase, ada)
    to_judging(phase)
    for user in (ada, outsider):
        client.force_login(user)
        assert client.get(reverse("submissions:judge_phase", kwargs={"phase_pk": phase.pk})).status_code == 403
        assert client.get(reverse("submissions:score", kwargs={"pk": entry.pk})).status_code == 403
        assert client.get(reverse("submissions:award", kwargs={"phase_pk": phase.pk})).status_code == 403
        assert client.get(f"/api/v1/phases/{phase.pk}/ranking/").status_code == 403


def test_the_gallery_costs_the_same_queries_for_one_or_many_entries(client, phase, outsider):
    """If this fails, a new query per entry crept in: prefetch it, or justify a new constant."""
    client.force_login(outsider)
    enter(phase, UserFactory.create())
    url = reverse("submissions:gallery", kwargs={"phase_pk": phase.pk})
    one = queries(client, url)
    for _ in range(6):
        enter(phase, UserFactory.create())
    many = queries(client, url)
    assert one == many
    assert many <= 12


def test_the_judges_dashboard_and_my_entries_cost_the_same_queries_for_many(client, phase, judge, ada):
    enter(phase, ada)
    to_judging_later = phase
    client.force_login(judge)
    dashboard = reverse("submissions:judge_phase", kwargs={"phase_pk": to_judging_later.pk})
    one = queries(client, dashboard)
    for _ in range(6):
        enter(phase, UserFactory.create())
    assert queries(client, dashboard) == one

    client.force_login(ada)
    mine = reverse("submissions:mine")
    single = queries(client, mine)
    other = open_phase(phase.challenge.owner, UserFactory.create(is_staff=True), title="Second")
    enter(other, ada)
    assert queries(client, mine) == single


def test_the_entry_list_api_costs_the_same_queries_for_many(client, phase, outsider):
    client.force_login(outsider)
    enter(phase, UserFactory.create())
    one = queries(client, "/api/v1/entries/")
    for _ in range(6):
        enter(phase, UserFactory.create())
    assert queries(client, "/api/v1/entries/") == one


def test_the_api_enters_scores_and_awards_with_per_object_permissions(client, phase, ada, judge, owner, outsider):
    blueprint = published_blueprint(ada)
    client.force_login(ada)
    created = client.post(
        "/api/v1/entries/",
        {"phase": phase.pk, "revision": latest(blueprint).pk, "title": "Via API"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    entry_id = created.json()["id"]
    again = client.post(
        "/api/v1/entries/",
        {"phase": phase.pk, "revision": latest(blueprint).pk, "title": "Twice"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["extra"]["codes"] == ["limit"]

    client.force_login(outsider)
    assert client.post(f"/api/v1/entries/{entry_id}/withdraw/").status_code == 403
    assert client.post(f"/api/v1/entries/{entry_id}/vote/").status_code == 200
    to_judging(phase)

    criteria = list(phase.criteria.order_by("pk"))
    client.force_login(judge)
    scored = client.put(
        f"/api/v1/entries/{entry_id}/scores/",
        [{"criterion": c.pk, "value": 7} for c in criteria],
        content_type="application/json",
    )
    assert scored.status_code == 200, scored.json()
    ranking = client.get(f"/api/v1/phases/{phase.pk}/ranking/").json()["results"]
    assert [(row["entry"], row["total"]) for row in ranking] == [(entry_id, "7.000")]

    client.force_login(outsider)
    refused = client.post(f"/api/v1/phases/{phase.pk}/awards/", {"awards": [{"rank": 1, "entry": entry_id}]},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["message"] == "You may not award the prizes of this phase."

    client.force_login(owner)
    choices = {"awards": [{"rank": 1, "entry": entry_id}]}
    # The second judge has not scored: awarding waits until someone confirms why it stays so.
    waiting = client.post(f"/api/v1/phases/{phase.pk}/awards/", choices, content_type="application/json")
    assert waiting.status_code == 409
    assert waiting.json()["extra"]["entries"] == [entry_id]
    confirmed = client.post(f"/api/v1/phases/{phase.pk}/unscored-confirmation/", {"reason": "Judge Two is ill."},
                            content_type="application/json")  # fmt: skip
    assert confirmed.status_code == 201, confirmed.json()
    preview = client.post(f"/api/v1/phases/{phase.pk}/awards/preview/", choices, content_type="application/json")
    assert preview.status_code == 200, preview.json()
    assert preview.json()["final"] is True
    confirmed_choices = {**choices, "fingerprint": preview.json()["fingerprint"]}
    awarded = client.post(f"/api/v1/phases/{phase.pk}/awards/", confirmed_choices, content_type="application/json")
    assert awarded.status_code == 201
    assert awarded.json()[0]["shares"][0]["amount"] == "3000.00"
    client.logout()
    assert client.get(f"/api/v1/phases/{phase.pk}/awards/").json()[0]["entry"] == entry_id


def test_a_co_author_answers_through_the_api_and_no_one_else_may(client, phase, ada, bob, staff, outsider):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    url = f"/api/v1/entries/{draft.pk}/co-author-answer/"

    client.force_login(outsider)
    assert client.post(url, {"accept": True}, content_type="application/json").status_code == 404  # a draft is private
    for someone in (ada, staff):
        client.force_login(someone)
        refused = client.post(url, {"accept": True}, content_type="application/json")
        assert refused.status_code == 403
        assert refused.json()["message"] == "Only a co-author named on this entry can answer for themselves."

    client.force_login(bob)
    assert client.post(url, {"accept": "maybe"}, content_type="application/json").status_code == 400
    answered = client.post(url, {"accept": True}, content_type="application/json")

    assert answered.status_code == 200, answered.json()
    assert [(a["user"], a["acceptance"]) for a in answered.json()["authors"]] == [
        (ada.pk, "accepted"),
        (bob.pk, "accepted"),
    ]


def test_the_lead_changes_the_co_authors_through_the_api_and_they_are_asked_again(client, phase, ada, bob):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    services.entry_co_author_respond(entry=draft, user=bob, accept=True)
    client.force_login(ada)
    url = f"/api/v1/entries/{draft.pk}/co-authors/"

    changed = client.put(url, {"co_authors": [{"email": bob.email, "share": "45"}]}, content_type="application/json")

    assert changed.status_code == 200, changed.json()
    assert [(a["share"], a["acceptance"]) for a in changed.json()["authors"]] == [
        ("55.00", "accepted"),
        ("45.00", "invited"),
    ]
    refused = client.post(f"/api/v1/entries/{draft.pk}/submit/")
    assert refused.status_code == 409
    assert refused.json()["extra"]["codes"] == ["co_authors_pending"]
    assert client.put(url, [{"email": bob.email}], content_type="application/json").status_code == 400


BODIES_OF_THE_WRONG_SHAPE = [["a list"], "just text", 42, {"reason": ["not", "text"]}]


@pytest.mark.parametrize("body", BODIES_OF_THE_WRONG_SHAPE)
@pytest.mark.parametrize("endpoint", ["withdraw", "disqualify", "recusal", "awards", "co-author-answer"])
def test_an_api_body_of_the_wrong_shape_is_a_400_with_a_clear_message(
    client, phase, ada, bob, owner, judge, endpoint, body
):
    entry = enter(phase, ada)
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    to_judging(phase)
    url, user = {
        "withdraw": (f"/api/v1/entries/{entry.pk}/withdraw/", ada),
        "disqualify": (f"/api/v1/entries/{entry.pk}/disqualify/", owner),
        "recusal": (f"/api/v1/entries/{entry.pk}/recusal/", judge),
        "awards": (f"/api/v1/phases/{phase.pk}/awards/", owner),
        "co-author-answer": (f"/api/v1/entries/{draft.pk}/co-author-answer/", bob),
    }[endpoint]
    client.force_login(user)

    response = client.post(url, json.dumps(body), content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["message"] == "Validation error"
    assert response.json()["extra"]["fields"]
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    assert not Award.objects.exists()


def test_a_null_reason_is_refused_never_stored_as_none(client, phase, ada, owner, judge):
    entry = enter(phase, ada)
    client.force_login(owner)
    refused = client.post(f"/api/v1/entries/{entry.pk}/disqualify/", {"reason": None}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["extra"]["fields"] == {"reason": ["This field may not be null."]}
    client.force_login(judge)
    refused = client.post(f"/api/v1/entries/{entry.pk}/recusal/", {"reason": None}, content_type="application/json")
    assert refused.status_code == 400

    client.force_login(ada)  # a withdrawal needs no reason: null is none
    withdrawn = client.post(f"/api/v1/entries/{entry.pk}/withdraw/", {"reason": None}, content_type="application/json")

    assert withdrawn.status_code == 200
    entry.refresh_from_db()
    assert (entry.status, entry.status_reason) == (EntryStatus.WITHDRAWN, "")
    assert not entry.recusals.exists()


def test_judging_rules_are_set_by_the_owner_while_the_challenge_is_a_draft(client, owner, staff, outsider):
    phase = open_phase(owner, staff)
    client.force_login(owner)
    response = client.put(
        f"/api/v1/challenges/{phase.challenge_id}/judging-rules/",
        {"lineage_share_percent": 10, "lineage_generations": 3, "awarded_by": "owner"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "while the challenge is a draft" in response.json()["message"]
    too_high = client.put(
        f"/api/v1/phases/{phase.pk}/judging-rules/",
        {"vote_share_percent": 60, "shortlist_size": 3},
        content_type="application/json",
    )
    assert too_high.status_code == 400
    assert client.get(reverse("submissions:rules", kwargs={"slug": phase.challenge.slug})).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("submissions:rules", kwargs={"slug": phase.challenge.slug})).status_code == 403


def test_staff_disqualify_with_a_reason_and_export_scores_from_the_admin(client, phase, staff, ada, judge):
    entry = enter(phase, ada)
    to_judging(phase)
    score_all(judge, entry, [6, 4])
    sign_in(client, staff)
    changelist = reverse("admin:submissions_entry_changelist")

    asked = client.post(changelist, {"action": "disqualify_entries", "_selected_action": [entry.pk]})
    assert "Reason" in asked.content.decode()
    client.post(changelist, {"action": "disqualify_entries", "_selected_action": [entry.pk], "apply": "1",
                             "reason": "Not an original design."})  # fmt: skip
    entry.refresh_from_db()
    assert (entry.status, entry.status_reason) == ("disqualified", "Not an original design.")

    exported = client.post(
        reverse("admin:submissions_score_changelist"),
        {"action": "export_csv", "_selected_action": list(Score.objects.values_list("pk", flat=True))},
    )
    lines = exported.content.decode().splitlines()
    assert lines[0].startswith("challenge,phase,entry_id")
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("comment", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Solid work", "Solid work"),
    ],
)
def test_the_score_export_defuses_cells_a_spreadsheet_would_run_as_formulas(
    client, phase, staff, ada, judge, comment, cell
):
    import csv
    import io

    entry = enter(phase, ada, title="=cmd|' /C calc'!A0")
    to_judging(phase)
    criterion = phase.criteria.order_by("pk")[0]
    services.entry_score(judge=judge, entry=entry, scores=[services.ScoreInput(criterion.pk, 7, comment)])
    Score.objects.filter(entry=entry).update(comment=comment)  # the service strips; the export must not rely on it
    sign_in(client, staff)

    exported = client.post(
        reverse("admin:submissions_score_changelist"),
        {"action": "export_csv", "_selected_action": list(Score.objects.values_list("pk", flat=True))},
    )

    header, row = list(csv.reader(io.StringIO(exported.content.decode(), newline="")))
    assert row[header.index("comment")] == cell
    assert row[header.index("entry")] == "'=cmd|' /C calc'!A0"
    assert row[header.index("value")] == "7"


def test_every_message_of_the_app_has_a_german_translation():
    from pathlib import Path

    import polib

    catalogue = polib.pofile(str(Path(__file__).parents[1] / "locale" / "de" / "LC_MESSAGES" / "django.po"))

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue) > 200


def test_the_pages_speak_german(client, phase, ada):
    entry = enter(phase, ada)
    client.force_login(ada)
    client.post(reverse("set_language"), {"language": "de"})
    page = client.get(reverse("submissions:detail", kwargs={"pk": entry.pk}), HTTP_ACCEPT_LANGUAGE="de").content
    assert "Eingereicht" in page.decode()
    assert "Diskussion" in page.decode()


def test_the_demo_entries_load_once(s3_bucket):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_data", stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())

    entries = Entry.objects.filter(phase__challenge__title="Alpine delivery van").order_by("pk")
    assert [(e.title, e.status, e.lead_author.email) for e in entries] == [
        ("High-roof courier", "submitted", "ada@demo.coachworks.test"),
        ("Low-roof courier", "submitted", "jonas@demo.coachworks.test"),
    ]


def test_the_winners_panel_costs_the_same_queries_for_one_or_many_awards(client, owner, staff, judge, outsider):
    """The panels on the challenge page load their data once per page, not per phase or winner."""
    phase = open_phase(owner, staff, judges=[judge], sealed=False)
    first = enter(phase, UserFactory.create())
    to_judging(phase)
    award(phase, owner, (1, first))
    client.force_login(outsider)
    queries(client, phase.challenge.get_absolute_url())  # the process's first page fills its caches
    one = queries(client, phase.challenge.get_absolute_url())

    other = open_phase(owner, staff, judges=[judge], sealed=False, title="Second")
    entries = [enter(other, UserFactory.create()) for _ in range(3)]
    to_judging(other)
    award(other, owner, *[(rank, entry) for rank, entry in enumerate(entries, start=1)])
    assert queries(client, other.challenge.get_absolute_url()) == one


def test_only_the_lead_author_changes_the_revision_or_co_authors_through_the_pages(client, phase, ada, bob):
    draft = enter(phase, ada, co_authors=[(bob, "30")], submit=False)
    bobs = latest(published_blueprint(bob, "Bob's"))
    client.force_login(bob)

    replaced = client.post(reverse("submissions:replace_revision", kwargs={"pk": draft.pk}), {"revision": bobs.pk})
    changed = client.post(reverse("submissions:co_authors", kwargs={"pk": draft.pk}), {"co_authors": ""})

    for response in (replaced, changed):
        assert response.url == reverse("submissions:detail", kwargs={"pk": draft.pk})
    page = client.get(replaced.url).content.decode()
    assert "Only the lead author can change this entry." in page
    assert [(a.user, a.share) for a in draft.authors.all()] == [(ada, Decimal("70.00")), (bob, Decimal("30.00"))]
    assert draft.revision_history.count() == 1
