"""Your model's outputs: a .zip of untrained outputs saved in the reference's layout
(`<configuration>/<i>.npy`), compared with the current target's spectrum."""

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
from .explorer import Explorer


class SavedOutputs:
    """Handlers of the "Your model's outputs" panel; the result goes to the session under "outputs"."""

    def __init__(self, explorer: Explorer):
        self.explorer = explorer

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
                                       device=self.explorer.device)
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
                "outputs_config": gr.update(choices=labels, value=best), "outputs_status": status,
                **self.show(state, best)}

    def show(self, state: Session | None, label: str | None) -> dict:
        """The target's spectrum and one configuration's mean untrained spectrum, overlaid."""
        selection = (state.extras.get("outputs") if state else None)
        if selection is None or label not in selection.labels:
            return {}
        i = selection.labels.index(label)
        figure = plots.spectra_figure(torch.tensor(selection.target_spectrum), torch.tensor(selection.model_spectra[i]),
                                      selection.mode, distance=selection.distance[i])
        figure.update_traces(name=f"{label} (mean of its outputs)", selector=dict(name="untrained model"))
        return {"outputs_spectra": figure}
