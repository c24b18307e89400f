"""Thumbnails of uploaded images within a fixed memory budget, refusing decompression bombs before any
pixel is decoded.

Decoding is what costs memory: Pillow holds the whole bitmap (up to 4 bytes a pixel) while it makes a
thumbnail. A JPEG decodes at a reduced scale (`Image.draft`: 1/2, 1/4 or 1/8, still larger than the
thumbnail), so even an 80-megapixel photo decodes to about 1.25 million pixels. PNG and WebP cannot
decode reduced: an image whose decoded bitmap would exceed `preview_max_pixels` (weighted by what its
decoding costs, see `_decode_cost`) gets no preview at all; a PNG is still checked, streaming, without
holding its bitmap. The file stays valid and downloadable.
"""

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from blueprints.processing.errors import Rejected

THUMBNAIL_SIZE = (800, 800)
FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
# Why a file has no preview (a `NoPreviewReason` value of the model).
NO_PREVIEW_TOO_LARGE = "too_large"


@dataclass(frozen=True)
class ImagePreview:
    """A thumbnail (`data`) and the image's pixel size; `data` is None when no preview was made,
    `no_preview_reason` says why."""

    data: bytes | None
    extension: str
    content_type: str
    width: int
    height: int
    no_preview_reason: str = ""


def image_preview(path: Path, *, file_type: str, max_pixels: int, preview_max_pixels: int) -> ImagePreview:
    """A thumbnail of the image at `path` (PNG if it has transparency, else JPEG) and its pixel size.

    Refuses (`Rejected`) images above `max_pixels` and unreadable ones; makes no preview (but accepts
    the image) when decoding it would take a bitmap of more than `preview_max_pixels` pixels.
    """
    # Pillow's own guard (an error at twice its limit) backs up the explicit check below.
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _preview(path, file_type=file_type, max_pixels=max_pixels, preview_max_pixels=preview_max_pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Rejected("image_too_large", _pixels_detail(str(error))) from error
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit


def _pixels_detail(message: str) -> str:
    # "Image size (n pixels) exceeds limit ..." -> "n px"
    digits = "".join(char for char in message.split("pixels", 1)[0] if char.isdigit())
    return f"{int(digits):,} px" if digits else ""


def _preview(path: Path, *, file_type: str, max_pixels: int, preview_max_pixels: int) -> ImagePreview:
    try:
        with Image.open(path, formats=[FORMATS[file_type]]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise Rejected("image_too_large", f"{width} × {height} px")
            if width < 1 or height < 1:
                raise Rejected("unreadable", f"{width} × {height} px")
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale; others: no change
            if _decode_cost(image, file_type) > preview_max_pixels:
                _verify(path, file_type)
                return ImagePreview(None, "", "", width, height, no_preview_reason=NO_PREVIEW_TOO_LARGE)
            return _thumbnail(image, width, height)
    except Rejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise Rejected("unreadable", type(error).__name__) from error


def _decode_cost(image: Image.Image, file_type: str) -> int:
    """The decoded pixels, weighted by what decoding them costs compared with an opaque PNG or JPEG.

    Peak memory per decoded pixel, measured (bench/bench_preview_memory.py and a bare process): about
    4.7 bytes for opaque images, 8.6 with transparency (Pillow resizes a premultiplied full-size copy),
    15.7 for WebP (libwebp's canvas and a copy of it besides the bitmap).
    """
    width, height = image.size
    weight = 4 if file_type == "webp" else 2 if image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} else 1
    return width * height * weight


def _verify(path: Path, file_type: str) -> None:
    """Check what can be checked without holding the bitmap (PNG: see `_verify_png`)."""
    if file_type == "png":
        _verify_png(path)


PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
BLOCK = 1024 * 1024


def _verify_png(path: Path) -> None:
    """Every chunk's CRC, and the image data inflates to exactly the bytes its header announces, read
    and inflated in 1 MiB blocks whose output is counted and dropped (Pillow's `verify` reads each
    chunk whole and does not inflate)."""
    with path.open("rb") as handle:
        handle.read(8)  # the signature, checked by Image.open
        inflater = zlib.decompressobj()
        inflated = 0
        expected = 0
        while True:
            header = handle.read(8)
            if len(header) < 8:
                raise Rejected("unreadable", "truncated PNG")
            length, kind = struct.unpack(">I4s", header)
            crc = zlib.crc32(kind)
            remaining = length
            while remaining:
                data = handle.read(min(BLOCK, remaining))
                if not data:
                    raise Rejected("unreadable", "truncated PNG")
                remaining -= len(data)
                crc = zlib.crc32(data, crc)
                if kind == b"IHDR":
                    expected = _png_data_size(data)
                elif kind == b"IDAT":
                    inflated += _inflated_size(inflater, data)
            if handle.read(4) != struct.pack(">I", crc & 0xFFFFFFFF):
                raise Rejected("unreadable", f"PNG {kind.decode('latin-1')} checksum")
            if kind == b"IEND":
                break
    if inflated != expected or not inflater.eof:
        raise Rejected("unreadable", "PNG image data")


def _inflated_size(inflater: Any, data: bytes) -> int:
    try:
        size = 0
        while data:
            size += len(inflater.decompress(data, BLOCK))
            data = inflater.unconsumed_tail
        return size
    except zlib.error as error:
        raise Rejected("unreadable", "PNG image data") from error


def _png_data_size(ihdr: bytes) -> int:
    """Bytes of filtered scanlines an IHDR announces (one filter byte a row, Adam7 passes if interlaced)."""
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", ihdr[:13])
    bits = PNG_CHANNELS.get(colour, 4) * depth
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    total = 0
    for x0, y0, dx, dy in passes:
        columns = (width - x0 + dx - 1) // dx
        rows = (height - y0 + dy - 1) // dy
        if columns and rows:
            total += rows * (1 + (columns * bits + 7) // 8)
    return total


def _thumbnail(image: Image.Image, width: int, height: int) -> ImagePreview:
    image.load()
    # In place: the decoded bitmap is the one big allocation (no copy). The EXIF orientation is
    # applied to the small thumbnail, which gives the same picture as turning the original.
    image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    ImageOps.exif_transpose(image, in_place=True)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    out = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(out, "PNG", optimize=True)
        return ImagePreview(out.getvalue(), "png", "image/png", width, height)
    image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return ImagePreview(out.getvalue(), "jpg", "image/jpeg", width, height)
