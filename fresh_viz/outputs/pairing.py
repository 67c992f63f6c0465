"""The reference's pairing of saved outputs with target frames, as a source of members for `fresh.Sweep`.

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

This module reproduces that pairing (so the mean W per configuration agrees to float32
precision) and fixes its defects: files are read in a numeric-aware sorted order (the
reference takes the file system's order), a configuration may hold any number of outputs
(the reference fails past 10: more target frames are drawn, the first 10 as the reference
draws them), the box is that of the frame actually compared and is cropped before
downscaling, and the symmetric and radial modes keep non-square images unstretched.
Each configuration's i-th output plays seed i in the one sweep every source shares
(`fresh.Sweep`: resizing, half-space DFTs, W, summary, rules and confidence).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..fresh import Batch, Grid, Progress, Selection, Sweep
from ..signals import resize_to
from ..spectrum import MODES, normalised
from .files import Output, OutputsError, check_output_shape, output_image

REFERENCE_SIZES = (32, 64, 128)
PAIRED_OUTPUTS = 10  # target frames the reference draws per spectrum size


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


@dataclass(frozen=True)
class View:
    """How an image is prepared before its DFT: cropped to `box`, then resized for `downscale`."""

    box: tuple[int, int, int, int] | None
    downscale: int | None  # the side (2n + 1) of --downscale, or None


class SavedOutputs:
    """Saved outputs as a sweep's members for one spectrum size: value v stands for configuration
    `labels[v]`, whose i-th output plays seed i and is compared with the target frame its `Pair` names,
    both prepared alike (`View`); the sweep resizes each onto its own analysis grid."""

    batch = None
    ordered = True

    def __init__(self, frames: np.ndarray, outputs: Mapping[str, Sequence[Output]], pairs: Mapping[str, list[Pair]],
                 values: Sequence[float], bins: int, mode: str, bbox: bool, downscale: bool,
                 device: torch.device, name: str = "outputs", param: str = "configuration"):
        self.frames, self.files, self.pairs = frames, outputs, pairs
        self.labels = dict(zip((float(v) for v in values), outputs))
        self.name = self.title = name
        self.param = param
        self.mode, self.device = mode, device
        self.bbox = bbox and crops_to_box(frames.shape[1])
        self.side = 2 * bins + 1 if downscale else None
        self.boxes: dict[int, tuple[int, int, int, int]] = {}
        self.shape = tuple(frames.shape[2:])

    def describe(self) -> dict:
        return {"width": 0, "depth": 0, "fixed": {}}

    def view(self, frame: int) -> View:
        if self.bbox and frame not in self.boxes:
            self.boxes[frame] = foreground_box(self.frames[frame])
        return View(self.boxes[frame] if self.bbox else None, self.side)

    def prepare(self, image: np.ndarray, view: View, name: str) -> torch.Tensor:
        """(C, H, W) array -> (C, h, w) float32 on the device, cropped and downscaled as `view` says."""
        if view.box is not None:
            r0, r1, c0, c1 = view.box
            image = image[:, r0:r1, c0:c1]
        tensor = torch.from_numpy(np.array(image, dtype=np.float32, order="C")).to(self.device)
        if not torch.isfinite(tensor).all():
            raise OutputsError(f"{name}: NaN or infinite values")
        if view.downscale is not None:
            tensor = resize_to(tensor, self.downscaled(tuple(tensor.shape[1:]), view.downscale))
        return tensor

    def downscaled(self, shape: tuple[int, int], side: int) -> tuple[int, int]:
        """--downscale: the reference stretches to a side x side square; symmetric and radial keep the aspect."""
        if self.mode == "paper":
            return side, side
        scale = side / min(shape)
        return tuple(max(2, round(s * scale)) for s in shape)

    def outputs_of(self, value: float, seed: int) -> tuple[torch.Tensor, Hashable] | None:
        config = self.labels[value]
        if seed >= len(self.files[config]):
            return None
        output, pair = self.files[config][seed], self.pairs[config][seed]
        view = self.view(pair.target_frame)
        image = output_image(output.read(), pair.output_frame)
        if view.box is not None and image.shape[1:] != self.frames.shape[2:]:
            raise OutputsError(f"{output.name} is {image.shape[1]} x {image.shape[2]} but the target is "
                               f"{self.frames.shape[2]} x {self.frames.shape[3]}; --bbox needs them equal")
        return self.prepare(image, view, output.name), (pair.target_frame, view)

    def outputs(self, sweep: Grid, values: Sequence[float], seed: int, extra: object = None) -> Batch:
        found = [(value, self.outputs_of(value, seed)) for value in values]
        found = [(value, item) for value, item in found if item is not None]
        return Batch([v for v, _ in found], [image for _, (image, _) in found], [key for _, (_, key) in found])

    def target(self, key: Hashable) -> torch.Tensor:
        frame, view = key
        return self.prepare(self.frames[frame], view, f"the target, frame {frame}")


@dataclass
class Compared:
    """The saved outputs at one spectrum size: the selection (values in the order given, `labels` the
    configurations) and each configuration's outputs' normalised spectra, (outputs, bins) each."""

    size: int
    selection: Selection
    spectra: list[torch.Tensor]

    def distances(self) -> list[list[float]]:
        """Per configuration, the W of each of its outputs in file order."""
        return [[d for d in row if d is not None] for row in self.selection.per_seed]


def compare_outputs(target: np.ndarray, outputs: Mapping[str, Sequence[Output]],
                    sizes: Sequence[int] = REFERENCE_SIZES, mode: str = "paper", bbox: bool = False,
                    downscale: bool = False, device: torch.device | str = "cpu", progress: Progress | None = None,
                    values: Sequence[float] | None = None, name: str = "outputs", param: str = "configuration",
                    rule: str = "paper", ordered: bool = True) -> list[Compared]:
    """W of every output against the target, as the reference pairs them (see the module's docstring), one
    sweep per spectrum size.

    target: (N, C, H, W) frames (`files.target_frames` reads the reference's layouts); outputs: configuration ->
    `Output`s in file order, configurations in the order they are compared (the reference's: sorted).
    values: what each configuration stands for (ascending or not; default 0, 1, ... in the order given, so
    ties go to the first configuration, as in the reference)."""
    sizes = tuple(int(n) for n in sizes)
    if not sizes or min(sizes) < 2:
        raise OutputsError("spectrum sizes must be at least 2")
    if mode not in MODES:
        raise OutputsError(f"unknown spectrum mode '{mode}'; choose from {', '.join(MODES)}")
    if target.ndim != 4:
        raise OutputsError(f"target frames must be (N, C, H, W), got shape {target.shape}")
    outputs = {config: list(files) for config, files in outputs.items()}
    for files in outputs.values():
        for output in files:
            check_output_shape(output, target.shape[0])
    values = [float(v) for v in (range(len(outputs)) if values is None else values)]
    device = torch.device(device)
    plan = pair_frames(target.shape[0], outputs, len(sizes))
    seeds = range(max(len(files) for files in outputs.values()))
    results = []
    for r, (pairs, n) in enumerate(zip(plan, sizes)):
        members = SavedOutputs(target, outputs, pairs, values, n, mode, bbox, downscale, device, name, param)
        members.ordered = ordered
        sweep = Sweep(None, members, bins=n, mode=mode, device=device)

        def report(fraction: float, message: str, r: int = r, n: int = n) -> None:
            progress((r + fraction) / len(sizes), f"spectrum size {n}: {message}")

        start = time.perf_counter()
        sweep.evaluate(values, seeds, report if progress else None)
        selection = sweep.summary(time.perf_counter() - start, values, len(seeds), rule=rule)
        spectra = [torch.stack([sweep.member_spectra[(v, s)] for s in seeds if (v, s) in sweep.member_spectra])
                   for v in selection.values]
        results.append(Compared(n, selection, [normalised(s).float() for s in spectra]))
    return results
