"""The bill of materials of a blueprint revision: the parts its authors declare it needs.

Lines are edited on the draft only and freeze with it when it is published, like its files (the
database refuses changes to the lines of a published revision: migration 0006_bom_guard). A new
draft and a fork start with the lines of the revision they come from (`revision_bom_copy`).

Every write replaces the draft's whole list at once (`revision_bom_set`), checked line by line; a
refusal names each bad field by its path (`lines.3.quantity`) and changes nothing.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from blueprints.models import Blueprint, Revision, RevisionPart
from blueprints.services.common import require_draft, require_owner
from community.models import User
from core.caching import bump
from core.exceptions import ApplicationError
from core.money import is_amount_text

MAX_LINES = 200
MAX_QUANTITY = 1_000_000
MAX_NAME = 200
MAX_MATERIAL = 120
MAX_SUPPLIER_NOTE = 500
# The columns' limits: mass has 12 digits of which 3 decimals, cost 14 of which 2.
MAX_MASS_KG = Decimal("999999999.999")
MAX_UNIT_COST = Decimal("999999999999.99")
_CURRENCY = re.compile(r"[A-Z]{3}")
FIELDS = ("name", "quantity", "material", "mass_kg", "unit_cost", "currency", "supplier_note")


@dataclass(frozen=True, slots=True)
class CleanLine:
    """One checked line, ready to be stored."""

    name: str
    quantity: int
    material: str
    mass_kg: Decimal | None
    unit_cost: Decimal | None
    currency: str
    supplier_note: str


def _text(value: Any, *, limit: int, required: bool, errors: list[str]) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors.append(_("Contains a character that is not allowed."))
    elif required and not text:
        errors.append(_("Required."))
    elif len(text) > limit:
        errors.append(_("At most %(limit)s characters.") % {"limit": limit})
    return text


def _quantity(value: Any, errors: list[str]) -> int:
    """A whole number of units, 1 when left out."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    if isinstance(value, bool):
        errors.append(_("A whole number."))
        return 0
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            errors.append(_("A whole number of at least 1."))
            return 0
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        errors.append(_("A whole number of at least 1."))
        return 0
    if isinstance(value, float | Decimal) and quantity != value:
        errors.append(_("A whole number of at least 1."))
    elif quantity < 1:
        errors.append(_("At least 1."))
    elif quantity > MAX_QUANTITY:
        errors.append(_("At most %(limit)s.") % {"limit": f"{MAX_QUANTITY:,}"})
    return quantity


def _decimal(value: Any, *, places: int, limit: Decimal, errors: list[str]) -> Decimal | None:
    """An optional non-negative decimal with at most `places` decimals (ASCII digits only)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | float):
        errors.append(_("Write the number with the digits 0-9 and a point, such as 12.5."))
        return None
    if isinstance(value, str) and not is_amount_text(value):
        errors.append(_("Write the number with the digits 0-9 and a point, such as 12.5."))
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.append(_("Not a number."))
        return None
    if not number.is_finite():
        errors.append(_("Not a number."))
        return None
    if number < 0:
        errors.append(_("Must not be negative."))
        return None
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        errors.append(_("At most %(places)s decimals.") % {"places": places})
        return None
    if number > limit:
        errors.append(_("Too large."))
        return None
    return number.quantize(step)


def clean_line(raw: Mapping[str, Any]) -> tuple[CleanLine, dict[str, list[str]]]:
    """Check one line as typed or sent; returns the line and its field errors (empty when valid)."""
    errors: dict[str, list[str]] = {field: [] for field in FIELDS}
    unit_cost = _decimal(raw.get("unit_cost"), places=2, limit=MAX_UNIT_COST, errors=errors["unit_cost"])
    currency = _text(raw.get("currency"), limit=3, required=False, errors=errors["currency"]).upper()
    if unit_cost is None:
        currency = ""  # a currency says nothing without a cost
    elif not errors["currency"] and not _CURRENCY.fullmatch(currency):
        errors["currency"].append(_("A cost needs its currency: three letters, such as EUR."))
    line = CleanLine(
        name=_text(raw.get("name"), limit=MAX_NAME, required=True, errors=errors["name"]),
        quantity=_quantity(raw.get("quantity", 1), errors["quantity"]),
        material=_text(raw.get("material"), limit=MAX_MATERIAL, required=False, errors=errors["material"]),
        mass_kg=_decimal(raw.get("mass_kg"), places=3, limit=MAX_MASS_KG, errors=errors["mass_kg"]),
        unit_cost=unit_cost,
        currency=currency,
        supplier_note=_text(
            raw.get("supplier_note"), limit=MAX_SUPPLIER_NOTE, required=False, errors=errors["supplier_note"]
        ),
    )
    return line, {field: messages for field, messages in errors.items() if messages}


def clean_lines(lines: Sequence[Mapping[str, Any]]) -> list[CleanLine]:
    """Check a whole list; one `ApplicationError` naming every bad field (`lines.<index>.<field>`)."""
    if len(lines) > MAX_LINES:
        raise ApplicationError(
            _("A bill of materials has at most %(limit)s lines.") % {"limit": MAX_LINES},
            {"fields": {"lines": [_("At most %(limit)s lines.") % {"limit": MAX_LINES}]}},
        )
    cleaned: list[CleanLine] = []
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(lines):
        if not isinstance(raw, Mapping):
            errors[f"lines.{index}"] = [_("Each line is an object with a name and a quantity.")]
            continue
        line, line_errors = clean_line(raw)
        cleaned.append(line)
        errors.update({f"lines.{index}.{field}": messages for field, messages in line_errors.items()})
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), {"fields": errors})
    return cleaned


def _locked_draft(revision: Revision) -> Revision:
    """Lock the blueprint, then the revision (the order every revision write uses)."""
    blueprint = Blueprint.objects.select_for_update().get(pk=revision.blueprint_id)
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    locked.blueprint = blueprint
    return locked


@transaction.atomic
def revision_bom_set(*, revision: Revision, by: User, lines: Sequence[Mapping[str, Any]]) -> list[RevisionPart]:
    """Replace the draft's bill of materials with `lines` (in that order), all or nothing.

    Only the blueprint's owner, only on a draft. Each line: `name` (required), `quantity` (>= 1),
    `material`, `mass_kg` per unit (>= 0), `unit_cost` per unit (>= 0) with its 3-letter `currency`
    (ignored without a cost), `supplier_note`; a missing quantity is 1. An empty list clears the bill.
    """
    require_owner(revision.blueprint, by)
    revision = _locked_draft(revision)
    require_draft(revision)
    cleaned = clean_lines(lines)
    RevisionPart.objects.filter(revision=revision).delete()
    created = RevisionPart.objects.bulk_create(
        RevisionPart(
            revision=revision,
            position=position,
            name=line.name,
            quantity=line.quantity,
            material=line.material,
            mass_kg=line.mass_kg,
            unit_cost=line.unit_cost,
            currency=line.currency,
            supplier_note=line.supplier_note,
        )
        for position, line in enumerate(cleaned, start=1)
    )
    bump("blueprints")
    return created


def revision_bom_copy(*, source: Revision, target: Revision) -> list[RevisionPart]:
    """Carry the lines of `source` into the draft `target` (a new draft or a fork starts with them).

    Called by the services that create `target`, inside their transaction, after their checks.
    """
    carried = [
        RevisionPart(
            revision=target,
            position=part.position,
            name=part.name,
            quantity=part.quantity,
            material=part.material,
            mass_kg=part.mass_kg,
            unit_cost=part.unit_cost,
            currency=part.currency,
            supplier_note=part.supplier_note,
        )
        for part in source.bom_parts.order_by("position")
    ]
    if not carried:
        return []
    bump("blueprints")
    return RevisionPart.objects.bulk_create(carried)


def bom_lines_as_data(parts: Sequence[RevisionPart]) -> list[dict[str, Any]]:
    """The lines as plain values (the edit page's initial rows, the API's body)."""
    return [{field: getattr(part, field) for field in FIELDS} for part in parts]
