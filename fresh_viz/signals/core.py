"""What a signal is: `Signal`, its coordinates, value range and resizing.

A signal is a float32 tensor shaped (C, *spatial) with values in [-1, 1]:
(C, L) for audio, (C, H, W) for images, (C, T, H, W) for video.  Coordinates
are in [-1, 1] along every spatial axis (see `grid_coords`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

MAX_FILE_BYTES = 200 * 2**20
MAX_PIXELS = 40_000_000  # per image or frame, from the header
MAX_FRAMES = 256  # video frames kept, spread across the clip
MAX_SAMPLES = 10_000_000  # audio samples in the analysed window, all channels together
MAX_ARRAY_ELEMENTS = 50_000_000
MAX_CHANNELS = 16
DEFAULT_FRAME_SIZE = 128  # longest side of decoded video frames unless the caller asks otherwise
# Audio analysed by default: the first 3 s.  At 44.1 kHz that is 132,300 samples per channel,
# about twice the pixels of a 256 px image, so a sweep costs what an image's does; 3 s still
# holds several notes or words, and resolves the spectrum to 1/3 Hz, far finer than its 64 bands.
DEFAULT_AUDIO_SECONDS = 3.0

KIND_NDIM = {"audio": 1, "image": 2, "video": 3}  # spatial axes of each kind of signal


class SignalError(ValueError):
    """A file or array that cannot be used as a signal; the message says why."""


@dataclass(frozen=True)
class Window:
    """The part of a recording a signal holds, in seconds: from `start` for `duration`, of `total`."""

    start: float
    duration: float
    total: float

    def to_json(self) -> dict:
        return {"start": round(self.start, 6), "duration": round(self.duration, 6), "total": round(self.total, 6)}

    def describe(self) -> str:
        if self.start == 0 and self.duration >= self.total:
            return f"all {self.total:.2f} s"
        return f"{self.start:.2f} s to {self.start + self.duration:.2f} s of {self.total:.2f} s"


@dataclass(frozen=True)
class Signal:
    """values: (C, *spatial) float32 in [-1, 1]; kind: image, audio, video or array.

    sample_rate: audio samples per second; for video, the kept frames per second of the
    clip (kept frames / clip length).  window: which part of the file the values cover
    (audio: the analysed window; video: the whole clip the frames are spread over).
    """

    values: torch.Tensor
    kind: str
    name: str
    sample_rate: float | None = None
    window: Window | None = None

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape[1:])

    @property
    def ndim(self) -> int:
        return self.values.dim() - 1

    @property
    def channels(self) -> int:
        return self.values.shape[0]

    def describe(self) -> str:
        shape = " x ".join(str(s) for s in self.spatial_shape)
        text = f"{self.name}: {self.kind}, {shape}, {self.channels} channel(s)"
        return f"{text}, {self.window.describe()}" if self.window else text


def grid_coords(shape: tuple[int, ...], device: torch.device | str = "cpu") -> torch.Tensor:
    """Sample coordinates in [-1, 1] per axis, row-major: (prod(shape), len(shape))."""
    axes = [torch.linspace(-1.0, 1.0, n, device=device) for n in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, len(shape))


def to_unit_range(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Map [low, high] (default: the data's range) linearly onto [-1, 1] as a new float32 array.

    `values` may be any view (e.g. channels moved first): the result is C-contiguous in
    that order.  No float64 copy is made: the arithmetic runs in the input's precision in
    small buffers and is written straight into the one float32 array.
    """
    if values.size == 0:
        raise SignalError("the signal is empty")
    if values.dtype == np.bool_:
        values = values.view(np.uint8)
    data_low, data_high = float(values.min()), float(values.max())
    if not (math.isfinite(data_low) and math.isfinite(data_high)):  # min/max propagate NaN and inf
        raise SignalError("the signal contains NaN or infinite values")
    lo = data_low if low is None else low
    hi = data_high if high is None else high
    if hi - lo <= 0 or data_high == data_low:
        raise SignalError("the signal is constant: it has no spectrum to match")
    out = np.empty(values.shape, dtype=np.float32)
    np.subtract(values, lo, out=out, casting="unsafe")
    out *= np.float32(2.0 / (hi - lo))
    out -= np.float32(1.0)
    return out


def resize_longest(values: torch.Tensor, size: int, axes: int | None = None) -> torch.Tensor:
    """Resize (C, *spatial) so the longest of the last `axes` sides equals `size`.

    Images use antialiased bilinear filtering; 1-D and 3-D use linear / trilinear.
    For video pass axes=2 to resize frames and keep the frame count.
    """
    spatial = values.shape[1:]
    axes = len(spatial) if axes is None else axes
    resized = spatial[len(spatial) - axes:]
    scale = size / max(resized)
    target = tuple(spatial[: len(spatial) - axes]) + tuple(max(1, round(s * scale)) for s in resized)
    if target == tuple(spatial):
        return values
    return resize_to(values, target).clamp(-1.0, 1.0)  # a signal stays in [-1, 1]


def resize_to(values: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Resize (..., C, *spatial) to (..., C, *shape), the last len(shape) axes being spatial: the one resizer
    of the package (signals, the analysis grid of spectra, saved outputs).  As the FreSh reference resizes:
    bilinear with antialiasing for 2-D (torchvision's `resize` on tensors), trilinear for 3-D, linear for
    1-D; no clamping, so a model's output keeps its values."""
    shape = tuple(shape)
    spatial = tuple(values.shape[values.dim() - len(shape):])
    if spatial == shape:
        return values
    lead = values.shape[: values.dim() - len(shape)]
    flat = values.reshape(-1, *lead[-1:], *spatial)
    interpolation = {1: "linear", 2: "bilinear", 3: "trilinear"}[len(shape)]
    out = F.interpolate(flat, size=shape, mode=interpolation, align_corners=False, antialias=len(shape) == 2)
    return out.reshape(*lead, *shape)


def natural_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: 2.npy before 10.npy."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))
