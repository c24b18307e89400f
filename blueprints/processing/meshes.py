"""Mesh facts and a rendered preview for STL, OBJ and glTF models, without a display or OpenGL.

Binary STL is read straight from disk with numpy (a 200 MB file holds about four million
triangles); ASCII STL, OBJ and GLB go through trimesh. The preview is drawn by a small vectorised
z-buffer rasteriser with flat shading, supersampled and scaled down with Pillow.
"""

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from blueprints.processing.errors import Rejected

STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attributes", "<u2")])
# Above this many triangles the watertightness check (and so the volume) is skipped: it needs
# several arrays the size of the mesh at once.
TOPOLOGY_MAX_TRIANGLES = 6_000_000
PREVIEW_SIZE = (640, 480)
SUPERSAMPLE = 2
BACKGROUND = np.array([246, 245, 241], dtype=np.float32)
BASE_COLOUR = np.array([92, 128, 168], dtype=np.float32)
# Candidate pixels handled per rasterising step (bounds memory: ~40 bytes each).
RASTER_BATCH = 3_000_000


@dataclass(frozen=True)
class MeshFacts:
    triangles: int
    bbox_min: list[float]
    bbox_max: list[float]
    volume: float | None
    watertight: bool | None


def binary_stl_triangle_count(head: bytes, size: int) -> int | None:
    if len(head) < 84:
        return None
    count = int.from_bytes(head[80:84], "little")
    return count if size == 84 + 50 * count else None


def load_triangles(path: Path, *, file_type: str, size: int) -> np.ndarray:
    """The model's triangles as a float32 array of shape (n, 3, 3), z up."""
    if file_type == "stl":
        with path.open("rb") as handle:
            head = handle.read(84)
        count = binary_stl_triangle_count(head, size)
        if count is not None:
            records = np.memmap(path, dtype=STL_RECORD, mode="r", offset=84, shape=(count,))
            triangles = np.array(records["vertices"], dtype=np.float32)
            del records
            return _checked(triangles)
    triangles = _load_with_trimesh(path, file_type=file_type)
    if file_type in {"obj", "glb"}:
        # These formats are y-up by convention; turn them z-up like STL and CAD.
        triangles = triangles[..., [0, 2, 1]] * np.array([1, -1, 1], dtype=np.float32)
    return _checked(triangles)


def _load_with_trimesh(path: Path, *, file_type: str) -> np.ndarray:
    import trimesh

    try:
        loaded: Any = trimesh.load(str(path), file_type=file_type, force="mesh", process=False)
        faces = np.asarray(loaded.faces)
        vertices = np.asarray(loaded.vertices, dtype=np.float32)
    except Rejected:
        raise
    except Exception as error:  # noqa: BLE001 - trimesh raises many types for a bad file
        raise Rejected("unreadable", type(error).__name__) from error
    if faces.size == 0:
        raise Rejected("unreadable", "0 triangles")
    if faces.ndim != 2 or faces.shape[1] != 3 or faces.max() >= len(vertices) or faces.min() < 0:
        raise Rejected("unreadable", "faces")
    return vertices[faces]


def _checked(triangles: np.ndarray) -> np.ndarray:
    if triangles.ndim != 3 or triangles.shape[1:] != (3, 3) or len(triangles) == 0:
        raise Rejected("unreadable", "0 triangles")
    finite = np.isfinite(triangles).all(axis=(1, 2))
    if not finite.all():
        triangles = triangles[finite]
        if len(triangles) == 0:
            raise Rejected("unreadable", "NaN")
    return np.ascontiguousarray(triangles, dtype=np.float32)


def mesh_facts(triangles: np.ndarray) -> MeshFacts:
    points = triangles.reshape(-1, 3)
    low = points.min(axis=0).astype(float)
    high = points.max(axis=0).astype(float)
    watertight: bool | None = None
    volume: float | None = None
    if len(triangles) <= TOPOLOGY_MAX_TRIANGLES:
        watertight = _is_watertight(triangles)
        if watertight:
            volume = abs(_signed_volume(triangles, centre=(low + high) / 2))
    return MeshFacts(
        triangles=len(triangles),
        bbox_min=[round(value, 6) for value in low.tolist()],
        bbox_max=[round(value, 6) for value in high.tolist()],
        volume=None if volume is None else round(volume, 6),
        watertight=watertight,
    )


def _signed_volume(triangles: np.ndarray, *, centre: np.ndarray) -> float:
    """Sum of the signed tetrahedra (centre, a, b, c): the enclosed volume of a closed mesh."""
    total = 0.0
    for start in range(0, len(triangles), 1_000_000):
        chunk = triangles[start : start + 1_000_000].astype(np.float64) - centre
        a, b, c = chunk[:, 0], chunk[:, 1], chunk[:, 2]
        total += float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum())
    return total / 6.0


def _is_watertight(triangles: np.ndarray) -> bool:
    """Closed and manifold: after merging identical vertices every edge belongs to exactly two triangles."""
    points = np.ascontiguousarray(triangles.reshape(-1, 3) + np.float32(0.0))  # -0.0 becomes 0.0
    keys = points.view(np.dtype((np.void, points.dtype.itemsize * 3))).ravel()
    unique, vertex_ids = np.unique(keys, return_inverse=True)
    faces = vertex_ids.reshape(-1, 3).astype(np.int64)
    if ((faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])).any():
        return False
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    edge_keys = edges[:, 0] * np.int64(len(unique)) + edges[:, 1]
    _, counts = np.unique(edge_keys, return_counts=True)
    return bool((counts == 2).all())


# --- Rendering --------------------------------------------------------------------------------


def render_preview(triangles: np.ndarray, *, size: tuple[int, int] = PREVIEW_SIZE) -> bytes:
    """A PNG of the model seen from the front left and a little above, flat shaded."""
    width, height = size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE
    depth_buffer = np.full(width * height, -np.inf, dtype=np.float32)
    shade_buffer = np.zeros(width * height, dtype=np.float32)

    low = triangles.reshape(-1, 3).min(axis=0)
    high = triangles.reshape(-1, 3).max(axis=0)
    centre = ((low + high) / 2).astype(np.float32)
    rotation = _view_rotation(azimuth=-35.0, elevation=25.0)
    # Screen x, screen up, and nearness (larger is closer to the viewer).
    to_screen = np.array([rotation[0], rotation[2], -rotation[1]], dtype=np.float32)

    projected_low = np.full(3, np.inf, dtype=np.float32)
    projected_high = np.full(3, -np.inf, dtype=np.float32)
    for chunk in _chunks(triangles):
        projected = (chunk - centre) @ to_screen.T
        projected_low = np.minimum(projected_low, projected.reshape(-1, 3).min(axis=0))
        projected_high = np.maximum(projected_high, projected.reshape(-1, 3).max(axis=0))
    extent = np.maximum(projected_high - projected_low, 1e-9)
    scale = float(min(width * 0.88 / extent[0], height * 0.88 / extent[1]))
    middle = (projected_low + projected_high) / 2

    light = np.array([-0.45, 0.55, 0.7], dtype=np.float32)
    light /= np.linalg.norm(light)
    for chunk in _chunks(triangles):
        projected = (chunk - centre) @ to_screen.T
        normals = np.cross(projected[:, 1] - projected[:, 0], projected[:, 2] - projected[:, 0])
        lengths = np.linalg.norm(normals, axis=1)
        keep = lengths > 0
        projected, normals, lengths = projected[keep], normals[keep], lengths[keep]
        shade = 0.28 + 0.72 * np.abs(normals @ light) / lengths
        screen = np.empty_like(projected)
        screen[..., 0] = (projected[..., 0] - middle[0]) * scale + width / 2
        screen[..., 1] = height / 2 - (projected[..., 1] - middle[1]) * scale
        screen[..., 2] = projected[..., 2]
        _rasterise(screen, shade.astype(np.float32), width, height, depth_buffer, shade_buffer)

    covered = np.isfinite(depth_buffer)
    pixels = np.empty((width * height, 3), dtype=np.float32)
    pixels[:] = BACKGROUND
    pixels[covered] = BASE_COLOUR * shade_buffer[covered, None] + 40 * shade_buffer[covered, None] ** 8
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8).reshape(height, width, 3), "RGB")
    image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _chunks(triangles: np.ndarray, size: int = 1_000_000) -> Any:
    for start in range(0, len(triangles), size):
        yield triangles[start : start + size].astype(np.float32)


def _view_rotation(*, azimuth: float, elevation: float) -> np.ndarray:
    a, e = math.radians(azimuth), math.radians(elevation)
    around_z = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    around_x = np.array([[1, 0, 0], [0, math.cos(e), -math.sin(e)], [0, math.sin(e), math.cos(e)]])
    return (around_x @ around_z).astype(np.float32)


def _rasterise(
    screen: np.ndarray,
    shade: np.ndarray,
    width: int,
    height: int,
    depth_buffer: np.ndarray,
    shade_buffer: np.ndarray,
) -> None:
    """Draw triangles (screen x, screen y, nearness) into the buffers, nearest wins per pixel.

    Triangles are grouped by the size of their pixel bounding box (rounded up to a power of two),
    so each group tests a fixed k x k grid of pixel centres per triangle, all in numpy.
    """
    x, y = screen[..., 0], screen[..., 1]
    first_x = np.ceil(x.min(axis=1) - 0.5).astype(np.int64)
    last_x = np.floor(x.max(axis=1) - 0.5).astype(np.int64)
    first_y = np.ceil(y.min(axis=1) - 0.5).astype(np.int64)
    last_y = np.floor(y.max(axis=1) - 0.5).astype(np.int64)
    np.maximum(first_x, 0, out=first_x)
    np.maximum(first_y, 0, out=first_y)
    np.minimum(last_x, width - 1, out=last_x)
    np.minimum(last_y, height - 1, out=last_y)
    span_x = last_x - first_x + 1
    span_y = last_y - first_y + 1
    visible = (span_x > 0) & (span_y > 0)
    span = np.maximum(span_x, span_y)
    groups = np.zeros(len(span), dtype=np.int64)
    groups[visible] = np.ceil(np.log2(np.maximum(span[visible], 1))).astype(np.int64)

    for group in np.unique(groups[visible]):
        k = 1 << int(group)
        members = np.flatnonzero(visible & (groups == group))
        batch = max(1, RASTER_BATCH // (k * k))
        offsets = np.arange(k)
        for start in range(0, len(members), batch):
            ids = members[start : start + batch]
            _rasterise_group(
                screen[ids], shade[ids], first_x[ids], first_y[ids], span_x[ids], span_y[ids], offsets,
                width, depth_buffer, shade_buffer,
            )  # fmt: skip


def _rasterise_group(
    tri: np.ndarray,
    shade: np.ndarray,
    first_x: np.ndarray,
    first_y: np.ndarray,
    span_x: np.ndarray,
    span_y: np.ndarray,
    offsets: np.ndarray,
    width: int,
    depth_buffer: np.ndarray,
    shade_buffer: np.ndarray,
) -> None:
    k = len(offsets)
    dx = np.tile(offsets, k)[None, :]
    dy = np.repeat(offsets, k)[None, :]
    inside_box = (dx < span_x[:, None]) & (dy < span_y[:, None])
    px = (first_x[:, None] + dx).astype(np.float32) + 0.5
    py = (first_y[:, None] + dy).astype(np.float32) + 0.5
    ax, ay, az = tri[:, 0, 0:1], tri[:, 0, 1:2], tri[:, 0, 2:3]
    bx, by, bz = tri[:, 1, 0:1], tri[:, 1, 1:2], tri[:, 1, 2:3]
    cx, cy, cz = tri[:, 2, 0:1], tri[:, 2, 1:2], tri[:, 2, 2:3]
    denominator = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
    usable = np.abs(denominator) > 1e-12
    denominator = np.where(usable, denominator, 1.0)
    w0 = ((by - cy) * (px - cx) + (cx - bx) * (py - cy)) / denominator
    w1 = ((cy - ay) * (px - cx) + (ax - cx) * (py - cy)) / denominator
    w2 = 1.0 - w0 - w1
    epsilon = -1e-4
    hit = inside_box & usable & (w0 >= epsilon) & (w1 >= epsilon) & (w2 >= epsilon)
    if not hit.any():
        return
    rows, columns = np.nonzero(hit)
    pixel = (first_y[rows] + dy[0, columns]) * width + (first_x[rows] + dx[0, columns])
    depth = (w0 * az + w1 * bz + w2 * cz)[rows, columns]
    # Nearest candidate per pixel within the group, then against what is already drawn.
    order = np.lexsort((-depth, pixel))
    pixel, depth, rows = pixel[order], depth[order], rows[order]
    first = np.ones(len(pixel), dtype=bool)
    first[1:] = pixel[1:] != pixel[:-1]
    pixel, depth, rows = pixel[first], depth[first], rows[first]
    nearer = depth > depth_buffer[pixel]
    depth_buffer[pixel[nearer]] = depth[nearer]
    shade_buffer[pixel[nearer]] = shade[rows[nearer]]
