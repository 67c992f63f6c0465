#!/usr/bin/env bash
# The GPU check in one call:  tools/gpu_check.sh OUT
# Runs the device-parametrised tests (tests/test_device.py: on CUDA where present, always on the
# CPU), then on a GPU the benchmark and the browser latency at the GPU defaults, and writes
# OUT/gpu_check.json = {"device", "cuda", "tests": {"passed", "failed"}, "bench": {...} | null}.
# Without CUDA it runs the same tests on the CPU and says that no GPU was there.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python tools/gpu_check.py "${1:?usage: tools/gpu_check.sh OUT}"
