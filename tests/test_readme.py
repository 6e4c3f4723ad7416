"""The README's Quick start is what CI runs, and what it points at exists."""

from __future__ import annotations

import re
import shlex

from conftest import REPO_ROOT


def quick_start_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_has_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && eks-plan ")
    assert commands[1].startswith("pip install '.[test]' && ")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick_start_commands()[1] in ci_lines


def test_the_sample_command_names_files_that_exist() -> None:
    words = shlex.split(quick_start_commands()[0].split("&&", 1)[1])
    paths = [word for word in words if word.startswith("samples/")]
    assert paths
    for path in paths:
        assert (REPO_ROOT / path).exists(), path
