"""The command line: JSON keys, human text, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from fresh_viz.__main__ import main


@pytest.fixture()
def image_path(tmp_path):
    y, x = np.mgrid[0:40, 0:30]
    Image.fromarray((127 + 120 * np.sin(x / 3.0) * np.cos(y / 5.0)).astype(np.uint8)).save(tmp_path / "w.png")
    return str(tmp_path / "w.png")


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_select_json(capsys, image_path):
    out = run_json(capsys, ["select", image_path, "--model", "siren", "--values", "10,40,90", "--seeds", "2",
                            "--bins", "32", "--size", "32", "--width", "32", "--depth", "2", "--json"])
    assert {"model", "param", "values", "distance", "stderr", "best", "seconds", "device"} <= set(out)
    assert out["model"] == "siren" and out["param"] == "omega0"
    assert out["values"] == [10.0, 40.0, 90.0] and out["best"] in out["values"]
    assert len(out["distance"]) == len(out["stderr"]) == 3 and out["device"] == "cpu"


def test_select_modes_and_families(capsys, image_path):
    for family, mode in [("fourier", "symmetric"), ("posenc", "radial"), ("finer", "paper")]:
        out = run_json(capsys, ["select", image_path, "--model", family, "--seeds", "1", "--size", "16",
                                "--width", "16", "--mode", mode, "--json"])
        assert out["model"] == family and out["mode"] == mode


def test_fit_json(capsys, image_path):
    out = run_json(capsys, ["fit", image_path, "--model", "siren", "--param", "40", "--steps", "40", "--size", "24",
                            "--width", "32", "--depth", "2", "--seed", "1", "--json"])
    assert {"model", "param", "value", "steps", "psnr", "test_psnr", "curve", "seconds", "device"} <= set(out)
    assert out["value"] == 40 and out["steps"] == 40
    assert out["curve"][0][0] == 0 and out["curve"][-1][0] == 40
    assert out["curve"][-1][1] > out["curve"][0][1]


def test_fit_defaults_to_family_default_and_human_text(capsys):
    assert main(["fit", "preset:blobs", "--size", "16", "--steps", "5", "--width", "16", "--model", "fourier"]) == 0
    text = capsys.readouterr().out
    assert "sigma=1" in text and "PSNR" in text and "held out" in text


@pytest.mark.parametrize("argv, message", [
    (["select", "missing.png"], "no such file"),
    (["select", "preset:blobs", "--model", "mlp"], "invalid choice"),
    (["select", "preset:blobs", "--values", "a,b"], "not a comma-separated list"),
    (["select", "preset:blobs", "--seeds", "0"], "must be at least 1"),
    (["select", "preset:blobs", "--mode", "weird"], "invalid choice"),
    (["fit", "preset:blobs", "--model", "posenc", "--param", "99"], "at most 16"),
    (["fit", "preset:nothing"], "unknown preset"),
    (["frobnicate"], "invalid choice"),
    (["fit", "preset:blobs", "--device", "tpu"], "unknown device"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("fresh_viz: error:")


def test_corrupt_file_through_a_real_process(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    proc = subprocess.run([sys.executable, "-m", "fresh_viz", "select", str(bad), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "broken.png" in proc.stderr


def test_bare_command_lists_the_commands(capsys):
    assert main([]) == 2
    listing = capsys.readouterr().out
    for command in ("select", "fit", "serve", "bench"):
        assert command in listing
