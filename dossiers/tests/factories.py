"""Test data for the dossiers app: a challenge taken through every service to completion, with real
files in S3 (binary STL meshes, a PNG render, a PDF drawing), co-authors, a fork with an upstream
author and a lineage share, bills of materials, awards in every phase and the dossier versions.

`completed_challenge_with_dossier()` is what most dossier tests start from; `stl_mesh()` and
`upload_file()` build real files for tests that need other shapes.
"""

import hashlib
import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.utils import timezone

from blueprints import services as blueprint_services
from blueprints.filetypes import BY_CODE
from blueprints.models import Blueprint, File, FileStatus, Revision, RevisionPart
from blueprints.storage import blob_key
from challenges import services as challenge_services
from challenges.models import Challenge, ChallengeStatus, Phase, PhaseStatus
from challenges.tests.factories import make_challenge, publish
from community.models import User
from core.actors import Actor
from core.s3 import internal_client
from dossiers.models import Dossier, DossierVersion
from dossiers.services import dossier_version_record
from submissions import services as submission_services
from submissions.models import Award, Entry
from submissions.services import CoAuthor
from submissions.tests.factories import CRITERIA, accept_judge, award, latest, to_judging
from tests.support import UserFactory

DEFAULT_PHASES = ("concept", "front", "wheels_tyres", "drivetrain")
PAYOUTS_DONE = "payments.payouts_done"


# --- Real files ------------------------------------------------------------------------------


def stl_mesh(*, size: int = 0, seed: int = 0) -> bytes:
    """A binary STL box (12 triangles, offset by `seed` so every seed has other bytes), padded with
    repeats of its triangles up to about `size` bytes (at least the box itself)."""
    low = np.array([seed, 0, 0], dtype=np.float32)
    high = low + np.array([1.0 + seed % 7, 1.0, 0.5], dtype=np.float32)
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])],
        dtype=np.float32,
    )
    faces = [
        (0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5), (0, 4, 5), (0, 5, 1),
        (2, 3, 7), (2, 7, 6), (0, 2, 6), (0, 6, 4), (1, 5, 7), (1, 7, 3),
    ]  # fmt: skip
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])
    box = np.zeros(len(faces), dtype=record)
    for index, (a, b, c) in enumerate(faces):
        triangle = corners[[a, b, c]]
        normal = np.cross(triangle[1] - triangle[0], triangle[2] - triangle[0])
        box[index]["normal"] = normal / (np.linalg.norm(normal) or 1.0)
        box[index]["vertices"] = triangle
    count = max(len(faces), (size - 84) // record.itemsize)
    triangles = np.resize(box, count)
    header = f"Coachworks test mesh {seed}".encode().ljust(80, b"\0")
    return header + struct.pack("<I", count) + triangles.tobytes()


def png_image(*, seed: int = 0, width: int = 8, height: int = 8) -> bytes:
    """A small valid RGB PNG whose colour depends on `seed`."""
    colour = bytes([(seed * 37) % 256, (seed * 91) % 256, 160])
    raw = b"".join(b"\0" + colour * width for _row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf_drawing(*, seed: int = 0) -> bytes:
    """A minimal one-page PDF (enough for the type check: it starts with %PDF)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        + f"% drawing {seed}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def upload_file(revision: Revision, name: str, data: bytes, *, file_type: str) -> File:
    """`data` stored in S3 under its content-addressed key and a ready file row for it on the draft
    `revision`, as processing leaves an accepted upload."""
    digest = hashlib.sha256(data).hexdigest()
    key = blob_key(digest)
    info = BY_CODE[file_type]
    internal_client().upload_fileobj(
        io.BytesIO(data), settings.S3_BUCKET, key, ExtraArgs={"ContentType": info.mime_type}
    )
    return File.objects.create(
        revision=revision,
        original_name=name,
        file_type=file_type,
        kind=info.kind,
        content_type=info.mime_type,
        size=len(data),
        sha256=digest,
        storage_key=key,
        status=FileStatus.READY,
        processed_at=timezone.now(),
        triangle_count=(len(data) - 84) // 50 if file_type == "stl" else None,
    )


def bom_lines(revision: Revision, *, seed: int = 0, lines: int = 2) -> list[RevisionPart]:
    """Bill-of-materials lines on a draft revision (declared before it is published, frozen with it)."""
    rows = []
    for position in range(1, lines + 1):
        costed = position % 2 == 1
        rows.append(
            RevisionPart.objects.create(
                revision=revision,
                position=position,
                name=f"Part {seed}-{position}",
                quantity=position,
                material="Aluminium 6061" if costed else "Recycled PET",
                mass_kg=Decimal("1.250") * position if costed else None,
                unit_cost=Decimal("40.00") * position if costed else None,
                currency="EUR" if costed else "",
                supplier_note="Any CNC shop" if costed else "",
            )
        )
    return rows


def _fill_draft(revision: Revision, *, seed: int, files_per_entry: int, file_size: int, extras: bool, bom: int) -> None:
    for number in range(files_per_entry):
        upload_file(
            revision, f"part-{seed}-{number}.stl", stl_mesh(size=file_size, seed=seed * 100 + number), file_type="stl"
        )
    if extras:
        upload_file(revision, f"render-{seed}.png", png_image(seed=seed), file_type="png")
        upload_file(revision, f"drawing-{seed}.pdf", pdf_drawing(seed=seed), file_type="pdf")
    if bom:
        bom_lines(revision, seed=seed, lines=bom)


def design(
    owner: User,
    title: str,
    *,
    seed: int,
    files_per_entry: int = 1,
    file_size: int = 0,
    extras: bool = True,
    bom: int = 2,
    licence: str = "CC-BY-SA-4.0",
) -> Blueprint:
    """A published blueprint of `owner` whose revision 1 holds real files and BOM lines."""
    blueprint = blueprint_services.blueprint_create(owner=owner, title=title, category="other", licence=licence)
    draft = blueprint.revisions.get(is_published=False)
    _fill_draft(draft, seed=seed, files_per_entry=files_per_entry, file_size=file_size, extras=extras, bom=bom)
    blueprint_services.revision_publish(revision=draft, user=owner)
    blueprint.refresh_from_db()
    return blueprint


def fork_design(
    parent: Blueprint,
    owner: User,
    title: str,
    *,
    seed: int,
    files_per_entry: int = 1,
    file_size: int = 0,
    bom: int = 2,
) -> Blueprint:
    """A published fork of `parent` by `owner` (lineage kept) whose files and BOM lines are its own:
    the copied files are replaced, so every entry holds exactly the files asked for."""
    fork = blueprint_services.blueprint_fork(blueprint=parent, user=owner, title=title)
    draft = fork.revisions.get(is_published=False)
    draft.files.all().delete()
    draft.bom_parts.all().delete()
    _fill_draft(draft, seed=seed, files_per_entry=files_per_entry, file_size=file_size, extras=True, bom=bom)
    blueprint_services.revision_publish(revision=draft, user=owner)
    fork.refresh_from_db()
    return fork


# --- A completed challenge -------------------------------------------------------------------


@dataclass
class DossierScenario:
    """Everything `completed_challenge_with_dossier` made, for tests to look at."""

    challenge: Challenge
    owner: User
    staff: User
    judge: User
    entrants: list[User]
    co_author: User
    upstream_author: User
    outsider: User
    upstream: Blueprint  # the blueprint the first concept entry's design was forked from
    phases: list[Phase]  # by position: the concept first
    entries: dict[int, list[Entry]]  # phase id -> its entries, the first one ranked first
    awards: list[Award] = field(default_factory=list)
    versions: list[DossierVersion] = field(default_factory=list)

    @property
    def dossier(self) -> Dossier:
        return Dossier.objects.get(challenge=self.challenge)

    @property
    def slug(self) -> str:
        return self.challenge.slug


def _add_phases(challenge: Challenge, owner: User, kinds: Sequence[str], prizes: Sequence[str]) -> list[Phase]:
    now = timezone.now()
    phases: list[Phase] = []
    for index, kind in enumerate(kinds):
        first = index == 0
        opens_at = now + timedelta(hours=1) if first else now + timedelta(days=8)
        phases.append(
            challenge_services.phase_create(
                challenge=challenge,
                by=owner,
                kind=kind,
                title=kind.replace("_", " ").capitalize() if index else "Concept",
                opens_at=opens_at,
                closes_at=opens_at + timedelta(days=7),
                judging_ends_at=opens_at + timedelta(days=14),
                prizes=[Decimal(prize) for prize in prizes],
                criteria=CRITERIA,
                depends_on=[] if first else [phases[0]],
                now=now,
            )
        )
    return phases


def completed_challenge_with_dossier(
    *,
    phases: Sequence[str] = DEFAULT_PHASES,
    entries_per_phase: int = 2,
    files_per_entry: int = 1,
    file_size: int = 0,
    invite_only: bool = False,
    complete: bool = True,
    awarded_phases: int | None = None,
    lineage_percent: int = 10,
    title: str = "Desert ambulance",
) -> DossierScenario:
    """A challenge whose phases (`phases`, kinds; the first is the concept, every other depends on
    it) each had `entries_per_phase` entries, all awarded (rank = order of entry), with real files:
    `files_per_entry` STL meshes of about `file_size` bytes each plus a PNG render and a PDF drawing,
    and two BOM lines per revision. The first entry of each phase has a co-author (30 %); the first
    concept entry's blueprint is a fork of `upstream_author`'s (lineage share `lineage_percent`).

    `awarded_phases` (default: all) awards only the first n phases; the challenge completes (all
    phases closed, as payments closes them once paid) only when every phase is awarded and
    `complete`. A dossier version is recorded after each award and on completion, as the receivers
    do once those commit.
    """
    if not phases or entries_per_phase < 1 or files_per_entry < 1:
        raise ValueError("At least one phase, one entry per phase and one file per entry.")
    awarded_phases = len(phases) if awarded_phases is None else awarded_phases
    owner = UserFactory.create(display_name="Client")
    staff = UserFactory.create(is_staff=True, display_name="Staff")
    judge = UserFactory.create(display_name="Judge")
    entrants = [UserFactory.create(display_name=f"Designer {number}") for number in range(1, entries_per_phase + 1)]
    co_author = UserFactory.create(display_name="Co-author")
    upstream_author = UserFactory.create(display_name="Upstream author")
    outsider = UserFactory.create(display_name="Outsider")

    prizes = [str(1000 * (entries_per_phase - rank)) for rank in range(entries_per_phase)]
    budget = sum(Decimal(prize) for prize in prizes) * len(phases)
    challenge = make_challenge(owner, title=title, budget=str(budget), invite_only=invite_only)
    rules_needed = lineage_percent != 0
    if rules_needed:
        submission_services.judging_rules_set(
            challenge=challenge,
            by=owner,
            lineage_share_percent=lineage_percent,
            lineage_generations=5,
            awarded_by="both",
        )
    if invite_only:
        for member in (*entrants, co_author):
            challenge_services.challenge_invite_member(challenge=challenge, by=owner, email=member.email)
    made = _add_phases(challenge, owner, phases, prizes)
    accept_judge(challenge, judge)
    publish(challenge, staff=staff)

    upstream = design(upstream_author, "Open chassis", seed=9000, files_per_entry=1, file_size=0)
    scenario = DossierScenario(
        challenge=challenge,
        owner=owner,
        staff=staff,
        judge=judge,
        entrants=entrants,
        co_author=co_author,
        upstream_author=upstream_author,
        outsider=outsider,
        upstream=upstream,
        phases=made,
        entries={},
    )
    for _number in range(awarded_phases):
        award_next_phase(scenario, files_per_entry=files_per_entry, file_size=file_size)
    if complete and awarded_phases == len(made):
        for phase in made:
            challenge_services.phase_transition(phase=phase, to=PhaseStatus.CLOSED, actor=Actor.system(PAYOUTS_DONE))
        challenge.refresh_from_db()
        assert challenge.status == ChallengeStatus.COMPLETED, challenge.status
        _record(scenario)
    scenario.challenge.refresh_from_db()
    scenario.phases = list(Phase.objects.filter(challenge=challenge).order_by("position"))
    return scenario


def award_next_phase(
    scenario: DossierScenario, *, files_per_entry: int = 1, file_size: int = 0, record: bool = True
) -> Phase:
    """Take the first phase not awarded yet through opening, entries (one per entrant, the first with
    the co-author; the concept's first design forked from `upstream`), judging and awards (rank =
    order of entry), and record the dossier version as the award receiver does (unless `record`)."""
    phases = list(Phase.objects.filter(challenge=scenario.challenge).order_by("position"))
    index, phase = next((i, p) for i, p in enumerate(phases) if p.pk not in scenario.entries)
    concept_winners = [entry.pk for entry in scenario.entries.get(phases[0].pk, [])]
    phase = _open(phase, scenario.owner)
    entries = []
    for number, entrant in enumerate(scenario.entrants):
        seed = index * 1000 + number * 10 + 1
        blueprint_title = f"{phase.title} by {entrant.public_name}"
        if index == 0 and number == 0:
            blueprint = fork_design(
                scenario.upstream,
                entrant,
                blueprint_title,
                seed=seed,
                files_per_entry=files_per_entry,
                file_size=file_size,
            )
        else:
            blueprint = design(
                entrant, blueprint_title, seed=seed, files_per_entry=files_per_entry, file_size=file_size
            )
        entries.append(
            _enter(
                phase,
                entrant,
                blueprint,
                co_author=scenario.co_author if number == 0 else None,
                builds_on=concept_winners if index else [],
            )
        )
    scenario.entries[phase.pk] = entries
    to_judging(phase)
    scenario.awards += award(phase, scenario.owner, *[(rank, entry) for rank, entry in enumerate(entries, start=1)])
    if record:
        _record(scenario)
    phase.refresh_from_db()
    return phase


def _open(phase: Phase, owner: User) -> Phase:
    challenge_services.phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(owner))
    phase.refresh_from_db()
    return phase


def _enter(phase: Phase, user: User, blueprint: Blueprint, *, co_author: User | None, builds_on: list[int]) -> Entry:
    entry = submission_services.entry_create(
        phase=phase,
        user=user,
        revision=latest(blueprint),
        title=f"{blueprint.title} (entry)",
        statement="Why it works.",
        co_authors=[CoAuthor(co_author, Decimal("30"))] if co_author else [],
        builds_on=builds_on,
        submit=co_author is None,
    )
    if co_author is not None:
        submission_services.entry_co_author_respond(entry=entry, user=co_author, accept=True)
        entry = submission_services.entry_submit(entry=entry, user=user)
    return entry


def _record(scenario: DossierScenario) -> None:
    version = dossier_version_record(challenge_id=scenario.challenge.pk)
    assert version is not None
    if not scenario.versions or scenario.versions[-1].pk != version.pk:
        scenario.versions.append(version)
