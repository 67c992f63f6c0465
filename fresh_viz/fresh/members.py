"""Sources of untrained members for a `Sweep`: the built-in families and a user's own network.

A source has one job: for some candidate values and one seed, give the untrained outputs
(`Batch`).  Everything after that (resizing to the analysis grid, spectra, the target each
output is paired with, W, the memo, the time cap, progress and the summary) is the sweep's,
so every source gets the same treatment.  A third source, saved outputs in the FreSh
reference's layout, lives in `fresh_viz.outputs`.

The protocol (`Members`):

    name, title, param   what `Selection.model` / progress messages / `Selection.param` say
    batch                values per call (None: all of them at once)
    describe()           {"width", "depth", "fixed"} for `Selection.settings`
    outputs(sweep, values, seed, extra=None) -> Batch
        on the sweep's evaluation grid (`Grid`: `sweep.coords`, `sweep.evaluated`, `sweep.device`);
        may stop at `sweep.deadline` by raising `models.OutOfTime`

and, for a source that brings its own targets, `target(key)` and `Batch.targets`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from ..models import INR, build, get_family, held_values, render, tuned_knob
from ..tuning import tuning_for

Model = Callable[[torch.Tensor], torch.Tensor]  # coordinates (P, d) in [-1, 1] -> outputs (P, C)
MakeModel = Callable[[float, int], Model]


class Grid(Protocol):
    """Where a sweep evaluates its members (`Sweep` has it all)."""

    shape: tuple[int, ...]  # the signal's spatial shape
    evaluated: tuple[int, ...]  # the shape evaluated: the signal's, or one frame's for video in paper mode
    coords: torch.Tensor  # (prod(evaluated), d) on `device`; a frame's coordinates have time 0
    channels: int
    device: torch.device
    deadline: float | None  # perf_counter() time after which a source may stop (models.OutOfTime)


@dataclass
class Batch:
    """A source's untrained outputs for one seed.

    values: the values it has outputs for (saved outputs may lack some seeds), in order.
    outputs: (V, C, *sweep.evaluated), or one (C, *shape) per value on a grid of its own.
    targets: per output, the key of the target it is compared with (`source.target(key)`); None: the
        sweep's target for the seed (the signal, or for video in paper mode the seed's frame)."""

    values: list[float]
    outputs: torch.Tensor | list[torch.Tensor]
    targets: list[Hashable] | None = None


class Members(Protocol):
    name: str
    title: str
    param: str
    batch: int | None

    def describe(self) -> dict: ...

    def outputs(self, sweep: Grid, values: Sequence[float], seed: int,
                extra: Mapping[str, float] | None = None) -> Batch: ...


class FamilyMembers:
    """A built-in family: the members of one seed share every layer the knob does not touch, so they
    run as one ensemble, one large matrix product over V x points rows."""

    batch = None

    def __init__(self, family: str | type[INR], ndim: int, knob: str | None = None, width: int | None = None,
                 depth: int | None = None, fixed: Mapping[str, float] | None = None,
                 device: torch.device | str = "cpu"):
        self.family = get_family(family) if isinstance(family, str) else family
        self.knob = tuned_knob(self.family, ndim, knob)
        self.name, self.title, self.param = self.family.name, self.family.title, self.knob.name
        self.width = self.family.default_width if width is None else width
        self.depth = self.family.default_depth if depth is None else depth
        self.fixed = {**held_values(self.family, ndim, self.knob.name), **(fixed or {})}
        self.fixed.pop(self.knob.name, None)
        # Rows of one hidden-layer product: the size measured fastest on this machine, read once.
        self.points_per_pass = tuning_for(torch.device(device)).sweep_points(self.width)

    def describe(self) -> dict:
        return {"width": self.width, "depth": self.depth, "fixed": dict(self.fixed)}

    def outputs(self, sweep: Grid, values: Sequence[float], seed: int,
                extra: Mapping[str, float] | None = None) -> Batch:
        knobs = {**self.fixed, **(extra or {}), self.knob.name: list(values)}
        model = build(self.family, len(sweep.shape), sweep.channels, [seed] * len(values), self.width, self.depth,
                      knobs, sweep.device, shared=True, shape=sweep.shape)
        chunk = max(1, self.points_per_pass // len(values))  # rows of one product: values x points
        out = render(model, sweep.coords, chunk, sweep.deadline)  # the cap holds between chunks too
        return Batch(list(values), out.reshape(len(values), sweep.channels, *sweep.evaluated))


class ModelMembers:
    """A user's network: make_model(value, seed) -> a `torch.nn.Module` or any callable mapping coordinates
    (P, d) in [-1, 1] to outputs (P, C).  It is called with torch's global RNG seeded with `seed` (and put
    back afterwards), so a network drawn with torch's RNG gets the same raw weights for every value, as in
    the reference.  A module is moved to the device and put in eval mode.  One network per call, evaluated
    `chunk` points at a time through `models.render`, which checks what it returns; the time cap holds
    between networks."""

    batch = 1

    def __init__(self, make_model: MakeModel, name: str = "custom", param: str = "value", chunk: int = 65536):
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.make_model, self.chunk = make_model, chunk
        self.name, self.title, self.param = name, name, param

    def describe(self) -> dict:
        return {"width": 0, "depth": 0, "fixed": {}}

    def outputs(self, sweep: Grid, values: Sequence[float], seed: int,
                extra: Mapping[str, float] | None = None) -> Batch:
        outputs = [render(build_seeded(self.make_model, value, seed, sweep.device), sweep.coords, self.chunk,
                          what=f"make_model({value:g}, {seed})")[0] for value in values]
        return Batch(list(values), torch.stack(outputs).reshape(len(values), -1, *sweep.evaluated))


def build_seeded(make_model: MakeModel, value: float, seed: int, device: torch.device) -> Model:
    """make_model(value, seed) with torch's global RNG seeded with `seed`, and put back afterwards."""
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        model = make_model(value, seed)
    if isinstance(model, nn.Module):
        model = model.to(device).eval()
    if not callable(model):
        raise ValueError(f"make_model({value:g}, {seed}) returned {type(model).__name__}, which is not callable")
    return model
