"""Audio: WAV files (integer PCM 8/16/24/32-bit, float 32/64) through a small RIFF reader."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import torch

from .core import MAX_CHANNELS, MAX_SAMPLES, SignalError

AUDIO_SUFFIXES = {".wav"}
WAV_PCM, WAV_FLOAT, WAV_EXTENSIBLE = 1, 3, 0xFFFE


def load_wav(path: Path) -> tuple[torch.Tensor, int]:
    """(C, L) in [-1, 1] and the sample rate; integer PCM 8/16/24/32-bit, float 32/64."""
    data = path.read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SignalError(f"{path.name} is not a WAV file (no RIFF/WAVE header)")
    fmt, samples, pos = None, None, 12
    while pos + 8 <= len(data):
        chunk_id, chunk_size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + chunk_size]
        if chunk_id == b"fmt " and len(body) >= 16:
            fmt = struct.unpack("<HHIIHH", body[:16]) + (body[24:26] if len(body) >= 26 else b"",)
        elif chunk_id == b"data":
            samples = body
        pos += 8 + chunk_size + (chunk_size & 1)
    if fmt is None or samples is None:
        raise SignalError(f"{path.name} has no fmt or data chunk")
    tag, channels, rate, _, block_align, bits, sub = fmt
    if tag == WAV_EXTENSIBLE and len(sub) == 2:
        tag = struct.unpack("<H", sub)[0]
    if channels < 1 or channels > MAX_CHANNELS:
        raise SignalError(f"{path.name} has {channels} channels; at most {MAX_CHANNELS} are supported")
    if not 1 <= rate <= 1_000_000:
        raise SignalError(f"{path.name} has an implausible sample rate ({rate} Hz)")
    width = bits // 8
    if tag not in (WAV_PCM, WAV_FLOAT) or bits % 8 or width not in (1, 2, 3, 4, 8) or (tag == WAV_FLOAT and width < 4):
        raise SignalError(f"{path.name}: unsupported WAV encoding (format {tag}, {bits} bits)")
    frame = width * channels
    count = len(samples) // frame
    if count < 2:
        raise SignalError(f"{path.name} has no audio samples")
    if count > MAX_SAMPLES:
        raise SignalError(f"{path.name} has {count:,} samples per channel; the limit is {MAX_SAMPLES:,}")
    raw = np.frombuffer(samples[: count * frame], dtype=np.uint8).reshape(count, channels, width)
    if tag == WAV_FLOAT:
        array = raw.copy().view("<f4" if width == 4 else "<f8")[..., 0].astype(np.float64)
    elif width == 1:
        array = raw[..., 0].astype(np.float64) - 128.0  # 8-bit WAV is unsigned
    else:
        # Place the sample's bytes at the top of an int32/int64 so the sign comes for free.
        wide = 8 if width == 8 else 4
        padded = np.zeros((count, channels, wide), dtype=np.uint8)
        padded[..., wide - width :] = raw
        array = padded.view("<i8" if wide == 8 else "<i4")[..., 0].astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise SignalError(f"{path.name} contains NaN or infinite samples")
    peak = float(np.abs(array).max())
    if peak == 0:
        raise SignalError(f"{path.name} is silent: it has no spectrum to match")
    return torch.from_numpy((array / peak).T.astype(np.float32)).contiguous(), int(rate)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write (C, L) float samples in [-1, 1] as 16-bit PCM."""
    pcm = np.clip(np.round(samples.T * 32767), -32768, 32767).astype("<i2")
    body = pcm.tobytes()
    channels = samples.shape[0]
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(body), b"WAVE", b"fmt ", 16, WAV_PCM,
                         channels, rate, rate * 2 * channels, 2 * channels, 16, b"data", len(body))
    path.write_bytes(header + body)
