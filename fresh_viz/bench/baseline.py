"""The straightforward pipeline the sweep is measured against: what one writes first.

One `nn.Linear` SIREN per value and seed evaluated over all pixels at once, a
Python loop over the anti-diagonals for the spectrum, the distance from the
cumulative sums, one value and seed at a time.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..spectrum import crop, dft_magnitude


class PlainSiren(nn.Module):
    """SIREN written the textbook way (nn.Linear, one model per value and seed),
    with the reference's initialisation: the baseline the sweep is measured against."""

    def __init__(self, omega0: float, width: int, depth: int, out_dim: int = 3):
        super().__init__()
        self.omega0 = omega0
        self.layers = nn.ModuleList([nn.Linear(2, width)] + [nn.Linear(width, width) for _ in range(depth)]
                                    + [nn.Linear(width, out_dim)])
        with torch.no_grad():
            self.layers[0].weight.uniform_(-1 / 2, 1 / 2)
            for layer in self.layers[1:]:
                bound = math.sqrt(6 / layer.in_features) / 30
                layer.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.sin(self.layers[0](self.omega0 * x))
        for layer in self.layers[1:-1]:
            h = torch.sin(layer(30 * h))
        return self.layers[-1](30 * h)


def loop_paper_spectrum(magnitude: torch.Tensor) -> torch.Tensor:
    """Paper-mode reduction the way the reference writes it: a mask keeping one
    member per conjugate pair, then one sum per anti-diagonal (a Python loop).
    magnitude: (*shape) -> (sum(N_i - 1) + 1,)."""
    shape = magnitude.shape
    k = torch.stack(torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij"))
    sizes = torch.tensor(shape).view(-1, *[1] * len(shape))
    conjugate = (sizes - k) % sizes
    total, conjugate_total = k.sum(0), conjugate.sum(0)
    keep = (total < conjugate_total) | ((total == conjugate_total) & (k <= conjugate).all(0))
    half = torch.where((k == conjugate).all(0), 1.0, 0.5)  # pairs with equal sums: both halves kept
    masked = magnitude * torch.where(total == conjugate_total, half, keep.float())
    return torch.stack([masked[total == s].sum() for s in range(int(total.max()) + 1)])


def straightforward_sweep(target: torch.Tensor, values: list[float], seeds: int, bins: int, width: int,
                          depth: int) -> int:
    """FreSh the slow way: returns the index of the chosen value.  target: (C, N, N)."""
    side = target.shape[-1]
    axis = torch.linspace(-1, 1, side)
    coords = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    target_spectrum = crop(loop_paper_spectrum(dft_magnitude(target, 2)), bins).numpy()
    means = []
    for value in values:
        distances = []
        for seed in range(seeds):
            torch.manual_seed(seed)
            model = PlainSiren(value, width, depth, target.shape[0])
            with torch.no_grad():
                output = model(coords).T.reshape(target.shape)
            spectrum = crop(loop_paper_spectrum(dft_magnitude(output, 2)), bins).numpy()
            distances.append(np.abs(np.cumsum(target_spectrum / target_spectrum.sum())
                                    - np.cumsum(spectrum / spectrum.sum())).sum())
        means.append(sum(distances) / len(distances))
    return means.index(min(means))
