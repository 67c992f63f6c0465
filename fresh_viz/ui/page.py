"""What the panels share: the `Context` (device, budget, files, the caches shared by every
session) and the `Page` (every widget by name, written once where it is made; events with
their outputs named once).

A handler returns a dict keyed by widget name; `Page.named` turns it into Gradio's
{component: value}.  Figures may come as plain Plotly dicts (`plots` builds the live ones
that way: no per-property validation), which go to the browser as they are.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import json
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import gradio as gr
import torch
from gradio.components.plot import PlotData

from .. import plots
from ..device import pick_device
from ..signals import Signal
from ..state import Budget
from .files import OutputFiles

T = TypeVar("T")
CLIENT_UNSEEN = ("session", "extend_button")  # outputs an API client never receives: the state and buttons
CONTROLS = {"family": "family", "value": "param_value", "second": "second", "seed": "seed", "bins": "bins",
            "mode": "mode", "width": "width", "depth": "depth", "log_y": "log_y"}  # Controls field -> widget


# What a ZeroGPU call asks for, in seconds: its place in the Space's queue and the visitor's quota go by
# it.  Upper bounds at the GPU budget (512 px, width 256): a paper-setting sweep, the training caps.
GPU_SECONDS = {"light": 20, "fresh": 60, "train": 120}


def on_gpu(handler: Callable, seconds: int) -> Callable:
    """`handler` on a ZeroGPU Space's GPU (the `spaces` package present) for at most `seconds`; elsewhere
    unchanged.  When the visitor's GPU quota is spent (ZeroGPU's quotas go by IP address: a class on one
    Wi-Fi shares one) or no GPU can be had, it runs on the CPU instead, with a notice, not an error.
    Handlers choose their device inside the call (`Context.device`): CUDA is visible only there."""
    try:
        import spaces
    except ImportError:
        return handler
    on_card = spaces.GPU(duration=seconds)(handler)
    notice = "No GPU time is left for this network just now (ZeroGPU's quota): this ran on the CPU, more slowly."

    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def stream(*args, **kwargs):
            try:
                yield from on_card(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 (only a spent quota falls back; anything else is raised)
                if not spent_quota(err):
                    raise
                gr.Warning(notice)
                yield from handler(*args, **kwargs)
        return stream

    @functools.wraps(handler)
    def call(*args, **kwargs):
        try:
            return on_card(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 (only a spent quota falls back; anything else is raised)
            if not spent_quota(err):
                raise
            gr.Warning(notice)
            return handler(*args, **kwargs)
    return call


def spent_quota(err: Exception) -> bool:
    """Whether ZeroGPU refused a call for lack of GPU time (its errors say "quota") or of a free GPU."""
    text = str(err).lower()
    return "quota" in text or "no gpu" in text


def in_background(items: Iterator[T], niceness: int = 10) -> Iterator[T]:
    """Yield what `items` yields (training reports), computing it in a thread of its own at a lower CPU
    priority (nice +10, Linux; elsewhere unchanged): on a small server a race then gives way to the
    previews of a class instead of sharing the core with them evenly.  When the consumer stops (Stop,
    a closed tab), the thread stops after its current item."""
    handed: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand(item: object) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)  # this thread only
        try:
            for item in items:
                if not hand(("item", item)):
                    return
            hand(("done", None))
        except Exception as err:  # noqa: BLE001 (raised again in the consumer's thread)
            hand(("error", err))

    threading.Thread(target=produce, daemon=True, name="fresh-viz-training").start()
    try:
        while True:
            kind, item = handed.get()
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()


class SharedCache:
    """A bounded least-recently-used map shared by every session, with its hit rate.

    What many sessions ask for alike (the same signal, family, value, seed and settings) is
    computed once; a class following a lecture asks for the same pictures again and again."""

    def __init__(self, capacity: int):
        self.capacity, self.hits, self.misses = capacity, 0, 0
        self.items: OrderedDict[Hashable, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        with self.lock:
            if key in self.items:
                self.hits += 1
                self.items.move_to_end(key)
                return self.items[key]
            self.misses += 1
        value = make()  # outside the lock: two sessions may both compute a value, neither waits on the other
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.capacity:
                self.items.popitem(last=False)
        return value

    def stats(self) -> dict:
        asked = self.hits + self.misses
        return {"entries": len(self.items), "capacity": self.capacity, "hits": self.hits, "misses": self.misses,
                "hit_rate": round(self.hits / asked, 3) if asked else None}


@dataclass
class Context:
    """The device, the budget, the output files and the caches every panel and session shares."""

    chosen: torch.device  # the device at start-up; on a ZeroGPU Space the CPU, CUDA appearing inside calls
    budget: Budget
    files: OutputFiles = field(default_factory=OutputFiles)
    # Previews are small (a picture file and two figures); sweeps hold a signal's target spectra and grid.
    # The files keep 256 outputs, so a cached picture path stays valid while it is in the cache.
    previews: SharedCache = field(default_factory=lambda: SharedCache(96))
    sweeps: SharedCache = field(default_factory=lambda: SharedCache(8))
    selections: SharedCache = field(default_factory=lambda: SharedCache(32))

    @property
    def device(self) -> torch.device:
        """Where this call runs: on a ZeroGPU Space CUDA inside a GPU call and the CPU outside it, else
        the device chosen at start-up."""
        return pick_device() if on_zero_gpu() else self.chosen

    def picture(self, values: torch.Tensor, kind: str) -> str:
        return self.files.save(plots.picture(values, kind))

    def players(self, signal: Signal, **played: torch.Tensor | None) -> dict:
        """Audio or video players (for signals of that kind; hidden otherwise) for each named output:
        name=values (C, *spatial) loads a new file, name=None empties the player."""
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

    def stats(self) -> dict:
        return {"previews": self.previews.stats(), "sweeps": self.sweeps.stats(),
                "selections": self.selections.stats()}


@functools.cache
def on_zero_gpu() -> bool:
    """Whether the `spaces` package (a ZeroGPU Space) is installed: looked up once, not on every preview."""
    return importlib.util.find_spec("spaces") is not None


class Page:
    """Every widget of the page by name.  `add` makes the name (once); handlers' results and
    events' outputs refer to it.  Widgets added with `reveal=True` stay hidden until a handler
    first fills them (no empty placeholder; a line of text says what pressing will show)."""

    def __init__(self):
        self.widgets: dict[str, gr.components.Component] = {}
        self.revealed: set[str] = set()

    def add(self, name: str, component, reveal: bool = False):
        if name in self.widgets:
            raise ValueError(f"widget '{name}' is made twice")
        self.widgets[name] = component
        if reveal:
            self.revealed.add(name)
        return component

    def __getitem__(self, name: str):
        return self.widgets[name]

    def get(self, *names: str) -> list:
        return [self.widgets[name] for name in names]

    @staticmethod
    def section(intro: str) -> tuple[gr.Column, gr.Column]:
        """A section of a tab: its intro and controls on the left, its results on the right (enter each
        column with `with` to fill it)."""
        with gr.Row():
            with gr.Column(scale=1, min_width=300) as left:
                gr.Markdown(intro)
            right = gr.Column(scale=2)
        return left, right

    def controls(self) -> dict:
        """The widgets whose values make up `Controls` (the Explore tab's), by Controls field: every
        handler receives them by name (Gradio's keyword inputs)."""
        return {field: self.widgets[name] for field, name in CONTROLS.items()}

    def named(self, view: dict) -> dict:
        """A handler's results keyed by widget name -> keyed by the widgets themselves."""
        out = {}
        for name, value in view.items():
            if isinstance(value, dict) and "data" in value and "layout" in value:  # a plain Plotly figure
                value = PlotData(type="plotly", plot=json.dumps(value))
            if name in self.revealed and not isinstance(value, dict):
                value = gr.update(value=value, visible=True)
            out[self.widgets[name]] = value
        return out

    def on(self, event: Callable, handler: Callable, inputs: Sequence, outputs: Sequence[str],
           api_name: str | bool = False, **options):
        """Wire one event: `handler` returns a dict by widget name, for the widgets named in `outputs`."""
        return event(handler, list(inputs), self.get(*outputs), api_name=api_name, **options)
