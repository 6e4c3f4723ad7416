"""Textual is imported only by the explore screen: `eks-plan --help` and every other command start
without it (it costs ~100 ms of import)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_does_not_import_textual() -> None:
    code = (
        "import sys, eks_plan.cli.app, eks_plan.explore.session, eks_plan.explore.lines, eks_plan.cli.init; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'textual'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_session_imports_neither_rich_nor_textual() -> None:
    code = (
        "import sys, eks_plan.explore.session, eks_plan.explore.lines, eks_plan.explore.text; "
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'rich', 'textual', 'typer'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
