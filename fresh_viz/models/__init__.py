"""Model families: one small class per module, all sharing the `INR` base (`base.py`).

Each family declares its knobs (the first is the one FreSh tunes), defaults,
grids, slider ranges and learning rate; `FAMILIES` is the one registry that
the sliders, the command line and the sweep read.  Adding a family is one
module and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from .base import INR, Knob, render
from .finer import Finer
from .fourier import FourierFeatures
from .posenc import PositionalEncoding
from .siren import Siren

__all__ = ["FAMILIES", "INR", "Knob", "build", "get_family", "render", "tuned_knob", "Siren", "Finer",
           "FourierFeatures", "PositionalEncoding"]

FAMILIES: dict[str, type[INR]] = {cls.name: cls for cls in (Siren, FourierFeatures, PositionalEncoding, Finer)}


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


def build(family: str | type[INR], in_dim: int, out_dim: int, seeds: Sequence[int] = (0,), width: int = 256,
          depth: int = 3, values: Mapping[str, float | Sequence[float]] | None = None,
          device: torch.device | str = "cpu", shared: bool = False) -> INR:
    """A seeded ensemble of `family` on `device` (see `INR` for `shared`)."""
    cls = get_family(family) if isinstance(family, str) else family
    return cls(in_dim, out_dim, seeds, width, depth, values, shared).to(device)


