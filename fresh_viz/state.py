"""Serialisable state of the explorer: the controls a user sets, the budget the
device allows, and one browser's working set.  No UI code here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace

import torch

from .fresh import Selection
from .models import FAMILIES, INR, Knob, get_family, tuned_knob
from .signals import Signal
from .spectrum import MODES


@dataclass(frozen=True)
class Budget:
    """What one device can do interactively; the app's defaults and caps."""

    size: int  # longest side of the working grid
    width: int
    depth: int
    steps: int  # default training steps
    max_steps: int
    max_seconds: float  # wall-time cap of one training run or sweep
    video_frames: int
    study_steps: int  # the trust check's largest budget: steps every grid value trains for
    note: str  # what was reduced, said on screen
    audio_samples: int = 16384  # samples per channel of the audio window analysed (as many as a 128 px image)
    video_side: int = 64  # longest side of the video frames analysed
    # Previews computed at once; the queue holds the rest.  One: on a small server's core two at a time
    # only interleave (docs/benchmarks.md, "A class on one small server", measures 1 against 2).
    preview_workers: int = 1


def budget_for(device: torch.device) -> Budget:
    if device.type == "cpu":
        return Budget(128, 128, 3, 300, 3000, 300.0, 16, 30,
                      "Grid reduced to 128 px and width to 128, audio to windows of 16384 samples and video to "
                      "16 frames of 64 px, so previews stay live and a race takes tens of seconds (a GPU uses "
                      "512 px and width 256).", audio_samples=16384, video_side=64)
    return Budget(512, 256, 3, 1000, 10000, 600.0, 64, 300, "Full resolution: 512 px grid, width 256.",
                  audio_samples=2**18, video_side=128)


BINS = (32, 64, 128)  # the spectrum sizes the reference studies


@dataclass(frozen=True)
class Controls:
    """Everything the page's controls say, by name; None means the family's default."""

    family: str = "siren"
    value: float | None = None  # the tuned knob, in its own units
    second: float | None = None  # the family's second knob (FINER's bias scale), in its own units
    seed: int = 0
    bins: int = 64
    mode: str = "paper"
    width: int = 128
    depth: int = 3
    log_y: bool = False  # spectra on a log axis

    @classmethod
    def from_page(cls, **raw) -> Controls:
        """Controls from the widgets' raw values (strings from radios, floats from sliders)."""
        names = {f.name for f in fields(cls)}
        unknown = set(raw) - names
        if unknown:
            raise ValueError(f"unknown controls: {', '.join(sorted(unknown))}")
        family = raw.get("family", cls.family)
        if family not in FAMILIES:
            raise ValueError(f"unknown model family '{family}'; choose from {', '.join(FAMILIES)}")
        mode = raw.get("mode", cls.mode)
        if mode not in MODES:
            raise ValueError(f"unknown spectrum mode '{mode}'")

        def number(key: str) -> float | None:
            value = raw.get(key)
            return None if value is None or value == "" else float(value)

        defaults = cls()
        return cls(family=family, value=number("value"), second=number("second"),
                   seed=int(raw.get("seed", defaults.seed)), bins=int(raw.get("bins", defaults.bins)), mode=mode,
                   width=int(raw.get("width", defaults.width)), depth=int(raw.get("depth", defaults.depth)),
                   log_y=bool(raw.get("log_y", defaults.log_y)))

    @property
    def model(self) -> type[INR]:
        return get_family(self.family)

    def knob(self, ndim: int) -> Knob:
        """The knob FreSh tunes, for ndim-D signals."""
        return tuned_knob(self.model, ndim)

    def knob_values(self, ndim: int) -> dict[str, float]:
        """Values of all the family's knobs: the tuned one first, clamped to its range."""
        knob = self.knob(ndim)
        values = {knob.name: knob.default if self.value is None else knob.clamp(self.value)}
        for other in self.model.knobs[1:]:
            other = other.for_ndim(ndim)
            values[other.name] = other.default if self.second is None else other.clamp(self.second)
        return values

    def default_values(self, ndim: int) -> dict[str, float]:
        """The family's defaults for every knob (the race's default member)."""
        return {knob.name: knob.for_ndim(ndim).default for knob in self.model.knobs}

    def other_values(self, ndim: int) -> dict[str, float]:
        """Values of the knobs FreSh does not tune, as shown (defaults where not set)."""
        tuned = self.knob(ndim).name
        return {k: v for k, v in self.knob_values(ndim).items() if k != tuned}

    def fixed_values(self, ndim: int) -> dict[str, float]:
        """The knobs FreSh does not tune that the user set, held fixed in a sweep; the others are held
        where the reference holds them (FINER tunes ω₀ with k = 0)."""
        return self.other_values(ndim) if self.second is not None else {}

    def selection_key(self, ndim: int) -> tuple:
        """Every setting that shapes a FreSh result: a cached result is reused only when this matches."""
        fixed = tuple(sorted(self.fixed_values(ndim).items()))
        return self.family, self.knob(ndim).name, self.bins, self.mode, self.width, self.depth, fixed


def signal_key(signal: Signal) -> str:
    """What makes two sessions' signals the same: their values (a preset is the same for everyone)."""
    digest = hashlib.sha1(signal.values.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
    return f"{signal.kind}:{tuple(signal.values.shape)}:{digest}"


@dataclass
class Session:
    """One browser's working set: its signal and results (work shared between sessions is cached by the
    app, keyed by `key`)."""

    signal: Signal
    source: str  # preset name, or the uploaded file's name
    preset: str | None = None  # set when the signal is a preset (it can go in a link)
    path: str | None = None  # the uploaded file, kept to read another window of a recording
    selection: Selection | None = None
    selection_key: tuple = ()  # Controls.selection_key of the settings that produced `selection`
    extras: dict = field(default_factory=dict)  # results of the panels (comparison, outputs), by panel
    key: str = ""  # signal_key(signal): sessions with equal keys share cached work

    def __post_init__(self):
        self.key = self.key or signal_key(self.signal)

    def selection_for(self, controls: Controls) -> Selection | None:
        """The session's FreSh result if it was computed with exactly these settings."""
        if self.selection is not None and self.selection_key == controls.selection_key(self.signal.ndim):
            return self.selection
        return None


QUERY_KEYS = ("signal", "model", "value", "seed", "bins", "mode", "tab")
TABS = ("explore", "train", "compare", "yours")  # the page's tabs, as a link names them


def controls_from_query(query: dict[str, str], base: Controls, presets: list[str],
                        ndim_of: dict[str, int]) -> tuple[str | None, Controls, str, list[str]]:
    """Read `?signal=&model=&value=&seed=&bins=&mode=&tab=`: (preset or None, controls, tab, notices).

    Anything unknown or out of range is ignored and named in a notice."""
    notices = [f"ignored unknown parameter '{key}'" for key in query if key not in QUERY_KEYS]
    preset = query.get("signal")
    if preset is not None and preset not in presets:
        notices.append(f"ignored signal '{preset}': not a preset")
        preset = None
    family = query.get("model", base.family)
    if family not in FAMILIES:
        notices.append(f"ignored model '{family}': use one of {', '.join(FAMILIES)}")
        family = base.family

    def number(key: str, low: float, high: float, integer: bool = False) -> float | None:
        if key not in query:
            return None
        try:
            value = float(query[key])
        except ValueError:
            notices.append(f"ignored {key}='{query[key]}': not a number")
            return None
        if not (low <= value <= high) or (integer and value != int(value)):
            notices.append(f"ignored {key}={query[key]}: outside {low:g} to {high:g}")
            return None
        return value

    knob = FAMILIES[family].knobs[0].for_ndim(ndim_of.get(preset or "", 2))
    value = number("value", knob.low, knob.high, knob.integer)
    seed = number("seed", 0, 99, integer=True)
    bins = number("bins", 2, 512, integer=True)
    if bins is not None and int(bins) not in BINS:
        notices.append(f"ignored bins={query['bins']}: use {', '.join(str(b) for b in BINS)}")
        bins = None
    mode = query.get("mode")
    if mode is not None and mode not in MODES:
        notices.append(f"ignored mode '{mode}': use one of {', '.join(MODES)}")
        mode = None
    tab = query.get("tab", TABS[0])
    if tab not in TABS:
        notices.append(f"ignored tab '{tab}': use one of {', '.join(TABS)}")
        tab = TABS[0]
    controls = replace(base, family=family, value=value, seed=int(seed) if seed is not None else base.seed,
                       bins=int(bins) if bins is not None else base.bins, mode=mode or base.mode)
    return preset, controls, tab, notices


def query_for(preset: str | None, controls: Controls, ndim: int) -> str:
    """The query string that restores these controls (the signal only when it is a preset)."""
    value = controls.knob_values(ndim)[controls.knob(ndim).name]
    parts = ([f"signal={preset}"] if preset else []) + [
        f"model={controls.family}", f"value={value:g}", f"seed={controls.seed}", f"bins={controls.bins}",
        f"mode={controls.mode}"]
    return "?" + "&".join(parts)
