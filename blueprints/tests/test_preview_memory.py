"""Previews of huge images are made within a fixed memory budget (issue 13, finding 5).

A 311 KB PNG of 8944 × 8944 px used to cost a worker about 1 GB: Pillow decoded the whole
bitmap, then copied it. Now JPEGs decode at a reduced scale (`Image.draft`), and an image whose
decoded bitmap would exceed `BLUEPRINT_PREVIEW_MAX_PIXELS` is not decoded at all: the file becomes
ready without a preview, the reason recorded, and stays downloadable.
"""

import hashlib
import io
import os
import pickle
import select
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw

from blueprints import services, storage
from blueprints.apis import FileSerializer
from blueprints.models import FileStatus, NoPreviewReason, RejectionCode
from blueprints.processing import images
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, upload_file

MB = 1000 * 1000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def flat_png(side: int = 8944, *, stripe: int = 0, rows: int | None = None) -> bytes:
    """A valid RGB PNG of `side` × `side` px, mostly flat with a diagonal stripe: ~300 KB for 8944 px.

    Written row by row, so making it never holds the bitmap in memory. `rows` writes fewer rows of
    image data than the header announces (every checksum still right).
    """
    background = bytes((216, 212, 204)) * side
    compressor = zlib.compressobj(9)
    parts = []
    for y in range(side if rows is None else rows):
        row = bytearray(background)
        x = (y + stripe * 97) % (side - 8) * 3
        row[x : x + 24] = bytes((32, 64, 96)) * 8
        parts.append(compressor.compress(b"\x00" + bytes(row)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB, not interlaced
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def big_jpeg(width: int = 8944, height: int = 8944) -> bytes:
    """A baseline RGB JPEG of `width` × `height` px (the bitmap is held once while it is encoded)."""
    image = Image.new("RGB", (width, height), "#d8d4cc")
    ImageDraw.Draw(image).ellipse((width // 8, height // 8, width * 7 // 8, height * 7 // 8), fill="#204060")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def peak_growth(function: Callable[[], object]) -> tuple[object, int]:
    """Run `function` in a forked child; its result and how far the child's resident memory rose (bytes).

    A bare `os.fork`, not multiprocessing: multiprocessing runs the after-fork hooks of the parent's
    libraries in the child, and kombu's closes the parent's broker connections there, reading from
    sockets the child shares with the parent (the child then steals the parent's Redis answers and both hang).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, and leave without running any cleanup of the parent's
        try:
            os.close(read_end)
            Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
            start = _status_kib("VmRSS")
            result = function()
            report = pickle.dumps((result, (_status_kib("VmHWM") - start) * 1024))
            with os.fdopen(write_end, "wb") as out:
                out.write(report)
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 120)
        assert ready, "the child did not answer"
        with os.fdopen(read_end, "rb") as answer:
            data = answer.read()
    finally:
        os.waitpid(pid, 0)
    assert data, "the child failed before answering"
    result, growth = pickle.loads(data)  # noqa: S301 - our own child's answer
    return result, growth


def _status_kib(field: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1])


def _preview_facts(path: Path, file_type: str, preview_max_pixels: int) -> tuple[int, int, bool, str]:
    preview = images.image_preview(
        path, file_type=file_type, max_pixels=80_000_000, preview_max_pixels=preview_max_pixels
    )
    return preview.width, preview.height, preview.data is not None, preview.no_preview_reason


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    return flat_png()


@pytest.fixture(scope="module")
def huge_jpeg() -> bytes:
    return big_jpeg()


def test_previewing_an_8944_px_png_never_decodes_its_bitmap(huge_png, tmp_path):
    """Attack: a 300 KB PNG of 80 megapixels made the worker decode (and copy) a 320 MB bitmap, about 1 GB."""
    path = tmp_path / "drawing.png"
    path.write_bytes(huge_png)

    facts, growth = peak_growth(lambda: _preview_facts(path, "png", 24_000_000))

    assert facts == (8944, 8944, False, NoPreviewReason.TOO_LARGE)
    assert growth < 32 * MB, f"memory rose by {growth / MB:.0f} MB"


def test_a_big_jpeg_is_previewed_within_the_budget_through_draft_mode(huge_jpeg, tmp_path):
    """An 80-megapixel JPEG decodes at 1/8 scale (1118 × 1118 px), far under the preview pixel cap."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(huge_jpeg)

    facts, growth = peak_growth(lambda: _preview_facts(path, "jpeg", 2_000_000))

    assert facts == (8944, 8944, True, "")
    assert growth < 32 * MB, f"memory rose by {growth / MB:.0f} MB"


@pytest.mark.django_db
def test_an_8944_px_png_becomes_ready_without_a_preview_and_says_why(blueprint, owner, huge_png):
    """Attack: upload the 80-megapixel PNG of finding 5; the file is kept (downloadable), the preview is not."""
    file = upload_file(draft_of(blueprint), owner, "drawing.png", huge_png, "image/png")

    assert file.status == FileStatus.READY
    assert (file.image_width, file.image_height) == (8944, 8944)
    assert file.preview_key == ""
    assert file.no_preview_reason == NoPreviewReason.TOO_LARGE
    shown = FileSerializer(file).data
    assert shown["no_preview_reason"] == "too_large"
    assert "too many pixels for a preview" in shown["no_preview_text"]
    download = requests.get(services.file_download(file=file, user=owner), timeout=30)
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(huge_png).hexdigest()


@pytest.mark.django_db
def test_a_big_jpeg_becomes_ready_with_a_small_preview(blueprint, owner, huge_jpeg, settings):
    settings.BLUEPRINT_PREVIEW_MAX_PIXELS = 2_000_000  # far below its 80 million pixels

    file = upload_file(draft_of(blueprint), owner, "photo.jpg", huge_jpeg, "image/jpeg")

    assert (file.status, file.no_preview_reason) == (FileStatus.READY, "")
    assert (file.image_width, file.image_height) == (8944, 8944)
    preview = Image.open(io.BytesIO(requests.get(storage.preview_url(file.preview_key), timeout=30).content))
    assert max(preview.size) == 800


@pytest.mark.django_db
def test_the_preview_pixel_cap_comes_from_the_settings(blueprint, owner, settings):
    settings.BLUEPRINT_PREVIEW_MAX_PIXELS = 320 * 200 - 1

    file = upload_file(draft_of(blueprint), owner, "sketch.png", samples.png(320, 200), "image/png")

    assert (file.status, file.preview_key, file.no_preview_reason) == (FileStatus.READY, "", "too_large")


@pytest.mark.django_db
def test_a_damaged_png_too_large_to_preview_is_still_refused(blueprint, owner, huge_png):
    """Not decoding is not trusting: every chunk's checksum is still checked."""
    damaged = bytearray(huge_png)
    damaged[len(damaged) // 2] ^= 0xFF  # inside the image data

    file = upload_file(draft_of(blueprint), owner, "drawing.png", bytes(damaged), "image/png")

    assert (file.status, file.rejection_code) == (FileStatus.REJECTED, RejectionCode.UNREADABLE)


@pytest.mark.django_db
def test_a_png_too_large_to_preview_with_missing_rows_is_refused(blueprint, owner):
    """Attack: right checksums, but the image data holds fewer rows than the header says."""
    short = flat_png(6000, rows=5999)

    file = upload_file(draft_of(blueprint), owner, "drawing.png", short, "image/png")

    assert (file.status, file.rejection_code) == (FileStatus.REJECTED, RejectionCode.UNREADABLE)
