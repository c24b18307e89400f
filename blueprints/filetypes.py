"""The allow-list of file types a blueprint may hold, and how each is recognised by its first bytes.

A type is chosen by the file name's extension; the MIME type the browser declares must agree (or be
the generic one browsers send for formats they do not know). The stored object always gets the
type's canonical MIME type, and a file is only accepted once its content starts like that type.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Browsers send these for files they cannot name (most CAD formats).
GENERIC_MIME_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/x-unknown"})

# How many leading bytes the magic checks look at.
HEAD_BYTES = 64 * 1024


class FileKind(models.TextChoices):
    IMAGE = "image", _("Image")
    CAD_MODEL = "cad_model", _("CAD model")
    DRAWING = "drawing", _("Drawing")
    DOCUMENT = "document", _("Document")
    ARCHIVE = "archive", _("Archive")


class Preview(models.TextChoices):
    """What preview the processing makes for a type."""

    NONE = "none", pgettext_lazy("no preview", "None")  # Django's own "None" is "-"
    IMAGE = "image", _("Thumbnail")
    MESH = "mesh", _("Rendered view")


@dataclass(frozen=True)
class FileType:
    code: str
    label: str
    extensions: tuple[str, ...]
    mime_type: str
    also_mime_types: tuple[str, ...]
    kind: str
    preview: str
    matches: Callable[[bytes, int], bool]
    # The 3D viewer can show it (three.js has a loader).
    viewable: bool = False
    # ZIP containers get their central directory checked too.
    is_zip: bool = False

    @property
    def accepted_mime_types(self) -> frozenset[str]:
        return frozenset((self.mime_type, *self.also_mime_types))


def _png(head: bytes, size: int) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _jpeg(head: bytes, size: int) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _webp(head: bytes, size: int) -> bool:
    return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _text_start(head: bytes) -> bytes:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()


def _step(head: bytes, size: int) -> bool:
    return _text_start(head).startswith(b"ISO-10303-21;")


_IGES_START = re.compile(rb"^[^\r\n]{72}[SF][ 0]*1[ \t]*\r?$", re.MULTILINE)


def _iges(head: bytes, size: int) -> bool:
    # Fixed 80-column records; the first is a Start ("S") or Flag ("F") section line numbered 1.
    first_line = head.split(b"\n", 1)[0] + b"\n"
    return bool(_IGES_START.match(first_line))


def _stl(head: bytes, size: int) -> bool:
    if len(head) >= 84:
        triangles = int.from_bytes(head[80:84], "little")
        if size == 84 + 50 * triangles:
            return True  # binary STL: the size follows from the triangle count
    text = _text_start(head)
    return text.startswith(b"solid") and (b"facet" in text or b"endsolid" in text) and b"\x00" not in head


_OBJ_LINE = re.compile(rb"^(v|vn|vt|f|o|g|mtllib|usemtl|s)\s", re.MULTILINE)


def _obj(head: bytes, size: int) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a multibyte character cut at the end of the head is fine
            try:
                head.decode("latin-1")
            except UnicodeDecodeError:
                return False
    return bool(re.search(rb"^v\s", head, re.MULTILINE)) or bool(_OBJ_LINE.search(head) and size > len(head))


def _zip(head: bytes, size: int) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _dxf(head: bytes, size: int) -> bool:
    if head.startswith(b"AutoCAD Binary DXF\r\n\x1a\x00"):
        return True
    if b"\x00" in head:
        return False
    lines = [line.strip() for line in _text_start(head).splitlines()[:200]]
    # Group-code / value pairs: "0" then "SECTION" opens the file (after optional "999" comments).
    return any(lines[i] == b"0" and lines[i + 1] == b"SECTION" for i in range(len(lines) - 1))


def _pdf(head: bytes, size: int) -> bool:
    return b"%PDF-" in head[:1024]


def _glb(head: bytes, size: int) -> bool:
    return len(head) >= 12 and head[:4] == b"glTF" and int.from_bytes(head[4:8], "little") == 2


FILE_TYPES: tuple[FileType, ...] = (
    FileType("png", "PNG", (".png",), "image/png", (), FileKind.IMAGE, Preview.IMAGE, _png),
    FileType("jpeg", "JPEG", (".jpg", ".jpeg"), "image/jpeg", ("image/pjpeg",), FileKind.IMAGE, Preview.IMAGE, _jpeg),
    FileType("webp", "WebP", (".webp",), "image/webp", (), FileKind.IMAGE, Preview.IMAGE, _webp),
    FileType("step", "STEP", (".step", ".stp"), "model/step", ("application/step", "application/p21"),
             FileKind.CAD_MODEL, Preview.NONE, _step),
    FileType("iges", "IGES", (".iges", ".igs"), "model/iges", ("application/iges",),
             FileKind.CAD_MODEL, Preview.NONE, _iges),
    FileType("stl", "STL", (".stl",), "model/stl",
             ("application/sla", "application/vnd.ms-pki.stl", "model/x.stl-binary", "model/x.stl-ascii"),
             FileKind.CAD_MODEL, Preview.MESH, _stl, viewable=True),
    FileType("obj", "OBJ", (".obj",), "model/obj", ("text/plain", "application/x-tgif"),
             FileKind.CAD_MODEL, Preview.MESH, _obj, viewable=True),
    FileType("3mf", "3MF", (".3mf",), "model/3mf", ("application/vnd.ms-package.3dmanufacturing-3dmodel+xml",),
             FileKind.CAD_MODEL, Preview.NONE, _zip, is_zip=True),
    FileType("glb", "glTF (binary)", (".glb",), "model/gltf-binary", (), FileKind.CAD_MODEL, Preview.MESH, _glb,
             viewable=True),
    FileType("dxf", "DXF", (".dxf",), "image/vnd.dxf", ("application/dxf", "image/x-dxf", "application/x-dxf"),
             FileKind.DRAWING, Preview.NONE, _dxf),
    FileType("pdf", "PDF", (".pdf",), "application/pdf", (), FileKind.DRAWING, Preview.NONE, _pdf),
    FileType("zip", "ZIP", (".zip",), "application/zip", ("application/x-zip-compressed", "application/x-zip"),
             FileKind.ARCHIVE, Preview.NONE, _zip, is_zip=True),
)  # fmt: skip

BY_CODE = {file_type.code: file_type for file_type in FILE_TYPES}
BY_EXTENSION = {extension: file_type for file_type in FILE_TYPES for extension in file_type.extensions}
FILE_TYPE_CHOICES = [(file_type.code, file_type.label) for file_type in FILE_TYPES]


def allowed_extensions() -> list[str]:
    return sorted(BY_EXTENSION)


def file_type_for(*, name: str, declared_mime_type: str) -> FileType | None:
    """The allowed type of a file called `name` that the browser says is `declared_mime_type`.

    None when the extension is not allowed or the declared MIME type contradicts it.
    """
    dot = name.rfind(".")
    if dot < 0:
        return None
    file_type = BY_EXTENSION.get(name[dot:].lower())
    if file_type is None:
        return None
    mime = declared_mime_type.split(";", 1)[0].strip().lower()
    if mime in GENERIC_MIME_TYPES or mime in file_type.accepted_mime_types:
        return file_type
    return None
