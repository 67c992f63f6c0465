"""Files a browser plays: a (C, L) signal as WAV, a (C, T, H, W) signal as MP4 (H.264).

Each call writes a new file with a unique name into a folder the caller owns and
returns its path; values outside [-1, 1] (an untrained model's output) are clipped.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import soundfile
import torch

from . import ffmpeg

MIN_VIDEO_SIDE = 256  # small clips are enlarged by whole pixels to about this size


def write_audio(values: torch.Tensor | np.ndarray, rate: float, folder: str | Path, name: str = "audio") -> Path:
    """(C, L) samples in [-1, 1] at `rate` per second as a 16-bit PCM WAV file in `folder`.

    Browsers play PCM WAV natively; mono and stereo play everywhere (more channels are
    mixed down to stereo by the browser).  The rate is rounded to whole hertz.
    """
    samples = _as_array(values)
    if samples.ndim != 2 or samples.shape[1] < 1:
        raise ValueError(f"audio must be shaped (C, L), not {tuple(samples.shape)}")
    path = _new_path(folder, name, ".wav")
    soundfile.write(path, samples.T, max(1, round(rate)), subtype="PCM_16", format="WAV")
    return path


def write_video(values: torch.Tensor | np.ndarray, fps: float, folder: str | Path, name: str = "video",
                min_side: int = MIN_VIDEO_SIDE) -> Path:
    """(C, T, H, W) frames in [-1, 1] at `fps` as an MP4 (H.264, yuv420p) in `folder`.

    Three or more channels show the first three as RGB, one or two as grey.  Frames are
    enlarged by a whole factor (nearest neighbour) so the longest side reaches about
    `min_side`, and so both sides are even, as yuv420p needs.
    """
    clip = _as_array(values)
    if clip.ndim != 4 or min(clip.shape) < 1:
        raise ValueError(f"video must be shaped (C, T, H, W), not {tuple(clip.shape)}")
    if not fps > 0:
        raise ValueError(f"the frame rate must be positive, not {fps}")
    rgb = clip[:3] if clip.shape[0] >= 3 else np.broadcast_to(clip.mean(0, keepdims=True), (3, *clip.shape[1:]))
    frames = np.round((rgb.transpose(1, 2, 3, 0) + 1) * 127.5).astype(np.uint8)  # (T, H, W, 3)
    height, width = frames.shape[1:3]
    factor = max(1, min_side // max(height, width))
    if (height % 2 or width % 2) and factor % 2:
        factor += 1
    path = _new_path(folder, name, ".mp4")
    ffmpeg.encode_h264(frames, fps, path, factor)
    return path


def _as_array(values: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().float().cpu().numpy()
    array = np.asarray(values, dtype=np.float32)
    return np.clip(np.nan_to_num(array), -1.0, 1.0)


def _new_path(folder: str | Path, name: str, suffix: str) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "media"
    return folder / f"{stem}-{uuid.uuid4().hex[:12]}{suffix}"
