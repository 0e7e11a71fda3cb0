"""Reward photos: an upload is decoded with Pillow and re-encoded as a fresh JPEG.

Nothing of the uploaded file is served: not its bytes, not its metadata (EXIF with GPS
position, camera, comments), not its name. The photo is turned upright from its EXIF
orientation first, scaled down to fit ``MAX_SIDE`` and flattened onto white.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps

from govhub.database import ServiceError

# Phones save many JPEGs with a second, preview or depth image inside; Pillow calls them
# MPO. Only the first image is used.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
MAX_SIDE = 1200
# Refuse images that would take too much memory to decode, whatever their file size.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85


@dataclass
class Encoded:
    data: bytes
    width: int
    height: int


def reencode(upload: bytes) -> Encoded:
    """The upload as a metadata-free JPEG, or ServiceError at the ``photo`` field."""
    limit = current_app.config["REWARD_PHOTO_MAX_BYTES"]
    if len(upload) > limit:
        raise ServiceError(
            _("The photo is too large: at most %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            field="photo",
        )
    refused = ServiceError(_("Choose a photo in JPEG, PNG or WebP format."), field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(upload))
            if image.format not in ACCEPTED_FORMATS:
                raise refused
            if image.width * image.height > MAX_PIXELS:
                raise ServiceError(_("The photo has too many pixels."), field="photo")
            image = _upright_rgb(image)
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - any failure to decode an upload (not an image,
        # truncated, a decompression bomb, metadata Pillow cannot apply) is a refusal
        raise refused from None
    out = io.BytesIO()
    # A new image object carries no info dict; save writes no EXIF, ICC or comments.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Encoded(out.getvalue(), clean.width, clean.height)


def _upright_rgb(image: Image.Image) -> Image.Image:
    """Decoded, turned upright, at most MAX_SIDE, flattened onto white."""
    image.load()
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")
