"""`python -m fresh_viz bench`: this machine's speed on every hot path.

Everything is quoted against the float32 matrix-multiply rate measured in
the same run, the ceiling for work that is mostly matrix products.  FLOPs count
the matrix products only (2 per multiply-add); a training step is 3x a forward.
"""

from __future__ import annotations

import math
import platform
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from .device import describe
from .fresh import select_embedding
from .models import build, get_family
from .rules import tied
from .signals import PRESETS, make_preset
from .spectrum import Reduction, crop, dft_magnitude, prepare_target
from .state import budget_for
from .train import fit


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed_call(fn: Callable[[], object], device: torch.device) -> tuple[object, float]:
    """(result, wall seconds) of one call, the device synchronised around it."""
    synchronise(device)
    start = time.perf_counter()
    result = fn()
    synchronise(device)
    return result, time.perf_counter() - start


def timed(fn: Callable[[], object], device: torch.device, repeats: int = 1) -> list[float]:
    """Wall seconds of each of `repeats` calls."""
    return [timed_call(fn, device)[1] for _ in range(repeats)]


def forward_flops(width: int, depth: int, in_dim: int = 2, out_dim: int = 3) -> int:
    """Matrix-product FLOPs of one forward pass for one sample."""
    return 2 * (in_dim * width + depth * width * width + width * out_dim)


def matmul_rate(device: torch.device, size: int = 2048) -> float:
    """float32 GFLOP/s of a square matrix product: the yardstick."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    timed(lambda: a @ b, device, 3)
    best = min(timed(lambda: a @ b, device, 10))
    return 2 * size**3 / best / 1e9


# ---------------------------------------------------------------- the straightforward pipeline


class PlainSiren(nn.Module):
    """SIREN written the textbook way (nn.Linear, one model per value and seed),
    with the reference's initialisation: the baseline the sweep is measured against."""

    def __init__(self, omega0: float, width: int, depth: int, out_dim: int = 3):
        super().__init__()
        self.omega0 = omega0
        self.layers = nn.ModuleList([nn.Linear(2, width)] + [nn.Linear(width, width) for _ in range(depth)]
                                    + [nn.Linear(width, out_dim)])
        with torch.no_grad():
            self.layers[0].weight.uniform_(-1 / 2, 1 / 2)
            for layer in self.layers[1:]:
                bound = math.sqrt(6 / layer.in_features) / 30
                layer.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.sin(self.layers[0](self.omega0 * x))
        for layer in self.layers[1:-1]:
            h = torch.sin(layer(30 * h))
        return self.layers[-1](30 * h)


def loop_paper_spectrum(magnitude: torch.Tensor) -> torch.Tensor:
    """Paper-mode reduction the way the reference writes it: a mask keeping one
    member per conjugate pair, then one sum per anti-diagonal (a Python loop).
    magnitude: (*shape) -> (sum(N_i - 1) + 1,)."""
    shape = magnitude.shape
    k = torch.stack(torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij"))
    sizes = torch.tensor(shape).view(-1, *[1] * len(shape))
    conjugate = (sizes - k) % sizes
    total, conjugate_total = k.sum(0), conjugate.sum(0)
    keep = (total < conjugate_total) | ((total == conjugate_total) & (k <= conjugate).all(0))
    half = torch.where((k == conjugate).all(0), 1.0, 0.5)  # pairs with equal sums: both halves kept
    masked = magnitude * torch.where(total == conjugate_total, half, keep.float())
    return torch.stack([masked[total == s].sum() for s in range(int(total.max()) + 1)])


def straightforward_sweep(target: torch.Tensor, values: list[float], seeds: int, bins: int, width: int,
                          depth: int) -> int:
    """FreSh the slow way: returns the index of the chosen value.  target: (C, N, N)."""
    from scipy.stats import wasserstein_distance

    side = target.shape[-1]
    axis = torch.linspace(-1, 1, side)
    coords = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    support = list(range(bins))
    target_spectrum = crop(loop_paper_spectrum(dft_magnitude(target, 2)), bins).numpy()
    means = []
    for value in values:
        distances = []
        for seed in range(seeds):
            torch.manual_seed(seed)
            model = PlainSiren(value, width, depth, target.shape[0])
            with torch.no_grad():
                output = model(coords).T.reshape(target.shape)
            spectrum = crop(loop_paper_spectrum(dft_magnitude(output, 2)), bins).numpy()
            distances.append(wasserstein_distance(support, support, target_spectrum, spectrum))
        means.append(sum(distances) / len(distances))
    return means.index(min(means))


# ---------------------------------------------------------------- the measurements


def bench_preview(device: torch.device, changes: int = 24) -> dict:
    """Server compute of one slider change at the app's defaults: the handler, and the model alone."""
    from .app import Explorer, load_preset, to_slider

    budget = budget_for(device)
    explorer = Explorer(device, budget)
    state = load_preset("astronaut", budget)
    knob = get_family("siren").knobs[0]
    positions = [to_slider(knob, v) for v in torch.linspace(10, 200, changes).tolist()]
    controls = lambda p: ("siren", p, 0.0, 0, "64", "paper", budget.width, budget.depth, False)  # noqa: E731
    explorer.preview(state, *controls(positions[0]))  # warm the caches, as a live session has
    handler = [timed(lambda p=p: explorer.preview(state, *controls(p)), device)[0] for p in positions]
    sweep = state.sweep
    model_only = [timed(lambda v=v: sweep.preview(v, 0), device)[0] for v in torch.linspace(10, 200, changes).tolist()]
    return {"size": budget.size, "width": budget.width, "depth": budget.depth,
            "handler_median_ms": 1000 * statistics.median(handler),
            "handler_p90_ms": 1000 * sorted(handler)[int(0.9 * len(handler))],
            "model_median_ms": 1000 * statistics.median(model_only)}


def bench_sweep(device: torch.device, size: int, seeds: int, values: list[float], rate: float,
                baseline: bool) -> dict:
    """The paper-faithful SIREN 3x256 sweep; optionally the straightforward pipeline at the same settings."""
    signal = make_preset("astronaut", size)
    runs = [timed_call(lambda: select_embedding(signal, "siren", values, seeds=seeds, device=device), device)
            for _ in range(2)]
    selection, seconds = min(runs, key=lambda run: run[1])
    flops = forward_flops(256, 3) * size * size * len(values) * seeds
    out = {"size": size, "values": len(values), "seeds": seeds, "seconds": seconds,
           "gflops": flops / seconds / 1e9, "matmul_gflops": rate, "fraction_of_matmul": flops / seconds / 1e9 / rate,
           "best": selection.best}
    if baseline:
        target = prepare_target(signal.values, "paper")
        chosen, plain = timed_call(lambda: straightforward_sweep(target, values, seeds, 64, 256, 3), device)
        out.update(straightforward_seconds=plain, speedup=plain / seconds, straightforward_best=values[chosen])
    return out


def bench_fast_mode(device: torch.device, quick: bool) -> dict:
    """Fast mode against the full sweep on every preset at the app's defaults."""
    budget = budget_for(device)
    rows = []
    for name, preset in PRESETS.items():
        size = 32 if quick else (budget.size if preset.kind == "image" else min(budget.size, 64))
        signal = make_preset(name, size)
        full, t_full = timed_call(lambda s=signal: select_embedding(s, "siren", width=budget.width, device=device),
                                  device)
        fast, t_fast = timed_call(lambda s=signal: select_embedding(s, "siren", width=budget.width, device=device,
                                                                    fast=True), device)
        steps_apart = abs(full.values.index(full.best) - full.values.index(fast.best))
        rows.append({"preset": name, "full_best": full.best, "fast_best": fast.best,
                     "within_one_step": steps_apart <= 1, "full_seconds": t_full, "fast_seconds": t_fast,
                     "tied": tied(full.distance, full.stderr, full.best_index, full.values.index(fast.best))})
    return {"rows": rows, "all_within_one_step": all(r["within_one_step"] for r in rows),
            "all_tied": all(r["tied"] for r in rows),
            "time_ratio": sum(r["fast_seconds"] for r in rows) / sum(r["full_seconds"] for r in rows)}


def bench_training(device: torch.device, size: int, rate: float, steps: int) -> dict:
    signal = make_preset("astronaut", size)
    model = build("siren", 2, 3, [0], 256, 3, device=device)
    run = fit(model, signal.values, steps + 1, every=10**9)
    next(run)  # step 0 report
    next_report = lambda: next(run, None)  # noqa: E731
    seconds = timed(next_report, device)[0]  # includes one full-grid render at the end
    render_seconds = seconds / (steps + 1) / 3  # a render is about a third of a step
    per_step = (seconds - render_seconds) / (steps + 1)
    flops = 3 * forward_flops(256, 3) * 0.9 * size * size
    return {"size": size, "steps_per_second": 1 / per_step, "gflops": flops / per_step / 1e9,
            "matmul_gflops": rate, "fraction_of_matmul": flops / per_step / 1e9 / rate}


def bench_3d(device: torch.device, frames: int, side: int) -> dict:
    magnitude = dft_magnitude(torch.rand(3, frames, side, side, device=device), 3)
    reduction = Reduction(tuple(magnitude.shape), "paper", device)
    ours = min(timed(lambda: reduction(magnitude), device, 5))
    loop = timed(lambda: loop_paper_spectrum(magnitude.cpu()), device)[0]
    agree = torch.allclose(reduction(magnitude).cpu(), loop_paper_spectrum(magnitude.cpu()), rtol=1e-4, atol=1e-2)
    return {"shape": [frames, side, side], "vectorised_ms": 1000 * ours, "loop_ms": 1000 * loop,
            "speedup": loop / ours, "agree": bool(agree)}


def run_bench(device: torch.device, quick: bool = False) -> tuple[dict, str]:
    """All measurements; returns (JSON-able dict, human table).

    The matrix-multiply rate is measured again right before each sweep and
    training measurement, so a machine whose speed drifts (a shared host) is
    compared with itself at the same moment."""
    yardstick = 512 if quick else 2048
    rate = matmul_rate(device, yardstick)
    values = [float(v) for v in range(10, 201, 10)]
    sizes, seeds = ([32], 2) if quick else ([128, 256], 10)
    if device.type != "cpu" and not quick:
        sizes = [128, 256, 512]
    result = {
        "device": describe(device), "machine": f"{platform.processor() or platform.machine()}",
        "torch": torch.__version__, "quick": quick, "matmul_gflops": rate,
        "preview": bench_preview(device, 8 if quick else 24),
        "sweep": [bench_sweep(device, s, seeds, values[:5] if quick else values, matmul_rate(device, yardstick),
                              baseline=quick or (device.type == "cpu" and s <= 256)) for s in sizes],
        "fast_mode": bench_fast_mode(device, quick),
        "training": [bench_training(device, s, matmul_rate(device, yardstick), 2 if quick else 10)
                     for s in ([32] if quick else [128, 256])],
        "reduction_3d": bench_3d(device, 8, 16) if quick else bench_3d(device, 64, 128),
    }
    return result, format_table(result)


def format_table(r: dict) -> str:
    lines = [f"FreSh Explorer benchmark on {r['device']} ({r['machine']}, torch {r['torch']})"
             + (" [quick]" if r["quick"] else ""),
             f"  float32 matrix multiply: {r['matmul_gflops']:.0f} GFLOP/s (the yardstick)"]
    p = r["preview"]
    lines.append(f"  preview at app defaults ({p['size']} px, width {p['width']}): handler median "
                 f"{p['handler_median_ms']:.1f} ms, p90 {p['handler_p90_ms']:.1f} ms; model alone "
                 f"{p['model_median_ms']:.1f} ms")
    for s in r["sweep"]:
        line = (f"  full sweep {s['size']} px ({s['values']} values x {s['seeds']} seeds): {s['seconds']:.2f} s, "
                f"{s['gflops']:.0f} GFLOP/s = {s['fraction_of_matmul']:.0%} of matmul ({s['matmul_gflops']:.0f}); "
                f"best {s['best']:g}")
        if "speedup" in s:
            line += (f"; straightforward {s['straightforward_seconds']:.2f} s (best "
                     f"{s['straightforward_best']:g}), speed-up {s['speedup']:.2f}x")
        lines.append(line)
    f = r["fast_mode"]
    lines.append(f"  fast mode: {f['time_ratio']:.0%} of the full sweep's time; within one grid step on every "
                 f"preset: {f['all_within_one_step']}; tied with the full sweep's choice (mean W within two "
                 f"combined standard errors) on every preset: {f['all_tied']}")
    for row in f["rows"]:
        note = "" if row["within_one_step"] else (
            "  <- more than one step apart but tied: W is flat there within its error bars, so by FreSh's own "
            "measure the two are equally good and the full sweep's pick moves with its seeds "
            "(docs/selection_rules.md)" if row["tied"] else "  <- more than one step apart and not tied")
        lines.append(f"    {row['preset']:<10} full {row['full_best']:<8g} ({row['full_seconds']:.2f} s)  fast "
                     f"{row['fast_best']:<8g} ({row['fast_seconds']:.2f} s){note}")
    for t in r["training"]:
        lines.append(f"  training {t['size']} px: {t['steps_per_second']:.2f} steps/s, {t['gflops']:.0f} GFLOP/s = "
                     f"{t['fraction_of_matmul']:.0%} of matmul ({t['matmul_gflops']:.0f})")
    d = r["reduction_3d"]
    lines.append(f"  3-D paper reduction {d['shape']}: {d['vectorised_ms']:.2f} ms vs loop {d['loop_ms']:.0f} ms, "
                 f"{d['speedup']:.0f}x (results agree: {d['agree']})")
    return "\n".join(lines)
