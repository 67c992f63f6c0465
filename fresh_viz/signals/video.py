"""Video: animated GIF through Pillow, MP4 through the ffmpeg that imageio-ffmpeg ships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import ImageSequence

from .core import MAX_FRAMES, MAX_PIXELS, SignalError, to_unit_range
from .images import open_image

VIDEO_SUFFIXES = {".gif", ".mp4"}


def load_video(path: Path) -> tuple[torch.Tensor, int]:
    """(C, T, H, W) in [-1, 1] and frames per second; the first MAX_FRAMES frames."""
    frames, fps = _gif_frames(path) if path.suffix.lower() == ".gif" else _mp4_frames(path)
    if not frames:
        raise SignalError(f"{path.name} has no frames")
    array = np.stack(frames).astype(np.float64)  # (T, H, W, 3)
    values = torch.from_numpy(to_unit_range(array, 0.0, 255.0)).permute(3, 0, 1, 2).contiguous()
    return values, max(1, int(round(fps)))


def _gif_frames(path: Path) -> tuple[list[np.ndarray], float]:
    image = open_image(path)  # checks the canvas size from the header
    frames, durations = [], []
    try:
        for frame in ImageSequence.Iterator(image):
            if len(frames) >= MAX_FRAMES:
                break
            frames.append(np.asarray(frame.convert("RGB")))
            durations.append(frame.info.get("duration") or 100)
    except (OSError, ValueError, EOFError) as err:
        raise SignalError(f"{path.name} could not be decoded ({err})") from err
    return frames, 1000.0 / (sum(durations) / max(1, len(durations)))


def _mp4_frames(path: Path) -> tuple[list[np.ndarray], float]:
    import imageio.v3 as iio

    try:
        meta = iio.immeta(path)
    except Exception as err:  # imageio and ffmpeg raise many exception types for bad files
        raise SignalError(f"{path.name} is not a readable video ({type(err).__name__})") from err
    width, height = meta.get("size") or (0, 0)
    if width * height > MAX_PIXELS:
        raise SignalError(f"{path.name} frames are {width}x{height}; the limit is {MAX_PIXELS:,} pixels")
    frames = []
    try:
        for frame in iio.imiter(path):
            if len(frames) >= MAX_FRAMES:
                break
            frame = np.asarray(frame)
            frames.append(frame[..., :3] if frame.ndim == 3 else np.repeat(frame[..., None], 3, -1))
    except Exception as err:
        raise SignalError(f"{path.name} could not be decoded ({type(err).__name__})") from err
    return frames, float(meta.get("fps") or 10)
