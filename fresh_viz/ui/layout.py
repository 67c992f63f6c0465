"""The page's layout: every widget, placed; no events (those are in `wiring`).

`Widgets` names each widget once; handlers return their results under these
names.  The elem_ids are the page's contract with links, tests and styling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import gradio as gr
import torch

from ..device import describe
from ..models import FAMILIES
from ..rules import RULES_NOTE, TRADE_OFF_GUIDE
from ..signals import PRESETS, SUFFIXES
from ..spectrum import MODE_TITLES, MODES
from ..state import BINS, Budget
from .explorer import thumbnails
from .knobs import LOG_STEP, to_slider

DEFAULT_PRESET = "astronaut"
UPLOAD_TYPES = list(SUFFIXES)
CONTROLS = {"family": "family", "value": "param_value", "second": "second", "seed": "seed", "bins": "bins",
            "mode": "mode", "width": "width", "depth": "depth", "log_y": "log_y"}  # Controls field -> widget


@dataclass
class Widgets:
    """Every widget of the page, by name."""

    session: gr.State
    presentation: gr.Checkbox
    notice: gr.Markdown
    gallery: gr.Gallery
    preset: gr.Dropdown
    upload: gr.File
    signal_info: gr.Markdown
    audio_start: gr.Number
    family: gr.Dropdown
    param_position: gr.Slider
    param_value: gr.Number
    second: gr.Slider
    seed: gr.Slider
    advanced: gr.Accordion
    bins: gr.Radio
    mode: gr.Radio
    log_y: gr.Checkbox
    width: gr.Slider
    depth: gr.Slider
    share: gr.Textbox
    share_query: gr.Textbox
    target_image: gr.Image
    output_image: gr.Image
    target_audio: gr.Audio
    output_audio: gr.Audio
    target_video: gr.Video
    output_video: gr.Video
    distance: gr.HTML
    spectra: gr.Plot
    cdf: gr.Plot
    dft: gr.Image
    full: gr.Checkbox
    fresh_button: gr.Button
    fresh_status: gr.Markdown
    extend_button: gr.Button
    export: gr.DownloadButton
    fresh_plot: gr.Plot
    steps: gr.Slider
    lr: gr.Number
    train_button: gr.Button
    stop_button: gr.Button
    train_status: gr.Markdown
    psnr_plot: gr.Plot
    default_image: gr.Image
    fresh_image: gr.Image
    default_audio: gr.Audio
    fresh_audio: gr.Audio
    default_video: gr.Video
    fresh_video: gr.Video
    band_plot: gr.Plot
    grid_button: gr.Button
    grid_status: gr.Markdown
    grid_plot: gr.Plot
    compare_button: gr.Button
    compare_status: gr.Markdown
    compare_plot: gr.Plot
    compare_spectra: gr.Plot
    compare_gallery: gr.Gallery
    compare_train_button: gr.Button
    compare_train_status: gr.Markdown
    compare_psnr: gr.Plot
    outputs_zip: gr.File
    outputs_status: gr.Markdown
    outputs_plot: gr.Plot
    outputs_config: gr.Dropdown
    outputs_spectra: gr.Plot

    def named(self, view: dict) -> dict:
        """A handler's results keyed by widget name -> keyed by the widgets themselves."""
        return {getattr(self, name): value for name, value in view.items()}

    def get(self, *names: str) -> list:
        return [getattr(self, name) for name in names]

    def controls(self) -> dict[str, gr.components.Component]:
        """The widgets whose values make up `Controls`, by Controls field."""
        return {field: getattr(self, name) for field, name in CONTROLS.items()}


def _players(*names_and_labels: str, prefix: str = "") -> dict:
    """Hidden audio and video players for pairs (name, label); shown for signals of their kind."""
    widgets = {}
    for name, label in zip(names_and_labels[::2], names_and_labels[1::2]):
        widgets[f"{name}_audio"] = gr.Audio(label=label, type="filepath", interactive=False, visible=False,
                                            elem_id=f"{prefix}{name}-audio")
        widgets[f"{name}_video"] = gr.Video(label=label, interactive=False, visible=False, loop=True,
                                            elem_id=f"{prefix}{name}-video")
    return widgets


def build_layout(device: torch.device, budget: Budget) -> Widgets:
    """Create and place every widget; call inside a `gr.Blocks` context."""
    first = FAMILIES["siren"].knobs[0]
    w: dict = {"session": gr.State(None)}
    with gr.Row():
        gr.Markdown("# FreSh Explorer\nAn untrained neural field already has a spectrum. Drag the slider to "
                    "move it; FreSh picks the value whose spectrum is closest to the target's, before any "
                    "training.")
        w["presentation"] = gr.Checkbox(False, label="Presentation mode (large, fewer controls)",
                                        elem_id="presentation-mode", scale=0, min_width=220)
    gr.Markdown(f"**Device:** {describe(device)}. {budget.note}", elem_id="device-note")
    w["notice"] = gr.Markdown(elem_id="query-notice")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            w["gallery"] = gr.Gallery(thumbnails(), label="Presets (click one)", columns=3, height=260,
                                      allow_preview=False, elem_id="preset-gallery")
            w["preset"] = gr.Dropdown([(p.title, name) for name, p in PRESETS.items()], value=DEFAULT_PRESET,
                                      label="Preset", elem_id="preset-select")
            w["upload"] = gr.File(label="...or upload an image, audio (WAV, FLAC, OGG, MP3), video (MP4, MOV, "
                                  "WebM, GIF...) or .npy", file_types=UPLOAD_TYPES, type="filepath",
                                  elem_id="signal-input")
            w["signal_info"] = gr.Markdown(elem_id="signal-info")
            w["audio_start"] = gr.Number(0.0, label="Window start (s)", minimum=0.0, visible=False,
                                         elem_id="audio-start")
            w["family"] = gr.Dropdown([(cls.title, name) for name, cls in FAMILIES.items()], value="siren",
                                      label="Model family", elem_id="model-family")
            # The number is the value itself (what people read and type); the slider beside it moves on a
            # log scale where the range spans decades.  The number comes first, so it is the first number
            # input inside #param-slider (the slider's own box, holding the log position, is hidden).
            with gr.Row(elem_id="param-slider", equal_height=True):
                w["param_value"] = gr.Number(first.default, label=first.label, minimum=first.low,
                                             maximum=first.high, elem_id="param-value", scale=1, min_width=90)
                w["param_position"] = gr.Slider(
                    round(math.log10(first.low), 4), round(math.log10(first.high), 4),
                    value=to_slider(first, first.default), step=LOG_STEP, elem_id="param-position", scale=3,
                    label=f"{first.label}: logarithmic slider, default {first.default:g}")
            w["second"] = gr.Slider(0, 5, value=0, step=0.05, label="bias k", visible=False,
                                    elem_id="param2-slider")
            w["seed"] = gr.Slider(0, 99, value=0, step=1, label="Seed", elem_id="seed-slider")
            with gr.Accordion("Advanced", open=False, elem_id="advanced") as advanced:
                w["bins"] = gr.Radio([str(b) for b in BINS], value="64", label="Spectrum size n (bins)",
                                     elem_id="bins-radio")
                w["mode"] = gr.Radio([(MODE_TITLES[m], m) for m in MODES], value="paper",
                                     label="Spectrum reduction", elem_id="mode-radio")
                w["log_y"] = gr.Checkbox(False, label="Log scale for spectra", elem_id="log-y")
                w["width"] = gr.Slider(16, 512, value=budget.width, step=16, label="Width", elem_id="width-slider")
                w["depth"] = gr.Slider(1, 6, value=budget.depth, step=1, label="Hidden layers",
                                       elem_id="depth-slider")
            w["advanced"] = advanced
            w["share"] = gr.Textbox(label="Link to this view", elem_id="share-link", interactive=False,
                                    buttons=["copy"])
            # The server knows the query; the browser knows the page's address (behind any proxy).
            w["share_query"] = gr.Textbox(visible="hidden", elem_id="share-query")
        with gr.Column(scale=2):
            with gr.Row():
                w["target_image"] = gr.Image(label="Target", interactive=False, elem_id="target-image",
                                             format="png")
                w["output_image"] = gr.Image(label="Untrained model output", interactive=False,
                                             elem_id="output-image", format="png")
            with gr.Row():
                w.update(_players("target", "Target", "output", "Untrained model output"))
            w["distance"] = gr.HTML(elem_id="wasserstein-value")
            with gr.Tabs():
                with gr.Tab("Spectra"):
                    w["spectra"] = gr.Plot(label="Spectra", elem_id="spectra-plot")
                with gr.Tab("What W measures"):
                    w["cdf"] = gr.Plot(label="Cumulative spectra", elem_id="cdf-plot")
                with gr.Tab("2-D DFT and bins"):
                    w["dft"] = gr.Image(label="log |DFT| of target (left) and model (right), centred; red: every "
                                        "8th bin of the current mode, yellow: the last compared bin",
                                        interactive=False, elem_id="dft-plot", format="png")
            gr.Markdown("Each plot's camera icon saves it as a PNG.")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown("### FreSh selection\nEvaluates untrained models over the family's grid and moves "
                        "the slider to the value with the smallest mean W.")
            w["full"] = gr.Checkbox(device.type != "cpu", label="Paper setting (10 seeds, full grid)",
                                    info="Off: fast mode, 2 seeds coarse-to-fine, more seeds only where the "
                                    "error bars overlap.", elem_id="fresh-full")
            w["fresh_button"] = gr.Button("Run FreSh", variant="primary", elem_id="fresh-button")
            w["fresh_status"] = gr.Markdown(elem_id="fresh-status")
            # Shown when the pick sits at the grid's edge and W still falls towards it.
            w["extend_button"] = gr.Button("Extend the grid", visible=False, elem_id="extend-grid-button")
            w["export"] = gr.DownloadButton("Download the selection (JSON)", elem_id="export-json")
        with gr.Column(scale=2):
            w["fresh_plot"] = gr.Plot(label="W against the parameter", elem_id="fresh-plot")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown("### Training race\nTrains the family's default and the slider's value side by side "
                        "with the same seed. Solid lines: PSNR on the samples trained on; dashed: on the "
                        "10 % held out.")
            w["steps"] = gr.Slider(10, budget.max_steps, value=budget.steps, step=10, label="Steps",
                                   elem_id="steps-slider")
            w["lr"] = gr.Number(FAMILIES["siren"].lr, label="Learning rate", elem_id="lr-number")
            with gr.Row():
                w["train_button"] = gr.Button("Train both", variant="primary", elem_id="train-button")
                w["stop_button"] = gr.Button("Stop", elem_id="stop-button")
            w["train_status"] = gr.Markdown(elem_id="train-status")
            with gr.Accordion("Why the dashed line can fall: fitting against interpolation", open=False,
                              elem_id="trade-off-guide"):
                gr.Markdown(f"{TRADE_OFF_GUIDE}\n\n{RULES_NOTE}")
        with gr.Column(scale=2):
            w["psnr_plot"] = gr.Plot(label="PSNR", elem_id="psnr-plot")
            with gr.Row():
                w["default_image"] = gr.Image(label="Default", interactive=False, elem_id="train-default-image",
                                              format="png")
                w["fresh_image"] = gr.Image(label="Slider value", interactive=False, elem_id="train-fresh-image",
                                            format="png")
            with gr.Row():
                w.update(_players("default", "Default", "fresh", "Slider value", prefix="train-"))
            w["band_plot"] = gr.Plot(label="Error per frequency band", elem_id="band-error-plot")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown(f"### Grid search check\nTrains *every* value of the grid for {budget.grid_steps} "
                        "steps (all at once, same seed) and plots PSNR next to W: does the W minimum sit "
                        "near the PSNR maximum? Stop halts it.")
            w["grid_button"] = gr.Button("Check against a grid search", elem_id="grid-button")
            w["grid_status"] = gr.Markdown(elem_id="grid-status")
        with gr.Column(scale=2):
            w["grid_plot"] = gr.Plot(label="W and PSNR against the parameter", elem_id="grid-plot")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown("### Which family fits this signal?\nRuns FreSh for every model family on this signal "
                        "(fast mode unless the paper setting is ticked above) and shows each family's choice, its "
                        "W with the error bar, its untrained output and its spectrum. Then train them all at "
                        "their chosen values for the race's number of steps, each with its own learning rate.")
            w["compare_button"] = gr.Button("Compare all families", variant="primary", elem_id="compare-button")
            w["compare_status"] = gr.Markdown(elem_id="compare-status")
            w["compare_train_button"] = gr.Button("Train every family", elem_id="compare-train-button")
            w["compare_train_status"] = gr.Markdown(elem_id="compare-train-status")
        with gr.Column(scale=2):
            w["compare_plot"] = gr.Plot(label="W per family", elem_id="compare-plot")
            w["compare_gallery"] = gr.Gallery(label="Untrained outputs at each family's choice", columns=3,
                                              height=300, allow_preview=True, elem_id="compare-gallery")
            w["compare_spectra"] = gr.Plot(label="Spectra per family", elem_id="compare-spectra-plot")
            w["compare_psnr"] = gr.Plot(label="PSNR per family", elem_id="compare-psnr-plot")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            gr.Markdown("### Your model's outputs\nSave about 10 untrained outputs of your own network per "
                        "configuration as `<configuration>/<i>.npy` (arrays (C, H, W) or (H, W, C), optionally "
                        "with a leading frame axis: the FreSh reference's layout), zip the folder and upload it: "
                        "W of every configuration against the current target, with error bars. The command-line "
                        "twin is `python -m fresh_viz outputs`.")
            w["outputs_zip"] = gr.File(label="Outputs folder (.zip)", file_types=[".zip"], type="filepath",
                                       elem_id="outputs-zip")
            w["outputs_status"] = gr.Markdown(elem_id="outputs-status")
            w["outputs_config"] = gr.Dropdown([], label="Spectra of configuration", elem_id="outputs-config")
        with gr.Column(scale=2):
            w["outputs_plot"] = gr.Plot(label="W per configuration", elem_id="outputs-plot")
            w["outputs_spectra"] = gr.Plot(label="Spectra", elem_id="outputs-spectra-plot")
    return Widgets(**{f.name: w[f.name] for f in fields(Widgets)})
