"""`bench`: measure this machine on every hot path."""

from __future__ import annotations

import argparse

import torch

HELP = "measure this machine"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--quick", action="store_true", help="small sizes, to prove it runs")
    sub.add_argument("--device", default=None)


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    from ..bench import run_bench

    return run_bench(device, quick=args.quick)
