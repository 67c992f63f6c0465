"""The base of every model family: the `Knob` a family exposes and the `INR` ensemble.

Every model is an *ensemble* of E independent networks of one family that run
together through batched matrix products: x (P, d) -> (E, P, C).  A single
model is E = 1; the FreSh sweep evaluates many (value, seed) members at once.
Member e is drawn from its own generator seeded with seeds[e], and the random
draws never depend on the knob values, so one seed gives the same raw weights
for every candidate value, as in the reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Knob:
    """A hyperparameter of the embedding: its slider and its FreSh grid."""

    name: str
    label: str
    default: float
    grid: tuple[float, ...]
    low: float
    high: float
    step: float = 1.0
    log: bool = False  # the slider spans decades
    integer: bool = False
    audio: Knob | None = None  # grid and range for 1-D signals, when they differ

    def for_ndim(self, ndim: int) -> Knob:
        return self.audio if ndim == 1 and self.audio is not None else self

    def clamp(self, value: float) -> float:
        value = min(max(float(value), self.low), self.high)
        return float(round(value)) if self.integer else value


def steps_grid(start: float, stop: float, step: float) -> tuple[float, ...]:
    count = int(round((stop - start) / step)) + 1
    return tuple(round(start + i * step, 6) for i in range(count))


def log_grid(start: float, stop: float, count: int) -> tuple[float, ...]:
    return tuple(float(f"{v:.3g}") for v in np.geomspace(start, stop, count))


class INR(nn.Module):
    """Base: first layer, `depth` hidden width x width layers, linear output.

    Subclasses define `embed` (what the first layer sees), `activate` and the
    initialisation bounds.  Weights are stored as (E, fan_in, fan_out).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    knobs: ClassVar[tuple[Knob, ...]]
    lr: ClassVar[float]
    alpha: ClassVar[float] = 1.0  # factor on hidden and output pre-activations

    def __init__(self, in_dim: int, out_dim: int, seeds: Sequence[int] = (0,), width: int = 256,
                 depth: int = 3, values: Mapping[str, float | Sequence[float]] | None = None,
                 shared: bool = False):
        """shared=True: all members have one seed and keep one copy of every layer after
        the first (which the knobs do not touch), so those layers run as one large
        matrix product.  For evaluation only: training would tie the members together."""
        super().__init__()
        if width < 1 or depth < 0:
            raise ValueError("width must be >= 1 and depth >= 0")
        if shared and len(set(seeds)) != 1:
            raise ValueError("shared layers need every member to have the same seed")
        self.in_dim, self.out_dim, self.width, self.depth = in_dim, out_dim, width, depth
        self.seeds = [int(s) for s in seeds]
        members = len(self.seeds)
        values = dict(values or {})
        unknown = set(values) - {k.name for k in self.knobs}
        if unknown:
            raise ValueError(f"{self.name} has no knob {', '.join(sorted(unknown))}")
        for knob in self.knobs:
            given = torch.as_tensor(values.get(knob.name, knob.default), dtype=torch.float32).reshape(-1)
            if not torch.isfinite(given).all() or (given < 0).any():
                raise ValueError(f"{self.name}: {knob.name} must be a finite, non-negative number")
            if knob.integer and (given > knob.high).any():
                raise ValueError(f"{self.name}: {knob.name} is at most {knob.high:g}")
            self.register_buffer(knob.name, given.expand(members).clone())
        generators = [torch.Generator().manual_seed(s) for s in self.seeds]
        self.init_embedding(generators)
        dims = [self.embedding_dim()] + [width] * (depth + 1) + [out_dim]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for layer, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
            drawing = generators[:1] if shared and layer > 0 else generators
            weight = uniform_draws(drawing, (fan_in, fan_out))
            bias = uniform_draws(drawing, (1, fan_out))
            w_bound, b_bound = self.bounds(layer, depth + 1, fan_in)
            self.weights.append(nn.Parameter(weight * per_member(w_bound, len(drawing))))
            self.biases.append(nn.Parameter(bias * per_member(b_bound, len(drawing))))

    @property
    def members(self) -> int:
        return len(self.seeds)

    def value(self, knob: str) -> torch.Tensor:
        """Per-member value of a knob, shaped (E, 1, 1) for broadcasting."""
        return getattr(self, knob).view(-1, 1, 1)

    # -- what a family defines

    def init_embedding(self, generators: list[torch.Generator]) -> None:
        """Draw any random embedding parameters (before the layers)."""

    def embedding_dim(self) -> int:
        return self.in_dim

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """x: (P, d) -> (E or 1, P, embedding_dim)."""
        return x.unsqueeze(0)

    def bounds(self, layer: int, last: int, fan_in: int) -> tuple[float | torch.Tensor, float | torch.Tensor]:
        """Uniform init bounds (weight, bias) of `layer` (0 = first, `last` = output)."""
        default = 1.0 / math.sqrt(fan_in)  # PyTorch's nn.Linear default
        return default, default

    def activate(self, z: torch.Tensor, layer: int) -> torch.Tensor:
        return relu(z)

    # -- shared

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (P, d) coordinates in [-1, 1] -> (E, P, out_dim)."""
        h = self.embed(x).expand(self.members, -1, -1)
        h = self.activate(linear(h, self.weights[0], self.biases[0]), 0)
        if self.weights[1].shape[0] == 1 and not torch.is_grad_enabled():
            return self._evaluate_shared(h)
        for layer in range(1, self.depth + 1):
            h = self.activate(linear(h, self.weights[layer], self.biases[layer], self.alpha), layer)
        return linear(h, self.weights[-1], self.biases[-1], self.alpha)

    def _evaluate_shared(self, h: torch.Tensor) -> torch.Tensor:
        """The layers after the first when all members share them, without autograd.

        Activations live in a buffer with a trailing column of ones and each
        weight carries its bias as an extra row, so one matrix product adds the
        bias (no separate pass over memory) and the activation runs in place.
        h: (E, P, width) -> (E, P, out_dim).
        """
        members, points, width = h.shape
        buffers = [h.new_empty(members * points, width + 1) for _ in range(2)]
        for buffer in buffers:
            buffer[:, width] = 1.0
        buffers[0][:, :width] = h.reshape(-1, width)
        for layer in range(1, self.depth + 1):
            z = buffers[1][:, :width]
            torch.mm(buffers[0], self._with_bias_row(layer), out=z)
            activated = self.activate(z, layer)
            if activated.data_ptr() != z.data_ptr():
                z.copy_(activated)
            buffers.reverse()
        return (buffers[0] @ self._with_bias_row(self.depth + 1)).reshape(members, points, -1)

    def _with_bias_row(self, layer: int) -> torch.Tensor:
        """alpha * weight with the bias appended as a last row: (fan_in + 1, fan_out)."""
        return torch.cat([self.alpha * self.weights[layer][0], self.biases[layer][0]])


def linear(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """bias + alpha * h @ weight; h (E, P, in), weight (E or 1, in, out), bias (E or 1, 1, out)."""
    if weight.shape[0] == 1:  # one weight for all members: a single large matrix product
        members, points, _ = h.shape
        out = torch.addmm(bias[0], h.reshape(members * points, -1), weight[0], alpha=alpha)
        return out.reshape(members, points, -1)
    return torch.baddbmm(bias, h, weight, alpha=alpha)


def sine(z: torch.Tensor) -> torch.Tensor:
    """sin, in place when no gradient needs z (one pass over memory fewer)."""
    return torch.sin(z) if torch.is_grad_enabled() else z.sin_()


def relu(z: torch.Tensor) -> torch.Tensor:
    return torch.relu(z) if torch.is_grad_enabled() else z.relu_()


def uniform_draws(generators: list[torch.Generator], shape: tuple[int, ...]) -> torch.Tensor:
    """U(-1, 1) draws, one (shape) tensor per member generator: (E, *shape)."""
    return torch.stack([torch.rand(shape, generator=g) * 2 - 1 for g in generators])


def per_member(bound: float | torch.Tensor, members: int) -> torch.Tensor:
    return torch.as_tensor(bound, dtype=torch.float32).reshape(-1, 1, 1).expand(members, 1, 1)


def render(model: INR, coords: torch.Tensor, chunk: int = 16384) -> torch.Tensor:
    """Evaluate over all coordinates in chunks of points: coords (P, d) -> (E, C, P)."""
    outputs = [model(coords[i : i + chunk]) for i in range(0, coords.shape[0], chunk)]
    return torch.cat(outputs, dim=1).transpose(1, 2)
