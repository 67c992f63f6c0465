"""`select`: run the FreSh selection on one signal."""

from __future__ import annotations

import argparse

import torch

from ..rules import RECOMMENDED, RULES
from ..spectrum import MODES
from .common import add_signal_options, open_signal, parse_values, positive_int, stderr_progress

HELP = "run the FreSh selection"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    add_signal_options(sub)
    sub.add_argument("--values", type=parse_values, default=None, help="comma-separated candidates")
    sub.add_argument("--param", dest="knob", default=None, help="which knob to tune (FINER: bias_scale)")
    sub.add_argument("--seeds", type=positive_int, default=10)
    sub.add_argument("--bins", type=positive_int, default=64)
    sub.add_argument("--mode", default="paper", choices=MODES)
    sub.add_argument("--fast", action="store_true", help="coarse-to-fine with few seeds")
    rules = "; ".join(f"{r.name}: {r.summary}" for r in RULES.values()).replace("%", "%%")  # argparse formats %
    recommended = ", ".join(["paper", *RECOMMENDED])
    sub.add_argument("--rule", default="paper", choices=list(RULES),
                     help=f"how to choose from the distances: {rules}. Recommended: {recommended} "
                          "(docs/selection_rules.md measures them all)")


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    from ..fresh import select_embedding

    signal = open_signal(args.path, args.size)
    result = select_embedding(signal, args.model, args.values, args.knob, args.seeds, args.bins, args.mode,
                              args.width, args.depth, device=device, fast=args.fast, progress=stderr_progress,
                              rule=args.rule)
    out = result.to_json()
    lines = [f"{signal.describe()}; {result.model}, spectrum mode {result.mode}, {result.bins} bins"]
    lines += [f"  {result.param} = {v:<8g} W = {d:.4f} ± {e:.4f} ({n} seeds){'  <- best' if v == result.best else ''}"
              for v, d, e, n in zip(result.values, result.distance, result.stderr, result.seed_counts)]
    lines.append(f"best {result.param} = {result.best:g} by the {result.rule} rule ({RULES[result.rule].summary}) "
                 f"in {result.seconds:.1f} s on {result.device}")
    return out, "\n".join(lines)
