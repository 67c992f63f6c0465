"""Selection rules: which candidate a sweep picks, decided before any training.

A rule sees only what the sweep measured on the untrained models and the
target (`Evidence`): each candidate's mean Wasserstein distance W and its
standard error, each seed's compared spectrum, and the target's spectrum.
`paper` is FreSh's own rule (the lowest mean W) and the default everywhere;
the others trade some of its fitting speed for interpolation between the
trained samples, or try to.  `docs/selection_rules.md` measures each one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch

from .spectrum import wasserstein

RECOMMENDED: tuple[str, ...] = ()  # rules that passed the study in docs/selection_rules.md; none did


@dataclass(frozen=True)
class Evidence:
    """What a sweep knows about each candidate value, before training.

    values: the candidates in ascending order (V); higher means more high-frequency energy
        for every family here.
    mean, stderr: W per value over its seeds, and the standard error of that mean (V each).
    spectra: per value, the compared spectrum of each evaluated seed, (S_v, n) each.
    target: the target's compared spectrum, (n,).
    """

    values: Sequence[float]
    mean: Sequence[float]
    stderr: Sequence[float]
    spectra: Sequence[torch.Tensor]
    target: torch.Tensor


@dataclass(frozen=True)
class Rule:
    """A named way to choose: `choose(evidence)` returns the index of the chosen value."""

    name: str
    summary: str  # one line, for `--rule` help and the app
    choose: Callable[[Evidence], int]


def first_argmin(scores: Sequence[float]) -> int:
    """Index of the smallest score; the first (lowest value) wins ties."""
    return min(range(len(scores)), key=lambda i: (scores[i], i))


def lowest_mean(evidence: Evidence) -> int:
    """The paper's rule: the lowest mean W."""
    return first_argmin(evidence.mean)


def mean_distances(evidence: Evidence, bins: int | None = None, weight: torch.Tensor | None = None) -> list[float]:
    """Per value, the mean over seeds of W recomputed on the first `bins` compared bins, each bin's
    CDF gap multiplied by `weight` (n,) when given (without it, the plain W of `spectrum.wasserstein`)."""
    target, weight = evidence.target[:bins], None if weight is None else weight[:bins]
    return [wasserstein(spectra[:, :bins], target, weight).double().mean().item() for spectra in evidence.spectra]


def shorter_crop(evidence: Evidence, bins: int) -> int:
    """The lowest mean W over the first `bins` compared bins only (the low-frequency shape)."""
    return first_argmin(mean_distances(evidence, bins))


def within_stderr(evidence: Evidence, errors: float) -> int:
    """The lowest value whose mean W is within `errors` standard errors of the minimum's
    (the one-standard-error rule of model selection)."""
    best = lowest_mean(evidence)
    reach = evidence.mean[best] + errors * evidence.stderr[best]
    return next(i for i, w in enumerate(evidence.mean) if w <= reach)


def within_share(evidence: Evidence, share: float) -> int:
    """The lowest value whose mean W is at most (1 + share) times the minimum."""
    best = lowest_mean(evidence)
    reach = evidence.mean[best] * (1 + share)
    return next(i for i, w in enumerate(evidence.mean) if w <= reach)


def signal_weights(target: torch.Tensor, top: float = 0.125) -> torch.Tensor:
    """Each bin's target energy above the floor, normalised to sum 1: (n,) -> (n,).

    The floor is the median of the target's top `top` share of the compared bins, where a
    natural signal holds little but noise and aliasing.  A target with nothing above its
    floor gets equal weights (plain W)."""
    tail = target[-max(1, int(len(target) * top)) :]
    excess = (target - tail.median()).clamp_min(0)
    if excess.sum() <= 0:
        return torch.full_like(target, 1.0 / len(target))
    return excess / excess.sum()


def signal_weighted(evidence: Evidence) -> int:
    """The lowest mean W with each bin's CDF gap weighted by the target's energy above its floor:
    mismatches where the target has content count; those in its noise floor do not."""
    return first_argmin(mean_distances(evidence, weight=signal_weights(evidence.target)))


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in [
        Rule("paper", "lowest mean W over the compared bins (FreSh's rule)", lowest_mean),
        Rule("crop32", "lowest mean W over the first 32 compared bins", partial(shorter_crop, bins=32)),
        Rule("crop16", "lowest mean W over the first 16 compared bins", partial(shorter_crop, bins=16)),
        Rule("within-1se", "lowest value whose mean W is within 1 standard error of the minimum",
             partial(within_stderr, errors=1.0)),
        Rule("within-10pct", "lowest value whose mean W is within 10 % of the minimum",
             partial(within_share, share=0.10)),
        Rule("signal-weighted", "lowest mean W with bins weighted by the target's energy above its noise floor",
             signal_weighted),
    ]
}


def tied(mean: Sequence[float], stderr: Sequence[float], i: int, j: int, errors: float = 2.0) -> bool:
    """Whether candidates i and j differ in mean W by at most `errors` combined standard errors:
    a sweep with other seeds could rank them either way."""
    return abs(mean[i] - mean[j]) <= errors * math.hypot(stderr[i], stderr[j])


def get_rule(name: str) -> Rule:
    if name not in RULES:
        raise ValueError(f"unknown selection rule '{name}'; choose from {', '.join(RULES)}")
    return RULES[name]
