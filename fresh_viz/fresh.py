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

from .confidence import assess
from .models import INR, OutOfTime, build, get_family, held_values, render, tuned_knob
from .rules import Evidence, get_rule
from .signals import Signal, grid_coords
from .spectrum import MODES, Reduction, analysis_grid, framewise, prepare_target, spectrum, to_grid, wasserstein
from .tuning import tuning_for

Progress = Callable[[float, str], None]
FAST_SHARE = 0.2  # fast mode's budget, as a share of the full sweep's model evaluations
TIE_REACH = 2.0  # fast mode: values within this many standard errors of the leader count as tied
FAST_RULE = f"coarse grid with 2 seeds, neighbours of the values within {TIE_REACH:g} s.e. of the best, " \
            "then more seeds while values stay tied"


@dataclass
class Selection:
    """Result of a sweep; `distance` and `stderr` line up with `values`.

    Every setting that shapes the result is recorded (`settings`), so a caller can
    tell whether a cached result still matches what it would run now."""

    model: str
    param: str
    values: list[float]  # the values evaluated
    distance: list[float]
    stderr: list[float]  # standard error of the mean, with the reference's n (not n - 1)
    seed_counts: list[int]  # how many seeds were evaluated for each value
    best: float
    bins: int
    mode: str
    seconds: float
    device: str
    target_spectrum: list[float] = field(repr=False)  # mean over the seeds' targets (frames, for video)
    model_spectra: list[list[float]] = field(repr=False)  # mean spectrum per value
    stopped: bool = False  # the time cap ended the sweep early; the result covers what was done
    candidates: list[float] = field(default_factory=list)  # the values asked for
    seeds: int = 0  # seeds asked for per value (fast mode evaluates fewer for most values)
    width: int = 0
    depth: int = 0
    fixed: dict[str, float] = field(default_factory=dict)  # the other knobs, held at these values
    fast: bool = False
    fast_rule: str | None = None  # how fast mode settles ties; None for the full sweep
    shape: list[int] = field(default_factory=list)  # the signal's spatial shape
    labels: list[str] = field(default_factory=list)  # configuration names that `values` stand for (saved outputs)
    rule: str = "paper"  # how `best` was chosen from the distances (fresh_viz.rules)
    # How sure the pick is (fresh_viz.confidence.assess): W per value (rows) per seed (columns, the j-th seed
    # evaluated; None where a value lacks it), how often each value wins paired bootstrap resamples of the
    # seeds, the fewest values that win 95 % of them, and "low" / "high" for a pick at an edge W falls towards.
    per_seed: list[list[float | None]] = field(default_factory=list)
    pick_frequency: list[float] = field(default_factory=list)
    plausible: list[float] = field(default_factory=list)
    edge: str | None = None

    @property
    def best_index(self) -> int:
        return self.values.index(self.best)

    @property
    def settings(self) -> dict:
        """Everything that shapes the result, as `Sweep.settings` reports it before a run."""
        return {"model": self.model, "param": self.param, "candidates": self.candidates, "seeds": self.seeds,
                "bins": self.bins, "mode": self.mode, "width": self.width, "depth": self.depth, "fixed": self.fixed,
                "fast": self.fast, "fast_rule": self.fast_rule, "rule": self.rule, "shape": self.shape}

    def to_json(self, spectra: bool = False) -> dict:
        out = asdict(self)
        if not spectra:
            out.pop("target_spectrum")
            out.pop("model_spectra")
        if not self.labels:
            out.pop("labels")
        return out


@dataclass
class Preview:
    """One untrained model on the analysis grid."""

    output: torch.Tensor  # (C, *grid), values roughly in [-1, 1]
    spectrum: torch.Tensor  # (bins,)
    distance: float
    seconds: float
    target_spectrum: torch.Tensor | None = None  # (bins,) what `spectrum` was compared with


class Sweep:
    """The fixed parts of a selection (target spectra, grids, bin index), and a
    memo of every (value, seed) already evaluated.

    The model is evaluated on the signal's own grid and its output resized onto
    the analysis grid exactly as the target is (see `spectrum.analysis_grid`).
    In paper mode a video is compared frame by frame: seed s evaluates the model
    on one frame and pairs it with the target frame drawn with seed s, as the
    reference pairs a random output frame with the target frame of that index.  The
    model sees that frame with its time input at 0, as the reference's video runs
    save their untrained frames (time disabled); `tools/video_time.py` measures
    what that changes against each frame's own time.
    """

    def __init__(self, signal: Signal, family: str | type[INR] = "siren", knob: str | None = None,
                 bins: int = 64, mode: str = "paper", width: int | None = None, depth: int | None = None,
                 fixed: Mapping[str, float] | None = None, device: torch.device | str = "cpu"):
        if mode not in MODES:
            raise ValueError(f"unknown spectrum mode '{mode}'; choose from {', '.join(MODES)}")
        self.family = get_family(family) if isinstance(family, str) else family
        self.knob = tuned_knob(self.family, signal.ndim, knob)
        self.bins, self.mode = bins, mode
        self.width = self.family.default_width if width is None else width
        self.depth = self.family.default_depth if depth is None else depth
        self.fixed = {**held_values(self.family, signal.ndim, self.knob.name), **(fixed or {})}
        self.fixed.pop(self.knob.name, None)
        self.device = torch.device(device)
        # Rows of one hidden-layer product: the size measured fastest on this machine, read once.
        self.points_per_pass = tuning_for(self.device).sweep_points(self.width)
        self.shape = signal.spatial_shape  # where the model is evaluated
        self.framewise = framewise(signal.ndim, mode)
        self.grid = analysis_grid(self.shape, mode)  # where spectra are taken
        self.channels = signal.channels
        self.reduction = Reduction(self.grid, mode, self.device)
        targets = prepare_target(signal.values, mode).to(self.device)  # (C, *grid), or (C, T, *grid) frame-wise
        if self.framewise:
            self.frame_spectra = self.spectra(targets.transpose(0, 1))  # (T, bins)
            frame = grid_coords(self.shape[1:], self.device)  # one frame's (y, x), seen at t = 0
            self.coords = torch.cat([frame.new_zeros(frame.shape[0], 1), frame], dim=1)
        else:
            self.coords = grid_coords(self.shape, self.device)
        self.target = targets[:, self.frame(0)] if self.framewise else targets  # (C, *grid); seed 0's frame
        self.target_spectrum = self.spectra(self.target.unsqueeze(0))[0]  # seed 0's, for video in paper mode
        self.distances: dict[tuple[float, int], float] = {}
        self.member_spectra: dict[tuple[float, int], torch.Tensor] = {}
        self.deadline: float | None = None  # perf_counter() time after which evaluate() stops
        self.stopped = False

    def spectra(self, outputs: torch.Tensor) -> torch.Tensor:
        """(E, C, *grid) -> (E, bins)."""
        return spectrum(outputs, len(self.grid), self.bins, self.mode, self.reduction)

    def frame(self, seed: int) -> int:
        """The video frame paired with `seed` in frame-wise mode."""
        return int(torch.randint(self.shape[0], (1,), generator=torch.Generator().manual_seed(seed)))

    def target_for(self, seed: int) -> torch.Tensor:
        """The target spectrum the outputs of `seed` are compared with: (bins,)."""
        return self.frame_spectra[self.frame(seed)] if self.framewise else self.target_spectrum

    def settings(self, candidates: Sequence[float], seeds: int, fast: bool, rule: str = "paper") -> dict:
        """What a selection over `candidates` would record as its settings (`Selection.settings`)."""
        return {"model": self.family.name, "param": self.knob.name,
                "candidates": sorted({float(v) for v in candidates}), "seeds": seeds, "bins": self.bins,
                "mode": self.mode, "width": self.width, "depth": self.depth,
                "fixed": dict(self.fixed), "fast": fast, "fast_rule": FAST_RULE if fast else None, "rule": rule,
                "shape": list(self.shape)}

    @torch.inference_mode()
    def outputs(self, values: Sequence[float], seed: int, extra: Mapping[str, float] | None = None) -> torch.Tensor:
        """Untrained outputs for each value with one seed, on the analysis grid: (V, C, *grid).

        The members share every layer the knob does not touch, so those run as one
        large matrix product over V x points rows."""
        knobs = {**self.fixed, **(extra or {}), self.knob.name: list(values)}
        model = build(self.family, len(self.shape), self.channels, [seed] * len(values), self.width, self.depth,
                      knobs, self.device, shared=True, shape=self.shape)
        chunk = max(1, self.points_per_pass // len(values))  # rows of one product: values x points
        evaluated = self.shape[1:] if self.framewise else self.shape
        out = render(model, self.coords, chunk, self.deadline).reshape(len(values), self.channels, *evaluated)
        return to_grid(out, self.grid)

    @torch.inference_mode()
    def preview(self, value: float, seed: int = 0, extra: Mapping[str, float] | None = None) -> Preview:
        """One untrained model: its output, spectrum and distance to the target (for video in
        paper mode, the seed's frame)."""
        start = time.perf_counter()
        output = self.outputs([value], seed, extra)
        model_spectrum = self.spectra(output)[0]
        target = self.target_for(seed)
        distance = wasserstein(model_spectrum, target).item()
        return Preview(output[0], model_spectrum, distance, time.perf_counter() - start, target)

    def evaluate(self, values: Sequence[float], seeds: Sequence[int], progress: Progress | None = None) -> None:
        """Compute W for every (value, seed) pair not yet known."""
        todo = {int(s): [float(v) for v in values if (float(v), int(s)) not in self.distances] for s in seeds}
        total, done = sum(len(v) for v in todo.values()), 0
        for seed, batch in todo.items():
            if not batch:
                continue
            try:
                spectra = self.spectra(self.outputs(batch, seed))  # the cap holds between chunks inside too
            except OutOfTime:
                self.stopped = True
                return
            distances = wasserstein(spectra, self.target_for(seed)).tolist()
            for value, distance, member_spectrum in zip(batch, distances, spectra):
                self.distances[(value, seed)] = distance
                self.member_spectra[(value, seed)] = member_spectrum
            done += len(batch)
            if progress:
                progress(done / total, f"{self.family.title}: {done}/{total} untrained models evaluated")

    def summary(self, seconds: float, candidates: Sequence[float] = (), seeds: int = 0,
                fast: bool = False, rule: str = "paper") -> Selection:
        """Mean W and its standard error per evaluated value (np.std / sqrt(n), as the
        reference); the value `rule` picks (paper: the argmin, the first value on ties)."""
        if not self.distances:
            raise ValueError("the time cap ended the sweep before one value was evaluated; allow more time")
        values = sorted({v for v, _ in self.distances})
        means, errors, counts, spectra, members = [], [], [], [], []
        for v in values:
            per_seed = [d for (value, _), d in self.distances.items() if value == v]
            mean, error = mean_and_stderr(per_seed)
            means.append(mean)
            errors.append(error)
            counts.append(len(per_seed))
            members.append(torch.stack([s for (value, _), s in self.member_spectra.items() if value == v]))
            spectra.append(members[-1].mean(0).tolist())
        seen = sorted({s for _, s in self.distances})
        target = torch.stack([self.target_for(s) for s in seen]).mean(0)
        best = values[get_rule(rule).choose(Evidence(values, means, errors, members, target))]
        plan = self.settings(candidates or values, seeds, fast, rule)
        per_seed = [[self.distances.get((v, s)) for s in seen] for v in values]
        return Selection(self.family.name, self.knob.name, values, means, errors, counts, best, self.bins,
                         self.mode, seconds, str(self.device), target.tolist(), spectra, self.stopped,
                         plan["candidates"], seeds, self.width, self.depth, plan["fixed"], fast, plan["fast_rule"],
                         plan["shape"], rule=rule, **assess(per_seed, values, values.index(best)))


def mean_and_stderr(per_seed: Sequence[float]) -> tuple[float, float]:
    """Mean W over seeds and its standard error, np.std / sqrt(n) with NumPy's default (divide
    by n, not n - 1) as the reference computes it."""
    d = torch.tensor(per_seed, dtype=torch.float64)
    return d.mean().item(), d.std(correction=0).item() / math.sqrt(len(d))


def select_embedding(signal: Signal, family: str = "siren", values: Sequence[float] | None = None,
                     knob: str | None = None, seeds: int = 10, bins: int = 64, mode: str = "paper",
                     width: int | None = None, depth: int | None = None, fixed: Mapping[str, float] | None = None,
                     device: torch.device | str = "cpu", fast: bool = False,
                     progress: Progress | None = None, max_seconds: float | None = None,
                     rule: str = "paper") -> Selection:
    """Run FreSh over `values` (default: the family's grid for this signal).

    width and depth default to the family's; the knobs not tuned are held at
    `fixed`, else where the reference holds them (`INR.held`), else at their defaults.

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
    return sweep.summary(time.perf_counter() - start, grid, seeds, fast, rule)


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
        reach = result.distance[result.best_index] + TIE_REACH * result.stderr[result.best_index]
        ranked = sorted(zip(result.distance, result.stderr, result.values))
        return [v for d, e, v in ranked if d - TIE_REACH * e <= reach]

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
