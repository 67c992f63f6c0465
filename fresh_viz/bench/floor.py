"""The floor of a hot path: what this machine cannot avoid, measured in the same run.

A SIREN sweep or training step is matrix products plus one sine per hidden unit
(training adds the backward products and one cosine per hidden unit).  The floor
prices the products at the best rate this machine reaches around the measurement
(the faster of a measurement just before and one just after) for the layer's
shape, (rows x width) @ (width x width) with the number of rows free, and the
sines and cosines at their measured element rates.  A hot path's ratio to its
floor says how much it loses to everything else (memory traffic, bias additions,
the spectra, Python), whatever the machine's own speed.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import torch

from .timing import forward_flops, sines_per_sample, timed

ROWS = (1024, 2048, 4096, 8192, 16384)  # candidate rows of the layer product


@dataclass
class Rates:
    """Element rates measured on this machine at one moment."""

    width: int
    matmul_gflops: float  # best over ROWS for (rows x width) @ (width x width)
    matmul_rows: int  # where that best was reached
    sines_per_second: float
    cosines_per_second: float

    def to_json(self) -> dict:
        return asdict(self)

    def best(self, other: Rates) -> Rates:
        """The faster of two measurements, rate by rate: on a shared host one of them may have
        been taken while a neighbour held the cores, and a floor is what the machine can reach."""
        matmul = max(self, other, key=lambda r: r.matmul_gflops)
        return Rates(self.width, matmul.matmul_gflops, matmul.matmul_rows,
                     max(self.sines_per_second, other.sines_per_second),
                     max(self.cosines_per_second, other.cosines_per_second))


def instruction_set() -> str:
    """The vector instructions PyTorch's CPU kernels use, and the limit set for MKL, if any."""
    capability = torch.backends.cpu.get_cpu_capability()
    mkl = os.environ.get("MKL_ENABLE_INSTRUCTIONS")
    return capability + (f", MKL limited to {mkl}" if mkl else "")


def measure_rates(device: torch.device, width: int = 256, repeats: int = 20) -> Rates:
    """Best matrix-product rate over row counts, and the sine and cosine element rates."""
    weight = torch.randn(width, width, device=device) / width**0.5
    best_rate, best_rows = 0.0, ROWS[0]
    for rows in ROWS:
        h = torch.randn(rows, width, device=device)
        out = torch.empty(rows, width, device=device)
        timed(lambda h=h, out=out: torch.mm(h, weight, out=out), device, 2)
        seconds = min(timed(lambda h=h, out=out: torch.mm(h, weight, out=out), device, repeats))
        rate = 2 * rows * width * width / seconds / 1e9
        if rate > best_rate:
            best_rate, best_rows = rate, rows
    values = torch.rand(best_rows, width, device=device) * 6 - 3
    element_rates = []
    for op in (torch.sin, torch.cos):
        out = torch.empty_like(values)
        timed(lambda op=op, out=out: op(values, out=out), device, 2)
        element_rates.append(values.numel() / min(timed(lambda op=op, out=out: op(values, out=out), device, repeats)))
    return Rates(width, best_rate, best_rows, *element_rates)


def sweep_floor(rates: Rates, samples: int, depth: int, in_dim: int = 2, out_dim: int = 3) -> float:
    """Seconds a sweep cannot go below: `samples` forward passes (members x points)."""
    products = forward_flops(rates.width, depth, in_dim, out_dim) * samples / (rates.matmul_gflops * 1e9)
    return products + sines_per_sample(rates.width, depth) * samples / rates.sines_per_second


def training_floor(rates: Rates, samples: int, depth: int, in_dim: int = 2, out_dim: int = 3) -> float:
    """Seconds one full-batch training step over `samples` points cannot go below:
    forward and backward products (three times the forward's), the sines and the cosines."""
    products = 3 * forward_flops(rates.width, depth, in_dim, out_dim) * samples / (rates.matmul_gflops * 1e9)
    per_unit = 1 / rates.sines_per_second + 1 / rates.cosines_per_second
    return products + sines_per_sample(rates.width, depth) * samples * per_unit
