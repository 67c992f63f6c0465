"""Where the fast mode and the full sweep part ways, and whether it matters.

    nice python tools/fast_mode_study.py [--sizes 32,128] [--width 128] [--presets NAME,...]

For each preset (SIREN, the family's grid): the full sweep with seeds 0-9, the same sweep
with seeds 10-19 (how repeatable the full sweep's own choice is), and the fast mode.  A
choice is "tied" with the full sweep's when their mean distances, by the full sweep's own
numbers, differ by at most two combined standard errors.  "plateau" counts the values tied
with the minimum in that sense.  Prints Markdown.
"""

from __future__ import annotations

import argparse

from fresh_viz.fresh import Selection, Sweep, select_embedding
from fresh_viz.rules import tied
from fresh_viz.signals import PRESETS, make_preset


def tied_with_best(result: Selection, value: float) -> bool:
    return tied(result.distance, result.stderr, result.best_index, result.values.index(value))


def row(name: str, size: int, width: int) -> str:
    signal = make_preset(name, size)
    full = select_embedding(signal, "siren", width=width)
    other = Sweep(signal, "siren", width=width)
    other.evaluate(other.knob.grid, range(10, 20))
    again = other.summary(0.0)
    fast = select_embedding(signal, "siren", width=width, fast=True)
    steps = abs(full.best_index - full.values.index(fast.best))
    plateau = sum(tied_with_best(full, v) for v in full.values)
    return (f"| {name} | {size} | {full.best:g} | {again.best:g} | {fast.best:g} ({sum(fast.seed_counts)} of "
            f"{sum(full.seed_counts)}) | {steps} | {'yes' if tied_with_best(full, fast.best) else 'no'} | {plateau} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="32,128")
    parser.add_argument("--width", type=int, default=128, help="the app's CPU width")
    parser.add_argument("--presets", default=",".join(PRESETS))
    args = parser.parse_args()
    print("| preset | px | full, seeds 0-9 | full, seeds 10-19 | fast (models) | steps apart | tied | plateau |")
    print("|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for name in args.presets.split(","):
            print(row(name, size, args.width), flush=True)


if __name__ == "__main__":
    main()
