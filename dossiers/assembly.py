"""The assembled vehicle of a dossier version: where each part sits, the 3D scene's data and the still.

One frame for everything, the CAD convention of the mesh previews: scene units are metres, x points
forward, y to the left, z up. STL is read as it is; OBJ and glTF (y-up by convention) are turned
z-up, as `blueprints.processing.meshes.load_triangles` does. A part's placement moves all its meshes
in that frame: scale first, then rotate (degrees, XYZ Euler order, as three.js applies them), then
translate.

A part without a placement row sits where `default_placement` puts the parts of its phase's kind,
so the untouched assembly already looks like a vehicle. The page's scene (`assembly.js`) and the
rendered still both take their placements from `effective_placements`.

The still is a PNG of every part's meshes in place, rendered by a worker (`dossiers.render_still`,
on the `files` queue) when a version is recorded and after every placement change; its key holds the
digest of what it shows, so rendering the same thing twice changes nothing.
"""

import hashlib
import json
import logging
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import OperationalError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from blueprints import storage
from blueprints.filetypes import BY_CODE
from blueprints.names import content_disposition_attachment
from blueprints.processing.errors import Rejected
from blueprints.processing.meshes import load_triangles, render_preview
from challenges.models import PhaseKind
from core.exceptions import ApplicationError, NotAllowed
from dossiers.models import DossierPart, DossierVersion, PartPlacement
from dossiers.selectors import DossierNotFound, dossier_view, dossier_view_for_version
from dossiers.signals import version_recorded
from dossiers.snapshot import DossierPartView, DossierView, PartFile, Placement

logger = logging.getLogger(__name__)

# --- Placements ---------------------------------------------------------------------------------

MAX_COORDINATE = 100.0  # metres from the origin, each axis
MAX_ROTATION = 360.0  # degrees, each axis, either way
MAX_SCALE = 100.0

# Where the first-ranked part of each phase kind sits (metres, vehicle frame: x forward, y left, z up).
# The concept's body is the vehicle's reference: the others are placed around and inside it.
KIND_SPOTS: dict[str, tuple[float, float, float]] = {
    PhaseKind.CONCEPT: (0.0, 0.0, 0.0),
    PhaseKind.FRONT: (1.3, 0.0, 0.0),  # the front begins where the body ends
    PhaseKind.REAR: (-2.3, 0.0, 0.0),  # behind the body
    PhaseKind.SIDE: (0.0, -1.0, 0.0),  # on the right flank (the kerb side where traffic keeps right)
    PhaseKind.WHEELS_TYRES: (0.0, 0.0, 0.0),  # a wheel set is modelled around the vehicle's centre
    PhaseKind.MATERIALS: (0.0, 0.0, 0.0),
    PhaseKind.INTERIOR: (0.0, 0.0, 0.65),  # on the floor, inside
    PhaseKind.DRIVETRAIN: (0.0, 0.0, 0.2),  # under the floor, between the axles
}
OTHER_SPOT = (0.0, 3.5, 0.0)  # beside the vehicle, on its left
# The parts ranked after the first in a phase are alternatives: they stand in a row to the left of
# the vehicle, this far apart, instead of inside the first one.
ALTERNATIVE_SPACING = 3.5


def default_placement(*, kind: str, index: int) -> Placement:
    """Where a part of a phase of `kind` sits until someone places it; `index` is its rank order in the phase."""
    x, y, z = KIND_SPOTS.get(kind, OTHER_SPOT)
    return Placement(position=(x, y + ALTERNATIVE_SPACING * index, z))


def placement_rows(version_id: int) -> dict[int, Placement]:
    """The placements set in this version, by part id (one query)."""
    rows = PartPlacement.objects.filter(part__version_id=version_id).values_list(
        "part_id", "position", "rotation", "scale"
    )
    placed: dict[int, Placement] = {}
    for part_id, position, rotation, scale in rows:
        placed[part_id] = Placement(
            position=_triple(position),
            rotation=_triple(rotation),
            scale=float(scale),
        )
    return placed


def _triple(values: Sequence[float] | None) -> tuple[float, float, float]:
    if not values or len(values) != 3:
        return (0.0, 0.0, 0.0)
    return (float(values[0]), float(values[1]), float(values[2]))


def placements_in_view(dossier: DossierView) -> dict[int, Placement]:
    """The placements saved for this version, as the view read them (no query)."""
    return {part.part_id: part.placement for part in dossier.parts if part.placement.is_set}


def effective_placements(dossier: DossierView, placed: dict[int, Placement]) -> dict[int, Placement]:
    """Every part's placement: the one set in `placed`, else the default for its phase and rank order."""
    result: dict[int, Placement] = {}
    for section in dossier.phases:
        for index, part in enumerate(section.parts):
            result[part.part_id] = placed.get(part.part_id) or default_placement(kind=section.kind, index=index)
    return result


def may_place(user: Any, dossier: DossierView, part: DossierPartView) -> bool:
    """The client, staff and the part's own authors may move it."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.pk == dossier.challenge_owner_id or user.pk in part.author_ids)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            return float(text) if text else None
        except ValueError:
            return None
    return None


def transform_clean(*, position: Any, rotation: Any, scale: Any) -> Placement:
    """The transform as numbers within their limits, or an `ApplicationError` naming each bad field."""
    errors: dict[str, list[str]] = {}

    def axes(name: str, values: Any, limit: float, message: str) -> tuple[float, float, float]:
        if not isinstance(values, list | tuple) or len(values) != 3:
            errors[name] = [_("Give three numbers (x, y, z).")]
            return (0.0, 0.0, 0.0)
        cleaned = []
        for axis, raw in zip("xyz", values, strict=True):
            number = _number(raw)
            if number is None or not math.isfinite(number):
                errors.setdefault(f"{name}_{axis}", []).append(_("Enter a number."))
            elif abs(number) > limit:
                errors.setdefault(f"{name}_{axis}", []).append(message)
            else:
                cleaned.append(number + 0.0)  # -0.0 becomes 0.0
                continue
            cleaned.append(0.0)
        return (cleaned[0], cleaned[1], cleaned[2])

    clean_position = axes(
        "position",
        position,
        MAX_COORDINATE,
        _("Keep it within %(limit)s m of the origin.") % {"limit": int(MAX_COORDINATE)},
    )
    clean_rotation = axes(
        "rotation",
        rotation,
        MAX_ROTATION,
        _("Turn by %(limit)s degrees at most either way.") % {"limit": int(MAX_ROTATION)},
    )
    clean_scale = _number(scale)
    if clean_scale is None or not math.isfinite(clean_scale):
        errors["scale"] = [_("Enter a number.")]
    elif not 0 < clean_scale <= MAX_SCALE:
        errors["scale"] = [_("The scale must be above 0 and at most %(limit)s.") % {"limit": int(MAX_SCALE)}]
    if errors:
        raise ApplicationError(_("The placement was not saved: check the marked numbers."), {"fields": errors})
    return Placement(position=clean_position, rotation=clean_rotation, scale=float(clean_scale or 1.0))


def placement_set(
    *, user: Any, slug: str, number: int, part_id: int, position: Any, rotation: Any, scale: Any
) -> PartPlacement:
    """Set where a part sits in version `number` of the challenge's dossier.

    Raises `DossierNotFound` (404) when the dossier, version or part is not there for `user`,
    `NotAllowed` (403) for anyone but the client, staff and the part's authors, and
    `ApplicationError` (400, with field messages) for numbers out of bounds. The still is rendered
    again once the change has committed.
    """
    dossier = dossier_view(user=user, slug=slug, number=number)
    part = next((part for part in dossier.parts if part.part_id == part_id), None)
    if part is None:
        raise DossierNotFound(_("This dossier version has no such part."))
    if not may_place(user, dossier, part):
        raise NotAllowed(_("Only the client, the part's authors and staff may place this part."))
    placement = transform_clean(position=position, rotation=rotation, scale=scale)
    with transaction.atomic():
        DossierPart.objects.select_for_update().filter(pk=part_id).values_list("pk", flat=True).get()
        row, _created = PartPlacement.objects.update_or_create(
            part_id=part_id,
            defaults={
                "position": list(placement.position),
                "rotation": list(placement.rotation),
                "scale": placement.scale,
                "updated_by": user,
            },
        )
        version_id = dossier.version_id
        transaction.on_commit(lambda: render_still.delay(version_id))
    return row


# --- The still ----------------------------------------------------------------------------------

STILL_PREFIX = "dossiers/stills/"
STILL_SIZE = (1200, 630)  # the proportions link previews use
STILL_MAX_MESH_BYTES = 50 * 1024**2  # a larger model is left out of the still (the scene still shows it)
STILL_MAX_TOTAL_BYTES = 300 * 1024**2


def still_key(version_id: int, digest: str) -> str:
    return f"{STILL_PREFIX}{version_id}/{digest}.png"


def mesh_files(part: DossierPartView) -> tuple[PartFile, ...]:
    return tuple(file for file in part.files if file.is_mesh)


def still_digest(dossier: DossierView, placements: dict[int, Placement]) -> str:
    """SHA-256 of what the still shows: each part's meshes and where they sit."""
    shown = []
    for part in dossier.parts:
        meshes = mesh_files(part)
        if not meshes:
            continue
        placement = placements[part.part_id]
        shown.append(
            [part.part_id, [file.sha256 for file in meshes], placement.position, placement.rotation, placement.scale]
        )
    return hashlib.sha256(json.dumps(shown, separators=(",", ":")).encode()).hexdigest()


def rotation_matrix(degrees: Sequence[float]) -> np.ndarray:
    """The rotation of XYZ Euler angles as three.js composes them (x, then y, then z, intrinsic)."""
    ax, ay, az = (math.radians(value) for value in degrees)
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    matrix: np.ndarray = rx @ ry @ rz
    return matrix


def placed_triangles(triangles: np.ndarray, placement: Placement) -> np.ndarray:
    """The triangles (n, 3, 3) scaled, rotated and moved as `placement` says."""
    linear = (rotation_matrix(placement.rotation) * placement.scale).astype(np.float32)
    offset = np.asarray(placement.position, dtype=np.float32)
    moved = triangles.reshape(-1, 3) @ linear.T + offset
    return np.ascontiguousarray(moved.reshape(-1, 3, 3), dtype=np.float32)


@dataclass(frozen=True)
class Still:
    key: str
    digest: str
    rendered: bool  # False: the version already showed this still
    left_out: tuple[str, ...] = ()  # "<file name>: <why>"


def _download(file: PartFile, folder: Path) -> Path:
    path = folder / f"{file.file_id}.{file.file_type}"
    written = 0
    with path.open("wb") as handle:
        for chunk in storage.object_chunks(file.storage_key):
            written += len(chunk)
            if written > STILL_MAX_MESH_BYTES:
                raise Rejected("too_large", str(written))
            handle.write(chunk)
    return path


def _assembled_triangles(
    dossier: DossierView, placements: dict[int, Placement], folder: Path
) -> tuple[list[np.ndarray], list[str]]:
    pieces: list[np.ndarray] = []
    left_out: list[str] = []
    budget = STILL_MAX_TOTAL_BYTES
    for part in dossier.parts:
        for file in mesh_files(part):
            if file.size > STILL_MAX_MESH_BYTES or file.size > budget:
                left_out.append(f"{file.name}: {file.size} bytes, too large for the still")
                continue
            try:
                path = _download(file, folder)
                triangles = load_triangles(path, file_type=file.file_type, size=path.stat().st_size)
            except Rejected as error:
                left_out.append(f"{file.name}: {error}")
                continue
            except ClientError as error:
                if not storage.is_missing(error):
                    raise
                left_out.append(f"{file.name}: missing from storage")
                continue
            budget -= file.size
            path.unlink()
            pieces.append(placed_triangles(triangles, placements[part.part_id]))
    return pieces, left_out


def still_render(*, version_id: int) -> Still:
    """Render the version's assembly as a PNG and record it on the version (no key: no mesh to draw).

    Idempotent: a version whose still already shows these placements is left alone. A render that
    finishes after the placements changed again records nothing (the newer render will).
    """
    dossier = dossier_view_for_version(version_id)
    placements = effective_placements(dossier, placement_rows(version_id))
    digest = still_digest(dossier, placements)
    key = still_key(version_id, digest)
    if dossier.still_key == key:
        return Still(key, digest, rendered=False)
    with tempfile.TemporaryDirectory(prefix="dossier-still-") as folder:
        pieces, left_out = _assembled_triangles(dossier, placements, Path(folder))
    for reason in left_out:
        logger.info("Dossier version %s: left out of the still: %s", version_id, reason)
    if not pieces:
        return Still("", digest, rendered=False, left_out=tuple(left_out))
    png = render_preview(np.concatenate(pieces), size=STILL_SIZE)
    storage.object_put_once(key=key, data=png, content_type="image/png")
    with transaction.atomic():
        version = DossierVersion.objects.select_for_update().get(pk=version_id)
        current = still_digest(dossier, effective_placements(dossier, placement_rows(version_id)))
        if current != digest:
            return Still(key, digest, rendered=False, left_out=tuple(left_out))
        previous = version.still_key
        version.still_key = key
        version.still_digest = digest
        version.save(update_fields=["still_key", "still_digest"])
        if previous and previous != key and previous.startswith(STILL_PREFIX):
            transaction.on_commit(lambda: storage.object_delete(previous))
    return Still(key, digest, rendered=True, left_out=tuple(left_out))


TRANSIENT = (BotoCoreError, ClientError, OperationalError, ConnectionError, TimeoutError)


@shared_task(
    name="dossiers.render_still",
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=900,
    time_limit=960,
    acks_late=True,
)
def render_still(version_id: int) -> str:
    try:
        return still_render(version_id=version_id).key
    except DossierNotFound:
        return ""  # the version is gone (its challenge was deleted)


def on_version_recorded(sender: Any, *, version_id: int, **kwargs: Any) -> None:
    transaction.on_commit(lambda: render_still.delay(version_id))


version_recorded.connect(on_version_recorded, dispatch_uid="dossiers.still_on_version_recorded")


# --- The page -----------------------------------------------------------------------------------


def _static_or_none(path: str) -> str | None:
    try:
        return staticfiles_storage.url(path)
    except ValueError:  # not collected: three.js is not installed (npm ci)
        return None


def _mesh_url(file: PartFile) -> str:
    file_type = BY_CODE.get(file.file_type)
    return storage.download_url(
        key=file.storage_key,
        content_disposition=content_disposition_attachment(file.name),
        content_type=file_type.mime_type if file_type else "application/octet-stream",
    )


def _fields(placement: Placement) -> list[dict[str, Any]]:
    """The numeric form fields of a placement, in the order the form shows them."""
    fields = [
        {"name": f"{name}_{axis}", "label": axis, "value": value, "group": name}
        for name, values in (("position", placement.position), ("rotation", placement.rotation))
        for axis, value in zip("xyz", values, strict=True)
    ]
    fields.append({"name": "scale", "label": "", "value": placement.scale, "group": "scale"})
    return fields


def page_context(request: HttpRequest, dossier: DossierView) -> dict[str, Any]:
    """What `_assembly.html` and `assembly.js` need: placements, mesh URLs, the still (no query).

    Mesh URLs are signed only for signed-in members, as file downloads are; everyone sees the still.
    """
    user = getattr(request, "user", None)
    placed = placements_in_view(dossier)
    placements = effective_placements(dossier, placed)
    signed_in = bool(user is not None and user.is_authenticated)
    parts: list[dict[str, Any]] = []
    phases: list[dict[str, Any]] = []
    left_out: list[str] = []
    for section in dossier.phases:
        phase_parts = []
        for part in section.parts:
            meshes = mesh_files(part)
            if not meshes:
                continue
            placement = placements[part.part_id]
            allowed = may_place(user, dossier, part)
            left_out += [file.name for file in meshes if file.size > STILL_MAX_MESH_BYTES]
            phase_parts.append(
                {
                    "id": part.part_id,
                    "phase_id": section.phase_id,
                    "kind": section.kind,
                    "phase_title": section.title,
                    "title": part.entry_title,
                    "blueprint_title": part.blueprint_title,
                    "revision_number": part.revision_number,
                    "rank": part.rank,
                    "placement": placement,
                    "placed": part.part_id in placed,
                    "can_place": allowed,
                    "fields": _fields(placement),
                    "place_url": reverse(
                        "dossiers:placement",
                        kwargs={"slug": dossier.challenge_slug, "number": dossier.number, "part_id": part.part_id},
                    ),
                    "meshes": [
                        {"name": file.name, "type": file.file_type, "size": file.size}
                        | ({"url": _mesh_url(file)} if signed_in else {})
                        for file in meshes
                    ],
                }
            )
        if phase_parts:
            phases.append({"id": section.phase_id, "title": section.title, "kind": section.kind})
            parts += phase_parts
    three_url = _static_or_none("vendor/three/build/three.module.js")
    scene = {
        "phases": phases,
        "parts": [
            {
                "id": part["id"],
                "phaseId": part["phase_id"],
                "kind": part["kind"],
                "title": part["title"],
                "position": list(part["placement"].position),
                "rotation": list(part["placement"].rotation),
                "scale": part["placement"].scale,
                "canPlace": part["can_place"],
                "placeUrl": part["place_url"],
                "meshes": [mesh for mesh in part["meshes"] if "url" in mesh],
            }
            for part in parts
        ],
    }
    return {
        "parts": parts,
        "phases": phases,
        "scene": scene,
        "show_scene": bool(three_url and signed_in and parts),
        "signed_in": signed_in,
        "can_place": any(part["can_place"] for part in parts),
        "still_url": storage.preview_url(dossier.still_key) if dossier.still_key else "",
        "three_url": three_url,
        "addons_prefix": f"{settings.STATIC_URL}vendor/three/examples/jsm/",
        "left_out_of_still": left_out,
        "still_limit_mb": STILL_MAX_MESH_BYTES // 1024**2,
        "max_coordinate": MAX_COORDINATE,
        "max_rotation": MAX_ROTATION,
        "max_scale": MAX_SCALE,
    }
