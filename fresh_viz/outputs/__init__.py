"""FreSh on untrained outputs saved elsewhere, in the FreSh reference's layout.

`files` reads them (folders of `.npy` files, arrays, the reference's target layouts) without
unpickling; `pairing` pairs them with target frames as the reference's
`scripts/find_optimal_config.py` does and runs them through the one sweep (`fresh.Sweep`).
The command line's `outputs` command writes the reference's CSV files from the result.
"""

from .files import (
    MAX_CHANNELS,
    Output,
    OutputsError,
    as_outputs,
    check_output_shape,
    load_npy_file,
    output_image,
    read_outputs_folder,
    target_frames,
)
from .pairing import (
    PAIRED_OUTPUTS,
    REFERENCE_SIZES,
    Compared,
    Pair,
    SavedOutputs,
    View,
    compare_outputs,
    crops_to_box,
    foreground_box,
    pair_frames,
)

__all__ = ["MAX_CHANNELS", "PAIRED_OUTPUTS", "REFERENCE_SIZES", "Compared", "Output", "OutputsError", "Pair",
           "SavedOutputs", "View", "as_outputs", "check_output_shape", "compare_outputs", "crops_to_box",
           "foreground_box", "load_npy_file", "output_image", "pair_frames", "read_outputs_folder", "target_frames"]
