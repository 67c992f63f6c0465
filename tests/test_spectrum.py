"""Spectral reductions against a loop transcription of the reference, and the
Wasserstein distance against SciPy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.stats
import torch

from fresh_viz.signals import resize_to
from fresh_viz.spectrum import (
    MODES,
    Reduction,
    analysis_grid,
    band_errors,
    band_index,
    crop,
    paper_spectrum,
    prepare_target,
    spectrum,
    wasserstein,
)


def reference_paper_spectrum(y: np.ndarray) -> np.ndarray:
    """The reference algorithm, one frequency at a time: keep one member of each
    conjugate pair (the one nearer the origin corner), then one sum per anti-diagonal."""
    d = y.ndim - 1
    magnitude = np.abs(np.fft.fftn(y, axes=tuple(range(1, d + 1)))).sum(0)
    n = magnitude.shape[0]
    keep = np.zeros(magnitude.shape, dtype=bool)
    for k in itertools.product(range(n), repeat=d):
        partner = tuple((n - ki) % n for ki in k)
        if keep[k] or keep[partner]:
            continue
        keep[min(k, partner, key=lambda m: (sum(m), m))] = True
    sums = np.zeros(d * (n - 1) + 1)
    for k in itertools.product(range(n), repeat=d):
        if keep[k]:
            sums[sum(k)] += magnitude[k]
    return sums[1:]


@pytest.mark.parametrize("shape", [(3, 7, 7), (3, 8, 8), (1, 16, 16), (2, 5, 5, 5), (1, 6, 6, 6)])
def test_paper_spectrum_matches_reference_loops(shape):
    y = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ours = paper_spectrum(y).numpy()
    n, d = shape[1], len(shape) - 1
    assert ours.shape == (d * (n - 1),)
    np.testing.assert_allclose(ours, reference_paper_spectrum(y.numpy()), rtol=1e-10, atol=1e-10)


def test_wasserstein_matches_scipy_for_batches():
    g = torch.Generator().manual_seed(0)
    u = torch.rand(4, 5, 64, generator=g, dtype=torch.float64)
    v = torch.rand(5, 64, generator=g, dtype=torch.float64)
    ours = wasserstein(u, v)
    assert ours.shape == (4, 5)
    support = np.arange(64)
    for i, j in itertools.product(range(4), range(5)):
        expected = scipy.stats.wasserstein_distance(support, support, u[i, j].numpy(), v[j].numpy())
        assert ours[i, j].item() == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_wasserstein_is_zero_for_identical_and_symmetric():
    g = torch.Generator().manual_seed(2)
    u, v = torch.rand(3, 32, generator=g), torch.rand(3, 32, generator=g)
    assert torch.allclose(wasserstein(u, u), torch.zeros(3))
    assert torch.allclose(wasserstein(u, 7 * u), torch.zeros(3), atol=1e-5)
    assert torch.allclose(wasserstein(u, v), wasserstein(v, u))
    assert (wasserstein(u, v) > 0).all()


def test_wasserstein_of_point_masses_is_their_distance():
    u, v = torch.zeros(64), torch.zeros(64)
    u[3], v[40] = 1.0, 5.0
    assert wasserstein(u, v).item() == pytest.approx(37.0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(1, 256), (3, 32, 32), (3, 24, 40), (1, 12, 12, 12)])
def test_spectra_are_nonnegative_and_ignore_offset_and_scale(mode, shape):
    g = torch.Generator().manual_seed(3)
    y = torch.rand(shape, generator=g, dtype=torch.float64)
    ndim = len(shape) - 1
    base = spectrum(y, ndim, 32, mode)
    assert base.shape == (32,)
    assert (base >= 0).all()
    shifted = spectrum(3.0 * y - 0.7, ndim, 32, mode)
    assert torch.allclose(shifted, 3.0 * base, rtol=1e-9, atol=1e-9)
    assert wasserstein(base, shifted).item() == pytest.approx(0.0, abs=1e-9)


def grating(shape: tuple[int, ...], k: tuple[int, ...]) -> torch.Tensor:
    """cos(2π k·x / N) on an N-per-axis grid: (1, *shape)."""
    axes = torch.meshgrid(*[torch.arange(n, dtype=torch.float64) for n in shape], indexing="ij")
    phase = sum(2 * math.pi * ki * a / n for ki, a, n in zip(k, axes, shape))
    return torch.cos(phase).unsqueeze(0)


@pytest.mark.parametrize(
    "shape, k, expected",
    [
        # Same-sign components: every mode agrees up to its norm.
        ((32, 32), (3, 5), {"paper": 8, "symmetric": 8, "radial": 6}),
        # Opposite signs: paper mode puts the pair far out (the known quirk).
        ((32, 32), (3, -5), {"paper": 30, "symmetric": 8, "radial": 6}),
        ((64,), (9,), {"paper": 9, "symmetric": 9, "radial": 9}),
        ((16, 16, 16), (1, 2, 2), {"paper": 5, "symmetric": 5, "radial": 3}),
    ],
)
def test_pure_sinusoid_lands_in_expected_bin(shape, k, expected):
    y = grating(shape, k)
    for mode, bin_ in expected.items():
        reduction = Reduction(shape, mode)
        full = reduction(torch.fft.fftn(y, dim=tuple(range(1, len(shape) + 1))).abs().sum(0))
        assert int(full.argmax()) == bin_, mode
        # Apart from round-off, all the energy is in that one bin.
        assert full[bin_] / full.sum() > 0.999, mode


def test_crop_drops_dc_and_pads():
    full = torch.arange(10.0)
    assert crop(full, 4).tolist() == [1.0, 2.0, 3.0, 4.0]
    assert crop(full, 12).tolist() == list(range(1, 10)) + [0.0, 0.0, 0.0]


def test_batched_spectrum_equals_one_at_a_time():
    y = torch.randn(4, 3, 20, 20, generator=torch.Generator().manual_seed(5))
    batched = spectrum(y, 2, 16)
    single = torch.stack([spectrum(y[i], 2, 16) for i in range(4)])
    assert torch.allclose(batched, single, rtol=1e-5, atol=1e-5)


def test_paper_mode_compares_square_grids():
    assert analysis_grid((300, 200), "paper") == (200, 200)
    assert analysis_grid((3000, 2000), "paper") == (1024, 1024)
    assert analysis_grid((8, 300, 200), "paper") == (200, 200)  # a video, frame by frame
    assert analysis_grid((8, 300, 200), "paper3d") == (8, 8, 8)  # a clip, as a cube
    assert analysis_grid((300, 200), "paper3d") == (200, 200)
    assert analysis_grid((300, 200), "radial") == (300, 200)
    assert analysis_grid((5000,), "paper") == (5000,)


def test_resizing_for_spectra_is_torchvision_resize_and_never_clamps():
    """`signals.resize_to` is the package's one resizer: signals (which clamp after it), spectra, saved outputs."""
    g = torch.Generator().manual_seed(4)
    y = 3 * torch.randn(2, 3, 30, 20, generator=g)  # a batch of model outputs far outside [-1, 1]
    resized = resize_to(y, (20, 20))
    # torchvision's resize on tensors, bilinear with antialias: F.interpolate with align_corners=False
    expected = torch.nn.functional.interpolate(y, size=(20, 20), mode="bilinear", antialias=True,
                                               align_corners=False)
    assert torch.equal(resized, expected) and resized.abs().max() > 1.5
    clip = torch.randn(1, 6, 10, 12, generator=g)
    cube = torch.nn.functional.interpolate(clip.unsqueeze(0), size=[6, 6, 6], mode="trilinear").squeeze(0)
    assert torch.equal(prepare_target(clip, "paper3d"), cube)  # the reference's 3-D resize_to_square
    frames = prepare_target(clip, "paper")
    assert frames.shape == (1, 6, 10, 10)
    assert torch.equal(frames[:, 2], resize_to(clip[:, 2], (10, 10)))
    assert resize_to(y, (30, 20)) is y


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown spectrum mode"):
        Reduction((8, 8), "fancy")


def test_band_errors_find_an_error_confined_to_one_band():
    shape = (64, 64)
    target = grating(shape, (3, 0)) + grating(shape, (0, 20)) + 0.5 * grating(shape, (9, 9))
    missing_high = grating(shape, (3, 0)) + 0.5 * grating(shape, (9, 9))  # lacks only the (0, 20) wave
    errors = band_errors(missing_high.unsqueeze(0), target, bands=8)[0]
    high_band = int(band_index(shape, 8).reshape(shape)[0, 20])
    assert errors[high_band].item() == pytest.approx(1.0, rel=1e-6)  # all of that band's energy is missing
    others = [e for b, e in enumerate(errors.tolist()) if b != high_band and not math.isnan(e)]
    assert others and max(others) < 1e-12
    assert band_errors(target.unsqueeze(0), target, bands=8).nan_to_num().abs().max() < 1e-12


def test_band_index_runs_from_low_to_high():
    index = band_index((32, 32), 4).reshape(32, 32)
    assert index[0, 0] == 0 and index[16, 16] == 3 and index[0, 1] == 0
