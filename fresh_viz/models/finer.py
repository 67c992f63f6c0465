"""FINER: variable-periodic sine activations."""

from __future__ import annotations

import math

import torch

from .base import INR, Knob, steps_grid
from .siren import HIDDEN_OMEGA, SIREN_OMEGA


class Finer(INR):
    """FINER: sin(ω (|z| + 1) z) with the factor (|z| + 1) not differentiated;
    first-layer bias ~ U(-k, k)."""

    name, title, lr = "finer", "FINER", 1e-4
    knobs = (
        SIREN_OMEGA,
        Knob("bias_scale", "bias k", 0.0, steps_grid(0.0, 3.0, 0.1), 0.0, 5.0, 0.05),
    )

    def bounds(self, layer, last, fan_in):
        default = 1.0 / math.sqrt(fan_in)
        if layer == 0:
            return 1.0 / fan_in, self.bias_scale
        return math.sqrt(6.0 / fan_in) / HIDDEN_OMEGA, default

    def activate(self, z, layer):
        omega = self.value("omega0") if layer == 0 else HIDDEN_OMEGA
        return torch.sin(omega * (z.detach().abs() + 1) * z)
