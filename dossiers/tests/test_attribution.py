"""Credits and licences of a dossier: NOTICE.md and the licence warnings, read from a hand-built `DossierView`."""

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from blueprints.licences import LICENCE_URLS, Licence
from dossiers import attribution
from dossiers.attribution import ADAPTABLE_UNDER, Severity, licence_conflicts, notice_markdown
from dossiers.selectors import dossier_view_for_version
from dossiers.snapshot import (
    DossierPartView,
    DossierView,
    PersonCredit,
    PhaseSection,
    Placement,
    UpstreamCredit,
)
from dossiers.tests.factories import completed_challenge_with_dossier

BASE = "https://coachworks.example"
MADE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


def person(name: str, *, lead: bool = True) -> PersonCredit:
    pk = next(_ids)
    return PersonCredit(pk, name, f"/members/{pk}/", lead, Decimal(100 if lead else 0))


def upstream(title: str, owner: str, licence: str, generation: int = 1) -> UpstreamCredit:
    pk = next(_ids)
    return UpstreamCredit(
        generation, pk, title, f"/blueprints/up-{pk}/", pk + 1000, owner, f"/members/{pk + 1000}/", licence
    )


def part(
    title: str,
    licence: str,
    *,
    authors: tuple[PersonCredit, ...] = (),
    ancestors: tuple[UpstreamCredit, ...] = (),
    rank: int = 1,
) -> DossierPartView:
    pk = next(_ids)
    return DossierPartView(
        part_id=pk,
        position=pk,
        phase_id=0,
        rank=rank,
        prize_amount=Decimal("1000.00"),
        prize_currency="EUR",
        awarded_at=MADE,
        entry_id=pk,
        entry_title=f"Entry {title}",
        entry_url=f"/entries/{pk}/",
        blueprint_id=pk,
        blueprint_title=title,
        blueprint_slug=f"bp-{pk}",
        blueprint_url=f"/blueprints/bp-{pk}/",
        revision_id=pk,
        revision_number=2,
        licence=licence,
        authors=authors or (person(f"Author of {title}"),),
        shares=(),
        upstream=ancestors,
        files=(),
        bom=(),
        placement=Placement(),
        author_ids=frozenset(author.user_id for author in authors),
    )


def dossier(*sections: tuple[str, tuple[DossierPartView, ...]]) -> DossierView:
    phases = tuple(
        PhaseSection(
            phase_id=index,
            title=title,
            kind="concept" if index == 1 else "front",
            kind_label="Concept" if index == 1 else "Front",
            position=index,
            status="awarded",
            depends_on=(),
            parts=parts,
        )
        for index, (title, parts) in enumerate(sections, start=1)
    )
    return DossierView(
        dossier_id=1,
        version_id=7,
        number=3,
        created_at=MADE,
        is_complete=True,
        is_latest=True,
        challenge_id=5,
        challenge_title="Mountain van",
        challenge_slug="mountain-van",
        challenge_url="/challenges/mountain-van/",
        challenge_owner_id=99,
        challenge_currency="EUR",
        phases=phases,
        versions=(),
        still_key="",
    )


def of_licences(*licences: str) -> DossierView:
    return dossier(("Parts", tuple(part(f"Part {n}", licence) for n, licence in enumerate(licences))))


def codes(view: DossierView) -> list[tuple[str, str]]:
    return [(item.severity.value, item.code) for item in licence_conflicts(view)]


# --- NOTICE.md -------------------------------------------------------------------------------------


def a_full_dossier() -> DossierView:
    lead, co = person("Ada Lovelace"), person("Grace [Hopper]", lead=False)
    concept = part(
        "Alpine *van* concept",
        Licence.CC_BY_SA_4,
        authors=(lead, co),
        ancestors=(
            upstream("Van sketch", "Karl Benz", Licence.CC_BY_SA_4, 1),
            upstream("Box on wheels", "Bertha Benz", Licence.CC_BY_4, 2),
        ),
    )
    front = part("Front fascia", Licence.CC_BY_SA_4, authors=(person("Mary Anderson"),))
    return dossier(("Concept", (concept,)), ("Front", (front,)), ("Drivetrain", ()))


def test_the_notice_names_every_author_co_author_and_upstream_author_with_absolute_links() -> None:
    view = a_full_dossier()
    notice = notice_markdown(view, base_url=BASE + "/")
    concept, front = view.parts
    for credit in (*concept.authors, *front.authors):
        assert f"]({'<'}{BASE}{credit.profile_url}>)" in notice
    assert "[Ada Lovelace](<https://coachworks.example/members/" in notice
    assert "(author)" in notice
    assert "Grace \\[Hopper\\]" in notice  # user text cannot make links of its own
    assert "(co-author)" in notice
    for ancestor in concept.upstream:
        assert f"[{ancestor.owner_name}](<{BASE}{ancestor.owner_url}>)" in notice
        assert f"(<{BASE}{ancestor.blueprint_url}>)" in notice
        assert f"Generation {ancestor.generation}:" in notice
    assert f"[CC BY 4.0](<{LICENCE_URLS[Licence.CC_BY_4]}>)" in notice
    assert f"<{BASE}/blueprints/{concept.blueprint_slug}/r/2/>" in notice
    assert f"[Entry Front fascia](<{BASE}{front.entry_url}>) (rank 1)" in notice
    assert notice.startswith("# NOTICE: Mountain van, dossier version 3\n")
    assert "Alpine \\*van\\* concept, revision 2" in notice
    assert "## 3. Drivetrain (Front)\n\nNot awarded." in notice


def test_the_notice_lists_each_licence_with_what_it_requires_and_its_parts() -> None:
    notice = notice_markdown(of_licences(Licence.CC_BY_SA_4, Licence.CERN_OHL_S_2, Licence.CERN_OHL_S_2), base_url=BASE)
    licences = notice.split("## Licences", 1)[1]
    assert f"### [CC BY-SA 4.0](<{LICENCE_URLS[Licence.CC_BY_SA_4]}>)" in licences
    assert "shared under CC BY-SA 4.0 (share-alike)" in licences
    assert "complete source of the product" in licences
    assert "Parts: Part 1 r2, Part 2 r2" in licences
    assert "- **Conflict** (CC BY-SA 4.0, CERN-OHL-S-2.0): " in licences
    assert "cannot be released under one licence" in licences


def test_the_notice_is_the_same_bytes_every_time_and_in_every_language() -> None:
    view = a_full_dossier()
    first = notice_markdown(view, base_url=BASE)
    with translation.override("de"):
        in_german = notice_markdown(view, base_url=BASE)
    assert notice_markdown(view, base_url=BASE) == first == in_german
    assert first.endswith("\n")
    assert "\r" not in first


def test_a_dossier_without_conflicts_says_so() -> None:
    notice = notice_markdown(of_licences(Licence.CC_BY_4, Licence.CC_BY_4), base_url=BASE)
    assert "None: the licences of the parts combine" in notice


# --- How licences combine ------------------------------------------------------------------------


def test_two_share_alike_licences_that_exclude_each_other_are_a_conflict() -> None:
    view = of_licences(Licence.CC_BY_SA_4, Licence.CERN_OHL_S_2, Licence.CC_BY_4)
    [conflict, *_] = licence_conflicts(view)
    assert conflict.severity == Severity.CONFLICT
    assert conflict.code == "incompatible_reciprocal"
    assert conflict.licences == (Licence.CC_BY_SA_4, Licence.CERN_OHL_S_2)
    assert conflict.part_ids == tuple(p.part_id for p in view.parts[:2])
    assert "cannot be released under one licence" in conflict.message
    assert "Each part keeps its own licence and must be distributed under it" in conflict.message
    # No licence governs the whole, so no "must be under" notice; the hardware notice still applies.
    assert codes(view) == [("conflict", "incompatible_reciprocal"), ("notice", "documents_and_hardware")]


def test_share_alike_with_weakly_reciprocal_hardware_is_a_conflict_too() -> None:
    assert ("conflict", "incompatible_reciprocal") in codes(of_licences(Licence.CC_BY_SA_4, Licence.CERN_OHL_W_2))


def test_a_share_alike_part_among_permissive_ones_governs_the_assembly_as_a_notice() -> None:
    view = of_licences(Licence.CC_BY_SA_4, Licence.CC_BY_4, Licence.CC0_1)
    [notice] = licence_conflicts(view)
    assert (notice.severity, notice.code) == (Severity.NOTICE, "reciprocal_governs")
    assert notice.message.startswith("The assembly, if published as one adapted work, must be under CC BY-SA 4.0")
    assert "(CC BY 4.0, CC0 1.0)" in notice.message
    assert notice.part_ids == tuple(p.part_id for p in view.parts)


def test_strongly_reciprocal_hardware_absorbs_weakly_reciprocal_and_permissive_parts() -> None:
    view = of_licences(Licence.CERN_OHL_W_2, Licence.CERN_OHL_S_2, Licence.CERN_OHL_P_2)
    [notice] = licence_conflicts(view)
    assert notice.code == "reciprocal_governs"
    assert "must be under CERN-OHL-S-2.0" in notice.message


def test_weakly_reciprocal_parts_stay_under_their_licence_and_the_rest_may_not() -> None:
    view = of_licences(Licence.CERN_OHL_W_2, Licence.CERN_OHL_P_2)
    [notice] = licence_conflicts(view)
    assert notice.code == "weak_reciprocal"
    assert notice.part_ids == (view.parts[0].part_id,)
    assert "may keep other terms" in notice.message


def test_creative_commons_beside_hardware_licences_says_which_governs_the_hardware() -> None:
    view = of_licences(Licence.CC_BY_4, Licence.CERN_OHL_P_2, Licence.CERN_OHL_W_2)
    assert codes(view) == [("notice", "weak_reciprocal"), ("notice", "documents_and_hardware")]
    hardware = licence_conflicts(view)[-1]
    assert "made for documents and media" in hardware.message
    assert hardware.message.endswith("Each of them governs the hardware built from the parts under it.")
    strong = licence_conflicts(of_licences(Licence.CC0_1, Licence.CERN_OHL_S_2))[-1]
    assert strong.code == "documents_and_hardware"
    assert "CERN-OHL-S-2.0 governs the hardware of the vehicle: whoever makes and conveys it" in strong.message


def test_one_licence_alone_raises_nothing() -> None:
    for licence in Licence.values:
        assert licence_conflicts(of_licences(licence, licence)) == []
    assert licence_conflicts(dossier(("Concept", ()))) == []


def test_a_fork_that_left_its_share_alike_upstream_licence_is_a_conflict() -> None:
    old = part(
        "Old fork",
        Licence.CC_BY_4,
        ancestors=(
            upstream("Permissive parent", "A", Licence.CC_BY_4, 1),
            upstream("Share-alike root", "B", Licence.CC_BY_SA_4, 2),
        ),
    )
    fine = part("Fine fork", Licence.CERN_OHL_S_2, ancestors=(upstream("Weak root", "C", Licence.CERN_OHL_W_2),))
    view = dossier(("Concept", (old, fine)))
    upstream_conflicts = [item for item in licence_conflicts(view) if item.code == "upstream_reciprocal"]
    [conflict] = upstream_conflicts
    assert conflict.severity == Severity.CONFLICT
    assert conflict.part_ids == (old.part_id,)
    assert conflict.licences == (Licence.CC_BY_SA_4, Licence.CC_BY_4)
    assert "“Old fork r2” adapts “Share-alike root” (generation 2)" in conflict.message
    assert "Treat the part as under CC BY-SA 4.0" in conflict.message


def test_licences_conflict_exactly_when_no_single_licence_can_carry_every_part() -> None:
    """The pairwise rule equals the whole rule for every combination of the licences offered."""
    for size in range(1, len(Licence.values) + 1):
        for combination in itertools.combinations(Licence.values, size):
            common = frozenset(Licence.values).intersection(*(ADAPTABLE_UNDER[code] for code in combination))
            found = codes(of_licences(*combination))
            assert (("conflict", "incompatible_reciprocal") in found) == (not common), combination


# --- The page -----------------------------------------------------------------------------------


def render_credits(view: DossierView) -> str:
    request = RequestFactory().get("/")
    context: dict[str, Any] = {"dossier": view, "request": request, **attribution.page_context(request, view)}
    return render_to_string("dossiers/_credits.html", context, request=request)


@pytest.mark.django_db
def test_the_credits_section_costs_no_query(django_assert_num_queries: Any) -> None:
    view = a_full_dossier()
    with django_assert_num_queries(0):
        render_credits(view)


def test_the_page_credits_every_author_and_upstream_author_with_links() -> None:
    view = a_full_dossier()
    html = render_credits(view)
    concept, front = view.parts
    for credit in (*concept.authors, *front.authors):
        assert f'href="{credit.profile_url}"' in html
        assert credit.name in html
    for ancestor in concept.upstream:
        assert f'href="{ancestor.owner_url}"' in html
        assert f'href="{ancestor.blueprint_url}"' in html
    assert "(co-author)" in html
    assert 'data-testid="licence-conflict"' not in html


def test_the_page_shows_a_conflict_in_a_warning_box_and_notices_apart() -> None:
    html = render_credits(of_licences(Licence.CC_BY_SA_4, Licence.CERN_OHL_S_2))
    assert (
        'class="message error" role="alert" data-testid="licence-conflict" data-code="incompatible_reciprocal"' in html
    )
    assert 'data-testid="licence-notice" data-code="documents_and_hardware"' in html
    assert "cannot be released under one licence" in html


# --- A real dossier ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_real_dossier_credits_every_author_co_author_and_upstream_author_in_the_notice_and_on_the_page(
    client: Any,
) -> None:
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), entries_per_phase=2)
    view = dossier_view_for_version(scenario.versions[-1].pk)
    notice = notice_markdown(view, base_url=BASE)
    assert notice == notice_markdown(dossier_view_for_version(scenario.versions[-1].pk), base_url=BASE)
    people = (*scenario.entrants, scenario.co_author, scenario.upstream_author)
    for member in people:
        profile = reverse("community:profile", kwargs={"pk": member.pk})
        assert f"[{member.public_name}](<{BASE}{profile}>)" in notice, member.public_name
    assert f"[{scenario.upstream.title}](<{BASE}{scenario.upstream.get_absolute_url()}>)" in notice
    assert notice.count("(co-author)") == 2  # the first entry of each phase

    client.force_login(scenario.outsider)
    page = client.get(reverse("dossiers:page", kwargs={"slug": scenario.slug})).content.decode()
    credits = page.split('data-testid="dossier-credits"', 1)[1]
    for member in people:
        assert f'href="{reverse("community:profile", kwargs={"pk": member.pk})}"' in credits
    assert "Licences in this dossier" in credits
