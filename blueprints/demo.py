"""Demo blueprints for `make run`: a concept sketch and a low-poly body by Ada, forked by Jonas.

Idempotent: a blueprint whose slug exists is left alone. Files go through the real upload path
(a staging object in S3, "complete", the processing service run here rather than by a worker).
"""

import io
import struct
from typing import Any, TextIO

from django.conf import settings
from PIL import Image, ImageDraw

from blueprints import services
from blueprints.models import Blueprint, Revision
from community.demo import demo_user
from community.models import User
from core.s3 import internal_client


def concept_sketch() -> bytes:
    """A side view of a high-roofed ambulance on big tyres, drawn with Pillow."""
    image = Image.new("RGB", (960, 540), "#fbfaf7")
    draw = ImageDraw.Draw(image)
    for x in range(0, 960, 40):
        draw.line((x, 0, x, 540), fill="#eef1f5")
    for y in range(0, 540, 40):
        draw.line((0, y, 960, y), fill="#eef1f5")
    draw.line((40, 430, 920, 430), fill="#8a8f96", width=3)
    draw.polygon([(150, 380), (170, 180), (560, 150), (640, 150), (760, 250), (830, 290), (840, 380)], fill="#e9e4da",
                 outline="#1d232a", width=5)  # fmt: skip
    draw.polygon([(650, 170), (745, 255), (650, 255)], fill="#9fc3df", outline="#1d232a", width=3)
    draw.rectangle((230, 230, 380, 300), outline="#1d232a", width=3, fill="#9fc3df")
    draw.rectangle((420, 210, 450, 300), fill="#b4451f")
    draw.rectangle((395, 240, 475, 270), fill="#b4451f")
    for centre in (270, 700):
        draw.ellipse((centre - 75, 305, centre + 75, 455), fill="#2b3036")
        draw.ellipse((centre - 35, 345, centre + 35, 415), fill="#8a8f96")
    draw.text((40, 30), "Sahel ambulance - concept sketch", fill="#1d232a")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _box(low: tuple[float, float, float], high: tuple[float, float, float]) -> list[tuple[tuple[float, ...], ...]]:
    (x0, y0, z0), (x1, y1, z1) = low, high
    v = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0), (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]
    faces = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4), (1, 2, 6), (1, 6, 5), (2, 3, 7),
             (2, 7, 6), (3, 0, 4), (3, 4, 7)]  # fmt: skip
    return [(v[a], v[b], v[c]) for a, b, c in faces]


def body_model(*, roof: float = 2.6) -> bytes:
    """A low-poly ambulance body (millimetres) as a binary STL: chassis, box body, cab and wheels."""
    triangles = _box((0, 0, 600), (5200, 2100, 1100))
    triangles += _box((1400, 50, 1100), (5150, 2050, roof * 1000))
    triangles += _box((0, 150, 1100), (1350, 1950, 2150))
    for x in (900, 4200):
        for y in (-100, 1900):
            triangles += _box((x - 420, y, 0), (x + 420, y + 300, 840))
    out = io.BytesIO()
    out.write(b"Coachworks demo ambulance body".ljust(80, b" "))
    out.write(struct.pack("<I", len(triangles)))
    for triangle in triangles:
        out.write(struct.pack("<3f", 0, 0, 0))
        for vertex in triangle:
            out.write(struct.pack("<3f", *vertex))
        out.write(b"\0\0")
    return out.getvalue()


def _add_file(revision: Revision, user: User, name: str, data: bytes, content_type: str) -> None:
    file, _ticket = services.upload_start(
        revision=revision, user=user, name=name, size=len(data), content_type=content_type
    )
    # What the browser would send with its ticket.
    internal_client().put_object(
        Bucket=settings.S3_BUCKET, Key=file.upload_key, Body=data, ContentType=file.content_type
    )
    services.upload_complete(file=file, user=user, enqueue=False)
    services.file_process(file_id=file.pk)


def _published(*, owner: User, title: str, files: list[tuple[str, bytes, str]], notes: str, **fields: Any) -> Blueprint:
    blueprint = services.blueprint_create(owner=owner, title=title, **fields)
    draft = blueprint.revisions.get()
    for name, data, content_type in files:
        _add_file(draft, owner, name, data, content_type)
    services.revision_publish(revision=draft, user=owner, change_notes=notes)
    return blueprint


def load(out: TextIO) -> None:
    ada, jonas = demo_user("member", 0), demo_user("member", 1)
    made = []
    sketch = Blueprint.objects.filter(slug="sahel-ambulance-concept").first()
    if sketch is None:
        sketch = _published(
            owner=ada,
            title="Sahel ambulance concept",
            description="A high-roofed **4x4 ambulance** for sandy tracks: big tyres, short overhangs, "
            "a stretcher bay with standing height.\n\n- concept sketch (side view)\n- low-poly body for proportions",
            category="whole_vehicle",
            tags=["ambulance", "4x4", "concept"],
            files=[
                ("concept-sketch.png", concept_sketch(), "image/png"),
                ("body-low-poly.stl", body_model(), "model/stl"),
            ],
            notes="First concept.",
        )
        made.append(sketch.title)
    if not Blueprint.objects.filter(slug="sahel-ambulance-lower-roof").exists():
        fork = services.blueprint_fork(blueprint=sketch, user=jonas, title="Sahel ambulance, lower roof")
        draft = fork.revisions.get()
        services.file_remove(file=draft.files.get(original_name="body-low-poly.stl"), user=jonas)
        _add_file(draft, jonas, "body-low-poly.stl", body_model(roof=2.3), "model/stl")
        services.revision_publish(revision=draft, user=jonas, change_notes="Roof 30 cm lower for container transport.")
        made.append(fork.title)
    out.write(f"Demo blueprints: {', '.join(made) if made else 'already there'}\n")
