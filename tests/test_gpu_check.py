"""tools/gpu_check.sh: the GPU check runs on any machine; without CUDA it runs the device tests on
the CPU and its report says so."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_reports_the_device(tmp_path):
    done = subprocess.run(["bash", str(ROOT / "tools" / "gpu_check.sh"), str(tmp_path)], capture_output=True,
                          text=True, timeout=400)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["cuda"] == torch.cuda.is_available()
    assert report["device"].startswith("CPU") != report["cuda"]
    assert report["tests"]["failed"] == 0 and report["tests"]["passed"] >= 9
    if not report["cuda"]:
        assert report["bench"] is None and "no GPU" in report["note"]
