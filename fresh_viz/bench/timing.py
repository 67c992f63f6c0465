"""Wall-clock timing on any device, and FLOP counts of the SIREN shapes measured."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed_call(fn: Callable[[], object], device: torch.device) -> tuple[object, float]:
    """(result, wall seconds) of one call, the device synchronised around it."""
    synchronise(device)
    start = time.perf_counter()
    result = fn()
    synchronise(device)
    return result, time.perf_counter() - start


def timed(fn: Callable[[], object], device: torch.device, repeats: int = 1) -> list[float]:
    """Wall seconds of each of `repeats` calls."""
    return [timed_call(fn, device)[1] for _ in range(repeats)]


def forward_flops(width: int, depth: int, in_dim: int = 2, out_dim: int = 3) -> int:
    """Matrix-product FLOPs of one SIREN forward pass for one sample (2 per multiply-add)."""
    return 2 * (in_dim * width + depth * width * width + width * out_dim)


def sines_per_sample(width: int, depth: int) -> int:
    """Sines of one SIREN forward pass for one sample: one per hidden unit."""
    return width * (depth + 1)
