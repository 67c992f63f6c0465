"""The page's events: which widget triggers which handler, with what inputs and outputs.

Controls reach every handler by name (Gradio's keyword inputs) and are read into
one `Controls`; results come back by widget name (see `layout.Widgets.named`).
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from ..signals import PRESETS
from ..state import Controls
from .compare import FamilyComparison
from .explorer import PREVIEW, SIGNAL, Explorer
from .layout import Widgets
from .saved_outputs import SavedOutputs

# Presentation mode: larger type everywhere (plots keep their size; the browser's own zoom
# enlarges them too, which Plotly follows, unlike a CSS zoom).
PRESENTATION_JS = "(on) => { document.body.classList.toggle('presentation', on); return on; }"
SHARE_LINK_JS = "(query) => window.location.origin + window.location.pathname + query"
OUTPUT_PLAYERS = ("output_audio", "output_video")
CLIENT_UNSEEN = ("session", "extend_button")  # outputs that never reach an API client: state and buttons
FRESH_VIEW = ("session", "fresh_plot", "param_position", "param_value", "fresh_status", "extend_button", "export",
              *PREVIEW, *OUTPUT_PLAYERS)
# What each API endpoint returns, in order (gradio_client gives a tuple without those in CLIENT_UNSEEN).
ENDPOINTS = {
    "choose_preset": SIGNAL,
    "upload": SIGNAL,
    "preview": ("param_value", *PREVIEW),
    "fresh": FRESH_VIEW,
    "extend_grid": FRESH_VIEW,  # FreSh again over a grid extended beyond its pick's edge
    "train": ("psnr_plot", "default_image", "fresh_image", "train_status", "band_plot", "default_audio",
              "fresh_audio", "default_video", "fresh_video"),
    "grid_check": ("grid_plot", "grid_status"),
    "compare": ("compare_plot", "compare_spectra", "compare_gallery", "compare_status"),
    "compare_train": ("compare_psnr", "compare_train_status"),
    "outputs": ("outputs_plot", "outputs_config", "outputs_status", "outputs_spectra"),
}


def gpu(fn: Callable) -> Callable:
    """Run on ZeroGPU when the `spaces` package is present (Hugging Face); a no-op elsewhere."""
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(fn)


def wire(demo: gr.Blocks, w: Widgets, explorer: Explorer) -> None:
    """Connect every event of the page to the explorer's handlers."""
    controls = w.controls()
    preview_out = w.get(*PREVIEW)
    signal_out = w.get(*SIGNAL)
    live = dict(trigger_mode="always_last", show_progress="hidden", concurrency_limit=2, concurrency_id="preview")

    def page_opened(request: gr.Request, name: str, **raw) -> dict:
        return w.named(explorer.open_page(request, name, Controls.from_page(**raw)))

    def preset_picked(evt: gr.SelectData) -> str:
        return list(PRESETS)[evt.index]

    def preset_chosen(name: str, **raw) -> dict:
        return w.named(explorer.choose_preset(name, Controls.from_page(**raw)))

    def uploaded(path: str | None, state, **raw) -> dict:
        return w.named(explorer.upload(path, state, Controls.from_page(**raw)))

    def family_changed(state, **raw) -> dict:
        return w.named(explorer.family_changed(state, Controls.from_page(**raw)))

    def slider_moved(state, position: float, **raw) -> dict:
        return w.named(explorer.preview_at_position(state, position, Controls.from_page(**raw)))

    def value_typed(state, **raw) -> dict:
        return w.named(explorer.preview_at_value(state, Controls.from_page(**raw)))

    def control_changed(state, **raw) -> dict:
        return w.named(explorer.preview(state, Controls.from_page(**raw)))

    def slider_released(state, **raw) -> dict:
        return w.named(explorer.play_output(state, Controls.from_page(**raw)))

    def window_moved(state, start: float | None, **raw) -> dict:
        return w.named(explorer.move_window(state, start, Controls.from_page(**raw)))

    def fresh_pressed(state, full: bool, progress=gr.Progress(), **raw) -> dict:  # noqa: B008 (Gradio injects it)
        report = lambda fraction, message: progress(fraction, desc=message)  # noqa: E731
        return w.named(explorer.fresh(state, full, Controls.from_page(**raw), report))

    def extend_pressed(state, full: bool, progress=gr.Progress(), **raw) -> dict:  # noqa: B008 (Gradio injects it)
        report = lambda fraction, message: progress(fraction, desc=message)  # noqa: E731
        return w.named(explorer.extend(state, full, Controls.from_page(**raw), report))

    def train_pressed(state, steps: float, lr: float | None, **raw):
        for view in explorer.train(state, steps, lr, Controls.from_page(**raw)):
            yield w.named(view)

    def grid_pressed(state, lr: float | None, **raw):
        for view in explorer.grid_check(state, lr, Controls.from_page(**raw)):
            yield w.named(view)

    comparison = FamilyComparison(explorer)

    def compare_pressed(state, full: bool, progress=gr.Progress(), **raw) -> dict:  # noqa: B008 (Gradio injects it)
        report = lambda fraction, message: progress(fraction, desc=message)  # noqa: E731
        return w.named(comparison.compare(state, full, Controls.from_page(**raw), report))

    saved = SavedOutputs(explorer)

    def outputs_uploaded(state, path: str | None, **raw) -> dict:
        return w.named(saved.load(state, path, Controls.from_page(**raw)))

    def outputs_config_chosen(state, label: str | None) -> dict:
        return w.named(saved.show(state, label))

    def compare_train_pressed(state, steps: float, **raw):
        for view in comparison.train_all(state, steps, Controls.from_page(**raw)):
            yield w.named(view)

    output_players = w.get(*OUTPUT_PLAYERS)
    on_knob = [w.param_position, w.param_value, w.second, w.lr, *preview_out, *output_players]
    demo.load(gpu(page_opened), [w.preset], signal_out + w.get("family", "second", "seed", "bins", "mode", "notice"),
              inputs_kwargs=controls, api_name=False)
    w.gallery.select(preset_picked, None, w.preset, api_name=False).then(
        gpu(preset_chosen), [w.preset], signal_out, inputs_kwargs=controls, api_name=False)
    w.preset.input(gpu(preset_chosen), [w.preset], w.get(*ENDPOINTS["choose_preset"]), inputs_kwargs=controls,
                   api_name="choose_preset")
    w.upload.upload(gpu(uploaded), [w.upload, w.session], w.get(*ENDPOINTS["upload"]), inputs_kwargs=controls,
                    api_name="upload")
    w.family.input(gpu(family_changed), [w.session], on_knob, inputs_kwargs=controls, show_progress="hidden",
                   api_name=False)
    w.param_position.input(gpu(slider_moved), [w.session, w.param_position], w.get(*ENDPOINTS["preview"]),
                           inputs_kwargs=controls, api_name="preview", **live)
    for event in (w.param_value.submit, w.param_value.blur):
        event(gpu(value_typed), [w.session], [w.param_position, w.param_value, *preview_out], inputs_kwargs=controls,
              api_name=False, **live)
    for control in (w.second, w.seed, w.width, w.depth, w.bins, w.mode, w.log_y):
        control.input(gpu(control_changed), [w.session], preview_out, inputs_kwargs=controls, api_name=False, **live)
    # Players follow the untrained output once a slider is let go, not on every step of a drag.
    for slider in (w.param_position, w.second, w.seed, w.width, w.depth):
        slider.release(gpu(slider_released), [w.session], output_players, inputs_kwargs=controls, api_name=False,
                       **live)
    for event in (w.param_value.submit, w.param_value.blur):
        event(gpu(slider_released), [w.session], output_players, inputs_kwargs=controls, api_name=False, **live)
    for event in (w.audio_start.submit, w.audio_start.blur):
        event(gpu(window_moved), [w.session, w.audio_start], signal_out, inputs_kwargs=controls, api_name=False)
    w.fresh_button.click(gpu(fresh_pressed), [w.session, w.full], w.get(*ENDPOINTS["fresh"]), inputs_kwargs=controls,
                         concurrency_limit=1, concurrency_id="fresh", api_name="fresh")
    w.extend_button.click(gpu(extend_pressed), [w.session, w.full], w.get(*ENDPOINTS["extend_grid"]),
                          inputs_kwargs=controls, concurrency_limit=1, concurrency_id="fresh", api_name="extend_grid")
    train_event = w.train_button.click(gpu(train_pressed), [w.session, w.steps, w.lr], w.get(*ENDPOINTS["train"]),
                                       inputs_kwargs=controls, concurrency_limit=1, concurrency_id="train",
                                       api_name="train")
    grid_event = w.grid_button.click(gpu(grid_pressed), [w.session, w.lr], w.get(*ENDPOINTS["grid_check"]),
                                     inputs_kwargs=controls, concurrency_limit=1, concurrency_id="train",
                                     api_name="grid_check")
    w.compare_button.click(gpu(compare_pressed), [w.session, w.full], w.get(*ENDPOINTS["compare"]),
                           inputs_kwargs=controls, concurrency_limit=1, concurrency_id="fresh", api_name="compare")
    compare_event = w.compare_train_button.click(
        gpu(compare_train_pressed), [w.session, w.steps], w.get(*ENDPOINTS["compare_train"]),
        inputs_kwargs=controls, concurrency_limit=1, concurrency_id="train", api_name="compare_train")
    w.outputs_zip.upload(gpu(outputs_uploaded), [w.session, w.outputs_zip], w.get(*ENDPOINTS["outputs"]),
                         inputs_kwargs=controls, concurrency_limit=1, concurrency_id="fresh", api_name="outputs")
    w.outputs_config.input(outputs_config_chosen, [w.session, w.outputs_config], [w.outputs_spectra],
                           api_name=False)
    w.stop_button.click(lambda: ("**Stopped.**",) * 3, None, [w.train_status, w.grid_status, w.compare_train_status],
                        cancels=[train_event, grid_event, compare_event], api_name=False)
    w.share_query.change(None, w.share_query, w.share, js=SHARE_LINK_JS, api_name=False)
    w.presentation.change(lambda on: [gr.update(visible=not on)] * 4, w.presentation,
                          [w.advanced, w.upload, w.lr, w.share], js=PRESENTATION_JS, api_name=False)
