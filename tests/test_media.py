"""Audio windows and compressed formats, video frames spread across a clip and shrunk while
decoding, the writers for playback.  Every file is made here with the bundled ffmpeg."""

from __future__ import annotations

import json
import math
import subprocess
import tracemalloc
from pathlib import Path

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest
import soundfile
import torch
from media_files import RATE, big_gif, encoded_audio, ffmpeg, numbered_clip, pattern_clip, pcm16_wav, tone
from PIL import Image

from fresh_viz.__main__ import main
from fresh_viz.signals import (
    DEFAULT_AUDIO_SECONDS,
    SignalError,
    audio,
    load_signal,
    to_unit_range,
    video,
    write_audio,
    write_video,
)


@pytest.fixture(scope="module")
def source(media) -> Path:
    """20 s of stereo 44.1 kHz test audio as 16-bit WAV."""
    path = media / "tone-20s.wav"
    return path if path.exists() else pcm16_wav(path, tone(20.0))


def expected_window(start: float, seconds: float) -> np.ndarray:
    """The source's samples in the window as the loader should scale them (by the window's peak)."""
    first = round(start * RATE)
    part = np.round(tone(20.0)[:, first : first + round(seconds * RATE)] * 32767) / 32767
    return part / np.abs(part).max()


# ---------------------------------------------------------------- audio


@pytest.mark.parametrize("suffix, max_error, rms_error", [(".wav", 1e-6, 1e-7), (".flac", 1e-6, 1e-7),
                                                          (".mp3", 0.02, 0.002), (".ogg", 0.1, 0.01)])
def test_compressed_audio_matches_its_source(media, source, suffix, max_error, rms_error):
    path = source if suffix == ".wav" else encoded_audio(media, source, suffix)
    signal = load_signal(path, start=12.5, duration=2.0)
    assert signal.kind == "audio" and signal.sample_rate == RATE
    assert signal.values.shape == (2, 2 * RATE) and signal.values.dtype == torch.float32
    assert signal.window.start == 12.5 and signal.window.duration == 2.0
    assert signal.window.total == pytest.approx(20.0, abs=0.03)  # MP3 and Vorbis pad the last block
    error = signal.values.numpy() - expected_window(12.5, 2.0)
    assert np.abs(error).max() < max_error and np.sqrt((error**2).mean()) < rms_error


def test_opus_loads_at_its_own_rate(media, source):
    signal = load_signal(encoded_audio(media, source, ".opus"), start=5.0, duration=1.5)
    assert signal.sample_rate == 48_000 and signal.values.shape == (2, 72_000)


def test_the_default_window_and_one_that_runs_past_the_end(source):
    signal = load_signal(source)
    assert signal.window.start == 0 and signal.window.duration == DEFAULT_AUDIO_SECONDS
    assert signal.values.shape[1] == DEFAULT_AUDIO_SECONDS * RATE
    np.testing.assert_allclose(signal.values.numpy(), expected_window(0.0, DEFAULT_AUDIO_SECONDS), atol=1e-6)
    tail = load_signal(source, start=19.0, duration=5.0)
    assert tail.window.duration == pytest.approx(1.0) and tail.values.shape == (2, RATE)
    everything = load_signal(source, duration=math.inf)
    assert everything.window.duration == pytest.approx(20.0) and everything.values.shape == (2, 20 * RATE)
    with pytest.raises(SignalError, match="cannot start at 25"):
        load_signal(source, start=25.0)
    with pytest.raises(SignalError, match="positive"):
        load_signal(source, duration=0.0)


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3", ".ogg"])
def test_only_the_window_is_decoded(media, source, suffix, monkeypatch):
    """The loader seeks to the window and asks the decoder for the window's frames, no more:
    the decoder is never placed before or past the window (soundfile itself re-seeks to
    the current position after each read)."""
    path = source if suffix == ".wav" else encoded_audio(media, source, suffix)
    seeks, reads = [], []
    real_seek, real_read = soundfile.SoundFile.seek, soundfile.SoundFile.read

    def seek(self, frames, whence=soundfile.SEEK_SET):
        if whence == soundfile.SEEK_SET:
            seeks.append(frames)
        return real_seek(self, frames, whence)

    monkeypatch.setattr(soundfile.SoundFile, "seek", seek)
    monkeypatch.setattr(soundfile.SoundFile, "read", lambda self, frames=-1, **kw: reads.append(frames) or
                        real_read(self, frames, **kw))
    signal = load_signal(path, start=15.0, duration=0.5)
    assert seeks[0] == 15 * RATE and all(15 * RATE <= at <= 15.5 * RATE for at in seeks)
    assert sum(reads) == RATE // 2 == signal.values.shape[1] and all(0 < n <= audio.BLOCK_FRAMES for n in reads)


def test_a_window_with_too_many_samples_is_refused_before_decoding(source, monkeypatch):
    monkeypatch.setattr(audio, "MAX_SAMPLES", 100_000)
    monkeypatch.setattr(audio, "_read", lambda *a: pytest.fail("decoded a window over the limit"))
    with pytest.raises(SignalError, match="shorter duration"):
        load_signal(source, duration=2.0)  # 2 channels x 88,200 samples


def test_cli_says_which_window_it_analysed(source, capsys, tmp_path):
    argv = ["select", str(source), "--start", "1.5", "--duration", "0.25", "--seeds", "1", "--values", "1000,3000",
            "--width", "16", "--depth", "1"]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["window"] == {"start": 1.5, "duration": 0.25, "total": 20.0}
    assert main(argv) == 0
    assert "1.50 s to 1.75 s of 20.00 s" in capsys.readouterr().out
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(tmp_path / "x.png")
    assert main(["select", str(tmp_path / "x.png"), "--start", "2", "--seeds", "1"]) == 2
    assert "audio files only" in capsys.readouterr().err


# ---------------------------------------------------------------- video


def grey_levels(values: torch.Tensor) -> np.ndarray:
    """The flat grey level of each frame of (C, T, H, W) in [-1, 1], in 0..255."""
    return ((values.mean(dim=(0, 2, 3)) + 1) * 127.5).numpy()


def spread_by_hand(total: int, keep: int) -> list[int]:
    return [math.floor(j * (total - 1) / (keep - 1) + 0.5) for j in range(keep)] if keep > 1 else [0]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov", ".webm", ".avi"])
def test_kept_frames_are_spread_across_the_clip(media, suffix):
    path = numbered_clip(media, 40, suffix)
    signal = load_signal(path, frames=7)
    assert signal.kind == "video" and signal.values.shape == (3, 7, 48, 64)
    expected = 10 + 6 * np.array(spread_by_hand(40, 7))
    np.testing.assert_allclose(grey_levels(signal.values), expected, atol=2.5)
    assert signal.window.total == pytest.approx(4.0, abs=0.11) and signal.sample_rate == pytest.approx(7 / 4, 0.03)


@pytest.mark.parametrize("keep", [2, 13, 39, 40, 256])
def test_frame_selection_in_ffmpeg_agrees_with_the_plan(media, keep):
    assert video.spread(40, 1).tolist() == [0]  # one frame alone is flat grey here: a constant signal
    path = numbered_clip(media, 40)
    values = load_signal(path, frames=keep).values
    picks = spread_by_hand(40, min(keep, 40))
    assert video.spread(40, keep).tolist() == picks
    np.testing.assert_allclose(grey_levels(values), 10 + 6 * np.array(picks), atol=1.5)


def test_frames_are_shrunk_while_decoding(media):
    signal = load_signal(pattern_clip(media, 320, 180, 12), 64, frames=5)
    assert signal.values.shape == (3, 5, 36, 64) and signal.values.dtype == torch.float32
    assert -1 <= signal.values.min() < signal.values.max() <= 1
    default = load_signal(pattern_clip(media, 320, 180, 12))  # the default frame size, all 12 frames
    assert default.values.shape == (3, 12, 72, 128)


def test_the_rotation_a_phone_records_is_applied(media, tmp_path):
    turned = tmp_path / "portrait.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(pattern_clip(media, 320, 180, 12)), "-c", "copy", str(turned))
    assert load_signal(turned, 64).values.shape == (3, 12, 64, 36)


def test_huge_frames_are_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "wide.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:size=8000x6000:rate=1", "-frames:v", "1", "-c:v", "libx264",
           "-preset", "ultrafast", str(path))
    monkeypatch.setattr(video.ffmpeg, "decode_frames", lambda *a: pytest.fail("decoded a frame over the limit"))
    with pytest.raises(SignalError, match="8000x6000; the limit"):
        load_signal(path)


def test_a_truncated_clip_gives_what_it_has_or_a_clear_error(media, tmp_path):
    data = pattern_clip(media, 320, 180, 12).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(SignalError, match="not a readable video|could not be decoded|no frames"):
        load_signal(tmp_path / "cut.mp4")


def test_gif_frames_are_shrunk_and_spread(tmp_path):
    frames = [Image.fromarray(np.full((200, 300), 10 + 20 * i, np.uint8)) for i in range(9)]
    frames[0].save(tmp_path / "g.gif", save_all=True, append_images=frames[1:], duration=50)
    signal = load_signal(tmp_path / "g.gif", 64, frames=3)
    assert signal.values.shape == (3, 3, 43, 64)
    np.testing.assert_allclose(grey_levels(signal.values), [10, 90, 170], atol=0.5)
    assert signal.window.total == pytest.approx(0.45) and signal.sample_rate == pytest.approx(3 / 0.45)


def test_big_gif_keeps_frames_at_analysis_size(media):
    signal = load_signal(big_gif(media, 640, 360, 30), frames=4)
    assert signal.values.shape == (3, 4, 72, 128)


def test_to_unit_range_makes_no_float64_copy():
    ramp = np.arange(2_000_000, dtype=np.uint32).reshape(1000, 2000) % 251
    tracemalloc.start()
    out = to_unit_range(ramp.astype(np.uint8))  # the uint8 copy is 2 MB, the float32 result 8 MB
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out.dtype == np.float32 and out.min() == -1 and out.max() == 1
    assert peak < 11 * 2**20  # a float64 copy alone would be 16 MB


# ---------------------------------------------------------------- writers for playback


def test_write_audio_round_trips(tmp_path):
    samples = np.stack([np.linspace(-1, 1, 800), 0.5 * np.sin(np.arange(800) / 7)])
    path = write_audio(torch.from_numpy(samples), 8000, tmp_path, "race target")
    assert path.parent == tmp_path and path.suffix == ".wav" and path.name.startswith("race_target-")
    data, rate = soundfile.read(path, dtype="float64", always_2d=True)
    assert rate == 8000 and data.shape == (800, 2)
    np.testing.assert_allclose(data.T, samples, atol=1 / 32767)
    loud = write_audio(samples * 3, 8000, tmp_path)  # an untrained output may leave [-1, 1]: clipped
    assert np.abs(soundfile.read(loud)[0]).max() <= 1.0 and loud != path


def ffmpeg_describes(path: Path) -> str:
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True)
    return done.stderr


@pytest.mark.parametrize("channels, height, width, expected", [(3, 48, 64, (192, 256)), (1, 5, 7, (180, 252)),
                                                               (4, 300, 200, (300, 200))])
def test_write_video_plays_as_h264(tmp_path, channels, height, width, expected):
    rng = np.random.default_rng(0)
    clip = torch.from_numpy(rng.uniform(-1, 1, (channels, 6, height, width)).astype(np.float32))
    clip[:, :, : height // 2] = -1  # a dark top half to find again
    path = write_video(clip, 4.0, tmp_path, "clip")
    assert path.parent == tmp_path and path.suffix == ".mp4"
    text = ffmpeg_describes(path)
    assert "Video: h264" in text and "yuv420p" in text and f"{expected[1]}x{expected[0]}" in text
    frames = iio.imread(path, plugin="FFMPEG")  # imageio's own reader, not ours
    assert frames.shape == (6, *expected, 3)
    top, bottom = frames[:, : expected[0] // 2 - 8].mean(), frames[:, expected[0] // 2 + 8 :].mean()
    assert top < 20 and 90 < bottom < 165


def test_written_video_loads_back_at_its_size(tmp_path):
    clip = torch.linspace(-1, 1, 5).view(1, 5, 1, 1).expand(3, 5, 8, 8)
    path = write_video(clip, 10.0, tmp_path)
    back = load_signal(path, 8)
    assert back.values.shape == (3, 5, 8, 8)
    np.testing.assert_allclose(grey_levels(back.values), np.linspace(0, 255, 5), atol=3)
