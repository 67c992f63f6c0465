"""What the commands share: argument types, the signal options, progress on stderr."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..models import FAMILIES
from ..signals import (
    DEFAULT_AUDIO_SECONDS,
    DEFAULT_FRAME_SIZE,
    IMAGE_SUFFIXES,
    MAX_FRAMES,
    PRESETS,
    VIDEO_SUFFIXES,
    Signal,
    load_signal,
    make_preset,
    resize_signal,
)

DEFAULT_SIZE = {"image": 256, "video": DEFAULT_FRAME_SIZE}  # audio keeps its samples unless --size


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


def checked_number(text: str, kind: type, what: str, valid: Callable[[float], bool], why: str) -> float:
    """`text` read as `kind` (int or float) for argparse: "'x' is not {what}" when it is not one, `why`
    (formatted with text and value) when `valid(value)` is false."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None
    if not valid(value):
        raise argparse.ArgumentTypeError(why.format(text=text, value=value))
    return value


def positive_int(text: str) -> int:
    return checked_number(text, int, "a whole number", lambda v: v >= 1, "{value} must be at least 1")


def seconds(text: str) -> float:
    return checked_number(text, float, "a number of seconds", lambda v: not math.isnan(v) and v >= 0,
                          "{text} is not a time from 0 seconds on")


def add_signal_options(sub: argparse.ArgumentParser) -> None:
    """The options of every command that works on one signal with one model family."""
    sub.add_argument("path", help="image, audio (WAV, FLAC, OGG, MP3, AIFF), video (GIF, MP4, MOV, MKV, WebM, "
                     f"AVI) or .npy file, or preset:NAME ({', '.join(PRESETS)})")
    sub.add_argument("--model", default="siren", choices=list(FAMILIES))
    sub.add_argument("--size", type=positive_int, default=None,
                     help=f"longest spatial side after resizing (default 256 for images, {DEFAULT_FRAME_SIZE} for "
                          "video frames; audio keeps its samples)")
    sub.add_argument("--frames", type=positive_int, default=MAX_FRAMES,
                     help=f"video: frames kept, spread evenly across the clip (at most {MAX_FRAMES})")
    sub.add_argument("--start", type=seconds, default=0.0, help="audio: where the analysed window starts, in seconds")
    sub.add_argument("--duration", type=seconds, default=None,
                     help=f"audio: the window's length in seconds (default {DEFAULT_AUDIO_SECONDS:g}; inf: to the end)")
    sub.add_argument("--width", type=positive_int, default=256)
    sub.add_argument("--depth", type=positive_int, default=3, help="hidden layers")
    sub.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best present)")
    sub.add_argument("--json", action="store_true", help="print one JSON object")


def open_signal(args: argparse.Namespace, path: str | None = None) -> Signal:
    """The signal the command line names (or `path`, one of many): a preset or a file, at the size asked for."""
    path = path or args.path
    if path.startswith("preset:"):
        return make_preset(path.removeprefix("preset:"), args.size or 256)
    suffix = Path(path).suffix.lower()
    kind = "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None
    size = args.size or DEFAULT_SIZE.get(kind)  # images and frames are shrunk while they are decoded
    with native_messages_dropped():
        signal = load_signal(path, size, frames=args.frames, start=args.start, duration=args.duration)
    if size is None and signal.kind in DEFAULT_SIZE:  # a .npy array, sized by what it turns out to be
        signal = resize_signal(signal, DEFAULT_SIZE[signal.kind])
    return signal


def signal_json(signal: Signal) -> dict:
    """What the JSON output says about the signal: the part of the file analysed, if it is a part."""
    return {"window": signal.window.to_json()} if signal.window else {}


@contextmanager
def native_messages_dropped() -> Iterator[None]:
    """Decoders written in C (mpg123 inside libsndfile) print notes about damaged files straight
    to file descriptor 2; the command line promises one line on stderr, so they are dropped
    while a file loads (the SignalError that follows says what is wrong)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def stderr_progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{fraction:4.0%}] {message}", end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)
