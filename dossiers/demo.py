"""Demo data for `make run`: the completed "Sahel ambulance" challenge and its vehicle dossier.

The demo client commissions a 4x4 ambulance in seven phases (the concept, then front, rear, side,
wheels and tyres, interior and drivetrain, each waiting for the concept). Ada and Jonas enter
blueprints whose meshes, generated here, make a vehicle together in the default layout; one of
Jonas's parts is a fork of Ada's (an upstream credit) and one entry has a co-author. The budget is
funded, every phase awarded and its prizes paid through the services, as the people and the bank
would; the challenge completes, the dossier records its versions, and the still is rendered here.

Idempotent: a challenge with this title of the demo client is left alone (its still is rendered if
it is missing).
"""

import io
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TextIO

import numpy as np
from django.conf import settings
from django.utils import timezone

from blueprints import services as blueprint_services
from blueprints.bom import revision_bom_set
from blueprints.models import Blueprint, Revision
from challenges import services as challenge_services
from challenges.models import Challenge, ChallengeStatus, Phase, PhaseStatus
from challenges.services import CriterionData
from community.demo import DEMO_ACCOUNTS, demo_user
from community.models import User
from core.actors import Actor
from core.s3 import internal_client
from dossiers.assembly import still_render
from dossiers.models import DossierVersion
from dossiers.services import dossier_version_record
from payments import services as payments
from payments.models import Payout
from payments.selectors import challenge_budget
from payments.services.payouts import phase_close_when_paid
from submissions import selectors as submission_selectors
from submissions import services as submission_services
from submissions.models import Entry
from submissions.services import AwardChoice, CoAuthor, ScoreInput

# --- Meshes (metres; x forward, y left, z up; each around the origin its phase's default spot expects) ---


def _box(low: Iterable[float], high: Iterable[float]) -> np.ndarray:
    (x0, y0, z0), (x1, y1, z1) = tuple(low), tuple(high)
    corners = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0), (x0, y0, z1), (x1, y0, z1), (x1, y1, z1),
               (x0, y1, z1)]  # fmt: skip
    v = np.array(corners, dtype=np.float32)
    faces = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4), (1, 2, 6), (1, 6, 5), (2, 3, 7),
             (2, 7, 6), (3, 0, 4), (3, 4, 7)]  # fmt: skip
    return v[np.array(faces)]


def _prism(profile: list[tuple[float, float]], y0: float, y1: float) -> np.ndarray:
    """A convex side profile (x, z points, counter-clockwise seen from the left) extruded from y0 to y1."""
    near = np.array([(x, y0, z) for x, z in profile], dtype=np.float32)
    far = np.array([(x, y1, z) for x, z in profile], dtype=np.float32)
    triangles = []
    for i in range(1, len(profile) - 1):
        triangles.append((near[0], near[i + 1], near[i]))
        triangles.append((far[0], far[i], far[i + 1]))
    for i in range(len(profile)):
        j = (i + 1) % len(profile)
        triangles.append((near[i], near[j], far[j]))
        triangles.append((near[i], far[j], far[i]))
    return np.array(triangles, dtype=np.float32)


def _cylinder_y(centre: tuple[float, float, float], radius: float, width: float, segments: int = 32) -> np.ndarray:
    """A closed cylinder whose axis runs along y (a wheel, a motor)."""
    cx, cy, cz = centre
    angles = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([cx + radius * np.cos(angles), cz + radius * np.sin(angles)], axis=1)
    y0, y1 = cy - width / 2, cy + width / 2
    triangles = []
    for i in range(segments):
        j = (i + 1) % segments
        a0, a1 = (ring[i][0], y0, ring[i][1]), (ring[j][0], y0, ring[j][1])
        b0, b1 = (ring[i][0], y1, ring[i][1]), (ring[j][0], y1, ring[j][1])
        triangles += [(a0, a1, b1), (a0, b1, b0)]
        triangles += [((cx, y0, cz), a1, a0), ((cx, y1, cz), b0, b1)]
    return np.array(triangles, dtype=np.float32)


def binary_stl(triangles: np.ndarray, name: str) -> bytes:
    out = io.BytesIO()
    out.write(f"Coachworks demo: {name}".encode()[:80].ljust(80, b" "))
    out.write(struct.pack("<I", len(triangles)))
    records = np.zeros(len(triangles), dtype=[("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
    records["vertices"] = triangles
    out.write(records.tobytes())
    return out.getvalue()


def body_shell() -> np.ndarray:
    """The concept: the ambulance's box body with its floor frame and a light bar (concept spot: the origin)."""
    return np.concatenate(
        [
            _box((-2.3, -1.0, 0.75), (1.3, 1.0, 2.55)),  # the box
            _box((-2.35, -0.9, 0.55), (2.5, 0.9, 0.75)),  # the floor frame, from bumper to bumper
            _box((0.9, -0.6, 2.55), (1.2, 0.6, 2.68)),  # the light bar
        ]
    )


def cab_front() -> np.ndarray:
    """The front: the cab with its sloping windscreen and bonnet, from x=0 forward (front spot: x=1.3)."""
    profile = [(0.0, 0.75), (1.25, 0.75), (1.25, 1.35), (0.95, 1.45), (0.55, 2.25), (0.0, 2.3)]
    return np.concatenate(
        [
            _prism(profile, -0.98, 0.98),
            _box((1.2, -0.95, 0.55), (1.35, 0.95, 0.85)),  # the bumper
            _box((0.7, 0.98, 1.75), (0.8, 1.15, 1.85)),  # mirrors
            _box((0.7, -1.15, 1.75), (0.8, -0.98, 1.85)),
        ]
    )


def rear_door() -> np.ndarray:
    """The rear: two doors and a step, on the back face at x=0 (rear spot: x=-2.3)."""
    return np.concatenate(
        [
            _box((-0.06, -0.92, 0.8), (0.0, -0.01, 2.45)),
            _box((-0.06, 0.01, 0.8), (0.0, 0.92, 2.45)),
            _box((-0.35, -0.7, 0.5), (0.0, 0.7, 0.6)),  # the step
            _box((-0.09, -0.2, 1.5), (-0.06, -0.05, 1.55)),  # handles
            _box((-0.09, 0.05, 1.5), (-0.06, 0.2, 1.55)),
        ]
    )


def side_panel() -> np.ndarray:
    """The side: a panel with a sliding door and a window, facing right from y=0 (side spot: y=-1.0)."""
    return np.concatenate(
        [
            _box((-2.1, -0.04, 0.85), (1.1, 0.0, 2.4)),
            _box((-0.4, -0.07, 0.85), (0.6, -0.04, 2.3)),  # the sliding door
            _box((-1.8, -0.06, 1.6), (-0.8, -0.04, 2.15)),  # the window
            _box((-0.35, -0.2, 0.45), (0.55, -0.04, 0.55)),  # the step under the door
        ]
    )


WHEEL_RADIUS = 0.45
AXLES = (1.75, -1.45)  # x of the front and rear axle
TRACK = 0.98  # y of each wheel's centre


def wheel_set() -> np.ndarray:
    """Wheels and tyres: four wheels with hubs at the corners, around the vehicle's centre."""
    wheels = []
    for x in AXLES:
        for side in (1, -1):
            wheels.append(_cylinder_y((x, side * TRACK, WHEEL_RADIUS), WHEEL_RADIUS, 0.32))
            wheels.append(_cylinder_y((x, side * (TRACK + 0.1), WHEEL_RADIUS), 0.22, 0.16, segments=16))
    return np.concatenate(wheels)


def interior() -> np.ndarray:
    """The interior on the floor (interior spot: z=0.65): two cab seats, a stretcher, a cabinet."""
    pieces = []
    for y in (0.45, -0.45):
        pieces.append(_box((1.45, y - 0.25, 0.3), (1.95, y + 0.25, 0.45)))  # cushion
        pieces.append(_box((1.35, y - 0.25, 0.3), (1.47, y + 0.25, 1.15)))  # backrest
    pieces.append(_box((-2.0, 0.1, 0.5), (0.0, 0.7, 0.62)))  # the stretcher
    for x in (-1.9, -0.1):
        pieces.append(_box((x - 0.04, 0.36, 0.0), (x + 0.04, 0.44, 0.5)))
    pieces.append(_box((-1.9, -0.95, 0.0), (-0.4, -0.55, 1.6)))  # the cabinet
    return np.concatenate(pieces)


def drivetrain() -> np.ndarray:
    """The drivetrain under the floor (drivetrain spot: z=0.2): the battery and two axle motors."""
    pieces = [_box((-1.0, -0.7, 0.05), (1.2, 0.7, 0.33))]
    for x in AXLES:
        pieces.append(_cylinder_y((x, 0.0, WHEEL_RADIUS - 0.2), 0.2, 0.5))
        pieces.append(_cylinder_y((x, 0.0, WHEEL_RADIUS - 0.2), 0.05, 2.0 * TRACK, segments=12))  # the axle
    return np.concatenate(pieces)


# --- The challenge ------------------------------------------------------------------------------

TITLE = "Sahel ambulance"
CURRENCY = "EUR"
CONCEPT_PRIZE = Decimal(3000)
DETAIL_PRIZE = Decimal(1500)
CRITERIA = (
    CriterionData("Fitness for sandy tracks and heat", 3, "Ground clearance, cooling, dust."),
    CriterionData("Care of the patient", 2, "Room to treat, a calm ride, easy loading."),
    CriterionData("Buildable in a regional workshop", 1),
)
DESCRIPTION = """\
Our clinics in the **Sahel** reach villages over sandy tracks, 80 km and more from the nearest road.
We need a 4x4 ambulance that:

- carries one patient on a stretcher and a paramedic, with standing room;
- keeps working at 45 °C in dust;
- can be repaired by a regional workshop.
"""


@dataclass(frozen=True)
class DemoPart:
    kind: str
    phase_title: str
    author: str  # "ada" or "jonas"
    blueprint_title: str
    category: str
    file_name: str
    mesh: Callable[[], np.ndarray]
    bom: tuple[dict[str, Any], ...]
    co_author: str = ""
    licence: str = "CC-BY-SA-4.0"


def _line(name: str, quantity: int, material: str, mass: str, cost: str, note: str = "") -> dict[str, Any]:
    return {"name": name, "quantity": quantity, "material": material, "mass_kg": mass, "unit_cost": cost,
            "currency": CURRENCY, "supplier_note": note}  # fmt: skip


PARTS = (
    DemoPart("concept", "Concept", "jonas", "Sahel ambulance, box body", "whole_vehicle", "body-shell.stl", body_shell,
             (_line("Box body panels", 1, "Aluminium sandwich", "210", "4200", "Cut to size by the panel supplier"),
              _line("Floor frame", 1, "Galvanised steel", "160", "1900"))),
    DemoPart("front", "Front and cab", "ada", "Sahel ambulance cab", "body_front", "cab-front.stl", cab_front,
             (_line("Cab shell", 1, "Glass fibre", "95", "2600"),
              _line("Windscreen", 1, "Laminated glass", "18", "420", "Standard light-truck size")), co_author="jonas"),
    DemoPart("rear", "Rear doors", "jonas", "Rear doors with loading step", "body_rear", "rear-doors.stl", rear_door,
             (_line("Door leaf", 2, "Aluminium sandwich", "22", "380"), _line("Folding step", 1, "Steel", "9", "140"))),
    DemoPart("side", "Side and sliding door", "ada", "Kerb-side panel with sliding door", "body_side",
             "side-panel.stl", side_panel,
             (_line("Side panel", 1, "Aluminium sandwich", "48", "900"),
              _line("Sliding door rail set", 1, "Stainless steel", "11", "310", "Any van parts dealer"))),
    DemoPart("wheels_tyres", "Wheels and tyres", "jonas", "Sand tyres on 17-inch rims", "wheels_tyres",
             "wheel-set.stl", wheel_set,
             (_line("Sand tyre 265/75 R17", 4, "Rubber", "21", "240"), _line("Steel rim 17 in", 4, "Steel", "13", ""))),
    DemoPart("interior", "Interior", "ada", "Stretcher bay and cab seats", "interior", "interior.stl", interior,
             (_line("Stretcher with mounts", 1, "Aluminium", "32", "1450", "Certified to EN 1865"),
              _line("Cab seat", 2, "Steel frame, foam", "19", "280"))),
    DemoPart("drivetrain", "Drivetrain", "ada", "Twin-motor drivetrain with battery", "drivetrain",
             "drivetrain.stl", drivetrain,
             (_line("Axle motor 60 kW", 2, "", "48", "2900"), _line("Battery pack 75 kWh", 1, "LFP cells", "520", ""))),
)  # fmt: skip


def _members() -> dict[str, User]:
    members = [account for account in DEMO_ACCOUNTS if account.role == "member"]
    return {
        "ada": User.objects.get(email__iexact=members[0].email),
        "jonas": User.objects.get(email__iexact=members[1].email),
    }


def _add_file(revision: Revision, user: User, name: str, data: bytes, content_type: str) -> None:
    """Through the real upload path, as `blueprints.demo` does: staged in S3, completed, processed here."""
    file, _ticket = blueprint_services.upload_start(
        revision=revision, user=user, name=name, size=len(data), content_type=content_type
    )
    internal_client().put_object(
        Bucket=settings.S3_BUCKET, Key=file.upload_key, Body=data, ContentType=file.content_type
    )
    blueprint_services.upload_complete(file=file, user=user, enqueue=False)
    blueprint_services.file_process(file_id=file.pk)


def _blueprint(part: DemoPart, members: dict[str, User]) -> Blueprint:
    """The part's blueprint, published with its mesh and bill of materials; the concept is a fork of Ada's sketch."""
    owner = members[part.author]
    mesh = binary_stl(part.mesh(), part.blueprint_title)
    sketch = Blueprint.objects.filter(slug="sahel-ambulance-concept").first()
    if part.kind == "concept" and sketch is not None and sketch.latest_revision_id is not None:
        blueprint = blueprint_services.blueprint_fork(blueprint=sketch, user=owner, title=part.blueprint_title)
        draft = blueprint.revisions.get(is_published=False)
        for copied in draft.files.filter(file_type="stl"):  # Ada's low-poly body in millimetres
            blueprint_services.file_remove(file=copied, user=owner)
    else:
        blueprint = blueprint_services.blueprint_create(
            owner=owner,
            title=part.blueprint_title,
            description=f"{part.blueprint_title} for the Sahel ambulance (metres, z up, x forward).",
            category=part.category,
            tags=["ambulance", "sahel"],
            licence=part.licence,
        )
        draft = blueprint.revisions.get(is_published=False)
    _add_file(draft, owner, part.file_name, mesh, "model/stl")
    revision_bom_set(revision=draft, by=owner, lines=list(part.bom))
    blueprint_services.revision_publish(revision=draft, user=owner, change_notes="Entered in the Sahel ambulance.")
    blueprint.refresh_from_db()
    return blueprint


def _phases(challenge: Challenge, client: User) -> dict[str, Phase]:
    now = timezone.now()
    phases: dict[str, Phase] = {}
    for part in PARTS:
        opens_at = now + timedelta(hours=1)
        phases[part.kind] = challenge_services.phase_create(
            challenge=challenge,
            by=client,
            kind=part.kind,
            title=part.phase_title,
            brief=f"{part.phase_title} of the Sahel ambulance.",
            opens_at=opens_at,
            closes_at=opens_at + timedelta(days=14),
            judging_ends_at=opens_at + timedelta(days=21),
            prizes=[CONCEPT_PRIZE if part.kind == "concept" else DETAIL_PRIZE],
            criteria=list(CRITERIA),
            depends_on=[] if part.kind == "concept" else [phases["concept"]],
        )
    return phases


def _fund(challenge: Challenge, client: User, staff: User) -> None:
    """The client's bank transfer of the budget, recorded by staff: the challenge opens."""
    missing = challenge.budget - challenge_budget(challenge=challenge).escrow
    if missing > 0:
        payments.funding_receipt_record(
            reference=payments.funding_request_ensure(challenge=challenge).reference,
            amount=missing,
            currency=challenge.currency,
            bank_transaction_id=f"DEMO-FUNDING-{challenge.pk}",
            received_on=timezone.localdate(),
            by=staff,
            payer_name=challenge.organisation_name or client.public_name,
            note="Demo data",
        )


def _judge_and_award(phase: Phase, entry: Entry, client: User, judge: User) -> None:
    challenge_services.phase_transition(phase=phase, to=PhaseStatus.JUDGING, actor=Actor.user(client))
    phase = Phase.objects.select_related("challenge").get(pk=phase.pk)
    criteria = list(phase.criteria.order_by("pk"))
    submission_services.entry_score(
        judge=judge, entry=entry, scores=[ScoreInput(criterion.pk, 8) for criterion in criteria]
    )
    preview = submission_selectors.award_preview(phase=phase, choices=[(1, entry.pk)])
    awards = submission_services.phase_award(
        phase_id=phase.pk, by=client, choices=[AwardChoice(rank=1, entry_id=entry.pk)], fingerprint=preview.fingerprint
    )
    # What the payments app does once the award commits (it finds them done afterwards).
    for award in awards:
        payments.award_payables_create(award_id=award.pk)


def _pay_prizes(challenge: Challenge, staff: User) -> None:
    """Every prize through the manual provider: sent, exported in a SEPA batch, and the batch paid."""
    payouts = Payout.objects.filter(challenge=challenge)
    now = timezone.now()
    for payout_id in payouts.order_by("pk").values_list("pk", flat=True):
        payments.payout_execute(payout_id=payout_id, actor=Actor.system("dossiers.demo"), now=now)
    if payouts.filter(status="submitted", batch__isnull=True).exists():
        payments.payout_batch_mark_paid(batch=payments.payout_batch_create(by=staff), by=staff)
    for phase_id in Phase.objects.filter(challenge=challenge).order_by("position").values_list("pk", flat=True):
        phase_close_when_paid(phase_id=phase_id)  # what the payments app does once they commit


def _build(out: TextIO) -> Challenge:
    client, judge, staff = demo_user("client"), demo_user("judge"), demo_user("staff")
    members = _members()
    challenge = challenge_services.challenge_create(
        owner=client,
        title=TITLE,
        summary="A 4x4 ambulance for sandy tracks, built and repaired in the region.",
        organisation_name="Alpine Logistics AG",
        vehicle_type="off_road",
        terrain="off_road",
        climate="hot_dry",
        region="Sahel",
        duties="Patient transport from villages to the district clinic, 80-200 km a day.",
        payload_kg=900,
        range_km=300,
        passengers=3,
        top_speed_kmh=100,
        description=DESCRIPTION,
        budget=CONCEPT_PRIZE + DETAIL_PRIZE * (len(PARTS) - 1),
        currency=CURRENCY,
    )
    submission_services.judging_rules_set(
        challenge=challenge, by=client, lineage_share_percent=10, lineage_generations=3, awarded_by="both"
    )
    phases = _phases(challenge, client)
    assignment = challenge_services.judge_invite(challenge=challenge, by=client, email=judge.email)
    challenge_services.judge_respond(assignment=assignment, user=judge, accept=True)
    challenge_services.judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=False)
    challenge_services.challenge_submit_for_funding(challenge=challenge, by=client)
    _fund(challenge, client, staff)
    challenge.refresh_from_db()
    concept_entry: Entry | None = None
    for part in PARTS:
        phase = phases[part.kind]
        challenge_services.phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(client))
        phase.refresh_from_db()
        blueprint = _blueprint(part, members)
        assert blueprint.latest_revision is not None
        co_author = members[part.co_author] if part.co_author else None
        entry = submission_services.entry_create(
            phase=phase,
            user=members[part.author],
            revision=blueprint.latest_revision,
            title=part.blueprint_title,
            statement=f"{part.blueprint_title}: modelled to fit the winning concept.",
            co_authors=[CoAuthor(co_author, Decimal(30))] if co_author else [],
            builds_on=[concept_entry.pk] if concept_entry else [],
            submit=co_author is None,
        )
        if co_author is not None:
            submission_services.entry_co_author_respond(entry=entry, user=co_author, accept=True)
            entry = submission_services.entry_submit(entry=entry, user=members[part.author])
        _judge_and_award(phase, entry, client, judge)
        dossier_version_record(challenge_id=challenge.pk)
        if part.kind == "concept":
            concept_entry = entry
    _pay_prizes(challenge, staff)
    challenge.refresh_from_db()
    if challenge.status == ChallengeStatus.COMPLETED:
        dossier_version_record(challenge_id=challenge.pk)
    out.write(f"Demo dossier: {challenge.get_absolute_url()}dossier/ ({challenge.status})\n")
    return challenge


def load(out: TextIO) -> None:
    """The completed Sahel ambulance and its dossier (loaded after every other app: dossiers is the last)."""
    challenge = Challenge.objects.filter(owner=demo_user("client"), title=TITLE).first()
    if challenge is None:
        challenge = _build(out)
    else:
        out.write(f"Demo dossier: {challenge.get_absolute_url()}dossier/ (already there)\n")
    version = DossierVersion.objects.filter(dossier__challenge=challenge).order_by("-number").first()
    if version is not None and not version.still_key:
        still = still_render(version_id=version.pk)
        out.write(f"Demo dossier: still of version {version.number} rendered ({still.key or 'no mesh'})\n")
