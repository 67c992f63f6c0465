"""The Explore tab: a signal, the knob with its number, the untrained output, its spectrum
against the target's, W, the FreSh button with its curve, and the sweep movie.

Handlers take the session (a `Session` in a gr.State) and the page's `Controls` and return
a dict of results by widget name; `build` places the widgets and `wire` connects them.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from .. import animation, plots
from ..confidence import edge_words, extend_grid, in_words
from ..fresh import Progress, Selection, Sweep, select_embedding
from ..models import FAMILIES, build, render
from ..signals import (
    AUDIO_SUFFIXES,
    IMAGE_SUFFIXES,
    KIND_NDIM,
    PRESETS,
    SUFFIXES,
    VIDEO_SUFFIXES,
    Signal,
    SignalError,
    grid_coords,
    load_signal,
    make_preset,
    resize_signal,
)
from ..spectrum import MODE_TITLES, MODES, Reduction
from ..state import BINS, Budget, Controls, Session, controls_from_query, query_for
from .knobs import LOG_STEP, from_slider, knob_updates, number_update, to_slider
from .page import GPU_SECONDS, Context, Page, on_gpu
from .prose import PRESET_GUIDES

DEFAULT_PRESET = "astronaut"
PREVIEW = ("output_image", "spectra", "distance", "cdf", "share_query")
RELEASED = ("dft", "output_audio", "output_video")  # refreshed once a slider is let go, not on every step
PLAYERS = tuple(f"{name}_{kind}" for name in ("target", "output", "default", "fresh") for kind in ("audio", "video"))
SIGNAL = ("session", "target_image", "signal_info", "preset", "param_position", "param_value", "audio_start",
          *PREVIEW, "dft", *PLAYERS)
FRESH = ("session", "fresh_plot", "fresh_hint", "param_position", "param_value", "fresh_status", "extend_button",
         "export", *PREVIEW, *RELEASED)
ENDPOINTS = {  # what each API endpoint returns, in order
    "choose_preset": SIGNAL,
    "upload": SIGNAL,
    "preview": ("param_value", *PREVIEW),
    "fresh": FRESH,
    "extend_grid": FRESH,  # FreSh again over a grid extended beyond its pick's edge
    "sweep_movie": ("sweep_animation", "sweep_gif", "sweep_status"),
}
UPLOAD_TYPES = list(SUFFIXES)


def load_preset(name: str, budget: Budget) -> Session:
    if name not in PRESETS:
        raise gr.Error(f"unknown preset '{name}'; choose from {', '.join(PRESETS)}")
    size = budget.size if PRESETS[name].kind != "video" else min(budget.size, 64)
    return Session(make_preset(name, size), name, preset=name)


def load_upload(path: str, budget: Budget, start: float = 0.0) -> Session:
    """An uploaded file at the budget's analysis size: images and video frames shrunk while
    decoding, video frames spread across the clip, audio a window of `budget.audio_samples`
    samples from `start` seconds."""
    suffix = Path(path).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        signal = load_signal(path, start=start, max_samples=budget.audio_samples)
    elif suffix in VIDEO_SUFFIXES:
        signal = load_signal(path, budget.video_side, frames=budget.video_frames)
    elif suffix in IMAGE_SUFFIXES:
        signal = load_signal(path, budget.size)
    else:
        signal = fit_to_budget(load_signal(path), budget)
    return Session(signal, Path(path).name, path=path)


def fit_to_budget(signal: Signal, budget: Budget) -> Signal:
    """An array's signal cut to what the budget previews live: frames, sides, samples."""
    values = signal.values
    if signal.kind == "audio":
        return Signal(values[:, : budget.audio_samples], signal.kind, signal.name, signal.sample_rate)
    if signal.kind == "video" and values.shape[1] > budget.video_frames:
        keep = np.linspace(0, values.shape[1] - 1, budget.video_frames).round().astype(int)
        signal = Signal(values[:, keep], signal.kind, signal.name, signal.sample_rate)
    return resize_signal(signal, budget.size if signal.kind == "image" else budget.video_side)


def thumbnails() -> list[tuple[np.ndarray, str]]:
    return [(plots.picture(make_preset(name, 96).values, p.kind), p.title) for name, p in PRESETS.items()]


def second_knob_update(family: str, ndim: int, value: float | None = None) -> dict:
    """The second knob's slider (FINER's bias scale), hidden for families with one knob."""
    knobs = FAMILIES[family].knobs
    if len(knobs) < 2:
        return gr.update(visible=False)
    extra = knobs[1].for_ndim(ndim)
    return gr.update(visible=True, minimum=extra.low, maximum=extra.high, step=extra.step,
                     value=extra.default if value is None else value,
                     label=f"{extra.label} (default {extra.default:g})")


class Explore:
    """The Explore tab's handlers."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def sweep(self, state: Session, controls: Controls) -> Sweep:
        """The target spectra and grids for these settings, shared by every session with this signal."""
        device = self.ctx.device
        key = (state.key, controls.family, controls.bins, controls.mode, controls.width, controls.depth, str(device))
        return self.ctx.sweeps.get(key, lambda: Sweep(state.signal, controls.family, None, controls.bins,
                                                      controls.mode, controls.width, controls.depth, None, device))

    def untrained_output(self, signal: Signal, controls: Controls) -> torch.Tensor:
        """The untrained model over the signal's whole grid (every frame, every sample): (C, *spatial)."""
        model = build(controls.family, signal.ndim, signal.channels, [controls.seed], controls.width, controls.depth,
                      controls.knob_values(signal.ndim), self.ctx.device, shape=signal.spatial_shape)
        with torch.inference_mode():
            output = render(model, grid_coords(signal.spatial_shape, self.ctx.device))
        return output[0].reshape(signal.channels, *signal.spatial_shape).cpu()

    # -- the live preview

    def preview(self, state: Session | None, controls: Controls) -> dict:
        """The untrained model's picture, spectra, distance, CDF and share link; shared between sessions
        that ask for the same one."""
        if state is None:
            return {}
        ndim = state.signal.ndim
        values = controls.knob_values(ndim)
        key = ("preview", state.key, controls.family, tuple(values.items()), controls.seed, controls.bins,
               controls.mode, controls.width, controls.depth, controls.log_y)
        view = self.ctx.previews.get(key, lambda: self.compute_preview(state, controls))
        return {**view, "share_query": query_for(state.preset, controls, ndim)}

    def compute_preview(self, state: Session, controls: Controls) -> dict:
        signal = state.signal
        sweep = self.sweep(state, controls)
        values = controls.knob_values(signal.ndim)
        knob = controls.knob(signal.ndim)
        result = sweep.preview(values[knob.name], controls.seed, controls.other_values(signal.ndim))
        labels = [k.label for k in controls.model.knobs]
        shown = ", ".join(f"{label} = {v:g}" for label, v in zip(labels, values.values()))
        grid = " x ".join(str(s) for s in sweep.grid)
        html = (f"<div class='w-number'>W = {result.distance:.3f}</div>"
                f"<div class='w-caption'>{shown}, seed {controls.seed}; {controls.mode} mode, {controls.bins} "
                f"bins, {grid} grid; computed in {result.seconds * 1000:.0f} ms</div>")
        return {"output_image": self.ctx.picture(result.output, signal.kind),
                "spectra": plots.spectra_figure(result.target_spectrum, result.spectrum, controls.mode,
                                                controls.log_y, result.distance),
                "distance": html,
                "cdf": plots.cdf_figure(result.target_spectrum, result.spectrum, result.distance)}

    def dft(self, state: Session, controls: Controls) -> str | None:
        """The target's and the model's log |DFT| with the bins drawn over them (images only); shared
        between sessions like the preview."""
        if state.signal.ndim != 2:
            return None
        values = controls.knob_values(state.signal.ndim)
        key = ("dft", state.key, controls.family, tuple(values.items()), controls.seed, controls.bins,
               controls.mode, controls.width, controls.depth)
        return self.ctx.previews.get(key, lambda: self.compute_dft(state, controls))

    def compute_dft(self, state: Session, controls: Controls) -> str:
        sweep = self.sweep(state, controls)

        def target_view() -> tuple[np.ndarray, torch.Tensor]:  # fixed while the signal and bins are
            bin_map = Reduction(sweep.grid, controls.mode).index  # over the full DFT, as the picture shows it
            return plots.dft_picture(sweep.target, bin_map, controls.bins), bin_map

        target, bin_map = self.ctx.previews.get(("dft target", state.key, controls.bins, controls.mode), target_view)
        values = controls.knob_values(state.signal.ndim)
        output = sweep.preview(values[controls.knob(state.signal.ndim).name], controls.seed,
                               controls.other_values(state.signal.ndim)).output
        model = plots.dft_picture(output, bin_map, controls.bins)
        gap = np.full((model.shape[0], 8, 3), 255, np.uint8)
        return self.ctx.files.save(np.concatenate([target, gap, model], axis=1))

    def released(self, state: Session | None, controls: Controls) -> dict:
        """A slider let go (not every step of a drag): the DFT view and the output's player."""
        if state is None:
            return {}
        players = {}
        if state.signal.kind in ("audio", "video"):
            players = self.ctx.players(state.signal, output=self.untrained_output(state.signal, controls))
        return {"dft": self.dft(state, controls), **players}

    def preview_at_position(self, state: Session | None, position: float, controls: Controls) -> dict:
        """The slider moved: its value in the knob's units goes to the number box, and the preview."""
        if state is None:
            return {}
        knob = controls.knob(state.signal.ndim)
        value = from_slider(knob, position)
        return {"param_value": number_update(knob, value), **self.preview(state, replace(controls, value=value))}

    def preview_at_value(self, state: Session | None, controls: Controls) -> dict:
        """A value was typed: the slider follows it, and the preview."""
        if state is None:
            return {}
        knob = controls.knob(state.signal.ndim)
        value = knob.default if controls.value is None else knob.clamp(controls.value)
        return {**knob_updates(knob, value), **self.preview(state, replace(controls, value=value))}

    # -- choosing a signal

    def show_signal(self, state: Session, controls: Controls) -> dict:
        """A new signal: target and preview shown, the knob at `controls.value` (default: the family's)."""
        signal = state.signal
        guide = PRESET_GUIDES[state.preset] if state.preset else "An uploaded signal."
        knob = controls.knob(signal.ndim)
        window = signal.window if signal.kind == "audio" and state.path else None
        start = gr.update(visible=False) if window is None else gr.update(
            visible=True, value=round(window.start, 3), maximum=window.total,
            label=f"Window start (s): analysing {window.duration:.2f} s of {window.total:.2f} s")
        shown = replace(controls, value=knob.default if controls.value is None else controls.value)
        played = signal.kind in ("audio", "video")  # an image has no player: its output is not rendered twice
        return {"session": state, "signal_info": f"**{signal.describe()}** ({state.source})\n\n{guide}",
                "target_image": self.ctx.previews.get(("target", state.key),
                                                      lambda: self.ctx.picture(signal.values, signal.kind)),
                "preset": gr.update(value=state.preset), "audio_start": start, **knob_updates(knob, controls.value),
                **self.preview(state, controls), "dft": self.dft(state, shown),
                **self.ctx.players(signal, target=signal.values if played else None, default=None, fresh=None,
                                   output=self.untrained_output(signal, shown) if played else None)}

    def choose_preset(self, name: str, controls: Controls) -> dict:
        return self.show_signal(load_preset(name, self.ctx.budget), replace(controls, value=None))

    def open_page(self, request: gr.Request | None, name: str, controls: Controls) -> dict:
        """First load: the query (?signal=&model=&value=&seed=&bins=&mode=&tab=) sets the controls and the tab."""
        query = dict(request.query_params) if request is not None else {}
        ndims = {preset: KIND_NDIM[p.kind] for preset, p in PRESETS.items()}
        preset, chosen, tab, notices = controls_from_query(query, controls, list(PRESETS), ndims)
        state = load_preset(preset or name, self.ctx.budget)
        return {**self.show_signal(state, chosen), "family": gr.update(value=chosen.family),
                "second": second_knob_update(chosen.family, state.signal.ndim), "seed": gr.update(value=chosen.seed),
                "bins": gr.update(value=str(chosen.bins)), "mode": gr.update(value=chosen.mode),
                "tabs": gr.Tabs(selected=tab), "current_tab": tab,
                "notice": "Link: " + "; ".join(notices) + "." if notices else ""}

    def upload(self, path: str | None, state: Session | None, controls: Controls) -> dict:
        if not path:
            return {}
        try:
            fresh = load_upload(path, self.ctx.budget)
        except SignalError as err:
            raise gr.Error(str(err)) from None
        return self.show_signal(fresh, replace(controls, value=None))

    def move_window(self, state: Session | None, start: float | None, controls: Controls) -> dict:
        """Analyse another window of an uploaded recording, from `start` seconds."""
        if state is None or state.path is None or state.signal.kind != "audio":
            return {}
        try:
            moved = load_upload(state.path, self.ctx.budget, float(start or 0.0))
        except (SignalError, OSError) as err:
            raise gr.Error(str(err)) from None
        return self.show_signal(moved, controls)

    def family_changed(self, state: Session | None, controls: Controls) -> dict:
        """A new family: its knobs at their defaults, its learning rate, and the preview."""
        ndim = state.signal.ndim if state else 2
        chosen = replace(controls, value=None, second=None)
        return {**knob_updates(chosen.knob(ndim)), "second": second_knob_update(chosen.family, ndim),
                "lr": chosen.model.lr, **self.preview(state, chosen), **self.released(state, chosen)}

    # -- FreSh

    def select(self, state: Session, controls: Controls, fast: bool, progress: Progress | None = None,
               values: list[float] | None = None) -> Selection:
        """FreSh over `values` (default the family's grid) at the session's settings, kept as the session's
        selection; the same selection for the same signal and settings is computed once for every session."""
        ndim = state.signal.ndim
        key = ("selection", state.key, controls.selection_key(ndim), fast, tuple(values or ()))
        state.selection = self.ctx.selections.get(key, lambda: select_embedding(
            state.signal, controls.family, values, seeds=10, bins=controls.bins, mode=controls.mode,
            width=controls.width, depth=controls.depth, fixed=controls.fixed_values(ndim), device=self.ctx.device,
            fast=fast, progress=progress, max_seconds=self.ctx.budget.max_seconds))
        state.selection_key = controls.selection_key(ndim)
        return state.selection

    def fresh(self, state: Session | None, full: bool, controls: Controls, progress: Progress | None = None,
              values: list[float] | None = None) -> dict:
        """Run the selection (over `values`, default the family's grid), plot W against the value with how
        often each value wins resamples of the seeds, move the knob to the winner; offer to extend the grid
        when the winner sits at an edge that W still falls towards."""
        if state is None:
            raise gr.Error("load a signal first")
        knob = controls.knob(state.signal.ndim)
        result = self.select(state, controls, not full, progress, values)
        setting = "paper setting" if full else "fast mode"
        capped = " Stopped at the time cap: the best of what was evaluated." if result.stopped else ""
        beyond = self.beyond_edge(result, controls, state.signal.ndim)
        side = "below" if result.edge == "low" else "above"
        edge = "" if result.edge is None else f" **{edge_words(result, knob.label)}**" + (
            f": extend it {side} with the button." if beyond else ", and the knob's range ends there.")
        export = self.ctx.files.save_text(json.dumps({"signal": state.source, **result.to_json(spectra=True)},
                                                     indent=1), f"fresh-{state.signal.name}-{result.model}.json")
        chosen = replace(controls, value=result.best)
        second = {}
        if len(controls.model.knobs) > 1 and controls.second is None:  # show the value the reference held
            extra = controls.model.knobs[1].name
            chosen = replace(chosen, second=result.fixed.get(extra))
            second = {"second": second_knob_update(controls.family, state.signal.ndim, chosen.second)}
        return {"session": state, **second,
                "fresh_plot": plots.selection_figure(result.values, result.distance, result.stderr, result.best,
                                                     knob.label, knob.log, result.pick_frequency, result.plausible),
                "fresh_hint": gr.update(visible=False),
                "fresh_status": f"**{in_words(result, knob.label)}** (W = {result.distance[result.best_index]:.3f}); "
                                f"{sum(result.seed_counts)} untrained models in {result.seconds:.1f} s, "
                                f"{setting}.{capped}{edge}",
                "extend_button": gr.update(visible=bool(beyond), value=f"Extend the grid {side} {result.best:g}"),
                "export": gr.update(value=export, visible=True), **knob_updates(knob, result.best),
                **self.preview(state, chosen), **self.released(state, chosen)}

    def beyond_edge(self, selection: Selection, controls: Controls, ndim: int) -> list[float]:
        """The values that extend the selection's grid beyond the edge its pick sits at (as many again, the
        grid's spacing continued, within the knob's range); none when the pick is not at an edge."""
        if selection.edge is None:
            return []
        knob = controls.knob(ndim)
        return extend_grid(selection.candidates, selection.edge, knob.low, knob.high, knob.integer)

    def extend(self, state: Session | None, full: bool, controls: Controls,
               progress: Progress | None = None) -> dict:
        """FreSh again over the last run's grid plus the values beyond the edge its pick sat at."""
        if state is None:
            raise gr.Error("load a signal first")
        selection = state.selection_for(controls)
        beyond = [] if selection is None else self.beyond_edge(selection, controls, state.signal.ndim)
        if not beyond:
            raise gr.Error("nothing to extend: run FreSh with these settings first, and extend when its pick "
                           "sits at the grid's edge")
        return self.fresh(state, full, controls, progress, [*selection.candidates, *beyond])

    def sweep_movie(self, state: Session | None, controls: Controls) -> dict:
        """The untrained output and its spectrum against the target's as the knob runs through the grid
        (seed `controls.seed`), as an MP4 and a GIF for slides."""
        if state is None:
            raise gr.Error("load a signal first")
        ndim = state.signal.ndim
        knob = controls.knob(ndim)
        sweep = self.sweep(state, controls)
        grid = list(knob.grid)
        outputs = sweep.outputs(grid, controls.seed, controls.other_values(ndim))  # (V, C, *analysis grid)
        spectra = sweep.spectra(outputs)
        selection = state.selection_for(controls)
        best = selection.best if selection is not None and selection.best in grid else None
        made = {fmt: animation.sweep_animation(grid, outputs.cpu(), spectra.cpu(), sweep.target.cpu(),
                                               sweep.target_spectrum.cpu(), knob.label, self.ctx.files.folder, fmt,
                                               best=best, log_x=knob.log)
                for fmt in ("mp4", "gif")}
        sizes = ", ".join(f"{fmt.upper()} {path.stat().st_size / 2**20:.1f} MB" for fmt, path in made.items())
        return {"sweep_animation": gr.update(value=self.ctx.files.keep_track(made["mp4"]), visible=True),
                "sweep_gif": gr.update(value=self.ctx.files.keep_track(made["gif"]), visible=True),
                "sweep_status": f"{len(grid)} values of {knob.label}, seed {controls.seed}: {sizes}."}


def build_tab(page: Page, ctx: Context) -> None:
    """The Explore tab's widgets (call inside `gr.Tab`)."""
    first = FAMILIES["siren"].knobs[0]
    budget = ctx.budget
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            page.add("gallery", gr.Gallery(thumbnails(), label="Presets (click one)", columns=3, height=200,
                                           allow_preview=False, elem_id="preset-gallery"))
            page.add("preset", gr.Dropdown([(p.title, name) for name, p in PRESETS.items()], value=DEFAULT_PRESET,
                                           label="Preset", elem_id="preset-select"))
            page.add("upload", gr.File(label="...or upload an image, audio (WAV, FLAC, OGG, MP3), video (MP4, MOV, "
                                       "WebM, GIF...) or .npy", file_types=UPLOAD_TYPES, type="filepath",
                                       elem_id="signal-input", height=120))
            page.add("audio_start", gr.Number(0.0, label="Window start (s)", minimum=0.0, visible=False,
                                              elem_id="audio-start"))
            page.add("family", gr.Dropdown([(cls.title, name) for name, cls in FAMILIES.items()], value="siren",
                                           label="Model family", elem_id="model-family"))
            # The number is the value itself (what people read and type); the slider beside it moves on a
            # log scale where the range spans decades.  The number comes first, so it is the first number
            # input inside #param-slider (the slider's own box, holding the log position, is hidden).
            with gr.Row(elem_id="param-slider", equal_height=True):
                page.add("param_value", gr.Number(first.default, label=first.label, minimum=first.low,
                                                  maximum=first.high, elem_id="param-value", scale=1, min_width=90))
                page.add("param_position", gr.Slider(
                    round(math.log10(first.low), 4), round(math.log10(first.high), 4),
                    value=to_slider(first, first.default), step=LOG_STEP, elem_id="param-position", scale=3,
                    label=f"{first.label}: logarithmic slider, default {first.default:g}"))
            page.add("distance", gr.HTML(elem_id="wasserstein-value"))  # beside the slider that moves it
            page.add("second", gr.Slider(0, 5, value=0, step=0.05, label="bias k", visible=False,
                                         elem_id="param2-slider"))
            page.add("seed", gr.Slider(0, 99, value=0, step=1, label="Seed", elem_id="seed-slider"))
            with gr.Row(equal_height=True):
                page.add("fresh_button", gr.Button("Run FreSh", variant="primary", elem_id="fresh-button",
                                                   scale=1))
                page.add("full", gr.Checkbox(ctx.device.type != "cpu", label="Paper setting (10 seeds, full grid)",
                                             elem_id="fresh-full", scale=2,
                                             info="Off: fast mode, 2 seeds coarse-to-fine."))
            page.add("fresh_status", gr.Markdown(elem_id="fresh-status"))
            page.add("extend_button", gr.Button("Extend the grid", visible=False, elem_id="extend-grid-button"))
            with gr.Accordion("Advanced", open=False, elem_id="advanced") as advanced:
                page.add("bins", gr.Radio([str(b) for b in BINS], value="64", label="Spectrum size n (bins)",
                                          elem_id="bins-radio"))
                page.add("mode", gr.Radio([(MODE_TITLES[m], m) for m in MODES], value="paper",
                                          label="Spectrum reduction", elem_id="mode-radio"))
                page.add("log_y", gr.Checkbox(False, label="Log scale for spectra", elem_id="log-y"))
                page.add("width", gr.Slider(16, 512, value=budget.width, step=16, label="Width",
                                            elem_id="width-slider"))
                page.add("depth", gr.Slider(1, 6, value=budget.depth, step=1, label="Hidden layers",
                                            elem_id="depth-slider"))
            page.add("advanced", advanced)
            page.add("signal_info", gr.Markdown(elem_id="signal-info"))
        with gr.Column(scale=2):
            with gr.Row():
                page.add("target_image", gr.Image(label="Target", interactive=False, elem_id="target-image",
                                                  format="png", height=180))
                page.add("output_image", gr.Image(label="Untrained model output", interactive=False,
                                                  elem_id="output-image", format="png", height=180))
            with gr.Row():
                for name, label in (("target", "Target"), ("output", "Untrained model output")):
                    add_players(page, name, label)
            with gr.Tabs():
                with gr.Tab("Spectra"):
                    page.add("spectra", gr.Plot(label="Spectra", show_label=False, elem_id="spectra-plot"))
                with gr.Tab("What W measures"):
                    page.add("cdf", gr.Plot(label="Cumulative spectra", show_label=False, elem_id="cdf-plot"))
                with gr.Tab("2-D DFT and bins"):
                    page.add("dft", gr.Image(label="log |DFT| of target (left) and model (right), centred; red: "
                                             "every 8th bin of the current mode, yellow: the last compared bin",
                                             interactive=False, elem_id="dft-plot", format="png"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            page.add("fresh_hint", gr.Markdown("Press **Run FreSh** to see W against every value of the grid: "
                                               "the curve, its error bars and how sure the pick is.",
                                               elem_id="fresh-hint"))
            page.add("export", gr.DownloadButton("Download the selection (JSON)", elem_id="export-json",
                                                 visible=False))
            page.add("sweep_button", gr.Button("Make a sweep movie", elem_id="sweep-button"))
            page.add("sweep_status", gr.Markdown("The untrained output and its spectrum as the knob runs through "
                                                 "the grid, as an MP4 and a GIF for slides.",
                                                 elem_id="sweep-status"))
            page.add("sweep_animation", gr.DownloadButton("Sweep movie (MP4)", elem_id="sweep-animation",
                                                          visible=False))
            page.add("sweep_gif", gr.DownloadButton("Sweep movie (GIF)", elem_id="sweep-gif", visible=False))
        with gr.Column(scale=2):
            page.add("fresh_plot", gr.Plot(label="W against the parameter", elem_id="fresh-plot", visible=False),
                     reveal=True)


def add_players(page: Page, name: str, label: str, prefix: str = "") -> None:
    """Hidden audio and video players for `name`; shown for signals of their kind."""
    page.add(f"{name}_audio", gr.Audio(label=label, type="filepath", interactive=False, visible=False,
                                       elem_id=f"{prefix}{name}-audio"))
    page.add(f"{name}_video", gr.Video(label=label, interactive=False, visible=False, loop=True,
                                       elem_id=f"{prefix}{name}-video"))


def wire(page: Page, explore: Explore) -> None:
    """The Explore tab's events (call inside the `gr.Blocks` context)."""
    controls = page.controls()
    live = dict(trigger_mode="always_last", show_progress="hidden", concurrency_id="preview",
                concurrency_limit=explore.ctx.budget.preview_workers, inputs_kwargs=controls)

    def preset_picked(evt: gr.SelectData) -> str:
        return list(PRESETS)[evt.index]

    def preset_chosen(name: str, **raw) -> dict:
        return page.named(explore.choose_preset(name, Controls.from_page(**raw)))

    def uploaded(path: str | None, state, **raw) -> dict:
        return page.named(explore.upload(path, state, Controls.from_page(**raw)))

    def family_changed(state, **raw) -> dict:
        return page.named(explore.family_changed(state, Controls.from_page(**raw)))

    def slider_moved(state, position: float, **raw) -> dict:
        return page.named(explore.preview_at_position(state, position, Controls.from_page(**raw)))

    def value_typed(state, **raw) -> dict:
        return page.named(explore.preview_at_value(state, Controls.from_page(**raw)))

    def control_changed(state, **raw) -> dict:
        return page.named(explore.preview(state, Controls.from_page(**raw)))

    def slider_released(state, **raw) -> dict:
        return page.named(explore.released(state, Controls.from_page(**raw)))

    def window_moved(state, start: float | None, **raw) -> dict:
        return page.named(explore.move_window(state, start, Controls.from_page(**raw)))

    def fresh_pressed(state, full: bool, progress=gr.Progress(), **raw) -> dict:  # noqa: B008 (Gradio injects it)
        report = lambda fraction, message: progress(fraction, desc=message)  # noqa: E731
        return page.named(explore.fresh(state, full, Controls.from_page(**raw), report))

    def extend_pressed(state, full: bool, progress=gr.Progress(), **raw) -> dict:  # noqa: B008 (Gradio injects it)
        report = lambda fraction, message: progress(fraction, desc=message)  # noqa: E731
        return page.named(explore.extend(state, full, Controls.from_page(**raw), report))

    def sweep_pressed(state, **raw) -> dict:
        return page.named(explore.sweep_movie(state, Controls.from_page(**raw)))

    session = page["session"]
    signal_out = ENDPOINTS["choose_preset"]
    on_knob = ("param_position", "param_value", "second", "lr", *PREVIEW, *RELEASED)
    page["gallery"].select(preset_picked, None, page["preset"], api_name=False).then(
        preset_chosen, [page["preset"]], page.get(*signal_out), inputs_kwargs=controls, api_name=False)
    page.on(page["preset"].input, preset_chosen, [page["preset"]], signal_out, "choose_preset",
            inputs_kwargs=controls)
    page.on(page["upload"].upload, on_gpu(uploaded, GPU_SECONDS["light"]), [page["upload"], session], signal_out,
            "upload", inputs_kwargs=controls)
    page.on(page["family"].input, family_changed, [session], on_knob, inputs_kwargs=controls,
            show_progress="hidden")
    page.on(page["param_position"].input, slider_moved, [session, page["param_position"]], ENDPOINTS["preview"],
            "preview", **live)
    for event in (page["param_value"].submit, page["param_value"].blur):
        page.on(event, value_typed, [session], ("param_position", "param_value", *PREVIEW), **live)
    for name in ("second", "seed", "width", "depth", "bins", "mode", "log_y"):
        page.on(page[name].input, control_changed, [session], PREVIEW, **live)
    # The DFT view and the players follow once a slider is let go, not on every step of a drag.
    for name in ("param_position", "second", "seed", "width", "depth"):
        page.on(page[name].release, slider_released, [session], RELEASED, **live)
    for event in (page["param_value"].submit, page["param_value"].blur):
        page.on(event, slider_released, [session], RELEASED, **live)
    for event in (page["audio_start"].submit, page["audio_start"].blur):
        page.on(event, window_moved, [session, page["audio_start"]], signal_out, inputs_kwargs=controls)
    heavy = dict(inputs_kwargs=controls, concurrency_limit=1, concurrency_id="fresh")
    page.on(page["fresh_button"].click, on_gpu(fresh_pressed, GPU_SECONDS["fresh"]), [session, page["full"]],
            ENDPOINTS["fresh"], "fresh", **heavy)
    page.on(page["extend_button"].click, on_gpu(extend_pressed, GPU_SECONDS["fresh"]), [session, page["full"]],
            ENDPOINTS["extend_grid"], "extend_grid", **heavy)
    page.on(page["sweep_button"].click, on_gpu(sweep_pressed, GPU_SECONDS["light"]), [session],
            ENDPOINTS["sweep_movie"], "sweep_movie", **heavy)
