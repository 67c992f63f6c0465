"""How sure a selection is: paired bootstrap over the seeds, the plausible values, and edge picks.

A sweep draws the same raw weights for every candidate value with a given seed, so the
seeds are resampled *paired*: each bootstrap draw picks seed indices once and applies
them to every value.  A seed that happens to give every value a high W then moves all
of them together and does not decide the ranking; only the differences between values
within a seed do, as in the sweep itself.

Every path that builds a `fresh.Selection` (the built-in families, `external.select_model`,
`external.select_outputs`) fills its `per_seed`, `pick_frequency`, `plausible` and `edge`
from `assess`, so they mean the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import torch

DRAWS = 2000  # bootstrap draws
DRAW_SEED = 0  # the draws' generator is seeded with this, so a result is reproducible
PLAUSIBLE_SHARE = 0.95  # `plausible` covers at least this share of the draws


class Assessed(Protocol):
    """What the words below read from a selection (`fresh.Selection` has it all)."""

    values: list[float]
    best: float
    labels: list[str]
    pick_frequency: list[float]
    plausible: list[float]
    edge: str | None

    @property
    def best_index(self) -> int: ...


class Confidence(NamedTuple):
    """pick_frequency: per value, the share of bootstrap draws in which it has the lowest mean W (sums to 1).
    plausible: the fewest values that together win at least 95 % of the draws, in ascending order.
    edge: "low" or "high" when the pick is the grid's first or last value and W still falls towards it,
        else None."""

    pick_frequency: list[float]
    plausible: list[float]
    edge: str | None


def confidence(per_seed: torch.Tensor, values: Sequence[float], pick: int | None = None, draws: int = DRAWS,
               seed: int = DRAW_SEED) -> Confidence:
    """Paired bootstrap of the argmin of mean W over the seeds, and whether the pick sits at an edge.

    per_seed: (V, S) W of each value (rows, `values` ascending) for each seed (columns, the same
        seed in a column for every value); NaN where a value was not evaluated with that seed.
    pick: index of the chosen value (the selection rule's choice); default the lowest mean W.

    Each of `draws` draws resamples S column indices with replacement, from a CPU generator seeded
    with `seed`, and applies them to every value (paired); the value with the lowest mean W over the
    drawn seeds wins the draw (the first, lowest value on ties, as the sweep picks).
    Unequal seed counts (fast mode adds seeds only to the contenders; a time cap or saved outputs can
    leave values with fewer): a value's mean in a draw is over the drawn seeds it has, with their
    multiplicity, so pairing holds wherever seeds are shared; in a draw holding none of its seeds it
    keeps its mean over all of them.

    Edge: "low" when the pick is the first of two or more values and its mean W is strictly below the
    second value's (W still falling towards the grid's low end, so a lower value might be nearer still);
    "high" likewise at the last value against the one before; else None.
    """
    if per_seed.dim() != 2 or per_seed.shape[0] != len(values) or per_seed.shape[1] == 0:
        raise ValueError(f"per_seed must be (values, seeds) = ({len(values)}, S); got {tuple(per_seed.shape)}")
    if list(values) != sorted(values):
        raise ValueError("values must be in ascending order")
    if draws < 1:
        raise ValueError("draws must be at least 1")
    table = per_seed.detach().to("cpu", torch.float64)
    have = ~table.isnan()  # (V, S)
    if not have.any(1).all():
        raise ValueError("every value needs W for at least one seed")
    filled = table.nan_to_num(0.0)
    means = filled.sum(1) / have.sum(1)  # (V,)
    count = table.shape[1]
    generator = torch.Generator().manual_seed(seed)
    drawn = torch.randint(count, (draws, count), generator=generator)  # (draws, S) column indices
    multiplicity = torch.zeros(draws, count, dtype=torch.float64).scatter_add_(
        1, drawn, torch.ones(draws, count, dtype=torch.float64))  # (draws, S) times each seed was drawn
    totals, counts = multiplicity @ filled.T, multiplicity @ have.double().T  # (draws, V) each
    resampled = torch.where(counts > 0, totals / counts.clamp_min(1), means)  # (draws, V)
    wins = torch.bincount(resampled.argmin(1), minlength=len(values))  # argmin: the first on ties
    order = sorted(range(len(values)), key=lambda i: (-int(wins[i]), i))
    needed = math.ceil(PLAUSIBLE_SHARE * draws - 1e-9)
    covered, plausible = 0, []
    for i in order:
        plausible.append(i)
        covered += int(wins[i])
        if covered >= needed:
            break
    pick = int(means.argmin()) if pick is None else pick
    return Confidence((wins.double() / draws).tolist(), [float(values[i]) for i in sorted(plausible)],
                      edge_of(means.tolist(), pick))


def edge_of(distance: Sequence[float], pick: int) -> str | None:
    """"low" / "high" when `pick` is the first / last of two or more values and W (per value, ascending
    values) is strictly lower there than at its one neighbour; else None."""
    if len(distance) < 2:
        return None
    if pick == 0 and distance[0] < distance[1]:
        return "low"
    if pick == len(distance) - 1 and distance[-1] < distance[-2]:
        return "high"
    return None


def assess(per_seed: Sequence[Sequence[float | None]], values: Sequence[float], pick: int,
           ordered: bool = True) -> dict:
    """A selection's confidence fields, as `fresh.Selection` holds them: per_seed (rows padded with None to
    the longest, column j the j-th seed evaluated), pick_frequency, plausible and edge (see `confidence`).

    per_seed: per value (ascending), its W for each seed; None, or a shorter row, where a value lacks a seed.
    ordered=False: the values only number configurations that have no order (saved outputs named
    "relu", "gelu"), so no edge is reported."""
    width = max(len(row) for row in per_seed)
    table = torch.tensor([[math.nan if w is None else w for w in row] + [math.nan] * (width - len(row))
                          for row in per_seed], dtype=torch.float64)  # (V, S)
    rows = [[None if math.isnan(w) else w for w in row] for row in table.tolist()]
    sure = confidence(table, values, pick)
    return {"per_seed": rows, **sure._asdict(), "edge": sure.edge if ordered else None}


def extend_grid(values: Sequence[float], edge: str, low: float, high: float, integer: bool = False,
                count: int | None = None) -> list[float]:
    """`count` (default as many as there are) new values beyond the `edge` ("low" / "high") of the
    ascending grid `values`, continuing its spacing: arithmetic where its steps are more even than its
    ratios, else geometric; clamped to [low, high], rounded to 4 significant digits (whole numbers for
    an integer knob), without the grid's own values.  Empty when the grid already reaches the bound."""
    if edge not in ("low", "high"):
        raise ValueError(f"edge must be 'low' or 'high', not {edge!r}")
    grid = sorted(float(v) for v in values)
    if len(grid) < 2:
        raise ValueError("a grid needs two values to have a spacing")
    steps = [b - a for a, b in zip(grid, grid[1:])]
    geometric = grid[0] > 0 and spread([math.log(b / a) for a, b in zip(grid, grid[1:])]) < spread(steps)
    count = len(grid) if count is None else count
    sign = -1 if edge == "low" else 1
    start = grid[0] if edge == "low" else grid[-1]
    if geometric:
        ratio = (grid[-1] / grid[0]) ** (1 / (len(grid) - 1))
        far = [start * ratio ** (sign * k) for k in range(1, count + 1)]
    else:
        step = (grid[-1] - grid[0]) / (len(grid) - 1)
        far = [start + sign * step * k for k in range(1, count + 1)]
    added: list[float] = []
    for value in far:
        value = min(max(value, low), high)
        value = float(round(value)) if integer else float(f"{value:.4g}")
        if value not in grid and value not in added:
            added.append(value)
    return sorted(added)


def spread(numbers: Sequence[float]) -> float:
    """How uneven a list of steps is: (max - min) / |mean|; 0 for even steps."""
    mean = sum(numbers) / len(numbers)
    return (max(numbers) - min(numbers)) / abs(mean) if mean else math.inf


def in_words(selection: Assessed, label: str) -> str:
    """The pick and how sure it is, e.g. "ω₀ = 70; 60 to 80 are as likely; chosen in 83 % of resamples"."""
    return f"{label} = {value_name(selection, selection.best)}; {odds(selection)}"


def odds(selection: Assessed) -> str:
    """How sure the pick is, e.g. "60 to 80 are as likely; chosen in 83 % of resamples" (a range where the
    plausible values are neighbours around the pick, else a list; configuration names for saved outputs)."""
    best, plausible = selection.best, selection.plausible
    others = [value_name(selection, v) for v in plausible if v != best]
    positions = [selection.values.index(v) for v in plausible]
    if not others:
        likely = "no other value is as likely"
    elif best in plausible and positions == list(range(positions[0], positions[-1] + 1)):
        likely = f"{value_name(selection, plausible[0])} to {value_name(selection, plausible[-1])} are as likely"
    else:
        listed = others[0] if len(others) == 1 else ", ".join(others[:-1]) + f" and {others[-1]}"
        likely = f"{listed} {'is' if len(others) == 1 else 'are'} as likely"
    share = selection.pick_frequency[selection.best_index]
    return f"{likely}; chosen in {100 * share:.0f} % of resamples"


def value_name(selection: Assessed, value: float) -> str:
    """A value as people read it: its configuration name for saved outputs that have one, else the number."""
    return selection.labels[selection.values.index(value)] if selection.labels else f"{value:g}"


def edge_words(selection: Assessed, label: str) -> str:
    """Why an edge pick is suspect, e.g. "ω₀ = 1 is the grid's lowest value and W is still falling towards
    it; the grid is too short"; empty when the pick is not at an edge."""
    if selection.edge is None:
        return ""
    end = "lowest" if selection.edge == "low" else "highest"
    return (f"{label} = {selection.best:g} is the grid's {end} value and W is still falling towards it; "
            "the grid is too short")
