"""The measurements: each hot path timed, and priced against its floor in the same run."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch

from ..fresh import select_embedding
from ..models import build, get_family
from ..rules import tied
from ..signals import PRESETS, make_preset, write_audio
from ..spectrum import Reduction, dft_magnitude, prepare_target
from ..state import Controls, budget_for
from ..train import fit
from .baseline import loop_paper_spectrum, straightforward_sweep
from .floor import measure_rates, sweep_floor, training_floor
from .timing import timed, timed_call

PREVIEW_BUDGET_MS = 100  # server compute of one slider change


def _audio_upload(folder: Path) -> str:
    """A 4-second stereo 44.1 kHz clip, as people upload them: two tones and noise."""
    t = np.arange(4 * 44100) / 44100
    rng = np.random.default_rng(0)
    left = np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 3100 * t) + 0.05 * rng.standard_normal(t.size)
    right = np.sin(2 * np.pi * 660 * t) + 0.05 * rng.standard_normal(t.size)
    return str(write_audio(np.stack([left, right]) / 1.5, 44100, folder, "tones"))


def bench_preview(device: torch.device, changes: int = 24) -> list[dict]:
    """Server compute of one slider change at the app's defaults, for an image, audio and a video:
    the whole handler (model, spectrum, figures, pictures), and the model alone."""
    from ..ui.explore import Explore, load_preset, load_upload
    from ..ui.knobs import to_slider
    from ..ui.page import Context

    budget = budget_for(device)
    explorer = Explore(Context(device, budget))
    controls = Controls(width=budget.width, depth=budget.depth)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        sessions = {"image (astronaut)": load_preset("astronaut", budget),
                    "audio (4 s stereo, 44.1 kHz)": load_upload(_audio_upload(Path(folder)), budget),
                    "video (orbit)": load_preset("orbit", budget)}
        for name, state in sessions.items():
            knob = get_family("siren").knobs[0].for_ndim(state.signal.ndim)
            values = np.geomspace(knob.grid[0], knob.grid[-1], changes).tolist()
            positions = [to_slider(knob, v) for v in values]
            explorer.preview_at_position(state, to_slider(knob, 1.5 * knob.grid[-1]), controls)  # warm the sweep
            handler = [timed(lambda p=p, s=state: explorer.preview_at_position(s, p, controls), device)[0]
                       for p in positions]
            sweep = explorer.sweep(state, controls)
            model_only = [timed(lambda v=v, w=sweep: w.preview(v, 0), device)[0] for v in values]
            rows.append({"signal": name, "grid": list(sweep.grid), "width": budget.width,
                         "handler_median_ms": 1000 * statistics.median(handler),
                         "handler_p90_ms": 1000 * sorted(handler)[int(0.9 * len(handler))],
                         "model_median_ms": 1000 * statistics.median(model_only),
                         "budget_ms": PREVIEW_BUDGET_MS})
    return rows


def bench_sweep(device: torch.device, size: int, seeds: int, values: list[float], baseline: bool) -> dict:
    """The paper-faithful SIREN 3x256 sweep against its floor (and the straightforward pipeline)."""
    signal = make_preset("astronaut", size)
    rates = measure_rates(device, 256)
    runs = [timed_call(lambda: select_embedding(signal, "siren", values, seeds=seeds, device=device), device)
            for _ in range(2)]
    selection, seconds = min(runs, key=lambda run: run[1])
    rates = rates.best(measure_rates(device, 256))
    floor = sweep_floor(rates, size * size * len(values) * seeds, 3)
    out = {"size": size, "values": len(values), "seeds": seeds, "seconds": seconds, "floor_seconds": floor,
           "ratio": seconds / floor, "rates": rates.to_json(), "best": selection.best}
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
        rows.append({"preset": name, "size": size, "full_best": full.best, "fast_best": fast.best,
                     "steps_apart": steps_apart, "full_seconds": t_full, "fast_seconds": t_fast,
                     "tied": tied(full.distance, full.stderr, full.best_index, full.values.index(fast.best))})
    return {"rows": rows, "all_within_one_step": all(r["steps_apart"] <= 1 for r in rows),
            "all_tied": all(r["tied"] for r in rows),
            "time_ratio": sum(r["fast_seconds"] for r in rows) / sum(r["full_seconds"] for r in rows)}


def bench_training(device: torch.device, size: int, steps: int) -> dict:
    """Full-batch training steps of SIREN 3x256 against their floor."""
    signal = make_preset("astronaut", size)
    rates = measure_rates(device, 256)
    model = build("siren", 2, 3, [0], 256, 3, device=device)
    run = fit(model, signal.values, steps + 1, every=10**9)
    next(run)  # the step-0 report
    seconds = timed(lambda: next(run, None), device)[0]  # steps + 1 steps and one render of all points
    render = timed(lambda: model(torch.zeros(size * size, 2, device=device)), device)[0]
    per_step = (seconds - render) / (steps + 1)
    rates = rates.best(measure_rates(device, 256))
    floor = training_floor(rates, round(0.9 * size * size), 3)
    return {"size": size, "steps_per_second": 1 / per_step, "seconds_per_step": per_step, "floor_seconds": floor,
            "ratio": per_step / floor, "rates": rates.to_json()}


def bench_3d(device: torch.device, frames: int, side: int) -> dict:
    magnitude = dft_magnitude(torch.rand(3, frames, side, side, device=device), 3)
    reduction = Reduction(tuple(magnitude.shape), "paper", device)
    ours = min(timed(lambda: reduction(magnitude), device, 5))
    loop = timed(lambda: loop_paper_spectrum(magnitude.cpu()), device)[0]
    agree = torch.allclose(reduction(magnitude).cpu(), loop_paper_spectrum(magnitude.cpu()), rtol=1e-4, atol=1e-2)
    return {"shape": [frames, side, side], "vectorised_ms": 1000 * ours, "loop_ms": 1000 * loop,
            "speedup": loop / ours, "agree": bool(agree)}
