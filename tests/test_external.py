"""FreSh on networks of the caller's own (select_model) and on outputs from elsewhere (select_outputs)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fresh_viz.external import config_values, select_model, select_outputs
from fresh_viz.fresh import select_embedding
from fresh_viz.models import build
from fresh_viz.signals import Signal, make_preset

README = Path(__file__).resolve().parent.parent / "docs" / "library.md"


class WrappedSiren(nn.Module):
    """The built-in SIREN family seen as a user's network: (P, 2) -> (P, C)."""

    def __init__(self, omega0: float, seed: int, channels: int, width: int = 32, depth: int = 2, in_dim: int = 2):
        super().__init__()
        self.ensemble = build("siren", in_dim, channels, [seed], width, depth, {"omega0": omega0})

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return self.ensemble(coords)[0]


@pytest.mark.parametrize("preset, mode", [("astronaut", "paper"), ("coffee", "symmetric"), ("grass", "radial")])
def test_a_built_in_family_as_a_user_model_gives_the_same_distances(preset, mode):
    signal = make_preset(preset, 40)  # coffee is not square
    values = [10.0, 30.0, 60.0, 120.0]
    expected = select_embedding(signal, "siren", values, seeds=3, bins=32, mode=mode, width=32, depth=2)
    ours = select_model(signal, lambda v, s: WrappedSiren(v, s, signal.channels), values, seeds=3, bins=32,
                        mode=mode, chunk=500)
    assert ours.values == expected.values and ours.best == expected.best
    assert ours.distance == pytest.approx(expected.distance, rel=1e-4, abs=1e-5)
    assert ours.stderr == pytest.approx(expected.stderr, rel=1e-3, abs=1e-5)
    assert ours.seed_counts == [3] * 4 and ours.mode == mode and ours.bins == 32
    assert np.allclose(ours.target_spectrum, expected.target_spectrum, rtol=1e-5)
    assert set(ours.to_json()) == set(expected.to_json())


def test_a_user_model_on_a_video_in_paper_mode_is_compared_frame_by_frame_as_the_built_in_families():
    """One sweep for every source: seed s evaluates one frame (time input 0) and compares it with the target
    frame drawn with seed s, for a user's network as for the built-in families (not one 3-D spectrum)."""
    signal = make_preset("orbit", 16)
    values = [10.0, 30.0, 90.0]
    expected = select_embedding(signal, "siren", values, seeds=3, width=32, depth=2)
    ours = select_model(signal, lambda v, s: WrappedSiren(v, s, signal.channels, in_dim=3), values, seeds=3)
    assert ours.values == expected.values and ours.best == expected.best
    assert ours.distance == pytest.approx(expected.distance, rel=1e-5, abs=1e-6)
    assert np.allclose(ours.per_seed, expected.per_seed, rtol=1e-5, atol=1e-6)  # seed by seed, frame by frame
    assert ours.target_spectrum == pytest.approx(expected.target_spectrum, rel=1e-6)


def noisy(target: torch.Tensor, share: float, generator=None) -> torch.Tensor:
    return target + share * torch.randn(target.shape, generator=generator)


# W grows with the noise: 2 has the lowest mean W, 1 is within 10 % of it, 3 far off.
NOISE = {1.0: 0.052, 2.0: 0.05, 3.0: 0.5}


def test_a_rule_chooses_for_a_user_model():
    signal = make_preset("blobs", 32)

    def make_model(value, seed):
        out = noisy(signal.values, NOISE[value]).reshape(1, -1).T  # the noise drawn with the seeded global RNG
        return lambda coords: out

    picks = {rule: select_model(signal, make_model, list(NOISE), seeds=3, bins=16, rule=rule, chunk=10**6)
             for rule in ("paper", "within-10pct")}
    assert picks["paper"].best == 2.0 and picks["within-10pct"].best == 1.0
    assert picks["paper"].distance == picks["within-10pct"].distance and picks["within-10pct"].rule == "within-10pct"
    with pytest.raises(ValueError, match="unknown selection rule"):
        select_model(signal, make_model, [1.0], seeds=1, rule="nonsense")


def test_a_rule_chooses_for_saved_outputs():
    signal = make_preset("blobs", 32)
    g = torch.Generator().manual_seed(0)
    outputs = {f"{v:g}": [noisy(signal.values, share, g).numpy() for _ in range(3)] for v, share in NOISE.items()}
    paper = select_outputs(signal, outputs, bins=16)
    lenient = select_outputs(signal, outputs, bins=16, rule="within-10pct")
    assert paper.best == 2.0 and lenient.best == 1.0 and lenient.rule == "within-10pct"
    assert paper.distance == lenient.distance and lenient.labels == ["1", "2", "3"]


def test_the_readme_example_runs_as_printed():
    text = README.read_text()
    section = text[text.index("## Your own model"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    lines = printed.getvalue().splitlines()
    assert lines[0] == "FreSh's scale: 16"  # the README says so
    assert len(lines) == 8 and all(re.match(r"  s = \d+\s+W = \d+\.\d\d ± \d+\.\d\d$", line) for line in lines[1:])


def test_seeding_gives_each_seed_the_same_weights_for_every_value_and_leaves_the_global_rng_alone():
    drawn = {}

    def make_model(value, seed):
        layer = nn.Linear(2, 3)
        drawn[(value, seed)] = layer.weight.detach().clone()
        return lambda x: torch.sin(value * layer(x))

    before = torch.random.get_rng_state()
    select_model(make_preset("blobs", 16), make_model, [1.0, 5.0], seeds=[4, 7])
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(drawn[(1.0, 4)], drawn[(5.0, 4)]) and torch.equal(drawn[(1.0, 7)], drawn[(5.0, 7)])
    assert not torch.equal(drawn[(1.0, 4)], drawn[(1.0, 7)])


def test_paper_mode_evaluates_the_signals_own_grid_in_chunks_under_inference_mode():
    values = torch.linspace(-1, 1, 3 * 24 * 40).reshape(3, 24, 40).sin()
    signal = Signal(values, "image", "wide")
    calls = []

    def model(coords):
        calls.append((coords.shape, torch.is_inference_mode_enabled(), coords[0].tolist(), coords[-1].tolist()))
        return torch.cos(7 * coords[:, :1] + 3 * coords[:, 1:]).repeat(1, 3)

    result = select_model(signal, lambda v, s: model, [1.0], seeds=1, chunk=100)
    assert sum(shape[0] for shape, *_ in calls) == 24 * 40  # the 24 x 40 grid, not the 24 x 24 square
    assert max(shape[0] for shape, *_ in calls) == 100 and all(inference for _, inference, *_ in calls)
    assert calls[0][2] == [-1.0, -1.0] and calls[-1][3] == [1.0, 1.0]
    assert result.values == [1.0] and len(result.target_spectrum) == 64


def test_progress_and_the_time_cap():
    reports = []
    signal = make_preset("blobs", 16)
    full = select_model(signal, lambda v, s: nn.Linear(2, 3), [1.0, 2.0], seeds=2,
                        progress=lambda f, m: reports.append(f))
    assert reports == [0.25, 0.5, 0.75, 1.0] and not full.stopped
    capped = select_model(signal, lambda v, s: nn.Linear(2, 3), [1.0, 2.0, 3.0], seeds=5, max_seconds=0.0)
    assert capped.stopped and capped.seed_counts == [1]


@pytest.mark.parametrize("model, message", [
    (lambda x: x[:10], "mapped 256 points to shape (10, 2)"),
    (lambda x: x[None], "expected (256, C)"),
    (lambda x: x / 0.0 * 0.0, "NaN"),
    (lambda x: "nothing", "returned str"),
])
def test_bad_model_outputs_are_explained(model, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        select_model(make_preset("blobs", 16), lambda v, s: model, [1.0], seeds=1)


def test_outputs_from_elsewhere_against_a_signal_target():
    signal = make_preset("astronaut", 32)
    rng = np.random.default_rng(0)
    image = signal.values.numpy()
    blurred = image.copy()
    for axis in (1, 2):
        blurred = (blurred + np.roll(blurred, 1, axis) + np.roll(blurred, -1, axis)) / 3
    outputs = {"3": [image + 0.01 * rng.standard_normal(image.shape) for _ in range(4)],
               "10": [blurred for _ in range(2)],
               "1": [rng.standard_normal((32, 32, 3)) for _ in range(3)]}
    result = select_outputs(signal, outputs, bins=32)
    assert result.values == [1.0, 3.0, 10.0] and result.labels == ["1", "3", "10"] and result.param == "value"
    assert result.best == 3.0 and result.distance[1] < 0.05 and result.seed_counts == [3, 4, 2]
    assert len(result.model_spectra) == 3 and len(result.target_spectrum) == 32
    assert result.to_json()["labels"] == ["1", "3", "10"]
    assert "labels" not in select_embedding(signal, "siren", [30.0], seeds=1, width=8, depth=1).to_json()


@pytest.mark.parametrize("names, expected", [
    (["30", "10", "2.5"], ("value", [30.0, 10.0, 2.5])),
    (["(30.0, 1.0, 6.0)", "(90.0, 1.0, 6.0)"], ("configuration[0]", [30.0, 90.0])),
    (["(30, 0.5)", "(30, 1.5)"], ("configuration[1]", [0.5, 1.5])),
    (["(30, 0.5)", "(60, 1.5)"], ("configuration", [0.0, 1.0])),  # two positions vary
    (["relu", "siren"], ("configuration", [0.0, 1.0])),
    (["1", "1.0"], ("configuration", [0.0, 1.0])),  # the same number twice
])
def test_configuration_names_to_values(names, expected):
    assert config_values(names) == expected
