"""`merge`: join the JSON-lines files of a sharded `select --out` run into one CSV row per signal."""

from __future__ import annotations

import argparse
import csv
import os
from collections import Counter
from pathlib import Path

import torch

from ..dataset import SUMMARY_COLUMNS, merge_results, summary_row
from .common import UsageError

HELP = "join the results of a sharded 'select --out' run: one CSV row per signal"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("shards", nargs="+", type=Path, metavar="SHARD.jsonl", help="results files of 'select --out'")
    sub.add_argument("--csv", type=Path, required=True, help="summary CSV to write")
    sub.add_argument("--plot", type=Path, default=None, help="PNG of how often each value was chosen")
    sub.add_argument("--device", default=None, help=argparse.SUPPRESS)
    sub.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    records = merge_results(args.shards)
    if not records:
        raise UsageError(f"no result lines in {', '.join(str(p) for p in args.shards)}")
    rows = [summary_row(r) for r in records]
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    partial = args.csv.with_name(args.csv.name + ".partial")
    with partial.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, args.csv)
    chosen = choices(records)
    if args.plot is not None:
        draw_choices(chosen, args.plot)
    errors = sum("error" in r for r in records)
    out = {"signals": len(records), "errors": errors, "csv": str(args.csv),
           "plot": str(args.plot) if args.plot else None,
           "chosen": {f"{model} {param}": {f"{v:g}": n for v, n in counts.items()}
                      for (model, param), counts in chosen.items()}}
    lines = [f"{len(records)} signals ({errors} errors) -> {args.csv}"]
    for (model, param), counts in chosen.items():
        lines.append(f"{model} {param}: " + ", ".join(f"{v:g} x{n}" for v, n in counts.items()))
    return out, "\n".join(lines)


def choices(records: list[dict]) -> dict[tuple[str, str], dict[float, int]]:
    """How often each value was chosen, per (model, param), values in increasing order."""
    counts: dict[tuple[str, str], Counter] = {}
    for record in records:
        if "error" not in record:
            counts.setdefault((record["model"], record["param"]), Counter())[record["best"]] += 1
    return {k: dict(sorted(c.items())) for k, c in counts.items()}


def draw_choices(chosen: dict[tuple[str, str], dict[float, int]], path: Path) -> None:
    """One bar chart per (model, param): signals per chosen value (values are grid points, so bars, not bins)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = max(1, len(chosen))
    figure = Figure(figsize=(6.4, 2.8 * panels), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    for axes, ((model, param), counts) in zip(figure.subplots(panels, 1, squeeze=False)[:, 0], chosen.items()):
        labels = [f"{v:g}" for v in counts]
        axes.bar(labels, list(counts.values()), color="tab:blue")
        axes.set(title=f"{model}: FreSh's choice of {param} over {sum(counts.values())} signals",
                 xlabel=param, ylabel="signals")
        axes.tick_params(axis="x", labelrotation=45 if len(labels) > 12 else 0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
