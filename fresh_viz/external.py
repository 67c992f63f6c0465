"""FreSh on networks and outputs from outside the built-in families: thin adapters over `fresh.Sweep`.

`select_model` runs the selection on a network the caller builds (`fresh.ModelMembers`);
`select_outputs` on outputs produced elsewhere (configuration name -> arrays), as the FreSh
reference's `find_optimal_config.py` does (`outputs.SavedOutputs`).  Both return the `Selection`
that `select_embedding` returns, from the same sweep, so the same plots, JSON, rules and app
views serve them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from .fresh import MakeModel, ModelMembers, Progress, Selection, Sweep
from .outputs import Output, OutputsError, as_outputs, compare_outputs, target_frames
from .rules import get_rule
from .signals import Signal

NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
UNORDERED = "configuration"  # the parameter of saved outputs whose names hold no number: values 0, 1, ... in name order


def select_model(signal: Signal, make_model: MakeModel, values: Sequence[float], seeds: int | Sequence[int] = 10,
                 bins: int = 64, mode: str = "paper", device: torch.device | str = "cpu", chunk: int = 65536,
                 name: str = "custom", param: str = "value", progress: Progress | None = None,
                 max_seconds: float | None = None, rule: str = "paper") -> Selection:
    """FreSh for any network: the value in `values` whose untrained outputs' spectra are nearest the signal's.

    make_model(value, seed) returns a `torch.nn.Module` or any callable mapping coordinates (P, d) in
    [-1, 1] (`fresh_viz.signals.grid_coords` of the signal's spatial shape, row-major) to outputs (P, C).
    It is called with the global torch RNG seeded with `seed` (and restored afterwards), so a network
    drawn with torch's RNG gets the same raw weights for every value, as in the reference.  A module is
    moved to `device` and put in eval mode; a plain callable receives coordinates on `device`.  Outputs
    are computed `chunk` points at a time under `torch.inference_mode`.  The network is evaluated where
    a built-in family is (`fresh.Sweep`): on the signal's own grid, its output resized as the target is;
    for a video in paper mode on one frame per seed (time input 0), compared with that seed's target
    frame.  `seeds`: a count (seeds 0..n-1) or the seeds themselves.  `max_seconds` caps the wall time
    (checked between networks): the result then covers the evaluations done and says `stopped`.
    `rule` chooses from the distances (`fresh_viz.rules`).
    """
    start = time.perf_counter()
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    grid = sorted({float(v) for v in values})
    if not grid:
        raise ValueError("no candidate values")
    if not seed_list:
        raise ValueError("seeds must be at least 1")
    if bins < 2 or chunk < 1:
        raise ValueError("bins must be at least 2 and chunk at least 1")
    get_rule(rule)
    sweep = Sweep(signal, ModelMembers(make_model, name, param, chunk), bins=bins, mode=mode, device=device)
    if max_seconds is not None:
        sweep.deadline = start + max_seconds
    sweep.evaluate(grid, seed_list, progress)
    return sweep.summary(time.perf_counter() - start, grid, len(seed_list), rule=rule)


def select_outputs(target: Signal | np.ndarray | torch.Tensor,
                   outputs: Mapping[str, Sequence[np.ndarray | torch.Tensor | Output]], bins: int = 64,
                   mode: str = "paper", bbox: bool = False, downscale: bool = False,
                   device: torch.device | str = "cpu", name: str = "outputs",
                   progress: Progress | None = None, rule: str = "paper") -> Selection:
    """FreSh on untrained outputs produced elsewhere: {configuration name: [output arrays]}.

    Each output is (C, H, W) or (H, W, C), optionally with a leading frame (or view) axis; `target` is a
    `Signal` (image or video) or an array read as the reference reads its target: (H, W, C), (C, H, W)
    or (N, H, W, C).  Outputs are paired with target frames exactly as the reference does for a run at
    this one spectrum size (`python -m fresh_viz outputs --sizes BINS` gives the same numbers; see
    `fresh_viz.outputs.pairing`); each configuration's i-th output plays seed i.  Values are the numbers
    the names stand for ("30", or the one position that varies in tuples such as "(30.0, 1.0, 6.0)"),
    else 0, 1, ...; `labels` keeps the names.  `stderr` is the standard error of the mean with the
    reference's n (not n - 1), as for `select_embedding`; `rule` chooses (`fresh_viz.rules`).
    """
    if isinstance(target, Signal):
        if target.kind not in ("image", "video"):
            raise OutputsError(f"saved outputs are compared as images; the target is {target.kind}")
        values = target.values.cpu().numpy()
        frames = values[None] if target.kind == "image" else np.moveaxis(values, 1, 0)
    else:
        array = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
        frames = target_frames(array)
    get_rule(rule)
    outputs = as_outputs(outputs)
    param, numbers = config_values(list(outputs))
    (result,) = compare_outputs(frames, outputs, (bins,), mode, bbox, downscale, device, progress, numbers, name,
                                param, rule, ordered=param != UNORDERED)
    return result.selection


def config_values(names: Sequence[str]) -> tuple[str, list[float]]:
    """What configuration names stand for on an axis: (parameter name, one number per name).

    "30" -> 30 ("value"); tuples such as "(30.0, 1.0, 6.0)" in which one position varies -> that
    position ("configuration[0]"); anything else -> 0, 1, ... ("configuration")."""
    parsed = [numbers_in(name) for name in names]
    if all(parsed) and len({len(p) for p in parsed}) == 1:
        varying = [i for i in range(len(parsed[0])) if len({p[i] for p in parsed}) > 1]
        position = 0 if len(parsed[0]) == 1 else varying[0] if len(varying) == 1 else None
        if position is not None and len({p[position] for p in parsed}) == len(names):
            label = "value" if len(parsed[0]) == 1 else f"configuration[{position}]"
            return label, [p[position] for p in parsed]
    return UNORDERED, [float(i) for i in range(len(names))]


def numbers_in(name: str) -> tuple[float, ...] | None:
    """The numbers of "30", "(30.0, 1.0)" or "[30, 1]"; None for any other name."""
    inner = name.strip().removeprefix("(").removesuffix(")").removeprefix("[").removesuffix("]")
    parts = [p.strip() for p in inner.split(",")]
    if parts and parts[-1] == "":  # "(30.0,)"
        parts.pop()
    if not parts or not all(NUMBER.fullmatch(p) for p in parts):
        return None
    return tuple(float(p) for p in parts)
