"""FreSh: choose an embedding hyperparameter by matching the untrained model's spectrum.

For each candidate value, untrained members are evaluated on the signal's grid for several
seeds (the same seeds for every value, as the reference does), their spectra are compared
with the target's by the 1-D Wasserstein distance, and a rule picks the value (the paper's:
the lowest mean distance, the first one on ties).  One `Sweep` does this for every source of
members (`members`): the built-in families, a user's network (`external.select_model`) and
saved outputs (`external.select_outputs`).
"""

from .members import Batch, FamilyMembers, Grid, MakeModel, Members, Model, ModelMembers, build_seeded
from .select import fast_sweep, select_embedding
from .selection import Preview, Progress, Selection, mean_and_stderr
from .sweep import FAST_RULE, FAST_SHARE, TIE_REACH, Sweep

__all__ = ["FAST_RULE", "FAST_SHARE", "TIE_REACH", "Batch", "FamilyMembers", "Grid", "MakeModel", "Members", "Model",
           "ModelMembers", "Preview", "Progress", "Selection", "Sweep", "build_seeded", "fast_sweep",
           "mean_and_stderr", "select_embedding"]
