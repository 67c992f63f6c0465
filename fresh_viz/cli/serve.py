"""`serve`: start the browser app (as app.py does), with its limits adjustable."""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch

from .common import positive_int

HELP = "start the browser app (as app.py does), with its limits adjustable"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    sub.add_argument("--port", type=positive_int, default=None, help="default 7860")
    sub.add_argument("--size", type=positive_int, default=None, help="working grid's longest side")
    sub.add_argument("--width", type=positive_int, default=None)
    sub.add_argument("--depth", type=positive_int, default=None)
    sub.add_argument("--max-steps", type=positive_int, default=None, help="cap on training steps")
    sub.add_argument("--preview-workers", type=positive_int, default=None,
                     help="previews computed at once (default 1; the queue holds the rest)")
    sub.add_argument("--device", default=None)


def run(args: argparse.Namespace, device: torch.device) -> int:
    from ..state import budget_for
    from ..ui import build_app, serve

    budget = budget_for(device)
    changes = {"size": args.size, "width": args.width, "depth": args.depth, "max_steps": args.max_steps,
               "preview_workers": args.preview_workers}
    budget = replace(budget, **{k: v for k, v in changes.items() if v is not None})
    if budget.steps > budget.max_steps:
        budget = replace(budget, steps=budget.max_steps)
    serve(build_app(device, budget), server_name=args.host, server_port=args.port)
    return 0
