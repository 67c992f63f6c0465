"""Race and sweep movies: real MP4s and GIFs of the right length, size and content."""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from fresh_viz import animation
from fresh_viz.animation import MAX_FRAMES, RaceFrame, frame_indices, race_animation, race_frames, sweep_animation
from fresh_viz.plots import FRESH_COLOUR, MODEL_COLOUR
from fresh_viz.signals import ffmpeg

NAMES = ["default ω₀=30", "ω₀=90"]
LIMIT = 5_000_000  # bytes: "a few MB" at most


def decoded_frames(path: Path) -> int:
    """Frames ffmpeg decodes from the whole file (every frame decoded, not just counted)."""
    code, text = ffmpeg.run([*ffmpeg.input_args(path), "-map", "0:v:0", "-f", "null", "-"])
    assert code == 0, ffmpeg.last_line(text)
    return int(re.findall(r"frame=\s*(\d+)", text)[-1])


def report(step: int, values: torch.Tensor, train: list[float], test: list[float]) -> SimpleNamespace:
    """What `fresh_viz.train.fit` yields, as far as the movies read it."""
    return SimpleNamespace(step=step, reconstruction=values, train_psnr=train, test_psnr=test)


def synthetic_race(target: torch.Tensor, reports: int, every: int = 10) -> list[RaceFrame]:
    """Two members whose reconstructions go from noise to `target` (C, *spatial), PSNR rising."""
    noise = torch.randn((2, *target.shape), generator=torch.Generator().manual_seed(0))
    frames = []
    for i in range(reports):
        done = i / max(1, reports - 1)
        mix = torch.stack([target * done, target * done**0.5]) + noise * (1 - done)
        frames.append(RaceFrame.from_progress(report(i * every, mix.clamp(-1, 1), [10 + 15 * done, 12 + 20 * done],
                                                     [9 + 12 * done, 10 + 14 * done])))
    return frames


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    y, x = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    return torch.stack([torch.sin(4 * x), torch.cos(3 * y), x * y])  # (3, 32, 32)


@pytest.fixture(scope="module")
def race(image) -> list[RaceFrame]:
    return synthetic_race(image, 12)


def test_a_race_mp4_decodes_to_one_frame_per_report(race, image, tmp_path):
    path = race_animation(race, NAMES, 110, tmp_path, "mp4", target=image)
    assert path.parent == tmp_path and path.suffix == ".mp4" and list(tmp_path.iterdir()) == [path]
    info = ffmpeg.probe(path)
    assert (info.width, info.height) == animation.MP4_SIZE and info.width % 2 == 0 and info.height % 2 == 0
    assert decoded_frames(path) == 12
    assert math.isclose(info.fps, animation.RACE_FPS, rel_tol=0.01)
    assert path.stat().st_size < LIMIT
    _, text = ffmpeg.run([*ffmpeg.input_args(path), "-f", "null", "-"])
    assert re.search(r"Video: h264 .*yuv420p", text)


def test_a_race_gif_has_one_frame_per_report_and_loops(race, image, tmp_path):
    path = race_animation(race, NAMES, 110, tmp_path, "gif", target=image)
    assert path.suffix == ".gif" and path.stat().st_size < LIMIT
    with Image.open(path) as gif:
        assert gif.n_frames == 12 and gif.size == animation.GIF_SIZE and gif.info.get("loop") == 0


def test_the_curves_grow_from_frame_to_frame(race, image):
    pictures = list(race_frames(race, NAMES, 110, target=image))
    assert len(pictures) == 12 and all(p.shape == (720, 1280, 3) and p.dtype == np.uint8 for p in pictures)
    plot = slice(int(0.65 * 720), int(0.9 * 720))  # inside the PSNR axes, below their legend
    curve = [np.sum([(np.abs(p[plot].astype(int) - colour(c)).sum(-1) < 30).sum() for c in (MODEL_COLOUR,
                                                                                             FRESH_COLOUR)])
             for p in pictures]
    assert curve[0] < curve[5] < curve[-1]  # more curve drawn as the race goes on
    assert not np.array_equal(pictures[0][plot], pictures[-1][plot])
    assert not np.array_equal(pictures[0][: 720 // 2], pictures[-1][: 720 // 2])  # the reconstructions change


def colour(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_the_frame_cap_spreads_reports_and_keeps_the_last():
    picks = frame_indices(500)
    assert len(picks) == MAX_FRAMES and picks[0] == 0 and picks[-1] == 499
    assert all(a < b for a, b in zip(picks, picks[1:]))
    assert frame_indices(12) == list(range(12)) and frame_indices(0) == [] and frame_indices(7, 1) == [6]
    with pytest.raises(ValueError):
        frame_indices(5, 0)


def test_a_long_race_is_capped_and_ends_on_its_last_report(image, tmp_path):
    frames = synthetic_race(image[:, :16, :16], 500)
    red = torch.tensor([1.0, -1.0, -1.0])[:, None, None].expand(3, 16, 16)
    frames[-1] = RaceFrame.from_progress(report(4990, torch.stack([red, red]), [30.0, 35.0], [28.0, 30.0]))
    path = race_animation(frames, NAMES, 5000, tmp_path, "mp4", max_frames=9)
    assert decoded_frames(path) == 9
    pictures = list(race_frames(frames, NAMES, 5000, max_frames=3))
    pure_red = [int(np.all(p == (255, 0, 0), axis=-1).sum()) for p in pictures]
    # The last report (pure red, where noise has only scattered red pixels) is the last frame.
    assert pure_red[-1] > 50_000 > 20 * max(pure_red[:-1])


def test_a_sweep_movie_has_one_frame_per_value(image, tmp_path):
    values = [10.0, 30.0, 60.0, 90.0, 120.0, 200.0]
    generator = torch.Generator().manual_seed(1)
    outputs = torch.randn(len(values), 3, 32, 32, generator=generator) * 1.5  # untrained: beyond [-1, 1] too
    spectra = torch.rand(len(values), 64, generator=generator)
    target_spectrum = torch.linspace(1, 0.1, 64)
    path = sweep_animation(values, outputs, spectra, image, target_spectrum, "ω₀", tmp_path, best=60.0)
    assert decoded_frames(path) == len(values) and path.stat().st_size < LIMIT
    gif = sweep_animation(values, outputs, spectra, image, target_spectrum, "ω₀", tmp_path, "gif")
    with Image.open(gif) as movie:
        assert movie.n_frames == len(values)
    pictures = list(animation.sweep_frames(values, outputs, spectra, image, target_spectrum, "ω₀"))
    assert len(pictures) == len(values) and not np.array_equal(pictures[0], pictures[-1])
    with pytest.raises(ValueError, match="one output and one spectrum per value"):
        sweep_animation(values[:-1], outputs, spectra, image, target_spectrum, "ω₀", tmp_path)


def test_audio_and_video_races_make_movies(tmp_path):
    wave = torch.sin(torch.linspace(0, 300, 5000))[None] * torch.linspace(1, 0.2, 5000)  # (1, L)
    audio = synthetic_race(wave, 5)
    assert audio[0].reconstructions.shape == (2, 1, 2 * animation.WAVE_COLUMNS)  # kept as its envelope
    assert decoded_frames(race_animation(audio, NAMES, 40, tmp_path, "mp4", target=wave)) == 5
    clip = torch.rand(3, 6, 20, 24, generator=torch.Generator().manual_seed(2)) * 2 - 1  # (C, T, H, W)
    video = synthetic_race(clip, 4)
    assert video[0].reconstructions.shape == (2, 3, 1, 20, 24)  # the middle frame only
    assert decoded_frames(race_animation(video, NAMES, 30, tmp_path, "mp4", target=clip)) == 4
    raw = [RaceFrame(i, torch.stack([clip, -clip]), [10.0 + i] * 2, [math.nan] * 2) for i in range(3)]
    with Image.open(race_animation(raw, NAMES, 2, tmp_path, "gif")) as movie:  # not compacted, nothing held out
        assert movie.n_frames == 3


def test_big_reconstructions_are_kept_small():
    big = torch.rand(2, 3, 600, 400) * 2 - 1
    kept = RaceFrame.from_progress(report(0, big, [1.0, 2.0], [1.0, 2.0])).reconstructions
    assert kept.dtype == torch.uint8 and max(kept.shape[-2:]) <= animation.STORE_SIDE


def test_files_stay_in_the_folder_given(race, tmp_path):
    path = race_animation(race[:2], NAMES, 10, tmp_path, "gif", name="../../escape")
    assert path.parent == tmp_path and ".." not in path.name
    with pytest.raises(FileNotFoundError):
        race_animation(race[:2], NAMES, 10, tmp_path / "missing", "mp4")
    with pytest.raises(ValueError, match="mp4 or gif"):
        race_animation(race[:2], NAMES, 10, tmp_path, "avi")
    with pytest.raises(ValueError, match="per member"):
        race_animation(race[:2], NAMES[:1], 10, tmp_path, "mp4")
    assert [p.suffix for p in tmp_path.iterdir()] == [".gif"]  # a refused call leaves no file


def test_noisy_movies_are_held_to_their_size_budgets(tmp_path, monkeypatch):
    noise = torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(3)) * 2 - 1  # the worst case for size
    race = synthetic_race(noise, 12)
    monkeypatch.setattr(animation, "MP4_BUDGET", 60_000)  # about a ninth of what this movie takes uncapped
    path = race_animation(race, NAMES, 110, tmp_path, "mp4", target=noise)
    assert path.stat().st_size < 1.2 * 60_000 and decoded_frames(path) == 12  # the rate is capped, not the frames
    monkeypatch.setattr(animation, "GIF_BUDGET", 1)  # no GIF fits: thinned to the first and last frames
    with Image.open(race_animation(race, NAMES, 110, tmp_path, "gif", target=noise)) as gif:
        assert gif.n_frames == 2
