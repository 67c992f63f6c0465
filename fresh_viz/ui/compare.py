"""Which family fits this signal?  FreSh on every registered family side by side,
then every family trained at its chosen value for the same budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gradio as gr

from .. import plots
from ..fresh import Progress, Selection, Sweep, select_embedding
from ..models import FAMILIES, build, tuned_knob
from ..state import Controls, Session
from ..train import fit
from .explorer import UI_INTERVAL, Explorer


class FamilyComparison:
    """Handlers of the comparison panel; results go to the session under "comparison"."""

    def __init__(self, explorer: Explorer):
        self.explorer = explorer

    def compare(self, state: Session | None, full: bool, controls: Controls,
                progress: Progress | None = None) -> dict:
        """FreSh for every family at the page's settings: W, chosen value, untrained output and spectrum."""
        if state is None:
            raise gr.Error("load a signal first")
        signal, device = state.signal, self.explorer.device
        selections: dict[str, Selection] = {}
        rows, gallery, spectra, target = [], [], {}, None
        for i, (name, family) in enumerate(FAMILIES.items()):
            def report(fraction: float, message: str, i: int = i) -> None:
                if progress:
                    progress((i + fraction) / len(FAMILIES), message)

            # Every family at its defaults, its other knobs held where the reference holds them.
            selection = select_embedding(signal, name, seeds=10, bins=controls.bins, mode=controls.mode,
                                         width=controls.width, depth=controls.depth, device=device, fast=not full,
                                         progress=report, max_seconds=self.explorer.budget.max_seconds)
            selections[name] = selection
            knob = tuned_knob(family, signal.ndim)
            sweep = Sweep(signal, name, None, controls.bins, controls.mode, controls.width, controls.depth,
                          selection.fixed, device)
            preview = sweep.preview(selection.best, controls.seed)
            target = preview.target_spectrum
            caption = f"{family.title}: {knob.label} = {selection.best:g}, W = {preview.distance:.3f}"
            gallery.append((self.explorer.picture(preview.output, signal.kind), caption))
            spectra[f"{family.title} ({knob.label} = {selection.best:g})"] = preview.spectrum
            rows.append({"title": family.title, "label": knob.label, "best": selection.best,
                         "distance": selection.distance[selection.best_index],
                         "stderr": selection.stderr[selection.best_index]})
        state.extras["comparison"] = selections
        ranked = sorted(rows, key=lambda r: r["distance"])
        status = ("**Closest spectra:** " + ", ".join(f"{r['title']} ({r['label']} = {r['best']:g}, "
                                                      f"W = {r['distance']:.3f})" for r in ranked)
                  + ". A lower W means a better-matched start, not a better final fit: train them to see.")
        return {"compare_plot": plots.comparison_figure(rows),
                "compare_spectra": plots.comparison_spectra_figure(target, spectra, controls.mode),
                "compare_gallery": gallery, "compare_status": status}

    def train_all(self, state: Session | None, steps: float, controls: Controls) -> Iterator[dict]:
        """Every family at its FreSh value, same seed and step budget, each with its own learning rate."""
        if state is None or "comparison" not in state.extras:
            raise gr.Error("compare the families first")
        signal, device = state.signal, self.explorer.device
        total = max(1, min(int(steps), self.explorer.budget.max_steps))
        runs = {}
        for name, selection in state.extras["comparison"].items():
            family = FAMILIES[name]
            knob = tuned_knob(family, signal.ndim)
            values = {**selection.fixed, knob.name: selection.best}
            model = build(name, signal.ndim, signal.channels, [controls.seed], controls.width, controls.depth,
                          values, device, shape=signal.spatial_shape)
            label = f"{family.title} {knob.label}={selection.best:g}"
            runs[label] = fit(model, signal.values, total, None, max(1, total // 50), seed=controls.seed,
                              max_seconds=self.explorer.budget.max_seconds)
        curves: dict[str, list] = {label: [] for label in runs}
        live = dict(runs)
        last_shown = 0.0
        while live:
            for label, run in list(live.items()):  # one report from each family in turn
                report = next(run, None)
                if report is None:
                    del live[label]
                    continue
                curves[label].append((report.step, report.train_psnr[0], report.test_psnr[0]))
            if live and time.perf_counter() - last_shown < UI_INTERVAL:
                continue
            last_shown = time.perf_counter()
            done = {label: points for label, points in curves.items() if points}
            lines = [f"{label}: {points[-1][1]:.2f} dB trained, {points[-1][2]:.2f} dB held out "
                     f"(gap {plots.psnr_gap(points):+.2f} dB)" for label, points in done.items()]
            head = "**Finished.**" if not live else f"Training {len(live)} of {len(runs)} families..."
            yield {"compare_psnr": plots.psnr_figure(done, total),
                   "compare_train_status": head + "\n\n" + "\n".join(f"- {line}" for line in lines)}
