"""FreSh on the built-in families: the paper's full sweep and the fast mode."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import torch

from ..rules import get_rule, tied
from ..signals import Signal
from .selection import Progress, Selection
from .sweep import FAST_SHARE, TIE_REACH, Sweep


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
    tied with the leader (`rules.tied`); then one more seed at a time for the
    values still tied with it, until it stands apart or the budget is spent.
    """
    budget = max(len(grid), int(FAST_SHARE * len(grid) * seeds))
    first = min(2, seeds)
    title = sweep.members.title

    def report(stage: str) -> None:
        if progress:
            progress(min(1.0, len(sweep.distances) / budget), f"{title}, fast mode: {stage}")

    def contenders() -> list[float]:
        """The leader and the values tied with it, best first."""
        result = sweep.summary(0.0)
        best = result.best_index
        ranked = sorted(range(len(result.values)), key=lambda i: (result.distance[i], i))
        return [result.values[i] for i in ranked if tied(result.distance, result.stderr, best, i, TIE_REACH)]

    sweep.evaluate(sorted(set(grid[::2]) | {grid[-1]}), range(first))
    report("coarse grid done")
    seen = {v for v, _ in sweep.distances}
    neighbours = []
    for value in contenders():
        i = grid.index(value)
        neighbours += [grid[j] for j in (i - 1, i + 1) if 0 <= j < len(grid) and grid[j] not in seen]
    room = max(0, budget - len(sweep.distances)) // first
    sweep.evaluate(list(dict.fromkeys(neighbours))[:room], range(first))
    report("refined around the best")
    for seed in range(first, seeds):
        tied_values = contenders()
        if sweep.stopped or len(tied_values) < 2 or len(sweep.distances) + len(tied_values) > budget:
            break
        sweep.evaluate(tied_values, [seed])
        report(f"seed {seed + 1} for {len(tied_values)} tied values")
    if progress:
        progress(1.0, f"{title}, fast mode: done, {len(sweep.distances)} models evaluated")
