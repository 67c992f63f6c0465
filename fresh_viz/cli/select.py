"""`select`: run the FreSh selection on one signal."""

from __future__ import annotations

import argparse

import torch

from ..spectrum import MODES
from .common import add_signal_options, open_signal, parse_values, positive_int, stderr_progress

HELP = "run the FreSh selection"


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


def add_arguments(sub: argparse.ArgumentParser) -> None:
    add_signal_options(sub)
    sub.add_argument("--values", type=parse_values, default=None, help="comma-separated candidates")
    sub.add_argument("--param", dest="knob", default=None,
                     help="which knob to tune (FINER: bias_scale; WIRE: scale0); default the family's first")
    sub.add_argument("--seeds", type=positive_int, default=10)
    sub.add_argument("--bins", type=positive_int, default=64)
    sub.add_argument("--mode", default="paper", choices=MODES)
    sub.add_argument("--fast", action="store_true", help="coarse-to-fine with few seeds")
    add_knob_options(sub)


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    from ..fresh import select_embedding

    signal = open_signal(args.path, args.size)
    result = select_embedding(signal, args.model, args.values, args.knob, args.seeds, args.bins, args.mode,
                              args.width, args.depth, dict(args.settings) or None, device=device, fast=args.fast,
                              progress=stderr_progress)
    out = result.to_json()
    held = "".join(f", {k} = {v:g}" for k, v in result.fixed.items())
    lines = [f"{signal.describe()}; {result.model} {result.width}x{result.depth}{held}, spectrum mode "
             f"{result.mode}, {result.bins} bins"]
    lines += [f"  {result.param} = {v:<8g} W = {d:.4f} ± {e:.4f} ({n} seeds){'  <- best' if v == result.best else ''}"
              for v, d, e, n in zip(result.values, result.distance, result.stderr, result.seed_counts)]
    lines.append(f"best {result.param} = {result.best:g} in {result.seconds:.1f} s on {result.device}")
    return out, "\n".join(lines)
