"""NeRF positional encoding in front of a ReLU MLP."""

from __future__ import annotations

import math

import torch

from .base import INR, Knob, steps_grid


class PositionalEncoding(INR):
    """NeRF encoding [x, sin(2^l πx), cos(2^l πx)] for l < L, then a ReLU MLP.

    Features are computed up to the slider's maximum L and the unused ones are
    masked, so members with different L batch together and a seed draws the
    same weights whatever L is.
    """

    name, title, lr = "posenc", "Positional encoding", 1e-3
    knobs = (Knob("frequencies", "L", 10.0, steps_grid(1, 16, 1), 0.0, 16.0, 1.0, integer=True),)

    def embedding_dim(self):
        return self.in_dim * (1 + 2 * int(self.knobs[0].high))

    def used_features(self) -> torch.Tensor:
        """Per-member count of features in use: (E,)."""
        return self.in_dim * (1 + 2 * self.frequencies.round())

    def embed(self, x):
        levels = int(self.knobs[0].high)
        scales = math.pi * 2.0 ** torch.arange(levels, device=x.device, dtype=x.dtype)
        angles = (x.unsqueeze(-1) * scales).reshape(x.shape[0], -1)  # (P, d * levels)
        features = torch.cat([x, torch.sin(angles), torch.cos(angles)], dim=-1)
        return features * self._mask(x.device).unsqueeze(1)

    def _mask(self, device: torch.device) -> torch.Tensor:
        """(E, embedding_dim) 1 for features with l < L, always 1 for x itself."""
        levels = int(self.knobs[0].high)
        level = torch.arange(levels, device=device).repeat(self.in_dim)
        active = (level < self.value("frequencies").view(-1, 1)).float()  # (E, d * levels)
        identity = torch.ones(self.members, self.in_dim, device=device)
        return torch.cat([identity, active, active], dim=-1)

    def bounds(self, layer, last, fan_in):
        if layer == 0:  # PyTorch's default for the features actually used
            bound = 1.0 / self.used_features().sqrt()
            return bound, bound
        return super().bounds(layer, last, fan_in)
