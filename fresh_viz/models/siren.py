"""SIREN as the FreSh reference builds it."""

from __future__ import annotations

import math

import torch

from .base import INR, Knob, log_grid, sine, steps_grid, widened

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

    @torch.no_grad()
    def accumulate_gradients(self, x: torch.Tensor, target: torch.Tensor, scale: float) -> torch.Tensor:
        """SIREN's gradient by hand, the same arithmetic as autograd's but in fewer passes over memory:
        no autograd graph, each pre-activation's buffer reused for its cosine and then its gradient, the
        factor 30 folded into the matrix products.  x: (P, d), target: (P, C) -> per-member loss (E,)."""
        buffer = self.workspace  # the same buffers for every chunk of this size
        members, points = self.members, x.shape[0]
        inputs, pre = [self.embed(x).expand(members, -1, -1)], []
        for layer in range(self.last):
            shape = (members, points, self.weights[layer].shape[-1])
            z = torch.baddbmm(self.biases[layer], inputs[-1], self.weights[layer], alpha=self.alpha if layer else 1.0,
                              out=buffer(f"z {layer}", shape, x))
            pre.append(z)
            inputs.append(torch.sin(z, out=buffer(f"h {layer}", shape, x)))
        out = self.out_dim
        weight, bias = widened(self.weights[-1], self.biases[-1])  # padded columns stay zero throughout
        residual = torch.baddbmm(bias, inputs[-1], weight, alpha=self.alpha,
                                 out=buffer("residual", (members, points, weight.shape[-1]), x))
        residual[..., :out] -= target
        loss = residual[..., :out].square().sum((1, 2)) * scale
        grad = residual.mul_(2 * scale)  # d loss / d output, (E, P, C or NARROW)
        for layer in range(self.last, -1, -1):
            alpha = self.alpha if layer else 1.0
            weight = self.weights[layer]
            if weight.grad is None:
                weight.grad, self.biases[layer].grad = torch.zeros_like(weight), torch.zeros_like(self.biases[layer])
            step = torch.bmm(inputs[layer].transpose(1, 2), grad)
            weight.grad.add_(step[..., : weight.shape[-1]], alpha=alpha)
            self.biases[layer].grad.add_(grad[..., : weight.shape[-1]].sum(1, keepdim=True))
            if layer == 0:
                break
            padded = widened(weight, self.biases[layer])[0] if layer == self.last else weight
            back = torch.bmm(grad, (alpha * padded).transpose(1, 2),  # the factor on the small matrix
                             out=buffer("back", pre[layer - 1].shape, x))
            grad = torch.cos(pre[layer - 1], out=pre[layer - 1]).mul_(back)  # d loss / d z of the layer below
        return loss
