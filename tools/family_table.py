"""Each family's FreSh pick against its default on the bundled photos, after training.

    python tools/family_table.py [--size 128] [--steps 300] [--out results.jsonl]

For every family and photo: the FreSh selection in the paper setting (the family's
grid, 10 seeds, 64 bins, paper mode, the family's width and depth), then the
family's default configuration and FreSh's pick (with the other knobs where the
selection held them) trained together from seed 0; PSNR on the trained and on
the held-out samples.  Rows are appended to --out as they finish and rows already
there are skipped, so an interrupted run resumes.  At the end a Markdown table is
printed.

    python tools/family_table.py --picks-only [--out picks.jsonl]

runs the selections alone (a later run given `--picks picks.jsonl` trains them without
selecting again), with nothing but `select_embedding(signal, family)`:
run it with PYTHONPATH set to a checkout of an older commit to see the picks
that code made.

    python tools/family_table.py --report --out results.jsonl [--picks picks.jsonl] [--before old.jsonl]

prints the Markdown table of the rows in --out without running anything; --picks adds
picks-only rows (no training) and --before a column with an older commit's picks.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from fresh_viz.fresh import select_embedding
from fresh_viz.models import FAMILIES
from fresh_viz.signals import make_preset

PHOTOS = ("astronaut", "coffee", "grass")


def done_rows(path: Path) -> dict[tuple[str, str], dict]:
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(row["family"], row["photo"]): row for row in rows}


def pick(signal, family: str) -> dict:
    start = time.perf_counter()
    selection = select_embedding(signal, family)
    return {"param": selection.param, "pick": selection.best, "fixed": getattr(selection, "fixed", {}),
            "select_seconds": round(time.perf_counter() - start, 1)}


def race(signal, family: str, chosen: dict, steps: int) -> dict:
    """Train the default configuration and FreSh's pick together (members 0 and 1, seed 0)."""
    from fresh_viz.models import build
    from fresh_viz.train import fit

    cls = FAMILIES[family]
    default = {k.name: k.for_ndim(signal.ndim).default for k in cls.knobs}
    tuned = {**default, **chosen["fixed"], chosen["param"]: chosen["pick"]}
    model = build(cls, signal.ndim, signal.channels, [0, 0], values={k: [default[k], tuned[k]] for k in default},
                  shape=signal.spatial_shape)
    start = time.perf_counter()
    last = list(fit(model, signal.values, steps, every=steps))[-1]
    return {"default": default[chosen["param"]], "default_values": default, "tuned_values": tuned,
            "width": model.width, "depth": model.depth,
            "default_train_psnr": round(last.train_psnr[0], 2), "default_test_psnr": round(last.test_psnr[0], 2),
            "fresh_train_psnr": round(last.train_psnr[1], 2), "fresh_test_psnr": round(last.test_psnr[1], 2),
            "train_seconds": round(time.perf_counter() - start, 1)}


def table(rows: list[dict], before: dict[tuple[str, str], dict]) -> str:
    lines = ["| family | photo | knob | default | FreSh pick | pick before the fixes | default PSNR trained / "
             "held out | FreSh PSNR trained / held out |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        held = "".join(f", {k} {v:g}" for k, v in r["fixed"].items())
        old = before.get((r["family"], r["photo"]))
        earlier = f"{old['pick']:g}" if old else "—"  # a family the older code lacks, or a row not run
        default = FAMILIES[r["family"]].knobs[0].for_ndim(2).default
        scores = [f"{r[who + '_train_psnr']:.2f} / {r[who + '_test_psnr']:.2f}" if who + "_train_psnr" in r
                  else "not run" for who in ("default", "fresh")]
        lines.append(f"| {r['family']} | {r['photo']} | {r['param']} | {default:g} | {r['pick']:g}{held} | "
                     f"{earlier} | {scores[0]} | {scores[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--photos", default=",".join(PHOTOS))
    parser.add_argument("--out", default="family_table.jsonl")
    parser.add_argument("--picks-only", action="store_true")
    parser.add_argument("--report", action="store_true", help="print the table of --out and stop")
    parser.add_argument("--picks", default=None, help="picks-only rows: reused instead of selecting again; with "
                        "--report, shown for rows not in --out")
    parser.add_argument("--before", default=None, help="with --report: an older commit's picks")
    args = parser.parse_args()
    torch.manual_seed(0)
    out = Path(args.out)
    rows = done_rows(out)
    picks = done_rows(Path(args.picks)) if args.picks else {}
    if args.report:
        merged = {**picks, **rows}
        order = [(f, p) for f in args.families.split(",") for p in args.photos.split(",") if (f, p) in merged]
        print(table([merged[key] for key in order], done_rows(Path(args.before)) if args.before else {}))
        return
    for family in args.families.split(","):
        for photo in args.photos.split(","):
            if (family, photo) in rows:
                continue
            signal = make_preset(photo, args.size)
            known = picks.get((family, photo))
            row = dict(known) if known and known["size"] == args.size else \
                {"family": family, "photo": photo, "size": args.size, **pick(signal, family)}
            if not args.picks_only:
                row.update(steps=args.steps, **race(signal, family, row, args.steps))
            rows[(family, photo)] = row
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    if not args.picks_only:
        print(table(list(rows.values()), {}))


if __name__ == "__main__":
    main()
