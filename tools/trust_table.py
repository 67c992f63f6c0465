"""The tables of docs/trust.md, from the JSON lines of `study --out` (and, optionally, of `select --out`).

    python tools/trust_table.py docs/trust.jsonl [--select SELECT.jsonl]

Prints markdown: per model and budget, the mean / median regret, gain and speed-up and the rank
correlation; the rules' regret and gain side by side; and one row per signal (a cell per budget).  The
select lines (same sweep settings) add each pick's plausible set and edge flag, which the study
lines do not carry.  Plain: reads the JSON, computes means and medians, prints.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def load(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def short(signal: str) -> str:
    return Path(signal.removeprefix("preset:")).stem


def mm(xs: list[float], spec: str = "+.2f") -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    return f"{statistics.fmean(xs):{spec}} / {statistics.median(xs):{spec}}"


def speed(b: dict) -> str:
    f = b["speedup"]["factor"]
    return "behind" if f is None else f"{f:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study")
    parser.add_argument("--select", help="select --out lines with the same sweep settings (plausible, edge)")
    args = parser.parse_args()
    studies = [r for r in load(args.study) if "error" not in r and r.get("budgets")]
    confidence = {}
    if args.select:
        for r in load(args.select):
            if "error" not in r:
                confidence[(r["model"], short(r["signal"]))] = r
    models = list(dict.fromkeys(r["model"] for r in studies))

    print("## Per budget (mean / median over the signals)\n")
    print("| model | steps | signals | regret trained | regret held-out | gain trained | gain held-out "
          "| held-out loss vs default | speed-up | reached | rho(W, PSNR) trained | rho held-out |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model in models:
        rs = [r for r in studies if r["model"] == model]
        for i, steps in enumerate(b["steps"] for b in rs[0]["budgets"]):
            bs = [r["budgets"][i] for r in rs if len(r["budgets"]) > i]
            sp = [0.0 if b["speedup"]["factor"] is None else b["speedup"]["factor"] for b in bs]
            losing = sum(b["gain"]["held_out"] < 0 for b in bs)
            print(f"| {model} | {steps} | {len(bs)} | {mm([b['regret']['trained'] for b in bs], '.2f')} "
                  f"| {mm([b['regret']['held_out'] for b in bs], '.2f')} | {mm([b['gain']['trained'] for b in bs])} "
                  f"| {mm([b['gain']['held_out'] for b in bs])} | {losing} of {len(bs)} | {mm(sp, '.2f')} "
                  f"| {sum(b['speedup']['factor'] is not None for b in bs)} of {len(bs)} "
                  f"| {mm([b['spearman']['trained'] for b in bs])} | {mm([b['spearman']['held_out'] for b in bs])} |")

    print("\n## The rules (mean regret trained / held-out, dB; mean gain held-out, dB; signals losing held-out PSNR)\n")
    rules = list(dict.fromkeys(n for r in studies for n in r.get("rules", {})))
    print("| model | steps | " + " | ".join(["paper"] + rules) + " |")
    print("|---|---|" + "---|" * (1 + len(rules)))
    for model in models:
        rs = [r for r in studies if r["model"] == model]
        for i, steps in enumerate(b["steps"] for b in rs[0]["budgets"]):
            bs = [r["budgets"][i] for r in rs if len(r["budgets"]) > i]
            cells = []
            for name in ["paper"] + rules:
                got = [b if name == "paper" else b["rules"][name] for b in bs
                       if name == "paper" or name in b.get("rules", {})]
                regret_t = statistics.fmean(g["regret"]["trained"] for g in got)
                regret_h = statistics.fmean(g["regret"]["held_out"] for g in got)
                gain_h = statistics.fmean(g["gain"]["held_out"] for g in got)
                losses = sum(g["gain"]["held_out"] < 0 for g in got)
                cells.append(f"{regret_t:.2f} / {regret_h:.2f}; {gain_h:+.2f}; {losses}")
            print(f"| {model} | {steps} | " + " | ".join(cells) + " |")

    print("\n## Per signal\n")
    steps = [b["steps"] for b in studies[0]["budgets"]] if studies else []
    print("| model | signal | pick (default) | plausible | edge | within-1se, crop32 | best trained / held-out | "
          + " | ".join(f"{s} steps: regret; gain; speed-up" for s in steps) + " |")
    print("|---|---|---|---|---|---|---|" + "---|" * len(steps))
    for r in studies:
        name = short(r["signal"])
        c = confidence.get((r["model"], name))
        plausible = "-" if c is None else ", ".join(f"{v:g}" for v in c["plausible"])
        if c is not None and c["best"] != r["pick"]:
            plausible += f" (select picked {c['best']:g})"
        edge = "-" if c is None or not c.get("edge") else c["edge"]
        picks = ", ".join(f"{v:g}" for v in r.get("rules", {}).values()) or "-"
        best = ", ".join(f"{b['best']['trained']:g} / {b['best']['held_out']:g}" for b in r["budgets"])
        cells = [f"{b['regret']['trained']:.1f} / {b['regret']['held_out']:.1f}; "
                 f"{b['gain']['trained']:+.1f} / {b['gain']['held_out']:+.1f}; {speed(b)}" for b in r["budgets"]]
        print(f"| {r['model']} | {name} | {r['pick']:g} ({r['default']:g}) | {plausible} | {edge} | {picks} | {best} | "
              + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
