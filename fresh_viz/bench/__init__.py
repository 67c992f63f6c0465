"""`python -m fresh_viz bench`: this machine's speed on every hot path, each against its floor.

`floor` measures what cannot be avoided (matrix products at the best rate reached
now, one sine per hidden unit, in training also the backward products and the
cosines); `measure` times the hot paths; `baseline` is the straightforward
pipeline a sweep is also compared with.
"""

from __future__ import annotations

import platform

import torch

from ..device import describe
from ..tuning import retune
from .floor import instruction_set
from .measure import bench_3d, bench_fast_mode, bench_preview, bench_sweep, bench_training

TARGETS = {"sweep": 1.2, "training": 1.5}  # ratio to the floor

LEGEND = """\
What the lines mean:
  floor   what this machine cannot avoid, measured in this run: the matrix products at the best rate it
          reaches for (rows x 256) @ (256 x 256) just before or just after the timing, plus one sine per
          hidden unit (training adds the backward products and one cosine per hidden unit).
          ratio = time / floor; 1.00x is the floor.
  preview server compute of one slider change at the app's defaults: the whole handler (model, spectrum,
          figures, pictures) and the model alone; the budget is 100 ms.
  sweep   FreSh as the paper runs it: 20 values x 10 seeds of SIREN 3x256, 64 bins, paper mode; also the
          straightforward pipeline (one nn.Module per value and seed, a Python loop per anti-diagonal).
  fast    the fast mode (2 seeds coarse to fine, more seeds only where error bars overlap) against the
          full sweep at the app's defaults: the grid steps between their choices. Where a W curve is flat
          near its minimum (error bars of neighbours overlapping), two equally good values can win: a
          disagreement of more than one step there means the full sweep's minimum is not distinct either;
          such rows say "tied" (mean W within two combined standard errors).
  training full-batch Adam steps of SIREN 3x256 on 90 % of the pixels."""


def tie_note(tied: bool) -> str:
    """Why two choices more than a grid step apart may both be right."""
    if tied:
        return (", tied: their mean W differ by less than two combined standard errors, so by FreSh's own "
                "measure both are equally good (docs/selection_rules.md, the fast mode)")
    return ", not tied: the full sweep's minimum is distinct and the fast mode missed it"


def run_bench(device: torch.device, quick: bool = False) -> tuple[dict, str]:
    """All measurements; returns (JSON-able dict, human table).

    Every rate is measured right before and right after the measurement it prices and the
    faster kept, so a machine whose speed drifts (a shared host) is compared with what it
    reaches at that moment, not with a slow instant."""
    chunks = retune(device)  # the chunk sizes every measurement below runs with, measured now
    values = [float(v) for v in range(10, 201, 10)]
    sizes, seeds = ([32], 2) if quick else ([128, 256], 10)
    if device.type != "cpu" and not quick:
        sizes = [128, 256, 512]
    result = {
        "device": describe(device), "machine": platform.processor() or platform.machine(),
        "instruction_set": instruction_set() if device.type == "cpu" else device.type,
        "torch": torch.__version__, "quick": quick, "targets": TARGETS,
        "chunks": {"sweep_points": chunks.sweep_points(256), "train_points": chunks.train_points(256)},
        "preview": bench_preview(device, 8 if quick else 24),
        "sweep": [bench_sweep(device, s, seeds, values[:5] if quick else values,
                              baseline=quick or (device.type == "cpu" and s <= 256)) for s in sizes],
        "fast_mode": bench_fast_mode(device, quick),
        "training": [bench_training(device, s, 2 if quick else 10) for s in ([32] if quick else [128, 256])],
        "reduction_3d": bench_3d(device, 8, 16) if quick else bench_3d(device, 64, 128),
    }
    return result, format_table(result)


def format_table(r: dict) -> str:
    lines = [f"FreSh Explorer benchmark on {r['device']}, {r['instruction_set']} ({r['machine']}, torch "
             f"{r['torch']})" + (" [quick: small sizes, to prove it runs; ratios at these sizes mean little]"
                                 if r["quick"] else ""),
             f"  chunks measured fastest here (width 256): {r['chunks']['sweep_points']} points per sweep pass, "
             f"{r['chunks']['train_points']} per training chunk"]
    for p in r["preview"]:
        grid = " x ".join(str(s) for s in p["grid"])
        verdict = "within" if p["handler_median_ms"] <= p["budget_ms"] else "OVER"
        lines.append(f"  preview, {p['signal']}, grid {grid}, width {p['width']}: handler median "
                     f"{p['handler_median_ms']:.1f} ms (p90 {p['handler_p90_ms']:.1f} ms), model alone "
                     f"{p['model_median_ms']:.1f} ms: {verdict} the {p['budget_ms']} ms budget")
    for s in r["sweep"]:
        rates = s["rates"]
        line = (f"  sweep {s['size']} px ({s['values']} values x {s['seeds']} seeds): {s['seconds']:.2f} s; floor "
                f"{s['floor_seconds']:.2f} s ({rates['matmul_gflops']:.0f} GFLOP/s at {rates['matmul_rows']} rows, "
                f"{rates['sines_per_second'] / 1e9:.2f} G sines/s); ratio {s['ratio']:.2f}x "
                f"(target {r['targets']['sweep']}x); best {s['best']:g}")
        if "speedup" in s:
            line += (f"; straightforward {s['straightforward_seconds']:.2f} s (best {s['straightforward_best']:g}), "
                     f"{s['speedup']:.2f}x slower")
        lines.append(line)
    f = r["fast_mode"]
    agree = sum(row["steps_apart"] <= 1 for row in f["rows"])
    lines.append(f"  fast mode: {f['time_ratio']:.0%} of the full sweep's time; within one grid step of the full "
                 f"sweep's choice on {agree} of {len(f['rows'])} presets")
    for row in f["rows"]:
        lines.append(f"    {row['preset']:<10} {row['size']:>4} px  full {row['full_best']:<8g} "
                     f"({row['full_seconds']:.2f} s)  fast {row['fast_best']:<8g} ({row['fast_seconds']:.2f} s)  "
                     f"{row['steps_apart']} step(s) apart{'' if row['steps_apart'] <= 1 else tie_note(row['tied'])}")
    for t in r["training"]:
        rates = t["rates"]
        lines.append(f"  training {t['size']} px: {t['steps_per_second']:.2f} steps/s "
                     f"({t['seconds_per_step'] * 1000:.0f} ms/step); floor {t['floor_seconds'] * 1000:.0f} ms "
                     f"({rates['matmul_gflops']:.0f} GFLOP/s, {rates['sines_per_second'] / 1e9:.2f} G sines/s, "
                     f"{rates['cosines_per_second'] / 1e9:.2f} G cosines/s); ratio {t['ratio']:.2f}x "
                     f"(target {r['targets']['training']}x)")
    d = r["reduction_3d"]
    lines.append(f"  3-D paper reduction {d['shape']}: {d['vectorised_ms']:.2f} ms vs loop {d['loop_ms']:.0f} ms, "
                 f"{d['speedup']:.0f}x (results agree: {d['agree']})")
    return "\n".join(lines) + "\n\n" + LEGEND
