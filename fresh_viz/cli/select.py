"""`select`: run the FreSh selection on one signal, or on many into a JSON-lines file.

With --out, PATH may be a folder, a glob or `preset:PATTERN`; the sorted list is
split into --num-tasks disjoint shards (default: the Slurm job array's) and this
process runs shard --task-id, one line per signal (see `fresh_viz.dataset`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..confidence import edge_words, extend_grid, in_words
from ..models import Knob, get_family, tuned_knob
from ..rules import RECOMMENDED, RULES
from ..spectrum import MODES
from .common import (
    UsageError,
    add_signal_options,
    open_signal,
    parse_values,
    positive_int,
    signal_json,
    stderr_progress,
)

if TYPE_CHECKING:
    from ..fresh import Selection

HELP = "run the FreSh selection (on many signals with --out)"


def parse_setting(text: str) -> tuple[str, float]:
    """NAME=VALUE for --set."""
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=VALUE (for instance bias_scale=0.5)") from None


def add_knob_options(sub: argparse.ArgumentParser) -> None:
    """Options that set a family's knobs, shared with `fit`; width and depth default to the family's."""
    sub.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                     help="hold another knob at VALUE (FINER: bias_scale or omega0; WIRE: scale0 or omega0)")
    sub.set_defaults(width=None, depth=None)


def add_sweep_options(sub: argparse.ArgumentParser) -> None:
    """What the sweep is over: the candidates, the knob, seeds, bins and spectrum mode (shared with `study`)."""
    sub.add_argument("--values", type=parse_values, default=None, help="comma-separated candidates")
    sub.add_argument("--param", dest="knob", default=None,
                     help="which knob to tune (FINER: bias_scale; WIRE: scale0); default the family's first")
    sub.add_argument("--seeds", type=positive_int, default=10)
    sub.add_argument("--bins", type=positive_int, default=64)
    sub.add_argument("--mode", default="paper", choices=MODES)


def add_dataset_options(sub: argparse.ArgumentParser) -> None:
    """--out and the shard options of a run over many signals (shared with `study`)."""
    sub.add_argument("--out", type=Path, default=None,
                     help="JSON-lines results file: PATH may then be a folder, a glob or preset:PATTERN; one line "
                          "per signal, and a rerun skips the signals already there")
    sub.add_argument("--task-id", type=int, default=None, help="which shard to run, from 0 "
                     "(default: the Slurm array task, SLURM_ARRAY_TASK_ID)")
    sub.add_argument("--num-tasks", type=positive_int, default=None,
                     help="how many shards (default: SLURM_ARRAY_TASK_COUNT, else 1)")


def rules_help() -> str:
    rules = "; ".join(f"{r.name}: {r.summary}" for r in RULES.values()).replace("%", "%%")  # argparse formats %
    recommended = ", ".join(["paper", *RECOMMENDED])
    return f"{rules}. Recommended: {recommended} (docs/selection_rules.md measures them all)"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    add_signal_options(sub)
    add_sweep_options(sub)
    sub.add_argument("--fast", action="store_true", help="coarse-to-fine with few seeds")
    add_dataset_options(sub)
    add_knob_options(sub)
    sub.add_argument("--rule", default="paper", choices=list(RULES),
                     help=f"how to choose from the distances: {rules_help()}")


def check_one_signal(args: argparse.Namespace) -> None:
    """Without --out a command works on one signal: PATH must name one, and there are no shards."""
    from ..dataset import names_many

    if names_many(args.path):
        raise UsageError(f"{args.path} names several signals; give --out results.jsonl")
    if args.task_id is not None or args.num_tasks is not None:
        raise UsageError("--task-id and --num-tasks need --out (they split a run over many signals)")


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    if args.out is not None:
        return run_many(args, device, lambda path: selection_record(args, device, path), describe_selection)
    check_one_signal(args)
    result, signal = select_one(args, device, args.path)
    out = result.to_json() | signal_json(signal)
    held = "".join(f", {k} = {v:g}" for k, v in result.fixed.items())
    lines = [f"{signal.describe()}; {result.model} {result.width}x{result.depth}{held}, spectrum mode "
             f"{result.mode}, {result.bins} bins"]
    lines += [f"  {result.param} = {v:<8g} W = {d:.4f} ± {e:.4f} ({n} seeds){'  <- best' if v == result.best else ''}"
              for v, d, e, n in zip(result.values, result.distance, result.stderr, result.seed_counts)]
    lines.append(f"best {result.param} = {result.best:g} by the {result.rule} rule ({RULES[result.rule].summary}) "
                 f"in {result.seconds:.1f} s on {result.device}")
    knob = tuned_knob(get_family(result.model), signal.ndim, result.param)
    lines.append(in_words(result, knob.label))
    if result.edge:
        print(f"warning: {edge_warning(result, knob)}", file=sys.stderr)
    return out, "\n".join(lines)


def edge_warning(result: Selection, knob: Knob) -> str:
    """An edge pick, and the --values that extend the grid beyond that edge (`confidence.extend_grid`)."""
    extra = extend_grid(result.candidates, result.edge, knob.low, knob.high, knob.integer)
    side = "below" if result.edge == "low" else "above"
    if not extra:
        return f"{edge_words(result, knob.label)}, and the knob's range ends there"
    grid = ",".join(f"{v:g}" for v in sorted([*extra, *result.candidates]))
    return f"{edge_words(result, knob.label)}: extend it {side} {result.best:g} (--values {grid})"


def select_one(args: argparse.Namespace, device: torch.device, path: str):
    from ..fresh import select_embedding

    signal = open_signal(args, path)
    result = select_embedding(signal, args.model, args.values, args.knob, args.seeds, args.bins, args.mode,
                              args.width, args.depth, dict(args.settings) or None, device=device, fast=args.fast,
                              progress=stderr_progress, rule=args.rule)
    return result, signal


def selection_record(args: argparse.Namespace, device: torch.device, path: str) -> dict:
    result, signal = select_one(args, device, path)
    return result.to_json() | signal_json(signal)


def describe_selection(record: dict) -> str:
    return f"best {record['param']} = {record['best']:g}"


def run_many(args: argparse.Namespace, device: torch.device, record: Callable[[str], dict],
             describe: Callable[[dict], str], command: dict | None = None) -> tuple[dict, str]:
    """`record(path)` for every signal of this process's shard of PATH not yet in --out, one line each
    (`fresh_viz.dataset.run_dataset`).  command: the fields that tell this command's lines from
    `select`'s (a `select` line has none)."""
    from ..dataset import list_signals, run_dataset, shard, slurm_task

    env_task, env_tasks = slurm_task()
    task = args.task_id if args.task_id is not None else env_task
    tasks = args.num_tasks if args.num_tasks is not None else env_tasks
    if task is None and tasks is None:
        task, tasks = 0, 1
    if task is None or tasks is None:
        raise UsageError("give both --task-id and --num-tasks (or run as a Slurm array task)")
    if not 0 <= task < tasks:
        raise UsageError(f"--task-id {task} is outside 0..{tasks - 1}")
    mine = shard(list_signals(args.path), task, tasks)
    family = get_family(args.model)
    identity = {**(command or {}), "model": family.name, "param": args.knob or family.knobs[0].name}
    summary = run_dataset(mine, record, args.out, identity, describe)
    summary.update(task_id=task, num_tasks=tasks, device=str(device))
    text = (f"task {task} of {tasks}: {summary['done']} signals done, {summary['errors']} errors, "
            f"{summary['skipped']} already in {args.out}; {summary['seconds']:.1f} s on {device}")
    return summary, text
