"""Shared fixtures.  Browser tests need Debian's Chromium: missing, they skip
locally and fail in CI (CI=true), so they never silently vanish there."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"  # screenshots and measured figures

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
# Chunk sizes are measured once per machine (fresh_viz.tuning); the tests keep theirs apart from the user's.
os.environ.setdefault("FRESH_VIZ_CACHE", os.path.join(tempfile.gettempdir(), f"fresh_viz-tests-{os.getuid()}"))


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; CI must run the browser tests (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="module")
def free_port() -> int:
    """A TCP port on the loopback that nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    """One folder for the media files the tests make (`media_files` reuses what is already there)."""
    folder = tmp_path_factory.getbasetemp() / "media"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def report(request):
    """Figures a module measures, written to artifacts/<the module's REPORT> when it ends
    (machine-dependent, so recorded rather than asserted)."""
    results: dict = {}
    yield results
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / request.module.REPORT).write_text(json.dumps(results, indent=1))
