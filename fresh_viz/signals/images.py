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
    """(H, W, C) array and its full-scale value, for every Pillow mode; no clipping."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.float64)[..., None], 65535.0
    if image.mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)[..., None]
        return array, float("nan")  # no fixed scale: use the data range
    if image.mode == "1" or image.mode == "L":
        return np.asarray(image.convert("L"), dtype=np.float64)[..., None], 255.0
    if image.mode == "LA":
        return np.asarray(image.convert("L"), dtype=np.float64)[..., None], 255.0
    if image.mode == "RGBA" or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"), dtype=np.float64), 255.0
    return np.asarray(image.convert("RGB"), dtype=np.float64), 255.0


def load_image(path: Path) -> torch.Tensor:
    """(C, H, W) in [-1, 1]; EXIF orientation applied."""
    image = open_image(path)
    try:
        image = ImageOps.exif_transpose(image)
        array, full_scale = image_to_array(image)
    except (OSError, SyntaxError, ValueError) as err:
        raise SignalError(f"{path.name} is damaged or truncated ({err})") from err
    high = None if math.isnan(full_scale) else full_scale
    low = None if high is None else 0.0
    return torch.from_numpy(to_unit_range(array, low, high)).permute(2, 0, 1).contiguous()
