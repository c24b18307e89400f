"""File names from browsers: cleaned for display and for `Content-Disposition`, never used in keys.

Storage keys are random (`uploads/<uuid>`) or content-addressed (`blobs/sha256/<hash>`), so a name
can never choose where bytes land. The cleaned name is what members see and what downloads are
called.
"""

import re
import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 200
_RESERVED = re.compile(r'[<>:"|?*\\/]')
_SPACES = re.compile(r"\s+")


def clean_file_name(name: str) -> str:
    """The last path component of `name`, without control or format characters, at most 200 characters.

    Returns "" when nothing usable is left (a name of only dots, slashes or control characters).
    """
    name = unicodedata.normalize("NFC", name or "")
    # Both separators: a name from Windows may carry backslashes.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] not in {"C", "Z"} or char == " ")
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    if not name or set(name) <= {"."}:
        return ""
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(" .")
    return name


def ascii_fallback(name: str) -> str:
    """An ASCII-only version of `name` for the plain `filename=` parameter."""
    kept = []
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.category(char) == "Mn":
            continue  # the accent of a decomposed letter: "ü" becomes "u"
        kept.append(char if 32 <= ord(char) < 127 and char not in '"\\%;' else "_")
    return "".join(kept).strip() or "download"


def content_disposition_attachment(name: str) -> str:
    """`attachment` with the name twice: ASCII for old clients, RFC 5987 UTF-8 for the rest."""
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
