"""Load, validate and normalise signals; built-in presets.

A signal is a float32 tensor shaped (C, *spatial) with values in [-1, 1]:
(C, L) for audio, (C, H, W) for images, (C, T, H, W) for video.  Coordinates
are in [-1, 1] along every spatial axis (see `grid_coords`).

Every file is untrusted: sizes are checked from headers before decoding, and
anything unusable raises `SignalError` with a message meant for a person.
"""

from __future__ import annotations

import math
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, ImageSequence

ASSETS = Path(__file__).resolve().parent.parent / "assets"

MAX_FILE_BYTES = 200 * 2**20
MAX_PIXELS = 40_000_000  # per image or frame, from the header
MAX_FRAMES = 256
MAX_SAMPLES = 10_000_000  # audio samples per channel
MAX_ARRAY_ELEMENTS = 50_000_000
MAX_CHANNELS = 16

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".gif", ".mp4"}
AUDIO_SUFFIXES = {".wav"}
ARRAY_SUFFIXES = {".npy"}
PIL_FORMATS = {"PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"}


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


# ---------------------------------------------------------------- files


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


def _open_image(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=sorted(PIL_FORMATS))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
            raise SignalError(f"{path.name} is too large to decode safely") from err
        except (OSError, SyntaxError, ValueError) as err:
            raise SignalError(f"{path.name} is not a readable image ({type(err).__name__})") from err
    width, height = image.size
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise SignalError(f"{path.name} claims {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels")
    return image


def image_to_array(image: Image.Image) -> tuple[np.ndarray, float]:
    """(H, W, C) array and its full-scale value, for every Pillow mode; no clipping."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.float64)[..., None], 65535.0
    if image.mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)[..., None]
        return array, float("nan")  # no fixed scale: use the data range
    if image.mode == "1" or image.mode == "L":
        return np.asarray(image.convert("L"), dtype=np.float64)[..., None], 255.0
    if image.mode == "LA":
        return np.asarray(image.convert("L"), dtype=np.float64)[..., None], 255.0
    if image.mode == "RGBA" or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"), dtype=np.float64), 255.0
    return np.asarray(image.convert("RGB"), dtype=np.float64), 255.0


def load_image(path: Path) -> torch.Tensor:
    """(C, H, W) in [-1, 1]; EXIF orientation applied."""
    image = _open_image(path)
    try:
        image = ImageOps.exif_transpose(image)
        array, full_scale = image_to_array(image)
    except (OSError, SyntaxError, ValueError) as err:
        raise SignalError(f"{path.name} is damaged or truncated ({err})") from err
    high = None if math.isnan(full_scale) else full_scale
    low = None if high is None else 0.0
    return torch.from_numpy(to_unit_range(array, low, high)).permute(2, 0, 1).contiguous()


def load_video(path: Path) -> tuple[torch.Tensor, int]:
    """(C, T, H, W) in [-1, 1] and frames per second; the first MAX_FRAMES frames."""
    frames, fps = _gif_frames(path) if path.suffix.lower() == ".gif" else _mp4_frames(path)
    if not frames:
        raise SignalError(f"{path.name} has no frames")
    array = np.stack(frames).astype(np.float64)  # (T, H, W, 3)
    values = torch.from_numpy(to_unit_range(array, 0.0, 255.0)).permute(3, 0, 1, 2).contiguous()
    return values, max(1, int(round(fps)))


def _gif_frames(path: Path) -> tuple[list[np.ndarray], float]:
    image = _open_image(path)  # checks the canvas size from the header
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


# ---------------------------------------------------------------- WAV

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


# ---------------------------------------------------------------- arrays


def load_npy(path: Path) -> np.ndarray:
    """A numeric array from a .npy file, never unpickling; shape checked from the header."""
    with path.open("rb") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy version {version}")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            header = read_header(handle, max_header_size=10_000)
        except (ValueError, OSError, SyntaxError) as err:
            raise SignalError(f"{path.name} is not a valid .npy file ({err})") from err
    shape, _, dtype = header
    if dtype.hasobject:
        raise SignalError(f"{path.name} holds Python objects (pickled data); only numeric arrays are accepted")
    if math.prod(shape) > MAX_ARRAY_ELEMENTS:
        raise SignalError(f"{path.name} has {math.prod(shape):,} elements; the limit is {MAX_ARRAY_ELEMENTS:,}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise SignalError(f"{path.name} could not be read ({err})") from err


def signal_from_array(array: np.ndarray, name: str = "array") -> Signal:
    """Interpret an array as 1 to 3 spatial axes plus an optional channel axis.

    A last axis of length <= 4 on an array with >= 2 axes is taken as channels
    (e.g. (H, W, 3)); everything else is spatial.  Values are min-max scaled.
    """
    if array.dtype.kind not in "biuf":
        raise SignalError(f"{name}: arrays of {array.dtype} are not supported; use real numbers")
    if array.size == 0:
        raise SignalError(f"{name}: the array is empty")
    if array.ndim >= 2 and array.shape[-1] <= 4:
        array = np.moveaxis(array, -1, 0)
    else:
        array = array[None]
    spatial = array.shape[1:]
    if not 1 <= len(spatial) <= 3:
        raise SignalError(f"{name}: {array.ndim - 1} spatial axes; 1 to 3 are supported")
    if min(spatial) < 2:
        raise SignalError(f"{name}: every spatial axis needs at least 2 samples, got shape {spatial}")
    kind = {ndim: kind for kind, ndim in KIND_NDIM.items()}[len(spatial)]
    values = torch.from_numpy(to_unit_range(array))
    return Signal(values, kind, name, 16000 if kind == "audio" else 10 if kind == "video" else None)


# ---------------------------------------------------------------- presets


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    kind: str
    about: str  # what it is; the licence for photographs
    guide: str  # what to try and what to look for, for a class


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("astronaut", "Astronaut (photo)", "image",
               "Eileen Collins, NASA; public domain (via scikit-image's sample data).",
               "A photograph: most energy is at low frequencies, with edges and texture on top. Press Run FreSh: "
               "it picks an ω₀ above the default 30. Then Train both and watch the tuned model pull ahead on the "
               "solid lines, while the dashed held-out lines stay closer together."),
        Preset("coffee", "Coffee (photo)", "image",
               "A cup of coffee by Rachel Michetti; CC0 (via scikit-image's sample data). Not square.",
               "A smoother photograph than the astronaut. Compare the ω₀ FreSh picks here with the astronaut's: "
               "less detail, a lower value."),
        Preset("grass", "Grass (texture)", "image",
               "A high-frequency grass texture from CC0Textures; CC0 (via scikit-image's sample data).",
               "Almost all detail is fine texture. Drag ω₀ from 30 to 150 and watch the red spectrum slide right "
               "onto the blue one; W drops. The default model learns this texture slowly: spectral bias."),
        Preset("zoneplate", "Zone plate (chirp)", "image",
               "cos(a r^2): the local frequency grows linearly from the centre to just below Nyquist in the corners.",
               "Every frequency, from the centre outwards. Drag ω₀ up and watch the model's spectrum move right. "
               "Its energy reaches Nyquist, so FreSh's choice sits at the top of the grid; train both and run the "
               "grid-search check: here the spectral match overshoots what trains best, a limit worth showing."),
        Preset("siemens", "Siemens star", "image", "36 black and white sectors: sharp edges at every angle.",
               "Sharp edges at every angle. Switch the spectrum mode between paper and radial: the paper mode's "
               "diagonal bins treat two of the four diagonal directions differently."),
        Preset("blobs", "Smooth blobs", "image", "A few wide Gaussians: almost all energy at low frequencies.",
               "Almost nothing but low frequencies. FreSh picks the lowest ω₀ on the grid; a high ω₀ puts the "
               "model's energy far to the right of the target's."),
        Preset("chirp", "Chirp (audio)", "audio", "One second of a sine sweeping from 50 Hz to 2 kHz, 8 kHz rate.",
               "A sweep from 50 Hz to 2 kHz. Audio needs ω₀ in the thousands: the slider is logarithmic. "
               "FreSh finds the value whose spectrum covers the sweep's band."),
        Preset("sines", "Three sines (audio)", "audio", "220, 660 and 1760 Hz, half a second at 8 kHz.",
               "Three pure tones: three spikes in the spectrum. Watch how the untrained model's smooth spectrum "
               "can only match their spread, not the spikes themselves."),
        Preset("orbit", "Orbiting dot (video)", "video", "16 frames of a bright dot circling over a grating.",
               "A short clip, fitted as one 3-D signal (time, height, width). The spectrum pools all three axes."),
    ]
}


def make_preset(name: str, size: int = 256) -> Signal:
    """A built-in signal; `size` is the longest side of images and video frames."""
    if name not in PRESETS:
        raise SignalError(f"unknown preset '{name}'; choose from {', '.join(PRESETS)}")
    if name in ("astronaut", "coffee", "grass"):
        return load_signal(ASSETS / f"{name}.png", size)
    if name == "chirp":
        return _audio(name, _chirp(8000, 1.0, 50.0, 2000.0), 8000)
    if name == "sines":
        t = np.arange(4000) / 8000
        return _audio(name, sum(np.sin(2 * np.pi * f * t) for f in (220.0, 660.0, 1760.0)), 8000)
    if name == "orbit":
        return Signal(_orbit(min(size, 64)), "video", name, 8)
    y, x = np.meshgrid(np.linspace(-1, 1, size), np.linspace(-1, 1, size), indexing="ij")
    if name == "zoneplate":
        # cos(a r^2) has a local frequency of a r / pi cycles per unit; it stays just
        # below the Nyquist rate (size / 4 cycles per unit) out to the corners, r = sqrt(2).
        image = np.cos(0.95 * np.pi * size / (4 * np.sqrt(2)) * (x**2 + y**2))
    elif name == "siemens":
        image = np.sign(np.sin(18 * np.arctan2(y, x))) * (x**2 + y**2 < 0.95)
    else:  # blobs
        centres = [(-0.4, -0.3, 0.35), (0.35, 0.2, 0.45), (0.0, 0.55, 0.25)]
        image = sum(np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s**2)) for cx, cy, s in centres)
    return Signal(torch.from_numpy(to_unit_range(image[None])), "image", name)


def _audio(name: str, samples: np.ndarray, rate: int) -> Signal:
    return Signal(torch.from_numpy(to_unit_range(samples[None])), "audio", name, rate)


def _chirp(rate: int, seconds: float, f0: float, f1: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds)))


def _orbit(size: int, frames: int = 16) -> torch.Tensor:
    y, x = np.meshgrid(np.linspace(-1, 1, size), np.linspace(-1, 1, size), indexing="ij")
    clip = []
    for t in range(frames):
        angle = 2 * np.pi * t / frames
        dot = np.exp(-((x - 0.5 * np.cos(angle)) ** 2 + (y - 0.5 * np.sin(angle)) ** 2) / 0.02)
        clip.append(0.3 * np.sin(8 * np.pi * (x + t / frames)) + dot)
    return torch.from_numpy(to_unit_range(np.stack(clip)[None]))
