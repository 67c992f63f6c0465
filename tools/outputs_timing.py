"""Time `python -m fresh_viz outputs` against the reference script's logic on the same folder.

    python tools/outputs_timing.py [--configs 20] [--outputs 10] [--side 512] [--folder DIR]

Writes a folder in the reference's layout (configurations named like "(30.0, 1.0, 6.0)", outputs
(H, W, 3) float32, the target (H, W, 3)), then times, each in a fresh process so that none warms
the page cache or the allocator for the next one more than the first run did:
  - the transcription of the reference's scripts/find_optimal_config.py (tests/reference_outputs.py),
    run as the reference runs it: one file and one spectrum at a time, a figure per configuration
    and spectrum size (and without the figures, to show what the arithmetic alone costs);
  - the outputs command, without and with --plots.
It checks that the mean W per configuration agrees and prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

REFERENCE = """
import json, sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from reference_outputs import reference_run
start = time.perf_counter()
result = reference_run(Path({target!r}), Path({out!r}), plots={plots})
print(json.dumps({{"seconds": time.perf_counter() - start,
                   "mean": {{n: {{c: sum(d) / len(d) for c, d in v.items()}} for n, v in result.items()}}}}))
"""


def make_folder(root: Path, configs: int, outputs: int, side: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    fy, fx = np.fft.fftfreq(side)[:, None], np.fft.fftfreq(side)[None, :]

    def image(cutoff: float) -> np.ndarray:  # (H, W, 3) filtered noise
        gain = np.exp(-(fx**2 + fy**2) * side * side / (2 * cutoff**2))
        noise = rng.standard_normal((3, side, side))
        return np.moveaxis(np.fft.ifft2(np.fft.fft2(noise) * gain).real, 0, -1).astype(np.float32)

    np.save(root / "target.npy", image(side / 16))
    for k in range(configs):
        omega = 10.0 * (k + 1)
        folder = root / "out" / f"({omega}, 1.0, 6.0)"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(outputs):
            np.save(folder / f"{i}.npy", image(side * omega / 1000))
    return root / "target.npy", root / "out"


def timed(argv: list[str], threads: int | None) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)} | ({"OMP_NUM_THREADS": str(threads)} if threads else {})
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=20)
    parser.add_argument("--outputs", type=int, default=10)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--folder", type=Path, default=None, help="where to write the folder (default: a temp dir)")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for both (default: torch's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = args.folder or Path(temp)
        target, out = make_folder(root, args.configs, args.outputs, args.side)
        ours = [sys.executable, "-m", "fresh_viz", "outputs", "--dataset", str(target), "--model_output", str(out),
                "--json", "--device", "cpu"]
        report = {"configs": args.configs, "outputs": args.outputs, "side": args.side, "threads": args.threads}
        for label, flags in (("ours", []), ("ours_plots", ["--plots"])):
            seconds, printed = timed(ours + ["--results_root", str(root / label)] + flags, args.threads)
            result = json.loads(printed)
            report[label] = {"wall_seconds": round(seconds, 2), "compute_seconds": round(result["seconds"], 2),
                             "plot_seconds": round(result["plot_seconds"], 2)}
        for label, plots in (("reference", f"Path({str(root / 'ref_plots')!r})"), ("reference_no_plots", "None")):
            code = REFERENCE.format(tests=str(REPO / "tests"), target=str(target), out=str(out), plots=plots)
            seconds, printed = timed([sys.executable, "-c", code], args.threads)
            reference = json.loads(printed)
            report[label] = {"wall_seconds": round(seconds, 2), "compute_seconds": round(reference["seconds"], 2)}
        with (root / "ours" / "wasserstein_all.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        worst = max(abs(float(r["wasserstein"]) / reference["mean"][r["method"]][r["config"]] - 1) for r in rows)
        report["largest_relative_difference_in_mean_w"] = worst
        report["speedup_wall"] = round(report["reference"]["wall_seconds"] / report["ours_plots"]["wall_seconds"], 1)
        report["speedup_wall_without_plots"] = round(report["reference_no_plots"]["wall_seconds"]
                                                     / report["ours"]["wall_seconds"], 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
