"""What a sweep returns (`Selection`, `Preview`) and the statistics every selection is summarised with."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import torch

Progress = Callable[[float, str], None]  # (fraction done, message)


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
    target_spectrum: list[float] = field(repr=False)  # mean normalised spectrum of the targets compared with
    model_spectra: list[list[float]] = field(repr=False)  # mean normalised spectrum per value
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


def mean_and_stderr(per_seed: Sequence[float]) -> tuple[float, float]:
    """Mean W over seeds and its standard error, np.std / sqrt(n) with NumPy's default (divide
    by n, not n - 1) as the reference computes it."""
    d = torch.tensor(per_seed, dtype=torch.float64)
    return d.mean().item(), d.std(correction=0).item() / math.sqrt(len(d))
