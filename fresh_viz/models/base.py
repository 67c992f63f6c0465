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
import time
from collections.abc import Callable, Mapping, Sequence
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
    audio: Knob | None = None  # default, grid and range for 1-D signals, when they differ
    video: Knob | None = None  # the same for 3-D signals

    def for_ndim(self, ndim: int) -> Knob:
        variant = {1: self.audio, 3: self.video}.get(ndim)
        return variant if variant is not None else self

    def clamp(self, value: float) -> float:
        value = min(max(float(value), self.low), self.high)
        return float(round(value)) if self.integer else value


def steps_grid(start: float, stop: float, step: float) -> tuple[float, ...]:
    count = int(round((stop - start) / step)) + 1
    return tuple(round(start + i * step, 6) for i in range(count))


def log_grid(start: float, stop: float, count: int) -> tuple[float, ...]:
    return tuple(float(f"{v:.3g}") for v in np.geomspace(start, stop, count))


class Workspace:
    """Buffers reused from one chunk of points to the next, by name and shape.

    A fresh large tensor is paged in by the OS on first touch, 4 KiB at a time; allocated
    once per chunk, that cost as much as a third of the sine written into it.  Kept here,
    each buffer is allocated once per model and shape (a run has one or two chunk sizes)."""

    def __init__(self):
        self.buffers: dict[tuple, torch.Tensor] = {}

    def __call__(self, name: str, shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
        key = (name, tuple(shape), like.dtype, like.device)
        if key not in self.buffers:
            self.buffers[key] = torch.empty(tuple(shape), dtype=like.dtype, device=like.device)
        return self.buffers[key]


class INR(nn.Module):
    """Base: an embedding, then linear layers `layer_sizes()` with `activate` between them.

    Subclasses define `embed` (what the first layer sees), `activate`, the
    initialisation bounds and, where they differ from the SIREN layout, the
    layer sizes and dtypes.  Weights are stored as (E, fan_in, fan_out).

    shared=True (evaluation only; every member has the same seed): each
    parameter is drawn once and kept as one copy unless a knob changes its
    initial values, which a family says through `bounds`.  The layers after
    that run as one large matrix product over all members (`_evaluate_shared`).
    Training would tie shared members together, so `fit` needs shared=False.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    knobs: ClassVar[tuple[Knob, ...]]
    lr: ClassVar[float]
    alpha: ClassVar[float] = 1.0  # factor on the inputs of the hidden and output layers
    default_width: ClassVar[int] = 256
    default_depth: ClassVar[int] = 3  # the reference's `hidden_layers`
    biased: ClassVar[bool] = True  # False: the linear layers have no biases (kept as frozen zeros)
    # Values the reference holds for the other knobs while it tunes one (knob -> {other: value});
    # knobs not named here stay at their defaults.
    held: ClassVar[Mapping[str, Mapping[str, float]]] = {}

    def __init__(self, in_dim: int, out_dim: int, seeds: Sequence[int] = (0,), width: int | None = None,
                 depth: int | None = None, values: Mapping[str, float | Sequence[float]] | None = None,
                 shared: bool = False, shape: Sequence[int] | None = None):
        """shape: the signal's spatial shape, for families that size themselves to it (hash grid)."""
        super().__init__()
        width = self.default_width if width is None else width
        depth = self.default_depth if depth is None else depth
        if width < 1 or depth < 0:
            raise ValueError("width must be >= 1 and depth >= 0")
        if shared and len(set(seeds)) != 1:
            raise ValueError("shared layers need every member to have the same seed")
        self.in_dim, self.out_dim, self.width, self.depth = in_dim, out_dim, width, depth
        self.workspace = Workspace()  # buffers of the hand-written passes (evaluation, SIREN's gradient)
        self.shape = tuple(shape) if shape is not None else None
        self.seeds = [int(s) for s in seeds]
        values = dict(values or {})
        unknown = set(values) - {k.name for k in self.knobs}
        if unknown:
            raise ValueError(f"{self.name} has no knob {', '.join(sorted(unknown))}")
        for base in self.knobs:
            knob = base.for_ndim(in_dim)
            given = torch.as_tensor(values.get(knob.name, knob.default), dtype=torch.float32).reshape(-1)
            if not torch.isfinite(given).all() or (given < 0).any():
                raise ValueError(f"{self.name}: {knob.name} must be a finite, non-negative number")
            if knob.integer and (given > knob.high).any():
                raise ValueError(f"{self.name}: {knob.name} is at most {knob.high:g}")
            self.register_buffer(knob.name, given.expand(self.members).clone())
        generators = [torch.Generator().manual_seed(s) for s in (self.seeds[:1] if shared else self.seeds)]
        self.init_embedding(generators)
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for layer, (fan_in, fan_out) in enumerate(self.layer_shapes()):
            w_bound, b_bound = self.bounds(layer, fan_in)
            dtype = self.layer_dtype(layer)
            self.weights.append(nn.Parameter(self._draw(generators, (fan_in, fan_out), w_bound, dtype)))
            if self.biased:
                self.biases.append(nn.Parameter(self._draw(generators, (1, fan_out), b_bound, dtype)))
            else:  # zeros that training leaves alone, so every layer keeps one code path
                self.biases.append(nn.Parameter(torch.zeros(1, 1, fan_out, dtype=dtype), requires_grad=False))

    @property
    def members(self) -> int:
        return len(self.seeds)

    @property
    def last(self) -> int:
        """Index of the output layer."""
        return len(self.weights) - 1

    def value(self, knob: str) -> torch.Tensor:
        """Per-member value of a knob, shaped (E, 1, 1) for broadcasting."""
        return getattr(self, knob).view(-1, 1, 1)

    def _draw(self, generators: list[torch.Generator], shape: tuple[int, int], bound: float | torch.Tensor,
              dtype: torch.dtype) -> torch.Tensor:
        """U(-bound, bound) draws: (E, *shape), or (1, *shape) when shared and the bound is the same
        for every member.  Complex entries draw their real and imaginary parts each from U(-bound,
        bound), as PyTorch's uniform_ does for complex tensors."""
        bound = torch.as_tensor(bound, dtype=torch.float32).reshape(-1, 1, 1).expand(self.members, 1, 1)
        if len(generators) == 1 and bool((bound == bound[0]).all()):
            bound = bound[:1]
        if dtype.is_complex:
            raw = torch.view_as_complex(uniform_draws(generators, (*shape, 2)))
        else:
            raw = uniform_draws(generators, shape)
        return raw * bound

    # -- what a family defines

    def init_embedding(self, generators: list[torch.Generator]) -> None:
        """Draw any random embedding parameters (before the layers); one generator per
        member, or a single one when the members are shared."""

    def embedding_dim(self) -> int:
        return self.in_dim

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """x: (P, d) -> (E or 1, P, embedding_dim)."""
        return x.unsqueeze(0)

    def layer_sizes(self) -> list[int]:
        """Fan-ins and the output size: a first layer, `depth` hidden layers, the output layer."""
        return [self.embedding_dim()] + [self.width] * (self.depth + 1) + [self.out_dim]

    def layer_shapes(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of each stored layer; a family whose activation changes the width
        between layers (the hash grid's head) lists them itself."""
        sizes = self.layer_sizes()
        return list(zip(sizes[:-1], sizes[1:]))

    def layer_dtype(self, layer: int) -> torch.dtype:
        return torch.float32

    def bounds(self, layer: int, fan_in: int) -> tuple[float | torch.Tensor, float | torch.Tensor]:
        """Uniform init bounds (weight, bias) of `layer` (0 = first, `self.last` = output);
        a tensor holds one bound per member, for bounds a knob sets."""
        default = 1.0 / math.sqrt(fan_in)  # PyTorch's nn.Linear default
        return default, default

    def activate(self, z: torch.Tensor, layer: int) -> torch.Tensor:
        """z: (E, P, width), the pre-activation of `layer` (may be changed in place without autograd)."""
        return relu(z)

    def weight(self, layer: int) -> torch.Tensor:
        """The real matrix `layer` multiplies by: (E or 1, in, out)."""
        return self.weights[layer]

    def bias(self, layer: int) -> torch.Tensor:
        """The real bias `layer` adds: (E or 1, 1, out)."""
        return self.biases[layer]

    def readout(self, y: torch.Tensor) -> torch.Tensor:
        """The output layer's result as the model's output: (E, P, out_dim) real."""
        return y

    def accumulate_gradients(self, x: torch.Tensor, target: torch.Tensor, scale: float) -> torch.Tensor:
        """Add to each parameter's .grad the gradient of scale * sum((model(x) - target)^2), per member.

        x: (P, d), target: (P, out_dim) -> the per-member loss (E,).  Autograd here; a family with a
        hand-written backward (SIREN) overrides it with the same arithmetic in fewer passes over memory."""
        loss = (self(x) - target).square().sum((1, 2)) * scale
        loss.sum().backward()
        return loss.detach()

    # -- shared

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (P, d) coordinates in [-1, 1] -> (E, P, out_dim)."""
        h = self.embed(x)
        h = h.expand(self.members, -1, -1) if h.shape[0] != self.members else h
        start = self._shared_from() if not torch.is_grad_enabled() else None
        for layer in range(self.last + 1):
            if layer == start:
                return self.readout(self._evaluate_shared(h, layer))
            width = self.weight(layer).shape[-1]
            into = None if start is None else self.workspace(f"layer {layer}", (*h.shape[:2], width), h)
            h = linear(h, self.weight(layer), self.bias(layer), self.alpha if layer else 1.0, into)
            if layer < self.last:
                h = self.activate(h, layer)
        return self.readout(h)

    def _shared_from(self) -> int | None:
        """The first layer (from 1 on) after which every layer has one copy for all members."""
        start = None
        for layer in range(self.last, 0, -1):
            if self.weights[layer].shape[0] != 1 or self.biases[layer].shape[0] != 1:
                break
            start = layer
        return start

    def _evaluate_shared(self, h: torch.Tensor, start: int) -> torch.Tensor:
        """Layers start.. when all members share them, without autograd.

        Each layer is one matrix product over every member's points (bias added by
        the same call) into one of two reused contiguous buffers, and the activation
        runs in place there.  h: (E, P, n), the input of layer `start` -> (E, P, out_dim).
        """
        members, points, _ = h.shape
        rows = members * points
        current = h.reshape(rows, -1)
        for layer in range(start, self.last):
            weight, bias = self.weight(layer)[0], self.bias(layer)[0, 0]
            spare = self.workspace(f"shared {layer % 2}", (rows, weight.shape[1]), h)
            torch.addmm(bias, current, weight, alpha=self.alpha, out=spare)
            activated = self.activate(spare.view(members, points, -1), layer)
            if activated.data_ptr() != spare.data_ptr():
                spare.copy_(activated.reshape(rows, -1))
            current = spare
        weight, bias = widened(self.weight(self.last), self.bias(self.last))
        out = torch.addmm(bias[0, 0], current, weight[0], alpha=self.alpha)[:, : self.out_width]
        return out.reshape(members, points, -1)

    @property
    def out_width(self) -> int:
        """Columns of the output layer's product (before `readout`)."""
        return self.weights[self.last].shape[-1]


class EncodedMLP(INR):
    """An encoding in front of a ReLU MLP laid out as the reference's `FourierFeaturesMLP`:
    `depth` x (Linear + ReLU) after the encoding, then a linear output layer, PyTorch's
    default initialisation throughout."""

    def layer_sizes(self) -> list[int]:
        return [self.embedding_dim()] + [self.width] * self.depth + [self.out_dim]


def linear(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, alpha: float = 1.0,
           into: torch.Tensor | None = None) -> torch.Tensor:
    """bias + alpha * h @ weight; h (E, P, in), weight (E or 1, in, out), bias (E or 1, 1, out).
    into: an (E, P, out) buffer to write the result to, when weight and bias are shared."""
    if weight.shape[0] == 1:  # one weight for all members: a single large matrix product
        members, points, _ = h.shape
        flat = h.reshape(members * points, -1)
        if bias.shape[0] == 1:
            out = None if into is None else into.view(members * points, -1)
            return torch.addmm(bias[0], flat, weight[0], alpha=alpha, out=out).reshape(members, points, -1)
        return torch.add(bias, (flat @ weight[0]).reshape(members, points, -1), alpha=alpha)
    return torch.baddbmm(bias, h, weight, alpha=alpha)


NARROW = 16  # BLAS runs a product with fewer output columns several times slower than one this wide


def widened(weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An output layer's (E, K, N) weight and (E, 1, N) bias padded with zero columns to NARROW
    when N is smaller: its product then runs 2 to 3 times faster; callers keep the first N columns."""
    columns = weight.shape[-1]
    if columns >= NARROW:
        return weight, bias
    pad = (0, NARROW - columns)
    return torch.nn.functional.pad(weight, pad), torch.nn.functional.pad(bias, pad)


def sine(z: torch.Tensor) -> torch.Tensor:
    """sin, in place when no gradient needs z (one pass over memory fewer)."""
    return torch.sin(z) if torch.is_grad_enabled() else z.sin_()


def relu(z: torch.Tensor) -> torch.Tensor:
    return torch.relu(z) if torch.is_grad_enabled() else z.relu_()


def uniform_draws(generators: list[torch.Generator], shape: tuple[int, ...]) -> torch.Tensor:
    """U(-1, 1) draws, one (shape) tensor per generator: (G, *shape)."""
    return torch.stack([torch.rand(shape, generator=g) * 2 - 1 for g in generators])


class OutOfTime(RuntimeError):
    """A wall-time cap was reached in the middle of a piece of work."""


def render(model: INR | Callable[[torch.Tensor], torch.Tensor], coords: torch.Tensor, chunk: int = 16384,
           deadline: float | None = None, what: str | None = None) -> torch.Tensor:
    """Evaluate over all coordinates in chunks of points: coords (P, d) -> (E, C, P).

    model: an `INR` ensemble, points (p, d) -> (E, p, C).  With `what` (its name in messages), any
    callable mapping points (p, d) -> (p, C) or (p,), such as a network of the user's: each chunk's
    result is checked, read as a one-member ensemble in float32 on the coordinates' device, and the
    whole output must be finite (a ValueError says what is wrong).
    deadline: a time.perf_counter() value; a chunk that would start after it raises OutOfTime,
    so a cap holds inside one large evaluation too."""
    outputs = []
    for i in range(0, coords.shape[0], chunk):
        if deadline is not None and time.perf_counter() > deadline:
            raise OutOfTime(f"the time cap was reached after {i} of {coords.shape[0]} points")
        points = coords[i : i + chunk]
        out = model(points)
        outputs.append(out if what is None else checked(out, len(points), what)[None].to(coords.device, torch.float32))
    output = torch.cat(outputs, dim=1).transpose(1, 2)
    if what is not None and not torch.isfinite(output).all():
        raise ValueError(f"{what} produced NaN or infinite values")
    return output


def checked(out: object, points: int, what: str) -> torch.Tensor:
    """A user's network's output for `points` points as (points, C), or a ValueError saying what is wrong."""
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"{what} returned {type(out).__name__}; expected a tensor shaped (P, C)")
    out = out[:, None] if out.dim() == 1 else out
    if out.dim() != 2 or out.shape[0] != points:
        raise ValueError(f"{what} mapped {points} points to shape {tuple(out.shape)}; expected ({points}, C)")
    return out
