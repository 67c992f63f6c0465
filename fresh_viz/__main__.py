"""Command line: `python -m fresh_viz select|fit|bench`.

Each command prints one JSON object with --json and readable text otherwise.
Bad input or arguments: exit code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from .device import pick_device
from .models import FAMILIES, build, get_family, tuned_knob
from .signals import PRESETS, Signal, SignalError, load_signal, make_preset, resize_signal
from .spectrum import MODES

DEFAULT_SIZE = {"image": 256, "video": 128}  # audio keeps its samples unless --size


class UsageError(Exception):
    """Bad arguments or input: reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage over several lines; we want one
        raise UsageError(message)


def parse_values(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of numbers") from None
    if not values:
        raise argparse.ArgumentTypeError("--values needs at least one number")
    return values


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def build_parser() -> Parser:
    parser = Parser(prog="python -m fresh_viz", description="FreSh: pick INR embedding hyperparameters "
                    "by matching the untrained model's spectrum to the signal's.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("path", help="image, WAV, GIF/MP4 or .npy file, or preset:NAME "
                         f"({', '.join(PRESETS)})")
        sub.add_argument("--model", default="siren", choices=list(FAMILIES))
        sub.add_argument("--size", type=positive_int, default=None,
                         help="longest spatial side after resizing (default 256 for images, 128 for video "
                              "frames; audio keeps its samples)")
        sub.add_argument("--width", type=positive_int, default=256)
        sub.add_argument("--depth", type=positive_int, default=3, help="hidden layers")
        sub.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best present)")
        sub.add_argument("--json", action="store_true", help="print one JSON object")

    select = commands.add_parser("select", help="run the FreSh selection")
    common(select)
    select.add_argument("--values", type=parse_values, default=None, help="comma-separated candidates")
    select.add_argument("--param", dest="knob", default=None, help="which knob to tune (FINER: bias_scale)")
    select.add_argument("--seeds", type=positive_int, default=10)
    select.add_argument("--bins", type=positive_int, default=64)
    select.add_argument("--mode", default="paper", choices=MODES)
    select.add_argument("--fast", action="store_true", help="coarse-to-fine with few seeds")

    fit = commands.add_parser("fit", help="train one configuration")
    common(fit)
    fit.add_argument("--param", type=float, default=None, help="value of the tuned knob (default: family default)")
    fit.add_argument("--steps", type=positive_int, default=1000)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--lr", type=float, default=None)
    fit.add_argument("--max-seconds", type=float, default=None)

    serve = commands.add_parser("serve", help="start the browser app (as app.py does), with its limits adjustable")
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=positive_int, default=None, help="default 7860")
    serve.add_argument("--size", type=positive_int, default=None, help="working grid's longest side")
    serve.add_argument("--width", type=positive_int, default=None)
    serve.add_argument("--depth", type=positive_int, default=None)
    serve.add_argument("--max-steps", type=positive_int, default=None, help="cap on training steps")
    serve.add_argument("--device", default=None)

    bench = commands.add_parser("bench", help="measure this machine")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--quick", action="store_true", help="small sizes, to prove it runs")
    bench.add_argument("--device", default=None)
    return parser


def open_signal(path: str, size: int | None) -> Signal:
    if path.startswith("preset:"):
        return make_preset(path.removeprefix("preset:"), size or 256)
    signal = load_signal(path)
    size = size or DEFAULT_SIZE.get(signal.kind)
    return resize_signal(signal, size) if size else signal


def run_select(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    from .fresh import select_embedding

    signal = open_signal(args.path, args.size)
    result = select_embedding(signal, args.model, args.values, args.knob, args.seeds, args.bins, args.mode,
                              args.width, args.depth, device=device, fast=args.fast, progress=_stderr_progress)
    out = result.to_json()
    lines = [f"{signal.describe()}; {result.model}, spectrum mode {result.mode}, {result.bins} bins"]
    lines += [f"  {result.param} = {v:<8g} W = {d:.4f} ± {e:.4f} ({n} seeds){'  <- best' if v == result.best else ''}"
              for v, d, e, n in zip(result.values, result.distance, result.stderr, result.seed_counts)]
    lines.append(f"best {result.param} = {result.best:g} in {result.seconds:.1f} s on {result.device}")
    return out, "\n".join(lines)


def run_fit(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    from .train import fit

    signal = open_signal(args.path, args.size)
    family = get_family(args.model)
    knob = tuned_knob(family, signal.ndim)
    value = knob.default if args.param is None else args.param
    model = build(family, signal.ndim, signal.channels, [args.seed], args.width, args.depth,
                  {knob.name: value}, device)
    curve, last = [], None
    for last in fit(model, signal.values, args.steps, args.lr, every=max(1, args.steps // 20),
                    seed=args.seed, max_seconds=args.max_seconds):
        curve.append([last.step, round(last.psnr[0], 4)])
        _stderr_progress(last.step / args.steps, f"step {last.step}: PSNR {last.psnr[0]:.2f} dB")
    out = {"model": family.name, "param": knob.name, "value": value, "steps": last.step, "psnr": last.psnr[0],
           "test_psnr": last.test_psnr[0], "train_psnr": last.train_psnr[0], "curve": curve,
           "seconds": last.seconds, "device": str(device)}
    text = (f"{signal.describe()}\n{family.title} {knob.name}={value:g}: PSNR {last.psnr[0]:.2f} dB (all samples), "
            f"{last.test_psnr[0]:.2f} dB (held out) after {last.step} steps in {last.seconds:.1f} s on {device}")
    return out, text


def run_serve(args: argparse.Namespace, device: torch.device) -> int:
    from dataclasses import replace

    from .app import build_app, serve
    from .state import budget_for

    budget = budget_for(device)
    changes = {"size": args.size, "width": args.width, "depth": args.depth, "max_steps": args.max_steps}
    budget = replace(budget, **{k: v for k, v in changes.items() if v is not None})
    if budget.steps > budget.max_steps:
        budget = replace(budget, steps=budget.max_steps)
    serve(build_app(device, budget), server_name=args.host, server_port=args.port)
    return 0


def _stderr_progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{fraction:4.0%}] {message}", end="\n" if fraction >= 1 else "", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        device = pick_device(args.device)
        if args.command == "serve":
            return run_serve(args, device)
        if args.command == "bench":
            from .bench import run_bench

            out, text = run_bench(device, quick=args.quick)
        elif args.command == "select":
            out, text = run_select(args, device)
        else:
            out, text = run_fit(args, device)
    except (UsageError, SignalError, ValueError) as err:
        print(f"fresh_viz: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fresh_viz: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(out) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
