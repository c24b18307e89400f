"""Writing dossiers: a new immutable version whenever the awards or the completeness change."""

import hashlib
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus, Phase, PhaseDependency
from core.events import announce_on_commit
from core.models import subquery_count
from dossiers.models import Dossier, DossierPart, DossierVersion, PartPlacement
from dossiers.selectors import phase_graph_order
from dossiers.signals import version_recorded
from submissions.models import Award


def dossier_fingerprint(*, award_ids: list[int], is_complete: bool) -> str:
    """SHA-256 of the sorted award ids and the completeness: equal for the same awards and state."""
    text = ",".join(str(pk) for pk in sorted(award_ids)) + (";complete" if is_complete else ";open")
    return hashlib.sha256(text.encode()).hexdigest()


def _part_order(challenge_id: int, awards: list[Award]) -> list[Award]:
    """Awards in dossier order: phases in graph order (concept first), then by rank."""
    phases = Phase.objects.filter(challenge_id=challenge_id).values_list("pk", "position")
    dependencies: dict[int, list[int]] = {pk: [] for pk, _position in phases}
    requirements = PhaseDependency.objects.filter(phase__challenge_id=challenge_id)
    for phase_id, required_id in requirements.values_list("phase_id", "required_id"):
        dependencies.setdefault(phase_id, []).append(required_id)
    order = phase_graph_order((pk, position, dependencies.get(pk, [])) for pk, position in phases)
    index = {phase_id: i for i, phase_id in enumerate(order)}
    return sorted(awards, key=lambda award: (index.get(award.phase_id, len(index)), award.rank))


@transaction.atomic
def dossier_version_record(*, challenge_id: int, now: datetime | None = None) -> DossierVersion | None:
    """Record the dossier version that the challenge's awards and state make, once.

    Under the lock of the challenge's `Dossier` row (made on the first award): the fingerprint of
    the awards and completeness decides; when a version with it exists, that version is returned
    and nothing is written (so a repeated or late signal makes no duplicate). Otherwise version
    n + 1 pins every award as a `DossierPart` (the entry's revision, which cannot change once the
    phase has closed, and the blueprint's licence now), carries over the placement each award's
    part had in the previous version, and `version_recorded` is announced on commit.

    None when the challenge has no award yet (no dossier then) or does not exist.
    """
    now = now or timezone.now()
    if not Award.objects.filter(phase__challenge_id=challenge_id).exists():
        return None
    dossier, _created = Dossier.objects.select_for_update(of=("self",)).get_or_create(challenge_id=challenge_id)
    # Read under the lock: an award or completion committed while we waited belongs in this version.
    awards = list(Award.objects.filter(phase__challenge_id=challenge_id).select_related("entry__revision__blueprint"))
    is_complete = Challenge.objects.filter(pk=challenge_id, status=ChallengeStatus.COMPLETED).exists()
    fingerprint = dossier_fingerprint(award_ids=[award.pk for award in awards], is_complete=is_complete)
    existing = DossierVersion.objects.filter(dossier=dossier, fingerprint=fingerprint).first()
    if existing is not None:
        return existing
    previous = DossierVersion.objects.filter(dossier=dossier).order_by("-number").first()
    version = DossierVersion.objects.create(
        dossier=dossier,
        number=dossier.latest_number + 1,
        created_at=now,
        fingerprint=fingerprint,
        is_complete=is_complete,
    )
    parts = DossierPart.objects.bulk_create(
        DossierPart(
            version=version,
            award=award,
            phase_id=award.phase_id,
            entry_id=award.entry_id,
            revision_id=award.entry.revision_id,
            licence=award.entry.revision.blueprint.licence,
            position=position,
        )
        for position, award in enumerate(_part_order(challenge_id, awards), start=1)
    )
    if previous is not None:
        placed = {
            placement.part.award_id: placement
            for placement in PartPlacement.objects.filter(part__version=previous).select_related("part")
        }
        PartPlacement.objects.bulk_create(
            PartPlacement(
                part=part,
                position=list(placed[part.award_id].position),
                rotation=list(placed[part.award_id].rotation),
                scale=placed[part.award_id].scale,
                updated_by_id=placed[part.award_id].updated_by_id,
            )
            for part in parts
            if part.award_id in placed
        )
    dossier.latest_number = version.number
    dossier.save(update_fields=["latest_number", "updated_at"])
    announce_on_commit(version_recorded, DossierVersion, version_id=version.pk, challenge_id=challenge_id)
    return version


def dossiers_behind(*, limit: int = 100) -> list[int]:
    """The challenges whose latest dossier version is not what their awards and state make: awarded but
    without a version, a latest version holding fewer parts than the challenge has awards, or completed
    while the latest version is not complete. A version is normally recorded right after its award or
    the completion commits; a worker killed between that commit and the receiver leaves one of these."""
    latest = DossierVersion.objects.filter(dossier__challenge=OuterRef("pk")).order_by("-number")
    return list(
        Challenge.objects.filter(Exists(Award.objects.filter(phase__challenge=OuterRef("pk"))))
        .annotate(
            award_count=subquery_count(Award.objects.filter(phase__challenge=OuterRef("pk"))),
            latest_version=Subquery(latest.values("pk")[:1]),
            latest_is_complete=Subquery(latest.values("is_complete")[:1]),
        )
        .annotate(part_count=subquery_count(DossierPart.objects.filter(version=OuterRef("latest_version"))))
        .filter(
            Q(latest_version__isnull=True)
            | ~Q(award_count=F("part_count"))
            | Q(status=ChallengeStatus.COMPLETED, latest_is_complete=False)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def dossiers_catch_up(*, limit: int = 100) -> int:
    """Record the version each challenge behind (`dossiers_behind`) is missing. Returns how many it recorded."""
    recorded = 0
    for challenge_id in dossiers_behind(limit=limit):
        if dossier_version_record(challenge_id=challenge_id) is not None:
            recorded += 1
    return recorded
