"""Thumbnails of uploaded images within a fixed memory budget, refusing decompression bombs before any
pixel is decoded.

Decoding is what costs memory: Pillow holds the whole bitmap (up to 4 bytes a pixel) while it makes a
thumbnail. A JPEG decodes at a reduced scale (`Image.draft`: 1/2, 1/4 or 1/8, still larger than the
thumbnail), so even an 80-megapixel photo decodes to about 1.25 million pixels. PNG and WebP cannot
decode reduced: an image whose decoded bitmap would exceed `preview_max_pixels` gets no preview at
all (its chunks are checked without decoding); the file stays valid and downloadable.
"""

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

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
            decoded_width, decoded_height = image.size
            if decoded_width * decoded_height > preview_max_pixels:
                _verify(path, file_type)
                return ImagePreview(None, "", "", width, height, no_preview_reason=NO_PREVIEW_TOO_LARGE)
            return _thumbnail(image, width, height)
    except Rejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise Rejected("unreadable", type(error).__name__) from error


def _verify(path: Path, file_type: str) -> None:
    """Check the file's structure without decoding its pixels (PNG: every chunk's CRC)."""
    with Image.open(path, formats=[FORMATS[file_type]]) as image:
        image.verify()


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
