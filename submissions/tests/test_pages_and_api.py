"""The pages and the API: each walks the same services and the same visibility rule; list pages,
dashboards and list APIs cost a fixed number of queries however many rows they show."""

from decimal import Decimal

import pytest
from django.urls import reverse

from challenges.models import PhaseStatus
from submissions.models import Award, Entry, EntryStatus, Score
from submissions.tests.factories import (
    UserFactory,
    award,
    enter,
    latest,
    open_phase,
    published_blueprint,
    score_all,
    to_judging,
)

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
    assert (entry.title, entry.status) == ("Snow climber", EntryStatus.SUBMITTED)
    assert {a.user: a.share for a in entry.authors.all()} == {ada: Decimal("75.00"), bob: Decimal("25.00")}


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


def test_scoring_and_awarding_through_the_pages(client, phase, ada, bob, judge, owner):
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
    assert client.get(reverse("submissions:award", kwargs={"phase_pk": phase.pk})).status_code == 200

    client.force_login(owner)
    response = client.post(
        reverse("submissions:award", kwargs={"phase_pk": phase.pk}), {"rank_1": str(first.pk), "rank_2": str(second.pk)}
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
    assert again.status_code == 400
    assert again.json()["extra"]["codes"] == ["limit"]

    client.force_login(outsider)
    assert client.post(f"/api/v1/entries/{entry_id}/withdraw/").status_code == 400
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
    ranking = client.get(f"/api/v1/phases/{phase.pk}/ranking/").json()
    assert [(row["entry"], row["total"]) for row in ranking] == [(entry_id, "7.000")]

    client.force_login(outsider)
    refused = client.post(f"/api/v1/phases/{phase.pk}/awards/", {"awards": [{"rank": 1, "entry": entry_id}]},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["message"] == "You may not award the prizes of this phase."

    client.force_login(owner)
    awarded = client.post(f"/api/v1/phases/{phase.pk}/awards/", {"awards": [{"rank": 1, "entry": entry_id}]},
                          content_type="application/json")  # fmt: skip
    assert awarded.status_code == 201
    assert awarded.json()[0]["shares"][0]["amount"] == "3000.00"
    client.logout()
    assert client.get(f"/api/v1/phases/{phase.pk}/awards/").json()[0]["entry"] == entry_id


def test_judging_rules_are_set_by_the_owner_while_the_challenge_is_a_draft(client, owner, staff, outsider):
    phase = open_phase(owner, staff)
    client.force_login(owner)
    response = client.put(
        f"/api/v1/challenges/{phase.challenge_id}/judging-rules/",
        {"lineage_share_percent": 10, "lineage_generations": 3, "awarded_by": "owner"},
        content_type="application/json",
    )
    assert response.status_code == 400
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
    client.force_login(staff)
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

    entries = Entry.objects.order_by("pk")
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
    one = queries(client, phase.challenge.get_absolute_url())

    other = open_phase(owner, staff, judges=[judge], sealed=False, title="Second")
    entries = [enter(other, UserFactory.create()) for _ in range(3)]
    to_judging(other)
    award(other, owner, *[(rank, entry) for rank, entry in enumerate(entries, start=1)])
    assert queries(client, other.challenge.get_absolute_url()) == one
