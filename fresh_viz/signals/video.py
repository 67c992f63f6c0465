"""Video in bounded memory: frames spread evenly across the whole clip, each scaled down
as it is decoded.  Animated GIF through Pillow; MP4, MOV, M4V, MKV, WebM and AVI through
the ffmpeg that imageio-ffmpeg ships (`ffmpeg`).  Full-size frames exist only inside the
decoder (ffmpeg's own process, or Pillow's GIF canvas); the loader holds the kept frames at
analysis size, once as uint8 and once as the float32 signal.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import ffmpeg
from .core import DEFAULT_FRAME_SIZE, MAX_FRAMES, MAX_PIXELS, SignalError, Window, to_unit_range
from .images import open_image

VIDEO_SUFFIXES = {".gif"} | set(ffmpeg.DEMUXERS)


def load_video(path: Path, size: int = DEFAULT_FRAME_SIZE, frames: int = MAX_FRAMES
               ) -> tuple[torch.Tensor, float, Window]:
    """(C, T, H, W) float32 in [-1, 1], the kept frames per second of clip, and the clip's span.

    Keeps up to `frames` frames spread evenly from the first to the last, each scaled
    while decoding (area averaging) so that its longest side is at most `size`.
    Frame size and count are checked before any frame is decoded.
    """
    if size < 2:
        raise SignalError("the frame size must be at least 2")
    if not 1 <= frames <= MAX_FRAMES:
        raise SignalError(f"between 1 and {MAX_FRAMES} frames can be kept, not {frames}")
    if path.suffix.lower() == ".gif":
        array, seconds = _gif_frames(path, size, frames)
    else:
        array, seconds = _ffmpeg_frames(path, size, frames)
    values = torch.from_numpy(to_unit_range(array.transpose(3, 0, 1, 2), 0.0, 255.0))
    return values, len(array) / seconds, Window(0.0, seconds, seconds)


def spread(total: int, keep: int) -> np.ndarray:
    """min(total, keep) frame numbers spread evenly over 0..total-1, first and last included:
    j * (total - 1) / (keep - 1) rounded half up, in integers (`ffmpeg.select_spread` agrees)."""
    if keep >= total:
        return np.arange(total)
    if keep == 1:
        return np.zeros(1, dtype=np.int64)
    j = np.arange(keep, dtype=np.int64)
    return (2 * j * (total - 1) + keep - 1) // (2 * (keep - 1))


def frame_size(height: int, width: int, size: int) -> tuple[int, int]:
    """(height, width) with the longest side shrunk to at most `size`, the aspect kept."""
    scale = min(1.0, size / max(height, width))
    return max(1, math.floor(height * scale + 0.5)), max(1, math.floor(width * scale + 0.5))


def _ffmpeg_frames(path: Path, size: int, keep: int) -> tuple[np.ndarray, float]:
    info = ffmpeg.probe(path)
    if info.width * info.height > MAX_PIXELS:
        raise SignalError(f"{path.name} frames are {info.width}x{info.height}; the limit is {MAX_PIXELS:,} pixels")
    if info.frames < 1:
        raise SignalError(f"{path.name} has no frames")
    shape = frame_size(info.height, info.width, size)
    return ffmpeg.decode_frames(path, info.frames, min(keep, info.frames), shape), info.duration


def _gif_frames(path: Path, size: int, keep: int) -> tuple[np.ndarray, float]:
    """Kept frames of a GIF, each shrunk as soon as it is composed, and the clip's length."""
    image = open_image(path)  # checks the canvas size from the header
    try:
        total = image.n_frames  # walks the blocks without decoding them
        picks = spread(total, keep)
        height, width = frame_size(image.height, image.width, size)
        array = np.empty((len(picks), height, width, 3), dtype=np.uint8)
        milliseconds, kept = 0.0, 0
        for number in range(total):
            image.seek(number)  # frames are composed on the previous ones: each must be decoded in turn
            milliseconds += image.info.get("duration") or 100  # browsers show an unset delay as 0.1 s
            if kept < len(picks) and number == picks[kept]:
                # Shrink first, then convert the small copy (a palette frame has to be converted first).
                frame = image if image.mode in ("RGB", "RGBA", "L") else image.convert("RGB")
                array[kept] = np.asarray(frame.resize((width, height), Image.Resampling.BOX).convert("RGB"))
                kept += 1
    except (OSError, ValueError, EOFError) as err:
        raise SignalError(f"{path.name} could not be decoded ({err})") from err
    return array[:kept], milliseconds / 1000
