"""The FreSh selection sweep."""

from __future__ import annotations

import pytest
import torch

from fresh_viz.fresh import Sweep, select_embedding
from fresh_viz.signals import make_preset
from fresh_viz.spectrum import wasserstein


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
    from fresh_viz.models import build, render
    from fresh_viz.signals import grid_coords
    from fresh_viz.spectrum import spectrum

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


def test_time_cap_returns_what_was_done(smooth_and_busy):
    smooth, _ = smooth_and_busy
    capped = select_embedding(smooth, "siren", [10, 20, 30], seeds=5, width=16, max_seconds=0.0)
    assert capped.stopped and capped.seed_counts == [1, 1, 1]  # the first seed's batch, then the cap
    assert not select_embedding(smooth, "siren", [10, 20], seeds=2, width=16).stopped
