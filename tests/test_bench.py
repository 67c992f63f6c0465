"""The benchmark runs (quick mode) and its baselines compute the same thing."""

from __future__ import annotations

import json

import pytest
import torch

from fresh_viz.__main__ import main
from fresh_viz.bench import format_table
from fresh_viz.bench.baseline import loop_paper_spectrum, straightforward_sweep
from fresh_viz.spectrum import Reduction, dft_magnitude


@pytest.mark.parametrize("shape", [(9, 9), (8, 8), (4, 6, 6), (5, 5, 5)])
def test_loop_baseline_equals_the_vectorised_reduction(shape):
    magnitude = dft_magnitude(torch.rand(2, *shape, dtype=torch.float64), len(shape))
    assert torch.allclose(loop_paper_spectrum(magnitude), Reduction(shape, "paper")(magnitude))


def test_straightforward_pipeline_prefers_high_omega_for_fine_detail():
    y, x = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    fine = torch.sign(torch.sin(40 * x) * torch.sin(40 * y)).unsqueeze(0)
    assert straightforward_sweep(fine, [5.0, 60.0], seeds=2, bins=16, width=32, depth=2) == 1


@pytest.mark.slow
def test_quick_bench_reports_every_measurement(capsys):
    assert main(["bench", "--quick", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["quick"] and out["instruction_set"]
    assert [p["signal"].split()[0] for p in out["preview"]] == ["image", "audio", "video"]
    assert all(p["handler_median_ms"] > 0 for p in out["preview"])
    sweep = out["sweep"][0]
    assert sweep["rates"]["matmul_gflops"] > 0 and sweep["rates"]["sines_per_second"] > 0
    assert sweep["floor_seconds"] > 0 and sweep["ratio"] == pytest.approx(sweep["seconds"] / sweep["floor_seconds"])
    assert sweep["speedup"] > 0
    assert len(out["fast_mode"]["rows"]) >= 6
    training = out["training"][0]
    assert training["steps_per_second"] > 0 and training["ratio"] > 0
    assert out["reduction_3d"]["agree"] is True
    # A fast-mode choice more than a grid step away says whether it is tied with the full sweep's.
    row = out["fast_mode"]["rows"][0]
    assert isinstance(row["tied"], bool)
    for tied, words in ((True, ", tied:"), (False, ", not tied:")):
        row.update(steps_apart=3, tied=tied)
        assert words in format_table(out)


def test_the_floor_prices_products_and_sines():
    from fresh_viz.bench.floor import Rates, sweep_floor, training_floor

    rates = Rates(width=256, matmul_gflops=100.0, matmul_rows=4096, sines_per_second=1e9, cosines_per_second=2e9)
    flops = 2 * (2 * 256 + 3 * 256 * 256 + 256 * 3)
    assert sweep_floor(rates, 1000, 3) == pytest.approx(1000 * flops / 100e9 + 1000 * 1024 / 1e9)
    assert training_floor(rates, 1000, 3) == pytest.approx(3 * 1000 * flops / 100e9 + 1000 * 1024 * 1.5e-9)


def test_the_floor_takes_the_faster_of_two_measurements():
    from fresh_viz.bench.floor import Rates

    slow = Rates(width=256, matmul_gflops=150.0, matmul_rows=1024, sines_per_second=1.6e9, cosines_per_second=1e9)
    fast = Rates(width=256, matmul_gflops=200.0, matmul_rows=2048, sines_per_second=1.1e9, cosines_per_second=1.5e9)
    best = slow.best(fast)
    assert (best.matmul_gflops, best.matmul_rows) == (200.0, 2048)
    assert (best.sines_per_second, best.cosines_per_second) == (1.6e9, 1.5e9)
    assert fast.best(slow) == best
