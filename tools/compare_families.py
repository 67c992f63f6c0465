"""The app's "Which family fits this signal?" on bundled signals, from the command line.

    python tools/compare_families.py [--signals astronaut,zoneplate] [--steps 300] [--full]

Runs what the comparison panel runs, at the app's CPU settings (128 px, width 128, the fast
mode unless --full): FreSh for every family, then every family trained at its chosen value for
--steps steps from seed 0; prints the panel's two status texts per signal as Markdown.
"""

from __future__ import annotations

import argparse
import time

import torch

from fresh_viz.state import Controls, budget_for
from fresh_viz.ui.compare import FamilyComparison
from fresh_viz.ui.explore import load_preset
from fresh_viz.ui.page import Context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", default="astronaut,zoneplate")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--full", action="store_true", help="the paper setting (10 seeds, full grid)")
    args = parser.parse_args()
    device = torch.device("cpu")
    budget = budget_for(device)
    panel = FamilyComparison(Context(device, budget))
    controls = Controls(width=budget.width, depth=budget.depth)
    for name in args.signals.split(","):
        state = load_preset(name, budget)
        start = time.perf_counter()
        shown = panel.compare(state, args.full, controls)
        chosen = time.perf_counter() - start
        *_, trained = panel.train_all(state, args.steps, controls)
        print(f"## {state.signal.describe()}\n\n{shown['compare_status']}\n\n(FreSh for every family: "
              f"{chosen:.0f} s; training: {time.perf_counter() - start - chosen:.0f} s)\n\n"
              f"{trained['compare_train_status']}\n", flush=True)


if __name__ == "__main__":
    main()
