"""Amounts of money as the platform accepts them: exact decimals with cents, positive, and small
enough for the database's `max_digits=14, decimal_places=2` (every supported currency has cents)."""

from decimal import Decimal

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


def money(value: object, *, field: str = "amount") -> Decimal:
    """An exact positive amount with at most two decimals; a clear error naming `field` otherwise."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError as error:
        raise ApplicationError(_("Not an amount."), {field: [_("Not an amount.")]}) from error
    if not amount.is_finite() or amount <= 0:
        raise ApplicationError(_("Amounts must be more than zero."), {field: [_("Must be more than zero.")]})
    if amount != amount.quantize(CENT):
        raise ApplicationError(_("Amounts have at most two decimals."), {field: [_("At most two decimals.")]})
    if amount > MAX_AMOUNT:
        raise ApplicationError(_("That amount is too large."), {field: [_("Too large.")]})
    return amount.quantize(CENT)
