"""Test data for the challenges app, made through the services so every invariant holds."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from challenges import services
from challenges.models import Challenge, Phase
from challenges.services import CriterionData
from community.models import User
from core.actors import Actor


def make_challenge(
    owner: User,
    *,
    title: str = "Desert ambulance",
    budget: str = "10000.00",
    currency: str = "EUR",
    **details: Any,
) -> Challenge:
    details.setdefault("summary", "A 4x4 ambulance for the Sahel.")
    details.setdefault("vehicle_type", "off_road")
    return services.challenge_create(owner=owner, title=title, budget=Decimal(budget), currency=currency, **details)


def add_phase(
    challenge: Challenge,
    *,
    by: User | None = None,
    kind: str = "concept",
    title: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    judging_ends_at: datetime | None = None,
    prizes: Sequence[str | int | Decimal] = ("1000",),
    criteria: Sequence[CriterionData] = (CriterionData("Design", 1),),
    depends_on: Sequence[Phase] = (),
    now: datetime | None = None,
) -> Phase:
    now = now or timezone.now()
    opens_at = opens_at or now + timedelta(days=1)
    closes_at = closes_at or opens_at + timedelta(days=7)
    judging_ends_at = judging_ends_at or closes_at + timedelta(days=7)
    return services.phase_create(
        challenge=challenge,
        by=by or challenge.owner,
        kind=kind,
        title=title or kind.title(),
        opens_at=opens_at,
        closes_at=closes_at,
        judging_ends_at=judging_ends_at,
        prizes=[Decimal(str(amount)) for amount in prizes],
        criteria=criteria,
        depends_on=depends_on,
        now=now,
    )


FUNDED_TASK = "payments.funding"


def publish(challenge: Challenge, *, staff: User) -> Challenge:
    """Submit for funding (as the owner) and open it as the payments app does once the budget is
    in (`staff` recorded the payment). Tests of money fund the escrow through payments instead."""
    services.challenge_submit_for_funding(challenge=challenge, by=challenge.owner)
    return services.challenge_mark_funded(challenge=challenge, actor=Actor.system(FUNDED_TASK, on_behalf_of=staff))
