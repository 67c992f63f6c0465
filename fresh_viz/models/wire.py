"""WIRE: complex Gabor wavelet layers, as the FreSh reference builds its WIRE baseline."""

from __future__ import annotations

import math

import torch

from .base import INR, Knob, log_grid

HIDDEN_OMEGA = 10.0  # wire_base.yaml's hidden_omega
HIDDEN_SCALE = 10.0  # fixed in the reference's hidden layers


def gabor(z: torch.Tensor, omega: float | torch.Tensor, scale: float | torch.Tensor, planar: bool) -> torch.Tensor:
    """exp(iωz - |sz|²) in planar form [Re | Im] along the last axis.

    z: real (..., n), or complex in planar form (..., 2n) when `planar`; for z = a + ib
    the magnitude is exp(-ωb - s²|z|²) and the phase ωa.
    """
    if planar and not torch.is_grad_enabled():
        return gabor_in_place(z, omega, scale)
    if planar:
        a, b = z.chunk(2, dim=-1)
        magnitude = torch.exp(-omega * b - scale**2 * (a.square() + b.square()))
    else:
        a = z
        magnitude = torch.exp(-(scale * z).square())
    phase = omega * a
    return torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=-1)


def gabor_in_place(z: torch.Tensor, omega: float, scale: float) -> torch.Tensor:
    """`gabor` of a planar z, written over z (no autograd).  The sines and cosines run on
    contiguous temporaries: on the halves of z (strided rows) they are several times slower."""
    a, b = z.chunk(2, dim=-1)
    magnitude = a.square().addcmul_(b, b).mul_(-(scale**2)).add_(b, alpha=-omega).exp_()
    phase = a * omega
    torch.mul(phase.sin(), magnitude, out=b)
    torch.mul(phase.cos_(), magnitude, out=a)
    return z


class Wire(INR):
    """WIRE: a real first layer z = Wx + b then exp(iω₀z - |s₀z|²); `depth` complex layers with
    exp(i10z - |10z|²); a complex output layer read as Re/2 + 0.5.  int(width/√2) complex
    features (a complex number is two real ones); PyTorch's default init everywhere (complex
    weights and biases draw real and imaginary parts each from U(±1/sqrt(fan_in))).

    Complex activations are carried in planar form [Re | Im] and each complex layer runs as
    one real product with [[Re W, Im W], [-Im W, Re W]]: the same numbers as complex
    arithmetic, at the speed of real matrix products.
    """

    name, title, lr = "wire", "WIRE", 1e-3
    # The reference has no FreSh grid for WIRE; these cover the minima measured on the bundled photos,
    # presets and audio clips (docs/families.md).
    knobs = (
        Knob("omega0", "ω₀", 20.0, log_grid(1, 100, 20), 0.1, 300.0, 0.1, log=True,
             audio=Knob("omega0", "ω₀", 20.0, log_grid(10, 10000, 20), 1.0, 30000.0, 1.0, log=True)),
        Knob("scale0", "s₀", 10.0, log_grid(1, 100, 20), 0.1, 300.0, 0.1, log=True,
             audio=Knob("scale0", "s₀", 10.0, log_grid(0.3, 3000, 20), 0.1, 10000.0, 0.1, log=True)),
    )

    def layer_sizes(self):
        features = max(1, int(self.width / math.sqrt(2)))
        return [self.in_dim] + [features] * (self.depth + 1) + [self.out_dim]

    def layer_dtype(self, layer):
        return torch.float32 if layer == 0 else torch.complex64

    def weight(self, layer):
        w = self.weights[layer]
        if layer == 0:
            return w
        if layer == self.last:  # only the real part of the output is read
            return torch.cat([w.real, -w.imag], dim=1)
        return torch.cat([torch.cat([w.real, w.imag], dim=2), torch.cat([-w.imag, w.real], dim=2)], dim=1)

    def bias(self, layer):
        b = self.biases[layer]
        if layer == 0:
            return b
        return b.real if layer == self.last else torch.cat([b.real, b.imag], dim=2)

    def activate(self, z, layer):
        if layer == 0:
            return gabor(z, self.value("omega0"), self.value("scale0"), planar=False)
        return gabor(z, HIDDEN_OMEGA, HIDDEN_SCALE, planar=True)

    def readout(self, y):
        return y / 2 + 0.5
