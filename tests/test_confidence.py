"""How sure a selection is: the paired bootstrap over seeds, the plausible values and edge picks, on
constructed W curves, then through every path that builds a `Selection` (built-in families, fast mode,
user models, saved outputs, the command line)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from fresh_viz.__main__ import main
from fresh_viz.confidence import assess, confidence, edge_of, extend_grid
from fresh_viz.external import select_model, select_outputs
from fresh_viz.fresh import Sweep, select_embedding
from fresh_viz.signals import make_preset

VALUES = [10.0, 20.0, 30.0, 40.0]
SEEDS = 10


def noise(rows: int, scale: float = 0.05, seed: int = 1) -> torch.Tensor:
    """(rows, SEEDS) small per-seed noise."""
    return scale * torch.randn(rows, SEEDS, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def curve(means: list[float], scale: float = 0.05) -> torch.Tensor:
    """(V, SEEDS) W per value per seed around `means`."""
    return torch.tensor(means, dtype=torch.float64)[:, None] + noise(len(means), scale)


def test_a_clear_minimum_wins_every_draw_and_is_not_at_an_edge():
    result = confidence(curve([3.0, 1.0, 2.0, 2.5]), VALUES)
    assert result.pick_frequency == [0.0, 1.0, 0.0, 0.0]
    assert result.plausible == [20.0] and result.edge is None


def test_a_tie_makes_both_values_plausible_with_about_half_the_draws_each():
    # 20 and 30 have the same mean W; within each seed one is as far above it as the other is below.
    swing = torch.tensor([0.3, -0.3, 0.1, -0.1, 0.2, -0.2, 0.05, -0.05, 0.15, -0.15], dtype=torch.float64)
    per_seed = torch.stack([3.0 + noise(1)[0], 1.0 + swing, 1.0 - swing, 3.0 + noise(1, seed=2)[0]])
    result = confidence(per_seed, VALUES)
    assert result.pick_frequency[0] == result.pick_frequency[3] == 0.0
    assert result.pick_frequency[1] == pytest.approx(0.5, abs=0.1)
    assert result.pick_frequency[2] == pytest.approx(0.5, abs=0.1)
    assert result.plausible == [20.0, 30.0] and result.edge is None


@pytest.mark.parametrize("means, edge", [([1.0, 2.0, 3.0, 4.0], "low"), ([4.0, 3.0, 2.0, 1.0], "high"),
                                         ([2.0, 1.0, 3.0, 4.0], None), ([4.0, 3.0, 1.0, 2.0], None),
                                         ([1.5, 2.0, 1.0, 3.0], None)])  # W dips at the edge; the pick is inside
def test_an_edge_is_flagged_where_w_still_falls_towards_it(means, edge):
    assert confidence(curve(means), VALUES).edge == edge


def test_an_edge_needs_w_strictly_falling_and_two_values():
    assert edge_of([1.0, 1.0, 2.0], 0) is None  # level at the edge: W is not falling towards it
    assert edge_of([1.0, 1.5, 2.0], 0) == "low"
    assert edge_of([2.0, 1.5, 1.0], 2) == "high"
    assert edge_of([1.0, 1.5, 2.0], 1) is None  # another rule's pick inside the grid
    assert edge_of([1.0], 0) is None


def test_frequencies_sum_to_one_and_are_reproducible():
    per_seed = torch.rand(6, SEEDS, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    first, again = confidence(per_seed, values), confidence(per_seed, values)
    assert math.fsum(first.pick_frequency) == pytest.approx(1.0, abs=1e-12)
    assert first == again  # a fixed generator: the same numbers every time
    assert len([f for f in first.pick_frequency if f > 0]) > 1  # a real spread, so the check above means something
    assert sum(first.pick_frequency[values.index(v)] for v in first.plausible) >= 0.95
    shorter = sorted(first.plausible, key=lambda v: first.pick_frequency[values.index(v)])[1:]
    assert sum(first.pick_frequency[values.index(v)] for v in shorter) < 0.95  # and it is the fewest


def unpaired_share(per_seed: torch.Tensor, draws: int = 2000) -> float:
    """How often the first value wins when each value's seeds are resampled on their own (the wrong way)."""
    generator = torch.Generator().manual_seed(0)
    drawn = torch.randint(per_seed.shape[1], (per_seed.shape[0], draws, per_seed.shape[1]), generator=generator)
    means = torch.gather(per_seed[:, None, :].expand(-1, draws, -1), 2, drawn).mean(2)  # (V, draws)
    return (means.argmin(0) == 0).double().mean().item()


def test_the_bootstrap_is_paired_over_seeds():
    # A seed draws the same raw weights for every value: here each seed moves both values by ±10,
    # and within every seed value A is 0.1 below value B.
    offsets = 10 * torch.tensor([1, -1, 1, 1, -1, -1, 1, -1, 1, -1], dtype=torch.float64)
    per_seed = torch.stack([offsets, offsets + 0.1])
    result = confidence(per_seed, [1.0, 2.0])
    assert result.pick_frequency == [1.0, 0.0] and result.plausible == [1.0]
    assert 0.3 < unpaired_share(per_seed) < 0.7  # resampled unpaired, the offsets would decide


def test_unequal_seed_counts_pair_the_seeds_values_share():
    """A value missing seeds (fast mode, a time cap, saved outputs) is averaged over the drawn seeds it has;
    the seeds it shares with the others stay paired; a draw with none of its seeds leaves it its mean."""
    offsets = 10 * torch.tensor([1, -1, 1, 1, -1, -1, 1, -1, 1, -1], dtype=torch.float64)
    b_rows = (offsets[:3] + 0.1).tolist()
    fields = assess([offsets.tolist(), b_rows], [1.0, 2.0], 0)
    assert fields["per_seed"][1] == [*b_rows, *[None] * 7]  # padded: column j is the j-th seed for every value
    assert math.fsum(fields["pick_frequency"]) == pytest.approx(1.0)
    # Wherever B's three seeds are drawn, A on the same seeds is lower; so B can win only by the unshared
    # seeds A has, and it does in some draws: the counts are not forced.
    assert 0 < fields["pick_frequency"][1] < 1
    only_b = assess([[5.0, 5.0, 5.0], [1.0]], [1.0, 2.0], 1)  # B, far lower, keeps winning without its seed
    assert only_b["pick_frequency"] == [0.0, 1.0] and only_b["plausible"] == [2.0]
    with pytest.raises(ValueError, match="ascending"):
        confidence(torch.zeros(2, 3), [2.0, 1.0])


@pytest.mark.parametrize("values, edge, low, high, integer, expected", [
    ([10, 20, 30, 40], "high", 1, 300, False, [50, 60, 70, 80]),  # arithmetic, as many again
    ([10, 20, 30, 40], "low", 1, 300, False, [1]),  # clamped to the knob's range
    ([4, 8, 16, 32], "low", 0.1, 300, False, [0.25, 0.5, 1, 2]),  # geometric
    ([1, 1.27, 1.62, 2.07, 2.64], "low", 0.1, 300, False, [0.2972, 0.3788, 0.4828, 0.6155, 0.7845]),  # rounded log grid
    ([4, 8, 16], "high", 1, 100, True, [32, 64, 100]),
    ([1, 2, 3], "high", 0, 3, True, []),  # the grid already reaches the end of the range
])
def test_extending_a_grid_continues_its_spacing(values, edge, low, high, integer, expected):
    assert extend_grid(values, edge, low, high, integer) == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize("preset, best, edge", [("zoneplate", 4.0, "low"), ("siemens", 32.0, "high")])
def test_an_edge_pick_on_a_wire_sweep_is_flagged(preset, best, edge):
    """At 32 px, WIRE's W keeps falling below ω₀ = 4 on the zone plate and above 32 on the Siemens star."""
    result = select_embedding(make_preset(preset, 32), "wire", [4, 8, 16, 32], seeds=3, bins=32, width=32, depth=2)
    assert result.best == best and result.edge == edge
    assert result.pick_frequency[result.best_index] == max(result.pick_frequency) and best in result.plausible
    # per_seed holds what the rest is computed from: one row per value, one column per seed.
    assert [len(row) for row in result.per_seed] == [3] * 4
    assert [float(np.mean(row)) for row in result.per_seed] == pytest.approx(result.distance)
    fields = result.to_json()
    assert {"per_seed", "pick_frequency", "plausible", "edge"} <= set(fields) and fields["edge"] == edge


def test_a_sweep_with_unequal_seeds_keeps_each_seed_in_its_column():
    """Fast mode adds seeds only to the values still tied, so a value can have seed 3 without seed 2."""
    sweep = Sweep(make_preset("zoneplate", 32), "siren", bins=32, width=32, depth=2)
    sweep.evaluate([10.0, 30.0, 50.0], [0, 1])
    sweep.evaluate([30.0], [3])
    sweep.evaluate([50.0], [2])
    result = sweep.summary(0.0)
    assert [[w is not None for w in row] for row in result.per_seed] == [
        [True, True, False, False], [True, True, False, True], [True, True, True, False]]
    assert result.per_seed[1][3] == sweep.distances[(30.0, 3)]
    assert [sum(w is not None for w in row) for row in result.per_seed] == result.seed_counts
    assert math.fsum(result.pick_frequency) == pytest.approx(1.0) and result.best in result.plausible


def test_a_user_model_carries_the_fields():
    signal = make_preset("blobs", 24)

    def make_model(scale: float, seed: int):
        frequencies, weights = scale * torch.randn(2, 32), torch.randn(32, 3) / 32
        return lambda coords: torch.sin(coords @ frequencies) @ weights

    result = select_model(signal, make_model, [1, 2, 4, 8, 16], seeds=4, bins=16)
    assert [len(row) for row in result.per_seed] == [4] * 5
    assert [float(np.mean(row)) for row in result.per_seed] == pytest.approx(result.distance)
    assert math.fsum(result.pick_frequency) == pytest.approx(1.0) and result.best in result.plausible
    assert result.edge == edge_of(result.distance, result.best_index)


def test_saved_outputs_carry_the_fields_and_unordered_names_have_no_edge():
    target = make_preset("blobs", 24).values.permute(1, 2, 0).numpy()
    rng = np.random.default_rng(0)

    def outputs(scale: float, count: int) -> list[np.ndarray]:  # smoother outputs for smaller `scale`
        y, x = np.mgrid[0:24, 0:24] / 24
        return [np.sin(scale * (x + rng.random()) + scale * y)[None].repeat(3, 0) for _ in range(count)]

    numbered = select_outputs(target, {"1": outputs(1, 3), "4": outputs(4, 2), "16": outputs(16, 3)}, bins=16)
    assert [sum(w is not None for w in row) for row in numbered.per_seed] == [3, 2, 3]  # padded with None
    assert numbered.per_seed[1][2] is None and math.fsum(numbered.pick_frequency) == pytest.approx(1.0)
    assert numbered.edge == edge_of(numbered.distance, numbered.best_index)
    named = select_outputs(target, {"relu": outputs(16, 2), "gelu": outputs(4, 2), "tanh": outputs(1, 2)}, bins=16)
    assert named.param == "configuration" and named.edge is None  # names have no order, so no edge


def test_the_command_line_prints_the_fields_and_warns_of_an_edge(capsys):
    argv = ["select", "preset:zoneplate", "--model", "wire", "--values", "4,8,16,32", "--seeds", "3", "--bins",
            "32", "--size", "32", "--width", "32", "--depth", "2"]
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["edge"] == "low" and len(out["per_seed"]) == 4 and len(out["pick_frequency"]) == 4
    assert out["plausible"] == [4.0]
    warning = captured.err.strip().splitlines()[-1]
    assert warning.startswith("warning: ω₀ = 4 is the grid's lowest value and W is still falling towards it")
    assert "--values 0.25,0.5,1,2,4,8,16,32" in warning
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "ω₀ = 4; no other value is as likely; chosen in 100 % of resamples" in captured.out
    assert "warning:" in captured.err
    assert main(["select", "preset:zoneplate", "--values", "10,40,90,160", "--seeds", "2", "--size", "32",
                 "--width", "32", "--depth", "2", "--bins", "32"]) == 0
    assert "warning" not in capsys.readouterr().err  # no edge, no warning
