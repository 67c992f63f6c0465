"""Choose the one device all tensors live on: CUDA, then MPS, then the CPU."""

from __future__ import annotations

import torch


def pick_device(name: str | None = None) -> torch.device:
    """The named device if it is usable, else the best one present."""
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    kind = name.split(":")[0]
    if kind not in available:
        raise ValueError(f"unknown device '{name}'; use cpu, cuda or mps")
    if not available[kind]:
        raise ValueError(f"device '{name}' is not available on this machine")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """A short human name: 'NVIDIA H100 (cuda)' or 'CPU, 2 threads'."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (cuda)"
    if device.type == "mps":
        return "Apple GPU (mps)"
    return f"CPU, {torch.get_num_threads()} threads"
