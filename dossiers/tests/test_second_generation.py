"""Start again from a dossier: a second-generation challenge from one dossier version, its lineage both ways."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus, Phase
from challenges.services import challenge_invite_member
from challenges.tests.factories import add_phase, make_challenge, publish
from community.models import User
from core.exceptions import ApplicationError, NotAllowed
from dossiers import second_generation
from dossiers.models import Dossier, DossierVersion, SecondGeneration
from dossiers.second_generation import origin_panel, second_generation_create
from dossiers.selectors import dossier_view
from dossiers.tests.factories import DossierScenario, completed_challenge_with_dossier
from tests.main_pages import session_cookie
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario() -> DossierScenario:
    """A completed challenge (concept, then a front phase depending on it), one award each, two versions."""
    made = completed_challenge_with_dossier(phases=("concept", "front"), entries_per_phase=1, lineage_percent=0)
    Challenge.objects.filter(pk=made.challenge.pk).update(
        region="Alps", duties="Carry six people up mountain passes.", passengers=6, description="The original brief."
    )
    concept, front = made.phases
    Phase.objects.filter(pk=concept.pk).update(brief="Sketch the whole van.", entry_limit=2)
    Phase.objects.filter(pk=front.pk).update(brief="Design the front.")
    made.challenge.refresh_from_db()
    return made


@dataclass
class Source:
    """A published challenge with two phases (the second depends on the first) and two dossier versions
    recorded directly, without parts: for the rules that need no awarded designs."""

    challenge: Challenge
    owner: User
    staff: User
    outsider: User
    invited: User
    phases: list[Phase]
    versions: list[DossierVersion]

    @property
    def slug(self) -> str:
        return self.challenge.slug


def make_source(*, invite_only: bool = False) -> Source:
    owner, staff, outsider, invited = (UserFactory.create(is_staff=name == "s") for name in "osxi")
    challenge = make_challenge(owner, title="Alpine van", budget="50000", invite_only=invite_only, region="Alps")
    concept = add_phase(challenge, kind="concept", prizes=("1000",))
    front = add_phase(challenge, kind="front", prizes=("600", "400"), depends_on=[concept])
    if invite_only:
        challenge_invite_member(challenge=challenge, by=owner, email=invited.email)
    publish(challenge, staff=staff)
    dossier = Dossier.objects.create(challenge=challenge, latest_number=2)
    versions = [
        DossierVersion.objects.create(dossier=dossier, number=n, created_at=timezone.now(), fingerprint=str(n) * 64)
        for n in (1, 2)
    ]
    challenge.refresh_from_db()
    return Source(challenge, owner, staff, outsider, invited, [concept, front], versions)


@pytest.fixture
def source() -> Source:
    return make_source()


def start_again_url(scenario: Any, number: int | None = None) -> str:
    number = number or scenario.versions[-1].number
    return reverse("dossiers:start_again", kwargs={"slug": scenario.slug, "number": number})


def form_data(scenario: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Alpine van II",
        "budget": "5000.00",
        "currency": "EUR",
        "phases": [str(phase.pk) for phase in scenario.phases],
        "starts_in_days": "10",
    }
    return {**data, **changes}


def test_the_client_starts_again_and_gets_a_draft_with_the_brief_phases_prizes_and_dependencies(
    client: Any, scenario: DossierScenario
) -> None:
    source = scenario.challenge
    client.force_login(scenario.owner)
    form = client.get(start_again_url(scenario))
    assert form.status_code == 200
    assert f'value="{source.title} (second generation)"' in form.content.decode()

    before = timezone.now()
    response = client.post(start_again_url(scenario), form_data(scenario))

    new = Challenge.objects.exclude(pk=source.pk).get(title="Alpine van II")
    assert response.status_code == 302
    assert response["Location"] == reverse("challenges:edit_brief", kwargs={"slug": new.slug})
    assert new.status == ChallengeStatus.DRAFT
    assert new.owner == scenario.owner
    assert (new.budget, new.currency) == (Decimal("5000.00"), "EUR")
    for field in ("summary", "vehicle_type", "region", "duties", "passengers", "sealed_entries", "invite_only"):
        assert getattr(new, field) == getattr(source, field), field

    # The description keeps the source's and links the dossier version and every winning blueprint.
    last = scenario.versions[-1]
    assert new.description.startswith("The original brief.\n\n## Second generation\n")
    assert reverse("dossiers:version", kwargs={"slug": source.slug, "number": last.number}) in new.description
    for award in scenario.awards:
        revision = award.entry.revision
        url = reverse("blueprints:revision", kwargs={"slug": revision.blueprint.slug, "number": revision.number})
        assert f"({url})" in new.description

    old_phases = scenario.phases
    copies = list(new.phases.order_by("position").prefetch_related("prizes", "criteria", "requirements"))
    assert [(p.kind, p.title, p.brief, p.entry_limit) for p in copies] == [
        ("concept", old_phases[0].title, "Sketch the whole van.", 2),
        ("front", old_phases[1].title, "Design the front.", 1),
    ]
    for old, copy in zip(old_phases, copies, strict=True):
        assert [p.amount for p in copy.prizes.all()] == [p.amount for p in old.prizes.order_by("rank")]
        assert sorted((c.name, c.weight) for c in copy.criteria.all()) == sorted(
            (c.name, c.weight) for c in old.criteria.all()
        )
        assert copy.closes_at - copy.opens_at == old.closes_at - old.opens_at
        assert copy.judging_ends_at - copy.closes_at == old.judging_ends_at - old.closes_at
    assert [dep.required_id for dep in copies[1].requirements.all()] == [copies[0].pk]
    assert copies[1].opens_at - copies[0].opens_at == old_phases[1].opens_at - old_phases[0].opens_at
    first_opens = copies[0].opens_at
    assert (first_opens.minute, first_opens.second) == (0, 0)
    assert before + timedelta(days=10) - timedelta(hours=1) <= first_opens <= timezone.now() + timedelta(days=10)

    origin = SecondGeneration.objects.get(challenge=new)
    assert (origin.source_version, origin.created_by) == (last, scenario.owner)


def test_a_phase_left_out_drops_the_dependencies_on_it(source: Source) -> None:
    front = source.phases[1]
    new = second_generation_create(
        by=source.owner,
        source_version=source.versions[-1],
        title="Front only",
        budget="1000",
        currency="CHF",
        phase_ids=[front.pk],
    )
    [copy] = new.phases.all()
    assert (copy.kind, copy.requirements.count(), new.currency) == ("front", 0, "CHF")


def test_staff_may_start_again_for_the_client_and_an_older_version_may_be_the_source(
    client: Any, source: Source
) -> None:
    client.force_login(source.staff)
    first = source.versions[0]
    response = client.post(start_again_url(source, first.number), form_data(source, title="From v1"))
    assert response.status_code == 302
    new = Challenge.objects.get(title="From v1")
    assert new.owner == source.owner
    assert SecondGeneration.objects.get(challenge=new).source_version == first


def test_outsiders_get_403_or_404_and_create_nothing(client: Any, source: Source) -> None:
    count = Challenge.objects.count()
    url = start_again_url(source)
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(source.outsider)
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(source)).status_code == 403
    client.force_login(source.invited)  # any other member is not the client either
    assert client.post(url, form_data(source)).status_code == 403
    client.force_login(source.owner)
    assert client.get(start_again_url(source, 99)).status_code == 404
    assert Challenge.objects.count() == count
    with pytest.raises(NotAllowed):
        second_generation_create(
            by=source.outsider,
            source_version=source.versions[-1],
            title="Mine now",
            budget="5000",
            currency="EUR",
            phase_ids=[source.phases[0].pk],
        )


def test_an_invite_only_dossier_is_404_to_those_who_cannot_see_it(client: Any) -> None:
    hidden = make_source(invite_only=True)
    client.force_login(hidden.outsider)
    assert client.get(start_again_url(hidden)).status_code == 404


def test_no_phase_chosen_or_a_budget_below_the_prizes_is_refused_and_creates_nothing(
    client: Any, source: Source
) -> None:
    count = Challenge.objects.count()
    client.force_login(source.owner)
    no_phase = client.post(start_again_url(source), form_data(source, phases=[]))
    assert no_phase.status_code == 200
    assert "Choose at least one phase to carry over." in no_phase.content.decode()
    prizes = sum(prize.amount for phase in source.phases for prize in phase.prizes.all())
    too_little = client.post(start_again_url(source), form_data(source, budget=str(prizes - 1)))
    assert too_little.status_code == 200
    assert f"The prizes of the chosen phases add up to {prizes:,}; the budget cannot be less." in (
        too_little.content.decode()
    )
    assert Challenge.objects.count() == count
    assert not SecondGeneration.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phase_ids": []}, "phases"),
        ({"phase_ids": [10**9]}, "phases"),
        ({"budget": "1"}, "budget"),
        ({"title": "   "}, "title"),
        ({"currency": "XYZ"}, "currency"),
        ({"starts_in_days": 0}, "starts_in_days"),
    ],
)
def test_the_service_refuses_bad_input_field_by_field_and_creates_nothing(
    source: Source, changes: dict[str, Any], field: str
) -> None:
    count = Challenge.objects.count()
    arguments: dict[str, Any] = {
        "by": source.owner,
        "source_version": source.versions[-1],
        "title": "Next",
        "budget": "5000",
        "currency": "EUR",
        "phase_ids": [phase.pk for phase in source.phases],
        **changes,
    }
    with pytest.raises(ApplicationError) as refused:
        second_generation_create(**arguments)
    assert field in refused.value.extra
    assert Challenge.objects.count() == count


def test_the_new_challenge_page_shows_its_lineage(client: Any, source: Source) -> None:
    new = second_generation_create(
        by=source.owner,
        source_version=source.versions[0],
        title="Alpine van II",
        budget="5000",
        currency="EUR",
        phase_ids=[phase.pk for phase in source.phases],
    )
    client.force_login(source.owner)
    page = client.get(new.get_absolute_url()).content.decode()
    source_url = reverse("dossiers:version", kwargs={"slug": source.slug, "number": source.versions[0].number})
    assert 'data-testid="origin-panel"' in page
    assert f'Second generation of <a href="{source_url}" data-testid="origin-link">' in page
    assert f"{source.challenge.title} (dossier version {source.versions[0].number})</a>" in page
    # A challenge that did not start from a dossier has no such panel.
    assert 'data-testid="origin-panel"' not in client.get(source.challenge.get_absolute_url()).content.decode()


def test_the_lineage_hides_a_source_the_reader_cannot_see() -> None:
    hidden = make_source(invite_only=True)
    new = second_generation_create(
        by=hidden.owner,
        source_version=hidden.versions[-1],
        title="Public successor",
        budget="5000",
        currency="EUR",
        phase_ids=[hidden.phases[0].pk],
    )
    request = RequestFactory().get("/")
    request.user = hidden.outsider
    html = origin_panel(request, new)
    assert "Second generation of a challenge you cannot see (dossier version" in html
    assert hidden.challenge.title not in html
    request.user = hidden.invited  # sees the source
    assert hidden.challenge.title in origin_panel(request, new)


def test_the_dossier_page_offers_the_button_to_the_client_only_and_lists_visible_successors(
    client: Any, scenario: DossierScenario, django_assert_num_queries: Any
) -> None:
    new = second_generation_create(
        by=scenario.owner,
        source_version=scenario.versions[0],
        title="Alpine van II",
        budget="5000",
        currency="EUR",
        phase_ids=[scenario.phases[0].pk],
    )
    view = dossier_view(user=scenario.owner, slug=scenario.slug)
    request = RequestFactory().get("/")
    request.user = scenario.owner
    with django_assert_num_queries(1):
        context = second_generation.page_context(request, view)["start_again"]
    assert context.may_start
    assert context.url == start_again_url(scenario, view.number)
    assert [(s.title, s.from_number, s.is_draft) for s in context.successors] == [
        ("Alpine van II", scenario.versions[0].number, True)
    ]

    dossier_url = reverse("dossiers:page", kwargs={"slug": scenario.slug})
    client.force_login(scenario.owner)
    page = client.get(dossier_url).content.decode()
    assert f'href="{start_again_url(scenario, view.number)}" data-testid="start-again-link"' in page
    assert f'<a href="{new.get_absolute_url()}">Alpine van II</a>' in page

    client.force_login(scenario.outsider)  # the draft successor is not theirs to see, nor the button
    page = client.get(dossier_url).content.decode()
    assert 'data-testid="start-again-link"' not in page
    assert "Alpine van II" not in page
    client.logout()
    assert 'data-testid="start-again"' not in client.get(dossier_url).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_client_starts_again_from_the_dossier_page_on_a_phone(
    chromium: Any, live_server: Any, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    made = completed_challenge_with_dossier(phases=("concept", "front"), entries_per_phase=1)
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 320, "height": 800})
    context.add_cookies([session_cookie(live_server.url, made.owner)])
    page = context.new_page()
    page.set_default_timeout(15_000)

    def fits() -> bool:
        return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))

    page.goto(reverse("dossiers:page", kwargs={"slug": made.slug}))
    assert page.locator("[data-testid=dossier-credits]").is_visible()
    assert fits()
    page.click("[data-testid=start-again-link]")
    page.wait_for_selector("[data-testid=start-again-form]")
    assert fits()
    page.fill("input[name=title]", "Desert ambulance, second generation")
    page.uncheck(f"input[name=phases][value='{made.phases[1].pk}']")
    page.click("[data-testid=start-again-form] button[type=submit]")
    page.wait_for_url("**/edit/brief/")
    new = Challenge.objects.get(title="Desert ambulance, second generation")
    assert [phase.kind for phase in new.phases.all()] == ["concept"]

    page.goto(new.get_absolute_url())
    assert "Second generation of" in page.locator("[data-testid=origin-panel]").inner_text()
    assert fits()
    page.click("[data-testid=origin-link]")
    page.wait_for_selector("[data-testid=successor]")
    assert page.locator("[data-testid=successor]").inner_text().startswith("Desert ambulance, second generation")
    context.close()
