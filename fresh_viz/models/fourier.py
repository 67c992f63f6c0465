"""Gaussian random Fourier features in front of a ReLU MLP, as the FreSh reference builds them."""

from __future__ import annotations

import math

import torch

from .base import EncodedMLP, Knob, log_grid, steps_grid


class FourierFeatures(EncodedMLP):
    """γ(x) = [cos 2πBx, sin 2πBx] with width // 2 rows of B ~ N(0, σ²) (fixed, not trained),
    then `depth` x (Linear + ReLU) and a linear output: the reference's `FourierFeaturesMLP`
    (198,147 trainable parameters at width 256, depth 3, RGB)."""

    name, title, lr = "fourier", "Fourier features", 3e-3
    knobs = (
        Knob("sigma", "σ", 1.0, steps_grid(1, 20, 1), 0.1, 100.0, 0.1, log=True,
             audio=Knob("sigma", "σ", 300.0, log_grid(10, 3000, 20), 1.0, 10000.0, 1.0, log=True)),
    )

    @property
    def frequencies(self) -> int:
        return self.width // 2

    def init_embedding(self, generators):
        raw = torch.stack([torch.randn(self.in_dim, self.frequencies, generator=g) for g in generators])
        self.register_buffer("raw_frequencies", raw)  # B^T / σ: (E or 1, d, width // 2)

    def embedding_dim(self):
        return 2 * self.frequencies

    def embed(self, x):
        phase = 2 * math.pi * torch.matmul(x, self.raw_frequencies * self.value("sigma"))
        return torch.cat([torch.cos(phase), torch.sin(phase)], dim=-1)
