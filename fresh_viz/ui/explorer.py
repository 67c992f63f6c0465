"""The explorer's handlers: one method per event, callable without a browser.

Every handler takes the session (a `Session`, held per browser in a gr.State) and
the page's `Controls`, and returns a dict of results keyed by the name of the
widget that shows each one (see `layout.Widgets`); generators yield such dicts.
The math lives in `fresh`, `models`, `spectrum` and `train`; figures in `plots`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from .. import plots
from ..confidence import edge_words, extend_grid, in_words
from ..fresh import Progress, Selection, select_embedding
from ..models import FAMILIES, build, render
from ..signals import (
    AUDIO_SUFFIXES,
    IMAGE_SUFFIXES,
    KIND_NDIM,
    PRESETS,
    VIDEO_SUFFIXES,
    Signal,
    SignalError,
    grid_coords,
    load_signal,
    make_preset,
    resize_signal,
)
from ..spectrum import band_errors
from ..state import Budget, Controls, Session, controls_from_query, query_for
from ..train import fit
from .files import OutputFiles
from .knobs import from_slider, knob_updates, number_update

UI_INTERVAL = 0.3  # seconds between training updates on screen
PREVIEW = ("output_image", "spectra", "distance", "cdf", "dft", "share_query")
PLAYED = ("target", "output", "default", "fresh")  # what gets an audio or video player: name_audio, name_video
PLAYERS = tuple(f"{name}_{kind}" for name in PLAYED for kind in ("audio", "video"))
SIGNAL = ("session", "target_image", "signal_info", "preset", "param_position", "param_value", "audio_start",
          *PREVIEW, *PLAYERS)


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


class Explorer:
    """The main page's handlers (signal, live preview, FreSh, training race, grid check)."""

    def __init__(self, device: torch.device, budget: Budget):
        self.device, self.budget = device, budget
        self.files = OutputFiles()

    def picture(self, values: torch.Tensor, kind: str) -> str:
        return self.files.save(plots.picture(values, kind))

    def players(self, signal: Signal, **played: torch.Tensor | None) -> dict:
        """Audio or video players (for signals of that kind; hidden otherwise) for each named
        output: name=values (C, *spatial) loads a new file, name=None empties the player."""
        views = {}
        for name, values in played.items():
            for kind in ("audio", "video"):
                if signal.kind != kind:
                    views[f"{name}_{kind}"] = gr.update(visible=False, value=None)
                elif values is None:
                    views[f"{name}_{kind}"] = gr.update(visible=True, value=None)
                elif kind == "audio":
                    views[f"{name}_{kind}"] = gr.update(visible=True, value=self.files.save_audio(
                        values, signal.sample_rate or 16000))
                else:
                    views[f"{name}_{kind}"] = gr.update(visible=True, value=self.files.save_video(
                        values, signal.sample_rate or 8))
        return views

    def untrained_output(self, signal: Signal, controls: Controls) -> torch.Tensor:
        """The untrained model over the signal's whole grid (every frame, every sample): (C, *spatial)."""
        model = build(controls.family, signal.ndim, signal.channels, [controls.seed], controls.width, controls.depth,
                      controls.knob_values(signal.ndim), self.device, shape=signal.spatial_shape)
        with torch.inference_mode():
            output = render(model, grid_coords(signal.spatial_shape, self.device))
        return output[0].reshape(signal.channels, *signal.spatial_shape).cpu()

    def play_output(self, state: Session | None, controls: Controls) -> dict:
        """The untrained output's player, once a slider is let go (not on every step of a drag)."""
        if state is None or state.signal.kind not in ("audio", "video"):
            return {}
        return self.players(state.signal, output=self.untrained_output(state.signal, controls))

    # -- the live preview

    def preview(self, state: Session | None, controls: Controls) -> dict:
        """The untrained model's picture, spectra, distance, CDF, DFT view and share link."""
        if state is None:
            return {}
        signal = state.signal
        sweep = state.sweep_for(controls, self.device)
        values = controls.knob_values(signal.ndim)
        knob = controls.knob(signal.ndim)
        result = sweep.preview(values[knob.name], controls.seed, controls.other_values(signal.ndim))
        labels = [k.label for k in controls.model.knobs]
        shown = ", ".join(f"{label} = {v:g}" for label, v in zip(labels, values.values()))
        grid = " x ".join(str(s) for s in sweep.grid)
        html = (f"<div class='w-number'>W = {result.distance:.3f}</div>"
                f"<div class='w-caption'>{shown}, seed {controls.seed}; {controls.mode} mode, {controls.bins} "
                f"bins, {grid} grid; computed in {result.seconds * 1000:.0f} ms</div>")
        dft = None
        if len(sweep.grid) == 2:
            if state.target_dft is None:  # fixed while the sweep is: drawn once, not on every slider move
                state.target_dft = plots.dft_picture(sweep.target, sweep.reduction.index, controls.bins)
            model_dft = plots.dft_picture(result.output, sweep.reduction.index, controls.bins)
            gap = np.full((model_dft.shape[0], 8, 3), 255, np.uint8)
            dft = self.files.save(np.concatenate([state.target_dft, gap, model_dft], axis=1))
        return {
            "output_image": self.picture(result.output, signal.kind),
            "spectra": plots.spectra_figure(result.target_spectrum, result.spectrum, controls.mode, controls.log_y,
                                            result.distance),
            "distance": html,
            "cdf": plots.cdf_figure(result.target_spectrum, result.spectrum, result.distance),
            "dft": dft,
            "share_query": query_for(state.preset, controls, signal.ndim),
        }

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
        guide = PRESETS[state.preset].guide if state.preset else "An uploaded signal."
        knob = controls.knob(signal.ndim)
        window = signal.window if signal.kind == "audio" and state.path else None
        start = gr.update(visible=False) if window is None else gr.update(
            visible=True, value=round(window.start, 3), maximum=window.total,
            label=f"Window start (s): analysing {window.duration:.2f} s of {window.total:.2f} s")
        shown = replace(controls, value=knob.default if controls.value is None else controls.value)
        return {"session": state, "target_image": self.picture(signal.values, signal.kind),
                "signal_info": f"**{signal.describe()}** ({state.source})\n\n{guide}",
                "preset": gr.update(value=state.preset), "audio_start": start, **knob_updates(knob, controls.value),
                **self.preview(state, controls),
                **self.players(signal, target=signal.values, output=self.untrained_output(signal, shown),
                               default=None, fresh=None)}

    def choose_preset(self, name: str, controls: Controls) -> dict:
        return self.show_signal(load_preset(name, self.budget), replace(controls, value=None))

    def open_page(self, request: gr.Request | None, name: str, controls: Controls) -> dict:
        """First load: the query (?signal=&model=&value=&seed=&bins=&mode=) sets the controls."""
        query = dict(request.query_params) if request is not None else {}
        ndims = {preset: KIND_NDIM[p.kind] for preset, p in PRESETS.items()}
        preset, chosen, notices = controls_from_query(query, controls, list(PRESETS), ndims)
        state = load_preset(preset or name, self.budget)
        return {**self.show_signal(state, chosen), "family": gr.update(value=chosen.family),
                "second": second_knob_update(chosen.family, state.signal.ndim), "seed": gr.update(value=chosen.seed),
                "bins": gr.update(value=str(chosen.bins)), "mode": gr.update(value=chosen.mode),
                "notice": "Link: " + "; ".join(notices) + "." if notices else ""}

    def upload(self, path: str | None, state: Session | None, controls: Controls) -> dict:
        if not path:
            return {}
        try:
            fresh = load_upload(path, self.budget)
        except SignalError as err:
            raise gr.Error(str(err)) from None
        return self.show_signal(fresh, replace(controls, value=None))

    def move_window(self, state: Session | None, start: float | None, controls: Controls) -> dict:
        """Analyse another window of an uploaded recording, from `start` seconds."""
        if state is None or state.path is None or state.signal.kind != "audio":
            return {}
        try:
            moved = load_upload(state.path, self.budget, float(start or 0.0))
        except (SignalError, OSError) as err:
            raise gr.Error(str(err)) from None
        return self.show_signal(moved, controls)

    def family_changed(self, state: Session | None, controls: Controls) -> dict:
        """A new family: its knobs at their defaults, its learning rate, and the preview."""
        ndim = state.signal.ndim if state else 2
        chosen = replace(controls, value=None, second=None)
        return {**knob_updates(chosen.knob(ndim)), "second": second_knob_update(chosen.family, ndim),
                "lr": chosen.model.lr, **self.preview(state, chosen), **self.play_output(state, chosen)}

    # -- FreSh

    def select(self, state: Session, controls: Controls, fast: bool, progress: Progress | None = None,
               values: list[float] | None = None) -> Selection:
        """FreSh over `values` (default the family's grid) at the session's settings; kept as the session's
        selection."""
        ndim = state.signal.ndim
        state.selection = select_embedding(
            state.signal, controls.family, values, seeds=10, bins=controls.bins, mode=controls.mode,
            width=controls.width, depth=controls.depth, fixed=controls.fixed_values(ndim), device=self.device,
            fast=fast, progress=progress, max_seconds=self.budget.max_seconds)
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
        export = self.files.save_text(json.dumps({"signal": state.source, **result.to_json(spectra=True)}, indent=1),
                                      f"fresh-{state.signal.name}-{result.model}.json")
        chosen = replace(controls, value=result.best)
        second = {}
        if len(controls.model.knobs) > 1 and controls.second is None:  # show the value the reference held
            extra = controls.model.knobs[1].name
            chosen = replace(chosen, second=result.fixed.get(extra))
            second = {"second": second_knob_update(controls.family, state.signal.ndim, chosen.second)}
        return {"session": state, **second,
                "fresh_plot": plots.selection_figure(result.values, result.distance, result.stderr, result.best,
                                                     knob.label, knob.log, result.pick_frequency, result.plausible),
                "fresh_status": f"**{in_words(result, knob.label)}** (W = {result.distance[result.best_index]:.3f}); "
                                f"{sum(result.seed_counts)} untrained models in {result.seconds:.1f} s, "
                                f"{setting}.{capped}{edge}",
                "extend_button": gr.update(visible=bool(beyond), value=f"Extend the grid {side} {result.best:g}"),
                "export": gr.update(value=export), **knob_updates(knob, result.best),
                **self.preview(state, chosen), **self.play_output(state, chosen)}

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

    # -- training

    def train(self, state: Session | None, steps: float, lr: float | None, controls: Controls) -> Iterator[dict]:
        """Race the family default against the knob's value with the same seed."""
        if state is None:
            raise gr.Error("load a signal first")
        signal = state.signal
        knob = controls.knob(signal.ndim)
        default, chosen = controls.default_values(signal.ndim), controls.knob_values(signal.ndim)
        # The default member is the family's default in every knob; the other is the page's setting.
        model = build(controls.family, signal.ndim, signal.channels, [controls.seed] * 2, controls.width,
                      controls.depth, {k: [default[k], chosen[k]] for k in default}, self.device,
                      shape=signal.spatial_shape)
        labels = {k.name: k.label for k in controls.model.knobs}
        names = [f"default {knob.label}={knob.default:g}",
                 ", ".join(f"{labels[k]}={v:g}" for k, v in chosen.items() if k == knob.name or v != default[k])]
        curves: dict[str, list] = {n: [] for n in names}
        bands: dict[str, list] = {n: [] for n in names}
        target = signal.values.to(self.device)
        total = max(1, min(int(steps), self.budget.max_steps))
        last_shown = 0.0
        for report in fit(model, signal.values, total, lr if lr and lr > 0 else None, max(1, total // 100),
                          seed=controls.seed, max_seconds=self.budget.max_seconds):
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
                    f"{n}: {report.psnr[i]:.2f} dB on all samples, {report.test_psnr[i]:.2f} dB held out "
                    f"(gap {report.train_psnr[i] - report.test_psnr[i]:+.2f} dB)" for i, n in enumerate(names))
            played = self.players(signal, default=report.reconstruction[0].cpu(),
                                  fresh=report.reconstruction[1].cpu()) if report.done else {}
            yield {"psnr_plot": plots.psnr_figure(curves, total),
                   "default_image": self.picture(report.reconstruction[0], signal.kind),
                   "fresh_image": self.picture(report.reconstruction[1], signal.kind),
                   "train_status": status, "band_plot": plots.band_error_figure(bands), **played}

    def grid_check(self, state: Session | None, lr: float | None, controls: Controls) -> Iterator[dict]:
        """Train every value of the family's grid for a short budget, all at once (one
        ensemble, same seed), and plot PSNR next to W as it comes in."""
        if state is None:
            raise gr.Error("load a signal first")
        signal = state.signal
        knob = controls.knob(signal.ndim)
        grid = list(knob.grid)
        values = controls.knob_values(signal.ndim)
        model = build(controls.family, signal.ndim, signal.channels, [controls.seed] * len(grid), controls.width,
                      controls.depth, {**values, knob.name: grid}, self.device, shape=signal.spatial_shape)
        # A FreSh result made with other settings would show the wrong W curve: compute a fast one then.
        selection = state.selection_for(controls) or self.select(state, controls, fast=True)
        distance = [selection.distance[selection.values.index(v)] if v in selection.values else None for v in grid]
        best = selection.best
        steps = self.budget.grid_steps
        for report in fit(model, signal.values, steps, lr if lr and lr > 0 else None, max(1, steps // 5),
                          seed=controls.seed, max_seconds=self.budget.max_seconds):
            if report.step == 0:
                continue
            peak = grid[max(range(len(grid)), key=lambda i: report.test_psnr[i])]
            status = (f"{len(grid)} values trained together, step {report.step}/{steps}, {report.seconds:.1f} s. "
                      f"Best held-out PSNR so far at {knob.label} = {peak:g}; FreSh chose {best:g}.")
            if report.done:
                status = "**Done.** " + status
            yield {"grid_plot": plots.grid_check_figure(grid, distance, report.train_psnr, report.test_psnr, best,
                                                        knob.label, report.step, knob.log),
                   "grid_status": status}

