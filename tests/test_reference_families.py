"""Every family against an independent transcription of the reference's code.

The classes below are plain nn.Module code written from the FreSh reference's
layer definitions (src/models.py: SineLayer/Siren, FinerLayer/Finer,
FourierFeaturesMLP with rff's GaussianEncoding, ComplexGaborLayer/Wire) and from
the NeRF fork's encoders (torch-ngp's frequency-encoder and hash-grid kernels,
transcribed element by element).  For each family the test compares layer shapes,
trainable parameter counts, the per-layer weight and bias distributions, and the
forward formula on fixed inputs with our weights copied into the transcription.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from fresh_viz.models import FAMILIES, build, tuned_knob
from fresh_viz.models.hashgrid import HashGrid

# ---------------------------------------------------------------- transcriptions


class RefSineLayer(nn.Module):
    """FreSh's SineLayer with beta = 1, weight_constant = 6, boost_bias = False; the last layer is
    linear with ω still applied to its input (apply_omega_when_linear = True)."""

    def __init__(self, fan_in, fan_out, is_first, omega, is_linear=False):
        super().__init__()
        self.omega, self.is_linear = omega, is_linear
        self.linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            if is_first:
                w = torch.distributions.beta.Beta(1.0, 1.0).rsample(self.linear.weight.shape) * 2 - 1
                self.linear.weight.copy_(w / fan_in)
            else:
                bound = np.sqrt(6 / fan_in) / omega
                self.linear.weight.uniform_(-bound, bound)

    def forward(self, x):
        y = self.linear(self.omega * x)
        return y if self.is_linear else torch.sin(y)


def ref_siren(fan_in, width, hidden, fan_out, omega0):
    layers = [RefSineLayer(fan_in, width, True, omega0)]
    layers += [RefSineLayer(width, width, False, 30.0) for _ in range(hidden)]
    return nn.Sequential(*layers, RefSineLayer(width, fan_out, False, 30.0, is_linear=True))


class RefFinerLayer(nn.Module):
    def __init__(self, fan_in, fan_out, is_first, omega, first_bias_scale=None):
        super().__init__()
        self.omega = omega
        self.linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            bound = 1 / fan_in if is_first else np.sqrt(6 / fan_in) / omega
            self.linear.weight.uniform_(-bound, bound)
            if first_bias_scale is not None and is_first:
                self.linear.bias.uniform_(-first_bias_scale, first_bias_scale)

    def forward(self, x):
        z = self.linear(x)
        with torch.no_grad():
            scale = torch.abs(z) + 1
        return torch.sin(self.omega * scale * z)


def ref_finer(fan_in, width, hidden, fan_out, omega0, first_bias_scale):
    layers = [RefFinerLayer(fan_in, width, True, omega0, first_bias_scale)]
    layers += [RefFinerLayer(width, width, False, 30.0) for _ in range(hidden)]
    final = nn.Linear(width, fan_out)
    with torch.no_grad():
        final.weight.uniform_(-np.sqrt(6 / width) / 30.0, np.sqrt(6 / width) / 30.0)
    return nn.Sequential(*layers, final)


class RefGaussianEncoding(nn.Module):
    """rff.layers.GaussianEncoding: b ~ N(0, σ²) shaped (encoded, input), γ = [cos 2πvbᵀ, sin 2πvbᵀ]."""

    def __init__(self, sigma, input_size, encoded_size):
        super().__init__()
        self.b = nn.Parameter(torch.randn(encoded_size, input_size) * sigma, requires_grad=False)

    def forward(self, v):
        vp = 2 * np.pi * v @ self.b.T
        return torch.cat((torch.cos(vp), torch.sin(vp)), dim=-1)


def relu_mlp(width, hidden, fan_out, first_in):
    layers = []
    for i in range(hidden):
        layers += [nn.Linear(first_in if i == 0 else width, width), nn.ReLU()]
    return layers + [nn.Linear(width, fan_out)]


def ref_fourier(fan_in, width, hidden, fan_out, sigma):
    """FreSh's FourierFeaturesMLP."""
    return nn.Sequential(RefGaussianEncoding(sigma, fan_in, width // 2), *relu_mlp(width, hidden, fan_out, width))


class RefComplexGaborLayer(nn.Module):
    def __init__(self, fan_in, fan_out, is_first, omega0, sigma0):
        super().__init__()
        self.omega0, self.sigma0 = omega0, sigma0
        self.linear = nn.Linear(fan_in, fan_out, dtype=torch.float if is_first else torch.cfloat)

    def forward(self, x):
        lin = self.linear(x)
        return torch.exp(1j * (self.omega0 * lin) - (self.sigma0 * lin).abs().square())


class RefWire(nn.Module):
    """FreSh's Wire with wire_base.yaml's hidden_omega = 10 (the hidden scale is fixed at 10)."""

    def __init__(self, fan_in, width, hidden, fan_out, omega0, scale, hidden_omega=10.0):
        super().__init__()
        features = int(width / np.sqrt(2))
        layers = [RefComplexGaborLayer(fan_in, features, True, omega0, scale)]
        layers += [RefComplexGaborLayer(features, features, False, hidden_omega, 10) for _ in range(hidden)]
        self.net = nn.Sequential(*layers, nn.Linear(features, fan_out, dtype=torch.cfloat))

    def forward(self, x):
        return self.net(x).real / 2 + 0.5


def ref_frequency_encoding(x, degree):
    """torch-ngp's frequency-encoder kernel, one output column at a time (in float64: the
    kernel's float32 phase shift, x·2^f + π/2, rounds away up to 4e-3 at 2^15 x)."""
    x = x.double()
    points, dims = x.shape
    out = torch.empty(points, dims + dims * degree * 2, dtype=torch.float64)
    for c in range(out.shape[1]):
        if c < dims:
            out[:, c] = x[:, c]
        else:
            col, d = c // dims - 1, c % dims
            freq, phase_shift = col // 2, (col % 2) * (np.pi / 2)
            out[:, c] = torch.sin(x[:, d] * 2.0**freq + phase_shift)
    return out


PRIMES = [1, 2654435761, 805459861, 3674653429, 2097192037, 1434869437, 2165219737]


def ref_grid_layout(dims, levels, base, log2_table, desired):
    """GridEncoder.__init__: per_level_scale and the level offsets into one embedding table."""
    per_level_scale = np.exp2(np.log2(desired / base) / (levels - 1))
    offsets = [0]
    for i in range(levels):
        resolution = int(np.ceil(base * per_level_scale**i))
        params = min(2**log2_table, (resolution + 1) ** dims)
        offsets.append(offsets[-1] + int(np.ceil(params / 8) * 8))
    return per_level_scale, offsets


def ref_grid_encode(inputs, embeddings, offsets, per_level_scale, base):
    """The hash-grid forward kernel (align_corners = False, linear interpolation) for each
    point and level.  inputs: (B, D) float32 in [-1, 1]; embeddings: (offsets[-1], C)."""
    inputs = ((inputs + 1) / 2).astype(np.float32)
    points, dims = inputs.shape
    levels, channels = len(offsets) - 1, embeddings.shape[1]
    s = np.float32(np.log2(per_level_scale))
    out = np.zeros((points, levels * channels), np.float32)
    for b in range(points):
        if np.any(inputs[b] < 0) or np.any(inputs[b] > 1):
            continue
        for level in range(levels):
            hashmap_size = offsets[level + 1] - offsets[level]
            scale = np.float32(np.exp2(np.float32(level) * s)) * np.float32(base) - np.float32(1.0)
            resolution = int(np.ceil(scale)) + 1
            pos = inputs[b] * scale + np.float32(0.5)
            pos_grid = np.floor(pos).astype(np.int64)
            frac = (pos - pos_grid.astype(np.float32)).astype(np.float32)
            for idx in range(1 << dims):
                w, local = np.float32(1.0), []
                for d in range(dims):
                    if idx & (1 << d) == 0:
                        w, node = w * (np.float32(1) - frac[d]), pos_grid[d]
                    else:
                        w, node = w * frac[d], pos_grid[d] + 1
                    local.append(int(node))
                stride, index, d = 1, 0, 0
                while d < dims and stride <= hashmap_size:
                    index += local[d] * stride
                    stride *= resolution + 1
                    d += 1
                if stride > hashmap_size:
                    index = 0
                    for i in range(dims):
                        index ^= (local[i] * PRIMES[i]) & 0xFFFFFFFF
                index %= hashmap_size
                out[b, level * channels:(level + 1) * channels] += w * embeddings[offsets[level] + index]
    return out


class RefHashHead(nn.Module):
    """The NeRF fork's NeRFNetwork after the encoder with ReLU (no biases), for an image's colour:
    sigma_net of `num_layers` = 1 layer (1 density + 15 geometry features), colour net of
    `num_layers_color` layers on [direction encoding (16 spherical harmonics), geometry
    features], the directions zeroed as its FreSh initialisation does, then a sigmoid."""

    def __init__(self, in_dim, hidden, layers_color, out_dim, geo_feat_dim=15, dir_dim=16):
        super().__init__()
        self.dir_dim = dir_dim
        self.sigma_net = nn.ModuleList([nn.Linear(in_dim, 1 + geo_feat_dim, bias=False)])
        sizes = [dir_dim + geo_feat_dim] + [hidden] * (layers_color - 1) + [out_dim]
        self.color_net = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        h = self.sigma_net[0](x)  # the only sigma layer is also the last: no nonlinearity
        geo_feat = h[..., 1:]
        d = torch.zeros(*x.shape[:-1], self.dir_dim)
        h = torch.cat([d, geo_feat], dim=-1)
        for i, layer in enumerate(self.color_net):
            h = layer(h)
            if i != len(self.color_net) - 1:
                h = torch.relu(h)
        return torch.sigmoid(h)


# ---------------------------------------------------------------- helpers


def ours_linear_weights(model):
    """Our layers as the reference stores them: [(weight (out, in), bias (out,))]."""
    return [(w[0].T, b[0, 0]) for w, b in zip(model.weights, model.biases)]


def ref_linears(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def copy_into(ref_layers, model):
    with torch.no_grad():
        for linear, (weight, bias) in zip(ref_layers, ours_linear_weights(model)):
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)


def trainable(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def assert_same_uniform(ours, ref, what):
    """Two draws of one symmetric uniform distribution (real and imaginary parts apart)."""
    for part in ((lambda t: t.real), (lambda t: t.imag)) if ours.is_complex() else (lambda t: t,):
        a, b = part(ours).detach().flatten().double(), part(ref).detach().flatten().double()
        top = max(a.abs().max(), b.abs().max()).item()
        assert a.abs().max() > 0.9 * top and b.abs().max() > 0.9 * top, what  # the same bound
        expected_std = top / math.sqrt(3)
        for x in (a, b):
            assert abs(x.std().item() / expected_std - 1) < 4 / math.sqrt(x.numel()) + 0.02, what
            assert abs(x.mean().item()) < 4 * expected_std / math.sqrt(x.numel()), what


def compare_layers(model, ref):
    """Shapes, then each weight and bias against the reference's: the same distribution, or
    for the few output biases, PyTorch's default bound; all-zero where the reference's are."""
    ours, theirs = ours_linear_weights(model), ref_linears(ref)
    assert [tuple(w.shape) for w, _ in ours] == [tuple(m.weight.shape) for m in theirs]
    for layer, ((weight, bias), linear) in enumerate(zip(ours, theirs)):
        assert_same_uniform(weight, linear.weight, f"weight {layer}")
        if linear.bias.abs().max() == 0:
            assert bias.abs().max() == 0, f"bias {layer}"
        elif bias.numel() >= 64:
            assert_same_uniform(bias, linear.bias, f"bias {layer}")
        else:
            bound = 1 / math.sqrt(linear.in_features)
            parts = [bias.real, bias.imag] if bias.is_complex() else [bias]
            assert all(p.abs().max() <= bound for p in parts), f"bias {layer}"


POINTS = torch.rand(96, 2, generator=torch.Generator().manual_seed(11)) * 2 - 1


# ---------------------------------------------------------------- the families


def test_siren_matches_the_reference():
    torch.manual_seed(0)
    ref = ref_siren(2, 256, 3, 3, 70.0)
    model = build("siren", 2, 3, [0], values={"omega0": 70.0})
    assert trainable(model) == trainable(ref) == 198915
    compare_layers(model, ref)
    copy_into(ref_linears(ref), model)
    with torch.no_grad():
        assert torch.allclose(model(POINTS)[0], ref(POINTS), atol=2e-4)


@pytest.mark.parametrize("bias_scale", [None, 0.0, 1.7])
def test_finer_matches_the_reference(bias_scale):
    """None: the reference's FINER baseline (first_bias_scale null), PyTorch's default bias,
    which is our default k = 1/sqrt(fan_in)."""
    torch.manual_seed(1)
    ref = ref_finer(2, 256, 3, 3, 45.0, bias_scale)
    values = {"omega0": 45.0} if bias_scale is None else {"omega0": 45.0, "bias_scale": bias_scale}
    model = build("finer", 2, 3, [0], values=values)
    assert trainable(model) == trainable(ref)
    compare_layers(model, ref)
    if bias_scale == 0.0:
        assert model.biases[0].abs().max() == 0 and ref_linears(ref)[0].bias.abs().max() == 0
    copy_into(ref_linears(ref), model)
    with torch.no_grad():
        assert torch.allclose(model(POINTS)[0], ref(POINTS), atol=1e-4)


def test_fourier_features_match_the_reference():
    torch.manual_seed(2)
    ref = ref_fourier(2, 256, 3, 3, 6.0)
    model = build("fourier", 2, 3, [0], values={"sigma": 6.0})
    assert trainable(model) == trainable(ref) == 198147
    compare_layers(model, ref)
    b_ours = model.raw_frequencies[0].T * 6.0
    assert b_ours.shape == ref[0].b.shape == (128, 2)
    assert abs(b_ours.std().item() / ref[0].b.std().item() - 1) < 0.15  # both N(0, 6²)
    copy_into(ref_linears(ref), model)
    with torch.no_grad():
        ref[0].b.copy_(b_ours)
        assert torch.allclose(model(POINTS)[0], ref(POINTS), atol=1e-5)
    assert build("fourier", 2, 3, [0], width=64).frequencies == 32  # width // 2 at every width


def test_wire_matches_the_reference():
    torch.manual_seed(3)
    ref = RefWire(2, 256, 3, 3, 12.0, 7.0)
    model = build("wire", 2, 3, [0], values={"omega0": 12.0, "scale0": 7.0})
    assert [w.shape[1:] for w in model.weights] == [(2, 181), (181, 181), (181, 181), (181, 181), (181, 3)]
    assert [w.dtype for w in model.weights] == [torch.float32] + [torch.complex64] * 4
    assert trainable(model) == trainable(ref)
    compare_layers(model, ref)  # PyTorch's default init, complex parts each U(±1/sqrt(fan_in))
    copy_into(ref_linears(ref), model)
    with torch.no_grad():
        assert torch.allclose(model(POINTS)[0], ref(POINTS), atol=1e-5)


@pytest.mark.parametrize("levels", [16, 5])
def test_positional_encoding_matches_the_ngp_kernel(levels):
    x = torch.rand(40, 3, generator=torch.Generator().manual_seed(4)) * 2 - 1
    model = build("posenc", 3, 2, [0], width=32, values={"frequencies": levels})
    features = model.embed(x)[0]
    used = 3 * (1 + 2 * levels)
    assert torch.allclose(features[:, :used].double(), ref_frequency_encoding(x, levels), atol=2e-6)
    assert (features[:, used:] == 0).all()  # levels above L are masked
    # then the Fourier-feature MLP on the features in use, PyTorch's default init for that fan_in
    ref = nn.Sequential(*relu_mlp(32, 3, 2, used))
    compare_layers_first = ours_linear_weights(model)[0][0][:, :used]
    assert_same_uniform(compare_layers_first, ref[0].weight, "first layer")
    with torch.no_grad():
        ref[0].weight.copy_(compare_layers_first)
        ref[0].bias.copy_(model.biases[0][0, 0])
        for linear, (weight, bias) in zip(ref_linears(ref)[1:], ours_linear_weights(model)[1:]):
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        assert torch.allclose(model(x)[0], ref(ref_frequency_encoding(x, levels).float()), atol=1e-5)


@pytest.mark.parametrize("dims, finest, shape", [(2, 300, (128, 128)), (2, 2048, None), (3, 700, None),
                                                  (1, 5000, (20000,))])
def test_hash_grid_matches_the_ngp_kernel(dims, finest, shape):
    model = build("hashgrid", dims, 3, [0], values={"finest_resolution": finest}, shape=shape)
    log2_table = int(math.log2(model.table.shape[2]))
    per_level_scale, offsets = ref_grid_layout(dims, 16, 16, log2_table, finest)
    _, resolution, size = model.level_geometry()
    assert size[0].tolist() == np.diff(offsets).tolist()  # each level's table as the reference sizes it
    assert ((resolution[0] + 1) ** dims > size[0]).any() or dims == 1  # some levels are hashed
    assert_same_uniform(model.table, torch.empty(20000).uniform_(-1e-2, 1e-2), "table")
    assert model.table.abs().max() <= 1e-2
    embeddings = torch.cat([model.table[0, level, : size[0, level]] for level in range(16)]).detach()
    x = torch.rand(48, dims, generator=torch.Generator().manual_seed(5)) * 2 - 1
    x[0] = 1.0  # the far corner
    expected = ref_grid_encode(x.numpy(), embeddings.numpy(), offsets, per_level_scale, 16)
    with torch.no_grad():
        encoded = model.embed(x)[0]
    # numpy's and torch's float32 exp2 may differ in the last bit, which moves the interpolation
    # weights by ~1e-4 of the table's 1e-2 scale; a wrong corner index would be off by ~1e-2.
    np.testing.assert_allclose(encoded.numpy(), expected, atol=2e-5)
    # then the fork's head: no biases, geometry features after the density, zero directions, sigmoid
    ref = RefHashHead(32, 64, 2, 3)
    assert [tuple(m.weight.shape) for m in ref_linears(ref)] == [(16, 32), (64, 31), (3, 64)]
    assert all(m.bias is None for m in ref_linears(ref))
    assert trainable(model) - model.table.numel() == trainable(ref)
    for ours, theirs in zip(model.weights, ref_linears(ref)):
        assert_same_uniform(ours[0].T, theirs.weight, "hash grid head")  # PyTorch's default, 1/sqrt(fan_in)
    assert all(b.abs().max() == 0 and not b.requires_grad for b in model.biases)
    with torch.no_grad():
        for linear, weight in zip(ref_linears(ref), model.weights):
            linear.weight.copy_(weight[0].T)
        assert torch.allclose((model(x)[0] + 1) / 2, ref(torch.from_numpy(expected)), atol=1e-6)


def test_hash_grid_table_size_follows_the_signal():
    assert HashGrid(2, 3, shape=(128, 128)).table.shape == (1, 16, 2**14, 2)
    assert HashGrid(2, 3, shape=(1024, 1024)).table.shape[2] == 2**19  # the reference's size, at most
    assert HashGrid(1, 1, shape=(100,)).table.shape[2] == 2**13  # the fork's FreSh runs, at least
    assert HashGrid(3, 3).table.shape[2] == 2**13
    # one seed draws the same table whatever N_max, each level reading its first entries
    a = build("hashgrid", 2, 3, [4], values={"finest_resolution": 64})
    b = build("hashgrid", 2, 3, [4], values={"finest_resolution": 4096})
    assert torch.equal(a.table, b.table)


def test_knob_defaults_are_the_references():
    two = {name: tuned_knob(cls, 2).default for name, cls in FAMILIES.items()}
    assert two == {"siren": 30.0, "fourier": 1.0, "posenc": 16.0, "finer": 30.0, "wire": 20.0,
                   "hashgrid": 2048.0}
