"""NeRF positional encoding in front of a ReLU MLP."""

from __future__ import annotations

import torch

from .base import EncodedMLP, Knob, steps_grid


class PositionalEncoding(EncodedMLP):
    """The NeRF encoding as the reference's NeRF code computes it (torch-ngp's frequency
    encoder): [x, sin(x), cos(x), sin(2x), cos(2x), ..., sin(2^(L-1) x), cos(2^(L-1) x)],
    each entry over all d axes, with no factor π; then the ReLU MLP of `FourierFeatures`.

    Features are computed up to the slider's maximum L and the unused ones are
    masked, so members with different L batch together and a seed draws the
    same weights whatever L is.
    """

    name, title, lr = "posenc", "Positional encoding", 1e-3
    # The reference's NeRF runs use multires = 16 (main_nerf.py's default).
    knobs = (Knob("frequencies", "L", 16.0, steps_grid(1, 16, 1), 0.0, 16.0, 1.0, integer=True),)

    @property
    def levels(self) -> int:
        return int(self.knobs[0].high)

    def embedding_dim(self):
        return self.in_dim * (1 + 2 * self.levels)

    def used_features(self) -> torch.Tensor:
        """Per-member count of features in use: (E,)."""
        return self.in_dim * (1 + 2 * self.frequencies.round())

    def embed(self, x):
        scales = 2.0 ** torch.arange(self.levels, device=x.device, dtype=x.dtype)
        angles = x.unsqueeze(1) * scales.unsqueeze(-1)  # (P, levels, d)
        waves = torch.stack([torch.sin(angles), torch.cos(angles)], dim=2)  # (P, levels, 2, d)
        features = torch.cat([x, waves.reshape(x.shape[0], -1)], dim=-1)
        return features * self._mask(x.device).unsqueeze(1)

    def _mask(self, device: torch.device) -> torch.Tensor:
        """(E, embedding_dim): 1 for features of levels l < L, always 1 for x itself."""
        level = torch.arange(self.levels, device=device).repeat_interleave(2 * self.in_dim)
        active = (level < self.value("frequencies").view(-1, 1)).float()  # (E, levels * 2 * d)
        identity = torch.ones(self.members, self.in_dim, device=device)
        return torch.cat([identity, active], dim=-1)

    def bounds(self, layer, fan_in):
        if layer == 0:  # PyTorch's default for the features actually used
            bound = 1.0 / self.used_features().sqrt()
            return bound, bound
        return super().bounds(layer, fan_in)
