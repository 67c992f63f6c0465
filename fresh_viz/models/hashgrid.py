"""A multiresolution hash grid in front of a ReLU MLP, in plain PyTorch.

The encoding follows torch-ngp's `GridEncoder` (the grid of the FreSh reference's
NeRF fork) step by step: inputs mapped from [-1, 1] to [0, 1]; per level a
float32 scale, a grid of resolution ceil(scale) + 1 indexed densely while it fits
the level's table and through the xor hash otherwise; multilinear interpolation of
the 2^d corners; levels concatenated level-major.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator

import torch
from torch import nn

from .base import EncodedMLP, Knob, log_grid, relu

PRIMES = (1, 2654435761, 805459861, 3674653429, 2097192037, 1434869437, 2165219737)  # the kernel's hash
UINT32 = 0xFFFFFFFF


def integer_log_grid(start: int, stop: int, count: int) -> tuple[float, ...]:
    return tuple(float(round(v)) for v in log_grid(start, stop, count))


class HashGrid(EncodedMLP):
    """Hash grid (16 levels, 2 features each, base resolution 16, table initialised U(±1e-2)
    so that it shapes the untrained output), then the NeRF fork's head as its FreSh runs
    configure it (`--num_layers=1 --num_layers_color=2 --hidden_features=64`, ReLU), whose
    layers have no biases: a geometry layer Linear(32 -> 16) whose outputs 1..15 are the
    geometry features (output 0 is a NeRF's density, unused for a signal); those after the
    16 direction features into Linear(31 -> width), ReLU, `depth - 1` more hidden layers,
    Linear(width -> C), sigmoid.  The direction features are zero, as the fork sets them for
    its untrained outputs (`use_viewdirs=False`); their 16 rows of the colour layer are
    stored (they set its fan-in, hence its initial bound) and multiply nothing.  The sigmoid's
    (0, 1) is read as 2 * sigmoid - 1 on the [-1, 1] scale the project trains on: the same
    fit as a sigmoid against targets in [0, 1].  FreSh tunes the finest resolution N_max.

    Table size T per level: the reference's 2^19 is sized for NeRF scenes; here it is the
    next power of two of the signal's sample count, between 2^13 (the fork's FreSh runs)
    and 2^19, or 2^13 when the signal's shape is not given.  Each member's table holds T
    entries per level (a level uses the first ones, as many as its grid needs up to T), so
    one seed draws the same table for every N_max.
    """

    name, title, lr = "hashgrid", "Hash grid", 1e-3
    default_width, default_depth = 64, 1  # the colour network's width and hidden layers
    biased = False
    levels, features, base_resolution = 16, 2, 16
    geometry, directions = 16, 16  # the geometry layer's outputs; spherical harmonics of degree 4
    init_range = 1e-2  # the fork's hashmap_high_values
    # The fork's own N_max grid is not published; these cover the minima measured on the bundled
    # photos, presets and audio clips (docs/families.md).
    knobs = (
        Knob("finest_resolution", "N_max", 2048.0, integer_log_grid(16, 16384, 20), 2.0, 65536.0, 1.0, log=True,
             integer=True, audio=Knob("finest_resolution", "N_max", 2048.0, integer_log_grid(16, 65536, 20), 2.0,
                                      262144.0, 1.0, log=True, integer=True)),
    )

    def layer_shapes(self):
        colour = [self.directions + self.geometry - 1] + [self.width] * self.depth + [self.out_dim]
        return [(self.embedding_dim(), self.geometry), *zip(colour[:-1], colour[1:])]

    def weight(self, layer):
        w = self.weights[layer]
        return w[:, self.directions :] if layer == 1 else w  # the rows that meet the geometry features

    def activate(self, z, layer):
        return z[..., 1:] if layer == 0 else relu(z)  # geometry features: the layer's outputs after the density

    def readout(self, y):
        return 2 * torch.sigmoid(y) - 1

    def table_size(self) -> int:
        """Entries per level: a power of two from 2^13 to 2^19 (see the class docstring)."""
        if self.shape is None:
            return 2**13
        samples = math.prod(self.shape)
        return 2 ** min(19, max(13, math.ceil(math.log2(samples))))

    def init_embedding(self, generators):
        shape = (self.levels, self.table_size(), self.features)
        raw = torch.stack([torch.rand(shape, generator=g) * 2 - 1 for g in generators])
        self.table = nn.Parameter(raw * self.init_range)  # (E or 1, levels, T, features)

    def embedding_dim(self):
        return self.levels * self.features

    def level_geometry(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per member and level (E, levels): the kernel's float32 scale, the grid resolution
        ceil(scale) + 1, and the level's table size (the grid's (res + 1)^d entries up to T,
        rounded up to a multiple of 8), each computed as the reference computes it."""
        finest = self.finest_resolution.double()
        per_level_scale = torch.exp2(torch.log2(finest / self.base_resolution) / (self.levels - 1))  # (E,)
        level = torch.arange(self.levels, dtype=torch.float64)
        exponent = torch.log2(per_level_scale).float()  # handed to the kernel as a float
        scale = torch.exp2(level.float() * exponent.unsqueeze(1)) * self.base_resolution - 1.0
        resolution = scale.ceil().long() + 1
        grid = torch.ceil(self.base_resolution * per_level_scale.unsqueeze(1) ** level) + 1
        size = (torch.ceil(grid.pow(self.in_dim).clamp(max=self.table.shape[2]) / 8) * 8).long()
        device = self.table.device
        return scale.to(device), resolution.to(device), size.to(device)

    def embed(self, x):
        scale, resolution, size = self.level_geometry()
        unit = (x + 1) / 2  # (P, d) in [0, 1]
        pos = unit[None, :, None, :] * scale[:, None, :, None] + 0.5  # (E, P, levels, d)
        cell = pos.floor()
        frac, cell = (pos - cell).unbind(-1), cell.long().unbind(-1)
        weights = [(1 - f, f) for f in frac]  # per axis, for the lower and the upper corner
        strides = [(resolution + 1).unsqueeze(1) ** d for d in range(self.in_dim)]  # (E, 1, levels)
        dense_terms = [(c * s, (c + 1) * s) for c, s in zip(cell, strides)]
        hash_terms = [((c * p) & UINT32, ((c + 1) * p) & UINT32) for c, p in zip(cell, PRIMES)]
        dense = ((resolution + 1) ** self.in_dim <= size).unsqueeze(1)  # (E, 1, levels): no hashing needed
        tables, _, entries, _ = self.table.shape
        first = (torch.arange(self.members, device=x.device) % tables * self.levels).unsqueeze(1)
        first = ((first + torch.arange(self.levels, device=x.device)) * entries).unsqueeze(1)  # a level's first row
        flat = self.table.reshape(-1, self.features)
        out = 0.0
        for corner in itertools.product((0, 1), repeat=self.in_dim):
            weight = math.prod(w[bit] for w, bit in zip(weights, corner))
            index = sum(t[bit] for t, bit in zip(dense_terms, corner))
            hashed = functools.reduce(operator.xor, (t[bit] for t, bit in zip(hash_terms, corner)))
            index = torch.where(dense, index, hashed) % size.unsqueeze(1)  # (E, P, levels)
            out = out + weight.unsqueeze(-1) * flat[first + index]
        inside = ((unit >= 0) & (unit <= 1)).all(-1)  # the kernel returns zeros outside [0, 1]
        return (out * inside[None, :, None, None]).flatten(2)
