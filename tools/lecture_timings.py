"""How long each step of a lecture takes at the app's default settings.

    python tools/lecture_timings.py [preset ...]

Calls the app's handlers the way the page does (no browser): load a preset,
FreSh in fast mode and in the paper setting, a 300-step race, the trust check.
"""

from __future__ import annotations

import sys
import time

from fresh_viz.device import pick_device
from fresh_viz.state import Controls, budget_for
from fresh_viz.ui.explore import Explore, load_preset
from fresh_viz.ui.page import Context
from fresh_viz.ui.training import Training


def main(presets: list[str]) -> None:
    device = pick_device()
    budget = budget_for(device)
    ctx = Context(device, budget)
    explorer, training = Explore(ctx), Training(ctx)

    def controls(value: float | None) -> Controls:
        return Controls("siren", value, width=budget.width, depth=budget.depth)

    def timed(label: str, fn):
        start = time.perf_counter()
        result = fn()
        print(f"  {label}: {time.perf_counter() - start:.1f} s")
        return result

    quiet = lambda fraction, message: None  # noqa: E731
    for name in presets:
        print(f"{name} ({budget.size} px, width {budget.width}, {device})")
        state = load_preset(name, budget)
        timed("load and preview", lambda s=state: explorer.show_signal(s, controls(None)))
        timed("FreSh, fast mode", lambda s=state: explorer.fresh(s, False, controls(30), quiet))
        timed("FreSh, paper setting", lambda s=state: explorer.fresh(s, True, controls(30), quiet))
        best = state.selection.best
        last = timed("race, 300 steps", lambda s=state, v=best: list(training.train(s, 300, None, controls(v)))[-2])
        print("   ", last["train_status"])
        check = timed("trust check", lambda s=state, v=best: list(training.study(s, None, None, controls(v)))[-1])
        print("   ", check["study_status"])


if __name__ == "__main__":
    main(sys.argv[1:] or ["astronaut", "zoneplate"])
