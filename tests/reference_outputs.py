"""A transcription of the arithmetic of the FreSh reference's scripts/find_optimal_config.py,
run the way the reference runs it: one global np.random.seed(0), one file and one spectrum at
a time, the triangular mask and a Python loop of diagonal sums, SciPy's Wasserstein distance,
and (optionally) a matplotlib figure per configuration and spectrum size.

It is written independently of fresh_viz (no import from it) and differs from the reference
only where fresh_viz documents a fix, each marked "fix:": files in numeric-aware order, more
than 10 outputs per configuration (more target frames drawn), and --bbox taking the box of the
frame actually compared, before --downscale.  Used by tests/test_outputs.py and by
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
