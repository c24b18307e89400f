"""What one dossier version holds, read once and handed to every part of the app as plain data.

`dossiers.selectors.dossier_view` builds a `DossierView` in a fixed number of queries (whatever the
number of parts and files); the page, the API, the bill of materials, the attribution file, the
3D scene and the package builder all read it and never query per part or per file.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PersonCredit:
    """An author of an awarded entry (the lead author first), with their agreed share of the prize."""

    user_id: int
    name: str
    profile_url: str
    is_lead: bool
    share_percent: Decimal


@dataclass(frozen=True, slots=True)
class UpstreamCredit:
    """A blueprint the part's blueprint descends from (generation 1 = the one it was forked from)."""

    generation: int
    blueprint_id: int
    blueprint_title: str
    blueprint_url: str
    owner_id: int
    owner_name: str
    owner_url: str
    licence: str


@dataclass(frozen=True, slots=True)
class PrizeShare:
    """Who received what of the part's award (authors, co-authors and lineage credits)."""

    recipient_id: int
    recipient_name: str
    amount: Decimal
    currency: str
    kind: str  # submissions.models.ShareKind
    generation: int


@dataclass(frozen=True, slots=True)
class PartFile:
    """A ready file of the part's pinned revision, as stored in S3 (content-addressed key)."""

    file_id: int
    name: str
    file_type: str  # blueprints.filetypes code ("stl", "obj", "glb", "png", ...)
    kind: str
    size: int
    sha256: str
    storage_key: str
    is_mesh: bool  # STL, OBJ or glTF: shown in the assembled scene


@dataclass(frozen=True, slots=True)
class BomLine:
    """One declared line of the pinned revision's bill of materials (blueprints.RevisionPart)."""

    name: str
    quantity: int
    material: str
    mass_kg: Decimal | None
    unit_cost: Decimal | None
    currency: str
    supplier_note: str


@dataclass(frozen=True, slots=True)
class Placement:
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation: tuple[float, float, float] = (0.0, 0.0, 0.0)  # degrees, XYZ Euler order
    scale: float = 1.0
    is_set: bool = False  # saved for this version (else the scene's default layout places the part)


@dataclass(frozen=True, slots=True)
class DossierPartView:
    part_id: int
    position: int
    phase_id: int
    rank: int
    prize_amount: Decimal
    prize_currency: str
    awarded_at: datetime
    entry_id: int
    entry_title: str
    entry_url: str
    blueprint_id: int
    blueprint_title: str
    blueprint_slug: str
    blueprint_url: str
    revision_id: int
    revision_number: int
    licence: str  # blueprints.licences.Licence code, pinned when the version was made
    authors: tuple[PersonCredit, ...]
    shares: tuple[PrizeShare, ...]
    upstream: tuple[UpstreamCredit, ...]  # nearest ancestor first
    files: tuple[PartFile, ...]  # ready files only, by name
    bom: tuple[BomLine, ...]
    placement: Placement
    # Member ids who may place this part in the 3D scene besides the client and staff: its authors.
    author_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class PhaseSection:
    phase_id: int
    title: str
    kind: str  # challenges.models.PhaseKind
    kind_label: str
    position: int
    status: str
    depends_on: tuple[int, ...]  # phase ids
    parts: tuple[DossierPartView, ...]  # by rank; empty for a phase not awarded (yet)


@dataclass(frozen=True, slots=True)
class VersionSummary:
    number: int
    created_at: datetime
    is_complete: bool
    part_count: int


@dataclass(frozen=True, slots=True)
class DossierView:
    dossier_id: int
    version_id: int
    number: int
    created_at: datetime
    is_complete: bool
    is_latest: bool
    challenge_id: int
    challenge_title: str
    challenge_slug: str
    challenge_url: str
    challenge_owner_id: int
    challenge_currency: str
    phases: tuple[PhaseSection, ...]  # graph order: phases nobody depends on last; concept first
    versions: tuple[VersionSummary, ...]  # every version, oldest first
    still_key: str

    @property
    def parts(self) -> tuple[DossierPartView, ...]:
        return tuple(part for section in self.phases for part in section.parts)

    @property
    def files(self) -> tuple[PartFile, ...]:
        return tuple(file for part in self.parts for file in part.files)
