"""DFT spectra reduced to 1-D, and the Wasserstein distance between them.

Three reductions of the unshifted DFT magnitude |F(k)|, k = (k_1..k_d), N_i points per axis:

- paper:     bin = min(sum_i k_i, sum_i (N_i - k_i) mod N_i), the FreSh reference's
             anti-diagonal sums.  A frequency whose components have opposite signs
             lands in a high bin, so after cropping half of all orientations is ignored.
- symmetric: bin = sum_i min(k_i, N_i - k_i), the L1 norm of the signed frequency.
- radial:    bin = round(sqrt(sum_i min(k_i, N_i - k_i)^2)), Euclidean rings.

Each conjugate pair {k, -k} is counted once: every k gets weight 1/2, except the
self-conjugate ones (every k_i in {0, N_i/2}), which get weight 1.  The symmetric and
radial modes work on any grid (frequencies in cycles per side).  Paper mode is the
reference's pipeline: an image (the target, and the model evaluated on the image's own
grid) is resized to a square of side min(H, W), at most 1024, before the DFT; a video
is compared frame by frame (2-D spectra of single frames, as the reference's video
runs do).  `paper3d` is the reference's 3-D spectrum of a whole clip, resized to a cube.
"""

from __future__ import annotations

import math

import torch

from .signals import resize_to

MODES = ("paper", "paper3d", "symmetric", "radial")
MODE_TITLES = {
    "paper": "paper (anti-diagonals, as the FreSh reference; video frame by frame)",
    "paper3d": "paper 3-D (anti-diagonals of a clip's 3-D spectrum)",
    "symmetric": "symmetric (L1 norm of the signed frequency)",
    "radial": "radial (Euclidean rings)",
}
PAPER_MAX_SIDE = 1024


class Reduction:
    """Sums a DFT magnitude over bins: (..., *shape) -> (..., bins), bin 0 = DC.

    half=True reduces the half-space DFT that `rfftn` returns, (..., *shape[:-1], shape[-1] // 2 + 1):
    a real signal has |F(k)| = |F(-k)| and k and -k share a bin in every mode, so the last axis's columns
    whose conjugate column is not kept count twice.  About half the full DFT's time; `magnitude` takes
    the matching DFT."""

    def __init__(self, shape: tuple[int, ...], mode: str = "paper", device: torch.device | str = "cpu",
                 half: bool = False):
        if mode not in MODES:
            raise ValueError(f"unknown spectrum mode '{mode}'; choose from {', '.join(MODES)}")
        self.shape, self.mode = tuple(shape), mode
        k, conjugate = frequency_indices(self.shape)
        folded = torch.minimum(k, conjugate)  # |signed frequency| per axis
        if mode in ("paper", "paper3d"):
            index = torch.minimum(k.sum(0), conjugate.sum(0))
            self.bins = sum(n - 1 for n in shape) + 1
        elif mode == "symmetric":
            index = folded.sum(0)
            self.bins = sum(n // 2 for n in shape) + 1
        else:
            index = folded.double().square().sum(0).sqrt().round().long()
            self.bins = round(math.sqrt(sum((n // 2) ** 2 for n in shape))) + 1
        self_conjugate = (k == conjugate).all(0)
        weight = torch.where(self_conjugate, 1.0, 0.5)
        self.half = half
        if half:
            last = k[-1]
            kept = 2 * last <= shape[-1]
            twice = (last > 0) & (2 * last != shape[-1])  # its conjugate column is not kept
            index, weight = index[kept], (weight * torch.where(twice, 2.0, 1.0))[kept]
        self.index = index.to(device)
        self.weight = weight.to(device)

    def magnitude(self, y: torch.Tensor) -> torch.Tensor:
        """|DFT| of (..., C, *shape) summed over channels, full or half as this reduction sums it."""
        return dft_magnitude(y, len(self.shape), self.half)

    def to_bins(self, full: torch.Tensor, n: int) -> torch.Tensor:
        """The n bins that are compared, DC dropped: (..., bins) -> (..., n).

        Images and video keep their first n bins, as the paper does.  A 1-D signal
        pools its whole band (1 to N/2 cycles per clip) into n equal bands: its first
        n raw bins would cover only the lowest frequencies of a long clip.
        """
        if len(self.shape) > 1 or self.shape[0] // 2 <= n:
            return crop(full, n)
        band = full[..., 1 : self.shape[0] // 2 + 1]
        index = torch.arange(band.shape[-1], device=band.device) * n // band.shape[-1]
        out = torch.zeros(*band.shape[:-1], n, dtype=band.dtype, device=band.device)
        return out.index_add_(-1, index, band)

    def __call__(self, magnitude: torch.Tensor) -> torch.Tensor:
        lead = magnitude.shape[: magnitude.dim() - len(self.shape)]
        flat = magnitude.reshape(-1, self.index.numel()) * self.weight
        out = torch.zeros(flat.shape[0], self.bins, dtype=flat.dtype, device=flat.device)
        out.index_add_(1, self.index, flat)
        return out.reshape(*lead, self.bins)


def frequency_indices(shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Unshifted DFT indices k and their conjugates (N - k) mod N, per axis: two (d, prod(shape))."""
    k = torch.stack(torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij")).reshape(len(shape), -1)
    sizes = torch.tensor(shape).unsqueeze(1)
    return k, (sizes - k) % sizes


def dft_magnitude(y: torch.Tensor, ndim: int, half: bool = False) -> torch.Tensor:
    """|DFT| over the last `ndim` axes, summed over the channel axis before them.

    y: (..., C, *spatial) real -> (..., *spatial); half=True: the half space `rfftn` returns,
    (..., *spatial[:-1], spatial[-1] // 2 + 1).
    """
    dims = tuple(range(-ndim, 0))
    dft = torch.fft.rfftn(y, dim=dims) if half else torch.fft.fftn(y, dim=dims)
    return dft.abs().sum(dim=-ndim - 1)


def crop(spectrum: torch.Tensor, n: int) -> torch.Tensor:
    """Drop the DC bin and keep n bins, zero-padding short spectra: (..., bins) -> (..., n)."""
    kept = spectrum[..., 1 : n + 1]
    if kept.shape[-1] < n:
        kept = torch.nn.functional.pad(kept, (0, n - kept.shape[-1]))
    return kept


def spectrum(y: torch.Tensor, ndim: int, n: int = 64, mode: str = "paper",
             reduction: Reduction | None = None) -> torch.Tensor:
    """Reduced spectrum without DC, in the n compared bins: (..., C, *spatial) -> (..., n).

    Pass a prebuilt `reduction` to avoid rebuilding its bin index on every call.
    """
    shape = tuple(y.shape[-ndim:])
    reduction = reduction or Reduction(shape, mode, y.device)
    return reduction.to_bins(reduction(reduction.magnitude(y)), n)


def paper_spectrum(y: torch.Tensor) -> torch.Tensor:
    """The full paper-mode spectrum without DC: (C, N) -> (N-1,), (C, N, N) -> (2N-2,),
    (C, N, N, N) -> (3N-3,)."""
    ndim = y.dim() - 1
    reduction = Reduction(tuple(y.shape[1:]), "paper", y.device)
    return reduction(dft_magnitude(y, ndim))[1:]


def wasserstein(u: torch.Tensor, v: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """1-D Wasserstein-1 distance between spectra on the support 0..n-1.

    u, v: (..., n) non-negative, broadcastable; each is normalised to sum 1 first.
    Returns (...): sum_j |CDF_u(j) - CDF_v(j)|, each bin's gap times weight[j] when a
    weight (n,) is given (`fresh_viz.rules`).  An all-zero spectrum has a zero CDF.
    """
    gap = (normalised(u).cumsum(-1) - normalised(v).cumsum(-1)).abs()
    return gap.sum(-1) if weight is None else (gap * weight).sum(-1)


def normalised(spectrum: torch.Tensor) -> torch.Tensor:
    """Spectrum scaled to sum 1 along the last axis; an all-zero one stays zero."""
    return spectrum / spectrum.sum(-1, keepdim=True).clamp_min(torch.finfo(spectrum.dtype).tiny)


def mean_bin(spectrum: torch.Tensor) -> torch.Tensor:
    """Centre of mass of a spectrum in bins: (..., n) -> (...)."""
    bins = torch.arange(spectrum.shape[-1], dtype=spectrum.dtype, device=spectrum.device)
    return (normalised(spectrum) * bins).sum(-1)


def framewise(ndim: int, mode: str) -> bool:
    """Whether `mode` compares a signal of `ndim` axes frame by frame (paper mode on video)."""
    return mode == "paper" and ndim == 3


def analysis_grid(spatial: tuple[int, ...], mode: str) -> tuple[int, ...]:
    """The grid on which target and model spectra are compared.

    Paper mode compares square images and square single frames of a video, side
    min(H, W) capped at 1024; paper3d compares a video as a cube of side
    min(T, H, W) capped at 1024; both as the reference does.  Other modes keep the grid.
    """
    if mode not in ("paper", "paper3d") or len(spatial) == 1:
        return tuple(spatial)
    if mode == "paper3d" and len(spatial) == 3:
        return (min(min(spatial), PAPER_MAX_SIDE),) * 3
    side = min(min(spatial[-2:]), PAPER_MAX_SIDE)
    return (side, side)


def prepare_target(values: torch.Tensor, mode: str) -> torch.Tensor:
    """values (C, *spatial) resized onto `analysis_grid`: (C, *grid); for a video compared
    frame by frame, every frame resized: (C, T, side, side)."""
    spatial = tuple(values.shape[1:])
    grid = analysis_grid(spatial, mode)
    if framewise(len(spatial), mode):
        return resize_to(values.transpose(0, 1), grid).transpose(0, 1)
    return resize_to(values, grid)


def band_index(shape: tuple[int, ...], bands: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Each DFT index's frequency band, 0 (lowest) to bands - 1 (Nyquist corner): (prod(shape),).

    Bands split the radial frequency |f| / |f_max| (f in cycles per side) evenly."""
    k, conjugate = frequency_indices(shape)
    sizes = torch.tensor(shape).unsqueeze(1)
    folded = torch.minimum(k, conjugate).double() / (sizes // 2).clamp_min(1)
    radius = folded.square().sum(0).sqrt() / math.sqrt(len(shape))
    return (radius * bands).long().clamp_max(bands - 1).to(device)


def band_errors(output: torch.Tensor, target: torch.Tensor, bands: int = 16) -> torch.Tensor:
    """Relative squared error per frequency band: ||F(output - target)||² / ||F(target)||² in each band.

    output: (E, C, *spatial), target: (C, *spatial) -> (E, bands).  Bands where the
    target has (next to) no energy report NaN: a ratio there would be round-off."""
    ndim = target.dim() - 1
    dims = tuple(range(-ndim, 0))
    error = torch.fft.fftn(output - target, dim=dims).abs().square().sum(1).reshape(output.shape[0], -1)
    energy = torch.fft.fftn(target, dim=dims).abs().square().sum(0).reshape(-1)
    index = band_index(tuple(target.shape[1:]), bands, target.device)
    per_band = torch.zeros(output.shape[0], bands, dtype=error.dtype, device=error.device).index_add_(1, index, error)
    reference = torch.zeros(bands, dtype=energy.dtype, device=energy.device).index_add_(0, index, energy)
    empty = reference <= 1e-9 * reference.sum()
    return per_band / torch.where(empty, torch.nan, reference)
