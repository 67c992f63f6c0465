"""FINER: variable-periodic sine activations, as the FreSh reference builds it."""

from __future__ import annotations

import math

import torch

from .base import INR, Knob, steps_grid
from .siren import HIDDEN_OMEGA, SIREN_OMEGA


def bias_knob(ndim: int, variants: dict[str, Knob] | None = None) -> Knob:
    """The first-layer bias scale k.  Its default is PyTorch's own bias init for a first layer
    with fan_in = ndim, U(±1/sqrt(ndim)): the reference's FINER baseline keeps that bias."""
    return Knob("bias_scale", "first-layer bias k", round(1 / math.sqrt(ndim), 6), steps_grid(0.0, 3.0, 0.1),
                0.0, 5.0, 0.05, **(variants or {}))


class Finer(INR):
    """FINER: sin(ω (|z| + 1) z) with the factor (|z| + 1) not differentiated; ω = ω₀ in the
    first layer and 30 in the hidden ones.  Weights as SIREN's (first U(±1/fan_in), hidden and
    output U(±sqrt(6/fan_in)/30)); the output layer is a plain linear layer; the first-layer
    bias is U(±k); every other bias keeps PyTorch's default."""

    name, title, lr = "finer", "FINER", 1e-4
    knobs = (SIREN_OMEGA, bias_knob(2, {"audio": bias_knob(1), "video": bias_knob(3)}))
    # finer_best_omega.yaml tunes ω₀ with k = 0; finer_best_bias.yaml tunes k with ω₀ = 30.
    held = {"omega0": {"bias_scale": 0.0}, "bias_scale": {"omega0": 30.0}}

    def bounds(self, layer, fan_in):
        default = 1.0 / math.sqrt(fan_in)
        if layer == 0:
            return 1.0 / fan_in, self.bias_scale
        return math.sqrt(6.0 / fan_in) / HIDDEN_OMEGA, default

    def activate(self, z, layer):
        omega = self.value("omega0") if layer == 0 else HIDDEN_OMEGA
        return torch.sin(omega * (z.detach().abs() + 1) * z)
