"""The dossier page and API: what they show, who may see them (exactly who sees the challenge), and a
query count that stays the same whatever the number of parts and files."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from challenges.tests.factories import make_challenge
from core.actors import Actor
from dossiers.tests.factories import DossierScenario, completed_challenge_with_dossier
from tests.support import UserFactory

pytestmark = pytest.mark.django_db

# The dossier page of a completed challenge, with every section of the app, signed in (session and
# member included). The target is "under 15 whatever the number of files".
PAGE_QUERY_LIMIT = 14


def page_url(slug: str, number: int | None = None) -> str:
    if number is None:
        return reverse("dossiers:page", kwargs={"slug": slug})
    return reverse("dossiers:version", kwargs={"slug": slug, "number": number})


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def two_phases() -> DossierScenario:
    return completed_challenge_with_dossier(phases=("concept", "front"), awarded_phases=1, complete=False)


# --- The page ---------------------------------------------------------------------------------


def test_the_page_shows_every_phase_in_graph_order_with_its_winners(client):
    scenario = completed_challenge_with_dossier(phases=("concept", "front", "drivetrain"))

    response = client.get(page_url(scenario.slug))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-version="4"' in body
    assert body.count('data-testid="dossier-part"') == 6
    assert body.index('data-phase-kind="concept"') < body.index('data-phase-kind="front"')
    assert body.index('data-phase-kind="front"') < body.index('data-phase-kind="drivetrain"')
    assert 'data-testid="dossier-state">Complete' in body
    for name in ("Designer 1", "Designer 2", "Co-author", "Upstream author", "CC-BY-SA-4.0"):
        assert name in body
    entry = scenario.entries[scenario.phases[0].pk][0]
    blueprint = entry.revision.blueprint
    assert reverse("blueprints:revision", kwargs={"slug": blueprint.slug, "number": entry.revision.number}) in body


def test_a_phase_not_awarded_yet_says_so_and_the_dossier_is_in_progress(client, two_phases):
    body = client.get(page_url(two_phases.slug)).content.decode()

    assert body.count('data-testid="not-awarded"') == 1
    assert "In progress: each award adds a version" in body


def test_a_cancelled_phase_says_it_gives_no_prize(client, two_phases):
    from challenges.models import PhaseStatus
    from challenges.services import phase_transition

    phase_transition(phase=two_phases.phases[1], to=PhaseStatus.CANCELLED, actor=Actor.user(two_phases.owner))

    body = client.get(page_url(two_phases.slug)).content.decode()

    assert "Cancelled: no prize is given in this phase." in body
    assert "Not awarded yet." not in body


def test_older_versions_are_reachable_from_the_version_switcher(client):
    scenario = completed_challenge_with_dossier(phases=("concept", "front"))

    latest = client.get(page_url(scenario.slug)).content.decode()
    first = client.get(page_url(scenario.slug, 1))

    assert 'data-testid="version-switcher"' in latest
    assert f'href="{page_url(scenario.slug, 1)}"' in latest
    assert first.status_code == 200
    body = first.content.decode()
    assert 'data-version="1"' in body
    assert body.count('data-testid="dossier-part"') == 2
    assert 'data-testid="latest-link"' in body


def test_no_dossier_no_version_and_no_challenge_are_a_clear_404(client, two_phases):
    owner = UserFactory.create()
    without = make_challenge(owner, title="Nothing awarded")

    missing_version = client.get(page_url(two_phases.slug, 9))
    no_dossier = client_for(owner).get(page_url(without.slug))
    no_challenge = client.get(page_url("no-such-challenge"))

    assert missing_version.status_code == no_dossier.status_code == no_challenge.status_code == 404
    assert "no version 9" in missing_version.content.decode()
    assert "no dossier yet" in no_dossier.content.decode()
    assert 'data-testid="dossier-not-found"' in no_challenge.content.decode()


def test_the_page_is_in_german_for_german_readers(client, two_phases):
    body = client.get(page_url(two_phases.slug), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Fahrzeugdossier" in body
    assert "Noch nicht vergeben." in body


def test_the_rendered_still_is_the_link_preview_image(client, two_phases):
    from dossiers.models import DossierVersion

    before = client.get(page_url(two_phases.slug)).content.decode()
    DossierVersion.objects.filter(pk=two_phases.versions[-1].pk).update(still_key="dossiers/stills/v1-test.png")
    after = client.get(page_url(two_phases.slug)).content.decode()

    assert "/static/icons/icon-512" in before.split('property="og:image"')[1].split(">")[0]
    assert "dossiers/stills/v1-test.png" in after.split('property="og:image"')[1].split(">")[0]


def test_the_challenge_page_links_to_its_dossier(client, two_phases):
    owner = UserFactory.create()
    without = make_challenge(owner, title="Nothing awarded")

    body = client.get(two_phases.challenge.get_absolute_url()).content.decode()
    other = client_for(owner).get(without.get_absolute_url()).content.decode()

    assert 'data-testid="dossier-link"' in body
    assert page_url(two_phases.slug) in body
    assert "Vehicle dossier: version 1" in body
    assert 'data-testid="dossier-link"' not in other


def test_the_page_makes_the_same_few_queries_whatever_the_number_of_parts_and_files():
    small = completed_challenge_with_dossier(phases=("concept", "front"), entries_per_phase=1, title="Small")
    large = completed_challenge_with_dossier(
        phases=("concept", "front"), entries_per_phase=2, files_per_entry=3, title="Large"
    )
    counts, api_counts = [], []
    for scenario in (small, large):
        client = client_for(scenario.owner)
        client.get(page_url(scenario.slug))  # warm caches that are not about this page
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page_url(scenario.slug))
        assert response.status_code == 200
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("api-dossier", kwargs={"slug": scenario.slug}))
        assert response.status_code == 200
        api_counts.append(len(queries))

    assert counts[0] == counts[1], f"The dossier page's queries grew with its parts and files: {counts}"
    assert api_counts[0] == api_counts[1], f"The dossier API's queries grew with its parts and files: {api_counts}"
    assert api_counts[1] <= 11, f"The dossier API made {api_counts[1]} queries: the selector's 9 and the member's"
    assert counts[1] <= PAGE_QUERY_LIMIT, (
        f"The dossier page made {counts[1]} queries; justify any new one or fold it into the selector's."
    )


# --- Who sees it ------------------------------------------------------------------------------


@pytest.fixture
def invite_only() -> DossierScenario:
    return completed_challenge_with_dossier(phases=("concept",), entries_per_phase=1, invite_only=True)


@pytest.mark.parametrize("who", ["owner", "entrant", "co_author", "judge", "staff"])
def test_an_invite_only_dossier_is_visible_to_those_who_see_the_challenge(invite_only, who):
    user = invite_only.entrants[0] if who == "entrant" else getattr(invite_only, who)
    client = client_for(user)

    assert client.get(page_url(invite_only.slug)).status_code == 200
    api = client.get(reverse("api-dossier", kwargs={"slug": invite_only.slug}))
    assert api.status_code == 200
    assert api.json()["challenge_slug"] == invite_only.slug


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_an_invite_only_dossier_is_a_404_to_everyone_else(invite_only, who):
    client = client_for(None if who == "anonymous" else invite_only.outsider)

    assert client.get(page_url(invite_only.slug)).status_code == 404
    assert client.get(page_url(invite_only.slug, 1)).status_code == 404
    for name, kwargs in (
        ("api-dossier", {}),
        ("api-dossier-versions", {}),
        ("api-dossier-version", {"number": 1}),
    ):
        response = client.get(reverse(name, kwargs={"slug": invite_only.slug, **kwargs}))
        assert response.status_code == 404, name


# --- The API ----------------------------------------------------------------------------------


def test_the_api_gives_the_whole_version_as_json(client):
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), files_per_entry=2)

    data = client.get(reverse("api-dossier", kwargs={"slug": scenario.slug})).json()

    assert (data["number"], data["is_complete"], data["is_latest"]) == (3, True, True)
    assert [phase["kind"] for phase in data["phases"]] == ["concept", "front"]
    assert [version["number"] for version in data["versions"]] == [1, 2, 3]
    part = data["phases"][0]["parts"][0]
    assert part["rank"] == 1
    assert [author["name"] for author in part["authors"]] == ["Designer 1", "Co-author"]
    assert part["upstream"][0]["owner_name"] == "Upstream author"
    assert {share["kind"] for share in part["shares"]} == {"author", "co_author", "lineage"}
    assert len(part["files"]) == 4
    assert all(len(file["sha256"]) == 64 and file["size"] > 0 for file in part["files"])
    assert "storage_key" not in part["files"][0]
    assert part["bom"][0] == {
        "name": "Part 1-1",
        "quantity": 1,
        "material": "Aluminium 6061",
        "mass_kg": "1.250",
        "unit_cost": "40.00",
        "currency": "EUR",
        "supplier_note": "Any CNC shop",
    }
    assert part["placement"] == {"position": [0.0, 0.0, 0.0], "rotation": [0.0, 0.0, 0.0], "scale": 1.0}


def test_the_api_lists_versions_in_pages_and_gives_each_by_number(client):
    scenario = completed_challenge_with_dossier(phases=("concept", "front"))

    first_page = client.get(reverse("api-dossier-versions", kwargs={"slug": scenario.slug}), {"page_size": 2}).json()
    second_page = client.get(first_page["next"]).json()
    first = client.get(reverse("api-dossier-version", kwargs={"slug": scenario.slug, "number": 1}))
    missing = client.get(reverse("api-dossier-version", kwargs={"slug": scenario.slug, "number": 7}))

    assert [(row["number"], row["part_count"]) for row in first_page["results"]] == [(1, 2), (2, 4)]
    assert [(row["number"], row["is_complete"]) for row in second_page["results"]] == [(3, True)]
    assert first.json()["number"] == 1
    assert first.json()["is_latest"] is False
    assert missing.status_code == 404


def test_a_challenge_without_dossier_has_an_empty_version_list_and_no_latest(client):
    owner = UserFactory.create()
    challenge = make_challenge(owner, title="Nothing awarded")
    client.force_login(owner)

    versions = client.get(reverse("api-dossier-versions", kwargs={"slug": challenge.slug}))
    latest = client.get(reverse("api-dossier", kwargs={"slug": challenge.slug}))

    assert versions.status_code == 200
    assert versions.json()["results"] == []
    assert latest.status_code == 404


# --- In the browser ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_page_fits_a_320_px_phone_and_a_laptop(chromium, live_server, settings, language):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    scenario = completed_challenge_with_dossier(
        phases=("concept", "wheels_tyres"), title="An ambulance with a rather long name for a small phone screen"
    )
    context = chromium.new_context(base_url=live_server.url, locale="de-DE" if language == "de" else "en-GB")
    try:
        page = context.new_page()
        page.goto(page_url(scenario.slug))
        assert page.locator('[data-testid="dossier-part"]').count() == 4
        for width in (320, 768, 1366):
            page.set_viewport_size({"width": width, "height": 800})
            scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll_width <= inner_width, f"{width} px ({language}): {scroll_width} px wide"
    finally:
        context.close()


# --- Admin ------------------------------------------------------------------------------------


def test_staff_read_dossiers_versions_and_packages_in_the_admin_and_change_nothing(client):
    from dossiers.models import DossierPackage
    from tests.sign_in import sign_in

    scenario = completed_challenge_with_dossier(phases=("concept",), entries_per_phase=1)
    version = scenario.versions[-1]
    package = DossierPackage.objects.create(version=version)
    sign_in(client, scenario.staff)

    for name, pk in (
        ("dossiers_dossier", scenario.dossier.pk),
        ("dossiers_dossierversion", version.pk),
        ("dossiers_dossierpackage", package.pk),
    ):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
        page = client.get(reverse(f"admin:{name}_change", args=[pk]))
        assert page.status_code == 200, name
        assert 'name="_save"' not in page.content.decode(), name
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403, name
