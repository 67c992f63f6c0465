"""Serialisable state of the explorer: the controls a user sets, and the
budget the device allows.  No UI code here."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .fresh import Selection, Sweep
from .models import INR, Knob, get_family, tuned_knob
from .signals import Signal


@dataclass(frozen=True)
class Budget:
    """What one device can do interactively; the app's defaults and caps."""

    size: int  # longest side of the working grid
    width: int
    depth: int
    steps: int  # default training steps
    max_steps: int
    max_seconds: float  # wall-time cap of one training run or sweep
    video_frames: int
    note: str  # what was reduced, said on screen


def budget_for(device: torch.device) -> Budget:
    if device.type == "cpu":
        return Budget(128, 128, 3, 300, 3000, 300.0, 16,
                      "Grid reduced to 128 px and width to 128 "
                      "so previews stay live and a race takes tens of seconds (a GPU uses 512 px, width 256).")
    return Budget(512, 256, 3, 1000, 10000, 600.0, 64, "Full resolution: 512 px grid, width 256.")


@dataclass
class Controls:
    """Everything the sliders and menus say; None means the family's default."""

    family: str = "siren"
    value: float | None = None
    second: float | None = None  # FINER's first-layer bias scale k
    seed: int = 0
    bins: int = 64
    mode: str = "paper"
    width: int = 128
    depth: int = 3

    @property
    def model(self) -> type[INR]:
        return get_family(self.family)

    def knob(self, ndim: int) -> Knob:
        return tuned_knob(self.model, ndim)

    def knob_values(self, ndim: int) -> dict[str, float]:
        """Values of all the family's knobs: the tuned one first."""
        knob = self.knob(ndim)
        values = {knob.name: knob.default if self.value is None else self.value}
        for other in self.model.knobs[1:]:
            values[other.name] = other.default if self.second is None else self.second
        return values


@dataclass
class Session:
    """One browser's working set: its signal, the cached sweep context and results."""

    signal: Signal
    source: str  # preset name, or the uploaded file's name
    sweep: Sweep | None = None
    sweep_key: tuple = ()
    selection: Selection | None = None

    def sweep_for(self, controls: Controls, device: torch.device) -> Sweep:
        """The cached target spectrum and grid, rebuilt only when they change."""
        key = (controls.family, controls.bins, controls.mode, controls.width, controls.depth, str(device))
        if self.sweep is None or self.sweep_key != key:
            self.sweep = Sweep(self.signal, controls.family, None, controls.bins, controls.mode,
                               controls.width, controls.depth, None, device)
            self.sweep_key = key
        return self.sweep
