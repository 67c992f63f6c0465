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

from .arrays import ARRAY_SUFFIXES, load_npy, map_npy, read_npy_header, signal_from_array
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
    natural_key,
    resize_longest,
    resize_to,
    to_unit_range,
)
from .export import write_audio, write_video
from .images import IMAGE_SUFFIXES, image_to_array, load_image
from .load import SUFFIXES, load_signal, resize_signal
from .presets import PRESETS, Preset, make_preset
from .video import VIDEO_SUFFIXES, load_video

__all__ = ["ARRAY_SUFFIXES", "AUDIO_SUFFIXES", "DEFAULT_AUDIO_SECONDS", "DEFAULT_FRAME_SIZE", "IMAGE_SUFFIXES",
           "KIND_NDIM", "MAX_ARRAY_ELEMENTS", "MAX_CHANNELS", "MAX_FILE_BYTES", "MAX_FRAMES", "MAX_PIXELS",
           "MAX_SAMPLES", "PRESETS", "SUFFIXES", "VIDEO_SUFFIXES", "Preset", "Signal", "SignalError", "Window",
           "grid_coords", "image_to_array", "load_audio", "load_image", "load_npy", "load_signal", "load_video",
           "make_preset", "map_npy", "natural_key", "read_npy_header", "resize_longest", "resize_signal",
           "resize_to", "signal_from_array", "to_unit_range", "write_audio", "write_video"]

