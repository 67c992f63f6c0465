"""Saved untrained outputs in the FreSh reference's layout, read as untrusted input.

DIR/<configuration>/<i>.npy, or a mapping configuration -> arrays; a target `.npy` read as the
reference reads it.  Arrays are read without unpickling (`signals.arrays.read_npy_header`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..signals.arrays import map_npy, read_npy_header
from ..signals.core import natural_key

MAX_CHANNELS = 16  # more than this on the channel axis means the axes were misread


class OutputsError(ValueError):
    """A folder, archive or array that does not hold usable outputs; the message says why."""


def load_npy_file(path: Path) -> np.ndarray:
    """A numeric .npy file, memory-mapped (frames are read when used), never unpickled."""
    return map_npy(path, OutputsError)


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
                shape, _ = read_npy_header(handle, f"{path.parent.name}/{path.name}", OutputsError)
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
