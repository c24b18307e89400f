"""Thumbnails of uploaded images, refusing decompression bombs before any pixel is decoded."""

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from blueprints.processing.errors import Rejected

THUMBNAIL_SIZE = (800, 800)
FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True)
class ImagePreview:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def image_preview(path: Path, *, file_type: str, max_pixels: int) -> ImagePreview:
    """A thumbnail of the image at `path` (PNG if it has transparency, else JPEG) and its pixel size."""
    # Pillow's own guard (an error at twice its limit) backs up the explicit check below.
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _preview(path, file_type=file_type, max_pixels=max_pixels)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Rejected("image_too_large", _pixels_detail(str(error))) from error
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit


def _pixels_detail(message: str) -> str:
    # "Image size (n pixels) exceeds limit ..." -> "n px"
    digits = "".join(char for char in message.split("pixels", 1)[0] if char.isdigit())
    return f"{int(digits):,} px" if digits else ""


def _preview(path: Path, *, file_type: str, max_pixels: int) -> ImagePreview:
    try:
        with Image.open(path, formats=[FORMATS[file_type]]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise Rejected("image_too_large", f"{width} × {height} px")
            if width < 1 or height < 1:
                raise Rejected("unreadable", f"{width} × {height} px")
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale
            image.load()
            frame = ImageOps.exif_transpose(image) or image
            frame.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
            has_alpha = frame.mode in {"RGBA", "LA", "PA"} or (frame.mode == "P" and "transparency" in frame.info)
            out = io.BytesIO()
            if has_alpha:
                frame.convert("RGBA").save(out, "PNG", optimize=True)
                return ImagePreview(out.getvalue(), "png", "image/png", width, height)
            frame.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            return ImagePreview(out.getvalue(), "jpg", "image/jpeg", width, height)
    except Rejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise Rejected("unreadable", type(error).__name__) from error
