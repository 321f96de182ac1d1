"""Product images: checked, shrunk and re-encoded with Pillow so that no uploaded byte is served."""

from __future__ import annotations

import io
import logging

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from app.errors import ValidationFailed

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Larger pictures are refused before decoding, against decompression bombs.
MAX_IMAGE_PIXELS = 40_000_000
MAX_SIDE = 1200
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


def reencode_image(data: bytes) -> tuple[bytes, str]:
    """Return the image re-encoded (PNG when it has transparency, JPEG otherwise) and its MIME type.

    Raises ValidationFailed when the file is too large, is not a JPEG, PNG or WebP image, or
    cannot be decoded. The result is at most 1200 pixels on its longer side and has no metadata.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed(
            _l("Image is too large (%(size)s kB): send a file of 2 MB at most.", size=len(data) // 1024),
            field="image",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationFailed(
                    _l("Image format %(format)s is not accepted: send a JPEG, PNG or WebP file.",
                       format=image.format or "?"),
                    field="image",
                )
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationFailed(
                    _l("Image is too large (%(width)s × %(height)s pixels): send a picture of 40 megapixels at most.",
                       width=image.width, height=image.height),
                    field="image",
                )
            image.load()
            has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
            converted = image.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        logger.info("Rejected an image upload that Pillow cannot decode: %s", error)
        raise ValidationFailed(
            _l("Image cannot be read: send a JPEG, PNG or WebP file that opens in an image viewer."), field="image"
        ) from error
    converted.thumbnail((MAX_SIDE, MAX_SIDE))
    output = io.BytesIO()
    if has_alpha:
        converted.save(output, format="PNG", optimize=True)
        return output.getvalue(), "image/png"
    converted.save(output, format="JPEG", quality=85, optimize=True)
    return output.getvalue(), "image/jpeg"
