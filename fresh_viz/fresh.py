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
from .rules import Evidence, get_rule
from .signals import Signal, grid_coords
from .spectrum import Reduction, prepare_target, spectrum, wasserstein

Progress = Callable[[float, str], None]
FAST_SHARE = 0.2  # fast mode's budget, as a share of the full sweep's model evaluations
ACTIVATION_BYTES = 8 * 2**20  # one hidden layer's activations per pass: large products, cache-friendly


@dataclass
class Selection:
    """Result of a sweep; `distance` and `stderr` line up with `values`."""

    model: str
    param: str
    values: list[float]
    distance: list[float]
    stderr: list[float]
    seed_counts: list[int]  # how many seeds were evaluated for each value
    best: float
    bins: int
    mode: str
    seconds: float
    device: str
    target_spectrum: list[float] = field(repr=False)
    model_spectra: list[list[float]] = field(repr=False)  # mean spectrum per value
    stopped: bool = False  # the time cap ended the sweep early; the result covers what was done
    rule: str = "paper"  # how `best` was chosen from the distances (fresh_viz.rules)

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
        self.target = prepare_target(signal.values, mode).to(self.device)  # (C, *grid)
        self.channels, self.grid = self.target.shape[0], tuple(self.target.shape[1:])
        self.reduction = Reduction(self.grid, mode, self.device)
        self.coords = grid_coords(self.grid, self.device)
        self.target_spectrum = self.spectra(self.target.unsqueeze(0))[0]
        self.distances: dict[tuple[float, int], float] = {}
        self.member_spectra: dict[tuple[float, int], torch.Tensor] = {}
        self.deadline: float | None = None  # perf_counter() time after which evaluate() stops
        self.stopped = False

    def spectra(self, outputs: torch.Tensor) -> torch.Tensor:
        """(E, C, *grid) -> (E, bins)."""
        return spectrum(outputs, len(self.grid), self.bins, self.mode, self.reduction)

    @property
    def points_per_pass(self) -> int:
        """Rows of one hidden-layer product: sized so its activations stay within ACTIVATION_BYTES."""
        return max(256, ACTIVATION_BYTES // (self.width * 4))

    @torch.inference_mode()
    def outputs(self, values: Sequence[float], seed: int, extra: Mapping[str, float] | None = None) -> torch.Tensor:
        """Untrained outputs for each value with one seed: (V, C, *grid).

        The members share all layers after the first, so those run as one large
        matrix product over V x points rows."""
        knobs = {**self.fixed, **(extra or {}), self.knob.name: list(values)}
        model = build(self.family, len(self.grid), self.channels, [seed] * len(values), self.width, self.depth,
                      knobs, self.device, shared=True)
        chunk = max(256, self.points_per_pass // len(values))
        return render(model, self.coords, chunk).reshape(len(values), self.channels, *self.grid)

    @torch.inference_mode()
    def preview(self, value: float, seed: int = 0, extra: Mapping[str, float] | None = None) -> Preview:
        """One untrained model: its output, spectrum and distance to the target."""
        start = time.perf_counter()
        output = self.outputs([value], seed, extra)
        model_spectrum = self.spectra(output)[0]
        distance = wasserstein(model_spectrum, self.target_spectrum).item()
        return Preview(output[0], model_spectrum, distance, time.perf_counter() - start)

    def evaluate(self, values: Sequence[float], seeds: Sequence[int], progress: Progress | None = None) -> None:
        """Compute W for every (value, seed) pair not yet known."""
        todo = {int(s): [float(v) for v in values if (float(v), int(s)) not in self.distances] for s in seeds}
        total, done = sum(len(v) for v in todo.values()), 0
        for seed, batch in todo.items():
            if not batch:
                continue
            if self.deadline is not None and self.distances and time.perf_counter() > self.deadline:
                self.stopped = True
                return
            spectra = self.spectra(self.outputs(batch, seed))
            distances = wasserstein(spectra, self.target_spectrum).tolist()
            for value, distance, member_spectrum in zip(batch, distances, spectra):
                self.distances[(value, seed)] = distance
                self.member_spectra[(value, seed)] = member_spectrum
            done += len(batch)
            if progress:
                progress(done / total, f"{self.family.title}: {done}/{total} untrained models evaluated")

    def summary(self, seconds: float, rule: str = "paper") -> Selection:
        """Mean W and its standard error per evaluated value; the value `rule` picks (paper: the argmin)."""
        values = sorted({v for v, _ in self.distances})
        means, errors, counts, spectra, members = [], [], [], [], []
        for v in values:
            per_seed = torch.tensor([d for (value, _), d in self.distances.items() if value == v], dtype=torch.float64)
            means.append(per_seed.mean().item())
            errors.append(per_seed.std().item() / math.sqrt(len(per_seed)) if len(per_seed) > 1 else 0.0)
            counts.append(len(per_seed))
            members.append(torch.stack([s for (value, _), s in self.member_spectra.items() if value == v]))
            spectra.append(members[-1].mean(0).tolist())
        best = values[get_rule(rule).choose(Evidence(values, means, errors, members, self.target_spectrum))]
        return Selection(self.family.name, self.knob.name, values, means, errors, counts, best, self.bins,
                         self.mode, seconds, str(self.device), self.target_spectrum.tolist(), spectra, self.stopped,
                         rule)


def select_embedding(signal: Signal, family: str = "siren", values: Sequence[float] | None = None,
                     knob: str | None = None, seeds: int = 10, bins: int = 64, mode: str = "paper",
                     width: int = 256, depth: int = 3, fixed: Mapping[str, float] | None = None,
                     device: torch.device | str = "cpu", fast: bool = False,
                     progress: Progress | None = None, max_seconds: float | None = None,
                     rule: str = "paper") -> Selection:
    """Run FreSh over `values` (default: the family's grid for this signal).

    fast=False is the paper's setting: every value, `seeds` seeds each.
    fast=True goes coarse to fine with 2 seeds, then adds seeds only to the
    values whose error bars overlap the leader's; see `fast_sweep`.
    max_seconds caps the wall time; a capped result says `stopped` and covers
    the (value, seed) pairs done by then.
    rule names how `best` is chosen (`fresh_viz.rules.RULES`; default the paper's
    lowest mean W); the fast mode refines around the paper's choice either way.
    """
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    if bins < 2:
        raise ValueError("bins must be at least 2")
    get_rule(rule)  # an unknown name fails before any work
    start = time.perf_counter()
    sweep = Sweep(signal, family, knob, bins, mode, width, depth, fixed, device)
    if max_seconds is not None:
        sweep.deadline = start + max_seconds
    grid = sorted({float(v) for v in (values if values is not None else sweep.knob.grid)})
    if not grid:
        raise ValueError("no candidate values")
    if fast:
        fast_sweep(sweep, grid, seeds, progress)
    else:
        sweep.evaluate(grid, range(seeds), progress)
    return sweep.summary(time.perf_counter() - start, rule)


def fast_sweep(sweep: Sweep, grid: list[float], seeds: int, progress: Progress | None = None) -> None:
    """Coarse to fine in about a fifth of the full sweep's model evaluations.

    Every other value with 2 seeds; then the unevaluated neighbours of every value
    whose error bar reaches the leader's; then one more seed at a time for the
    values still tied with the leader, until it stands apart or the budget is spent.
    """
    budget = max(len(grid), int(FAST_SHARE * len(grid) * seeds))
    first = min(2, seeds)

    def report(stage: str) -> None:
        if progress:
            progress(min(1.0, len(sweep.distances) / budget), f"{sweep.family.title}, fast mode: {stage}")

    def tied() -> list[float]:
        """Values whose mean - 2 s.e. reaches the leader's mean + 2 s.e., best first."""
        result = sweep.summary(0.0)
        reach = result.distance[result.best_index] + 2 * result.stderr[result.best_index]
        ranked = sorted(zip(result.distance, result.stderr, result.values))
        return [v for d, e, v in ranked if d - 2 * e <= reach]

    sweep.evaluate(sorted(set(grid[::2]) | {grid[-1]}), range(first))
    report("coarse grid done")
    seen = {v for v, _ in sweep.distances}
    neighbours = []
    for value in tied():
        i = grid.index(value)
        neighbours += [grid[j] for j in (i - 1, i + 1) if 0 <= j < len(grid) and grid[j] not in seen]
    room = max(0, budget - len(sweep.distances)) // first
    sweep.evaluate(list(dict.fromkeys(neighbours))[:room], range(first))
    report("refined around the best")
    for seed in range(first, seeds):
        contenders = tied()
        if sweep.stopped or len(contenders) < 2 or len(sweep.distances) + len(contenders) > budget:
            break
        sweep.evaluate(contenders, [seed])
        report(f"seed {seed + 1} for {len(contenders)} tied values")
    if progress:
        progress(1.0, f"{sweep.family.title}, fast mode: done, {len(sweep.distances)} models evaluated")
