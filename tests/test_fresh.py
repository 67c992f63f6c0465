"""The FreSh selection sweep."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fresh_viz.fresh import FAST_RULE, Sweep, fast_sweep, select_embedding
from fresh_viz.models import build, render
from fresh_viz.signals import Signal, grid_coords, make_preset
from fresh_viz.spectrum import paper_spectrum, spectrum, wasserstein


@pytest.fixture(scope="module")
def smooth_and_busy():
    return make_preset("blobs", 48), make_preset("zoneplate", 48)


def test_low_and_high_frequency_signals_pick_values_in_order(smooth_and_busy):
    smooth, busy = smooth_and_busy
    values = [10, 40, 80, 160]
    low = select_embedding(smooth, "siren", values, seeds=3, width=64)
    high = select_embedding(busy, "siren", values, seeds=3, width=64)
    assert low.best == 10
    assert high.best >= 80
    for family in ("fourier", "posenc"):
        grid = [1, 4, 12] if family == "fourier" else [1, 4, 12]
        assert (select_embedding(smooth, family, grid, seeds=3, width=64).best
                < select_embedding(busy, family, grid, seeds=3, width=64).best), family


def test_selection_reports_mean_stderr_and_argmin(smooth_and_busy):
    _, busy = smooth_and_busy
    seen = []
    result = select_embedding(busy, "siren", [20, 60], seeds=4, bins=32, width=32,
                              progress=lambda f, msg: seen.append(f))
    assert result.values == [20.0, 60.0] and result.seed_counts == [4, 4]
    assert len(result.distance) == len(result.stderr) == 2
    assert all(e > 0 for e in result.stderr)
    assert result.best == result.values[min(range(2), key=lambda i: result.distance[i])]
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    assert set(result.to_json()) >= {"model", "param", "values", "distance", "stderr", "best", "seconds", "device"}


def test_distances_equal_a_direct_computation(smooth_and_busy):
    smooth, _ = smooth_and_busy
    sweep = Sweep(smooth, "siren", bins=16, width=32)
    sweep.evaluate([30.0], [0, 1])
    for seed in (0, 1):
        model = build("siren", 2, 1, [seed], 32, values={"omega0": 30.0})
        with torch.inference_mode():
            out = render(model, grid_coords((48, 48))).reshape(1, 1, 48, 48)
        expected = wasserstein(spectrum(out, 2, 16), spectrum(smooth.values, 2, 16))
        assert sweep.distances[(30.0, seed)] == pytest.approx(expected.item(), rel=1e-4)


def test_first_value_wins_ties(smooth_and_busy):
    smooth, _ = smooth_and_busy
    result = select_embedding(smooth, "siren", [30, 30, 50], seeds=1, width=16)
    assert result.values == [30.0, 50.0]  # duplicates evaluated once
    sweep = Sweep(smooth, "siren", width=16)
    sweep.distances = {(1.0, 0): 0.5, (2.0, 0): 0.5, (3.0, 0): 0.7}
    sweep.member_spectra = {k: torch.zeros(4) for k in sweep.distances}
    assert sweep.summary(0.0).best == 1.0


def test_standard_error_uses_n_as_the_reference_does(smooth_and_busy):
    _, busy = smooth_and_busy
    result = select_embedding(busy, "siren", [40, 90], seeds=4, bins=32, width=16)
    sweep = Sweep(busy, "siren", bins=32, width=16)
    sweep.evaluate([40.0], range(4))
    distances = [sweep.distances[(40.0, s)] for s in range(4)]
    assert result.stderr[0] == pytest.approx(np.std(distances) / math.sqrt(4), rel=1e-9)  # np.std: ddof = 0
    assert result.distance[0] == pytest.approx(np.mean(distances), rel=1e-9)


class ScriptedSweep(Sweep):
    """A sweep whose distances come from a formula, so the fast mode's stages can be watched."""

    def __init__(self, signal, distance):
        super().__init__(signal, "siren", width=8, depth=1)
        self.distance, self.batches = distance, []

    def evaluate(self, values, seeds, progress=None):
        self.batches.append((sorted(values), list(seeds)))
        for v in values:
            for s in seeds:
                self.distances[(float(v), s)] = self.distance(float(v), s)
                self.member_spectra[(float(v), s)] = torch.zeros(2)


def test_fast_mode_refines_near_ties_and_adds_seeds(smooth_and_busy):
    """Two close minima (at 60 and 80) with seed noise: the coarse pass (every other value)
    finds a tie around both, the neighbours stage evaluates the values next to the tied
    ones, and extra seeds go only to the values still within 2 standard errors of the
    leader, within the budget."""
    smooth, _ = smooth_and_busy
    grid = [float(v) for v in range(10, 201, 10)]
    noise = [0.3, -0.25, 0.2, -0.3, 0.1, -0.1, 0.25, -0.2, 0.05, -0.05]
    sweep = ScriptedSweep(smooth, lambda v, s: min(abs(v - 60), abs(v - 80) + 0.5) / 10 + noise[s])
    fast_sweep(sweep, grid, seeds=10)
    coarse, neighbours, *extra = sweep.batches
    assert coarse == ([v for v in grid[::2]] + [200.0], [0, 1])
    assert {60.0, 80.0} <= set(neighbours[0]) and neighbours[1] == [0, 1]  # both minima lie between coarse values
    assert extra and all(len(seeds) == 1 for _, seeds in extra)  # then one seed at a time for the tied values
    result = sweep.summary(0.0, grid, 10, fast=True)
    assert max(result.seed_counts) > 2 and min(result.seed_counts) == 2
    assert sum(result.seed_counts) <= 0.2 * len(grid) * 10
    assert result.best == 60.0 and result.fast_rule == FAST_RULE and result.rule == "paper"


def test_fast_mode_agrees_with_full_sweep_within_one_step(smooth_and_busy):
    for signal in smooth_and_busy:
        full = select_embedding(signal, "siren", seeds=5, width=32)
        fast = select_embedding(signal, "siren", seeds=5, width=32, fast=True)
        grid = list(full.values)
        assert abs(grid.index(full.best) - grid.index(fast.best)) <= 1
        assert sum(fast.seed_counts) <= sum(full.seed_counts) / 2


def test_finer_second_knob_and_bad_arguments(smooth_and_busy):
    smooth, _ = smooth_and_busy
    result = select_embedding(smooth, "finer", [0.0, 1.0], knob="bias_scale", seeds=2, width=16)
    assert result.param == "bias_scale"
    with pytest.raises(ValueError, match="no knob"):
        select_embedding(smooth, "siren", [1.0], knob="sigma")
    with pytest.raises(ValueError, match="seeds"):
        select_embedding(smooth, "siren", [1.0], seeds=0)


def test_other_modes_and_non_square_images():
    coffee = make_preset("coffee", 64)  # 64 x 43
    for mode in ("paper", "symmetric", "radial"):
        result = select_embedding(coffee, "siren", [20, 80], seeds=2, width=16, mode=mode)
        assert result.mode == mode and len(result.distance) == 2


def test_paper_mode_evaluates_non_square_images_on_their_own_grid():
    """The reference: the model on the image's H x W grid, then the output resized exactly like
    the target (bilinear, antialiased, to min(H, W) square) before the DFT; no clamping."""
    coffee = make_preset("coffee", 48)  # 32 x 48
    sweep = Sweep(coffee, "siren", bins=16, width=32, depth=2)
    sweep.evaluate([90.0], [3])
    model = build("siren", 2, 3, [3], 32, 2, {"omega0": 90.0})
    with torch.inference_mode():
        own = render(model, grid_coords((32, 48))).reshape(1, 3, 32, 48)
        square = render(model, grid_coords((32, 32))).reshape(1, 3, 32, 32)
    resize = lambda y: F.interpolate(y, size=(32, 32), mode="bilinear", antialias=True)  # noqa: E731
    target = spectrum(resize(coffee.values.unsqueeze(0)), 2, 16)
    expected = wasserstein(spectrum(resize(own), 2, 16), target).item()
    assert sweep.distances[(90.0, 3)] == pytest.approx(expected, rel=1e-4)
    assert expected != pytest.approx(wasserstein(spectrum(square, 2, 16), target).item(), rel=1e-3)
    preview = sweep.preview(90.0, 3)
    assert preview.output.shape == (3, 32, 32) and preview.output.abs().max() > 1  # a model's values, unclamped


def test_paper_mode_compares_video_frame_by_frame():
    """Seed s evaluates one frame (time input 0, as the reference saves untrained frames) and pairs
    it with the target frame drawn with seed s (the reference pairs one random output frame with the
    target frame of that index)."""
    g = torch.Generator().manual_seed(0)
    clip = Signal(torch.rand(1, 6, 12, 16, generator=g) * 2 - 1, "video", "noise")
    sweep = Sweep(clip, "siren", bins=8, width=16, depth=1)
    assert sweep.grid == (12, 12)
    sweep.evaluate([30.0, 60.0], range(4))
    frames = [sweep.frame(s) for s in range(4)]
    assert len(set(frames)) > 1 and frames == [sweep.frame(s) for s in range(4)]
    resize = lambda y: F.interpolate(y, size=(12, 12), mode="bilinear", antialias=True)  # noqa: E731
    for seed, frame in enumerate(frames):
        model = build("siren", 3, 1, [seed], 16, 1, {"omega0": 60.0})
        frame_at_zero = torch.cat([torch.zeros(12 * 16, 1), grid_coords((12, 16))], 1)
        with torch.inference_mode():
            out = render(model, frame_at_zero).reshape(1, 1, 12, 16)
        target = spectrum(resize(clip.values[:, frame].unsqueeze(0)), 2, 8)
        expected = wasserstein(spectrum(resize(out), 2, 8), target).item()
        assert sweep.distances[(60.0, seed)] == pytest.approx(expected, rel=1e-4)
    preview = sweep.preview(60.0, 1)
    assert preview.target_spectrum.shape == (8,) and preview.output.shape == (1, 12, 12)


def test_paper3d_compares_the_clip_as_a_cube():
    g = torch.Generator().manual_seed(1)
    clip = Signal(torch.rand(2, 5, 8, 9, generator=g) * 2 - 1, "video", "noise")
    sweep = Sweep(clip, "siren", bins=6, mode="paper3d", width=16, depth=1)
    assert sweep.grid == (5, 5, 5)
    sweep.evaluate([40.0], [2])
    model = build("siren", 3, 2, [2], 16, 1, {"omega0": 40.0})
    with torch.inference_mode():
        out = render(model, grid_coords((5, 8, 9))).reshape(2, 5, 8, 9)
    cube = lambda y: F.interpolate(y.unsqueeze(0), size=[5, 5, 5], mode="trilinear").squeeze(0)  # noqa: E731
    expected = wasserstein(paper_spectrum(cube(out))[:6], paper_spectrum(cube(clip.values))[:6]).item()
    assert sweep.distances[(40.0, 2)] == pytest.approx(expected, rel=1e-4)


def test_selection_records_every_setting(smooth_and_busy):
    smooth, _ = smooth_and_busy
    result = select_embedding(smooth, "finer", [20, 40], seeds=2, bins=16, width=16, depth=1)
    assert result.settings == {"model": "finer", "param": "omega0", "candidates": [20.0, 40.0], "seeds": 2,
                               "bins": 16, "mode": "paper", "width": 16, "depth": 1, "fixed": {"bias_scale": 0.0},
                               "fast": False, "fast_rule": None, "rule": "paper", "shape": [48, 48]}
    again = Sweep(smooth, "finer", None, 16, "paper", 16, 1)
    assert again.settings([40, 20], 2, False) == result.settings  # what a cache check compares
    assert again.settings([40, 20], 3, False) != result.settings
    held = select_embedding(smooth, "finer", [0.5], knob="bias_scale", seeds=1, width=8, depth=1,
                            fixed={"omega0": 45.0})
    assert held.fixed == {"omega0": 45.0} and held.to_json()["fixed"] == {"omega0": 45.0}


def test_time_cap_returns_what_was_done(smooth_and_busy):
    import time

    smooth, _ = smooth_and_busy
    sweep = Sweep(smooth, "siren", width=16)
    sweep.evaluate([10.0, 20.0, 30.0], [0])
    sweep.deadline = time.perf_counter() - 1.0  # the cap passes before the next batch's first chunk
    sweep.evaluate([10.0, 20.0, 30.0], [1, 2])
    capped = sweep.summary(0.0)
    assert capped.stopped and capped.seed_counts == [1, 1, 1]  # what was done before the cap
    assert not select_embedding(smooth, "siren", [10, 20], seeds=2, width=16).stopped
    with pytest.raises(ValueError, match="time cap ended the sweep before one value"):
        select_embedding(smooth, "siren", [10, 20, 30], seeds=5, width=16, max_seconds=0.0)


def test_time_cap_holds_inside_one_evaluation():
    import time

    from fresh_viz.models import OutOfTime, render

    calls = []

    def slow_model(points):
        calls.append(len(points))
        time.sleep(0.05)
        return points.new_zeros(1, len(points), 1)

    coords = torch.zeros(1000, 2)
    with pytest.raises(OutOfTime):
        render(slow_model, coords, chunk=10, deadline=time.perf_counter() + 0.12)
    assert 2 <= len(calls) <= 4  # of 100 chunks: it stopped at the first chunk after the cap
    assert render(slow_model, coords[:20], chunk=10).shape == (1, 1, 20)


def test_video_frames_are_seen_at_time_zero():
    """Paper mode pairs a seed's untrained frame with a target frame; the model sees that frame with
    its time input at 0, as the reference saves its untrained video frames."""
    signal = make_preset("orbit", 16)
    sweep = Sweep(signal, "siren", width=16, depth=1)
    output = sweep.outputs([30.0], seed=3)[0]  # (C, H, W)
    model = build("siren", 3, signal.channels, [3], 16, 1, {"omega0": 30.0})
    frame = grid_coords(signal.spatial_shape[1:])
    own_time = torch.linspace(-1, 1, signal.spatial_shape[0])[sweep.frame(3)]
    with torch.no_grad():
        for t, same in ((0.0, True), (own_time, False)):
            seen = model(torch.cat([torch.full((len(frame), 1), float(t)), frame], 1))[0].T.reshape(output.shape)
            assert torch.allclose(seen, output, atol=1e-6) == same
