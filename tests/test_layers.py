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
