"""Still images through Pillow, every mode, sizes checked from the header."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .core import MAX_PIXELS, SignalError, to_unit_range

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
PIL_FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"}
REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA", "CMYK", "I", "F"}  # what Image.reduce accepts


def open_image(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=sorted(PIL_FORMATS))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
            raise SignalError(f"{path.name} is too large to decode safely") from err
        except (OSError, SyntaxError, ValueError) as err:
            raise SignalError(f"{path.name} is not a readable image ({type(err).__name__})") from err
    width, height = image.size
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise SignalError(f"{path.name} claims {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels")
    return image


def image_to_array(image: Image.Image) -> tuple[np.ndarray, float]:
    """(H, W, C) array in the image's own integer or float type and its full-scale value,
    for every Pillow mode; no clipping, no float64 copy."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image)[..., None], 65535.0
    if image.mode in ("I", "F"):
        return np.asarray(image)[..., None], float("nan")  # no fixed scale: use the data range
    if image.mode in ("1", "L", "LA"):
        return np.asarray(image.convert("L"))[..., None], 255.0
    if image.mode == "RGBA" or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA")), 255.0
    return np.asarray(image.convert("RGB")), 255.0


def load_image(path: Path, size: int | None = None) -> torch.Tensor:
    """(C, H, W) in [-1, 1]; EXIF orientation applied.

    With `size`, a large image is shrunk while it is decoded (JPEG's DCT scaling, then
    whole-pixel box averaging) to no less than twice `size` on its longest side, so no
    full-size float copy is made; `resize_longest` finishes the job with its antialiased filter.
    """
    image = open_image(path)
    try:
        if size:
            image.draft(image.mode, (2 * size, 2 * size))
        image = ImageOps.exif_transpose(image)
        factor = max(image.size) // (2 * size) if size else 1
        if factor >= 2 and image.mode in REDUCIBLE_MODES:
            image = image.reduce(factor)
        array, full_scale = image_to_array(image)
    except (OSError, SyntaxError, ValueError) as err:
        raise SignalError(f"{path.name} is damaged or truncated ({err})") from err
    high = None if math.isnan(full_scale) else full_scale
    low = None if high is None else 0.0
    return torch.from_numpy(to_unit_range(np.moveaxis(array, -1, 0), low, high))
