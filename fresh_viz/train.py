"""Full-batch Adam training written as a generator, so any caller can draw
progress from it and stop it between yields.

10 % of the samples (by default) are held out; PSNR is measured on values
rescaled from [-1, 1] to [0, 1], over all samples, the training samples and
the held-out samples.  Every member of an ensemble trains independently (Adam
works per element), so a default and a tuned model can race in one batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from .models import INR, render
from .signals import grid_coords
from .tuning import tuning_for


@dataclass
class TrainProgress:
    """One report from `fit`; lists hold one entry per ensemble member."""

    step: int
    steps: int
    loss: list[float]
    psnr: list[float]  # all samples
    train_psnr: list[float]  # the samples trained on
    test_psnr: list[float]  # the held-out samples
    seconds: float
    reconstruction: torch.Tensor  # (E, C, *spatial), values in [-1, 1]
    stopped: str | None = None  # "time" when the wall-time cap ended training early

    @property
    def done(self) -> bool:
        return self.step >= self.steps or self.stopped is not None


def psnr(mse: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of an MSE measured on [-1, 1] values, as if both were scaled to [0, 1]."""
    return 10 * torch.log10(4.0 / mse.clamp_min(1e-12))


def holdout_split(points: int, fraction: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random (train, test) index tensors; the same for the same seed."""
    if not 0 <= fraction < 1:
        raise ValueError("the held-out fraction must be in [0, 1)")
    order = torch.randperm(points, generator=torch.Generator().manual_seed(seed))
    held = int(round(points * fraction))
    return order[held:], order[:held]


def fit(model: INR, values: torch.Tensor, steps: int = 1000, lr: float | None = None, every: int = 25,
        seed: int = 0, holdout: float = 0.1, max_seconds: float | None = None) -> Iterator[TrainProgress]:
    """Train `model` to reproduce `values` (C, *spatial); yields at step 0, every
    `every` steps and at the end.  Stops early after `max_seconds` of wall time."""
    if steps < 1:
        raise ValueError("steps must be at least 1")
    device = next(model.parameters()).device
    spatial = tuple(values.shape[1:])
    coords = grid_coords(spatial, device)
    target = values.to(device).reshape(values.shape[0], -1).T  # (P, C)
    train_idx, test_idx = (i.to(device) for i in holdout_split(coords.shape[0], holdout, seed))
    optimiser = torch.optim.Adam(model.parameters(), lr=lr or model.lr)
    chunk = max(256, tuning_for(device).train_points(model.width) // model.members)  # measured fastest here
    start = time.perf_counter()

    def report(step: int, loss: torch.Tensor, stopped: str | None = None) -> TrainProgress:
        with torch.no_grad():
            output = render(model, coords)  # (E, C, P)
            error = (output - target.T).square().mean(1)  # (E, P)
            test = error[:, test_idx].mean(1) if len(test_idx) else torch.full_like(loss, math.nan)
            return TrainProgress(step, steps, loss.tolist(), psnr(error.mean(1)).tolist(),
                                 psnr(error[:, train_idx].mean(1)).tolist(), psnr(test).tolist(),
                                 time.perf_counter() - start, output.reshape(model.members, -1, *spatial), stopped)

    loss = torch.full((model.members,), math.nan)
    yield report(0, loss)
    deadline = None if max_seconds is None else start + max_seconds
    for step in range(1, steps + 1):
        optimiser.zero_grad(set_to_none=True)
        previous, loss = loss, torch.zeros(model.members, device=device)
        for i in range(0, len(train_idx), chunk):
            if deadline is not None and time.perf_counter() > deadline:  # the cap holds inside a step too:
                yield report(step - 1, previous, "time")  # the unfinished step is dropped
                return
            idx = train_idx[i : i + chunk]
            # Chunks weighted by their share, so the gradient is the full-batch one.
            loss += model.accumulate_gradients(coords[idx], target[idx], 1.0 / (len(train_idx) * target.shape[1]))
        optimiser.step()
        out_of_time = deadline is not None and time.perf_counter() > deadline
        if step % every == 0 or step == steps or out_of_time:
            yield report(step, loss, "time" if out_of_time and step < steps else None)
            if out_of_time:
                return
