"""Load, validate and normalise signals; built-in presets; files for playback.

A signal is a float32 tensor shaped (C, *spatial) with values in [-1, 1]:
(C, L) for audio, (C, H, W) for images, (C, T, H, W) for video (`core`).
Every file is untrusted: sizes are checked from headers before decoding, and
anything unusable raises `SignalError` with a message meant for a person.
Memory stays bounded whatever the file: video keeps a few frames spread across
the clip, scaled down while decoding; audio reads a window after a seek.
One module per kind of file: `images`, `audio`, `video` (with `ffmpeg`),
`arrays`; `presets` holds the built-in signals; `export` writes audio and video
files a browser plays.
"""

from __future__ import annotations

from pathlib import Path

from .arrays import ARRAY_SUFFIXES, load_npy, signal_from_array
from .audio import AUDIO_SUFFIXES, load_audio
from .core import (
    DEFAULT_AUDIO_SECONDS,
    DEFAULT_FRAME_SIZE,
    KIND_NDIM,
    MAX_ARRAY_ELEMENTS,
    MAX_CHANNELS,
    MAX_FILE_BYTES,
    MAX_FRAMES,
    MAX_PIXELS,
    MAX_SAMPLES,
    Signal,
    SignalError,
    Window,
    grid_coords,
    resize_longest,
    resize_to,
    to_unit_range,
)
from .export import write_audio, write_video
from .images import IMAGE_SUFFIXES, image_to_array, load_image
from .presets import PRESETS, Preset, make_preset
from .video import VIDEO_SUFFIXES, load_video

SUFFIXES = sorted(IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES | ARRAY_SUFFIXES)  # every file type accepted

__all__ = ["ARRAY_SUFFIXES", "AUDIO_SUFFIXES", "DEFAULT_AUDIO_SECONDS", "DEFAULT_FRAME_SIZE", "IMAGE_SUFFIXES",
           "KIND_NDIM", "MAX_ARRAY_ELEMENTS", "MAX_CHANNELS", "MAX_FILE_BYTES", "MAX_FRAMES", "MAX_PIXELS",
           "MAX_SAMPLES", "PRESETS", "SUFFIXES", "VIDEO_SUFFIXES", "Preset", "Signal", "SignalError", "Window",
           "grid_coords", "image_to_array", "load_audio", "load_image", "load_npy", "load_signal", "load_video",
           "make_preset", "resize_longest", "resize_signal", "resize_to", "signal_from_array", "to_unit_range",
           "write_audio", "write_video"]


def load_signal(path: str | Path, size: int | None = None, *, frames: int = MAX_FRAMES, start: float = 0.0,
                duration: float | None = None, max_samples: int | None = None) -> Signal:
    """Load an image, audio, video or .npy file (see SUFFIXES).

    size: the longest spatial side after resizing; images and video frames are shrunk
        while they are decoded.  For video it defaults to DEFAULT_FRAME_SIZE (a full-size
        clip is never held); for audio it is the number of samples the window is resampled to.
    frames: video only, how many frames to keep, spread evenly across the whole clip.
    start, duration: audio only, the window analysed in seconds (duration defaults to
        DEFAULT_AUDIO_SECONDS; math.inf reads to the end); `Signal.window` records it.
    max_samples: audio only, a cap on the window's samples per channel at the file's own rate.
    """
    path = Path(path)
    if not path.is_file():
        raise SignalError(f"no such file: {path.name}")
    nbytes = path.stat().st_size
    if nbytes == 0:
        raise SignalError(f"{path.name} is empty (0 bytes)")
    if nbytes > MAX_FILE_BYTES:
        raise SignalError(f"{path.name} is {nbytes / 2**20:.0f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB")
    if size is not None and size < 2:
        raise SignalError("size must be at least 2")
    suffix = path.suffix.lower()
    if suffix not in AUDIO_SUFFIXES and (start or duration is not None):
        raise SignalError(f"a start or duration applies to audio files only, not to {path.name}")
    if suffix in IMAGE_SUFFIXES:
        signal = Signal(load_image(path, size), "image", path.stem)
    elif suffix in AUDIO_SUFFIXES:
        samples, rate, window = load_audio(path, start, duration, max_samples)
        signal = Signal(samples, "audio", path.stem, rate, window)
    elif suffix in VIDEO_SUFFIXES:
        clip, rate, window = load_video(path, size or DEFAULT_FRAME_SIZE, frames)
        signal = Signal(clip, "video", path.stem, rate, window)
    elif suffix in ARRAY_SUFFIXES:
        signal = signal_from_array(load_npy(path), path.stem)
    else:
        raise SignalError(f"unsupported file type '{suffix or path.name}'; use one of {', '.join(SUFFIXES)}")
    return resize_signal(signal, size) if size else signal


def resize_signal(signal: Signal, size: int) -> Signal:
    """The same signal with its longest side (frames, for video) resized to `size`.

    Audio resampled to `size` samples keeps its duration: its sample rate changes to match.
    """
    if size < 2:
        raise SignalError("size must be at least 2")
    axes = 2 if signal.kind == "video" else None
    values = resize_longest(signal.values, size, axes)
    rate = signal.sample_rate
    if signal.kind == "audio" and rate:
        rate = rate * values.shape[-1] / signal.values.shape[-1]
    return Signal(values, signal.kind, signal.name, rate, signal.window)
