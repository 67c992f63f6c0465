"""The Compare tab: which family fits this signal?  FreSh on every registered family side by
side, then every family trained at its chosen value for the same budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gradio as gr

from .. import plots
from ..fresh import Progress, Selection, Sweep, select_embedding
from ..models import FAMILIES, build, tuned_knob
from ..state import Controls, Session
from ..train import fit
from .page import GPU_SECONDS, Context, Page, in_background, on_gpu
from .prose import COMPARE_INTRO
from .training import UI_INTERVAL

ENDPOINTS = {
    "compare": ("compare_plot", "compare_spectra", "compare_gallery", "compare_status", "compare_hint"),
    "compare_train": ("compare_psnr", "compare_train_status"),
}


class FamilyComparison:
    """The Compare tab's handlers; results go to the session under "comparison"."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def compare(self, state: Session | None, full: bool, controls: Controls,
                progress: Progress | None = None) -> dict:
        """FreSh for every family at the page's settings: W, chosen value, untrained output and spectrum."""
        if state is None:
            raise gr.Error("load a signal first")
        signal, device = state.signal, self.ctx.device
        selections: dict[str, Selection] = {}
        rows, gallery, spectra, target = [], [], {}, None
        for i, (name, family) in enumerate(FAMILIES.items()):
            def report(fraction: float, message: str, i: int = i) -> None:
                if progress:
                    progress((i + fraction) / len(FAMILIES), message)

            # Every family at its defaults, its other knobs held where the reference holds them.
            selection = select_embedding(signal, name, seeds=10, bins=controls.bins, mode=controls.mode,
                                         width=controls.width, depth=controls.depth, device=device, fast=not full,
                                         progress=report, max_seconds=self.ctx.budget.max_seconds)
            selections[name] = selection
            knob = tuned_knob(family, signal.ndim)
            sweep = Sweep(signal, name, None, controls.bins, controls.mode, controls.width, controls.depth,
                          selection.fixed, device)
            preview = sweep.preview(selection.best, controls.seed)
            target = preview.target_spectrum
            caption = f"{family.title}: {knob.label} = {selection.best:g}, W = {preview.distance:.3f}"
            gallery.append((self.ctx.picture(preview.output, signal.kind), caption))
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
                "compare_gallery": gallery, "compare_status": status, "compare_hint": gr.update(visible=False)}

    def train_all(self, state: Session | None, steps: float, controls: Controls) -> Iterator[dict]:
        """Every family at its FreSh value, same seed and step budget, each with its own learning rate."""
        if state is None or "comparison" not in state.extras:
            raise gr.Error("compare the families first")
        signal, device = state.signal, self.ctx.device
        total = max(1, min(int(steps), self.ctx.budget.max_steps))
        runs = {}
        for name, selection in state.extras["comparison"].items():
            family = FAMILIES[name]
            knob = tuned_knob(family, signal.ndim)
            values = {**selection.fixed, knob.name: selection.best}
            model = build(name, signal.ndim, signal.channels, [controls.seed], controls.width, controls.depth,
                          values, device, shape=signal.spatial_shape)
            label = f"{family.title} {knob.label}={selection.best:g}"
            runs[label] = in_background(fit(model, signal.values, total, None, max(1, total // 50),
                                            seed=controls.seed, max_seconds=self.ctx.budget.max_seconds))
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


def build_tab(page: Page) -> None:
    """The Compare tab's widgets (call inside `gr.Tab`)."""
    left, right = page.section(COMPARE_INTRO)
    with left:
        page.add("compare_button", gr.Button("Compare all families", variant="primary", elem_id="compare-button"))
        page.add("compare_status", gr.Markdown(elem_id="compare-status"))
        page.add("compare_train_button", gr.Button("Train every family", elem_id="compare-train-button"))
        page.add("compare_train_status", gr.Markdown(elem_id="compare-train-status"))
    with right:
        page.add("compare_hint", gr.Markdown("Press **Compare all families** to see each family's W, its untrained "
                                             "output and its spectrum side by side.", elem_id="compare-hint"))
        page.add("compare_plot", gr.Plot(label="W per family", elem_id="compare-plot", visible=False), reveal=True)
        page.add("compare_gallery", gr.Gallery(label="Untrained outputs at each family's choice", columns=3,
                                               height=300, allow_preview=True, elem_id="compare-gallery",
                                               visible=False), reveal=True)
        page.add("compare_spectra", gr.Plot(label="Spectra per family", elem_id="compare-spectra-plot",
                                            visible=False), reveal=True)
        page.add("compare_psnr", gr.Plot(label="PSNR per family", elem_id="compare-psnr-plot", visible=False),
                 reveal=True)


def wire(page: Page, comparison: FamilyComparison) -> list:
    """The Compare tab's events; returns the long-running one (for the Stop button)."""
    controls = page.controls()
    session = page["session"]

    def compare_pressed(state, full: bool, progress=gr.Progress(), **raw) -> dict:  # noqa: B008 (Gradio injects it)
        report = lambda fraction, message: progress(fraction, desc=message)  # noqa: E731
        return page.named(comparison.compare(state, full, Controls.from_page(**raw), report))

    def compare_train_pressed(state, steps: float, **raw):
        for view in comparison.train_all(state, steps, Controls.from_page(**raw)):
            yield page.named(view)

    page.on(page["compare_button"].click, on_gpu(compare_pressed, GPU_SECONDS["train"]), [session, page["full"]],
            ENDPOINTS["compare"], "compare", inputs_kwargs=controls, concurrency_limit=1, concurrency_id="fresh")
    return [page.on(page["compare_train_button"].click, on_gpu(compare_train_pressed, GPU_SECONDS["train"]),
                    [session, page["steps"]], ENDPOINTS["compare_train"], "compare_train", inputs_kwargs=controls,
                    concurrency_limit=1, concurrency_id="train")]
