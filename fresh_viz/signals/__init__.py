"""Load, validate and normalise signals; built-in presets.

A signal is a float32 tensor shaped (C, *spatial) with values in [-1, 1]:
(C, L) for audio, (C, H, W) for images, (C, T, H, W) for video (`core`).
Every file is untrusted: sizes are checked from headers before decoding, and
anything unusable raises `SignalError` with a message meant for a person.
One module per kind of file: `images`, `audio`, `video`, `arrays`; `presets`
holds the built-in signals.
"""

from __future__ import annotations

from pathlib import Path

from .arrays import ARRAY_SUFFIXES, load_npy, signal_from_array
from .audio import AUDIO_SUFFIXES, load_wav, write_wav
from .core import (
    KIND_NDIM,
    MAX_ARRAY_ELEMENTS,
    MAX_CHANNELS,
    MAX_FILE_BYTES,
    MAX_FRAMES,
    MAX_PIXELS,
    MAX_SAMPLES,
    Signal,
    SignalError,
    grid_coords,
    resize_longest,
    resize_to,
    to_unit_range,
)
from .images import IMAGE_SUFFIXES, image_to_array, load_image
from .presets import PRESETS, Preset, make_preset
from .video import VIDEO_SUFFIXES, load_video

__all__ = ["ARRAY_SUFFIXES", "AUDIO_SUFFIXES", "IMAGE_SUFFIXES", "KIND_NDIM", "MAX_ARRAY_ELEMENTS", "MAX_CHANNELS",
           "MAX_FILE_BYTES", "MAX_FRAMES", "MAX_PIXELS", "MAX_SAMPLES", "PRESETS", "VIDEO_SUFFIXES", "Preset", "Signal",
           "SignalError", "grid_coords", "image_to_array", "load_image", "load_npy", "load_signal", "load_video",
           "load_wav", "make_preset", "resize_longest", "resize_signal", "resize_to", "signal_from_array",
           "to_unit_range", "write_wav"]


def load_signal(path: str | Path, size: int | None = None) -> Signal:
    """Load an image, WAV, GIF/MP4 or .npy file; `size` resizes the longest side.

    For video `size` applies to the frames; for audio to the number of samples.
    """
    path = Path(path)
    if not path.is_file():
        raise SignalError(f"no such file: {path.name}")
    nbytes = path.stat().st_size
    if nbytes == 0:
        raise SignalError(f"{path.name} is empty (0 bytes)")
    if nbytes > MAX_FILE_BYTES:
        raise SignalError(f"{path.name} is {nbytes / 2**20:.0f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB")
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        signal = Signal(load_image(path), "image", path.stem)
    elif suffix in AUDIO_SUFFIXES:
        samples, rate = load_wav(path)
        signal = Signal(samples, "audio", path.stem, rate)
    elif suffix in VIDEO_SUFFIXES:
        frames, fps = load_video(path)
        signal = Signal(frames, "video", path.stem, fps)
    elif suffix in ARRAY_SUFFIXES:
        signal = signal_from_array(load_npy(path), path.stem)
    else:
        known = sorted(IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES | ARRAY_SUFFIXES)
        raise SignalError(f"unsupported file type '{suffix or path.name}'; use one of {', '.join(known)}")
    return resize_signal(signal, size) if size else signal


def resize_signal(signal: Signal, size: int) -> Signal:
    """The same signal with its longest side (frames, for video) resized to `size`."""
    if size < 2:
        raise SignalError("size must be at least 2")
    axes = 2 if signal.kind == "video" else None
    return Signal(resize_longest(signal.values, size, axes), signal.kind, signal.name, signal.sample_rate)
