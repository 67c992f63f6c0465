"""`load_signal`: any accepted file as a `Signal`, by its suffix; `resize_signal`."""

from __future__ import annotations

from pathlib import Path

from .arrays import ARRAY_SUFFIXES, load_npy, signal_from_array
from .audio import AUDIO_SUFFIXES, load_audio
from .core import DEFAULT_FRAME_SIZE, MAX_FILE_BYTES, MAX_FRAMES, Signal, SignalError, resize_longest
from .images import IMAGE_SUFFIXES, load_image
from .video import VIDEO_SUFFIXES, load_video

SUFFIXES = sorted(IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES | ARRAY_SUFFIXES)  # every file type accepted


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
