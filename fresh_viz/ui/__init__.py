"""The Gradio app: one module per tab (`explore`, `training`, `compare`, `yours`), each placing
its widgets, holding its handlers and wiring its events; `page` holds what they share.  The
math lives in the library below; this package only connects widgets to it."""

from __future__ import annotations

import os

import gradio as gr
import torch

from ..device import describe, pick_device
from ..state import TABS, Budget, Controls, budget_for
from . import compare, explore, training, yours
from .page import CLIENT_UNSEEN, Context, Page

QUEUE_SIZE = 64  # waiting events beyond this are refused with "queue full"
SESSIONS_KEPT = 128  # per-session state beyond this is dropped, least recently used first
ENDPOINTS = {**explore.ENDPOINTS, **training.ENDPOINTS, **compare.ENDPOINTS, **yours.ENDPOINTS}
__all__ = ["CLIENT_UNSEEN", "ENDPOINTS", "build_app", "launch", "serve"]
TAB_TITLES = {"explore": "Explore", "train": "Train", "compare": "Compare families", "yours": "Your model"}
# Presentation mode: larger type, and what a projector's first screen does not need hidden (plots keep
# their size; the browser's own zoom enlarges them too, which Plotly follows, unlike a CSS zoom).
PRESENTATION_JS = "(on) => { document.body.classList.toggle('presentation', on); return on; }"
SHARE_LINK_JS = ("(query, tab) => window.location.origin + window.location.pathname + query + "
                 "(tab && tab !== 'explore' ? '&tab=' + tab : '')")
CSS = """
#wasserstein-value .w-number { font-size: 2.6rem; font-weight: 700; line-height: 1.1; }
#wasserstein-value .w-caption { color: #666; }
#param-position .tab-like-container, #param-position .min_value, #param-position .max_value { display: none; }
body.presentation { --body-text-size: 19px; --text-sm: 16px; --text-md: 19px; --text-lg: 22px; --text-xl: 26px;
                    --block-label-text-size: 15px; --block-title-text-size: 17px; --block-info-text-size: 15px; }
body.presentation .prose { font-size: 19px; }
body.presentation #wasserstein-value .w-number { font-size: 2.8rem; }
body.presentation #wasserstein-value .w-caption, body.presentation #page-header, body.presentation #device-note,
body.presentation #preset-gallery, body.presentation #signal-input, body.presentation #signal-info,
body.presentation #advanced, body.presentation #share-link, body.presentation #fresh-full .info { display: none; }
body.presentation #seed-slider { display: none; }
"""


def build_app(device: torch.device | None = None, budget: Budget | None = None) -> gr.Blocks:
    """The explorer as a Blocks app (not launched); `budget` overrides the device's defaults."""
    device = device or pick_device()
    ctx = Context(device, budget or budget_for(device))
    page = Page()
    with gr.Blocks(title="FreSh Explorer", delete_cache=(600, 3600)) as demo:
        page.add("session", gr.State(None))
        with gr.Row(equal_height=True):
            gr.Markdown("# FreSh Explorer\nAn untrained neural field already has a spectrum. Drag the slider to "
                        "move it; FreSh picks the value whose spectrum is closest to the target's, before any "
                        "training.", elem_id="page-header")
            page.add("presentation", gr.Checkbox(False, label="Presentation mode (large, fewer controls)",
                                                 elem_id="presentation-mode", scale=0, min_width=220))
        gr.Markdown(f"**Device:** {describe(device)}. {ctx.budget.note}", elem_id="device-note")
        page.add("notice", gr.Markdown(elem_id="query-notice"))
        with page.add("tabs", gr.Tabs(selected="explore", elem_id="tabs")):
            tabs = {}
            for name in TABS:
                with gr.Tab(TAB_TITLES[name], id=name, elem_id=f"tab-{name}") as tab:
                    tabs[name] = tab
                    if name == "explore":
                        explore.build_tab(page, ctx)
                    elif name == "train":
                        training.build_tab(page, ctx)
                    elif name == "compare":
                        compare.build_tab(page)
                    else:
                        yours.build_tab(page)
        page.add("share", gr.Textbox(label="Link to this view", elem_id="share-link", interactive=False,
                                     buttons=["copy"]))
        # The server knows the query; the browser knows the page's address (behind any proxy) and the tab.
        page.add("share_query", gr.Textbox(visible="hidden", elem_id="share-query"))
        page.add("current_tab", gr.Textbox("explore", visible="hidden", elem_id="current-tab"))
        wire(demo, page, ctx, tabs)
    return demo


def wire(demo: gr.Blocks, page: Page, ctx: Context, tabs: dict) -> None:
    """Every tab's events, then the page's own: first load, links, presentation mode, Stop, /stats."""
    explorer = explore.Explore(ctx)
    explore.wire(page, explorer)
    running = training.wire(page, training.Training(ctx))
    running += compare.wire(page, compare.FamilyComparison(ctx))
    yours.wire(page, yours.SavedOutputs(ctx))

    def page_opened(request: gr.Request, name: str, **raw) -> dict:
        return page.named(explorer.open_page(request, name, Controls.from_page(**raw)))

    opened = (*explore.SIGNAL, "family", "second", "seed", "bins", "mode", "notice", "tabs", "current_tab")
    page.on(demo.load, page_opened, [page["preset"]], opened, inputs_kwargs=page.controls())
    for name, tab in tabs.items():
        tab.select(None, None, page["current_tab"], js=f"() => '{name}'", api_name=False)
    for source in ("share_query", "current_tab"):
        page[source].change(None, page.get("share_query", "current_tab"), page["share"], js=SHARE_LINK_JS,
                            api_name=False)
    page["presentation"].change(None, page["presentation"], page["presentation"], js=PRESENTATION_JS,
                                api_name=False)
    page["stop_button"].click(lambda: ("**Stopped.**",) * 3, None,
                              page.get("train_status", "study_status", "compare_train_status"), cancels=running,
                              api_name=False)
    gr.api(ctx.stats, api_name="stats")  # the shared caches' sizes and hit rates, for load tests


def serve(demo: gr.Blocks, **launch_options) -> gr.Blocks:
    """Queue and launch `demo` with the app's limits; returns it (for `close()`).

    Uploads are capped in size; no path outside Gradio's own cache is served.  Gradio summarises its log
    of events (up to 10,000) with pandas after every event unless told otherwise: for a class, thousands
    of previews, that cost grows with the log, so it is summarised every 1,000 events instead."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")  # read when the queue is made
    demo.queue(max_size=QUEUE_SIZE).launch(max_file_size="50mb", css=CSS, state_session_capacity=SESSIONS_KEPT,
                                           **launch_options)
    return demo


def launch() -> None:
    """Start the app the way `python app.py` and a Hugging Face Space do."""
    serve(build_app())
