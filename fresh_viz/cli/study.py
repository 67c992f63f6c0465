"""`study`: FreSh's prediction against the outcome of training, on one signal or many.

Trains every grid value and the family's default as one ensemble up to the largest
budget and records, per budget, each value's PSNR, the grid's best, the pick's regret
and gain, the rank correlation of W with PSNR, and the pick's speed-up (see
`fresh_viz.study`).  With --out it runs over many signals like `select --out`.
"""

from __future__ import annotations

import argparse

import torch

from ..rules import RULES
from ..signals import Signal
from .common import add_signal_options, open_signal, seconds, signal_json, stderr_progress
from .select import add_dataset_options, add_knob_options, add_sweep_options, check_one_signal, rules_help, run_many

HELP = "train the grid and the default to see how FreSh's pick does (on many signals with --out)"
COMMAND = {"command": "study"}  # what tells a study's lines from select's in a results file


def parse_budgets(text: str) -> list[int]:
    """Comma-separated whole numbers of steps, each from 1."""
    try:
        budgets = [int(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of whole numbers") from None
    if not budgets or min(budgets) < 1:
        raise argparse.ArgumentTypeError("--budgets needs whole numbers of steps from 1")
    return budgets


def parse_rules(text: str) -> list[str]:
    """Comma-separated rule names."""
    names = [r.strip() for r in text.split(",") if r.strip()]
    unknown = [r for r in names if r not in RULES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown rule '{','.join(unknown)}'; choose from {', '.join(RULES)}")
    return names


def add_arguments(sub: argparse.ArgumentParser) -> None:
    add_signal_options(sub)
    sub.add_argument("--budgets", type=parse_budgets, default=[100, 300, 1000],
                     help="training steps at which to compare, comma-separated (default 100,300,1000)")
    add_sweep_options(sub)
    sub.add_argument("--seed", type=int, default=0, help="the seed of every trained model and of the held-out split")
    sub.add_argument("--lr", type=float, default=None, help="learning rate (default: the family's)")
    sub.add_argument("--max-seconds", type=seconds, default=None, help="cap on each signal's study, in seconds")
    sub.add_argument("--rule", dest="rules", type=parse_rules, action="extend", default=[], metavar="NAME[,NAME]",
                     help=f"also score these rules' picks: {rules_help()}")
    add_dataset_options(sub)
    add_knob_options(sub)


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    if args.out is not None:
        return run_many(args, device, lambda path: study_one(args, device, path)[0], describe, COMMAND)
    check_one_signal(args)
    record, signal = study_one(args, device, args.path)
    return {"signal": args.path} | COMMAND | record, text(record, signal)


def study_one(args: argparse.Namespace, device: torch.device, path: str) -> tuple[dict, Signal]:
    """The study of the signal at `path`, its "signal" being `path`; and the signal."""
    from ..study import study

    signal = open_signal(args, path)
    record = study(signal, args.model, args.budgets, values=args.values, knob=args.knob, seeds=args.seeds,
                   bins=args.bins, mode=args.mode, width=args.width, depth=args.depth,
                   fixed=dict(args.settings) or None, seed=args.seed, rules=args.rules, lr=args.lr, device=device,
                   progress=stderr_progress, max_seconds=args.max_seconds)
    return record | {"signal": path} | signal_json(signal), signal


def describe(record: dict) -> str:
    """The progress line of one signal: the pick and its regret and gain at the largest budget."""
    if not record["budgets"]:
        return f"pick {record['param']} = {record['pick']:g}; no budget reached"
    last = record["budgets"][-1]
    return (f"pick {record['param']} = {record['pick']:g}, at {last['steps']} steps regret "
            f"{last['regret']['trained']:.2f} / {last['regret']['held_out']:.2f} dB, gain "
            f"{last['gain']['trained']:+.2f} / {last['gain']['held_out']:+.2f} dB (trained / held out)")


def text(record: dict, signal: Signal) -> str:
    """One signal's study as a table, one row per budget."""
    p = record["param"]
    lines = [f"{signal.describe()}; {record['model']} {record['width']}x{record['depth']}, seed {record['seed']}, "
             f"W from {record['seeds']} seeds ({record['mode']} mode, {record['bins']} bins)",
             f"FreSh picks {p} = {record['pick']:g}; the default is {record['default']:g}"
             + "".join(f"; {name} picks {v:g}" for name, v in record.get("rules", {}).items()),
             f"{'steps':>7} {'best trained':>12} {'best held-out':>13} {'regret (dB)':>13} {'gain (dB)':>13} "
             f"{'rho(W, PSNR)':>13} {'speed-up':>9}"]
    for b in record["budgets"]:
        reached = b["speedup"]["factor"]
        lines.append(f"{b['steps']:>7} {b['best']['trained']:>12g} {b['best']['held_out']:>13g} "
                     f"{pair(b['regret'], '.2f'):>13} {pair(b['gain'], '+.2f'):>13} {pair(b['spearman'], '+.2f'):>13} "
                     f"{'behind' if reached is None else f'{reached:.2f}x':>9}")
    lines.append("regret and gain as trained / held out; speed-up: budget / steps the pick needs to reach the "
                 f"default's trained PSNR (resolution {record['every']} steps)")
    if record["stopped"]:
        lines.append(f"stopped by the time cap after {record['steps']} steps")
    lines.append(f"{record['seconds']:.1f} s on {record['device']}")
    return "\n".join(lines)


def pair(both: dict, spec: str) -> str:
    """'trained / held-out' of a {"trained", "held_out"} pair; '-' for an undefined number."""
    return " / ".join("-" if both[k] is None else format(both[k], spec) for k in ("trained", "held_out"))
