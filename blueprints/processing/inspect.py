"""Check an uploaded object and describe it: stream it once (SHA-256, size, first bytes), compare its
first bytes with the declared type, look into ZIP containers without unpacking them, and make the
preview and facts its type has. Raises `Rejected` with the reason when the file is refused.
"""

import hashlib
import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from blueprints import storage
from blueprints.filetypes import HEAD_BYTES, FileType, Preview
from blueprints.processing import images, meshes
from blueprints.processing.errors import Rejected

logger = logging.getLogger(__name__)

MAX_ZIP_ENTRIES = 100_000
NO_PREVIEW_FILE_TOO_LARGE = "file_too_large"  # a `NoPreviewReason` value


@dataclass
class Inspection:
    sha256: str
    size: int
    preview: bytes | None = None
    preview_extension: str = ""
    preview_content_type: str = ""
    # Set when a file that could have a preview has none (a `NoPreviewReason` value).
    no_preview_reason: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


def inspect_object(*, key: str, file_type: FileType, declared_size: int, preview_max_bytes: int,
                   image_max_pixels: int, preview_max_pixels: int) -> Inspection:  # fmt: skip
    keep_copy = file_type.preview != Preview.NONE and declared_size <= preview_max_bytes
    with tempfile.TemporaryDirectory(prefix="blueprint-") as workdir:
        local = Path(workdir) / f"upload.{file_type.code}"
        sha256, size, head = _stream(key, local if keep_copy else None)
        if size != declared_size:
            raise Rejected("size_mismatch", f"{size} ≠ {declared_size}")
        if not file_type.matches(head, size):
            raise Rejected("content_mismatch", file_type.label)
        inspection = Inspection(sha256=sha256, size=size)
        if file_type.preview != Preview.NONE and not keep_copy:
            inspection.no_preview_reason = NO_PREVIEW_FILE_TOO_LARGE
        if file_type.is_zip:
            _check_zip(key, size=size, file_type=file_type)
        if file_type.code == "stl":
            count = meshes.binary_stl_triangle_count(head, size)
            if count is not None:
                inspection.facts["triangle_count"] = count
        if keep_copy and file_type.preview == Preview.IMAGE:
            preview = images.image_preview(
                local, file_type=file_type.code, max_pixels=image_max_pixels, preview_max_pixels=preview_max_pixels
            )
            inspection.preview = preview.data
            inspection.preview_extension = preview.extension
            inspection.preview_content_type = preview.content_type
            inspection.no_preview_reason = preview.no_preview_reason
            inspection.facts.update(image_width=preview.width, image_height=preview.height)
        elif keep_copy and file_type.preview == Preview.MESH:
            triangles = meshes.load_triangles(local, file_type=file_type.code, size=size)
            facts = meshes.mesh_facts(triangles)
            inspection.preview = meshes.render_preview(triangles)
            inspection.preview_extension = "png"
            inspection.preview_content_type = "image/png"
            inspection.facts.update(
                triangle_count=facts.triangles,
                bbox_min=facts.bbox_min,
                bbox_max=facts.bbox_max,
                volume=facts.volume,
                is_watertight=facts.watertight,
            )
        return inspection


def _stream(key: str, copy_to: Path | None) -> tuple[str, int, bytes]:
    """One pass over the object: its SHA-256, its size and its first bytes (and a local copy if asked)."""
    digest = hashlib.sha256()
    size = 0
    head = bytearray()
    with copy_to.open("wb") if copy_to else io.BytesIO() as sink:
        for chunk in storage.object_chunks(key):
            digest.update(chunk)
            size += len(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            if copy_to:
                sink.write(chunk)
    return digest.hexdigest(), size, bytes(head)


class S3RangeFile(io.RawIOBase):
    """A read-only, seekable view of an object that fetches only the ranges read (for `zipfile`)."""

    def __init__(self, key: str, size: int) -> None:
        self.key = key
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.size:
            return 0
        end = min(self.size, self.position + len(buffer)) - 1
        data = storage.object_range(self.key, self.position, end)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _unsafe(name: str) -> bool:
    normalised = name.replace("\\", "/")
    path = PurePosixPath(normalised)
    return (
        normalised.startswith("/")
        or (len(normalised) > 1 and normalised[1] == ":")
        or ".." in path.parts
        or any(ord(char) < 32 for char in name)
    )


def _check_zip(key: str, *, size: int, file_type: FileType) -> None:
    """Read the central directory (a few ranged GETs) and refuse archives that would unpack unsafely."""
    try:
        with zipfile.ZipFile(io.BufferedReader(S3RangeFile(key, size), buffer_size=256 * 1024)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise Rejected("content_mismatch", file_type.label) from error
    if len(entries) > MAX_ZIP_ENTRIES:
        raise Rejected("unsafe_archive", f"{len(entries)} entries")
    for entry in entries:
        if _unsafe(entry.filename):
            raise Rejected("unsafe_archive", entry.filename[:200].encode("unicode_escape").decode("ascii"))
    if file_type.code == "3mf":
        names = {entry.filename.lower() for entry in entries}
        if "[content_types].xml" not in names or not any(
            name.startswith("3d/") and name.endswith(".model") for name in names
        ):
            raise Rejected("content_mismatch", file_type.label)
