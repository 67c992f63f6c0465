"""NumPy `.npy` arrays, read without unpickling, as signals of 1 to 3 spatial axes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from .core import KIND_NDIM, MAX_ARRAY_ELEMENTS, Signal, SignalError, to_unit_range

ARRAY_SUFFIXES = {".npy"}


def load_npy(path: Path) -> np.ndarray:
    """A numeric array from a .npy file, never unpickling; shape checked from the header."""
    with path.open("rb") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unsupported .npy version {version}")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            header = read_header(handle, max_header_size=10_000)
        except (ValueError, OSError, SyntaxError) as err:
            raise SignalError(f"{path.name} is not a valid .npy file ({err})") from err
    shape, _, dtype = header
    if dtype.hasobject:
        raise SignalError(f"{path.name} holds Python objects (pickled data); only numeric arrays are accepted")
    if math.prod(shape) > MAX_ARRAY_ELEMENTS:
        raise SignalError(f"{path.name} has {math.prod(shape):,} elements; the limit is {MAX_ARRAY_ELEMENTS:,}")
    try:  # mapped, not read: the float32 signal is the only copy made in memory
        return np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError) as err:
        raise SignalError(f"{path.name} could not be read ({err})") from err


def signal_from_array(array: np.ndarray, name: str = "array") -> Signal:
    """Interpret an array as 1 to 3 spatial axes plus an optional channel axis.

    A last axis of length <= 4 on an array with >= 2 axes is taken as channels
    (e.g. (H, W, 3)); everything else is spatial.  Values are min-max scaled.
    """
    if array.dtype.kind not in "biuf":
        raise SignalError(f"{name}: arrays of {array.dtype} are not supported; use real numbers")
    if array.size == 0:
        raise SignalError(f"{name}: the array is empty")
    if array.ndim >= 2 and array.shape[-1] <= 4:
        array = np.moveaxis(array, -1, 0)
    else:
        array = array[None]
    spatial = array.shape[1:]
    if not 1 <= len(spatial) <= 3:
        raise SignalError(f"{name}: {array.ndim - 1} spatial axes; 1 to 3 are supported")
    if min(spatial) < 2:
        raise SignalError(f"{name}: every spatial axis needs at least 2 samples, got shape {spatial}")
    kind = {ndim: kind for kind, ndim in KIND_NDIM.items()}[len(spatial)]
    values = torch.from_numpy(to_unit_range(array))
    return Signal(values, kind, name, 16000 if kind == "audio" else 10 if kind == "video" else None)
