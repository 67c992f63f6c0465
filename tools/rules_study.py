"""Selection rules measured on the bundled signals.

    nice python tools/rules_study.py [--signals NAME,...] [--families siren,fourier] [--size 128]
        [--steps 300] [--results docs/selection_rules.json] [--sweeps-only]

For each signal and family: one paper-mode sweep (the family's grid, 10 seeds, 64 bins) gives
every rule in `fresh_viz.rules.RULES` its choice; the symmetric and radial spectrum modes are
measured too, with the paper's rule.  Then every chosen value, and the family's default, trains
for `--steps` steps from seed 0 (10 % of the samples held out), and the table reports PSNR on the
trained and on the held-out samples, and whether each rule qualifies: on average over the
signals it keeps at least half of the paper's trained-sample gain over the default, and its
held-out PSNR is not below the default's.  The values one signal needs train together as one ensemble
(independent members, one pass).  Results are kept in the --results file: a value trained once
is never trained again, by any rule or rerun.  Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from fresh_viz.fresh import Sweep, select_embedding
from fresh_viz.models import build, get_family, tuned_knob
from fresh_viz.rules import RULES
from fresh_viz.signals import PRESETS, make_preset
from fresh_viz.train import fit

MODES = ("symmetric", "radial")  # measured with the paper's rule, as variants next to the rules
SEEDS, BINS, WIDTH, DEPTH = 10, 64, 256, 3
QUALIFYING_SHARE = 0.5  # a rule must keep this share of the paper's mean fitting gain, and lose no held-out PSNR


def variants() -> list[str]:
    return ["default", *RULES, *(f"mode:{m}" for m in MODES)]


def choices(signal_name: str, family: str, size: int) -> dict[str, float]:
    """The value each variant picks for one signal, before training."""
    signal = make_preset(signal_name, size)
    sweep = Sweep(signal, family, bins=BINS, mode="paper", width=WIDTH, depth=DEPTH)
    sweep.evaluate(sweep.knob.grid, range(SEEDS))
    picked = {"default": sweep.knob.default}
    picked.update({name: sweep.summary(0.0, rule=name).best for name in RULES})
    for mode in MODES:
        picked[f"mode:{mode}"] = select_embedding(signal, family, seeds=SEEDS, bins=BINS, mode=mode, width=WIDTH,
                                                  depth=DEPTH).best
    return picked


def train(signal_name: str, family: str, size: int, values: list[float], steps: int) -> dict[str, list[float]]:
    """{value: [PSNR on trained samples, on held-out samples, seconds per member]} after `steps` steps."""
    signal = make_preset(signal_name, size)
    knob = tuned_knob(get_family(family), signal.ndim)
    model = build(family, signal.ndim, signal.channels, [0] * len(values), WIDTH, DEPTH, {knob.name: values})
    start = time.perf_counter()
    *_, last = fit(model, signal.values, steps, every=steps, seed=0)
    seconds = (time.perf_counter() - start) / len(values)
    return {key(v): [last.train_psnr[i], last.test_psnr[i], seconds] for i, v in enumerate(values)}


def key(value: float) -> str:
    return f"{value:g}"


def run_family(results: dict, family: str, signals: list[str], size: int, steps: int, sweeps_only: bool,
               save) -> None:
    picked_all = results.setdefault("choices", {}).setdefault(family, {})
    trained_all = results.setdefault("trained", {}).setdefault(family, {})
    for name in signals:
        if name not in picked_all:
            start = time.perf_counter()
            picked_all[name] = choices(name, family, size)
            print(f"# {family} {name}: choices in {time.perf_counter() - start:.0f} s: {picked_all[name]}", flush=True)
            save()
        if sweeps_only:
            continue
        trained = trained_all.setdefault(name, {})
        todo = sorted({v for v in picked_all[name].values() if key(v) not in trained})
        if todo:
            trained.update(train(name, family, size, todo, steps))
            print(f"# {family} {name}: trained {todo}", flush=True)
            save()


def table(results: dict, family: str, signals: list[str]) -> str:
    """Per signal: each variant's value and PSNR trained / held-out; then the averages against the default."""
    picked_all, trained_all = results["choices"][family], results.get("trained", {}).get(family, {})
    names = variants()
    knob = get_family(family).knobs[0].label
    lines = [f"| signal | {' | '.join(names)} |", "|---" * (len(names) + 1) + "|"]
    gains: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for signal in signals:
        picked, trained = picked_all[signal], trained_all.get(signal, {})
        cells = []
        for n in names:
            psnr = trained.get(key(picked[n]))
            cells.append(f"{knob} {picked[n]:g}" + (f": {psnr[0]:.1f} / {psnr[1]:.1f}" if psnr else ""))
            base = trained.get(key(picked["default"]))
            if psnr and base:
                gains[n].append((psnr[0] - base[0], psnr[1] - base[1]))
        lines.append(f"| {signal} | {' | '.join(cells)} |")
    paper_gain = statistics.mean(g[0] for g in gains["paper"]) if gains["paper"] else float("nan")
    lines += ["", "| variant | signals | trained-sample PSNR over the default, mean (dB) | share of the paper's gain "
              "| held-out PSNR over the default, mean / median (dB) | signals losing held-out PSNR | qualifies |",
              "|---|---|---|---|---|---|---|"]
    for n in names[1:]:
        if not gains[n]:
            continue
        fit_gain = statistics.mean(g[0] for g in gains[n])
        held = [g[1] for g in gains[n]]
        share = fit_gain / paper_gain
        qualifies = share >= QUALIFYING_SHARE and statistics.mean(held) >= 0
        lines.append(f"| {n} | {len(held)} | {fit_gain:+.1f} | {share:.0%} | {statistics.mean(held):+.2f} / "
                     f"{statistics.median(held):+.2f} | {sum(h < 0 for h in held)} | {'yes' if qualifies else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", default=",".join(PRESETS))
    parser.add_argument("--families", default="siren")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--results", default="docs/selection_rules.json")
    parser.add_argument("--sweeps-only", action="store_true", help="only the choices, no training")
    args = parser.parse_args()
    signals = args.signals.split(",")
    path = Path(args.results)
    settings = {"size": args.size, "steps": args.steps, "seeds": SEEDS, "bins": BINS, "width": WIDTH, "depth": DEPTH,
                "rules": list(RULES)}
    results = json.loads(path.read_text()) if path.exists() else {}
    if results.get("settings", settings) != settings:
        raise SystemExit(f"{path} holds results for other settings: {results['settings']}")
    results["settings"] = settings
    results["machine"] = f"{platform.processor() or platform.machine()}, torch {torch.__version__}, " \
                         f"{torch.get_num_threads()} threads"

    def save() -> None:
        path.write_text(json.dumps(results, indent=1) + "\n")

    for family in args.families.split(","):
        run_family(results, family, signals, args.size, args.steps, args.sweeps_only, save)
        print(f"\n## {get_family(family).title} ({args.size} px, {args.steps} steps, seed 0)\n")
        print(table(results, family, signals))


if __name__ == "__main__":
    main()
