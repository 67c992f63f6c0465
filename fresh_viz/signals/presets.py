"""Built-in signals: three photographs shipped as package data, and generated ones."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch

from .core import Signal, SignalError, to_unit_range
from .load import load_signal

PHOTOS = ("astronaut", "coffee", "grass")  # PNG files in assets/photos/ (fresh_viz.assets once installed)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    kind: str
    about: str  # what it is; the licence for photographs


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("astronaut", "Astronaut (photo)", "image",
               "Eileen Collins, NASA; public domain (via scikit-image's sample data)."),
        Preset("coffee", "Coffee (photo)", "image",
               "A cup of coffee by Rachel Michetti; CC0 (via scikit-image's sample data). Not square."),
        Preset("grass", "Grass (texture)", "image",
               "A high-frequency grass texture from CC0Textures; CC0 (via scikit-image's sample data)."),
        Preset("zoneplate", "Zone plate (chirp)", "image",
               "cos(a r^2): the local frequency grows linearly from the centre to just below Nyquist in the corners."),
        Preset("siemens", "Siemens star", "image", "36 black and white sectors: sharp edges at every angle."),
        Preset("blobs", "Smooth blobs", "image", "A few wide Gaussians: almost all energy at low frequencies."),
        Preset("chirp", "Chirp (audio)", "audio", "One second of a sine sweeping from 50 Hz to 2 kHz, 8 kHz rate."),
        Preset("sines", "Three sines (audio)", "audio", "220, 660 and 1760 Hz, half a second at 8 kHz."),
        Preset("orbit", "Orbiting dot (video)", "video", "16 frames of a bright dot circling over a grating."),
    ]
}


def make_preset(name: str, size: int = 256) -> Signal:
    """A built-in signal; `size` is the longest side of images and video frames."""
    if name not in PRESETS:
        raise SignalError(f"unknown preset '{name}'; choose from {', '.join(PRESETS)}")
    if name in PHOTOS:
        with resources.as_file(resources.files("fresh_viz.assets") / "photos" / f"{name}.png") as path:
            return load_signal(path, size)
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
