"""FreSh on untrained outputs saved elsewhere, in the FreSh reference's layout.

The reference (gmum/FreSh, `scripts/find_optimal_config.py`) reads a target
`.npy` and a folder `DIR/<configuration>/<i>.npy` of untrained model outputs,
and for each spectrum size (32, 64, 128) pairs every output with a target frame:

- one `np.random.seed(0)` before everything; for each size in turn it draws 10
  target frames (`np.random.choice(N, 10, replace=N < 10)`), file i taking frame i;
- an output with a leading frame (or view) axis instead draws its frame with
  `np.random.choice(F)` and is compared with the target frame of that index;
- configurations in sorted name order; `--bbox` crops both to the box around the
  target's non-zero pixels; `--downscale` resizes both to a (2n+1)-pixel square.
  Its background is the pixels where exactly 3 channels are zero, so only a 3-channel
  target is ever cropped (a grey one has no background); here too (`crops_to_box`).

This module reproduces that pairing and arithmetic (so the mean W per
configuration agrees to float32 precision) and fixes its defects: files are read
in a numeric-aware sorted order (the reference takes the file system's order), a
configuration may hold any number of outputs (the reference fails past 10: more
target frames are drawn, the first 10 as the reference draws them), the box is
that of the frame actually compared and is cropped before downscaling, and the
symmetric and radial modes keep non-square images unstretched.  The DFTs run in
batches, over the half plane `rfftn` returns, through `spectrum.py`'s reductions.
Arrays are read without unpickling.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from .signals import resize_to
from .spectrum import MODES, Reduction, analysis_grid, crop, normalised, wasserstein

REFERENCE_SIZES = (32, 64, 128)
PAIRED_OUTPUTS = 10  # target frames the reference draws per spectrum size
MAX_CHANNELS = 16  # more than this on the channel axis means the axes were misread
MAX_HEADER_BYTES = 10_000

Progress = Callable[[float, str], None]


class OutputsError(ValueError):
    """A folder, archive or array that does not hold usable outputs; the message says why."""


def natural_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: 2.npy before 10.npy."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def read_npy_header(handle: BinaryIO, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a .npy stream, checked before any data is read: real numbers only, never pickles."""
    try:
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version}")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(handle, max_header_size=MAX_HEADER_BYTES)
    except (ValueError, OSError, SyntaxError, EOFError) as err:
        raise OutputsError(f"{name} is not a valid .npy file ({err})") from None
    if dtype.hasobject:
        raise OutputsError(f"{name} holds Python objects (pickled data); only numeric arrays are read")
    if dtype.kind not in "biuf":
        raise OutputsError(f"{name} holds {dtype} values; only real numbers are read")
    return tuple(shape), dtype


def load_npy_file(path: Path) -> np.ndarray:
    """A numeric .npy file, memory-mapped (frames are read when used), never unpickled."""
    try:
        with path.open("rb") as handle:
            read_npy_header(handle, path.name)
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError as err:
        raise OutputsError(f"{path.name} could not be read ({err.strerror or err})") from None
    except ValueError as err:
        if isinstance(err, OutputsError):
            raise
        raise OutputsError(f"{path.name} could not be read ({err})") from None


@dataclass(frozen=True, eq=False)
class Output:
    """One saved untrained output: a .npy file, read when needed, or an array in memory."""

    name: str
    shape: tuple[int, ...]
    path: Path | None = None
    array: np.ndarray | None = None

    @classmethod
    def from_file(cls, path: Path) -> Output:
        try:
            with path.open("rb") as handle:
                shape, _ = read_npy_header(handle, f"{path.parent.name}/{path.name}")
        except OSError as err:
            raise OutputsError(f"{path.name} could not be read ({err.strerror or err})") from None
        return cls(f"{path.parent.name}/{path.name}", shape, path=path)

    @classmethod
    def from_array(cls, name: str, array: np.ndarray | torch.Tensor) -> Output:
        if isinstance(array, torch.Tensor):
            array = array.detach().cpu().numpy()
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise OutputsError(f"{name} holds {array.dtype} values; only real numbers are read")
        return cls(name, tuple(array.shape), array=array)

    def read(self) -> np.ndarray:
        return self.array if self.array is not None else load_npy_file(self.path)


def read_outputs_folder(root: str | Path) -> dict[str, list[Output]]:
    """DIR/<configuration>/<i>.npy -> {configuration: outputs}, configurations in sorted order as the
    reference takes them, files in numeric-aware order.  Only headers are read here."""
    root = Path(root)
    if not root.is_dir():
        raise OutputsError(f"{root} is not a folder")
    outputs = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted((f for f in folder.iterdir() if f.suffix == ".npy" and f.is_file()),
                       key=lambda f: natural_key(f.name))
        if files:  # the reference skips configuration folders without outputs
            outputs[folder.name] = [Output.from_file(f) for f in files]
    if not outputs:
        loose = any(f.suffix == ".npy" for f in root.iterdir())
        hint = (": it holds .npy files itself; point at the folder above, whose subfolders are configurations"
                if loose else "")
        raise OutputsError(f"{root} has no configuration folders with .npy outputs (DIR/<configuration>/<i>.npy)"
                           f"{hint}")
    return outputs


def as_outputs(outputs: Mapping[str, Sequence[np.ndarray | torch.Tensor | Output]]) -> dict[str, list[Output]]:
    """A mapping configuration -> arrays (or `Output`s) as `Output`s, in sorted configuration order."""
    result = {}
    for config in sorted(outputs):
        items = list(outputs[config])
        if not items:
            raise OutputsError(f"configuration '{config}' has no outputs")
        result[str(config)] = [item if isinstance(item, Output) else Output.from_array(f"{config}/{i}", item)
                               for i, item in enumerate(items)]
    if not result:
        raise OutputsError("no configurations given")
    return result


def target_frames(array: np.ndarray) -> np.ndarray:
    """The reference's reading of a target: (H, W, C), (C, H, W), (N, H, W, C) or (N, C, H, W) -> (N, C, H, W).

    As the reference: a last axis of length <= 3 is the channel axis.  (H, W) is one grey frame."""
    if array.dtype.kind not in "biuf":
        raise OutputsError(f"the target holds {array.dtype} values; only real numbers are read")
    if array.ndim == 2:
        return array[None, None]
    if array.ndim not in (3, 4):
        raise OutputsError(f"the target has shape {array.shape}; expected (H, W, C), (C, H, W) or (N, H, W, C)")
    frames = array[None] if array.ndim == 3 else array
    if frames.shape[-1] <= 3:
        frames = np.moveaxis(frames, -1, 1)
    if frames.shape[0] < 1 or not 1 <= frames.shape[1] <= MAX_CHANNELS or min(frames.shape[2:]) < 2:
        raise OutputsError(f"the target has shape {array.shape}; expected (H, W, C), (C, H, W) or (N, H, W, C)")
    return frames


def output_image(array: np.ndarray, frame: int | None) -> np.ndarray:
    """One saved output as (C, H, W): the frame picked from a leading axis, channels moved first as the reference."""
    image = array[frame] if frame is not None else array
    if image.ndim == 2:
        return image[None]
    return np.moveaxis(image, -1, 0) if image.shape[-1] <= 3 else image


def check_output_shape(output: Output, frames: int) -> None:
    if len(output.shape) not in (2, 3, 4):
        raise OutputsError(f"{output.name} has shape {output.shape}; expected (C, H, W), (H, W, C) or a leading "
                           "frame axis")
    if len(output.shape) == 4 and output.shape[0] > frames:
        raise OutputsError(f"{output.name} has {output.shape[0]} frames but the target has {frames}; each output "
                           "frame is compared with the target frame of the same index")
    image = output.shape[1:] if len(output.shape) == 4 else output.shape
    if len(image) == 2:
        channels, spatial = 1, image
    else:  # channels last when the last axis has at most 3 entries, as the reference decides
        channels, spatial = (image[-1], image[:2]) if image[-1] <= 3 else (image[0], image[1:])
    if not 1 <= channels <= MAX_CHANNELS or min(spatial) < 2 or output.shape[0] < 1:
        raise OutputsError(f"{output.name} has shape {output.shape}; expected (C, H, W), (H, W, C) or a leading "
                           "frame axis")


@dataclass(frozen=True)
class Pair:
    """Which frame of an output is compared with which target frame."""

    output_frame: int | None  # None: the output has no frame axis
    target_frame: int


def pair_frames(frames: int, outputs: Mapping[str, Sequence[Output]], rounds: int) -> list[dict[str, list[Pair]]]:
    """The reference's pairing, one round per spectrum size: [round][configuration][file] -> Pair.

    A fresh RandomState(0) gives the stream the reference's global np.random.seed(0) gives."""
    rng = np.random.RandomState(0)
    count = max(PAIRED_OUTPUTS, max(len(files) for files in outputs.values()))
    plan = []
    for _ in range(rounds):
        drawn = rng.choice(frames, size=count, replace=frames < count)
        pairs = {}
        for config, files in outputs.items():
            pairs[config] = []
            for i, output in enumerate(files):
                if len(output.shape) > 3:
                    frame = int(rng.choice(output.shape[0]))
                    pairs[config].append(Pair(frame, frame))
                else:
                    pairs[config].append(Pair(None, int(drawn[i])))
        plan.append(pairs)
    return plan


def crops_to_box(channels: int) -> bool:
    """Whether --bbox crops a target with this many channels.  The reference takes a pixel as background
    when exactly 3 of its channels are zero: a 1- or 2-channel target has none, and a wider one's all-zero
    pixels are not background either, so its box is the whole frame.  Following it keeps W what the
    reference computes: only 3-channel targets are cropped."""
    return channels == 3


def foreground_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """Rows and columns [r0, r1) x [c0, c1) around the pixels not zero in every channel: (C, H, W) -> box."""
    rows, cols = np.nonzero((np.asarray(image) != 0).any(axis=0))
    if rows.size == 0:
        raise OutputsError("--bbox: a target frame is all zero, so it has no foreground box")
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def resize_values(images: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """(B, C, *spatial) of any value range onto `shape` with the signals' filter (`signals.resize_to`:
    antialiased bilinear for images).  resize_to clamps to [-1, 1], which suits signals; these values are
    scaled into that range and back, which the linear filter commutes with."""
    if tuple(images.shape[2:]) == tuple(shape):
        return images
    peak = images.abs().amax().clamp_min(torch.finfo(images.dtype).tiny)
    flat = images.reshape(-1, *images.shape[2:]) / peak
    return (resize_to(flat, tuple(shape)) * peak).reshape(*images.shape[:2], *shape)


@dataclass(frozen=True)
class View:
    """How an image is prepared before its DFT: cropped to `box`, then resized for `downscale`."""

    box: tuple[int, int, int, int] | None
    downscale: int | None  # the side (2n + 1) of --downscale, or None


class HalfPlane:
    """A `Reduction` of (H, W) DFTs applied to the half that `rfftn` returns: (..., H, W // 2 + 1) -> (..., bins).

    A real image's DFT has |F(k)| = |F(-k)|, and k and -k fall in the same bin in every mode, so the
    columns whose conjugate column was dropped count twice.  A quarter of the full DFT's time."""

    def __init__(self, shape: tuple[int, int], mode: str, device: torch.device):
        full = Reduction(shape, mode, device)
        height, width = shape
        kept = width // 2 + 1
        column = torch.arange(kept, device=device)
        twice = (column > 0) & (2 * column != width)  # column width - j is not kept
        self.index = full.index.reshape(height, width)[:, :kept].reshape(-1)
        self.weight = (full.weight.reshape(height, width)[:, :kept] * torch.where(twice, 2.0, 1.0)).reshape(-1)
        self.bins = full.bins

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) real -> (B, bins): |DFT| summed over channels, reduced."""
        magnitude = torch.fft.rfftn(images, dim=(-2, -1)).abs().sum(1).reshape(images.shape[0], -1)
        out = torch.zeros(images.shape[0], self.bins, dtype=magnitude.dtype, device=magnitude.device)
        return out.index_add_(1, self.index, magnitude * self.weight)


class SpectrumMaker:
    """Reduced spectra of (C, H, W) images, batched by shape, with one `HalfPlane` reduction per shape."""

    def __init__(self, mode: str, device: torch.device):
        if mode not in MODES:
            raise OutputsError(f"unknown spectrum mode '{mode}'; choose from {', '.join(MODES)}")
        self.mode, self.device = mode, device
        self.reductions: dict[tuple[int, ...], HalfPlane] = {}

    def prepare(self, image: np.ndarray, view: View) -> torch.Tensor:
        """(C, H, W) array -> (C, h, w) float32 on the device, as the DFT will see it."""
        if view.box is not None:
            r0, r1, c0, c1 = view.box
            image = image[:, r0:r1, c0:c1]
        tensor = torch.from_numpy(np.array(image, dtype=np.float32, order="C")).to(self.device)
        if view.downscale is not None:
            tensor = resize_values(tensor[None], self.downscaled(tuple(tensor.shape[1:]), view.downscale))[0]
        return resize_values(tensor[None], analysis_grid(tuple(tensor.shape[1:]), self.mode))[0]

    def downscaled(self, shape: tuple[int, int], side: int) -> tuple[int, int]:
        """--downscale: the reference stretches to a side x side square; symmetric and radial keep the aspect."""
        if self.mode == "paper":
            return side, side
        scale = side / min(shape)
        return tuple(max(2, round(s * scale)) for s in shape)

    def full(self, images: list[torch.Tensor], names: list[str]) -> list[torch.Tensor]:
        """Each image's whole reduced spectrum, DC at 0, float64 on the CPU: one DFT per group of equal shapes.
        A NaN or infinity anywhere in an image spreads over its whole spectrum, so it is caught here."""
        result: list[torch.Tensor | None] = [None] * len(images)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            groups.setdefault(tuple(image.shape[1:]), []).append(i)
        for shape, members in groups.items():
            if shape not in self.reductions:
                self.reductions[shape] = HalfPlane(shape, self.mode, self.device)
            # Small from here on: W and the summaries in float64 on the CPU (MPS has no float64).
            spectra = self.reductions[shape](torch.stack([images[i] for i in members])).cpu().double()
            finite = torch.isfinite(spectra).all(1).tolist()
            for i, spectrum, ok in zip(members, spectra, finite):
                if not ok:
                    raise OutputsError(f"{names[i]}: NaN or infinite values")
                result[i] = spectrum
        return result


@dataclass
class Comparison:
    """W of every output against its paired target frame, per spectrum size.

    `distances[n][c]` lists configuration c's per-output W at size n; `spectra[n][c]` its outputs'
    normalised spectra (outputs, n); `target_spectra[n]` the mean normalised spectrum of the target
    frames compared at size n.  Configurations keep the order given (the reference's: sorted names)."""

    configs: list[str]
    sizes: tuple[int, ...]
    mode: str
    distances: dict[int, list[list[float]]]
    spectra: dict[int, list[torch.Tensor]]
    target_spectra: dict[int, torch.Tensor]
    seconds: float
    device: str

    def mean(self, n: int) -> list[float]:
        return [float(np.mean(d)) for d in self.distances[n]]

    def standard_error(self, n: int, ddof: int = 0) -> list[float]:
        """Per configuration; ddof=0 is the reference's np.std(distances) / sqrt(len(distances))."""
        return [float(np.std(d, ddof=ddof) / math.sqrt(len(d))) if len(d) > ddof else 0.0
                for d in self.distances[n]]

    def best(self, n: int) -> int:
        """Index of the lowest mean W; the first in configuration order on ties, as the reference."""
        means = self.mean(n)
        return min(range(len(means)), key=lambda i: (means[i], i))


def compare_outputs(target: np.ndarray, outputs: Mapping[str, Sequence[Output]],
                    sizes: Sequence[int] = REFERENCE_SIZES, mode: str = "paper", bbox: bool = False,
                    downscale: bool = False, device: torch.device | str = "cpu",
                    progress: Progress | None = None) -> Comparison:
    """W of every output against the target, as the reference pairs them (see the module's docstring).

    target: (N, C, H, W) frames (`target_frames` reads the reference's layouts); outputs: configuration ->
    `Output`s in file order, configurations in the order they are compared (the reference's: sorted)."""
    start = time.perf_counter()
    sizes = tuple(int(n) for n in sizes)
    if not sizes or min(sizes) < 2:
        raise OutputsError("spectrum sizes must be at least 2")
    if target.ndim != 4:
        raise OutputsError(f"target frames must be (N, C, H, W), got shape {target.shape}")
    outputs = {config: list(files) for config, files in outputs.items()}
    for files in outputs.values():
        for output in files:
            check_output_shape(output, target.shape[0])
    maker = SpectrumMaker(mode, torch.device(device))
    plan = pair_frames(target.shape[0], outputs, len(sizes))
    boxes: dict[int, tuple[int, int, int, int]] = {}
    bbox = bbox and crops_to_box(target.shape[1])

    def view(frame: int, n: int) -> View:
        if bbox and frame not in boxes:
            boxes[frame] = foreground_box(target[frame])
        return View(boxes[frame] if bbox else None, 2 * n + 1 if downscale else None)

    target_spectra: dict[tuple[int, View], torch.Tensor] = {}
    distances: dict[int, list[list[float]]] = {n: [] for n in sizes}
    spectra: dict[int, list[torch.Tensor]] = {n: [] for n in sizes}
    for done, (config, files) in enumerate(outputs.items()):
        # Every (frame, view) of each file this configuration needs, over all sizes; each file is read once.
        needed: dict[int, set[tuple[int | None, View]]] = {}
        for pairs, n in zip(plan, sizes):
            for i, pair in enumerate(pairs[config]):
                needed.setdefault(i, set()).add((pair.output_frame, view(pair.target_frame, n)))
        keys, images = [], []
        for i, variants in needed.items():
            array = files[i].read()
            for frame, how in variants:
                image = output_image(array, frame)
                if how.box is not None and image.shape[1:] != target.shape[2:]:
                    raise OutputsError(f"{files[i].name} is {image.shape[1]} x {image.shape[2]} but the target is "
                                       f"{target.shape[2]} x {target.shape[3]}; --bbox needs them equal")
                images.append(maker.prepare(image, how))
                keys.append((i, frame, how))
        output_spectra = dict(zip(keys, maker.full(images, [files[i].name for i, _, _ in keys])))
        missing = sorted({(p.target_frame, view(p.target_frame, n)) for pairs, n in zip(plan, sizes)
                          for p in pairs[config]} - set(target_spectra), key=repr)
        prepared = [maker.prepare(target[frame], how) for frame, how in missing]
        target_spectra.update(zip(missing, maker.full(prepared, [f"the target, frame {f}" for f, _ in missing])))
        for pairs, n in zip(plan, sizes):
            out = torch.stack([crop(output_spectra[(i, p.output_frame, view(p.target_frame, n))], n)
                               for i, p in enumerate(pairs[config])])
            tgt = torch.stack([crop(target_spectra[(p.target_frame, view(p.target_frame, n))], n)
                               for p in pairs[config]])
            distances[n].append(wasserstein(out, tgt).tolist())
            spectra[n].append(normalised(out).float())
        if progress:
            progress((done + 1) / len(outputs), f"configuration {config}: {len(files)} outputs compared")
    mean_targets = {}
    for pairs, n in zip(plan, sizes):
        used = sorted({(p.target_frame, view(p.target_frame, n)) for row in pairs.values() for p in row}, key=repr)
        mean_targets[n] = normalised(torch.stack([crop(target_spectra[k], n) for k in used])).mean(0).float()
    return Comparison(list(outputs), sizes, mode, distances, spectra, mean_targets,
                      time.perf_counter() - start, str(maker.device))
