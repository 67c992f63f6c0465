"""FreSh: choose an embedding hyperparameter by matching the untrained model's spectrum.

For each candidate value, the untrained model is evaluated on the signal's grid
for several seeds (the same seeds for every value, as the reference does), its
spectrum is compared with the target's by the 1-D Wasserstein distance, and the
value with the lowest mean distance wins (the first one on ties).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import torch

from .models import INR, build, get_family, render, tuned_knob
from .signals import Signal, grid_coords
from .spectrum import Reduction, crop, dft_magnitude, prepare_target, wasserstein

Progress = Callable[[float, str], None]
MEMBER_BYTES = 256 * 2**20  # activation budget for one batch of ensemble members


@dataclass
class Selection:
    """Result of a sweep; `distance` and `stderr` line up with `values`."""

    model: str
    param: str
    values: list[float]
    distance: list[float]
    stderr: list[float]
    seeds: list[int]  # seeds evaluated per value
    best: float
    bins: int
    mode: str
    seconds: float
    device: str
    target_spectrum: list[float] = field(repr=False)
    model_spectra: list[list[float]] = field(repr=False)  # mean spectrum per value

    @property
    def best_index(self) -> int:
        return self.values.index(self.best)

    def to_json(self, spectra: bool = False) -> dict:
        out = asdict(self)
        if not spectra:
            out.pop("target_spectrum")
            out.pop("model_spectra")
        return out


@dataclass
class Preview:
    """One untrained model on the analysis grid."""

    output: torch.Tensor  # (C, *grid), values roughly in [-1, 1]
    spectrum: torch.Tensor  # (bins,)
    distance: float
    seconds: float


class Sweep:
    """The fixed parts of a selection (target spectrum, grid, bin index), and a
    memo of every (value, seed) already evaluated."""

    def __init__(self, signal: Signal, family: str | type[INR] = "siren", knob: str | None = None,
                 bins: int = 64, mode: str = "paper", width: int = 256, depth: int = 3,
                 fixed: Mapping[str, float] | None = None, device: torch.device | str = "cpu"):
        self.family = get_family(family) if isinstance(family, str) else family
        self.knob = tuned_knob(self.family, signal.ndim, knob)
        self.bins, self.mode, self.width, self.depth = bins, mode, width, depth
        self.fixed = dict(fixed or {})
        self.fixed.pop(self.knob.name, None)
        self.device = torch.device(device)
        target = prepare_target(signal.values, mode).to(self.device)
        self.channels, self.grid = target.shape[0], tuple(target.shape[1:])
        self.reduction = Reduction(self.grid, mode, self.device)
        self.coords = grid_coords(self.grid, self.device)
        self.target_spectrum = self.spectra(target.unsqueeze(0))[0]
        self.distances: dict[tuple[float, int], float] = {}
        self.member_spectra: dict[tuple[float, int], torch.Tensor] = {}

    def spectra(self, outputs: torch.Tensor) -> torch.Tensor:
        """(E, C, *grid) -> (E, bins)."""
        return crop(self.reduction(dft_magnitude(outputs, len(self.grid))), self.bins)

    def batch_size(self) -> int:
        per_member = min(self.coords.shape[0], 16384) * self.width * 4 * 3
        return max(1, MEMBER_BYTES // per_member)

    @torch.inference_mode()
    def outputs(self, values: Sequence[float], seeds: Sequence[int],
                extra: Mapping[str, float] | None = None) -> torch.Tensor:
        """Untrained outputs, member e having knob value values[e] and seed seeds[e]: (E, C, *grid)."""
        knobs = {**self.fixed, **(extra or {}), self.knob.name: list(values)}
        model = build(self.family, len(self.grid), self.channels, seeds, self.width, self.depth, knobs, self.device)
        return render(model, self.coords).reshape(len(seeds), self.channels, *self.grid)

    @torch.inference_mode()
    def preview(self, value: float, seed: int = 0, extra: Mapping[str, float] | None = None) -> Preview:
        """One untrained model: its output, spectrum and distance to the target."""
        start = time.perf_counter()
        output = self.outputs([value], [seed], extra)
        spectrum = self.spectra(output)[0]
        distance = wasserstein(spectrum, self.target_spectrum).item()
        return Preview(output[0], spectrum, distance, time.perf_counter() - start)

    def evaluate(self, values: Sequence[float], seeds: Sequence[int], progress: Progress | None = None) -> None:
        """Compute W for every (value, seed) pair not yet known."""
        todo = [(float(v), int(s)) for v in values for s in seeds if (float(v), int(s)) not in self.distances]
        step = self.batch_size()
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            spectra = self.spectra(self.outputs([v for v, _ in batch], [s for _, s in batch]))
            distances = wasserstein(spectra, self.target_spectrum).tolist()
            for member, distance, spectrum in zip(batch, distances, spectra):
                self.distances[member] = distance
                self.member_spectra[member] = spectrum
            if progress:
                done = start + len(batch)
                progress(done / len(todo), f"{self.family.title}: {done}/{len(todo)} untrained models evaluated")

    def summary(self, seconds: float) -> Selection:
        """Mean W and its standard error per evaluated value; the argmin."""
        values = sorted({v for v, _ in self.distances})
        means, errors, counts, spectra = [], [], [], []
        for v in values:
            per_seed = torch.tensor([d for (value, _), d in self.distances.items() if value == v], dtype=torch.float64)
            means.append(per_seed.mean().item())
            errors.append(per_seed.std().item() / math.sqrt(len(per_seed)) if len(per_seed) > 1 else 0.0)
            counts.append(len(per_seed))
            member = [s for (value, _), s in self.member_spectra.items() if value == v]
            spectra.append(torch.stack(member).mean(0).tolist())
        best = values[min(range(len(values)), key=lambda i: (means[i], i))]
        return Selection(self.family.name, self.knob.name, values, means, errors, counts, best, self.bins,
                         self.mode, seconds, str(self.device), self.target_spectrum.tolist(), spectra)


def select_embedding(signal: Signal, family: str = "siren", values: Sequence[float] | None = None,
                     knob: str | None = None, seeds: int = 10, bins: int = 64, mode: str = "paper",
                     width: int = 256, depth: int = 3, fixed: Mapping[str, float] | None = None,
                     device: torch.device | str = "cpu", fast: bool = False,
                     progress: Progress | None = None) -> Selection:
    """Run FreSh over `values` (default: the family's grid for this signal).

    fast=False is the paper's setting: every value, `seeds` seeds each.
    fast=True goes coarse to fine with 3 seeds, then adds seeds only to the
    values whose error bars overlap the leader's; see `fast_sweep`.
    """
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    if bins < 2:
        raise ValueError("bins must be at least 2")
    start = time.perf_counter()
    sweep = Sweep(signal, family, knob, bins, mode, width, depth, fixed, device)
    grid = sorted({float(v) for v in (values if values is not None else sweep.knob.grid)})
    if not grid:
        raise ValueError("no candidate values")
    if fast:
        fast_sweep(sweep, grid, seeds, progress)
    else:
        sweep.evaluate(grid, range(seeds), progress)
    return sweep.summary(time.perf_counter() - start)


def fast_sweep(sweep: Sweep, grid: list[float], seeds: int, progress: Progress | None = None) -> None:
    """Coarse to fine: every third value with 3 seeds, then the neighbours of the
    best, then more seeds (up to `seeds`) for values whose error bars overlap the best's."""
    first = min(3, seeds)
    coarse = grid[::3] if grid[-1] in grid[::3] else grid[::3] + [grid[-1]]
    report = (lambda lo, hi: (lambda f, msg: progress(lo + (hi - lo) * f, msg))) if progress else (lambda lo, hi: None)
    sweep.evaluate(coarse, range(first), report(0.0, 0.5))
    centre = grid.index(sweep.summary(0).best)
    sweep.evaluate(grid[max(0, centre - 2) : centre + 3], range(first), report(0.5, 0.75))
    if seeds > first:
        result = sweep.summary(0)
        leader = result.best_index
        reach = result.distance[leader] + 2 * result.stderr[leader]
        ranked = sorted(zip(result.distance, result.stderr, result.values))
        contenders = [v for d, e, v in ranked if d - 2 * e <= reach][:4]
        sweep.evaluate(contenders, range(seeds), report(0.75, 1.0))
