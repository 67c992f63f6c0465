"""Peak memory of a fresh process loading long, large media: 4K and 8K clips of 200 frames,
a 1080p GIF of 200 frames, a 10-minute song.  Before the streaming loaders each of these
took gigabytes (or was refused); the bounds here are a small fraction of that.

Files are made with the bundled ffmpeg once per session.  Load times are recorded in
artifacts/media_memory.json, not asserted (they depend on the machine's load).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from media_files import big_gif, load_in_subprocess, long_wav, pattern_clip

pytestmark = pytest.mark.slow
REPORT = "media_memory.json"  # what the `report` fixture writes to artifacts/
MB = 2**20




def measured(report: dict, name: str, path: Path, **kwargs) -> dict:
    result = load_in_subprocess(path, kwargs)
    assert result["error"] is None, result
    report[name] = {"file_mb": round(path.stat().st_size / MB, 1), "seconds": round(result["seconds"], 2),
                    "peak_above_baseline_mb": round((result["peak"] - result["baseline"]) / MB, 1),
                    "ffmpeg_peak_mb": round(result["ffmpeg_peak"] / MB, 1), "shape": result["shape"], **kwargs}
    return result


@pytest.mark.parametrize("name, width, height, crf", [("4K", 3840, 2160, 40), ("8K", 7680, 4320, 45)])
def test_large_clips_load_in_bounded_memory(media, report, name, width, height, crf):
    clip = pattern_clip(media, width, height, 200, crf=crf)
    # The command line's default: every frame of 200 kept, at 128 px.
    result = measured(report, f"{name} MP4, 200 frames", clip)
    assert result["shape"] == [3, 200, 72, 128]
    assert result["peak"] - result["baseline"] < 128 * MB  # decoded in full: 5 GB (4K) or 20 GB (8K)
    assert result["ffmpeg_peak"] < 640 * MB
    # The app's CPU default: 16 frames at 64 px.
    small = measured(report, f"{name} MP4, 16 frames at 64 px", clip, size=64, frames=16)
    assert small["shape"] == [3, 16, 36, 64] and small["peak"] - small["baseline"] < 64 * MB


def test_a_large_gif_loads_in_bounded_memory(media, report):
    gif = big_gif(media, 1920, 1080, 200)
    result = measured(report, "1080p GIF, 200 frames", gif)
    assert result["shape"] == [3, 200, 72, 128]
    assert result["peak"] - result["baseline"] < 192 * MB  # every frame in full, as float64: 10 GB


def test_a_ten_minute_song_loads_a_window_without_reading_the_rest(media, report):
    song = long_wav(media, 10.0)
    result = measured(report, "10-minute 44.1 kHz stereo WAV", song)
    assert result["shape"] == [2, 132_300]  # the first 3 s
    assert result["peak"] - result["baseline"] < 32 * MB  # the file alone is 101 MB
    late = measured(report, "10-minute WAV, 20 s from 9:00", song, start=540.0, duration=20.0)
    assert late["shape"] == [2, 882_000] and late["peak"] - late["baseline"] < 48 * MB
    refused = load_in_subprocess(song, {"duration": float("inf")})
    assert "shorter duration" in refused["error"]  # 53 M samples: refused before decoding, not loaded
