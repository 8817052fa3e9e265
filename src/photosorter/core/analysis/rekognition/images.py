"""The image Rekognition is sent: JPEG or PNG bytes within the service's limits.

Rekognition refuses images over 5 MB (as ``Image.Bytes``) or under 80 px on a
side, and reads only JPEG and PNG. We check first, so a photo that cannot work
costs no call and gets a reason a user understands.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from photosorter.core.analysis.types import AnalysisError
from photosorter.core.imaging import encode_jpeg, sniff_format

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MIN_IMAGE_SIDE = 80
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})


def _rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG output; transparency is composited on white rather than turning black."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def prepare_image(data: bytes) -> bytes:
    """Bytes Rekognition accepts (JPEG/PNG unchanged, anything else as JPEG) or AnalysisError."""
    if not data:
        raise AnalysisError("the image is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise AnalysisError(f"cannot read the image for Rekognition ({error})") from None
    if min(width, height) < MIN_IMAGE_SIDE:
        raise AnalysisError(
            f"the image is {width}x{height} px; Rekognition needs at least {MIN_IMAGE_SIDE} px on each side"
        )
    if sniff_format(data[:16]) not in ACCEPTED_FORMATS:
        try:
            data = encode_jpeg(_rgb(image), quality=90)
        except (OSError, ValueError, SyntaxError) as error:
            raise AnalysisError(f"cannot convert the {image.format} image to JPEG ({error})") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise AnalysisError(
            f"the image is {len(data) / 1024 / 1024:.1f} MB; Rekognition accepts at most "
            f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB"
        )
    return data
