"""The Gradio explorer: `layout` places the widgets, `wiring` connects their events
to the handlers in `explorer`; the math lives in the engine modules below."""

from __future__ import annotations

import gradio as gr
import torch

from ..device import pick_device
from ..state import Budget, budget_for
from .explorer import Explorer
from .layout import build_layout
from .wiring import wire

QUEUE_SIZE = 64  # waiting events beyond this are refused with "queue full"
SESSIONS_KEPT = 128  # per-session state beyond this is dropped, least recently used first
CSS = """
#wasserstein-value .w-number { font-size: 2.6rem; font-weight: 700; line-height: 1.1; }
#wasserstein-value .w-caption { color: #666; }
#param-position .tab-like-container, #param-position .min_value, #param-position .max_value { display: none; }
body.presentation { --body-text-size: 21px; --text-sm: 18px; --text-md: 21px; --text-lg: 25px; --text-xl: 30px;
                    --block-label-text-size: 17px; --block-title-text-size: 19px; --block-info-text-size: 17px; }
body.presentation .prose { font-size: 21px; }
body.presentation #wasserstein-value .w-number { font-size: 4rem; }
"""


def build_app(device: torch.device | None = None, budget: Budget | None = None) -> gr.Blocks:
    """The explorer as a Blocks app (not launched); `budget` overrides the device's defaults."""
    device = device or pick_device()
    budget = budget or budget_for(device)
    with gr.Blocks(title="FreSh Explorer", delete_cache=(600, 3600)) as demo:
        widgets = build_layout(device, budget)
        wire(demo, widgets, Explorer(device, budget))
    return demo


def serve(demo: gr.Blocks, **launch_options) -> gr.Blocks:
    """Queue and launch `demo` with the app's limits; returns it (for `close()`).

    Uploads are capped in size; no path outside Gradio's own cache is served."""
    demo.queue(max_size=QUEUE_SIZE).launch(max_file_size="50mb", css=CSS, state_session_capacity=SESSIONS_KEPT,
                                           **launch_options)
    return demo


def launch() -> None:
    """Start the app the way `python app.py` and a Hugging Face Space do."""
    serve(build_app())
