"""What the commands share: argument types, the signal options, progress on stderr."""

from __future__ import annotations

import argparse
import sys

from ..models import FAMILIES
from ..signals import PRESETS, Signal, load_signal, make_preset, resize_signal

DEFAULT_SIZE = {"image": 256, "video": 128}  # audio keeps its samples unless --size


class UsageError(Exception):
    """Bad arguments or input: reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage over several lines; we want one
        raise UsageError(message)


def parse_values(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of numbers") from None
    if not values:
        raise argparse.ArgumentTypeError("--values needs at least one number")
    return values


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def add_signal_options(sub: argparse.ArgumentParser) -> None:
    """The options of every command that works on one signal with one model family."""
    sub.add_argument("path", help="image, WAV, GIF/MP4 or .npy file, or preset:NAME "
                     f"({', '.join(PRESETS)})")
    sub.add_argument("--model", default="siren", choices=list(FAMILIES))
    sub.add_argument("--size", type=positive_int, default=None,
                     help="longest spatial side after resizing (default 256 for images, 128 for video "
                          "frames; audio keeps its samples)")
    sub.add_argument("--width", type=positive_int, default=256)
    sub.add_argument("--depth", type=positive_int, default=3, help="hidden layers")
    sub.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best present)")
    sub.add_argument("--json", action="store_true", help="print one JSON object")


def open_signal(path: str, size: int | None) -> Signal:
    if path.startswith("preset:"):
        return make_preset(path.removeprefix("preset:"), size or 256)
    signal = load_signal(path)
    size = size or DEFAULT_SIZE.get(signal.kind)
    return resize_signal(signal, size) if size else signal


def stderr_progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{fraction:4.0%}] {message}", end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)
