"""What the time input of a video's untrained frames changes: FreSh's picks with each frame seen
at t = 0 (the reference's video runs, and `fresh.Sweep`) against each frame at its own time.

    PYTHONPATH=. python tools/video_time.py [--size 64] [--width 64] [--seeds 10] [--families siren,fourier]

Clips: the `orbit` preset and three made from the bundled photos (a pan across the astronaut,
a zoom into the grass, the coffee photo fading to its mirror image), each 16 frames.  Prints
one Markdown row per clip and family: the pick and the lowest mean W each way.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from fresh_viz.fresh import Sweep
from fresh_viz.signals import Signal, make_preset

FRAMES = 16


class OwnTimeSweep(Sweep):
    """The sweep with each seed's frame evaluated at that frame's own time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frame_coords = self.coords

    def outputs(self, values, seed, extra=None):
        t = torch.linspace(-1.0, 1.0, self.shape[0])[self.frame(seed)]
        self.coords = self.frame_coords.clone()
        self.coords[:, 0] = t
        return super().outputs(values, seed, extra)


def clip(name: str, size: int) -> Signal:
    """A (3, 16, size, size) clip in [-1, 1]."""
    if name == "orbit":
        return make_preset("orbit", size)
    steps = torch.linspace(0, 1, FRAMES)
    if name == "astronaut pan":
        photo = make_preset("astronaut", 2 * size).values
        frames = [photo[:, size // 2 : size // 2 + size, int(s * size) : int(s * size) + size] for s in steps]
    elif name == "grass zoom":
        photo = make_preset("grass", 2 * size).values
        frames = []
        for s in steps:
            side = round(2 * size - float(s) * size)
            start = (2 * size - side) // 2
            crop = photo[:, start : start + side, start : start + side]
            frames.append(F.interpolate(crop[None], (size, size), mode="bilinear", antialias=True)[0])
    else:  # coffee fade
        photo = make_preset("coffee", size).values
        photo = F.interpolate(photo[None], (size, size), mode="bilinear", antialias=True)[0]
        frames = [(1 - s) * photo + s * photo.flip(-1) for s in steps]
    return Signal(torch.stack(frames, 1).clamp(-1, 1).contiguous(), "video", name, 10)


def pick(sweep: Sweep, seeds: int) -> tuple[float, float]:
    sweep.evaluate(list(sweep.knob.grid), range(seeds))
    result = sweep.summary(0.0)
    return result.best, min(result.distance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--families", default="siren,fourier")
    args = parser.parse_args()
    print("| clip | family | pick at t = 0 | pick at the frame's time | min W at t = 0 | min W at own time |")
    print("|---|---|---|---|---|---|")
    start = time.perf_counter()
    for name in ("orbit", "astronaut pan", "grass zoom", "coffee fade"):
        signal = clip(name, args.size)
        for family in args.families.split(","):
            at_zero = pick(Sweep(signal, family, width=args.width), args.seeds)
            own = pick(OwnTimeSweep(signal, family, width=args.width), args.seeds)
            print(f"| {name} | {family} | {at_zero[0]:g} | {own[0]:g} | {at_zero[1]:.3f} | {own[1]:.3f} |", flush=True)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
