"""ruff and mypy run in CI through this test: CI runs only the README's pytest command (``.ci/run``).

The three checks the project holds every change to (``ruff check``, ``ruff format --check`` and
``mypy eks_plan`` with the configuration in pyproject.toml) run on the whole tree, as a developer
runs them from the repository root. mypy keeps its cache in ``.mypy_cache`` (git ignores it), so a
second run reads only what changed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO_ROOT


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "eks_plan"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_tree_passes(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} found problems:\n{done.stdout}{done.stderr}"
