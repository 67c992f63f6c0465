"""The package as users install it: a wheel in a fresh virtual environment, used
from outside the repository (nothing read from the source tree)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding PyTorch's CPU wheel and this project's wheel; returns its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), str(REPO)],
                   check=True, timeout=600)
    wheel = next((root / "dist").glob("fresh_viz-*.whl"))
    photos = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("fresh_viz/assets/photos/")}
    assert {f"fresh_viz/assets/photos/{p}.png" for p in ("astronaut", "coffee", "grass")} <= photos
    subprocess.run([sys.executable, "-m", "venv", str(root / "env")], check=True, timeout=300)
    bin_dir = root / "env" / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "-q", "torch==2.13.0", str(wheel)], check=True, timeout=1800)
    return bin_dir


def test_a_photo_preset_from_the_installed_wheel(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([str(installed / "python"), "-c", "import fresh_viz; print(fresh_viz.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout
    assert str(installed.parent) in where and str(REPO) not in where
    out = subprocess.run([str(installed / "fresh-viz"), "select", "preset:astronaut", "--size", "32", "--values",
                          "20,60", "--seeds", "1", "--width", "16", "--depth", "1", "--json"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["best"] in (20.0, 60.0)


def test_serve_from_the_installed_wheel(installed, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    server = subprocess.Popen([str(installed / "fresh-viz"), "serve", "--port", str(port), "--size", "32",
                               "--width", "16"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline, page = time.time() + 180, ""
        while time.time() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(1)
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        assert "FreSh Explorer" in page and "param-slider" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
