"""Model families: one small class per module, all sharing the `INR` base (`base.py`).

Each family declares its knobs (the first is the one FreSh tunes), defaults,
grids, slider ranges, learning rate, default width and depth, and the knob
values the reference holds while it tunes another; `FAMILIES` is the one
registry that the sliders, the command line and the sweep read.  Adding a
family is one module and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from .base import INR, Knob, OutOfTime, render
from .finer import Finer
from .fourier import FourierFeatures
from .hashgrid import HashGrid
from .posenc import PositionalEncoding
from .siren import Siren
from .wire import Wire

__all__ = ["FAMILIES", "INR", "Knob", "OutOfTime", "build", "get_family", "held_values", "render", "tuned_knob",
           "Siren", "Finer", "FourierFeatures", "HashGrid", "PositionalEncoding", "Wire"]

FAMILIES: dict[str, type[INR]] = {
    cls.name: cls for cls in (Siren, FourierFeatures, PositionalEncoding, Finer, Wire, HashGrid)
}


def get_family(name: str) -> type[INR]:
    if name not in FAMILIES:
        raise ValueError(f"unknown model '{name}'; choose from {', '.join(FAMILIES)}")
    return FAMILIES[name]


def tuned_knob(family: type[INR], ndim: int, name: str | None = None) -> Knob:
    """The knob FreSh tunes (the family's first unless `name` picks another), for ndim-D signals."""
    knobs = {k.name: k for k in family.knobs}
    if name is not None and name not in knobs:
        raise ValueError(f"{family.name} has no knob '{name}'; it has {', '.join(knobs)}")
    return knobs[name or family.knobs[0].name].for_ndim(ndim)


def held_values(family: type[INR], ndim: int, tuned: str) -> dict[str, float]:
    """Values of the knobs other than `tuned` while it is tuned: the reference's held values,
    else the defaults for ndim-D signals."""
    held = family.held.get(tuned, {})
    return {k.name: held.get(k.name, k.for_ndim(ndim).default) for k in family.knobs if k.name != tuned}


def build(family: str | type[INR], in_dim: int, out_dim: int, seeds: Sequence[int] = (0,), width: int | None = None,
          depth: int | None = None, values: Mapping[str, float | Sequence[float]] | None = None,
          device: torch.device | str = "cpu", shared: bool = False, shape: Sequence[int] | None = None) -> INR:
    """A seeded ensemble of `family` on `device` (see `INR` for `shared` and `shape`); width and
    depth default to the family's."""
    cls = get_family(family) if isinstance(family, str) else family
    return cls(in_dim, out_dim, seeds, width, depth, values, shared, shape).to(device)
