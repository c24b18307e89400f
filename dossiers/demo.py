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
from collections.abc import Iterable
from typing import TextIO

import numpy as np

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


def load(out: TextIO) -> None:
    """Loaded after every other app's demo data (dossiers is the last app)."""
