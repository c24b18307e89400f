"""The dossier's bill of materials: sums per phase and in total, currencies kept apart, what is missing,
a deterministic CSV safe to open in a spreadsheet, and its download as visible as the dossier."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from core.spreadsheets import FORMULA_STARTS, spreadsheet_cell
from dossiers import bom
from dossiers.snapshot import BomLine, DossierPartView, DossierView, PhaseSection, Placement
from dossiers.tests.factories import completed_challenge_with_dossier

WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def line(name: str, quantity: int = 1, *, mass: str | None = None, cost: str | None = None, currency: str = "",
         material: str = "", note: str = "") -> BomLine:  # fmt: skip
    return BomLine(
        name=name,
        quantity=quantity,
        material=material,
        mass_kg=None if mass is None else Decimal(mass),
        unit_cost=None if cost is None else Decimal(cost),
        currency=currency,
        supplier_note=note,
    )


def part(part_id: int, *lines: BomLine, title: str = "", rank: int = 1) -> DossierPartView:
    return DossierPartView(
        part_id=part_id,
        position=part_id,
        phase_id=0,
        rank=rank,
        prize_amount=Decimal("1000.00"),
        prize_currency="EUR",
        awarded_at=WHEN,
        entry_id=part_id,
        entry_title=title or f"Entry {part_id}",
        entry_url=f"/entries/{part_id}/",
        blueprint_id=part_id,
        blueprint_title=f"Blueprint {part_id}",
        blueprint_slug=f"blueprint-{part_id}",
        blueprint_url=f"/blueprints/blueprint-{part_id}/r/1/",
        revision_id=part_id,
        revision_number=1,
        licence="CC-BY-4.0",
        authors=(),
        shares=(),
        upstream=(),
        files=(),
        bom=tuple(lines),
        placement=Placement(),
        author_ids=frozenset(),
    )


def phase(phase_id: int, title: str, *parts: DossierPartView) -> PhaseSection:
    return PhaseSection(
        phase_id=phase_id,
        title=title,
        kind="front",
        kind_label="Front",
        position=phase_id,
        status="closed",
        depends_on=(),
        parts=tuple(parts),
    )


def dossier(*phases: PhaseSection) -> DossierView:
    return DossierView(
        dossier_id=1,
        version_id=1,
        number=3,
        created_at=WHEN,
        is_complete=True,
        is_latest=True,
        challenge_id=1,
        challenge_title="Desert ambulance",
        challenge_slug="desert-ambulance",
        challenge_url="/challenges/desert-ambulance/",
        challenge_owner_id=1,
        challenge_currency="EUR",
        phases=tuple(phases),
        versions=(),
        still_key="",
    )


@pytest.fixture
def vehicle() -> DossierView:
    return dossier(
        phase(
            1,
            "Concept",
            part(1, line("Frame", 1, mass="80.500", cost="1200.00", currency="EUR", material="S355")),
        ),
        phase(
            2,
            "Wheels",
            part(
                2,
                line("Wheel hub", 4, mass="1.250", cost="85.00", currency="EUR"),
                line("Tyre", 4, mass="9.000", cost="120.00", currency="USD"),
                line("Valve cap", 4),
            ),
            part(3, rank=2),  # awarded, but its revision declares no parts
        ),
        phase(3, "Interior"),  # not awarded yet
    )


# --- Sums ---------------------------------------------------------------------------------------


def test_each_line_totals_its_quantity_times_the_unit(vehicle):
    hub = bom.bom_summary(vehicle).phases[1].lines[0]

    assert (hub.total_mass_kg, hub.total_cost) == (Decimal("5.000"), Decimal("340.00"))


def test_phases_and_the_whole_vehicle_sum_quantity_mass_and_cost_per_currency(vehicle):
    summary = bom.bom_summary(vehicle)

    assert [p.title for p in summary.phases] == ["Concept", "Wheels"]  # a phase not awarded has no lines
    wheels = summary.phases[1].totals
    assert (wheels.quantity, wheels.mass_kg, wheels.lines) == (12, Decimal("41.000"), 3)
    assert wheels.costs == (bom.CurrencyAmount("EUR", Decimal("340.00")), bom.CurrencyAmount("USD", Decimal("480.00")))
    total = summary.totals
    assert (total.quantity, total.mass_kg, total.lines) == (13, Decimal("121.500"), 4)
    assert total.costs == (bom.CurrencyAmount("EUR", Decimal("1540.00")), bom.CurrencyAmount("USD", Decimal("480.00")))


def test_amounts_in_different_currencies_are_never_added():
    view = dossier(phase(1, "Concept", part(1, line("A", cost="1.00", currency="EUR"), line("B", cost="1.00",
                                                                                        currency="CHF"))))  # fmt: skip

    costs = bom.bom_summary(view).totals.costs

    assert [(c.currency, c.amount) for c in costs] == [("CHF", Decimal("1.00")), ("EUR", Decimal("1.00"))]


def test_sums_are_exact_decimals():
    view = dossier(phase(1, "Concept", *(part(n, line("Bolt", 3, mass="0.001", cost="0.10", currency="EUR"))
                                         for n in range(1, 11))))  # fmt: skip

    totals = bom.bom_summary(view).totals

    assert (totals.mass_kg, totals.costs[0].amount) == (Decimal("0.030"), Decimal("3.00"))


# --- What is missing --------------------------------------------------------------------------------


def test_the_summary_says_what_is_missing(vehicle):
    summary = bom.bom_summary(vehicle)

    assert [(title, p.entry_title) for title, p in summary.parts_without_bom] == [("Wheels", "Entry 3")]
    assert [item.line.name for item in summary.lines_without_mass] == ["Valve cap"]
    assert [item.line.name for item in summary.lines_without_cost] == ["Valve cap"]
    assert summary.totals.lines_without_mass == 1
    assert summary.has_gaps


def test_a_dossier_without_any_lines_lists_every_part_as_missing():
    summary = bom.bom_summary(dossier(phase(1, "Concept", part(1), part(2, rank=2))))

    assert not summary.has_lines
    assert len(summary.parts_without_bom) == 2
    assert summary.totals.costs == ()


# --- The CSV ------------------------------------------------------------------------------------------


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_a_row_per_line_and_the_totals(vehicle):
    rows = rows_of(bom.bom_csv(vehicle))

    assert rows[0] == list(bom.CSV_COLUMNS)
    assert rows[1] == ["Concept", "Entry 1", "Blueprint 1", "1", "Frame", "1", "S355", "80.500", "80.500", "1200.00",
                       "EUR", "1200.00", ""]  # fmt: skip
    assert rows[2] == ["Wheels", "Entry 2", "Blueprint 2", "1", "Wheel hub", "4", "", "1.250", "5.000", "85.00", "EUR",
                       "340.00", ""]  # fmt: skip
    assert rows[4][4:] == ["Valve cap", "4", "", "", "", "", "", "", ""]
    assert rows[5] == ["Total", "", "", "", "", "13", "", "", "121.500", "", "EUR", "1540.00", ""]
    assert rows[6] == ["Total", "", "", "", "", "", "", "", "", "", "USD", "480.00", ""]
    assert len(rows) == 7


def test_the_csv_is_the_same_bytes_every_time(vehicle):
    assert bom.bom_csv(vehicle) == bom.bom_csv(vehicle)
    assert bom.bom_csv(vehicle).endswith("\r\n")


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_no_cell_of_the_csv_starts_a_formula(payload):
    view = dossier(phase(1, payload, part(1, line(payload, material=payload, note=payload), title=payload)))

    row = rows_of(bom.bom_csv(view))[1]

    for index in (0, 1, 4, 6, 12):
        assert row[index] == f"'{payload}", (index, row)


def test_ordinary_text_is_left_alone():
    assert spreadsheet_cell("Wheel hub – 6061") == "Wheel hub – 6061"
    assert spreadsheet_cell("O'Neil") == "O'Neil"
    assert spreadsheet_cell(-5) == -5


def test_the_page_section_makes_no_query(vehicle):
    # No database access is allowed in this test: a query would raise.
    context = bom.page_context(RequestFactory().get("/"), vehicle)

    assert context["bom"] == bom.bom_summary(vehicle)


# --- For any lines -------------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=10)


@st.composite
def bom_lines(draw: st.DrawFn) -> BomLine:
    cost = draw(st.none() | st.decimals(min_value=0, max_value=100_000, places=2).map(str))
    return line(
        draw(TEXT.filter(bool)),
        draw(st.integers(min_value=1, max_value=1000)),
        mass=draw(st.none() | st.decimals(min_value=0, max_value=10_000, places=3).map(str)),
        cost=cost,
        currency="" if cost is None else draw(st.sampled_from(["EUR", "USD", "CHF"])),
        material=draw(TEXT),
        note=draw(TEXT),
    )


vehicles = st.lists(st.lists(st.lists(bom_lines(), max_size=4), min_size=1, max_size=3), max_size=4).map(
    lambda phases: dossier(
        *(phase(n, f"Phase {n}", *(part(10 * n + m, *declared) for m, declared in enumerate(parts)))
          for n, parts in enumerate(phases, start=1))
    )
)  # fmt: skip


@given(vehicles)
@settings(max_examples=60, deadline=None)
def test_totals_are_the_sums_of_the_phases_per_currency_and_every_cell_is_safe(view):
    summary = bom.bom_summary(view)
    lines = [declared for p in view.parts for declared in p.bom]

    assert (
        summary.totals.quantity
        == sum(item.quantity for item in lines)
        == sum(p.totals.quantity for p in summary.phases)
    )
    for code in ("EUR", "USD", "CHF"):
        expected = sum((item.unit_cost * item.quantity for item in lines if item.currency == code and item.unit_cost
                        is not None), Decimal(0))  # fmt: skip
        found = [cost.amount for cost in summary.totals.costs if cost.currency == code]
        assert found == ([expected] if any(i.currency == code and i.unit_cost is not None for i in lines) else [])
    assert summary.totals.lines_without_mass == sum(item.mass_kg is None for item in lines)

    rows = rows_of(bom.bom_csv(view))
    assert len(rows) == 1 + len(lines) + max(1, len(summary.totals.costs))
    for row in rows:
        assert len(row) == len(bom.CSV_COLUMNS)
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row)


# --- The download --------------------------------------------------------------------------------------


def csv_url(slug: str, number: int) -> str:
    return f"/challenges/{slug}/dossier/v{number}/bom.csv"


@pytest.mark.django_db
def test_anyone_downloads_the_csv_of_a_public_challenge_s_dossier(client: Any) -> None:
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), entries_per_phase=1)
    number = scenario.versions[-1].number

    response = client.get(csv_url(scenario.slug, number))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{scenario.slug}-dossier-v{number}-bom.csv"'
    rows = rows_of(response.content.decode())
    assert rows[0] == list(bom.CSV_COLUMNS)
    assert [row[0] for row in rows[1:-1]] == ["Concept", "Concept", "Front", "Front"]  # two lines per revision
    assert rows[-1][0] == "Total"


@pytest.mark.django_db
def test_an_outsider_gets_a_404_for_an_invite_only_challenge_s_csv(client: Any) -> None:
    scenario = completed_challenge_with_dossier(phases=("concept",), entries_per_phase=1, invite_only=True)
    url = csv_url(scenario.slug, scenario.versions[-1].number)

    assert client.get(url).status_code == 404
    client.force_login(scenario.outsider)
    assert client.get(url).status_code == 404
    for reader in (scenario.owner, scenario.entrants[0], scenario.judge, scenario.staff):
        client.force_login(reader)
        assert client.get(url).status_code == 200, reader
    assert client.get(csv_url(scenario.slug, 99)).status_code == 404


@pytest.mark.django_db
def test_the_dossier_page_shows_the_bill_of_materials(client: Any) -> None:
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), entries_per_phase=1)
    number = scenario.versions[-1].number

    page = client.get(f"/challenges/{scenario.slug}/dossier/")

    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('data-testid="bom-phase"') == 2
    assert 'data-testid="bom-missing"' in text  # every revision has a line without mass or cost
    assert csv_url(scenario.slug, number) in text
