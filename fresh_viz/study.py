"""Prediction against outcome: does FreSh's pick train as well as the grid's best?

`run_study` runs FreSh's sweep over a grid, then trains every grid value and the
family's default together (one ensemble, one seed, the same 10 % of samples held out,
as the app's grid check does) up to the largest budget.  At each budget it records
every value's PSNR on the trained and on the held-out samples, the grid's best value
by each, the regret of FreSh's pick (best minus pick, dB), its gain over the default
(pick minus default, dB), the Spearman correlation between mean W and PSNR across
the grid (negative when a lower W trains better), and the paper's speed claim: the
first step at which the pick's trained PSNR reaches the default's at that budget, and
the budget divided by that step.  `study_table` summarises many signals per budget.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence

import torch

from .fresh import Progress, Selection, select_embedding
from .models import build, get_family, tuned_knob
from .rules import get_rule
from .signals import Signal
from .train import fit

REPORTS = 100  # training reports a PSNR about this often over the largest budget (each costs a full render)
STEP_COST = 3  # a training step costs about three forward passes (forward, backward), for the progress bar


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation of two equally long sequences (ties get their average rank);
    None where it is undefined (fewer than two items, or one sequence constant)."""
    if len(a) != len(b):
        raise ValueError("spearman needs two sequences of the same length")
    if len(a) < 2:
        return None
    ra, rb = average_ranks(a), average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    norm = ra.norm() * rb.norm()
    return None if norm == 0 else (ra @ rb / norm).item()


def average_ranks(x: Sequence[float]) -> torch.Tensor:
    """Ranks from 1, ties sharing their average rank: (n,) -> (n,) float64."""
    t = torch.as_tensor(x, dtype=torch.float64)
    below = (t[None, :] < t[:, None]).sum(1, dtype=torch.float64)
    equal = (t[None, :] == t[:, None]).sum(1, dtype=torch.float64)
    return below + (equal + 1) / 2


def speedup(steps: Sequence[int], psnr_curve: Sequence[float], target: float, largest: int) -> dict:
    """The first of `steps` (from 1 to `largest`) at which `psnr_curve` reaches `target`, and
    largest / that step: {"target_psnr", "steps", "factor"}, steps and factor None where it never does.

    steps, psnr_curve: a training curve, one PSNR per reported step; the answer is exact to the
    reporting interval (an upper bound on the true step)."""
    reached = next((s for s, p in zip(steps, psnr_curve) if 0 < s <= largest and p >= target), None)
    return {"target_psnr": target, "steps": reached, "factor": None if reached is None else largest / reached}


def report_interval(budgets: Sequence[int]) -> int:
    """Steps between training reports: a divisor of every budget (so each gets a report) near largest / REPORTS."""
    return math.gcd(math.gcd(*budgets), max(1, max(budgets) // REPORTS))


def check_budgets(budgets: Iterable[int]) -> list[int]:
    """Budgets in steps, sorted, without repeats; each a whole number from 1."""
    given = list(budgets)
    checked = sorted({int(b) for b in given})
    if not checked or checked[0] < 1 or any(int(b) != b for b in given):
        raise ValueError("budgets must be whole numbers of steps from 1, at least one")
    return checked


def compare(train: Sequence[float], test: Sequence[float], grid: int, pick: int, default: int) -> dict:
    """Regret (the grid's best minus member `pick`) and gain (`pick` minus member `default`), in dB,
    on the trained and on the held-out samples; the grid is members 0..grid-1."""
    return {"regret": {"trained": max(train[:grid]) - train[pick], "held_out": max(test[:grid]) - test[pick]},
            "gain": {"trained": train[pick] - train[default], "held_out": test[pick] - test[default]}}


def budget_entry(step: int, train: Sequence[float], test: Sequence[float], selection: Selection,
                 members: Sequence[float], default: int, rule_picks: Mapping[str, float],
                 curve: Mapping[str, list]) -> dict:
    """What one budget records.  members: the values trained (the grid's, then the default's where it is
    not on the grid), `default` its index; train, test: PSNR per member; curve: the pick's trained PSNR
    so far, {"steps", "pick"}."""
    grid = selection.values
    n = len(grid)
    entry = {"steps": step, "train_psnr": list(train[:n]), "test_psnr": list(test[:n]),
             "default": {"value": members[default], "train_psnr": train[default], "test_psnr": test[default]},
             "best": {"trained": grid[max(range(n), key=train.__getitem__)],
                      "held_out": grid[max(range(n), key=test.__getitem__)]},
             **compare(train, test, n, grid.index(selection.best), default),
             "spearman": {"trained": spearman(selection.distance, train[:n]),
                          "held_out": spearman(selection.distance, test[:n])},
             "speedup": speedup(curve["steps"], curve["pick"], train[default], step)}
    if rule_picks:
        entry["rules"] = {name: {"pick": v, **compare(train, test, n, grid.index(v), default)}
                          for name, v in rule_picks.items()}
    return entry


def run_study(signal: Signal, family: str = "siren", budgets: Sequence[int] = (100, 300, 1000),
              values: Sequence[float] | None = None, knob: str | None = None, seeds: int = 10, bins: int = 64,
              mode: str = "paper", width: int | None = None, depth: int | None = None,
              fixed: Mapping[str, float] | None = None, seed: int = 0, rules: Sequence[str] = (),
              lr: float | None = None, device: torch.device | str = "cpu", progress: Progress | None = None,
              max_seconds: float | None = None) -> Iterator[dict]:
    """FreSh's prediction against the trained outcome on one signal; yields the record so far after
    each budget (and once more if the time cap ends training between budgets), the last one complete.

    The sweep is `select_embedding(signal, family, values, knob, seeds, bins, mode, width, depth, fixed)`;
    `pick` is its choice by the paper's rule, and each name in `rules` adds that rule's choice (one more
    sweep each, cheap next to the training).  The grid and the family's default (`tuned_knob(...).default`,
    trained once if it is on the grid) then train as one ensemble with seed `seed`, 10 % held out.
    PSNR is reported every `every` steps (a divisor of every budget, about largest / 100), which is the
    resolution of `speedup.steps`.  max_seconds caps the whole study; budgets not reached are left out and
    the record says `stopped`.

    Record: {"signal", "model", "param", "values", "distance", "stderr", "pick", "default", "budgets":
    [{"steps", "train_psnr", "test_psnr", "default", "best", "regret", "gain", "spearman", "speedup"
    [, "rules"]}], "speedup", "curve", ...}; see docs/cli.md, "study".
    """
    budgets = check_budgets(budgets)
    for rule in rules:  # an unknown name fails before any work
        get_rule(rule)
    start = time.perf_counter()

    def left() -> float | None:
        return None if max_seconds is None else max(0.0, start + max_seconds - time.perf_counter())

    others = [r for r in dict.fromkeys(rules) if r != "paper"]  # each needs a sweep of its own
    sweeps = 1 + len(others)
    share = sweeps * seeds / (sweeps * seeds + STEP_COST * budgets[-1])  # the sweeps' part of the work

    def sweep(rule: str, part: int) -> Selection:
        told = None if progress is None else lambda f, m: progress(share * (part + f) / sweeps, m)
        return select_embedding(signal, family, values, knob, seeds, bins, mode, width, depth, fixed, device,
                                progress=told, max_seconds=left(), rule=rule)

    selection = sweep("paper", 0)
    picks = {"paper": selection.best} | {r: sweep(r, i).best for i, r in enumerate(others, 1)}
    rule_picks = {r: picks[r] for r in dict.fromkeys(rules)}
    cls = get_family(selection.model)
    default_value = tuned_knob(cls, signal.ndim, selection.param).default
    members = selection.values + ([] if default_value in selection.values else [default_value])
    default = members.index(default_value)
    model = build(cls, signal.ndim, signal.channels, [seed] * len(members), selection.width, selection.depth,
                  {**selection.fixed, selection.param: members}, device, shape=signal.spatial_shape)
    every = report_interval(budgets)
    pick = selection.values.index(selection.best)
    curve: dict[str, list] = {"steps": [], "pick": [], "default": []}
    entries: list[dict] = []
    header = {"signal": signal.name, "model": selection.model, "param": selection.param,
              "values": selection.values, "distance": selection.distance, "stderr": selection.stderr,
              "pick": selection.best, "default": default_value, **({"rules": rule_picks} if rules else {}),
              "seed": seed, "seeds": seeds, "bins": selection.bins, "mode": selection.mode, "width": model.width,
              "depth": model.depth, "fixed": selection.fixed, "lr": lr or model.lr, "every": every}
    for report in fit(model, signal.values, budgets[-1], lr, every, seed=seed, max_seconds=left()):
        if report.step > 0:
            curve["steps"].append(report.step)
            curve["pick"].append(report.train_psnr[pick])
            curve["default"].append(report.train_psnr[default])
        if progress is not None:
            progress(share + (1 - share) * report.step / budgets[-1],
                     f"{len(members)} values trained together, step {report.step}/{budgets[-1]}")
        if report.step in budgets:
            entries.append(budget_entry(report.step, report.train_psnr, report.test_psnr, selection, members,
                                        default, rule_picks, curve))
        if report.step in budgets or report.done:
            yield header | {"budgets": list(entries), "speedup": entries[-1]["speedup"] if entries else None,
                            "curve": {k: list(v) for k, v in curve.items()}, "steps": report.step,
                            "stopped": report.stopped is not None or selection.stopped,
                            "seconds": time.perf_counter() - start, "device": selection.device}


def study(signal: Signal, family: str = "siren", budgets: Sequence[int] = (100, 300, 1000), **options) -> dict:
    """The complete record of `run_study` (which takes the same arguments)."""
    return deque(run_study(signal, family, budgets, **options), maxlen=1).pop()


# Summaries over many signals ----------------------------------------------------------------------------------

TABLE_MEASURES = ("regret_trained", "regret_held_out", "gain_trained", "gain_held_out", "speedup",
                  "spearman_trained", "spearman_held_out")
STUDY_COLUMNS = ["signal", "model", "param", "pick", "default", "steps", "best_trained", "best_held_out",
                 "pick_train_psnr", "pick_test_psnr", "default_train_psnr", "default_test_psnr",
                 "regret_trained", "regret_held_out", "gain_trained", "gain_held_out", "spearman_trained",
                 "spearman_held_out", "speedup_steps", "speedup", "error"]


def study_rows(record: Mapping) -> list[dict]:
    """A study line as CSV rows, one per budget (one row with the error for a failed signal)."""
    base = {"signal": record["signal"], "model": record.get("model"), "param": record.get("param")}
    if "error" in record:
        return [{**base, "error": record["error"]}]
    pick = record["values"].index(record["pick"])
    return [{**base, "pick": record["pick"], "default": record["default"], "steps": b["steps"],
             "best_trained": b["best"]["trained"], "best_held_out": b["best"]["held_out"],
             "pick_train_psnr": b["train_psnr"][pick], "pick_test_psnr": b["test_psnr"][pick],
             "default_train_psnr": b["default"]["train_psnr"], "default_test_psnr": b["default"]["test_psnr"],
             **{f"{m}_{side}": b[m][side] for m in ("regret", "gain", "spearman") for side in ("trained", "held_out")},
             "speedup_steps": b["speedup"]["steps"], "speedup": b["speedup"]["factor"]}
            for b in record["budgets"]]


def study_table(records: Iterable[Mapping]) -> list[dict]:
    """Per (model, param, budget) over the signals that reached it: the mean and median of each measure in
    TABLE_MEASURES, and the share of signals whose pick reached the default's trained PSNR at that budget.

    A pick still behind the default at a budget has no speed-up; it counts as 0 (a lower bound) in the
    speed-up's mean and median.  A correlation that is undefined (a constant PSNR) is left out."""
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        for row in study_rows(record):
            if "error" not in row:
                groups.setdefault((row["model"], row["param"], row["steps"]), []).append(row)
    table = []
    for (model, param, steps), rows in sorted(groups.items()):
        line = {"model": model, "param": param, "steps": steps, "signals": len(rows),
                "reached": sum(r["speedup"] is not None for r in rows) / len(rows)}
        for measure in TABLE_MEASURES:
            numbers = [0.0 if r[measure] is None and measure == "speedup" else r[measure] for r in rows]
            numbers = [x for x in numbers if x is not None]
            line[f"{measure}_mean"] = statistics.fmean(numbers) if numbers else None
            line[f"{measure}_median"] = statistics.median(numbers) if numbers else None
        table.append(line)
    return table

