"""FreSh on networks and outputs from outside the built-in families.

`select_model` runs the selection on a network the caller builds: for every
candidate value and seed it calls `make_model(value, seed)` and evaluates the
untrained network on the signal's grid.  `select_outputs` takes outputs that were
produced elsewhere (configuration name -> arrays), as the FreSh reference's
`find_optimal_config.py` does.  Both return the `Selection` that `select_embedding`
returns, so the same plots, JSON and app views show them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .confidence import assess
from .fresh import Progress, Selection, mean_and_stderr
from .outputs import Output, OutputsError, as_outputs, compare_outputs, resize_values, target_frames
from .rules import first_argmin
from .signals import Signal, grid_coords
from .spectrum import Reduction, prepare_target, spectrum, wasserstein

Model = Callable[[torch.Tensor], torch.Tensor]  # coordinates (P, d) in [-1, 1] -> outputs (P, C)
MakeModel = Callable[[float, int], Model]
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
UNORDERED = "configuration"  # the parameter of saved outputs whose names hold no number: values 0, 1, ... in name order


def select_model(signal: Signal, make_model: MakeModel, values: Sequence[float], seeds: int | Sequence[int] = 10,
                 bins: int = 64, mode: str = "paper", device: torch.device | str = "cpu", chunk: int = 65536,
                 name: str = "custom", param: str = "value", progress: Progress | None = None,
                 max_seconds: float | None = None) -> Selection:
    """FreSh for any network: the value in `values` whose untrained outputs' spectra are nearest the signal's.

    make_model(value, seed) returns a `torch.nn.Module` or any callable mapping coordinates (P, d) in
    [-1, 1] (`fresh_viz.signals.grid_coords` of the signal's spatial shape, row-major) to outputs (P, C).
    It is called with the global torch RNG seeded with `seed` (and restored afterwards), so a network
    drawn with torch's RNG gets the same raw weights for every value, as in the reference.  A module is
    moved to `device` and put in eval mode; a plain callable receives coordinates on `device`.  Outputs
    are computed `chunk` points at a time under `torch.inference_mode`.  In paper mode the network is
    evaluated on the signal's own grid and its output resized to the square the target is resized to,
    as the reference does.  `seeds`: a count (seeds 0..n-1) or the seeds themselves.  `max_seconds` caps
    the wall time: the result then covers the evaluations done and says `stopped`.
    """
    start = time.perf_counter()
    device = torch.device(device)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    grid_values = sorted({float(v) for v in values})
    if not grid_values:
        raise ValueError("no candidate values")
    if not seed_list:
        raise ValueError("seeds must be at least 1")
    if bins < 2 or chunk < 1:
        raise ValueError("bins must be at least 2 and chunk at least 1")
    target = prepare_target(signal.values, mode).to(device)  # (C, *analysis grid)
    grid = tuple(target.shape[1:])
    reduction = Reduction(grid, mode, device)
    target_spectrum = spectrum(target[None], len(grid), bins, mode, reduction)[0]
    coords = grid_coords(signal.spatial_shape, device)
    distances: dict[float, list[float]] = {v: [] for v in grid_values}
    member_spectra: dict[float, list[torch.Tensor]] = {v: [] for v in grid_values}
    total, stopped = len(grid_values) * len(seed_list), False
    # Seed by seed over all values, so a time cap leaves every value with the same number of seeds.
    for seed in seed_list:
        for value in grid_values:
            done = sum(len(d) for d in distances.values())
            if max_seconds is not None and done and time.perf_counter() - start > max_seconds:
                stopped = True
                break
            output = evaluate(build_seeded(make_model, value, seed, device), coords, signal.spatial_shape, chunk,
                              f"make_model({value:g}, {seed})")
            member = spectrum(resize_values(output[None], grid), len(grid), bins, mode, reduction)[0]
            distances[value].append(wasserstein(member, target_spectrum).item())
            member_spectra[value].append(member)
            if progress:
                progress((done + 1) / total, f"{name}: {done + 1}/{total} untrained models evaluated")
        if stopped:
            break
    kept = [v for v in grid_values if distances[v]]
    return summarise(name, param, kept, [distances[v] for v in kept], [torch.stack(member_spectra[v]) for v in kept],
                     target_spectrum, bins, mode, time.perf_counter() - start, device, stopped)


def build_seeded(make_model: MakeModel, value: float, seed: int, device: torch.device) -> Model:
    """make_model(value, seed) with torch's global RNG seeded with `seed`, and put back afterwards."""
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        model = make_model(value, seed)
    if isinstance(model, nn.Module):
        model = model.to(device).eval()
    if not callable(model):
        raise ValueError(f"make_model({value:g}, {seed}) returned {type(model).__name__}, which is not callable")
    return model


@torch.inference_mode()
def evaluate(model: Model, coords: torch.Tensor, spatial: tuple[int, ...], chunk: int, what: str) -> torch.Tensor:
    """The model on every coordinate, `chunk` points at a time: coords (P, d) -> (C, *spatial) float32."""
    parts = []
    for i in range(0, coords.shape[0], chunk):
        points = coords[i : i + chunk]
        out = model(points)
        if not isinstance(out, torch.Tensor):
            raise ValueError(f"{what} returned {type(out).__name__}; expected a tensor shaped (P, C)")
        out = out[:, None] if out.dim() == 1 else out
        if out.dim() != 2 or out.shape[0] != points.shape[0]:
            raise ValueError(f"{what} mapped {points.shape[0]} points to shape {tuple(out.shape)}; expected "
                             f"({points.shape[0]}, C)")
        parts.append(out.to(coords.device, torch.float32))
    output = torch.cat(parts).T.reshape(-1, *spatial)
    if not torch.isfinite(output).all():
        raise ValueError(f"{what} produced NaN or infinite values")
    return output


def select_outputs(target: Signal | np.ndarray | torch.Tensor,
                   outputs: Mapping[str, Sequence[np.ndarray | torch.Tensor | Output]], bins: int = 64,
                   mode: str = "paper", bbox: bool = False, downscale: bool = False,
                   device: torch.device | str = "cpu", name: str = "outputs",
                   progress: Progress | None = None) -> Selection:
    """FreSh on untrained outputs produced elsewhere: {configuration name: [output arrays]}.

    Each output is (C, H, W) or (H, W, C), optionally with a leading frame (or view) axis; `target` is a
    `Signal` (image or video) or an array read as the reference reads its target: (H, W, C), (C, H, W)
    or (N, H, W, C).  Outputs are paired with target frames exactly as the reference does for a run at
    this one spectrum size (`python -m fresh_viz outputs --sizes BINS` gives the same numbers; see
    `fresh_viz.outputs`).  Values are the numbers the names stand for ("30", or the one position that
    varies in tuples such as "(30.0, 1.0, 6.0)"), else 0, 1, ...; `labels` keeps the names.
    `stderr` is the standard error of the mean with the reference's n (not n - 1), as for `select_embedding`.
    """
    if isinstance(target, Signal):
        if target.kind not in ("image", "video"):
            raise OutputsError(f"saved outputs are compared as images; the target is {target.kind}")
        values = target.values.cpu().numpy()
        frames = values[None] if target.kind == "image" else np.moveaxis(values, 1, 0)
    else:
        array = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
        frames = target_frames(array)
    result = compare_outputs(frames, as_outputs(outputs), (bins,), mode, bbox, downscale, device, progress)
    param, numbers = config_values(result.configs)
    order = sorted(range(len(numbers)), key=lambda i: numbers[i])
    return summarise(name, param, [numbers[i] for i in order], [result.distances[bins][i] for i in order],
                     [result.spectra[bins][i] for i in order], result.target_spectra[bins], bins, mode,
                     result.seconds, torch.device(device), labels=[result.configs[i] for i in order])


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


def summarise(name: str, param: str, values: list[float], distances: list[list[float]],
              spectra: list[torch.Tensor], target_spectrum: torch.Tensor, bins: int, mode: str, seconds: float,
              device: torch.device, stopped: bool = False, labels: list[str] | None = None) -> Selection:
    """Mean W, its standard error (np.std / sqrt(n), as the reference) and the argmin (first on ties) per
    value, and how sure that pick is (`confidence.assess`: the i-th entry of each value's `distances` is
    its i-th seed or output); spectra: (k, bins) each."""
    stats = [mean_and_stderr(d) for d in distances]
    means, errors = [mean for mean, _ in stats], [error for _, error in stats]
    best = first_argmin(means)
    return Selection(model=name, param=param, values=values, distance=means, stderr=errors,
                     seed_counts=[len(d) for d in distances], best=values[best], bins=bins, mode=mode, seconds=seconds,
                     device=str(device), target_spectrum=target_spectrum.tolist(),
                     model_spectra=[s.mean(0).tolist() for s in spectra], stopped=stopped, labels=labels or [],
                     **assess(distances, values, best, ordered=param != UNORDERED))
