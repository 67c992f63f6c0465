"""Audio through libsndfile (`soundfile`): WAV of every width, FLAC, OGG/Vorbis/Opus, MP3, AIFF.

A long recording is not refused: a window of it is read after a seek, so the rest is
never decoded, and the signal says which window (`Window`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile
import torch

from .core import DEFAULT_AUDIO_SECONDS, MAX_CHANNELS, MAX_SAMPLES, SignalError, Window

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}
MAX_RATE = 1_000_000
BLOCK_FRAMES = 65_536  # frames decoded per read: the only buffer besides the result


def load_audio(path: Path, start: float = 0.0, duration: float | None = None,
               max_samples: int | None = None) -> tuple[torch.Tensor, int, Window]:
    """(C, L) in [-1, 1], the sample rate and the window read.

    The window starts at `start` seconds and lasts `duration` seconds (default
    DEFAULT_AUDIO_SECONDS; math.inf for the rest of the file), clipped to the file's end
    and to `max_samples` samples per channel when given (what a device can preview live).
    Rate, channels and length come from the header and are checked before decoding.
    Values are scaled by the window's peak, so zero stays zero.
    """
    duration = DEFAULT_AUDIO_SECONDS if duration is None else duration
    if not (math.isfinite(start) and start >= 0):
        raise SignalError(f"the window start must be a time in seconds from 0, not {start}")
    if not duration > 0:
        raise SignalError(f"the window duration must be positive, not {duration}")
    try:
        with soundfile.SoundFile(path) as sound:
            rate, channels, frames = sound.samplerate, sound.channels, sound.frames
            _check_header(path, rate, channels, frames)
            first = round(start * rate)
            if first >= frames - 1:
                raise SignalError(f"{path.name} lasts {frames / rate:.2f} s; the window cannot start at {start:g} s")
            count = min(frames - first, math.ceil(duration * rate) if math.isfinite(duration) else frames,
                        max_samples or frames)
            if count * channels > MAX_SAMPLES:
                raise SignalError(f"a {count / rate:.1f} s window of {path.name} holds {count * channels:,} samples; "
                                  f"the limit is {MAX_SAMPLES:,} (choose a shorter duration)")
            if first:
                sound.seek(first)
            values = _read(sound, count, channels)
    except soundfile.SoundFileError as err:
        raise SignalError(f"{path.name} is not a readable audio file ({_first_line(err)})") from err
    if values.shape[1] < 2:
        raise SignalError(f"{path.name} has no audio samples in the window")
    low, high = float(values.min()), float(values.max())
    if not (math.isfinite(low) and math.isfinite(high)):  # min/max propagate NaN and inf
        raise SignalError(f"{path.name} contains NaN or infinite samples")
    peak = max(-low, high)
    if peak == 0:
        raise SignalError(f"{path.name} is silent in the window: it has no spectrum to match")
    values /= peak
    window = Window(first / rate, values.shape[1] / rate, frames / rate)
    return torch.from_numpy(values), int(rate), window


def _check_header(path: Path, rate: int, channels: int, frames: int) -> None:
    if not 1 <= channels <= MAX_CHANNELS:
        raise SignalError(f"{path.name} has {channels} channels; at most {MAX_CHANNELS} are supported")
    if not 1 <= rate <= MAX_RATE:
        raise SignalError(f"{path.name} has an implausible sample rate ({rate} Hz)")
    if frames < 2:
        raise SignalError(f"{path.name} has no audio samples")


def _read(sound: soundfile.SoundFile, count: int, channels: int) -> np.ndarray:
    """Decode `count` frames from the current position into a (C, count) float32 array,
    block by block; fewer if the file ends early (a header may overstate its length)."""
    values = np.empty((channels, count), dtype=np.float32)
    done = 0
    while done < count:
        block = sound.read(min(BLOCK_FRAMES, count - done), dtype="float32", always_2d=True)
        if len(block) == 0:
            break
        values[:, done : done + len(block)] = block.T
        done += len(block)
    return np.ascontiguousarray(values[:, :done]) if done < count else values


def _first_line(err: Exception) -> str:
    """libsndfile's reason, without the file's path; its 'does not exist' for data it cannot parse
    (the file does exist: that was checked) says no more than that."""
    text = str(err).strip().splitlines()
    reason = text[-1].split(": ", 1)[-1] if text else type(err).__name__
    return "no audio stream recognised" if "does not exist" in reason else reason
