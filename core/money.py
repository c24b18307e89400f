"""Amounts of money as the platform accepts them: exact decimals with cents, positive, and small
enough for the database's `max_digits=14, decimal_places=2` (every supported currency has cents).

Typed amounts use the ASCII digits 0-9 only. Python's `Decimal` (and with it Django's and DRF's
decimal fields) also reads Arabic-Indic, fullwidth and every other Unicode decimal digit, so "١٢٣"
would become 123.00 without anyone having typed "123"; amounts that reach a ledger must read the same
to the person who typed them, to staff and to the bank. The check happens on the text, before it
becomes a `Decimal`: in `money()` for text given to services, and in the form and serializer fields
below for every money input of pages, the admin and the API.
"""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.exceptions import ApplicationError

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
# An optional sign, ASCII digits, an optional point and more ASCII digits; no exponent, no underscores.
_AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
ASCII_DIGITS_MESSAGE = gettext_lazy("Write the amount with the digits 0-9 and a point, such as 1250.00.")


def is_amount_text(text: str) -> bool:
    """True if `text` (surrounding spaces aside) is an amount written in ASCII digits."""
    return _AMOUNT_TEXT.fullmatch(text.strip()) is not None


def money(value: object, *, field: str = "amount") -> Decimal:
    """An exact positive amount with at most two decimals; a clear error naming `field` otherwise."""
    if isinstance(value, str) and not is_amount_text(value):
        raise ApplicationError(_("Not an amount."), {field: [str(ASCII_DIGITS_MESSAGE)]})
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


class MoneyFormField(forms.DecimalField):
    """A form's amount: Django's decimal field, reading ASCII digits only."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # stubs type it as int
        if isinstance(value, str) and value.strip() and not is_amount_text(value):
            raise forms.ValidationError(ASCII_DIGITS_MESSAGE, code="invalid")
        return super().to_python(value)


class MoneySerializerField(serializers.DecimalField):
    """An API amount: DRF's decimal field, reading ASCII digits only (JSON numbers are ASCII already)."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, str) and not is_amount_text(data):
            raise serializers.ValidationError(str(ASCII_DIGITS_MESSAGE), code="invalid")
        return super().to_internal_value(data)
