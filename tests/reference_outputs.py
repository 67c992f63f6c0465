"""A transcription of the arithmetic of the FreSh reference's scripts/find_optimal_config.py,
run the way the reference runs it: one global np.random.seed(0), one file and one spectrum at
a time, the triangular mask and a Python loop of diagonal sums, SciPy's Wasserstein distance,
and (optionally) a matplotlib figure per configuration and spectrum size.

It is written independently of fresh_viz (no import from it) and differs from the reference
only where fresh_viz documents a fix, each marked "fix:": files in numeric-aware order, more
than 10 outputs per configuration (more target frames drawn), and --bbox taking the box of the
frame actually compared, before --downscale.  `reference_tables` transcribes the rows and
column order of the CSV files it writes.  Used by tests/test_outputs.py and by
tools/outputs_timing.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import scipy.stats
import torch
import torch.nn.functional as F

SIZES = (32, 64, 128)


def numeric_order(name: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def square(image: torch.Tensor, side: int | None = None) -> torch.Tensor:
    """The reference's resize_to_square: torchvision's antialiased bilinear resize of (C, H, W)."""
    h, w = image.shape[1:]
    if side is None and h == w and h <= 1024:
        return image
    side = min(side if side is not None else min(h, w), 1024)
    return F.interpolate(image[None], size=(side, side), mode="bilinear", align_corners=False, antialias=True)[0]


def triangle_mask(n: int) -> torch.Tensor:
    """The reference's 2-D mask of the DFT entries it keeps (one of each conjugate pair)."""
    half = n // 2
    mask = torch.triu(torch.ones(n, n))
    mask += torch.diag(torch.cat([torch.ones(half), torch.zeros(n - 1 - half)]), diagonal=-1)
    mask = mask.flip(1)
    mask[half + 1 :, 0] = 0
    mask[0, half + 1 :] = 0
    return mask


def diagonal_spectrum(image: torch.Tensor) -> torch.Tensor:
    """|DFT| summed over channels, masked, flipped, one sum per diagonal; DC dropped: (C, n, n) -> (2n - 2,)."""
    magnitude = torch.fft.fftn(image, dim=(1, 2)).abs().sum(0)
    n = magnitude.shape[0]
    flipped = torch.flip(magnitude * triangle_mask(n), dims=[0])
    return torch.tensor([torch.diagonal(flipped, k).sum() for k in range(-n + 1, n)])[1:]


def wasserstein(u: np.ndarray, v: np.ndarray) -> float:
    support = np.arange(len(u))
    return scipy.stats.wasserstein_distance(support, support, u_weights=u, v_weights=v)


def reference_run(dataset: Path, model_output: Path, bbox: bool = False, downscale: bool = False,
                  plots: Path | None = None) -> dict[int, dict[str, list[float]]]:
    """{spectrum size: {configuration: per-output W}} as the reference computes them."""
    target = np.load(dataset)
    if target.ndim == 3:
        target = target[None]
    if target.shape[-1] <= 3:
        target = np.moveaxis(target, -1, 1)
    folders = [f for f in sorted(Path(model_output).iterdir()) if f.is_dir()]
    files = {f: sorted((x for x in f.iterdir() if x.suffix == ".npy"), key=lambda x: numeric_order(x.name))  # fix
             for f in folders}
    files = {f: v for f, v in files.items() if v}
    count = max(10, max(len(v) for v in files.values()))  # fix: the reference draws 10
    saved = np.random.get_state()
    np.random.seed(0)
    results: dict[int, dict[str, list[float]]] = {}
    try:
        for size in SIZES:
            results[size] = {}
            frames = np.random.choice(target.shape[0], size=count, replace=target.shape[0] < count)
            for folder, outputs in files.items():
                distances, drawn = [], []
                for i, file in enumerate(outputs):
                    out = np.load(file)
                    frame = frames[i]
                    if out.ndim > 3:
                        frame = np.random.choice(out.shape[0])
                        out = out[frame].copy()
                    if out.shape[-1] <= 3:
                        out = np.moveaxis(out, -1, 0)
                    gt = target[frame].copy()
                    if bbox:  # fix: the box of this frame, before downscaling
                        rows, cols = np.where(~((gt == 0).sum(axis=0) == 3))
                        box = np.s_[:, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
                        gt, out = gt[box], out[box]
                    if downscale:
                        out = square(torch.tensor(out), 2 * size + 1).numpy()
                        gt = square(torch.tensor(gt), 2 * size + 1).numpy()
                    gt_spectrum = diagonal_spectrum(square(torch.Tensor(gt)))[:size]
                    out_spectrum = diagonal_spectrum(square(torch.Tensor(out)))[:size]
                    distances.append(wasserstein(gt_spectrum.numpy(), out_spectrum.numpy()))
                    drawn.append((gt_spectrum, out_spectrum))
                if plots is not None:
                    draw(drawn, plots / str(size) / f"{folder.name}.png")
                results[size][folder.name] = distances
    finally:
        np.random.set_state(saved)
    return results


def reference_tables(results: dict[int, dict[str, list[float]]], dataset_name: str) -> tuple[list[dict], list[dict]]:
    """The rows the reference writes into a fresh wasserstein_best.csv and wasserstein_all.csv, from
    `reference_run`'s distances; each row a dict in the file's column order, empty cells as "".

    It starts from empty tables with four (best) and five (all) columns and adds rows with pandas.concat,
    which puts a row's keys that the table lacks after the table's columns.  Its defects are kept: W in
    the best file is rounded to 2 decimals, and every row of the all file carries the standard error of
    the best configuration so far, not its own."""
    best_table = ["dataset", "spectrum_size", "wasserstein", "wasserstein_standard_error"]
    all_table = ["dataset", "spectrum_size", "config", "wasserstein", "wasserstein_standard_error"]
    best_rows, all_rows = [], []
    for size, configs in results.items():
        best_distance, best_se, best_config = np.inf, None, None
        for config, distances in configs.items():
            mean, se = np.mean(distances), np.std(distances) / np.sqrt(len(distances))
            if mean < best_distance:
                best_distance, best_config, best_se = mean, config, se
            all_rows.append({"dataset": dataset_name, "method": str(size), "config": config, "wasserstein": mean,
                             "standard_error": best_se})
        best_rows.append({"dataset": dataset_name, "spectrum_size": str(size), "best_configuration": best_config,
                          "wasserstein": round(best_distance, 2), "wasserstein_standard_error": best_se})
    return [concat_row(best_table, r) for r in best_rows], [concat_row(all_table, r) for r in all_rows]


def concat_row(table: list[str], row: dict) -> dict:
    """A row as pandas.concat lays it out after an empty table's columns: the table's first, then the
    row's own, cells the row lacks empty."""
    return {c: row.get(c, "") for c in table + [k for k in row if k not in table]}


def draw(spectra: list[tuple[torch.Tensor, torch.Tensor]], path: Path) -> None:
    """The reference's figure: up to 2 x 10 panels, target and output spectrum in each."""
    from matplotlib import pyplot as plt

    panels = min(10, (len(spectra) + 1) // 2)
    figure, axes = plt.subplots(2, panels, figsize=(15, 5))
    axes = axes.flatten()
    for ax, (gt, out) in zip(axes, spectra):
        ax.plot(gt / gt.sum(), label="gt")
        ax.plot(out / out.sum(), label="out")
    axes[0].legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
