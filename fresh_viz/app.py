"""The Gradio explorer: wiring only.  The math lives in `fresh`, `models`,
`spectrum` and `train`; figures in `plots`; per-session state in `state`.

Everything a handler needs arrives through its inputs (a `gr.State` holds the
session), so two browsers never share a signal or a result.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections import deque
from dataclasses import replace
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from . import plots
from .device import describe, pick_device
from .fresh import Progress, Selection, select_embedding
from .models import FAMILIES, Knob, build
from .signals import KIND_NDIM, PRESETS, Signal, SignalError, load_signal, make_preset, resize_signal
from .spectrum import MODE_TITLES, MODES, band_errors
from .state import Budget, Controls, Session, budget_for, controls_from_query, query_for
from .train import fit

UPLOAD_TYPES = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".wav", ".gif", ".mp4", ".npy"]
LOG_STEP = 0.005  # log10 units per slider step: 1.2 % of the value
UI_INTERVAL = 0.3  # seconds between training updates on screen
DEFAULT_PRESET = "astronaut"

CSS = """
#wasserstein-value .w-number { font-size: 2.6rem; font-weight: 700; line-height: 1.1; }
#wasserstein-value .w-caption { color: #666; }
body.presentation { --body-text-size: 21px; --text-sm: 18px; --text-md: 21px; --text-lg: 25px; --text-xl: 30px;
                    --block-label-text-size: 17px; --block-title-text-size: 19px; --block-info-text-size: 17px; }
body.presentation .prose { font-size: 21px; }
body.presentation #wasserstein-value .w-number { font-size: 4rem; }
"""
# Presentation mode: larger type everywhere (plots keep their size; the browser's own zoom
# enlarges them too, which Plotly follows, unlike a CSS zoom).
PRESENTATION_JS = "(on) => { document.body.classList.toggle('presentation', on); return on; }"
SHARE_LINK_JS = "(query) => window.location.origin + window.location.pathname + query"


def gpu(fn):
    """Run on ZeroGPU when the `spaces` package is present (Hugging Face); a no-op elsewhere."""
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(fn)


# ---------------------------------------------------------------- slider <-> value


def to_slider(knob: Knob, value: float) -> float:
    return round(math.log10(max(value, 1e-9)), 6) if knob.log else value


def from_slider(knob: Knob, position: float) -> float:
    value = 10 ** float(position) if knob.log else float(position)
    return knob.clamp(float(f"{value:.4g}"))


def slider_update(knob: Knob, value: float | None = None) -> dict:
    value = knob.default if value is None else value
    if knob.log:
        return gr.update(minimum=round(math.log10(knob.low), 4), maximum=round(math.log10(knob.high), 4),
                         step=LOG_STEP, value=to_slider(knob, value),
                         label=f"{knob.label} (log₁₀ scale; default {knob.default:g})")
    return gr.update(minimum=knob.low, maximum=knob.high, step=knob.step, value=value,
                     label=f"{knob.label} (default {knob.default:g})")


# ---------------------------------------------------------------- signals


def load_preset(name: str, budget: Budget) -> Session:
    size = budget.size if PRESETS[name].kind != "video" else min(budget.size, 64)
    return Session(make_preset(name, size), name, preset=name)


def load_upload(path: str, budget: Budget) -> Session:
    signal = load_signal(path)
    if signal.kind == "video" and signal.values.shape[1] > budget.video_frames:
        keep = np.linspace(0, signal.values.shape[1] - 1, budget.video_frames).round().astype(int)
        signal = Signal(signal.values[:, keep], signal.kind, signal.name, signal.sample_rate)
    if signal.kind != "audio":
        signal = resize_signal(signal, budget.size if signal.kind == "image" else min(budget.size, 64))
    return Session(signal, path.rsplit("/", 1)[-1])


def pick_from_gallery(evt: gr.SelectData) -> str:
    return list(PRESETS)[evt.index]


def thumbnails() -> list[tuple[np.ndarray, str]]:
    return [(plots.picture(make_preset(name, 96).values, p.kind), p.title) for name, p in PRESETS.items()]


# ---------------------------------------------------------------- pictures


class OutputFiles:
    """Files handed to Gradio for the image and download outputs.

    Gradio stores a returned array under a name made from its content and rewrites
    that file in place, so two sessions showing the same picture can be served a
    half-written file.  A file path is instead copied into Gradio's cache under a
    temporary name and renamed, which is safe.  Each picture gets a unique file
    here; the newest `keep` are kept long enough to be copied, older ones deleted.
    """

    def __init__(self, keep: int = 256):
        self.folder = Path(tempfile.mkdtemp(prefix="fresh_viz-"))
        self.keep = keep
        self.recent: deque[Path] = deque()
        self.lock = threading.Lock()
        weakref.finalize(self, shutil.rmtree, self.folder, True)

    def save(self, picture: np.ndarray) -> str:
        """An (H, W, 3) uint8 picture as a new PNG file."""
        path = self.folder / f"{uuid.uuid4().hex}.png"
        Image.fromarray(picture).save(path, compress_level=1)
        return self.keep_track(path)

    def save_text(self, text: str, name: str) -> str:
        """Text in a new file called `name` (in a folder of its own)."""
        folder = self.folder / uuid.uuid4().hex
        folder.mkdir()
        path = folder / name
        path.write_text(text)
        return self.keep_track(path)

    def keep_track(self, path: Path) -> str:
        with self.lock:
            self.recent.append(path)
            while len(self.recent) > self.keep:
                old = self.recent.popleft()
                old.unlink(missing_ok=True)
                if old.parent != self.folder:
                    shutil.rmtree(old.parent, ignore_errors=True)
        return str(path)


# ---------------------------------------------------------------- handlers


def controls_from(family: str, position: float, second: float, seed: float, bins: str | int, mode: str,
                  width: float, depth: float, ndim: int) -> Controls:
    """The sliders' raw positions as Controls for an ndim-D signal."""
    if family not in FAMILIES:
        raise gr.Error(f"unknown model family '{family}'")
    knob = FAMILIES[family].knobs[0].for_ndim(ndim)
    second_value = float(second) if len(FAMILIES[family].knobs) > 1 else None
    return Controls(family, from_slider(knob, position), second_value, int(seed), int(bins), mode, int(width),
                    int(depth))


class Explorer:
    """The app's handlers, one method per event, callable without a browser.

    The controls arrive in a fixed order (family, slider position, second knob,
    seed, bins, mode, width, depth, log y); a `Session` (held in a gr.State)
    carries everything that belongs to one browser.
    """

    PREVIEW_OUTPUTS = 6  # output picture, spectra, distance, CDF figure, DFT picture, link query

    def __init__(self, device: torch.device, budget: Budget):
        self.device, self.budget = device, budget
        self.files = OutputFiles()

    def picture(self, values: torch.Tensor, kind: str) -> str:
        return self.files.save(plots.picture(values, kind))

    def controls(self, state: Session, *values) -> Controls:
        return controls_from(*values[:8], ndim=state.signal.ndim)

    # -- the live preview

    def preview(self, state: Session | None, *controls) -> tuple:
        """The untrained model's picture, spectra, distance, CDF, DFT view and share link."""
        if state is None:
            return (gr.update(),) * self.PREVIEW_OUTPUTS
        return self.render_preview(state, self.controls(state, *controls), controls[8])

    def render_preview(self, state: Session, controls: Controls, log_y: bool) -> tuple:
        signal = state.signal
        sweep = state.sweep_for(controls, self.device)
        values = controls.knob_values(signal.ndim)
        knob = controls.knob(signal.ndim)
        result = sweep.preview(values[knob.name], controls.seed, controls.fixed_values(signal.ndim))
        figure = plots.spectra_figure(sweep.target_spectrum, result.spectrum, controls.mode, log_y, result.distance)
        labels = [k.label for k in controls.model.knobs]
        shown = ", ".join(f"{label} = {v:g}" for label, v in zip(labels, values.values()))
        grid = " x ".join(str(s) for s in sweep.grid)
        html = (f"<div class='w-number'>W = {result.distance:.3f}</div>"
                f"<div class='w-caption'>{shown}, seed {controls.seed}; {controls.mode} mode, {controls.bins} "
                f"bins, {grid} grid; computed in {result.seconds * 1000:.0f} ms</div>")
        cdf = plots.cdf_figure(sweep.target_spectrum, result.spectrum, result.distance)
        if len(sweep.grid) == 2:
            if state.target_dft is None:  # fixed while the sweep is: drawn once, not on every slider move
                state.target_dft = plots.dft_picture(sweep.target, sweep.reduction.index, controls.bins)
            model_dft = plots.dft_picture(result.output, sweep.reduction.index, controls.bins)
            gap = np.full((model_dft.shape[0], 8, 3), 255, np.uint8)
            dft = self.files.save(np.concatenate([state.target_dft, gap, model_dft], axis=1))
        else:
            dft = None
        query = query_for(state.preset, controls, signal.ndim)
        return self.picture(result.output, signal.kind), figure, html, cdf, dft, query

    def show_signal(self, state: Session, *controls, value: float | None = None) -> tuple:
        """A new signal: the slider goes to `value` (default: the family's), target and preview shown."""
        chosen = replace(self.controls(state, *controls), value=value)
        guide = PRESETS[state.preset].guide if state.preset else "An uploaded signal."
        info = f"**{state.signal.describe()}** ({state.source})\n\n{guide}"
        return (state, self.picture(state.signal.values, state.signal.kind), info,
                slider_update(chosen.knob(state.signal.ndim), value), *self.render_preview(state, chosen, controls[8]))

    def choose_preset(self, name: str, *controls) -> tuple:
        if name not in PRESETS:
            raise gr.Error(f"unknown preset '{name}'; choose from {', '.join(PRESETS)}")
        return self.show_signal(load_preset(name, self.budget), *controls)

    def open_page(self, request: gr.Request | None, name: str, family: str, position: float, second: float,
                  seed: float, bins: str, mode: str, width: float, depth: float, log_y: bool) -> tuple:
        """First load: the query (?signal=&model=&value=&seed=&bins=&mode=) sets the controls.

        Gradio passes the page request first (found by its annotation)."""
        controls = (family, position, second, seed, bins, mode, width, depth, log_y)
        query = dict(request.query_params) if request is not None else {}
        base = controls_from(*controls[:8], ndim=2)
        ndims = {name: KIND_NDIM[p.kind] for name, p in PRESETS.items()}
        preset, chosen, notices = controls_from_query(query, base, list(PRESETS), ndims)
        state = load_preset(preset or name, self.budget)
        ndim = state.signal.ndim
        family = FAMILIES[chosen.family]
        knob = family.knobs[0].for_ndim(ndim)
        position = to_slider(knob, chosen.value if chosen.value is not None else knob.default)
        values = (chosen.family, position, controls[2], chosen.seed, str(chosen.bins), chosen.mode, *controls[6:])
        shown = self.show_signal(state, *values, value=chosen.value)
        notice = "Link: " + "; ".join(notices) + "." if notices else ""
        return (*shown, gr.update(value=chosen.family), self.second_slider(family), gr.update(value=chosen.seed),
                gr.update(value=str(chosen.bins)), gr.update(value=chosen.mode), notice)

    def upload(self, path: str | None, state: Session | None, *controls) -> tuple:
        if not path:
            return (state,) + (gr.update(),) * (3 + self.PREVIEW_OUTPUTS)
        try:
            fresh = load_upload(path, self.budget)
        except SignalError as err:
            raise gr.Error(str(err)) from None
        return self.show_signal(fresh, *controls)

    @staticmethod
    def second_slider(cls: type) -> dict:
        if len(cls.knobs) < 2:
            return gr.update(visible=False)
        extra = cls.knobs[1]
        return gr.update(visible=True, minimum=extra.low, maximum=extra.high, step=extra.step, value=extra.default,
                         label=f"{extra.label} (default {extra.default:g})")

    def family_changed(self, state: Session | None, name: str) -> tuple:
        """Sliders for the family's knobs, and its learning rate."""
        cls = FAMILIES[name]
        ndim = state.signal.ndim if state else 2
        return slider_update(cls.knobs[0].for_ndim(ndim)), self.second_slider(cls), cls.lr

    # -- FreSh

    def select(self, state: Session, chosen: Controls, fast: bool, progress: Progress | None = None) -> Selection:
        """FreSh over the family's grid at the session's settings; kept as the session's selection."""
        state.selection = select_embedding(
            state.signal, chosen.family, seeds=10, bins=chosen.bins, mode=chosen.mode, width=chosen.width,
            depth=chosen.depth, fixed=chosen.fixed_values(state.signal.ndim), device=self.device, fast=fast,
            progress=progress, max_seconds=self.budget.max_seconds)
        return state.selection

    def fresh(self, state: Session, full: bool, *controls,
              progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008 (Gradio injects it)
        """Run the selection, plot W against the value, move the slider to the winner."""
        if state is None:
            raise gr.Error("load a signal first")
        chosen = self.controls(state, *controls)
        knob = chosen.knob(state.signal.ndim)
        progress(0, desc="Evaluating untrained models")
        result = self.select(state, chosen, not full, lambda f, msg: progress(f, desc=msg))
        figure = plots.selection_figure(result.values, result.distance, result.stderr, result.best, knob.label,
                                        knob.log)
        setting = "paper setting" if full else "fast mode"
        capped = " Stopped at the time cap: the best of what was evaluated." if result.stopped else ""
        status = (f"**{knob.label} = {result.best:g}** (W = {result.distance[result.best_index]:.3f}); "
                  f"{sum(result.seed_counts)} untrained models in {result.seconds:.1f} s, {setting}.{capped}")
        export = self.files.save_text(json.dumps({"signal": state.source, **result.to_json(spectra=True)}, indent=1),
                                      f"fresh-{state.signal.name}-{result.model}.json")
        return (state, figure, gr.update(value=to_slider(knob, result.best)), status, gr.update(value=export),
                *self.render_preview(state, replace(chosen, value=result.best), controls[8]))

    # -- training

    def train(self, state: Session, steps: float, lr: float | None, *controls):
        """Race the family default against the slider's value.

        Yields (PSNR figure, default picture, tuned picture, status, band-error figure)."""
        if state is None:
            raise gr.Error("load a signal first")
        signal = state.signal
        chosen = self.controls(state, *controls)
        knob = chosen.knob(signal.ndim)
        values = chosen.knob_values(signal.ndim)
        tuned = values[knob.name]
        model = build(chosen.family, signal.ndim, signal.channels, [chosen.seed] * 2, chosen.width, chosen.depth,
                      {**values, knob.name: [knob.default, tuned]}, self.device)
        names = [f"default {knob.label}={knob.default:g}", f"{knob.label}={tuned:g}"]
        curves: dict[str, list] = {n: [] for n in names}
        bands: dict[str, list] = {n: [] for n in names}
        target = signal.values.to(self.device)
        total = max(1, min(int(steps), self.budget.max_steps))
        last_shown = 0.0
        for report in fit(model, signal.values, total, lr if lr and lr > 0 else None, max(1, total // 100),
                          seed=chosen.seed, max_seconds=self.budget.max_seconds):
            errors = band_errors(report.reconstruction, target).tolist()
            for i, name in enumerate(names):
                curves[name].append((report.step, report.train_psnr[i], report.test_psnr[i]))
                bands[name].append((report.step, errors[i]))
            if not report.done and time.perf_counter() - last_shown < UI_INTERVAL:
                continue
            last_shown = time.perf_counter()
            scores = "; ".join(f"{n}: {report.psnr[i]:.2f} dB" for i, n in enumerate(names))
            status = f"Step {report.step}/{total}, {report.seconds:.1f} s. {scores}"
            if report.done:
                capped = " at the time cap" if report.stopped else ""
                status = f"**Finished{capped}**: {report.step} steps in {report.seconds:.1f} s. " + "; ".join(
                    f"{n}: {report.psnr[i]:.2f} dB on all samples, {report.test_psnr[i]:.2f} dB held out"
                    for i, n in enumerate(names))
            yield (plots.psnr_figure(curves, total), self.picture(report.reconstruction[0], signal.kind),
                   self.picture(report.reconstruction[1], signal.kind), status, plots.band_error_figure(bands))

    def grid_check(self, state: Session, lr: float | None, *controls):
        """Train every value of the family's grid for a short budget, all at once (one
        ensemble, same seed); yields (figure, status) as PSNR comes in."""
        if state is None:
            raise gr.Error("load a signal first")
        signal = state.signal
        chosen = self.controls(state, *controls)
        knob = chosen.knob(signal.ndim)
        grid = list(knob.grid)
        values = chosen.knob_values(signal.ndim)
        model = build(chosen.family, signal.ndim, signal.channels, [chosen.seed] * len(grid), chosen.width,
                      chosen.depth, {**values, knob.name: grid}, self.device)
        selection = state.selection
        if selection is None or (selection.model, selection.param, selection.bins, selection.mode) != (
                chosen.family, knob.name, chosen.bins, chosen.mode):
            # No matching FreSh result yet: a fast one costs seconds and gives the W curve.
            selection = self.select(state, chosen, fast=True)
        distance = [selection.distance[selection.values.index(v)] if v in selection.values else None for v in grid]
        best = selection.best
        steps = self.budget.grid_steps
        for report in fit(model, signal.values, steps, lr if lr and lr > 0 else None, max(1, steps // 5),
                          seed=chosen.seed, max_seconds=self.budget.max_seconds):
            if report.step == 0:
                continue
            peak = grid[max(range(len(grid)), key=lambda i: report.test_psnr[i])]
            status = (f"{len(grid)} values trained together, step {report.step}/{steps}, {report.seconds:.1f} s. "
                      f"Best held-out PSNR so far at {knob.label} = {peak:g}; FreSh chose {best:g}.")
            if report.done:
                status = "**Done.** " + status
            yield (plots.grid_check_figure(grid, distance, report.train_psnr, report.test_psnr, best, knob.label,
                                           report.step, knob.log), status)


def build_app(device: torch.device | None = None, budget: Budget | None = None) -> gr.Blocks:
    """The explorer as a Blocks app (not launched); `budget` overrides the device's defaults."""
    device = device or pick_device()
    budget = budget or budget_for(device)
    explorer = Explorer(device, budget)
    first_knob = FAMILIES["siren"].knobs[0]

    with gr.Blocks(title="FreSh Explorer", delete_cache=(600, 3600)) as demo:
        session = gr.State(None)
        with gr.Row():
            gr.Markdown("# FreSh Explorer\nAn untrained neural field already has a spectrum. Drag the slider to "
                        "move it; FreSh picks the value whose spectrum is closest to the target's, before any "
                        "training.")
            presentation = gr.Checkbox(False, label="Presentation mode (large, fewer controls)",
                                       elem_id="presentation-mode", scale=0, min_width=220)
        gr.Markdown(f"**Device:** {describe(device)}. {budget.note}", elem_id="device-note")
        notice = gr.Markdown(elem_id="query-notice")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                gallery = gr.Gallery(thumbnails(), label="Presets (click one)", columns=3, height=260,
                                     allow_preview=False, elem_id="preset-gallery")
                preset = gr.Dropdown([(p.title, name) for name, p in PRESETS.items()], value=DEFAULT_PRESET,
                                     label="Preset", elem_id="preset-select")
                upload = gr.File(label="...or upload an image, WAV, GIF/MP4 or .npy", file_types=UPLOAD_TYPES,
                                 type="filepath", elem_id="signal-input")
                signal_info = gr.Markdown(elem_id="signal-info")
                family = gr.Dropdown([(cls.title, name) for name, cls in FAMILIES.items()], value="siren",
                                     label="Model family", elem_id="model-family")
                param = gr.Slider(math.log10(first_knob.low), math.log10(first_knob.high),
                                  value=to_slider(first_knob, first_knob.default), step=LOG_STEP,
                                  label=f"{first_knob.label} (log₁₀ scale; default {first_knob.default:g})",
                                  elem_id="param-slider")
                second = gr.Slider(0, 5, value=0, step=0.05, label="bias k", visible=False, elem_id="param2-slider")
                seed = gr.Slider(0, 99, value=0, step=1, label="Seed", elem_id="seed-slider")
                with gr.Accordion("Advanced", open=False, elem_id="advanced") as advanced:
                    bins = gr.Radio(["32", "64", "128"], value="64", label="Spectrum size n (bins)",
                                    elem_id="bins-radio")
                    mode = gr.Radio([(MODE_TITLES[m], m) for m in MODES], value="paper", label="Spectrum reduction",
                                    elem_id="mode-radio")
                    log_y = gr.Checkbox(False, label="Log scale for spectra", elem_id="log-y")
                    width = gr.Slider(16, 512, value=budget.width, step=16, label="Width", elem_id="width-slider")
                    depth = gr.Slider(1, 6, value=budget.depth, step=1, label="Hidden layers", elem_id="depth-slider")
                share = gr.Textbox(label="Link to this view", elem_id="share-link", interactive=False,
                                   buttons=["copy"])
                # The server knows the query; the browser knows the page's address (behind any proxy).
                share_query = gr.Textbox(visible="hidden", elem_id="share-query")
            with gr.Column(scale=2):
                with gr.Row():
                    target_image = gr.Image(label="Target", interactive=False, elem_id="target-image", format="png")
                    output_image = gr.Image(label="Untrained model output", interactive=False,
                                            elem_id="output-image", format="png")
                distance = gr.HTML(elem_id="wasserstein-value")
                with gr.Tabs():
                    with gr.Tab("Spectra"):
                        spectra = gr.Plot(label="Spectra", elem_id="spectra-plot")
                    with gr.Tab("What W measures"):
                        cdf = gr.Plot(label="Cumulative spectra", elem_id="cdf-plot")
                    with gr.Tab("2-D DFT and bins"):
                        dft = gr.Image(label="log |DFT| of target (left) and model (right), centred; red: every "
                                       "8th bin of the current mode, yellow: the last compared bin",
                                       interactive=False, elem_id="dft-plot", format="png")
                gr.Markdown("Each plot's camera icon saves it as a PNG.")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                gr.Markdown("### FreSh selection\nEvaluates untrained models over the family's grid and moves "
                            "the slider to the value with the smallest mean W.")
                full = gr.Checkbox(device.type != "cpu", label="Paper setting (10 seeds, full grid)",
                                   info="Off: fast mode, 2 seeds coarse-to-fine, more seeds only where the "
                                   "error bars overlap.", elem_id="fresh-full")
                fresh_button = gr.Button("Run FreSh", variant="primary", elem_id="fresh-button")
                fresh_status = gr.Markdown(elem_id="fresh-status")
                export = gr.DownloadButton("Download the selection (JSON)", elem_id="export-json")
            with gr.Column(scale=2):
                fresh_plot = gr.Plot(label="W against the parameter", elem_id="fresh-plot")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                gr.Markdown("### Training race\nTrains the family's default and the slider's value side by side "
                            "with the same seed. Solid lines: PSNR on the samples trained on; dashed: on the "
                            "10 % held out.")
                steps = gr.Slider(10, budget.max_steps, value=budget.steps, step=10, label="Steps",
                                  elem_id="steps-slider")
                lr = gr.Number(FAMILIES["siren"].lr, label="Learning rate", elem_id="lr-number")
                with gr.Row():
                    train_button = gr.Button("Train both", variant="primary", elem_id="train-button")
                    stop_button = gr.Button("Stop", elem_id="stop-button")
                train_status = gr.Markdown(elem_id="train-status")
            with gr.Column(scale=2):
                psnr_plot = gr.Plot(label="PSNR", elem_id="psnr-plot")
                with gr.Row():
                    default_image = gr.Image(label="Default", interactive=False, elem_id="train-default-image",
                                             format="png")
                    fresh_image = gr.Image(label="Slider value", interactive=False, elem_id="train-fresh-image",
                                           format="png")
                band_plot = gr.Plot(label="Error per frequency band", elem_id="band-error-plot")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                gr.Markdown(f"### Grid search check\nTrains *every* value of the grid for {budget.grid_steps} "
                            "steps (all at once, same seed) and plots PSNR next to W: does the W minimum sit "
                            "near the PSNR maximum? Stop halts it.")
                grid_button = gr.Button("Check against a grid search", elem_id="grid-button")
                grid_status = gr.Markdown(elem_id="grid-status")
            with gr.Column(scale=2):
                grid_plot = gr.Plot(label="W and PSNR against the parameter", elem_id="grid-plot")

        controls = [family, param, second, seed, bins, mode, width, depth, log_y]
        preview_out = [output_image, spectra, distance, cdf, dft, share_query]
        signal_out = [session, target_image, signal_info, param, *preview_out]
        live = dict(trigger_mode="always_last", show_progress="hidden", concurrency_limit=2, concurrency_id="preview")

        demo.load(gpu(explorer.open_page), [preset, *controls],
                  signal_out + [family, second, seed, bins, mode, notice], api_name=False)
        gallery.select(pick_from_gallery, None, preset, api_name=False).then(
            gpu(explorer.choose_preset), [preset, *controls], signal_out, api_name=False)
        preset.input(gpu(explorer.choose_preset), [preset, *controls], signal_out, api_name="choose_preset")
        upload.upload(gpu(explorer.upload), [upload, session, *controls], signal_out, api_name="upload")
        family.input(explorer.family_changed, [session, family], [param, second, lr], api_name=False).then(
            gpu(explorer.preview), [session, *controls], preview_out, show_progress="hidden", api_name=False)
        param.input(gpu(explorer.preview), [session, *controls], preview_out, api_name="preview", **live)
        for control in (second, seed, width, depth):
            control.input(gpu(explorer.preview), [session, *controls], preview_out, api_name=False, **live)
        for control in (bins, mode, log_y):
            control.input(gpu(explorer.preview), [session, *controls], preview_out, api_name=False, **live)
        fresh_button.click(gpu(explorer.fresh), [session, full, *controls],
                           [session, fresh_plot, param, fresh_status, export, *preview_out], concurrency_limit=1,
                           concurrency_id="fresh", api_name="fresh")
        train_event = train_button.click(gpu(explorer.train), [session, steps, lr, *controls],
                                         [psnr_plot, default_image, fresh_image, train_status, band_plot],
                                         concurrency_limit=1, concurrency_id="train", api_name="train")
        grid_event = grid_button.click(gpu(explorer.grid_check), [session, lr, *controls], [grid_plot, grid_status],
                                       concurrency_limit=1, concurrency_id="train", api_name="grid_check")
        stop_button.click(lambda: ("**Stopped.**", "**Stopped.**"), None, [train_status, grid_status],
                          cancels=[train_event, grid_event], api_name=False)
        share_query.change(None, share_query, share, js=SHARE_LINK_JS, api_name=False)
        presentation.change(lambda on: [gr.update(visible=not on)] * 4, presentation,
                            [advanced, upload, lr, share], js=PRESENTATION_JS, api_name=False)
    return demo


QUEUE_SIZE = 64  # waiting events beyond this are refused with "queue full"
SESSIONS_KEPT = 128  # per-session state beyond this is dropped, least recently used first


def serve(demo: gr.Blocks, **launch_options) -> gr.Blocks:
    """Queue and launch `demo` with the app's limits; returns it (for `close()`).

    Uploads are capped in size; no path outside Gradio's own cache is served."""
    demo.queue(max_size=QUEUE_SIZE).launch(max_file_size="50mb", css=CSS, state_session_capacity=SESSIONS_KEPT,
                                           **launch_options)
    return demo


def launch() -> None:
    """Start the app the way `python app.py` and a Hugging Face Space do."""
    serve(build_app())
