"""The Your model tab: a .zip of untrained outputs saved in the reference's layout
(`<configuration>/<i>.npy`) compared with the current target's spectrum, and the few lines
that run FreSh on your own network."""

from __future__ import annotations

import gradio as gr
import torch

from .. import plots
from ..archive import ArchiveError, read_outputs_zip
from ..confidence import odds
from ..external import select_outputs
from ..outputs import OutputsError
from ..signals import Signal, SignalError, load_signal, make_preset
from ..state import Controls, Session
from .page import GPU_SECONDS, Context, Page, on_gpu
from .prose import OUTPUTS_INTRO

ENDPOINTS = {"outputs": ("outputs_plot", "outputs_config", "outputs_status", "outputs_spectra", "outputs_hint")}
YOUR_NETWORK = """\
import torch, fresh_viz

signal = fresh_viz.load_signal("photo.png", size=128)    # or fresh_viz.make_preset("astronaut", 128)

def make_model(omega, seed):                              # any nn.Module or callable: (P, d) -> (P, C)
    return torch.nn.Sequential(torch.nn.Linear(2, 256), Sine(omega), torch.nn.Linear(256, 3))

pick = fresh_viz.select_model(signal, make_model, values=range(10, 201, 10), seeds=10)
print(pick.best, pick.plausible, pick.edge)               # the value, the values as likely, a grid too short
"""


class SavedOutputs:
    """The Your model tab's handlers; the result goes to the session under "outputs"."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def target_at(self, state: Session, side: int) -> Signal:
        """The session's signal at the resolution the outputs were saved at (W depends on resolution
        near Nyquist): a preset made at that size, an upload read again from its file."""
        if state.preset is not None:
            return make_preset(state.preset, side)
        if state.path is not None and state.signal.kind == "image":
            return load_signal(state.path, side)
        return state.signal

    def load(self, state: Session | None, path: str | None, controls: Controls) -> dict:
        """Read the archive (untrusted: limits checked before reading, no pickles, no paths outside),
        compute W for every configuration against the target, plot them with their error bars."""
        if state is None:
            raise gr.Error("load a signal first")
        if not path:
            return {}
        try:
            outputs = read_outputs_zip(path)
            first = next(iter(outputs.values()))[0]
            side = max(first.shape[-3:-1] if first.shape[-1] <= 4 else first.shape[-2:])
            selection = select_outputs(self.target_at(state, side), outputs, bins=controls.bins, mode=controls.mode,
                                       device=self.ctx.device)
        except (ArchiveError, OutputsError, SignalError, ValueError) as err:
            raise gr.Error(str(err)) from None
        state.extras["outputs"] = selection
        labels, best = selection.labels, selection.labels[selection.best_index]
        counts = ", ".join(sorted({str(n) for n in selection.seed_counts}))
        status = (f"**Best: {best}** (W = {selection.distance[selection.best_index]:.3f} ± "
                  f"{selection.stderr[selection.best_index]:.3f}); {odds(selection)}; among {len(labels)} "
                  f"configurations, {counts} outputs each, {controls.mode} mode, {controls.bins} bins; "
                  f"{selection.seconds:.1f} s.")
        plausible = [labels[selection.values.index(v)] for v in selection.plausible]
        return {"outputs_plot": plots.selection_figure(labels, selection.distance, selection.stderr, best,
                                                       "configuration", frequency=selection.pick_frequency,
                                                       plausible=plausible),
                "outputs_config": gr.update(choices=labels, value=best, visible=True), "outputs_status": status,
                "outputs_hint": gr.update(visible=False),
                **self.show(state, best)}

    def show(self, state: Session | None, label: str | None) -> dict:
        """The target's spectrum and one configuration's mean untrained spectrum, overlaid."""
        selection = (state.extras.get("outputs") if state else None)
        if selection is None or label not in selection.labels:
            return {}
        i = selection.labels.index(label)
        figure = plots.spectra_figure(torch.tensor(selection.target_spectrum), torch.tensor(selection.model_spectra[i]),
                                      selection.mode, distance=selection.distance[i],
                                      model_name=f"{label} (mean of its outputs)")
        return {"outputs_spectra": figure}


def build_tab(page: Page) -> None:
    """The Your model tab's widgets (call inside `gr.Tab`)."""
    left, right = page.section(OUTPUTS_INTRO)
    with left:
        page.add("outputs_zip", gr.File(label="Outputs folder (.zip)", file_types=[".zip"], type="filepath",
                                        elem_id="outputs-zip"))
        page.add("outputs_status", gr.Markdown(elem_id="outputs-status"))
        page.add("outputs_config", gr.Dropdown([], label="Spectra of configuration", elem_id="outputs-config",
                                               visible=False))
    with right:
        page.add("outputs_hint", gr.Markdown("Upload a .zip of outputs to see W per configuration and any "
                                             "configuration's spectrum against the target's.", elem_id="outputs-hint"))
        page.add("outputs_plot", gr.Plot(label="W per configuration", elem_id="outputs-plot", visible=False),
                 reveal=True)
        page.add("outputs_spectra", gr.Plot(label="Spectra", elem_id="outputs-spectra-plot", visible=False),
                 reveal=True)
    gr.Markdown("### Or run FreSh on your network directly\nThe library evaluates your untrained network on the "
                "signal's grid for every value and seed (`fresh_viz.select_model`), with the same spectra, rules "
                "and confidence as the built-in families; `python -m fresh_viz select --help` has the command "
                "line.")
    gr.Code(YOUR_NETWORK, language="python", interactive=False, elem_id="your-network-code")


def wire(page: Page, saved: SavedOutputs) -> None:
    """The Your model tab's events."""
    session = page["session"]

    def outputs_uploaded(state, path: str | None, **raw) -> dict:
        return page.named(saved.load(state, path, Controls.from_page(**raw)))

    def outputs_config_chosen(state, label: str | None) -> dict:
        return page.named(saved.show(state, label))

    page.on(page["outputs_zip"].upload, on_gpu(outputs_uploaded, GPU_SECONDS["light"]),
            [session, page["outputs_zip"]], ENDPOINTS["outputs"], "outputs", inputs_kwargs=page.controls(),
            concurrency_limit=1, concurrency_id="fresh")
    page.on(page["outputs_config"].input, outputs_config_chosen, [session, page["outputs_config"]],
            ("outputs_spectra",))
