"""Media files for the tests, made with the ffmpeg that imageio-ffmpeg ships.

Each maker writes into a folder and returns the path; a file already there is reused,
so a session-wide folder makes every clip once.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np

RATE = 44_100


def ffmpeg(*args: str, stdin: bytes | None = None) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   input=stdin, check=True)


def cached(path: Path, make) -> Path:
    if not path.exists():
        partial = path.with_name("partial-" + path.name)
        make(partial)
        partial.rename(path)
    return path


def tone(seconds: float, rate: int = RATE) -> np.ndarray:
    """(2, L) stereo test audio in [-0.8, 0.8]: a tone with a rising chirp, and a sweep."""
    t = np.arange(round(seconds * rate)) / rate
    left = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 3000 * t * (1 + t / 40))
    right = 0.6 * np.sin(2 * np.pi * (200 + 50 * t) * t)
    return np.stack([left, right])


def pcm16_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """(C, L) samples in [-1, 1] as 16-bit PCM, header written by hand."""
    raw = np.round(samples.T * 32767).astype("<i2").tobytes()
    channels = samples.shape[0]
    path.write_bytes(struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(raw), b"WAVE", b"fmt ", 16, 1, channels,
                                 rate, rate * 2 * channels, 2 * channels, 16, b"data", len(raw)) + raw)
    return path


def long_wav(folder: Path, minutes: float = 10.0) -> Path:
    """A 44.1 kHz stereo 16-bit WAV, written in one-minute pieces (never whole in memory)."""
    def make(path: Path) -> None:
        minute = np.round(tone(60.0).T * 32767).astype("<i2").tobytes()
        count = round(minutes)
        size = len(minute) * count
        with path.open("wb") as out:
            out.write(struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, 1, 2, RATE,
                                  RATE * 4, 4, 16, b"data", size))
            for _ in range(count):
                out.write(minute)
    return cached(folder / f"song-{minutes:g}min.wav", make)


CODECS = {".mp3": ["-c:a", "libmp3lame", "-b:a", "192k"], ".flac": ["-c:a", "flac"],
          ".ogg": ["-c:a", "libvorbis", "-q:a", "6"], ".opus": ["-c:a", "libopus", "-b:a", "128k"]}


def encoded_audio(folder: Path, source: Path, suffix: str) -> Path:
    """`source` encoded by ffmpeg as MP3, FLAC, OGG/Vorbis or Opus."""
    return cached(folder / f"{source.stem}{suffix}", lambda path: ffmpeg("-i", str(source), *CODECS[suffix], str(path)))


def pattern_clip(folder: Path, width: int, height: int, frames: int, fps: int = 30, crf: int = 40) -> Path:
    """An H.264 MP4 of ffmpeg's moving test pattern (ultrafast; a high crf keeps it small)."""
    def make(path: Path) -> None:
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}", "-frames:v", str(frames),
               "-c:v", "libx264", "-preset", "ultrafast", "-crf", str(crf), "-pix_fmt", "yuv420p", "-threads", "2",
               "-f", "mp4", str(path))
    return cached(folder / f"testsrc-{width}x{height}-{frames}.mp4", make)


def numbered_clip(folder: Path, frames: int, suffix: str = ".mp4", size: tuple[int, int] = (48, 64)) -> Path:
    """A clip whose frame i is flat grey at level 10 + 6 i (i < 40), losslessly coded where the
    container allows, so the frames a loader kept can be told apart."""
    height, width = size
    levels = (10 + 6 * (np.arange(frames) % 40)).astype(np.uint8)
    raw = np.repeat(levels, height * width * 3).tobytes()
    codec = {".mp4": ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p"],
             ".mkv": ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p"],
             ".mov": ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p"],
             ".webm": ["-c:v", "libvpx", "-crf", "4", "-b:v", "2M", "-pix_fmt", "yuv420p"],
             ".avi": ["-c:v", "mpeg4", "-q:v", "1", "-pix_fmt", "yuv420p"]}[suffix]
    muxer = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov", ".webm": "webm", ".avi": "avi"}[suffix]
    return cached(folder / f"numbered-{frames}-{width}x{height}{suffix}", lambda path: ffmpeg(
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", "10", "-i", "pipe:0", *codec,
        "-f", muxer, str(path), stdin=raw))


def big_gif(folder: Path, width: int, height: int, frames: int) -> Path:
    """An animated GIF of ffmpeg's flat-coloured test pattern, which LZW packs small."""
    return cached(folder / f"testsrc-{width}x{height}-{frames}.gif", lambda path: ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=10", "-frames:v", str(frames), "-f", "gif",
        str(path)))


# What a fresh process spends loading one file: run as `python -c MEASURE PATH KWARGS_JSON`.
MEASURE = """
import json, re, resource, sys, time
from fresh_viz.signals import load_signal

def status(key):
    return int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024

baseline = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # VmHWM starts again from the resident size now
start = time.perf_counter()
try:
    shape, error = list(load_signal(sys.argv[1], **json.loads(sys.argv[2])).values.shape), None
except Exception as err:
    shape, error = None, f"{type(err).__name__}: {str(err)[:200]}"
print(json.dumps({"seconds": time.perf_counter() - start, "baseline": baseline, "peak": status("VmHWM"),
                  "ffmpeg_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
                  "shape": shape, "error": error}))
"""


def load_in_subprocess(path: Path, kwargs: dict | None = None, code_root: Path | None = None,
                       address_space: int | None = None, timeout: float = 600) -> dict:
    """Load `path` in a new Python process: seconds, resident bytes before (baseline) and at the
    peak of loading, the largest ffmpeg child's peak, the shape or the error.  `code_root` puts
    another checkout of fresh_viz first on the path; `address_space` caps the process's memory."""
    import json
    import os
    import resource
    import sys

    env = dict(os.environ, PYTHONPATH=str(code_root or Path(__file__).resolve().parent.parent))

    def cap() -> None:
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), json.dumps(kwargs or {})], env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=cap)
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Make the large test files in a folder and print what loading each costs, as JSON lines:
    `python tests/media_files.py FOLDER [--code-root CHECKOUT] [--address-space GIB]`."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--code-root", type=Path, default=None, help="another checkout of fresh_viz to measure")
    parser.add_argument("--address-space", type=float, default=None, help="cap on the loading process, GiB")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    song = long_wav(args.folder, 10.0)
    files = {"4K MP4, 200 frames": pattern_clip(args.folder, 3840, 2160, 200),
             "8K MP4, 200 frames": pattern_clip(args.folder, 7680, 4320, 200, crf=45),
             "1080p GIF, 200 frames": big_gif(args.folder, 1920, 1080, 200),
             "10-minute WAV": song, **{f"10-minute {suffix[1:].upper()}": encoded_audio(args.folder, song, suffix)
                                       for suffix in (".mp3", ".flac", ".ogg")}}
    cap = int(args.address_space * 2**30) if args.address_space else None
    for name, path in files.items():
        result = load_in_subprocess(path, code_root=args.code_root, address_space=cap)
        peak = result.get("peak", 0) - result.get("baseline", 0)
        print(json.dumps({"file": name, "mb": round(path.stat().st_size / 2**20, 1),
                          "seconds": round(result.get("seconds", 0), 2), "peak_above_baseline_mb": round(peak / 2**20),
                          "ffmpeg_peak_mb": round(result.get("ffmpeg_peak", 0) / 2**20), "shape": result.get("shape"),
                          "error": result.get("error")}), flush=True)


if __name__ == "__main__":
    main()
