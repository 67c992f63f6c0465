"""The command line's static figures (PNG files, matplotlib): `merge --plot` and `outputs --plots`.

Imported by the commands only when a figure is asked for, so the rest of the command line starts
without matplotlib.  The app's interactive figures are Plotly (`fresh_viz.plots`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from .outputs import Compared


def draw_choices(chosen: dict[tuple[str, str], dict[float, int]], path: Path) -> None:
    """One bar chart per (model, param): signals per chosen value (values are grid points, so bars, not bins)."""
    from matplotlib.figure import Figure

    panels = max(1, len(chosen))
    figure = Figure(figsize=(6.4, 2.8 * panels), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    for axes, ((model, param), counts) in zip(figure.subplots(panels, 1, squeeze=False)[:, 0], chosen.items()):
        labels = [f"{v:g}" for v in counts]
        axes.bar(labels, list(counts.values()), color="tab:blue")
        axes.set(title=f"{model}: FreSh's choice of {param} over {sum(counts.values())} signals",
                 xlabel=param, ylabel="signals")
        axes.tick_params(axis="x", labelrotation=45 if len(labels) > 12 else 0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def draw_study(table: list[dict], path: Path) -> None:
    """Per (model, param), one row of panels against the budget: regret, gain (mean and median, trained and
    held out), the speed-up factor and the rank correlation of W with PSNR."""
    from matplotlib.figure import Figure

    groups: dict[tuple[str, str], list[dict]] = {}
    for row in table:
        groups.setdefault((row["model"], row["param"]), []).append(row)
    panels = [("regret", "regret", "best minus pick (dB)", ("trained", "held_out")),
              ("gain", "gain", "pick minus default (dB)", ("trained", "held_out")),
              ("speedup", "speed-up", "factor (behind: 0)", ("",)),
              ("spearman", "rank correlation", "Spearman rho(W, PSNR)", ("trained", "held_out"))]
    figure = Figure(figsize=(14, 3.2 * len(groups)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    for axes_row, ((model, param), rows) in zip(figure.subplots(len(groups), 4, squeeze=False), groups.items()):
        steps = [r["steps"] for r in rows]
        for axes, (measure, title, label, sides) in zip(axes_row, panels):
            for side, colour in zip(sides, ("tab:blue", "tab:orange")):
                name = f"{measure}_{side}" if side else measure
                for stat, style in (("mean", "-o"), ("median", "--s")):
                    axes.plot(steps, [r[f"{name}_{stat}"] for r in rows], style, color=colour,
                              label=f"{side.replace('_', '-') + ' ' if side else ''}{stat}")
            axes.axhline(1.0 if measure == "speedup" else 0.0, color="grey", linewidth=0.8)
            axes.set(xscale="log", xlabel="training steps", ylabel=label, title=f"{model} {param}: {title}")
            axes.set_xticks(steps, [str(s) for s in steps], minor=False)
            axes.xaxis.set_minor_locator(NullLocator())
            axes.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def draw_outputs(results: list[Compared], folder: Path) -> list[Path]:
    """`outputs --plots`: one figure per configuration, a panel per spectrum size: the compared target spectrum
    (black) and each output's (red), normalised.  One figure is drawn into again for every configuration (its
    artists updated, not rebuilt), small and with fast PNG compression, so the plots cost about what the
    comparison costs."""
    figure = Figure(figsize=(3.2 * len(results), 2.6), dpi=72)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.8, wspace=0.25)
    panels = []
    for axes, result in zip(figure.subplots(1, len(results), squeeze=False)[0], results):
        n, target = result.size, result.selection.target_spectrum
        outputs = axes.add_collection(LineCollection([], colors="tab:red", alpha=0.35, linewidths=0.8))
        axes.plot(target, color="black", linewidth=1.5)
        axes.set(xlim=(0, n - 1), xlabel="frequency bin")
        panels.append((result, axes, outputs, max(target)))
    panels[0][1].set_ylabel("share of |DFT|")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for c, config in enumerate(results[0].selection.labels):
        for result, axes, outputs, target_top in panels:
            n, selection = result.size, result.selection
            spectra = result.spectra[c].numpy()  # (outputs, n)
            outputs.set_segments([np.column_stack([np.arange(n), s]) for s in spectra])
            axes.set_ylim(0, 1.05 * max(spectra.max(), target_top))
            axes.set_title(f"size {n}: W = {selection.distance[c]:.3f} ± {selection.stderr[c]:.3f}", fontsize=9)
        figure.suptitle(f"{config}: target and {len(spectra)} outputs", fontsize=10)
        path = folder / f"{config}.png"
        figure.savefig(path, pil_kwargs={"compress_level": 1})
        written.append(path)
    return written
