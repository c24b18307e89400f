"""A demo challenge for `make run`: the demo client's "Alpine delivery van", open, its concept
phase taking entries and three detail phases waiting for the concept. Made through the services,
as a client and staff would. Idempotent: loaded once, left alone afterwards."""

from datetime import timedelta
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from challenges import services
from challenges.models import Challenge, PhaseKind
from challenges.services import CriterionData
from community.demo import demo_user
from core.actors import Actor

TITLE = "Alpine delivery van"

DESCRIPTION = """\
Our drivers deliver parcels and groceries to **mountain villages** above 1,500 m, all year round.
Today they use converted city vans that struggle on steep, icy roads and cannot be charged
in the villages.

We want an electric delivery van that:

- climbs 12 % gradients fully loaded, in snow;
- keeps parcels at 2-8 °C in a separate compartment;
- can be serviced by a village garage.

Ask questions in the comments; we answer within two working days.
"""


def load(out: TextIO) -> None:
    client = demo_user("client")
    existing = Challenge.objects.filter(owner=client, title=TITLE).first()
    if existing is not None:
        out.write(f"Demo challenge: {existing.get_absolute_url()} (already there)\n")
        return
    judge, staff = demo_user("judge"), demo_user("staff")
    now = timezone.now()
    day = timedelta(days=1)
    challenge = services.challenge_create(
        owner=client,
        title=TITLE,
        summary="An electric van that delivers to mountain villages in every season.",
        organisation_name="Alpine Logistics AG",
        vehicle_type="van",
        terrain="mountain",
        climate="alpine",
        region="Graubünden, Switzerland",
        duties="Parcel and grocery rounds of 120 km with 40 stops, chilled compartment.",
        payload_kg=1200,
        range_km=250,
        passengers=2,
        top_speed_kmh=110,
        regulations="EU N1 category; Swiss road traffic rules for mountain post roads.",
        budget_per_unit=Decimal("65000.00"),
        materials_to_avoid="PVC; untreated steel in the underbody (road salt).",
        description=DESCRIPTION,
        budget=Decimal("15000.00"),
        currency="EUR",
    )
    concept = services.phase_create(
        challenge=challenge,
        by=client,
        kind=PhaseKind.CONCEPT,
        title="Concept",
        brief="Sketch the whole van: silhouette, layout of cab, cargo and chilled compartment.",
        opens_at=now - day,
        closes_at=now + 14 * day,
        judging_ends_at=now + 21 * day,
        prizes=[Decimal(3000), Decimal(1500), Decimal(500)],
        criteria=[
            CriterionData("Fitness for mountain roads", 3, "Gradients, snow, narrow village streets."),
            CriterionData("Loading and unloading", 2),
            CriterionData("Overall design", 1),
        ],
    )
    details = [
        (PhaseKind.FRONT, "Front and cab", 22, 36, 43, [1500, 750]),
        (PhaseKind.WHEELS_TYRES, "Wheels and tyres", 22, 36, 43, [1200, 600]),
        (PhaseKind.DRIVETRAIN, "Electric drivetrain", 22, 50, 57, [2000, 1000]),
    ]
    for kind, title, opens, closes, judged, prizes in details:
        services.phase_create(
            challenge=challenge,
            by=client,
            kind=kind,
            title=title,
            brief=f"{title} for the winning concept.",
            opens_at=now + opens * day,
            closes_at=now + closes * day,
            judging_ends_at=now + judged * day,
            depends_on=[concept],
            prizes=[Decimal(amount) for amount in prizes],
            criteria=[CriterionData("Engineering quality", 2), CriterionData("Fits the concept", 1)],
        )
    assignment = services.judge_invite(challenge=challenge, by=client, email=judge.email)
    services.judge_respond(assignment=assignment, user=judge, accept=True)
    services.judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=False)
    services.challenge_submit_for_funding(challenge=challenge, by=client)
    # Opened as payments does once the budget is in; payments' demo data puts the budget into
    # the escrow right after (it loads after this app).
    services.challenge_mark_funded(challenge=challenge, actor=Actor.system("challenges.demo", on_behalf_of=staff))
    # The concept's opening time has passed: make the move the sweep would make seconds later.
    services.phase_advance_due(phase_id=concept.pk, actor=Actor.system("challenges.demo"))
    out.write(f"Demo challenge: {challenge.get_absolute_url()}\n")
