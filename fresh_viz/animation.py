"""Animations for slides: a training race and a FreSh sweep as MP4 (H.264) or GIF files.

A race movie has one frame per training report (at most `MAX_FRAMES`): the target
(optional) and every member's reconstruction side by side, and below them the PSNR
curves up to that report (solid: trained samples, dashed: held-out samples, one colour
per member) on fixed axes, so the curves grow instead of rescaling.  A sweep movie has
one frame per grid value: the target, the untrained output, W against the value with
the current one marked, and the target's and the model's spectra.

How each kind of signal is drawn, chosen by its number of spatial axes:
(C, L) audio as its waveform's min/max envelope; (C, H, W) images as pictures;
(C, T, H, W) video (and 3-D arrays) by the middle frame T // 2, so that a movie shows
the model improving, not the clip playing.

Frames are drawn with Matplotlib's Agg canvas (no pyplot: no global state shared
between sessions), one figure per movie whose artists are updated in place.  MP4 frames
stream into the ffmpeg that imageio-ffmpeg ships, so memory stays one frame deep; GIFs
go through Pillow with one shared palette.  Files are written only into the folder the
caller passes, under new unique names.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from .plots import FRESH_COLOUR, MODEL_COLOUR, TARGET_COLOUR, image_array, waveform
from .signals import ffmpeg
from .spectrum import normalised, wasserstein

MAX_FRAMES = 200  # longer races are subsampled evenly (first and last report kept)
MP4_SIZE = (1280, 720)  # width, height: 16:9 for slides; both even, as yuv420p needs
GIF_SIZE = (640, 360)
RACE_FPS, SWEEP_FPS = 8.0, 4.0
MP4_CRF = 23  # x264 quality: plots are flat colour, so a real race stays sharp under 1 MB
MP4_BUDGET = 3_000_000  # bytes: the bit rate is capped so that no movie passes this by much
GIF_BUDGET = 4_000_000  # bytes: a larger GIF is thinned (every other frame) until it fits
GIF_COLOURS = 128  # one palette for all frames: no flicker, and fewer colours pack better
GIF_HOLD_MS = 1500  # the last GIF frame stays this long before the loop restarts
STORE_SIDE = 256  # RaceFrame.from_progress keeps images at most this big: the panels are smaller
WAVE_COLUMNS = 400  # columns of an audio waveform panel
MIN_DPI = 80.0  # text size in a small frame (a GIF): smaller dots would make the labels unreadable
MEMBER_COLOURS = (MODEL_COLOUR, FRESH_COLOUR, "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")  # as plots


@dataclass(frozen=True)
class RaceFrame:
    """One training report of a race with E members (E = 2: the default and the other).

    reconstructions: (E, C, *spatial) with values in [-1, 1], or uint8 codes 0..255 for
    [-1, 1] (what `from_progress` keeps: a quarter of the memory).  train_psnr and
    test_psnr: one value per member in dB (NaN where nothing is held out).
    """

    step: int
    reconstructions: torch.Tensor
    train_psnr: list[float]
    test_psnr: list[float]

    @classmethod
    def from_progress(cls, report, max_side: int = STORE_SIDE) -> RaceFrame:
        """A compact copy of a `fresh_viz.train.TrainProgress`, to keep one per report.

        Only what the movie draws is kept, on the CPU as uint8: images shrunk to at most
        `max_side` pixels, the middle frame of a video, an audio clip's waveform envelope.
        """
        return cls(report.step, _to_codes(_compact(report.reconstruction.detach(), max_side)),
                   list(report.train_psnr), list(report.test_psnr))


def frame_indices(count: int, cap: int = MAX_FRAMES) -> list[int]:
    """`min(count, cap)` indices spread evenly over 0..count-1, the first and last included."""
    if cap < 1:
        raise ValueError(f"the frame cap must be at least 1, not {cap}")
    if count <= cap:  # also no frames for none
        return list(range(count))
    if cap == 1:
        return [count - 1]
    return np.linspace(0, count - 1, cap).round().astype(int).tolist()


def race_frames(frames: Sequence[RaceFrame], names: Sequence[str], total_steps: int,
                target: torch.Tensor | None = None, size: tuple[int, int] = MP4_SIZE,
                max_frames: int = MAX_FRAMES) -> Iterable[np.ndarray]:
    """The race movie's pictures, (height, width, 3) uint8 each, drawn one at a time.

    frames: the reports in order; names: one per member; total_steps: the race's planned
    length (the x axis); target: (C, *spatial) in [-1, 1], drawn first when given.
    At most `max_frames` are drawn (`frame_indices`); the curves still use every report.
    """
    _check_race(frames, names)
    canvas = _RaceCanvas(frames, names, total_steps, target, size)
    return map(canvas.draw, frame_indices(len(frames), max_frames))


def race_animation(frames: Sequence[RaceFrame], names: Sequence[str], total_steps: int, folder: str | Path,
                   fmt: str = "mp4", target: torch.Tensor | None = None, fps: float = RACE_FPS,
                   max_frames: int = MAX_FRAMES, name: str = "race") -> Path:
    """Write the race movie (`race_frames`) as a new MP4 or GIF file in `folder`; returns its path.

    Frame rate `fps`; at most `max_frames` frames, reports subsampled evenly, the last kept.
    """
    path = _new_path(folder, name, fmt)
    _check_race(frames, names)
    canvas = _RaceCanvas(frames, names, total_steps, target, MP4_SIZE if fmt == "mp4" else GIF_SIZE)
    return _write(canvas, frame_indices(len(frames), max_frames), fps, path)


def sweep_frames(values: Sequence[float], outputs: torch.Tensor, model_spectra: torch.Tensor,
                 target: torch.Tensor, target_spectrum: torch.Tensor, label: str,
                 distances: Sequence[float] | None = None, best: float | None = None, log_x: bool = False,
                 size: tuple[int, int] = MP4_SIZE, max_frames: int = MAX_FRAMES) -> Iterable[np.ndarray]:
    """The sweep movie's pictures, (height, width, 3) uint8 each, one per grid value.

    values: (V,) the knob's grid, labelled `label` (e.g. "ω₀"); outputs: (V, C, *spatial)
    untrained outputs (any range: clipped to [-1, 1] for display); model_spectra: (V, n);
    target: (C, *spatial) in [-1, 1]; target_spectrum: (n,).  distances: (V,) W per value
    (e.g. the mean over seeds), computed from the spectra when not given; best: FreSh's
    pick, flagged in the title; log_x: a log axis for W against the value.
    """
    canvas = _sweep_canvas(values, outputs, model_spectra, target, target_spectrum, label, distances, best, log_x,
                           size)
    return map(canvas.draw, frame_indices(len(values), max_frames))


def sweep_animation(values: Sequence[float], outputs: torch.Tensor, model_spectra: torch.Tensor,
                    target: torch.Tensor, target_spectrum: torch.Tensor, label: str, folder: str | Path,
                    fmt: str = "mp4", distances: Sequence[float] | None = None, best: float | None = None,
                    log_x: bool = False, fps: float = SWEEP_FPS, max_frames: int = MAX_FRAMES,
                    name: str = "sweep") -> Path:
    """Write the sweep movie (`sweep_frames`) as a new MP4 or GIF file in `folder`; returns its path."""
    path = _new_path(folder, name, fmt)
    canvas = _sweep_canvas(values, outputs, model_spectra, target, target_spectrum, label, distances, best, log_x,
                           MP4_SIZE if fmt == "mp4" else GIF_SIZE)
    return _write(canvas, frame_indices(len(values), max_frames), fps, path)


def _sweep_canvas(values: Sequence[float], outputs: torch.Tensor, model_spectra: torch.Tensor, target: torch.Tensor,
                  target_spectrum: torch.Tensor, label: str, distances: Sequence[float] | None, best: float | None,
                  log_x: bool, size: tuple[int, int]) -> _SweepCanvas:
    if not len(values) == len(outputs) == len(model_spectra) or len(values) == 0:
        raise ValueError(f"need one output and one spectrum per value: {len(values)} values, "
                         f"{len(outputs)} outputs, {len(model_spectra)} spectra")
    if distances is None:
        distances = wasserstein(model_spectra.float().cpu(), target_spectrum.float().cpu()).tolist()
    return _SweepCanvas(values, outputs, model_spectra, target, target_spectrum, label, distances, best, log_x, size)


# -- what a panel shows


def _compact(values: torch.Tensor, max_side: int) -> torch.Tensor:
    """(E, C, *spatial) on any device -> the same kind of signal on the CPU, in [-1, 1],
    holding only what a panel draws (reduced first, so little leaves the device)."""
    if values.dim() == 5:  # video: the middle frame, still shaped as a clip (E, C, 1, H, W)
        return _compact(values[:, :, values.shape[2] // 2], max_side)[:, :, None]
    values = values.float().nan_to_num().clamp(-1, 1)
    if values.dim() == 3:  # audio: the envelope, as (E, 1, 2 * columns) of interleaved min and max
        return torch.stack([_envelope(member) for member in values.mean(1).cpu().numpy()])[:, None]
    return _shrink(values, max_side).cpu()


def _shrink(images: torch.Tensor, max_side: int) -> torch.Tensor:
    """(E, C, H, W) averaged down so the longest side is at most `max_side`."""
    height, width = images.shape[-2:]
    scale = max_side / max(height, width)
    if scale >= 1:
        return images
    return F.interpolate(images, size=(max(1, round(height * scale)), max(1, round(width * scale))), mode="area")


def _envelope(samples: np.ndarray, columns: int = WAVE_COLUMNS) -> torch.Tensor:
    """(L,) -> (2 * k,) min and max of each of k = min(columns, L) chunks, interleaved.

    Chunks as `plots.waveform` cuts them, so its picture of this array is that of `samples`."""
    starts = np.cumsum([0] + [len(c) for c in np.array_split(samples, min(columns, len(samples)))[:-1]])
    pairs = np.stack([np.minimum.reduceat(samples, starts), np.maximum.reduceat(samples, starts)], axis=1)
    return torch.from_numpy(pairs.reshape(-1).astype(np.float32))


def _to_codes(values: torch.Tensor) -> torch.Tensor:
    return ((values + 1) * 127.5).round().to(torch.uint8)


def _panel(values: torch.Tensor) -> np.ndarray:
    """A signal (C, *spatial), floats in [-1, 1] or uint8 codes, as an (H, W, 3) uint8
    picture (see the module's notes)."""
    values = values.detach().cpu()
    if values.dim() == 4:
        values = values[:, values.shape[1] // 2]
    if values.dim() == 3 and values.dtype == torch.uint8:  # codes are already the picture's bytes
        codes = values.numpy()
        rgb = codes[:3] if codes.shape[0] >= 3 else np.rint(codes.mean(0, keepdims=True)).astype(np.uint8)
        return np.ascontiguousarray(np.broadcast_to(rgb, (3, *codes.shape[1:])).transpose(1, 2, 0))
    values = values.float() / 127.5 - 1 if values.dtype == torch.uint8 else values.float().nan_to_num().clamp(-1, 1)
    if values.dim() == 2:
        if values.shape[1] > 2 * WAVE_COLUMNS:  # a raw clip: reduce it the way from_progress does
            values = _envelope(values.mean(0).numpy())[None]
        return waveform(values, (160, min(WAVE_COLUMNS, values.shape[1])))
    if values.dim() != 3:
        raise ValueError(f"cannot draw a signal shaped {tuple(values.shape)}: expected (C, *spatial), 1 to 3 axes")
    return image_array(values)


# -- drawing


class _Canvas:
    """A Matplotlib figure of `size` = (width, height) pixels, read back as RGB arrays."""

    def __init__(self, size: tuple[int, int]):
        width, height = size
        if width % 2 or height % 2:
            raise ValueError(f"{width}x{height}: frames need even sides (H.264 in yuv420p)")
        self.size = size
        dpi = max(MIN_DPI, width / 9.6)  # the layout is made for 9.6 x 5.4 inches; a small frame is smaller
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
        FigureCanvasAgg(self.figure)
        self.moving: list = []  # artists redrawn every frame; the rest is drawn once and copied
        self.background = None

    def moves(self, artist):
        """Mark `artist` as changing from frame to frame; returns it."""
        artist.set_animated(True)
        self.moving.append(artist)
        return artist

    def picture_axes(self, spec, title: str, picture: np.ndarray):
        axes = self.figure.add_subplot(spec)
        axes.set_axis_off()
        axes.set_title(title, fontsize=9)
        # A waveform fills its panel; a picture keeps its aspect and its pixels (no blur when enlarged).
        image = axes.imshow(picture, aspect="auto" if picture.shape[0] < picture.shape[1] / 2 else "equal",
                            interpolation="nearest" if max(picture.shape[:2]) < 200 else "antialiased")
        return axes, image

    def rgb(self) -> np.ndarray:
        """The frame as (height, width, 3) uint8: the still parts are drawn once (a full draw
        costs ten times more: ticks, legend and labels are laid out anew), then copied back
        and only the moving artists drawn over them (Matplotlib's blitting)."""
        canvas = self.figure.canvas
        if self.background is None:
            canvas.draw()
            self.background = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self.background)
        for artist in self.moving:
            self.figure.draw_artist(artist)
        frame = np.asarray(self.figure.canvas.buffer_rgba())[..., :3]
        width, height = self.size
        if frame.shape[:2] != (height, width):  # rounding in dpi * inches: crop or pad to the exact size
            frame = np.pad(frame[:height, :width], ((0, max(0, height - frame.shape[0])),
                                                    (0, max(0, width - frame.shape[1])), (0, 0)),
                           constant_values=255)
        return np.ascontiguousarray(frame)


class _RaceCanvas(_Canvas):
    """Reconstructions in a row over the growing PSNR curves; `draw(i)` shows report i."""

    def __init__(self, frames: Sequence[RaceFrame], names: Sequence[str], total_steps: int,
                 target: torch.Tensor | None, size: tuple[int, int]):
        super().__init__(size)
        self.frames, self.names = frames, list(names)
        self.steps = np.array([f.step for f in frames], dtype=float)
        self.train = np.array([f.train_psnr for f in frames], dtype=float)  # (R, E)
        self.test = np.array([f.test_psnr for f in frames], dtype=float)
        panels = len(names) + (target is not None)
        grid = self.figure.add_gridspec(2, panels, height_ratios=(1.6, 1), left=0.07, right=0.98, bottom=0.09,
                                        top=0.85, hspace=0.3, wspace=0.06)
        if target is not None:
            self.picture_axes(grid[0, 0], _target_title(target), _panel(target))
        first = frames[0].reconstructions
        self.images = [self.picture_axes(grid[0, panels - len(names) + m], "", _panel(first[m]))
                       for m in range(len(names))]
        for m, (axes, image) in enumerate(self.images):
            axes.title.set_color(MEMBER_COLOURS[m % len(MEMBER_COLOURS)])
            self.moves(axes.title)
            self.moves(image)
        self.total = max(1, total_steps, int(self.steps.max()))
        self.curves = self.psnr_axes(grid[1, :], self.total)
        self.title = self.moves(self.figure.suptitle("", fontsize=12))

    def psnr_axes(self, spec, total_steps: int) -> list[tuple]:
        axes = self.figure.add_subplot(spec)
        axes.set_xlim(0, total_steps)
        axes.set_ylim(*_psnr_range(np.concatenate([self.train.ravel(), self.test.ravel()])))
        axes.set_xlabel("step", fontsize=9)
        axes.set_ylabel("PSNR (dB)", fontsize=9)
        axes.tick_params(labelsize=8)
        axes.grid(alpha=0.3)
        curves, keys = [], []
        for m, name in enumerate(self.names):
            colour = MEMBER_COLOURS[m % len(MEMBER_COLOURS)]
            trained, = axes.plot([], [], color=colour, lw=2)
            held, = axes.plot([], [], color=colour, lw=2, ls="--")
            curves.append((self.moves(trained), self.moves(held)))
            keys.append(Line2D([], [], color=colour, lw=2, label=name))
        # Colour names the member, the line style the samples: short enough for one row in a GIF.
        keys += [Line2D([], [], color="black", lw=1.5, label="trained samples"),
                 Line2D([], [], color="black", lw=1.5, ls="--", label="held-out samples")]
        # Above the axes, where no curve can run over it (the curves are drawn after the still parts).
        axes.legend(handles=keys, loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8, ncols=len(keys),
                    frameon=False)
        return curves

    def draw(self, index: int) -> np.ndarray:
        frame = self.frames[index]
        for m, ((axes, image), (trained, held)) in enumerate(zip(self.images, self.curves)):
            image.set_data(_panel(frame.reconstructions[m]))
            axes.title.set_text(f"{self.names[m]}\n{_scores(frame.train_psnr[m], frame.test_psnr[m])}")
            trained.set_data(self.steps[: index + 1], self.train[: index + 1, m])
            held.set_data(self.steps[: index + 1], self.test[: index + 1, m])
        self.title.set_text(f"Training race: step {frame.step} of {self.total}")
        return self.rgb()


class _SweepCanvas(_Canvas):
    """Target, untrained output and W against the value over both spectra; `draw(i)` shows value i."""

    def __init__(self, values: Sequence[float], outputs: torch.Tensor, model_spectra: torch.Tensor,
                 target: torch.Tensor, target_spectrum: torch.Tensor, label: str, distances: Sequence[float],
                 best: float | None, log_x: bool, size: tuple[int, int]):
        super().__init__(size)
        self.values, self.outputs, self.label = list(values), outputs, label
        self.distances, self.best = list(distances), best
        self.spectra = normalised(model_spectra.detach().float().cpu()).numpy()  # (V, n)
        target_share = normalised(target_spectrum.detach().float().cpu()).numpy()
        grid = self.figure.add_gridspec(2, 3, height_ratios=(1.2, 1), left=0.07, right=0.98, bottom=0.09, top=0.88,
                                        hspace=0.4, wspace=0.25)
        self.picture_axes(grid[0, 0], _target_title(target), _panel(target))
        self.output = self.moves(self.picture_axes(grid[0, 1], "untrained output", _panel(outputs[0]))[1])
        self.marker = self.moves(self.distance_axes(grid[0, 2], log_x))
        self.spectrum_plot = self.moves(self.spectra_axes(grid[1, :], target_share))
        self.moves(self.spectra_title)
        self.title = self.moves(self.figure.suptitle("", fontsize=12))

    def distance_axes(self, spec, log_x: bool):
        axes = self.figure.add_subplot(spec)
        axes.plot(self.values, self.distances, "o-", color=MODEL_COLOUR, ms=3, lw=1.5)
        if log_x:
            axes.set_xscale("log")
        axes.set_title("W (lower: spectra closer)", fontsize=9)
        axes.set_xlabel(self.label, fontsize=9)
        axes.tick_params(labelsize=8)
        axes.grid(alpha=0.3)
        marker, = axes.plot([], [], "o", color="black", ms=8, mfc="none", mew=2)
        return marker

    def spectra_axes(self, spec, target_share: np.ndarray):
        axes = self.figure.add_subplot(spec)
        bins = np.arange(1, len(target_share) + 1)
        axes.plot(bins, target_share, color=TARGET_COLOUR, lw=2, label="target")
        model, = axes.plot(bins, self.spectra[0], color=MODEL_COLOUR, lw=2, label="untrained model")
        top = max(float(target_share.max()), float(self.spectra.max()))
        axes.set_ylim(0, top * 1.08 if top > 0 else 1)
        axes.set_xlim(1, len(bins))
        axes.set_xlabel("frequency bin (low → high)", fontsize=9)
        axes.set_ylabel("share of energy", fontsize=9)
        axes.tick_params(labelsize=8)
        axes.grid(alpha=0.3)
        # Above the axes, where the moving spectrum cannot run over it.
        axes.legend(loc="lower right", bbox_to_anchor=(1, 1.0), fontsize=8, ncols=2, frameon=False)
        self.spectra_title = axes.set_title("", fontsize=10, loc="left")
        return model

    def draw(self, index: int) -> np.ndarray:
        value, distance = self.values[index], self.distances[index]
        self.output.set_data(_panel(self.outputs[index]))
        self.marker.set_data([value], [distance])
        self.spectrum_plot.set_ydata(self.spectra[index])
        self.spectra_title.set_text(f"Spectra at {self.label} = {value:g}: W = {distance:.3f}")
        pick = " (FreSh's pick)" if self.best is not None and value == self.best else ""
        self.title.set_text(f"{self.label} = {value:g}{pick}   [{index + 1}/{len(self.values)}]")
        return self.rgb()


def _target_title(target: torch.Tensor) -> str:
    """The target panel's title; for a clip, which of its frames every panel shows."""
    if target.dim() != 4:
        return "target"
    frames = target.shape[1]
    return f"target (middle frame, {frames // 2 + 1} of {frames})"


def _psnr_range(values: np.ndarray) -> tuple[float, float]:
    """Fixed y limits for the curves: every finite PSNR with a dB of room, whole dB."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    return math.floor(finite.min()) - 1.0, math.ceil(finite.max()) + 1.0


def _scores(trained: float, held_out: float) -> str:
    text = f"{trained:.1f} dB trained"
    return text + (f", {held_out:.1f} dB held out" if math.isfinite(held_out) else "")


def _check_race(frames: Sequence[RaceFrame], names: Sequence[str]) -> None:
    if not frames:
        raise ValueError("a race movie needs at least one report")
    members = len(names)
    for frame in frames:
        if frame.reconstructions.shape[0] != members or len(frame.train_psnr) != members or \
                len(frame.test_psnr) != members:
            raise ValueError(f"every report needs one reconstruction and PSNR per member ({members} names); "
                             f"step {frame.step} has {frame.reconstructions.shape[0]} reconstructions")


# -- files


def _new_path(folder: str | Path, name: str, fmt: str) -> Path:
    """A new file name in `folder` (which must exist); only letters, digits, - and _ from `name`."""
    if fmt not in ("mp4", "gif"):
        raise ValueError(f"unknown animation format '{fmt}': use mp4 or gif")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "animation"
    return folder / f"{stem}-{uuid.uuid4().hex[:12]}.{fmt}"


def _write(canvas: _Canvas, indices: list[int], fps: float, path: Path) -> Path:
    """Draw `canvas` at each index into `path` (.mp4 or .gif); a failed write leaves no file."""
    if not fps > 0:
        raise ValueError(f"the frame rate must be positive, not {fps}")
    try:
        if path.suffix == ".mp4":
            _write_mp4(map(canvas.draw, indices), len(indices), canvas.size, fps, path)
        else:
            _write_gif(canvas, indices, fps, path)
    except BaseException:
        path.unlink(missing_ok=True)  # no half-written file left to be served
        raise
    return path


def _write_mp4(pictures: Iterable[np.ndarray], count: int, size: tuple[int, int], fps: float, path: Path) -> None:
    """Stream `count` (height, width, 3) uint8 frames into ffmpeg, so memory stays one frame
    deep: H.264 (libx264), yuv420p, index at the front so a browser starts playing at once.

    Constant quality (CRF) with the rate capped (x264's VBV) at what spreads `MP4_BUDGET`
    over the movie's length: a converging race stays far below it, while a movie of noise
    changing every frame is held near it instead of growing without bound.
    """
    width, height = size
    rate = round(0.8 * MP4_BUDGET * 8 * fps / max(1, count))  # bits per second; 20 % margin for the buffer
    args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error",
            "-timelimit", str(ffmpeg.CPU_SECONDS), "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
            "-framerate", f"{fps:.6g}", "-i", "pipe:0", "-c:v", "libx264", "-preset", "veryfast",
            "-tune", "animation", "-crf", str(MP4_CRF), "-maxrate", str(rate), "-bufsize", str(rate),
            "-pix_fmt", "yuv420p", "-threads", "2", "-movflags", "+faststart", "-y", f"file:{path.resolve()}"]
    with tempfile.TemporaryFile() as messages:  # a file, not a pipe, so ffmpeg never stalls on it
        process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=messages)
        try:
            for picture in pictures:
                process.stdin.write(picture.tobytes())
            process.stdin.close()
            code = process.wait(timeout=ffmpeg.CPU_SECONDS + 30)
        except BrokenPipeError:  # ffmpeg quit early: its message says why
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        messages.seek(0)
        text = messages.read().decode("utf-8", "replace")
    if code != 0:
        raise RuntimeError(f"ffmpeg could not write {path.name}: {ffmpeg.last_line(text)}")


def _write_gif(canvas: _Canvas, indices: list[int], fps: float, path: Path) -> None:
    """A looping GIF through Pillow; the last frame is held `GIF_HOLD_MS`.

    One palette for every frame, made from the first and last frames (they span the
    colours: noise at step 0, the fitted signal at the end), so colours do not flicker and
    Pillow stores each frame as its change from the previous one.  No dithering: its
    noise would defeat GIF's compression.  Frames are kept indexed, one byte a pixel.
    GIF has no rate control: a file over `GIF_BUDGET` is written again with every other
    frame (the last kept), each shown twice as long, until it fits.
    """
    width, height = canvas.size
    both = Image.new("RGB", (width, 2 * height))
    both.paste(Image.fromarray(canvas.draw(indices[0])), (0, 0))
    both.paste(Image.fromarray(canvas.draw(indices[-1])), (0, height))
    palette = both.quantize(GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    frames = [Image.fromarray(canvas.draw(i)).quantize(palette=palette, dither=Image.Dither.NONE) for i in indices]
    step = round(1000 / fps)
    while True:
        durations = [step] * (len(frames) - 1) + [max(step, GIF_HOLD_MS)]
        frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
        if path.stat().st_size <= GIF_BUDGET or len(frames) <= 2:
            return
        frames = [frames[i] for i in frame_indices(len(frames), (len(frames) + 1) // 2)]
        step *= 2
