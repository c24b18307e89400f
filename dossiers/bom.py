"""The bill of materials of a dossier version: every awarded part's declared lines, summed.

Reads a `DossierView` only (no query). Quantities and masses add up per phase and in total; costs
add up per currency and never across currencies. What is missing is said plainly: awarded parts
that declare no lines, lines without a mass, lines without a cost. Totals of mass leave out the
lines without one (the page says how many).

`bom_csv` is the same list as a spreadsheet (`BOM.csv` in the dossier's package): deterministic for
a version (the same bytes every time), English column names, numbers with a decimal point, and
safe to open in a spreadsheet (no cell starts a formula).
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from core.spreadsheets import spreadsheet_cell
from dossiers.selectors import dossier_view
from dossiers.snapshot import BomLine, DossierPartView, DossierView, PhaseSection

MASS_STEP = Decimal("0.001")
COST_STEP = Decimal("0.01")
CSV_COLUMNS = (
    "phase", "entry", "blueprint", "revision", "part", "quantity", "material", "mass per unit kg",
    "total mass kg", "cost per unit", "currency", "total cost", "supplier note",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CurrencyAmount:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One declared line, with the awarded part it comes from and its totals (quantity × per unit)."""

    phase_title: str
    part: DossierPartView
    line: BomLine
    total_mass_kg: Decimal | None
    total_cost: Decimal | None


@dataclass(frozen=True, slots=True)
class Totals:
    quantity: int
    mass_kg: Decimal  # of the lines with a mass
    costs: tuple[CurrencyAmount, ...]  # one per currency, by currency code
    lines: int
    lines_without_mass: int
    lines_without_cost: int


@dataclass(frozen=True, slots=True)
class PhaseBom:
    phase_id: int
    title: str
    kind_label: str
    lines: tuple[SummaryLine, ...]
    totals: Totals


@dataclass(frozen=True, slots=True)
class BomSummary:
    phases: tuple[PhaseBom, ...]  # the phases with awarded parts, in the dossier's order
    totals: Totals
    parts_without_bom: tuple[tuple[str, DossierPartView], ...]  # (phase title, part)
    lines_without_mass: tuple[SummaryLine, ...]
    lines_without_cost: tuple[SummaryLine, ...]

    @property
    def has_lines(self) -> bool:
        return self.totals.lines > 0

    @property
    def has_gaps(self) -> bool:
        return bool(self.parts_without_bom or self.lines_without_mass or self.lines_without_cost)


def _summary_line(phase_title: str, part: DossierPartView, line: BomLine) -> SummaryLine:
    return SummaryLine(
        phase_title=phase_title,
        part=part,
        line=line,
        total_mass_kg=None if line.mass_kg is None else (line.mass_kg * line.quantity).quantize(MASS_STEP),
        total_cost=None if line.unit_cost is None else (line.unit_cost * line.quantity).quantize(COST_STEP),
    )


def totals_of(lines: Iterable[SummaryLine]) -> Totals:
    """Quantity, mass and cost per currency of `lines` (costs in different currencies stay apart)."""
    quantity = 0
    mass = Decimal(0)
    costs: dict[str, Decimal] = defaultdict(Decimal)
    count = without_mass = without_cost = 0
    for item in lines:
        count += 1
        quantity += item.line.quantity
        if item.total_mass_kg is None:
            without_mass += 1
        else:
            mass += item.total_mass_kg
        if item.total_cost is None:
            without_cost += 1
        else:
            costs[item.line.currency] += item.total_cost
    return Totals(
        quantity=quantity,
        mass_kg=mass.quantize(MASS_STEP),
        costs=tuple(CurrencyAmount(code, costs[code].quantize(COST_STEP)) for code in sorted(costs)),
        lines=count,
        lines_without_mass=without_mass,
        lines_without_cost=without_cost,
    )


def _phase_bom(section: PhaseSection) -> PhaseBom:
    lines = tuple(_summary_line(section.title, part, line) for part in section.parts for line in part.bom)
    return PhaseBom(
        phase_id=section.phase_id,
        title=section.title,
        kind_label=section.kind_label,
        lines=lines,
        totals=totals_of(lines),
    )


def bom_summary(dossier: DossierView) -> BomSummary:
    """The dossier's bill of materials per phase and in total, and what is missing from it."""
    phases = tuple(_phase_bom(section) for section in dossier.phases if section.parts)
    every_line = tuple(item for phase in phases for item in phase.lines)
    return BomSummary(
        phases=phases,
        totals=totals_of(every_line),
        parts_without_bom=tuple(
            (section.title, part) for section in dossier.phases for part in section.parts if not part.bom
        ),
        lines_without_mass=tuple(item for item in every_line if item.total_mass_kg is None),
        lines_without_cost=tuple(item for item in every_line if item.total_cost is None),
    )


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def bom_csv(dossier: DossierView) -> str:
    """The bill of materials as CSV (RFC 4180, CRLF): one row per line, then the total row(s).

    The first total row has the total quantity, mass and the first currency's cost; each further
    currency gets a row of its own (amounts in different currencies are never added).
    """
    summary = bom_summary(dossier)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for phase in summary.phases:
        for item in phase.lines:
            line = item.line
            row: list[Any] = [
                phase.title,
                item.part.entry_title,
                item.part.blueprint_title,
                item.part.revision_number,
                line.name,
                line.quantity,
                line.material,
                _number(line.mass_kg),
                _number(item.total_mass_kg),
                _number(line.unit_cost),
                line.currency,
                _number(item.total_cost),
                line.supplier_note,
            ]
            writer.writerow([spreadsheet_cell(cell) for cell in row])
    totals = summary.totals
    costs = totals.costs or (CurrencyAmount("", Decimal(0)),)
    for index, cost in enumerate(costs):
        first = index == 0
        writer.writerow(
            [
                "Total",
                "",
                "",
                "",
                "",
                totals.quantity if first else "",
                "",
                "",
                _number(totals.mass_kg) if first else "",
                "",
                cost.currency,
                _number(cost.amount) if cost.currency else "",
                "",
            ]
        )
    return buffer.getvalue()


def page_context(request: HttpRequest, dossier: DossierView) -> dict[str, Any]:
    """The bill-of-materials section of the dossier page, from the view alone (no query)."""
    return {"bom": bom_summary(dossier)}


def csv_file_name(dossier: DossierView) -> str:
    return f"{dossier.challenge_slug}-dossier-v{dossier.number}-bom.csv"


@require_safe
def bom_csv_download(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Version `number`'s bill of materials as a CSV attachment; a 404 to whoever may not see the dossier."""
    dossier = dossier_view(user=request.user, slug=slug, number=number)
    response = HttpResponse(bom_csv(dossier), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_file_name(dossier)}"'
    return response
