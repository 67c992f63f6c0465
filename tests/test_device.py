"""The device-parametrised tests: every hot path on each device this machine has (the CPU, and
CUDA where present), equal to the CPU's result within a stated tolerance, with every tensor on
the device it was asked for.  `tools/gpu_check.sh` runs this file on a GPU machine.

Tolerances: float32 kernels on another device (or another CPU kernel) round differently, by
about float32's epsilon (1.2e-7) times the size of the numbers they add up.  A SIREN's first
sine sees arguments of about ω₀ (30 here); its outputs after four layers differ by a few 1e-6
across devices, so forward passes are compared to 1e-4 absolute.  Spectra are sums of up to
N^2 magnitudes: compared relative to their total, to 1e-5.  W is a sum of 64 CDF gaps, each
a difference of such spectra: 1e-4.  Training amplifies round-off step by step (Adam divides
by square roots of small moments): PSNR after five steps to 0.05 dB.
"""

from __future__ import annotations

import pytest
import torch

from fresh_viz.fresh import Sweep, select_embedding
from fresh_viz.models import FAMILIES, build
from fresh_viz.signals import make_preset
from fresh_viz.spectrum import paper_spectrum
from fresh_viz.train import fit

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
    ["mps"] if torch.backends.mps.is_available() else [])
FORWARD_ATOL, SPECTRUM_RTOL, DISTANCE_ATOL, PSNR_ATOL = 1e-4, 1e-5, 1e-4, 0.05

pytestmark = pytest.mark.parametrize("device", DEVICES)


def on(tensor: torch.Tensor, device: str) -> bool:
    return tensor.device.type == torch.device(device).type


def all_on(module: torch.nn.Module, device: str) -> bool:
    return all(on(t, device) for t in [*module.parameters(), *module.buffers()])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_forward_pass_matches_the_cpu(device, family):
    x = torch.rand(300, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1
    cpu = build(family, 2, 3, [0, 1], width=32, depth=2, shape=(32, 32))
    moved = build(family, 2, 3, [0, 1], width=32, depth=2, shape=(32, 32), device=device)
    assert all_on(moved, device)
    with torch.no_grad():
        out = moved(x.to(device))
        assert on(out, device)
        assert (out.cpu() - cpu(x)).abs().max() < FORWARD_ATOL


def test_spectrum_matches_the_cpu(device):
    y = torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(2)) * 2 - 1
    ours = paper_spectrum(y.to(device))
    assert on(ours, device)
    expected = paper_spectrum(y)
    assert (ours.cpu() - expected).abs().max() < SPECTRUM_RTOL * expected.sum()


def test_sweep_matches_the_cpu(device):
    signal = make_preset("astronaut", 32)
    values = [10.0, 30.0, 60.0, 90.0]
    cpu = select_embedding(signal, "siren", values, seeds=3, width=32, depth=2)
    moved = select_embedding(signal, "siren", values, seeds=3, width=32, depth=2, device=device)
    assert moved.device.startswith(torch.device(device).type)
    assert max(abs(a - b) for a, b in zip(moved.distance, cpu.distance)) < DISTANCE_ATOL
    assert moved.best == cpu.best
    sweep = Sweep(signal, "siren", width=32, depth=2, device=device)
    assert on(sweep.coords, device) and on(sweep.target_spectrum, device)
    preview = sweep.preview(30.0)
    assert on(preview.output, device) and on(preview.spectrum, device)


def test_training_steps_match_the_cpu(device):
    signal = make_preset("coffee", 24)
    reports = {}
    for where in {"cpu", device}:
        model = build("siren", 2, 3, [0], width=32, depth=2, device=where)
        *_, last = fit(model, signal.values, steps=5, every=5)
        assert all_on(model, where) and on(last.reconstruction, where)
        reports[where] = last
    assert abs(reports[device].train_psnr[0] - reports["cpu"].train_psnr[0]) < PSNR_ATOL
    assert abs(reports[device].test_psnr[0] - reports["cpu"].test_psnr[0]) < PSNR_ATOL
