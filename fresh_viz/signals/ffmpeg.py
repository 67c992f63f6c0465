"""The ffmpeg binary that imageio-ffmpeg ships: probe, decode chosen frames small, encode H.264.

Every input goes through a forced demuxer and the `file` protocol only, so a file that
claims to be a video but holds a playlist or a reference to another file or URL is
refused instead of followed.  ffmpeg's messages go to a temporary file, never to a pipe
that could fill up and stall it.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .core import SignalError

DEMUXERS = {".mp4": "mov", ".m4v": "mov", ".mov": "mov", ".mkv": "matroska", ".webm": "matroska", ".avi": "avi"}
DECODE_THREADS = 2  # frame threads each hold frames at full size: few threads, bounded memory
CPU_SECONDS = 300  # ffmpeg's own cap (-timelimit) on one run


@dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg says about a clip's first video stream, read without decoding it."""

    width: int  # as displayed, after the rotation in the file is applied
    height: int
    fps: float
    frames: int  # packets in the stream: one per frame
    duration: float  # seconds


def executable() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run(args: list[str], stdin: bytes | None = None, timeout: float = CPU_SECONDS + 30) -> tuple[int, str]:
    """Run ffmpeg with `args` to completion: (exit code, its messages)."""
    with tempfile.TemporaryFile() as messages:
        try:
            done = subprocess.run([executable(), "-hide_banner", "-nostdin", *args], input=stdin,
                                  stdout=subprocess.DEVNULL, stderr=messages, timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise SignalError(f"ffmpeg took longer than {timeout:.0f} s") from err
        messages.seek(0)
        return done.returncode, messages.read().decode("utf-8", "replace")


def input_args(path: Path) -> list[str]:
    """The options that open `path` safely: its container's demuxer, local files only."""
    demuxer = DEMUXERS.get(path.suffix.lower())
    if demuxer is None:
        raise SignalError(f"unsupported video type '{path.suffix}'; use one of {', '.join(sorted(DEMUXERS))}")
    return ["-protocol_whitelist", "file", "-f", demuxer, "-i", f"file:{path.resolve()}"]


def probe(path: Path) -> VideoInfo:
    """Size, rate, frame count and length of the first video stream.

    The stream is copied to nowhere, which reads every packet without decoding one:
    fast even for a long clip, and exact where the header would only estimate.
    """
    code, text = run([*input_args(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"])
    if code != 0:
        raise SignalError(f"{path.name} is not a readable video ({last_line(text)})")
    header = text.split("Output #0", 1)[0]
    stream = re.search(r"Stream #0:\d+.*?: Video: (.*)", header)
    size = stream and re.search(r"\b([1-9]\d{0,5})x([1-9]\d{0,5})\b", stream.group(1))
    if not size:
        raise SignalError(f"{path.name} has no video stream")
    width, height = int(size.group(1)), int(size.group(2))
    rotation = re.search(r"rotation of (-?[\d.]+) degrees", header, re.IGNORECASE)
    if rotation and round(float(rotation.group(1)) / 90) % 2:
        width, height = height, width
    counts = re.findall(r"frame=\s*(\d+)", text)
    frames = int(counts[-1]) if counts else 0
    fps = re.search(r"([\d.]+) (?:fps|tbr)\b", stream.group(1))
    rate = float(fps.group(1)) if fps and float(fps.group(1)) > 0 else 25.0
    length = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", header)
    duration = (int(length.group(1)) * 3600 + int(length.group(2)) * 60 + float(length.group(3))) if length else 0.0
    return VideoInfo(width, height, rate, frames, duration if duration > 0 else frames / rate)


def select_spread(total: int, keep: int) -> str:
    """A select-filter expression true for `keep` frame numbers n spread evenly over
    0..total-1: those with n = round(j * (total - 1) / (keep - 1)) for some j, in integer
    arithmetic (exact in ffmpeg's doubles).  n's nearest j is tried and mapped back."""
    if keep >= total:
        return "1"
    if keep == 1:
        return "eq(n,0)"
    a, b = keep - 1, total - 1
    nearest = f"floor((2*n*{a}+{b})/{2 * b})"
    return f"eq(floor((2*{nearest}*{b}+{a})/{2 * a}),n)"


def decode_frames(path: Path, total: int, keep: int, size: tuple[int, int]) -> np.ndarray:
    """`keep` of the stream's `total` frames, spread evenly (`select_spread`) and scaled to
    (height, width) = `size` while decoding: (keep, height, width, 3) uint8, fewer if the
    stream ends early.

    Frames not kept are decoded (later frames depend on them) but dropped by the select
    filter before they are scaled or leave ffmpeg; only small frames cross the pipe.
    """
    height, width = size
    graph = f"select='{select_spread(total, keep)}',scale={width}:{height}:flags=area"
    args = [executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-timelimit", str(CPU_SECONDS),
            "-threads", str(DECODE_THREADS), *input_args(path), "-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", graph, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    frames = np.empty((keep, height, width, 3), dtype=np.uint8)
    frame_bytes = height * width * 3
    kept = 0
    with tempfile.TemporaryFile() as messages:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=messages)
        try:
            while kept < keep:
                data = process.stdout.read(frame_bytes)
                if len(data) < frame_bytes:
                    break
                frames[kept] = np.frombuffer(data, np.uint8).reshape(height, width, 3)
                kept += 1
        finally:
            process.stdout.close()
            code = process.wait()
        messages.seek(0)
        text = messages.read().decode("utf-8", "replace")
    if kept == 0:
        raise SignalError(f"{path.name} could not be decoded ({last_line(text) if code else 'no frames'})")
    return frames[:kept]


def encode_h264(frames: np.ndarray, fps: float, path: Path, factor: int) -> None:
    """Write (T, H, W, 3) uint8 frames as an MP4 (H.264, yuv420p) that browsers play,
    each pixel enlarged to `factor` x `factor` (nearest neighbour, no blur).
    H * factor and W * factor must be even (yuv420p halves the colour planes)."""
    count, height, width, _ = frames.shape
    if (height * factor) % 2 or (width * factor) % 2:
        raise ValueError(f"{width * factor}x{height * factor} is odd; H.264 in yuv420p needs even sides")
    code, text = run(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", f"{fps:.6g}",
                      "-i", "pipe:0", "-vf", f"scale={width * factor}:{height * factor}:flags=neighbor",
                      "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                      "-movflags", "+faststart", "-y", f"file:{path.resolve()}"],
                     stdin=np.ascontiguousarray(frames).tobytes())
    if code != 0:
        raise RuntimeError(f"ffmpeg could not write {path.name}: {last_line(text)}")


def last_line(text: str) -> str:
    """ffmpeg's last message line, without the [component @ address] prefix."""
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    if not lines:
        return "no message"
    return re.sub(r"^\[[^\]]*\]\s*", "", lines[-1])[:200]

