"""`merge`: join the JSON-lines files of a sharded `select --out` or `study --out` run into a CSV and a summary."""

from __future__ import annotations

import argparse
import csv
import os
from collections import Counter
from pathlib import Path

import torch

from ..dataset import SUMMARY_COLUMNS, merge_results, summary_row
from ..study import STUDY_COLUMNS, study_rows, study_table
from .common import UsageError

HELP = "join the results of a sharded 'select --out' or 'study --out' run: a CSV, a table and a figure"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("shards", nargs="+", type=Path, metavar="SHARD.jsonl",
                     help="results files of 'select --out' or of 'study --out'")
    sub.add_argument("--csv", type=Path, required=True,
                     help="summary CSV to write: one row per signal (select), per signal and budget (study)")
    sub.add_argument("--plot", type=Path, default=None,
                     help="PNG of how often each value was chosen (select), of the table per budget (study)")
    sub.add_argument("--device", default=None, help=argparse.SUPPRESS)
    sub.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    records = merge_results(args.shards)
    if not records:
        raise UsageError(f"no result lines in {', '.join(str(p) for p in args.shards)}")
    studies = sum(r.get("command") == "study" for r in records)
    if 0 < studies < len(records):
        raise UsageError("these files hold both 'select' and 'study' lines; merge each kind on its own")
    return merge_studies(records, args) if studies else merge_selections(records, args)


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Written whole to PATH.partial, then moved over PATH."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, path)


def merge_selections(records: list[dict], args: argparse.Namespace) -> tuple[dict, str]:
    """One CSV row per signal, and how often each value was chosen."""
    write_csv(args.csv, SUMMARY_COLUMNS, [summary_row(r) for r in records])
    chosen = choices(records)
    if args.plot is not None:
        from ..figures import draw_choices  # matplotlib only when a figure is asked for

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


def merge_studies(records: list[dict], args: argparse.Namespace) -> tuple[dict, str]:
    """One CSV row per signal and budget, and the table per budget (`fresh_viz.study.study_table`)."""
    write_csv(args.csv, STUDY_COLUMNS, [row for r in records for row in study_rows(r)])
    table = study_table(records)
    if args.plot is not None:
        from ..figures import draw_study  # matplotlib only when a figure is asked for

        draw_study(table, args.plot)
    errors = sum("error" in r for r in records)
    out = {"signals": len(records), "errors": errors, "csv": str(args.csv),
           "plot": str(args.plot) if args.plot else None, "table": table}
    return out, "\n".join([f"{len(records)} signals ({errors} errors) -> {args.csv}", *table_text(table)])


def table_text(table: list[dict]) -> list[str]:
    """The study table as text: per model and budget, mean / median of each measure."""
    lines, group = [], None
    for row in table:
        if (row["model"], row["param"]) != group:
            group = row["model"], row["param"]
            lines += [f"{row['model']} {row['param']}: mean / median over the signals; regret and gain in dB, "
                      "trained | held out",
                      f"{'steps':>7} {'signals':>7} {'regret trained':>15} {'regret held-out':>15} "
                      f"{'gain trained':>15} {'gain held-out':>15} {'speed-up':>13} {'reached':>7} "
                      f"{'rho trained':>13} {'rho held-out':>13}"]
        cells = [f"{mean_median(row, m, '+.2f' if m.startswith(('gain', 'spearman')) else '.2f'):>15}"
                 for m in ("regret_trained", "regret_held_out", "gain_trained", "gain_held_out")]
        lines.append(f"{row['steps']:>7} {row['signals']:>7} {' '.join(cells)} "
                     f"{mean_median(row, 'speedup', '.2f'):>13} {row['reached']:>7.0%} "
                     f"{mean_median(row, 'spearman_trained', '+.2f'):>13} "
                     f"{mean_median(row, 'spearman_held_out', '+.2f'):>13}")
    lines.append("speed-up: budget / steps the pick needs to reach the default's trained PSNR at that budget; "
                 "a pick still behind counts as 0; reached: the share of signals where it caught up")
    return lines


def mean_median(row: dict, measure: str, spec: str) -> str:
    return " / ".join("-" if row[f"{measure}_{s}"] is None else format(row[f"{measure}_{s}"], spec)
                      for s in ("mean", "median"))


def choices(records: list[dict]) -> dict[tuple[str, str], dict[float, int]]:
    """How often each value was chosen, per (model, param), values in increasing order."""
    counts: dict[tuple[str, str], Counter] = {}
    for record in records:
        if "error" not in record:
            counts.setdefault((record["model"], record["param"]), Counter())[record["best"]] += 1
    return {k: dict(sorted(c.items())) for k, c in counts.items()}
