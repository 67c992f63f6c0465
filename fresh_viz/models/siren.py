"""SIREN as the FreSh reference builds it."""

from __future__ import annotations

import math

import torch

from .base import INR, Knob, log_grid, sine, steps_grid

SIREN_OMEGA = Knob("omega0", "ω₀", 30.0, steps_grid(10, 200, 10), 1.0, 300.0, 1.0, log=True,
                   audio=Knob("omega0", "ω₀", 3000.0, log_grid(100, 30000, 20), 10.0, 50000.0, 10.0, log=True))
HIDDEN_OMEGA = 30.0  # hidden-layer frequency of SIREN and FINER, fixed in the reference


class Siren(INR):
    """SIREN as FreSh's reference builds it: sin(W(ω₀x) + b), hidden sin(W(30h) + b), output W(30h) + b.

    First-layer weights U(±1/fan_in), hidden and output weights U(±sqrt(6/fan_in)/30),
    biases PyTorch's default U(±1/sqrt(fan_in))."""

    name, title, lr = "siren", "SIREN", 1e-4
    knobs = (SIREN_OMEGA,)
    alpha = HIDDEN_OMEGA

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.value("omega0") * x

    def bounds(self, layer, fan_in):
        default = 1.0 / math.sqrt(fan_in)
        if layer == 0:
            return 1.0 / fan_in, default
        return math.sqrt(6.0 / fan_in) / HIDDEN_OMEGA, default

    def activate(self, z, layer):
        return sine(z)
