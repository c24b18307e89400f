"""Reputation: points granted by the apps where things happen, kept as rows with their reason.

The formula (shown on the explanation page, `community:reputation`):

- an entry submitted: ENTRY_POINTS
- a vote received: VOTE_POINTS
- a fork of one's blueprint by another member: FORK_POINTS
- an award: AWARD_BASE_POINTS + one point per step of the amount, at most AWARD_MAX_POINTS in all.
  A step is AWARD_UNITS_PER_POINT[currency] whole units: roughly what 100 euros were worth when the
  table was written, rounded. The table is deliberately approximate and fixed (no exchange-rate
  feed, no setting), so a score never moves with the markets and can always be recomputed from
  its rows; a currency missing from the table earns the base points only, so that a new currency
  can never inflate reputation before someone decides its step.
- a staff adjustment: the amount given (positive or negative)

A member's score is the sum of their rows; `User.reputation` holds it for sorting and is rebuilt
by `reputation_recompute`.

The member's row is locked with FOR NO KEY UPDATE: it serialises changes of the score without
blocking the key-share lock another transaction takes when it inserts a row that references the
member (a notification for them), which would deadlock two members acting on each other at once.
"""

from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from community.models import ReputationEntry, ReputationReason, User
from core.caching import bump
from core.exceptions import ApplicationError

ENTRY_POINTS = 2
VOTE_POINTS = 1
FORK_POINTS = 5
AWARD_BASE_POINTS = 25
AWARD_MAX_POINTS = 500
# Whole units of each currency that earn one award point: about 100 euros' worth, rounded.
AWARD_UNITS_PER_POINT: dict[str, int] = {
    "EUR": 100,
    "USD": 100,
    "GBP": 100,
    "CHF": 100,
    "CAD": 150,
    "AUD": 150,
    "PLN": 400,
    "DKK": 750,
    "NOK": 1000,
    "SEK": 1000,
    "JPY": 15000,
}


def reputation_points(*, reason: str, amount: Decimal | None = None, currency: str | None = None) -> int:
    """The points one event is worth under the formula above."""
    if reason == ReputationReason.ENTRY:
        return ENTRY_POINTS
    if reason == ReputationReason.VOTE:
        return VOTE_POINTS
    if reason == ReputationReason.FORK:
        return FORK_POINTS
    if reason == ReputationReason.AWARD:
        if amount is None or amount < 0:
            raise ApplicationError("An award needs its amount (zero or more).")
        units = AWARD_UNITS_PER_POINT.get((currency or "").upper())
        if units is None:
            return AWARD_BASE_POINTS
        weighted = (Decimal(amount) / units).to_integral_value(rounding=ROUND_DOWN)
        return min(AWARD_BASE_POINTS + int(weighted), AWARD_MAX_POINTS)
    if reason == ReputationReason.ADJUSTMENT:
        if amount is None:
            raise ApplicationError("An adjustment needs its number of points.")
        return int(amount)
    raise ApplicationError(f"Unknown reputation reason: {reason}")


def reputation_grant(
    *,
    user_id: int,
    reason: str,
    source_key: str,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> ReputationEntry:
    """Grant the points of one event, once per (member, source_key); returns the row.

    Granting the same source again returns the existing row and changes nothing. The member's
    row is locked (no key) while the score moves, so concurrent grants add up exactly.
    """
    if not source_key or len(source_key) > 200:
        raise ApplicationError("A source key of 1 to 200 characters is required.")
    points = reputation_points(reason=reason, amount=amount, currency=currency)
    with transaction.atomic():
        if not User.objects.select_for_update(no_key=True).filter(pk=user_id).exists():
            raise ApplicationError("No such member.")
        existing = ReputationEntry.objects.filter(user_id=user_id, source_key=source_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                entry = ReputationEntry.objects.create(
                    user_id=user_id,
                    reason=reason,
                    source_key=source_key,
                    points=points,
                    amount=None if reason == ReputationReason.ADJUSTMENT else amount,
                    currency=(currency or "").upper()[:3],
                )
        except IntegrityError:  # granted meanwhile by a concurrent call
            return ReputationEntry.objects.get(user_id=user_id, source_key=source_key)
        User.objects.filter(pk=user_id).update(reputation=F("reputation") + points)
        bump("members")
    return entry


def reputation_revoke(*, user_id: int, source_key: str) -> bool:
    """Take back the points of one event (a vote withdrawn); True if there were any."""
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user_id).exists()
        entry = ReputationEntry.objects.filter(user_id=user_id, source_key=source_key).first()
        if entry is None:
            return False
        entry.delete()
        User.objects.filter(pk=user_id).update(reputation=F("reputation") - entry.points)
        bump("members")
    return True


@transaction.atomic
def reputation_recompute(*, user_id: int) -> int:
    """Rebuild the member's score from their rows; returns it."""
    User.objects.select_for_update(no_key=True).filter(pk=user_id).exists()
    total = ReputationEntry.objects.filter(user_id=user_id).aggregate(total=Sum("points"))["total"] or 0
    User.objects.filter(pk=user_id).update(reputation=total)
    bump("members")
    return int(total)
