"""The shape of the code as a checked contract: the import layers (`lint-imports`, configured in
pyproject.toml) and the packages the wheel carries."""

from __future__ import annotations

from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_lists_every_package():
    """The packages are listed by hand (assets/ is mapped into the wheel), so a new one must be added there."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "fresh_viz").rglob("__init__.py")}
    assert found | {"fresh_viz.assets"} == listed


def test_imports_follow_the_layers():
    """`lint-imports` checks the contracts in pyproject.toml: UI and command line on top, then selection
    and training, then spectra and models, then signals; no module imports a layer above its own, and no
    package's modules import each other in a cycle."""
    import shutil
    import subprocess
    import sys

    command = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([command, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
