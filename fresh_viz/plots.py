"""Figures: signals as pictures, spectra, the FreSh curve and PSNR curves.

Plotly figures for the interactive views; plain uint8 arrays for pictures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch

from .spectrum import MODE_TITLES, normalised

TARGET_COLOUR, MODEL_COLOUR, FRESH_COLOUR = "#1f77b4", "#d62728", "#2ca02c"
WAVE_SIZE = (160, 640)  # height, width of a waveform picture
LEGEND_ROW = 22  # pixels a figure grows by for each legend row beyond the first


def picture(values: torch.Tensor, kind: str, min_side: int = 320) -> np.ndarray:
    """A signal (C, *spatial) in [-1, 1] as an (H, W, 3) uint8 picture:
    the image itself, a waveform for audio, a strip of frames for video.
    Small images are enlarged by whole pixels (no blur) to about `min_side`."""
    values = values.detach().float().cpu().clamp(-1, 1)
    if values.dim() == 2:
        return waveform(values)
    if values.dim() == 4:
        frames = values.shape[1]
        picks = np.linspace(0, frames - 1, min(frames, 6)).round().astype(int)
        gap = torch.ones(values.shape[0], values.shape[2], 2)
        strip = [part for i in picks for part in (values[:, i], gap)][:-1]
        values = torch.cat(strip, dim=-1)
    factor = max(1, min_side // max(values.shape[1:]))
    return image_array(values.repeat_interleave(factor, 1).repeat_interleave(factor, 2))


def image_array(values: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [-1, 1] -> (H, W, 3) uint8; grey for 1 or 2 channels."""
    if values.shape[0] >= 3:
        rgb = values[:3]
    else:
        rgb = values.mean(0, keepdim=True).expand(3, -1, -1)
    return ((rgb.permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.uint8)


def waveform(values: torch.Tensor, size: tuple[int, int] = WAVE_SIZE) -> np.ndarray:
    """(C, L) in [-1, 1] -> an (H, W, 3) picture of the min/max envelope per column."""
    height, width = size
    samples = values.mean(0).numpy()
    columns = np.array_split(samples, min(width, len(samples)))
    low = np.array([c.min() for c in columns])
    high = np.array([c.max() for c in columns])
    rows = np.arange(height)[:, None]
    to_row = lambda v: ((1 - v) / 2 * (height - 1)).round()  # noqa: E731
    ink = (rows >= to_row(high)[None]) & (rows <= to_row(low)[None])
    canvas = np.full((height, len(columns), 3), 255, np.uint8)
    canvas[height // 2] = 220
    canvas[ink] = (31, 119, 180)
    return canvas


def spectra_figure(target: torch.Tensor, model: torch.Tensor, mode: str, log_y: bool = False,
                   distance: float | None = None, model_name: str = "untrained model") -> dict:
    """The target's and the model's normalised spectra (n,) overlaid, as a plain Plotly figure dict
    (drawn on every slider move: built without Plotly's per-property validation)."""
    bins = list(range(1, target.shape[-1] + 1))
    traces = [{"type": "scatter", "x": bins, "y": normalised(target.float()).tolist(), "name": "target",
               "line": {"color": TARGET_COLOUR, "width": 2}},
              {"type": "scatter", "x": bins, "y": normalised(model.float()).tolist(), "name": model_name,
               "line": {"color": MODEL_COLOUR, "width": 2}}]
    title = f"Spectra, {MODE_TITLES[mode]}" + (f": W = {distance:.3f}" if distance is not None else "")
    return plain_figure(traces, title, "frequency bin (low → high)", "share of energy", height=290,
                        yaxis_type="log" if log_y else "linear")


def plain_figure(traces: list[dict], title: str, xaxis_title: str, yaxis_title: str, height: int = 360,
                 **axes) -> dict:
    """A figure as Plotly's JSON in the house style (`_style`), for the figures of the live preview."""
    rows = math.ceil(sum(1 for t in traces if t.get("showlegend", True)) / 2)
    grid = {"gridcolor": "#e5e5e5", "zeroline": False}
    layout = {"template": {}, "plot_bgcolor": "white", "height": height + LEGEND_ROW * max(0, rows - 1),
              "margin": {"l": 55, "r": 20, "t": 50, "b": 45}, "legend": {"orientation": "h", "y": -0.3,
                                                                         "yanchor": "top"},
              "title": {"text": title}, "xaxis": {**grid, "title": {"text": xaxis_title}},
              "yaxis": {**grid, "title": {"text": yaxis_title}}}
    for key, value in axes.items():  # yaxis_type="log" -> layout["yaxis"]["type"] = "log"
        axis, name = key.split("_", 1)
        layout[axis][name] = value
    return {"data": traces, "layout": layout}


def selection_figure(values: Sequence[float | str], distance: Sequence[float], stderr: Sequence[float],
                     best: float | str, label: str, log_x: bool = False, frequency: Sequence[float] = (),
                     plausible: Sequence[float | str] = ()) -> go.Figure:
    """Mean W against the knob value (or configuration names) with standard-error bars; the minimum marked.

    frequency: per value, the share of bootstrap resamples of the seeds in which it has the lowest mean W
    (bars on a right-hand axis); plausible: the values that together win 95 % of them (shaded, each value's
    cell reaching half-way to its neighbours).  See `fresh_viz.confidence`."""
    fig, values = go.Figure(), list(values)
    cells = _cells(values, log_x)
    if plausible:
        first, last = min(values.index(v) for v in plausible), max(values.index(v) for v in plausible)
        fig.add_vrect(x0=cells[first][0], x1=cells[last][1], fillcolor=_translucent(FRESH_COLOUR, 0.15),
                      line_width=0, layer="below", showlegend=True, name="plausible (win 95 % of resamples)")
    fig.add_trace(go.Scatter(x=values, y=list(distance), mode="lines+markers", name="mean W",
                             error_y=dict(type="data", array=list(stderr), visible=True),
                             line=dict(color=TARGET_COLOUR)))
    if frequency:  # translucent: the right-hand axis draws over the left one's traces
        numeric = all(isinstance(v, (int, float)) for v in values)
        widths = [1.2 * min(v - low, high - v) for v, (low, high) in zip(values, cells)] if numeric else None
        fig.add_trace(go.Bar(x=values, y=list(frequency), width=widths, yaxis="y2",
                             name="share of resamples won", marker_color=_translucent(FRESH_COLOUR, 0.45),
                             hovertemplate="%{x}: chosen in %{y:.0%} of resamples<extra></extra>"))
    best_w = distance[values.index(best)]
    shown = f"{best:g}" if isinstance(best, (int, float)) else str(best)
    fig.add_trace(go.Scatter(x=[best], y=[best_w], mode="markers", name=f"FreSh: {label} = {shown}",
                             marker=dict(color=FRESH_COLOUR, size=16, symbol="star")))
    right = dict(yaxis2=dict(overlaying="y", side="right", range=[0, 1], tickmode="linear", tick0=0, dtick=0.25,
                             tickformat=".0%", showgrid=False, title="share of resamples won")) if frequency else {}
    _style(fig, title=f"FreSh: Wasserstein distance against {label}", xaxis_title=label,
                      yaxis_title="W (lower is closer to the target)", xaxis_type="log" if log_x else "linear",
                      **right)
    if frequency:
        fig.update_layout(margin_r=60)  # room for the right-hand axis
    return fig


def _cells(values: Sequence[float | str], log_x: bool) -> list[tuple[float, float]]:
    """Per value, the x-range from half-way to its lower neighbour to half-way to its upper one (on a log
    axis, half-way in log; the ends mirror their one neighbour), in the axis's shape coordinates: data
    values, or category positions for names."""
    if not all(isinstance(v, (int, float)) for v in values):
        return [(i - 0.5, i + 0.5) for i in range(len(values))]
    scale, unscale = (math.log10, lambda p: 10**p) if log_x else (float, float)
    at = [scale(v) for v in values]
    if len(at) == 1:
        return [(unscale(at[0] - 0.5), unscale(at[0] + 0.5))]
    mids = [(a + b) / 2 for a, b in zip(at, at[1:])]
    lows = [2 * at[0] - mids[0], *mids]
    highs = [*mids, 2 * at[-1] - mids[-1]]
    return [(unscale(low), unscale(high)) for low, high in zip(lows, highs)]


def psnr_figure(curves: dict[str, list[tuple[int, float, float]]], steps: int) -> go.Figure:
    """PSNR against step per model: solid = training samples, dashed = held-out samples.

    The band between a model's two lines is shaded: its width is the gap between fitting
    the samples trained on and interpolating the held-out ones, labelled at the last step.
    curves: name -> [(step, train_psnr, test_psnr), ...].
    """
    fig = go.Figure()
    for colour, (name, points) in zip(_palette(len(curves)), curves.items()):
        step = [p[0] for p in points]
        fig.add_trace(go.Scatter(x=step, y=[p[1] for p in points], name=f"{name}: trained samples",
                                 line=dict(color=colour, width=2)))
        fig.add_trace(go.Scatter(x=step, y=[p[2] for p in points], name=f"{name}: held-out samples",
                                 line=dict(color=colour, width=2, dash="dash"), fill="tonexty",
                                 fillcolor=_translucent(colour, 0.12)))
        if points and math.isfinite(points[-1][2]):
            last_step, trained, held_out = points[-1]
            fig.add_annotation(x=last_step, y=(trained + held_out) / 2, text=f"gap {trained - held_out:+.1f} dB",
                               showarrow=False, xanchor="left", font=dict(color=colour, size=11))
    _style(fig, title="PSNR during training (shaded: trained minus held-out)", xaxis_title="step",
           yaxis_title="PSNR (dB)", xaxis_range=[0, steps * 1.12])
    return fig


def psnr_gap(points: Sequence[tuple[int, float, float]]) -> float:
    """PSNR on the trained samples minus PSNR on the held-out ones at the last report."""
    return points[-1][1] - points[-1][2]


def _palette(count: int) -> list[str]:
    """Distinct line colours: the house colours first, then Plotly's D3 palette."""
    extra = ["#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
    return ([MODEL_COLOUR, FRESH_COLOUR, TARGET_COLOUR] + extra)[:count] if count <= 10 else \
        [f"hsl({round(360 * i / count)}, 65%, 45%)" for i in range(count)]


def _translucent(colour: str, alpha: float) -> str:
    if not colour.startswith("#"):
        return colour.replace("hsl(", "hsla(").replace(")", f", {alpha})")
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _style(fig: go.Figure, **layout) -> None:
    """The house style.  Plotly's named templates are deep-copied on every figure
    (about 15 ms each), too slow for a live preview, so the style is set directly."""
    named = sum(1 for trace in fig.data if trace.showlegend is not False)
    rows = math.ceil(named / 2)  # two legend entries a row at the app's plot width, at least
    fig.update_layout(template="none", plot_bgcolor="white", height=360 + LEGEND_ROW * max(0, rows - 1),
                      margin=dict(l=55, r=20, t=50, b=45), legend=dict(orientation="h", y=-0.3, yanchor="top"),
                      **layout)  # the legend grows downwards into the extra height, below the axis title
    fig.update_xaxes(gridcolor="#e5e5e5", zeroline=False)
    fig.update_yaxes(gridcolor="#e5e5e5", zeroline=False)


def cdf_figure(target: torch.Tensor, model: torch.Tensor, distance: float) -> dict:
    """The two cumulative spectra; the area between them is the Wasserstein distance (a plain figure dict)."""
    bins = list(range(1, target.shape[-1] + 1))
    traces = [{"type": "scatter", "x": bins, "y": normalised(target.float()).cumsum(-1).tolist(),
               "name": "target CDF", "line": {"color": TARGET_COLOUR, "width": 2, "shape": "hv"}},
              {"type": "scatter", "x": bins, "y": normalised(model.float()).cumsum(-1).tolist(),
               "name": f"model CDF (shaded area = W = {distance:.3f})", "fill": "tonexty",
               "fillcolor": "rgba(214, 39, 40, 0.25)", "line": {"color": MODEL_COLOUR, "width": 2, "shape": "hv"}}]
    return plain_figure(traces, f"What W measures: the area between the cumulative spectra, W = {distance:.3f}",
                        "frequency bin", "cumulative share of energy", yaxis_range=[0, 1.02])


def dft_picture(values: torch.Tensor, bin_map: torch.Tensor, bins: int, size: int = 256) -> np.ndarray:
    """log |DFT| of a 2-D signal (C, H, W), centred, with the edges of every 8th bin
    of the current reduction drawn over it (red), and the last compared bin (yellow)."""
    magnitude = torch.fft.fftn(values.float().cpu(), dim=(-2, -1)).abs().sum(0)
    logged = torch.fft.fftshift(torch.log1p(magnitude))
    logged = (logged - logged.min()) / (logged.max() - logged.min()).clamp_min(1e-12)
    grey = (logged.numpy() * 255).astype(np.uint8)
    picture = np.repeat(grey[..., None], 3, -1)
    index = torch.fft.fftshift(bin_map.reshape(values.shape[-2:]).cpu())
    step = max(1, bins // 8)
    band = torch.div(index, step, rounding_mode="floor")
    edge = torch.zeros_like(index, dtype=torch.bool)
    for shift in ((0, 1), (1, 0)):
        moved = torch.roll(band, shifts=shift, dims=(0, 1))
        edge |= (band != moved) & (index <= bins)
    outside = torch.roll(index > bins, 1, 0) ^ (index > bins) | torch.roll(index > bins, 1, 1) ^ (index > bins)
    picture[edge.numpy()] = (220, 40, 40)
    picture[outside.numpy()] = (250, 210, 0)
    factor = max(1, size // max(picture.shape[:2]))
    return picture.repeat(factor, 0).repeat(factor, 1)


def band_error_figure(history: dict[str, list[tuple[int, list[float]]]]) -> go.Figure:
    """Relative error per frequency band against step, one heatmap per model (dB, low bands at the bottom)."""
    from plotly.subplots import make_subplots

    names = list(history)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, shared_yaxes=True)
    for col, name in enumerate(names, start=1):
        points = history[name]
        steps = [p[0] for p in points]
        errors = np.array([p[1] for p in points], dtype=float).T  # (bands, reports)
        decibels = 10 * np.log10(np.clip(errors, 1e-6, None))
        fig.add_trace(go.Heatmap(x=steps, y=list(range(1, errors.shape[0] + 1)), z=decibels, zmin=-30, zmax=5,
                                 colorscale="Viridis", showscale=col == len(names),
                                 colorbar=dict(title="error (dB)")), row=1, col=col)
        fig.update_xaxes(title_text="step", row=1, col=col)
    fig.update_yaxes(title_text="frequency band (low → high)", row=1, col=1)
    _style(fig, title="Spectral bias as it happens: relative error per frequency band")
    return fig


def study_figure(record: dict, label: str, log_x: bool = False) -> go.Figure:
    """A study (`fresh_viz.study`): mean W against the value (left axis) and, for each budget reached,
    PSNR on the trained (solid) and held-out (dashed) samples of every value (right axis); FreSh's pick
    and the grid's best by held-out PSNR at the largest budget marked."""
    fig, values = go.Figure(), record["values"]
    fig.add_trace(go.Scatter(x=values, y=record["distance"], name="mean W (untrained)", yaxis="y",
                             error_y=dict(type="data", array=record["stderr"], visible=True),
                             line=dict(color=TARGET_COLOUR)))
    colours = _palette(max(3, len(record["budgets"])))[::-1]
    for colour, budget in zip(colours, record["budgets"]):
        fig.add_trace(go.Scatter(x=values, y=budget["train_psnr"], yaxis="y2", line=dict(color=colour),
                                 name=f"PSNR after {budget['steps']} steps: trained"))
        fig.add_trace(go.Scatter(x=values, y=budget["test_psnr"], yaxis="y2", line=dict(color=colour, dash="dash"),
                                 name=f"held out, {budget['steps']} steps"))
    if record["budgets"]:
        last = record["budgets"][-1]
        span = [v for v in last["train_psnr"] + last["test_psnr"] if math.isfinite(v)]
        for x, name, colour in ((record["pick"], f"FreSh's pick: {record['pick']:g}", MODEL_COLOUR),
                                (last["best"]["held_out"], f"best held out: {last['best']['held_out']:g}",
                                 FRESH_COLOUR)):
            fig.add_trace(go.Scatter(x=[x, x], y=[min(span), max(span)], yaxis="y2", mode="lines", name=name,
                                     line=dict(color=colour, dash="dot", width=3)))
    _style(fig, title=f"Prediction against outcome: W before training, PSNR after ({label})",
           xaxis=dict(title=label, type="log" if log_x else "linear"), yaxis=dict(title="W (lower is better)"),
           yaxis2=dict(title="PSNR (dB)", overlaying="y", side="right"))
    return fig


def comparison_figure(rows: Sequence[dict]) -> go.Figure:
    """FreSh on every family: each family's smallest mean W with its standard error,
    labelled with the value FreSh chose.  rows: [{"title", "label", "best", "distance", "stderr"}]."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=[r["title"] for r in rows], y=[r["distance"] for r in rows],
                         error_y=dict(type="data", array=[r["stderr"] for r in rows], visible=True),
                         text=[f"{r['label']} = {r['best']:g}" for r in rows], textposition="outside",
                         marker_color=_palette(len(rows)), name="W at FreSh's choice"))
    _style(fig, title="Which family fits this signal? W at each family's FreSh choice (lower is closer)",
           yaxis_title="mean W ± standard error", showlegend=False)
    return fig


def comparison_spectra_figure(target: torch.Tensor, spectra: dict[str, torch.Tensor], mode: str) -> go.Figure:
    """The target's spectrum and every family's untrained spectrum at its chosen value."""
    bins = np.arange(1, target.shape[-1] + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=bins, y=normalised(target.float()).cpu().numpy(), name="target",
                             line=dict(color="black", width=3)))
    for colour, (name, spectrum) in zip(_palette(len(spectra)), spectra.items()):
        fig.add_trace(go.Scatter(x=bins, y=normalised(spectrum.float()).cpu().numpy(), name=name,
                                 line=dict(color=colour, width=1.5)))
    _style(fig, title=f"Untrained spectra at each family's choice<br><sup>{MODE_TITLES[mode]}</sup>",
           xaxis_title="frequency bin (low → high)", yaxis_title="share of energy")
    return fig
