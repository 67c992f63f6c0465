"""Model families: shapes, seeded construction, batching, and the direction
in which each tuned knob moves the untrained spectrum."""

from __future__ import annotations

import pytest
import torch

from fresh_viz.models import FAMILIES, Siren, build, held_values, render, tuned_knob
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


def in_float64(model: torch.nn.Module) -> torch.nn.Module:
    """The model with its real tensors in float64 and its complex ones in complex128 (Module.to(float64)
    would drop the imaginary parts); integer tensors as they are."""
    for tensor in [*model.parameters(), *model.buffers()]:
        if tensor.is_complex():
            tensor.data = tensor.data.to(torch.complex128)
        elif tensor.is_floating_point():
            tensor.data = tensor.data.double()
    return model


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("shape", [(50,), (12, 10), (4, 6, 5)])
def test_shared_layers_give_the_plain_forward(family, shape):
    """Members sharing a seed share every layer no knob touches; the shared evaluation
    (one product over all members) must equal independent members run the plain way.

    Compared in float64: the audio grids put ω₀ in the thousands, and a sine's argument of a few
    thousand carries about 1e-3 of float32 round-off in whichever order the products run, which
    depends on the CPU kernels the BLAS picks.  In float64 that round-off is about 1e-12, so
    1e-9 leaves a thousandfold margin and still sees any member or layer mixed up."""
    cls, coords = FAMILIES[family], grid_coords(shape).double()
    for base in cls.knobs:
        knob = base.for_ndim(len(shape))
        values = {**held_values(cls, len(shape), knob.name), knob.name: list(knob.grid[::6])}
        members = len(values[knob.name])
        shared = in_float64(build(cls, len(shape), 3, [7] * members, width=24, depth=2, values=values, shared=True))
        plain = in_float64(build(cls, len(shape), 3, [7] * members, width=24, depth=2, values=values))
        with torch.inference_mode():
            fused = shared(coords)
        assert shared._shared_from() is not None  # the one-product path really ran
        assert fused.dtype == torch.float64
        assert torch.allclose(fused, plain(coords), rtol=0, atol=1e-9), f"{family} {knob.name}"


def test_shared_copies_only_the_layers_a_knob_touches():
    finer = build("finer", 2, 3, [0] * 3, width=16, values={"bias_scale": [0.0, 1.0, 2.0]}, shared=True)
    assert finer.biases[0].shape[0] == 3 and finer.weights[0].shape[0] == 1  # k sets the first bias only
    assert all(w.shape[0] == 1 for w in finer.weights[1:])
    posenc = build("posenc", 2, 3, [0] * 2, width=16, values={"frequencies": [2, 9]}, shared=True)
    assert posenc.weights[0].shape[0] == 2 and posenc.weights[1].shape[0] == 1
    grid = build("hashgrid", 2, 3, [0] * 4, values={"finest_resolution": [16, 64, 256, 1024]}, shared=True)
    assert grid.table.shape[0] == 1  # one table, read at four resolutions


def test_family_defaults_and_held_values():
    assert build("hashgrid", 2, 3).width == 64 and build("hashgrid", 2, 3).depth == 1
    assert build("siren", 2, 3).width == 256
    assert held_values(FAMILIES["finer"], 2, "omega0") == {"bias_scale": 0.0}
    assert held_values(FAMILIES["finer"], 2, "bias_scale") == {"omega0": 30.0}
    assert held_values(FAMILIES["wire"], 2, "omega0") == {"scale0": 10.0}
    assert held_values(FAMILIES["siren"], 1, "omega0") == {}
    # FINER's default first-layer bias is PyTorch's default for fan_in = d: U(±1/sqrt(d)).
    assert [tuned_knob(FAMILIES["finer"], d, "bias_scale").default for d in (1, 2, 3)] == pytest.approx(
        [1.0, 2**-0.5, 3**-0.5], abs=1e-6)
    assert tuned_knob(FAMILIES["siren"], 1).default == 3000 and build("siren", 1, 1).omega0.item() == 3000


# WIRE's untrained output is broadband noise on 2-D and 3-D grids whatever ω₀ and s₀: only audio moves.
KNOB_CASES = [(family, shape) for family in FAMILIES for shape in [(2048,), (40, 40), (12, 12, 12)]
              if family != "wire" or len(shape) == 1]


@pytest.mark.parametrize("family, shape", KNOB_CASES)
def test_raising_each_knob_moves_the_spectrum_up(family, shape):
    cls = FAMILIES[family]
    coords = grid_coords(shape)
    for base in cls.knobs:
        knob = base.for_ndim(len(shape))
        low, high = knob.grid[0], knob.grid[-1]
        seeds = [0, 1, 2]
        held = held_values(cls, len(shape), knob.name)
        model = build(cls, len(shape), 1, seeds * 2, width=64, values={**held, knob.name: [low] * 3 + [high] * 3})
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


@pytest.mark.parametrize("members", [1, 2])
def test_siren_hand_written_gradient_equals_autograd(members):
    from fresh_viz.models.base import INR

    x = torch.rand(300, 2) * 2 - 1
    target = torch.rand(300, 3) * 2 - 1
    model = build("siren", 2, 3, list(range(members)), 32, 2, {"omega0": [30.0, 90.0][:members]})
    ours = model.accumulate_gradients(x, target, 0.01)
    ours = ours, [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    reference = INR.accumulate_gradients(model, x, target, 0.01), [p.grad.clone() for p in model.parameters()]
    assert torch.allclose(ours[0], reference[0], rtol=1e-5)
    for mine, theirs in zip(ours[1], reference[1]):
        assert torch.allclose(mine, theirs, rtol=1e-3, atol=1e-5)
    model.accumulate_gradients(x, target, 0.01)  # a second chunk adds to the gradient
    assert torch.allclose(model.weights[0].grad, 2 * reference[1][0], rtol=1e-3, atol=1e-5)
