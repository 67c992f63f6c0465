"""The work of `tools/gpu_check.sh OUT` (see there); each stage has its own time cap so the whole
check fits in 8 minutes on one GPU, and a stage that fails is reported in the JSON, not lost.

    python tools/gpu_check.py OUT
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import torch

from fresh_viz.device import describe, pick_device

CAPS = {"tests": 150, "bench": 240, "browser": 60}  # seconds per stage: 7.5 minutes together


def run_stage(name: str, command: list[str], out: Path) -> subprocess.CompletedProcess | str:
    """Run one stage with its cap; its output goes to OUT/<name>.log."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CAPS[name])
    except subprocess.TimeoutExpired:
        return f"{name} ran past its {CAPS[name]} s cap"
    (out / f"{name}.log").write_text(done.stdout + done.stderr)
    return done


def device_tests(out: Path) -> dict:
    junit = out / "device_tests.xml"
    done = run_stage("tests", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_device.py",
                               f"--junitxml={junit}"], out)
    if isinstance(done, str) or not junit.exists():
        return {"passed": 0, "failed": 0, "error": done if isinstance(done, str) else "no test report written"}
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
    skipped = int(suite.get("skipped"))
    cases = [case.get("name") for case in suite.iter("testcase")]
    return {"passed": tests - failed - skipped, "failed": failed, "skipped": skipped,
            "cuda_cases": sum("cuda" in c for c in cases)}


def json_stage(name: str, command: list[str], out: Path) -> dict:
    done = run_stage(name, command, out)
    if isinstance(done, str):
        return {"error": done}
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] or ''}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    device = pick_device()
    cuda = device.type == "cuda"
    report = {"device": describe(device), "cuda": cuda, "torch": torch.__version__, "tests": device_tests(out),
              "bench": None, "browser": None}
    if cuda:
        report["bench"] = json_stage("bench", [sys.executable, "-m", "fresh_viz", "bench", "--json", "--device",
                                               "cuda"], out)
        report["browser"] = json_stage("browser", [sys.executable, "tools/browser_latency.py", "--json"], out)
    else:
        report["note"] = "no GPU was there: the device tests ran on the CPU only, and the benchmark did not run"
    report["seconds"] = round(time.perf_counter() - start, 1)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("device", "cuda", "tests", "seconds")}))


if __name__ == "__main__":
    main()
