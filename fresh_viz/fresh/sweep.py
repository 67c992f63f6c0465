"""THE sweep: one path from untrained members (built-in, a user's network, saved outputs) to W.

For each candidate value and seed a source (`members.Members`) gives the untrained outputs; the
sweep resizes each onto its analysis grid (`spectrum.analysis_grid`, with the one resizer,
`signals.resize_to`), takes its spectrum, compares it by the 1-D Wasserstein distance with the
target it is paired with, and remembers the result.  The summary turns those into a `Selection`:
mean W and its standard error per value, the pick of a rule (`fresh_viz.rules`) and how sure it
is (`fresh_viz.confidence`).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence

import torch

from ..confidence import assess
from ..models import INR, OutOfTime
from ..rules import Evidence, get_rule
from ..signals import Signal, grid_coords, resize_to
from ..spectrum import MODES, Reduction, analysis_grid, framewise, normalised, prepare_target, spectrum, wasserstein
from .members import Batch, FamilyMembers, Members
from .selection import Preview, Progress, Selection, mean_and_stderr

FAST_SHARE = 0.2  # fast mode's budget, as a share of the full sweep's model evaluations
TIE_REACH = 2.0  # fast mode: values within this many combined standard errors of the leader count as tied
FAST_RULE = f"coarse grid with 2 seeds, neighbours of the values within {TIE_REACH:g} combined s.e. of the best " \
            "(rules.tied), then more seeds while values stay tied"


class Sweep:
    """The fixed parts of a selection (target spectra, grids, bin index), and a memo of every
    (value, seed) already evaluated.

    `family` is a built-in family (name or class; `knob`, `width`, `depth` and `fixed` shape it)
    or any source of members (`members.Members`).  Members are evaluated on the signal's own
    grid and their outputs resized onto the analysis grid exactly as the target is (see
    `spectrum.analysis_grid`).  In paper mode a video is compared frame by frame: seed s
    evaluates one frame and pairs it with the target frame drawn with seed s, as the reference
    pairs a random output frame with the target frame of that index.  The model sees that
    frame with its time input at 0, as the reference's video runs save their untrained frames
    (time disabled); `tools/video_time.py` measures what that changes against each frame's own
    time.  A source that brings its own targets (saved outputs) pairs each output itself, and
    then `signal` may be None.
    """

    def __init__(self, signal: Signal | None, family: str | type[INR] | Members = "siren", knob: str | None = None,
                 bins: int = 64, mode: str = "paper", width: int | None = None, depth: int | None = None,
                 fixed: Mapping[str, float] | None = None, device: torch.device | str = "cpu"):
        if mode not in MODES:
            raise ValueError(f"unknown spectrum mode '{mode}'; choose from {', '.join(MODES)}")
        self.bins, self.mode, self.device = bins, mode, torch.device(device)
        if isinstance(family, (str, type)):
            family = FamilyMembers(family, signal.ndim, knob, width, depth, fixed, self.device)
        self.members = family
        self.reductions: dict[tuple[int, ...], Reduction] = {}
        self.paired: dict[Hashable, torch.Tensor] = {}  # target key -> its spectrum, (bins,) float64 on the CPU
        self.distances: dict[tuple[float, int], float] = {}
        self.member_spectra: dict[tuple[float, int], torch.Tensor] = {}
        self.targets: dict[tuple[float, int], Hashable] = {}  # (value, seed) -> the target it was compared with
        self.deadline: float | None = None  # perf_counter() time after which evaluate() stops
        self.stopped = False
        if signal is None:
            self.shape = tuple(getattr(family, "shape", ()))
            self.grid = self.coords = self.target_spectrum = None
            return
        self.shape = signal.spatial_shape  # where the model is evaluated
        self.framewise = framewise(signal.ndim, mode)
        self.evaluated = self.shape[1:] if self.framewise else self.shape
        self.grid = analysis_grid(self.shape, mode)  # where spectra are taken
        self.channels = signal.channels
        self.reduction = self.reduction_for(self.grid)
        targets = prepare_target(signal.values, mode).to(self.device)  # (C, *grid), or (C, T, *grid) frame-wise
        if self.framewise:
            self.frame_spectra = self.spectra(targets.transpose(0, 1))  # (T, bins)
            frame = grid_coords(self.shape[1:], self.device)  # one frame's (y, x), seen at t = 0
            self.coords = torch.cat([frame.new_zeros(frame.shape[0], 1), frame], dim=1)
        else:
            self.coords = grid_coords(self.shape, self.device)
        self.target = targets[:, self.frame(0)] if self.framewise else targets  # (C, *grid); seed 0's frame
        self.target_spectrum = self.spectra(self.target.unsqueeze(0))[0]  # seed 0's, for video in paper mode

    @property
    def family(self) -> type[INR]:
        return self.members.family

    @property
    def knob(self):
        return self.members.knob

    @property
    def width(self) -> int:
        return self.members.describe()["width"]

    @property
    def depth(self) -> int:
        return self.members.describe()["depth"]

    @property
    def fixed(self) -> dict[str, float]:
        return self.members.describe()["fixed"]

    def reduction_for(self, grid: tuple[int, ...]) -> Reduction:
        if grid not in self.reductions:
            self.reductions[grid] = Reduction(grid, self.mode, self.device, half=True)
        return self.reductions[grid]

    def spectra(self, outputs: torch.Tensor) -> torch.Tensor:
        """(E, C, *grid) on the analysis grid -> (E, bins), on the device."""
        grid = tuple(outputs.shape[2:])
        return spectrum(outputs, len(grid), self.bins, self.mode, self.reduction_for(grid))

    def compared(self, outputs: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        """Outputs on their own grid, (V, C, *shape) or V of (C, *shape), resized onto their analysis grid:
        their spectra, (V, bins) float64 on the CPU (W and the summaries are small; MPS has no float64)."""
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, output in enumerate(outputs):
            groups.setdefault(tuple(output.shape[1:]), []).append(i)
        result = torch.empty(len(outputs), self.bins, dtype=torch.float64)
        for shape, members in groups.items():
            single = len(groups) == 1 and torch.is_tensor(outputs)
            batch = outputs if single else torch.stack([outputs[i] for i in members])
            result[members] = self.spectra(resize_to(batch, analysis_grid(shape, self.mode))).cpu().double()
        return result

    def frame(self, seed: int) -> int:
        """The video frame paired with `seed` in frame-wise mode."""
        return int(torch.randint(self.shape[0], (1,), generator=torch.Generator().manual_seed(seed)))

    def target_for(self, seed: int) -> torch.Tensor:
        """The target spectrum the outputs of `seed` are compared with: (bins,)."""
        return self.frame_spectra[self.frame(seed)] if self.framewise else self.target_spectrum

    def target_spectrum_of(self, key: Hashable, seed: int) -> tuple[Hashable, torch.Tensor]:
        """The target `key` names (a source's own; None: the seed's) as (key it is remembered by, its spectrum
        float64 on the CPU)."""
        if key is None:
            key = ("frame", self.frame(seed)) if self.framewise else ("signal",)
            if key not in self.paired:
                self.paired[key] = self.target_for(seed).cpu().double()
            return key, self.paired[key]
        if key not in self.paired:
            self.paired[key] = self.compared([self.members.target(key)])[0]
        return key, self.paired[key]

    def settings(self, candidates: Sequence[float], seeds: int, fast: bool, rule: str = "paper") -> dict:
        """What a selection over `candidates` would record as its settings (`Selection.settings`)."""
        return {"model": self.members.name, "param": self.members.param,
                "candidates": sorted({float(v) for v in candidates}), "seeds": seeds, "bins": self.bins,
                "mode": self.mode, **self.members.describe(), "fast": fast, "fast_rule": FAST_RULE if fast else None,
                "rule": rule, "shape": list(self.shape)}

    @torch.inference_mode()
    def outputs(self, values: Sequence[float], seed: int, extra: Mapping[str, float] | None = None) -> torch.Tensor:
        """Untrained outputs for each value with one seed, on the analysis grid: (V, C, *grid)."""
        return resize_to(self.members.outputs(self, values, seed, extra).outputs, self.grid)

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

    @torch.inference_mode()
    def evaluate(self, values: Sequence[float], seeds: Sequence[int], progress: Progress | None = None) -> None:
        """Compute W for every (value, seed) pair not yet known, seed by seed, `members.batch` values per call
        (all at once when None).  The time cap is checked before every call once something is done (a source
        may also stop inside a call); a capped sweep says `stopped` and keeps what was done."""
        todo = {int(s): [v for v in dict.fromkeys(float(v) for v in values) if (v, int(s)) not in self.distances]
                for s in seeds}
        total, done = sum(len(v) for v in todo.values()), 0
        for seed, pending in todo.items():
            step = self.members.batch or max(1, len(pending))
            for start in range(0, len(pending), step):
                if self.deadline is not None and self.distances and time.perf_counter() > self.deadline:
                    self.stopped = True
                    return
                try:
                    batch = self.members.outputs(self, pending[start : start + step], seed)
                except OutOfTime:
                    self.stopped = True
                    return
                self.record(batch, seed)
                done += len(pending[start : start + step])
                if progress:
                    progress(done / total, f"{self.members.title}: {done}/{total} untrained models evaluated")

    def record(self, batch: Batch, seed: int) -> None:
        """W of each of a batch's outputs against the target it is paired with."""
        if not batch.values:
            return
        spectra = self.compared(batch.outputs)
        keys = batch.targets or [None] * len(batch.values)
        paired = [self.target_spectrum_of(key, seed) for key in keys]
        distances = wasserstein(spectra, torch.stack([spectrum for _, spectrum in paired])).tolist()
        for value, (key, _), distance, member in zip(batch.values, paired, distances, spectra):
            self.distances[(value, seed)] = distance
            self.member_spectra[(value, seed)] = member
            self.targets[(value, seed)] = key

    def summary(self, seconds: float, candidates: Sequence[float] = (), seeds: int = 0,
                fast: bool = False, rule: str = "paper") -> Selection:
        """Mean W and its standard error per evaluated value (np.std / sqrt(n), as the
        reference); the value `rule` picks (paper: the argmin, the first value on ties) and how
        sure that is (`confidence.assess`)."""
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
            spectra.append(normalised(members[-1]).mean(0).tolist())
        keys = dict.fromkeys(self.targets[pair] for pair in self.distances if pair in self.targets)
        used = [self.paired[key] for key in keys]
        target = normalised(torch.stack(used)).mean(0) if used else torch.zeros(self.bins, dtype=torch.float64)
        best = values[get_rule(rule).choose(Evidence(values, means, errors, members, target))]
        plan = self.settings(candidates or values, seeds, fast, rule)
        seen = sorted({s for _, s in self.distances})
        per_seed = [[self.distances.get((v, s)) for s in seen] for v in values]
        labels = getattr(self.members, "labels", None)
        return Selection(plan["model"], plan["param"], values, means, errors, counts, best, self.bins,
                         self.mode, seconds, str(self.device), target.tolist(), spectra, self.stopped,
                         plan["candidates"], seeds, plan["width"], plan["depth"], plan["fixed"], fast,
                         plan["fast_rule"], plan["shape"], [labels[v] for v in values] if labels else [], rule,
                         **assess(per_seed, values, values.index(best), getattr(self.members, "ordered", True)))
