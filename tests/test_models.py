"""Model families: shapes, seeded construction, batching, and the direction
in which each tuned knob moves the untrained spectrum."""

from __future__ import annotations

import pytest
import torch

from fresh_viz.models import FAMILIES, Siren, build, render, tuned_knob
from fresh_viz.signals import grid_coords
from fresh_viz.spectrum import mean_bin, spectrum


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("shape, channels", [((50,), 1), ((12, 10), 3), ((4, 6, 5), 2)])
def test_output_shape_for_1d_2d_3d(family, shape, channels):
    model = build(family, len(shape), channels, seeds=[0, 1], width=16, depth=2)
    coords = grid_coords(shape)
    out = model(coords)
    assert out.shape == (2, coords.shape[0], channels)
    assert torch.isfinite(out).all()
    assert render(model, coords, chunk=7).shape == (2, channels, coords.shape[0])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_seeded_construction_is_reproducible(family):
    a = build(family, 2, 3, seeds=[4], width=32)
    b = build(family, 2, 3, seeds=[4], width=32)
    c = build(family, 2, 3, seeds=[5], width=32)
    x = grid_coords((9, 9))
    assert torch.equal(a(x), b(x))
    assert not torch.equal(a(x), c(x))


@pytest.mark.parametrize("family", list(FAMILIES))
def test_ensemble_members_equal_single_models(family):
    knob = FAMILIES[family].knobs[0]
    low, high = knob.grid[0], knob.grid[-1]
    ensemble = build(family, 2, 3, seeds=[0, 1], width=32, values={knob.name: [low, high]})
    x = grid_coords((11, 13))
    out = ensemble(x)
    for member, (seed, value) in enumerate([(0, low), (1, high)]):
        single = build(family, 2, 3, seeds=[seed], width=32, values={knob.name: value})
        assert torch.allclose(out[member], single(x)[0], atol=1e-5)


def test_one_seed_draws_the_same_raw_weights_for_every_value():
    # The reference reseeds identically for every candidate value.
    a = build("siren", 2, 1, seeds=[3], values={"omega0": 10})
    b = build("siren", 2, 1, seeds=[3], values={"omega0": 200})
    for wa, wb in zip(a.weights, b.weights):
        assert torch.equal(wa, wb)


def test_siren_initialisation_follows_the_reference():
    model = Siren(2, 3, seeds=[0], width=256, depth=3)
    first, hidden, last = model.weights[0], model.weights[1], model.weights[-1]
    assert first.abs().max() <= 1 / 2 and first.abs().max() > 0.45  # U(-1/fan_in, 1/fan_in), fan_in = 2
    bound = (6 / 256) ** 0.5 / 30
    assert hidden.abs().max() <= bound and hidden.abs().max() > 0.95 * bound
    assert last.abs().max() <= bound


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("shape", [(2048,), (40, 40), (12, 12, 12)])
def test_raising_each_knob_moves_the_spectrum_up(family, shape):
    cls = FAMILIES[family]
    coords = grid_coords(shape)
    for base in cls.knobs:
        knob = base.for_ndim(len(shape))
        low, high = knob.grid[0], knob.grid[-1]
        seeds = [0, 1, 2]
        model = build(cls, len(shape), 1, seeds * 2, width=64, values={knob.name: [low] * 3 + [high] * 3})
        with torch.inference_mode():
            out = render(model, coords).reshape(6, 1, *shape)
        centre = mean_bin(spectrum(out, len(shape), 32, "symmetric"))
        assert centre[3:].mean() > centre[:3].mean(), f"{family} {knob.name}"


def test_knob_validation():
    with pytest.raises(ValueError, match="at most 16"):
        build("posenc", 2, 1, values={"frequencies": 40})
    with pytest.raises(ValueError, match="no knob"):
        build("siren", 2, 1, values={"sigma": 3})
    with pytest.raises(ValueError, match="non-negative"):
        build("siren", 2, 1, values={"omega0": float("nan")})
    with pytest.raises(ValueError, match="unknown model"):
        build("mystery", 2, 1)


def test_audio_uses_larger_log_spaced_grid():
    image_knob, audio_knob = tuned_knob(Siren, 2), tuned_knob(Siren, 1)
    assert image_knob.grid == tuple(float(v) for v in range(10, 201, 10))
    assert audio_knob.grid[-1] >= 10_000 and audio_knob.log
    ratios = [b / a for a, b in zip(audio_knob.grid, audio_knob.grid[1:])]
    assert max(ratios) / min(ratios) < 1.05  # geometric spacing


def test_every_family_declares_what_the_ui_and_sweep_need():
    for name, cls in FAMILIES.items():
        assert cls.name == name and cls.title and cls.lr > 0
        for knob in cls.knobs:
            assert knob.low <= knob.default <= knob.high
            assert all(knob.low <= v <= knob.high for v in knob.grid)
