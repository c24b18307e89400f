"""Helpers every service of the app shares: locks, actors and validation."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from challenges.lifecycle import Role
from challenges.models import Challenge, Phase
from challenges.selectors import challenge_roles
from community.models import User
from core.exceptions import ApplicationError

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # max_digits=14, decimal_places=2


def lock_challenge(pk: int) -> Challenge:
    """The challenge row, locked until the transaction ends.

    Lock order everywhere: the challenge first, then its phases (by position). The time-driven
    path locks only a phase, and never waits for anything while holding it.
    """
    return Challenge.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)


def lock_phase(pk: int) -> Phase:
    return Phase.objects.select_for_update(of=("self",)).get(pk=pk)


def actor_roles(*, by: User | None, task: str, challenge: Challenge) -> set[Role]:
    """The roles a move is made in: another app's task acts as SYSTEM (a member it acts for, such
    as the staff member who recorded a payment, is only recorded); otherwise the member's relation
    to the challenge."""
    if task:
        return {Role.SYSTEM}
    if by is None:
        raise ValueError("A move is made by a member (`by`) or by a named task (`task`).")
    return challenge_roles(user=by, challenge=challenge)


def require_editor(*, by: User, challenge: Challenge) -> None:
    if not challenge_roles(user=by, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise ApplicationError(_("Only the owner of the challenge or staff may change it."))


def validate(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Model validation as a domain error with field messages."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        first = next(iter(fields.values()))[0]
        raise ApplicationError(first, fields) from error


def money(value: object, *, field: str) -> Decimal:
    """An exact positive amount with at most two decimals (every supported currency has cents)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError as error:
        raise ApplicationError(_("Not an amount."), {field: [_("Not an amount.")]}) from error
    if not amount.is_finite() or amount <= 0:
        raise ApplicationError(_("Amounts must be more than zero."), {field: [_("Must be more than zero.")]})
    if amount != amount.quantize(CENT):
        raise ApplicationError(_("Amounts have at most two decimals."), {field: [_("At most two decimals.")]})
    if amount > MAX_AMOUNT:
        raise ApplicationError(_("That amount is too large."), {field: [_("Too large.")]})
    return amount.quantize(CENT)
