"""`outputs`: a drop-in for the FreSh reference's `scripts/find_optimal_config.py`.

Reads DIR/<configuration>/<i>.npy and the target, and writes what the reference
writes into RESULTS_ROOT: wasserstein_best.csv and wasserstein_all.csv (rows added
to existing files, as the reference does) and <dataset>/log.txt; with --plots also
<dataset>/plots/<configuration>.png (the reference draws one figure per configuration
and spectrum size; here one figure has a panel per size).  Differences from the reference: the
standard error in wasserstein_all.csv is each configuration's own (the reference
repeats the running best's), W in wasserstein_best.csv is not rounded to 2 decimals,
a new wasserstein_all.csv has only the five columns the reference fills (see
ALL_COLUMNS), and the fixes listed in `fresh_viz.outputs`.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import torch

from ..outputs import (
    REFERENCE_SIZES,
    Compared,
    OutputsError,
    compare_outputs,
    crops_to_box,
    load_npy_file,
    read_outputs_folder,
    target_frames,
)
from ..spectrum import MODE_TITLES, MODES
from .common import parse_values, stderr_progress

HELP = "FreSh on untrained outputs saved elsewhere (a drop-in for the reference's find_optimal_config.py)"
# wasserstein_best.csv in the reference's order: its empty table has the first four columns and pandas.concat
# puts the row's best_configuration after them.
BEST_COLUMNS = ["dataset", "spectrum_size", "wasserstein", "wasserstein_standard_error", "best_configuration"]
# wasserstein_all.csv: the columns the reference fills, by the names it gives them.  Its empty table also has
# spectrum_size and wasserstein_standard_error, which its rows never fill (the size goes into method, the
# error into standard_error), so a fresh file of the reference's has them empty in 2nd and 5th place; a
# reader by name finds the same columns in both, and rows added to a file the reference made keep its layout.
ALL_COLUMNS = ["dataset", "method", "config", "wasserstein", "standard_error"]


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--dataset", "--target", required=True, help="the target .npy: (H, W, C), (C, H, W) or "
                     "(N, H, W, C) for video and NeRF views")
    sub.add_argument("--model_output", "--model-output", dest="model_output", required=True,
                     help="folder of untrained outputs: DIR/<configuration>/<i>.npy")
    sub.add_argument("--results_root", "--results-root", dest="results_root", default="./wasserstein_distances",
                     help="where the CSV files and <dataset>/log.txt go (default ./wasserstein_distances)")
    sub.add_argument("--bbox", action="store_true", help="crop both to the box around the target's non-zero pixels "
                     "(3-channel targets only, as the reference)")
    sub.add_argument("--downscale", action="store_true", help="resize both to a (2n+1)-pixel square for size n")
    sub.add_argument("--mode", default="paper", choices=MODES, help="spectrum reduction (paper: the reference's)")
    sub.add_argument("--sizes", type=parse_values, default=list(REFERENCE_SIZES),
                     help="spectrum sizes, comma-separated (default 32,64,128)")
    sub.add_argument("--plots", action="store_true", help="draw each configuration's spectra, as the reference does")
    sub.add_argument("--verbose", action="store_true", help="per-output distances in log.txt, progress on stderr")
    sub.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best present)")
    sub.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, device: torch.device) -> tuple[dict, str]:
    dataset = Path(args.dataset)
    if not dataset.is_file():
        raise OutputsError(f"no such file: {dataset}")
    sizes = [int(n) for n in args.sizes]
    if any(n != s or n < 2 for n, s in zip(sizes, args.sizes)):
        raise OutputsError("--sizes takes whole numbers of at least 2")
    frames = target_frames(load_npy_file(dataset))
    outputs = read_outputs_folder(args.model_output)
    progress = verbose_progress if args.verbose else stderr_progress
    results = compare_outputs(frames, outputs, sizes, args.mode, args.bbox, args.downscale, device, progress)
    root, name = Path(args.results_root), dataset.stem
    files = write_results(results, root, name, tuple(frames.shape), args.verbose)
    plot_seconds = 0.0
    if args.plots:
        from ..figures import draw_outputs  # matplotlib only when a figure is asked for

        start = time.perf_counter()
        files += draw_outputs(results, root / name / "plots")
        plot_seconds = time.perf_counter() - start
    counts = [len(files_of) for files_of in outputs.values()]
    best = {str(r.size): best_of(r) for r in results}
    seconds = sum(r.selection.seconds for r in results)
    out = {"dataset": name, "results_root": str(root), "mode": args.mode, "sizes": sizes, "configs": list(outputs),
           "outputs": counts, "best": best,
           "wasserstein": {str(r.size): r.selection.distance for r in results},
           "standard_error": {str(r.size): r.selection.stderr for r in results},
           "files": [str(f) for f in files], "seconds": seconds, "plot_seconds": plot_seconds,
           "device": results[0].selection.device}
    lines = [f"{name}: {frames.shape[0]} target frame(s) of {frames.shape[1]} x {frames.shape[2]} x "
             f"{frames.shape[3]}; {len(counts)} configurations, {sum(counts)} outputs; "
             f"spectrum mode {MODE_TITLES[args.mode]}"]
    if args.bbox and not crops_to_box(frames.shape[1]):
        lines.append(f"--bbox: the target has {frames.shape[1]} channel(s) and, as in the reference, only a 3-channel "
                     "target is cropped (its background is where all 3 channels are zero)")
    lines += [f"spectrum size {n}: best {b['configuration']}  W = {b['wasserstein']:.4f} ± {b['standard_error']:.4f}"
              for n, b in best.items()]
    lines.append(f"wrote {', '.join(str(f) for f in files[:3])}{' and plots' if args.plots else ''} "
                 f"in {seconds + plot_seconds:.1f} s on {out['device']}")
    return out, "\n".join(lines)


def verbose_progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def best_of(result: Compared) -> dict:
    """The lowest mean W (the first configuration on ties, as the reference), with its standard error."""
    selection = result.selection
    i = selection.best_index
    return {"configuration": selection.labels[i], "wasserstein": selection.distance[i],
            "standard_error": selection.stderr[i]}


def write_results(results: list[Compared], root: Path, name: str, shape: tuple[int, ...],
                  verbose: bool) -> list[Path]:
    """wasserstein_best.csv, wasserstein_all.csv (rows added) and <name>/log.txt (replaced), as the reference."""
    log = root / name / "log.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    lines, best_rows, all_rows = [], [], []
    for result in results:
        n, selection, best = result.size, result.selection, best_of(result)
        rows = zip(selection.labels, result.distances(), selection.distance, selection.stderr)
        for config, distances, mean, error in rows:
            if verbose:
                lines += [f"Dataset shape {shape}", "Computing distances..."]
            lines.append(f"*** {config} ***")
            if verbose:
                lines.append(f"[{n}] distances are {[round(d, 2) for d in distances]}")
            lines.append(f"[{n}] mean Wasserstein is {mean:.4f} (SE={error:.4f})\n\n")
            all_rows.append({"dataset": name, "method": str(n), "config": config, "wasserstein": mean,
                             "standard_error": error})
        lines.append(f"Best config is '{best['configuration']}' (W={best['wasserstein']:.4f})\n\n")
        best_rows.append({"dataset": name, "spectrum_size": str(n), "best_configuration": best["configuration"],
                          "wasserstein": best["wasserstein"], "wasserstein_standard_error": best["standard_error"]})
    for row in best_rows:  # the reference ends its log with (configuration, W to 2 decimals, standard error)
        summary = (row["best_configuration"], round(row["wasserstein"], 2), row["wasserstein_standard_error"])
        lines.append(f"{row['spectrum_size']} {summary}")
    log.write_text("\n".join(lines) + "\n")
    best_csv, all_csv = root / "wasserstein_best.csv", root / "wasserstein_all.csv"
    append_rows(best_csv, BEST_COLUMNS, best_rows)
    append_rows(all_csv, ALL_COLUMNS, all_rows)
    return [best_csv, all_csv, log]


def append_rows(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Add rows to a CSV file as the reference's pandas concat + to_csv does: the rows already there are kept
    and the columns are the union (theirs first).  Written to a temporary file, then moved into place."""
    header, existing = [], []
    if path.exists():
        try:
            with path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                header, existing = list(reader.fieldnames or []), list(reader)
        except (csv.Error, UnicodeDecodeError) as err:
            raise OutputsError(f"{path} is not a CSV file rows can be added to ({err})") from None
        if any(None in row for row in existing):
            raise OutputsError(f"{path} has rows longer than its header; move it away or fix it")
    header += [c for c in columns if c not in header]
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, header, restval="")
        writer.writeheader()
        writer.writerows(existing + rows)
    os.replace(partial, path)
