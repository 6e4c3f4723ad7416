"""Golden files: human output rendered in process and compared with a file under tests/golden/.

A golden file is the exact text a report prints at a given width (Rich ``Console(record=True,
width=...)``, styles dropped). When a change to a report is intended, regenerate the files and
review the diff like code::

    EKS_PLAN_UPDATE_GOLDEN=1 python -m pytest -q tests/cli/test_golden_output.py
    git diff tests/golden/

With ``EKS_PLAN_UPDATE_GOLDEN=1`` the comparison writes the file instead of failing (the test
still passes only if the text was already what the file held, so a run that changed files is
reported as skipped, to be reviewed).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rich.console import Console

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("EKS_PLAN_UPDATE_GOLDEN") == "1"
WIDTHS = (80, 120)


def render_text(draw: Callable[[Console], None], width: int) -> str:
    """What ``draw`` prints on a plain (non-terminal, uncoloured) console ``width`` columns wide."""
    from rich.console import Console

    console = Console(record=True, width=width, color_system=None, force_terminal=False, file=io.StringIO())
    draw(console)
    return "\n".join(line.rstrip() for line in console.export_text(styles=False).splitlines()) + "\n"


def assert_golden(name: str, text: str) -> None:
    """``text`` is the content of ``tests/golden/<name>`` (or becomes it with EKS_PLAN_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    if text == expected:
        return
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote {path.relative_to(GOLDEN.parent.parent)}: review it with git diff")
    if expected is None:
        pytest.fail(f"no golden file {path}: create it with EKS_PLAN_UPDATE_GOLDEN=1")
    assert text == expected, f"differs from {path} (EKS_PLAN_UPDATE_GOLDEN=1 rewrites it)"
