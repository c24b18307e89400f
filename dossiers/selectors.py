"""Reading a dossier version into a `DossierView`, in a fixed number of queries.

Whatever the number of parts, files, authors or ancestors, `dossier_view` makes the same 9 queries:
the challenge (with its visibility), every version of its dossier (with part counts), the parts of
the one asked for (with award, entry, revision, blueprint and placement), the award shares, the
entry authors, the ready files, the bill-of-materials lines, the upstream blueprints of every part
(one query over all lineages; none when no part is a fork) and the phases with their dependencies.
Everything else reads the view.
"""

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from blueprints.models import Blueprint, File, FileStatus, RevisionPart
from challenges.models import Challenge, Phase
from challenges.selectors import challenge_visible
from dossiers.models import Dossier, DossierPart, DossierVersion
from dossiers.snapshot import (
    BomLine,
    DossierPartView,
    DossierView,
    PartFile,
    PersonCredit,
    PhaseSection,
    Placement,
    PrizeShare,
    UpstreamCredit,
    VersionSummary,
)
from submissions.models import Acceptance, AwardShare, EntryAuthor

# File types the assembled scene can show (three.js has a loader for each).
MESH_TYPES = frozenset({"stl", "obj", "glb", "gltf"})


class DossierNotFound(Http404):
    """No such dossier or version, or the challenge is not visible to the reader: a 404 either way."""


def phase_graph_order(phases: Iterable[tuple[int, int, Iterable[int]]]) -> list[int]:
    """Phase ids in graph order: a phase after every phase it depends on, else by position.

    `phases` are (id, position, ids of the phases it depends on). Dependencies on phases not
    given are ignored; a cycle (the phase service refuses them) falls back to position order.
    """
    nodes = {phase_id: (position, set(depends_on)) for phase_id, position, depends_on in phases}
    waiting = {
        phase_id: {dep for dep in deps if dep in nodes and dep != phase_id} for phase_id, (_p, deps) in nodes.items()
    }
    dependents: dict[int, list[int]] = defaultdict(list)
    for phase_id, deps in waiting.items():
        for dep in deps:
            dependents[dep].append(phase_id)
    ready = [(nodes[phase_id][0], phase_id) for phase_id, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _position, phase_id = heapq.heappop(ready)
        order.append(phase_id)
        for dependent in dependents[phase_id]:
            waiting[dependent].discard(phase_id)
            if not waiting[dependent]:
                heapq.heappush(ready, (nodes[dependent][0], dependent))
    if len(order) < len(nodes):
        placed = set(order)
        order += sorted((phase_id for phase_id in nodes if phase_id not in placed), key=lambda pk: nodes[pk][0])
    return order


def _versions_of(challenge_id: int) -> list[DossierVersion]:
    return list(
        DossierVersion.objects.filter(dossier__challenge_id=challenge_id)
        .select_related("dossier")
        .annotate(part_count=Count("parts"))
        .order_by("number")
    )


def _parts_of(version: DossierVersion) -> list[DossierPart]:
    return list(
        DossierPart.objects.filter(version=version)
        .select_related("award", "entry", "revision__blueprint", "placement")
        .prefetch_related(
            Prefetch(
                "award__shares",
                queryset=AwardShare.objects.select_related("recipient").order_by("generation", "pk"),
            ),
            Prefetch(
                "entry__authors",
                queryset=EntryAuthor.objects.filter(acceptance=Acceptance.ACCEPTED)
                .select_related("user")
                .order_by("-is_lead", "pk"),
            ),
            Prefetch(
                "revision__files",
                queryset=File.objects.filter(status=FileStatus.READY).order_by("original_name", "pk"),
                to_attr="ready_files",
            ),
            Prefetch("revision__bom_parts", queryset=RevisionPart.objects.order_by("position")),
        )
        .order_by("position")
    )


def _upstream_of(parts: Sequence[DossierPart]) -> dict[int, tuple[UpstreamCredit, ...]]:
    """Per blueprint id: its ancestors, nearest first, from one query over every part's lineage."""
    lineages = {part.revision.blueprint.pk: list(part.revision.blueprint.lineage) for part in parts}
    ancestor_ids = {pk for lineage in lineages.values() for pk in lineage}
    ancestors = (
        {blueprint.pk: blueprint for blueprint in Blueprint.objects.filter(pk__in=ancestor_ids).select_related("owner")}
        if ancestor_ids
        else {}
    )
    upstream: dict[int, tuple[UpstreamCredit, ...]] = {}
    for blueprint_id, lineage in lineages.items():
        credits = []
        for generation, ancestor_id in enumerate(reversed(lineage), start=1):
            ancestor = ancestors.get(ancestor_id)
            if ancestor is None:  # pragma: no cover - blueprints are never deleted while forked (PROTECT)
                continue
            credits.append(
                UpstreamCredit(
                    generation=generation,
                    blueprint_id=ancestor.pk,
                    blueprint_title=ancestor.title,
                    blueprint_url=reverse("blueprints:detail", kwargs={"slug": ancestor.slug}),
                    owner_id=ancestor.owner_id,
                    owner_name=ancestor.owner.public_name,
                    owner_url=_profile_url(ancestor.owner_id),
                    licence=ancestor.licence,
                )
            )
        upstream[blueprint_id] = tuple(credits)
    return upstream


def _profile_url(user_id: int) -> str:
    return reverse("community:profile", kwargs={"pk": user_id})


def _placement(part: DossierPart) -> Placement:
    placement = getattr(part, "placement", None)
    if placement is None:
        return Placement()
    position = tuple(placement.position) if len(placement.position) == 3 else (0.0, 0.0, 0.0)
    rotation = tuple(placement.rotation) if len(placement.rotation) == 3 else (0.0, 0.0, 0.0)
    return Placement(position=position, rotation=rotation, scale=placement.scale, is_set=True)


def _part_view(part: DossierPart, upstream: tuple[UpstreamCredit, ...]) -> DossierPartView:
    blueprint = part.revision.blueprint
    authors = tuple(
        PersonCredit(
            user_id=author.user_id,
            name=author.user.public_name,
            profile_url=_profile_url(author.user_id),
            is_lead=author.is_lead,
            share_percent=author.share,
        )
        for author in part.entry.authors.all()
    )
    ready_files: list[File] = getattr(part.revision, "ready_files", [])
    return DossierPartView(
        part_id=part.pk,
        position=part.position,
        phase_id=part.phase_id,
        rank=part.award.rank,
        prize_amount=part.award.amount,
        prize_currency=part.award.currency,
        awarded_at=part.award.awarded_at,
        entry_id=part.entry_id,
        entry_title=part.entry.title,
        entry_url=reverse("submissions:detail", kwargs={"pk": part.entry_id}),
        blueprint_id=blueprint.pk,
        blueprint_title=blueprint.title,
        blueprint_slug=blueprint.slug,
        blueprint_url=reverse("blueprints:revision", kwargs={"slug": blueprint.slug, "number": part.revision.number}),
        revision_id=part.revision_id,
        revision_number=part.revision.number,
        licence=part.licence,
        authors=authors,
        shares=tuple(
            PrizeShare(
                recipient_id=share.recipient_id,
                recipient_name=share.recipient.public_name,
                amount=share.amount,
                currency=share.currency,
                kind=share.kind,
                generation=share.generation,
            )
            for share in part.award.shares.all()
        ),
        upstream=upstream,
        files=tuple(
            PartFile(
                file_id=file.pk,
                name=file.original_name,
                file_type=file.file_type,
                kind=file.kind,
                size=file.size,
                sha256=file.sha256,
                storage_key=file.storage_key,
                is_mesh=file.file_type in MESH_TYPES,
            )
            for file in ready_files
        ),
        bom=tuple(
            BomLine(
                name=line.name,
                quantity=line.quantity,
                material=line.material,
                mass_kg=line.mass_kg,
                unit_cost=line.unit_cost,
                currency=line.currency,
                supplier_note=line.supplier_note,
            )
            for line in part.revision.bom_parts.all()
        ),
        placement=_placement(part),
        author_ids=frozenset(author.user_id for author in authors),
    )


def _phases_of(challenge_id: int) -> list[Any]:
    return list(
        Phase.objects.filter(challenge_id=challenge_id)
        .annotate(
            depends_on_ids=ArrayAgg(
                "requirements__required_id",
                filter=Q(requirements__isnull=False),
                distinct=True,
                default=[],
            )
        )
        .order_by("position")
    )


def _build(challenge: Challenge, versions: list[DossierVersion], version: DossierVersion) -> DossierView:
    parts = _parts_of(version)
    upstream = _upstream_of(parts)
    phases = _phases_of(challenge.pk)
    by_phase: dict[int, list[DossierPartView]] = defaultdict(list)
    for part in parts:
        by_phase[part.phase_id].append(_part_view(part, upstream.get(part.revision.blueprint.pk, ())))
    phase_rows = {phase.pk: phase for phase in phases}
    order = phase_graph_order((phase.pk, phase.position, phase.depends_on_ids) for phase in phases)
    sections = tuple(
        PhaseSection(
            phase_id=phase.pk,
            title=phase.title,
            kind=phase.kind,
            kind_label=str(phase.get_kind_display()),
            position=phase.position,
            status=phase.status,
            depends_on=tuple(sorted(phase.depends_on_ids)),
            parts=tuple(sorted(by_phase.get(phase.pk, []), key=lambda view: view.rank)),
        )
        for phase in (phase_rows[pk] for pk in order)
    )
    dossier: Dossier = version.dossier
    return DossierView(
        dossier_id=dossier.pk,
        version_id=version.pk,
        number=version.number,
        created_at=version.created_at,
        is_complete=version.is_complete,
        is_latest=version.number == versions[-1].number,
        challenge_id=challenge.pk,
        challenge_title=challenge.title,
        challenge_slug=challenge.slug,
        challenge_url=challenge.get_absolute_url(),
        challenge_owner_id=challenge.owner_id,
        challenge_currency=challenge.currency,
        phases=sections,
        versions=tuple(
            VersionSummary(
                number=row.number,
                created_at=row.created_at,
                is_complete=row.is_complete,
                part_count=row.part_count,  # type: ignore[attr-defined]
            )
            for row in versions
        ),
        still_key=version.still_key,
    )


def _pick(versions: list[DossierVersion], number: int | None) -> DossierVersion:
    if not versions:
        raise DossierNotFound(_("This challenge has no dossier yet: it begins with the first award."))
    if number is None:
        return versions[-1]
    for version in versions:
        if version.number == number:
            return version
    raise DossierNotFound(_("This dossier has no version %(number)s.") % {"number": number})


def dossier_view(*, user: Any, slug: str, number: int | None = None) -> DossierView:
    """Version `number` (None: the latest) of the dossier of the challenge `slug`, as `user` may read it.

    Raises `DossierNotFound` (a 404) when the challenge is unknown or not visible to `user` (the
    dossier is exactly as visible as its challenge), has no dossier yet, or no such version.
    """
    try:
        challenge = challenge_visible(user=user, slug=slug)
    except Http404 as error:
        raise DossierNotFound(_("No such challenge.")) from error
    versions = _versions_of(challenge.pk)
    return _build(challenge, versions, _pick(versions, number))


def dossier_view_for_version(version_id: int) -> DossierView:
    """The version with this id, for workers (no reader: nothing is checked). `DossierNotFound` if missing."""
    challenge_id = DossierVersion.objects.filter(pk=version_id).values_list("dossier__challenge_id", flat=True).first()
    if challenge_id is None:
        raise DossierNotFound(_("No such dossier version."))
    challenge = Challenge.objects.select_related("owner").get(pk=challenge_id)
    versions = _versions_of(challenge_id)
    version = next(row for row in versions if row.pk == version_id)
    return _build(challenge, versions, version)


def latest_version_number(*, challenge_id: int) -> int:
    """The number of the newest version of the challenge's dossier, 0 when it has none (one query)."""
    number = Dossier.objects.filter(challenge_id=challenge_id).values_list("latest_number", flat=True).first()
    return number or 0


def dossier_versions(*, user: Any, slug: str) -> QuerySet[DossierVersion]:
    """The versions of the dossier of challenge `slug` (with `part_count`), as visible as the challenge.

    Raises `DossierNotFound` when the challenge is unknown or unseen; an empty queryset when it has
    no dossier yet.
    """
    try:
        challenge = challenge_visible(user=user, slug=slug)
    except Http404 as error:
        raise DossierNotFound(_("No such challenge.")) from error
    return DossierVersion.objects.filter(dossier__challenge_id=challenge.pk).annotate(part_count=Count("parts"))
