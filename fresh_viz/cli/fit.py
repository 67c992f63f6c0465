"""`fit`: train one configuration and report PSNR on all and on held-out samples."""

from __future__ import annotations

import argparse

import torch

from ..models import build, get_family, tuned_knob
from .common import add_signal_options, open_signal, positive_int, signal_json, stderr_progress
from .select import add_knob_options

HELP = "train one configuration"


def add_arguments(sub: argparse.ArgumentParser) -> None:
    add_signal_options(sub)
    sub.add_argument("--param", type=float, default=None, help="value of the tuned knob (default: family default)")
    sub.add_argument("--steps", type=positive_int, default=1000)
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--lr", type=float, default=None)
    sub.add_argument("--max-seconds", type=float, default=None)
    add_knob_options(sub)


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    from ..train import fit

    signal = open_signal(args)
    family = get_family(args.model)
    knob = tuned_knob(family, signal.ndim)
    value = knob.default if args.param is None else args.param
    # Other knobs at their defaults unless --set: a selection's held values are in its "fixed".
    values = {k.name: k.for_ndim(signal.ndim).default for k in family.knobs} | dict(args.settings)
    values[knob.name] = value
    model = build(family, signal.ndim, signal.channels, [args.seed], args.width, args.depth, values, device,
                  shape=signal.spatial_shape)
    curve, last = [], None
    for last in fit(model, signal.values, args.steps, args.lr, every=max(1, args.steps // 20),
                    seed=args.seed, max_seconds=args.max_seconds):
        curve.append([last.step, round(last.psnr[0], 4)])
        stderr_progress(last.step / args.steps, f"step {last.step}: PSNR {last.psnr[0]:.2f} dB")
    out = {"model": family.name, "param": knob.name, "value": value, "values": values, "width": model.width,
           "depth": model.depth, "steps": last.step, "psnr": last.psnr[0], "test_psnr": last.test_psnr[0],
           "train_psnr": last.train_psnr[0], "curve": curve, "seconds": last.seconds,
           "device": str(device)} | signal_json(signal)
    shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
    text = (f"{signal.describe()}\n{family.title} {shown}: PSNR {last.psnr[0]:.2f} dB (all samples), "
            f"{last.test_psnr[0]:.2f} dB (held out) after {last.step} steps in {last.seconds:.1f} s on {device}")
    return out, text
