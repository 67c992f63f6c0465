"""How many points one pass of the sweep and of training takes: measured on this
machine once, then read from a small cache file.

The best chunk depends on the machine (cache sizes, vector width, the BLAS's own
blocking, the device), not on the signal, so a constant tuned on one CPU is wrong
on another.  The first sweep or training run on a machine times a SIREN 3x256 pass
at a few chunk sizes (about two seconds on a CPU) and keeps the fastest, as bytes
of activations per pass, so other widths scale from it.  The cache is keyed by
device, PyTorch version, instruction set and thread count; FRESH_VIZ_CACHE names
another folder for it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

CPU_ROWS = (1024, 2048, 4096, 8192, 16384, 32768)  # candidate points per pass at width 256
GPU_ROWS = (16384, 65536, 262144, 1048576)
PROBE_WIDTH = 256
FLOAT_BYTES = 4


@dataclass(frozen=True)
class Tuning:
    """Activation bytes of one pass (points x width x 4) that ran fastest here."""

    sweep_bytes: int
    train_bytes: int

    def sweep_points(self, width: int) -> int:
        return max(256, self.sweep_bytes // (width * FLOAT_BYTES))

    def train_points(self, width: int) -> int:
        return max(256, self.train_bytes // (width * FLOAT_BYTES))


def machine_key(device: torch.device) -> str:
    """What the best chunk depends on: device, PyTorch, instruction set, threads."""
    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    elif device.type == "cpu":
        mkl = os.environ.get("MKL_ENABLE_INSTRUCTIONS", "")
        where = f"cpu {torch.backends.cpu.get_cpu_capability()} mkl={mkl} threads={torch.get_num_threads()}"
    else:
        where = device.type
    return f"{where} | torch {torch.__version__}"


def cache_file() -> Path:
    folder = os.environ.get("FRESH_VIZ_CACHE") or Path.home() / ".cache" / "fresh_viz"
    return Path(folder) / "tuning.json"


def tuning_for(device: torch.device | str) -> Tuning:
    """This machine's chunk sizes: from the cache file, else measured now and saved."""
    device = torch.device(device)
    key, path = machine_key(device), cache_file()
    try:
        known = json.loads(path.read_text())
        return Tuning(**known[key])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    tuning = measure(device)
    _save(path, key, tuning)
    return tuning


def retune(device: torch.device | str) -> Tuning:
    """Measure now and replace this machine's cached entry (the benchmark does, before it measures)."""
    device = torch.device(device)
    tuning = measure(device)
    _save(cache_file(), machine_key(device), tuning)
    return tuning


def _save(path: Path, key: str, tuning: Tuning) -> None:
    """Add this machine's entry; written whole and renamed, so a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            known = json.loads(path.read_text())
        except (OSError, ValueError):
            known = {}
        known[key] = asdict(tuning)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump(known, handle, indent=1)
        os.replace(handle.name, path)
    except OSError:  # a read-only home: measure again next time, still correct
        pass


def measure(device: torch.device) -> Tuning:
    """Time a SIREN 3x256 evaluation (the sweep's pass) and a training chunk at each candidate size."""
    from .models import build, render  # the models use this module: imported when measuring

    rows = GPU_ROWS if device.type == "cuda" else CPU_ROWS
    points = 4 * rows[-1] if device.type == "cuda" else 65536
    coords = torch.rand(points, 2, device=device) * 2 - 1
    shared = build("siren", 2, 3, [0], PROBE_WIDTH, 3, device=device, shared=True)
    trained = build("siren", 2, 3, [0], PROBE_WIDTH, 3, device=device)
    target = torch.zeros(points, 3, device=device)

    def evaluate(chunk: int) -> None:
        with torch.inference_mode():
            render(shared, coords, chunk)

    def train(chunk: int) -> None:
        for i in range(0, points // 2, chunk):
            trained.accumulate_gradients(coords[i : i + chunk], target[i : i + chunk], 1.0)

    return Tuning(_fastest(evaluate, rows, device) * PROBE_WIDTH * FLOAT_BYTES,
                  _fastest(train, rows, device) * PROBE_WIDTH * FLOAT_BYTES)


def _fastest(run, candidates: tuple[int, ...], device: torch.device, rounds: int = 4) -> int:
    """The candidate with the shortest time, best of `rounds` runs each after one warm-up.

    The rounds go through every candidate in turn, so a slow spell on a shared host
    costs each candidate one run rather than all the runs of one candidate."""
    run(candidates[len(candidates) // 2])
    times = dict.fromkeys(candidates, float("inf"))
    for _ in range(rounds):
        for chunk in candidates:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            run(chunk)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times[chunk] = min(times[chunk], time.perf_counter() - start)
    return min(times, key=times.get)
