"""NumPy `.npy` arrays, read without unpickling, as signals of 1 to 3 spatial axes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from .core import KIND_NDIM, MAX_ARRAY_ELEMENTS, Signal, SignalError, to_unit_range

ARRAY_SUFFIXES = {".npy"}


MAX_HEADER_BYTES = 10_000


def read_npy_header(handle: BinaryIO, name: str, error: type[ValueError] = SignalError
                    ) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a .npy stream, checked before any data is read: real numbers only, never pickles.
    Problems raise `error` (a signal's `SignalError` here; saved outputs pass their own)."""
    try:
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version}")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(handle, max_header_size=MAX_HEADER_BYTES)
    except (ValueError, OSError, SyntaxError, EOFError) as err:
        raise error(f"{name} is not a valid .npy file ({err})") from None
    if dtype.hasobject:
        raise error(f"{name} holds Python objects (pickled data); only numeric arrays are read")
    if dtype.kind not in "biuf":
        raise error(f"{name} holds {dtype} values; only real numbers are read")
    return tuple(shape), dtype


def map_npy(path: Path, error: type[ValueError] = SignalError, max_elements: int | None = None) -> np.ndarray:
    """A numeric .npy file, memory-mapped (data is read when used), never unpickled; the header is checked
    first (`read_npy_header`), and its element count against `max_elements` when given."""
    try:
        with path.open("rb") as handle:
            shape, _ = read_npy_header(handle, path.name, error)
        if max_elements is not None and math.prod(shape) > max_elements:
            raise error(f"{path.name} has {math.prod(shape):,} elements; the limit is {max_elements:,}")
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError as err:
        raise error(f"{path.name} could not be read ({err.strerror or err})") from None
    except ValueError as err:
        if isinstance(err, error):
            raise
        raise error(f"{path.name} could not be read ({err})") from None


def load_npy(path: Path) -> np.ndarray:
    """A numeric array from a .npy file for a signal, never unpickling; shape checked from the header.
    Mapped, not read: the float32 signal is the only copy made in memory."""
    return map_npy(path, SignalError, MAX_ARRAY_ELEMENTS)


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
