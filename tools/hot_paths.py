"""The two hot paths alone against their floors: the 128 px paper sweep (SIREN 3x256, 20 values x
10 seeds) and full-batch training at 128 px, as `python -m fresh_viz bench` measures them.

    PYTHONPATH=CHECKOUT python tools/hot_paths.py

Runs whichever `fresh_viz` is first on the path, so the same command prices an older commit
(`git archive COMMIT | tar -x -C /tmp/old`, then PYTHONPATH=/tmp/old) beside the current one.
Prints one JSON line.
"""

from __future__ import annotations

import json

import torch

import fresh_viz
from fresh_viz.bench.floor import instruction_set
from fresh_viz.bench.measure import bench_sweep, bench_training


def main() -> None:
    device = torch.device("cpu")
    values = [float(v) for v in range(10, 201, 10)]
    sweep = bench_sweep(device, 128, 10, values, False)
    training = bench_training(device, 128, 10)
    print(json.dumps({"code": fresh_viz.__file__, "instruction_set": instruction_set(),
                      "threads": torch.get_num_threads(), "sweep_seconds": round(sweep["seconds"], 2),
                      "sweep_ratio": round(sweep["ratio"], 3),
                      "training_ms_per_step": round(1000 * training["seconds_per_step"], 1),
                      "training_ratio": round(training["ratio"], 3)}))


if __name__ == "__main__":
    main()
