"""What a signal is: `Signal`, its coordinates, value range and resizing.

A signal is a float32 tensor shaped (C, *spatial) with values in [-1, 1]:
(C, L) for audio, (C, H, W) for images, (C, T, H, W) for video.  Coordinates
are in [-1, 1] along every spatial axis (see `grid_coords`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

MAX_FILE_BYTES = 200 * 2**20
MAX_PIXELS = 40_000_000  # per image or frame, from the header
MAX_FRAMES = 256
MAX_SAMPLES = 10_000_000  # audio samples per channel
MAX_ARRAY_ELEMENTS = 50_000_000
MAX_CHANNELS = 16

KIND_NDIM = {"audio": 1, "image": 2, "video": 3}  # spatial axes of each kind of signal


class SignalError(ValueError):
    """A file or array that cannot be used as a signal; the message says why."""


@dataclass(frozen=True)
class Signal:
    """values: (C, *spatial) float32 in [-1, 1]; kind: image, audio, video or array."""

    values: torch.Tensor
    kind: str
    name: str
    sample_rate: int | None = None  # audio samples per second, video frames per second

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
        return f"{self.name}: {self.kind}, {shape}, {self.channels} channel(s)"


def grid_coords(shape: tuple[int, ...], device: torch.device | str = "cpu") -> torch.Tensor:
    """Sample coordinates in [-1, 1] per axis, row-major: (prod(shape), len(shape))."""
    axes = [torch.linspace(-1.0, 1.0, n, device=device) for n in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, len(shape))


def to_unit_range(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Map [low, high] (default: the data's range) linearly onto [-1, 1] as float32."""
    values = values.astype(np.float64, copy=False)
    if not np.all(np.isfinite(values)):
        raise SignalError("the signal contains NaN or infinite values")
    if values.size == 0:
        raise SignalError("the signal is empty")
    lo = float(values.min()) if low is None else low
    hi = float(values.max()) if high is None else high
    if hi - lo <= 0 or float(values.max()) == float(values.min()):
        raise SignalError("the signal is constant: it has no spectrum to match")
    return (2.0 * (values - lo) / (hi - lo) - 1.0).astype(np.float32)


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
    return resize_to(values, target)


def resize_to(values: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Resize (C, *spatial) to (C, *shape); antialiased when shrinking images."""
    if tuple(values.shape[1:]) == tuple(shape):
        return values
    x = values.unsqueeze(0)
    if len(shape) == 1:
        out = F.interpolate(x, size=shape, mode="linear", align_corners=False)
    elif len(shape) == 2:
        out = F.interpolate(x, size=shape, mode="bilinear", align_corners=False, antialias=True)
    else:
        out = F.interpolate(x, size=shape, mode="trilinear", align_corners=False)
    return out.squeeze(0).clamp(-1.0, 1.0)
