"""A knob on the page: a slider that moves on a log scale where the range spans
decades, and beside it a number in the knob's own units (what people read and type)."""

from __future__ import annotations

import math

import gradio as gr

from ..models import Knob

LOG_STEP = 0.005  # log10 units per slider step: 1.2 % of the value


def to_slider(knob: Knob, value: float) -> float:
    """The slider position that shows `value`."""
    return round(math.log10(max(value, 1e-9)), 6) if knob.log else value


def from_slider(knob: Knob, position: float) -> float:
    """The knob value at a slider position, to 4 significant digits, clamped to the knob's range."""
    value = 10 ** float(position) if knob.log else float(position)
    return knob.clamp(float(f"{value:.4g}"))


def slider_update(knob: Knob, value: float | None = None) -> dict:
    """The slider for `knob`, placed at `value` (default: the knob's default)."""
    value = knob.default if value is None else value
    scale = "logarithmic slider" if knob.log else "slider"
    label = f"{knob.label}: {scale}, default {knob.default:g}"
    if knob.log:
        return gr.update(minimum=round(math.log10(knob.low), 4), maximum=round(math.log10(knob.high), 4),
                         step=LOG_STEP, value=to_slider(knob, value), label=label)
    return gr.update(minimum=knob.low, maximum=knob.high, step=knob.step, value=value, label=label)


def number_update(knob: Knob, value: float | None = None) -> dict:
    """The number box beside the slider: the knob's value in its own units."""
    value = knob.default if value is None else knob.clamp(value)
    return gr.update(value=value, minimum=knob.low, maximum=knob.high, label=knob.label,
                     step=1 if knob.integer else None)


def knob_updates(knob: Knob, value: float | None = None) -> dict[str, dict]:
    """Both halves of the tuned knob's control, by widget name."""
    return {"param_position": slider_update(knob, value), "param_value": number_update(knob, value)}
