"""Shared plumbing of every command: output formats, exit codes, stderr console, atomic writes."""

from __future__ import annotations

import json
import os
import sys
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class ExitCode(IntEnum):
    """Exit codes CI understands."""

    OK = 0
    FINDINGS = 1  # unplaceable pods, exhausted subnets, lint findings at or above --fail-on
    INPUT_ERROR = 2  # bad flags, unreadable or invalid input
    INTERNAL_ERROR = 3  # a bug in eks-plan (e.g. the verifier rejected the solver's own plan)


class OutputFormat(StrEnum):
    """``-o`` values shared by every command: a Rich report for people, JSON or YAML for scripts."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


_stderr: Console | None = None
_stdout: Console | None = None


def console(**options: Any) -> Console:
    """A Rich console whose write to a closed pipe raises :class:`BrokenPipeError` (Rich's own default
    exits with status 1, the findings code); ``eks_plan.cli.app.main`` ends every command the same way
    then, with the shell's SIGPIPE status."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError()

    return _Console(**options)


def stderr() -> Console:
    """The console for messages and progress (never data)."""
    global _stderr
    if _stderr is None:
        _stderr = console(stderr=True, highlight=False, soft_wrap=True)  # messages: let terminals wrap
    return _stderr


def stdout() -> Console:
    """The console for human-readable reports."""
    global _stdout
    if _stdout is None:
        _stdout = console(highlight=False)
    return _stdout


def render_data(data: Any, output: OutputFormat) -> str:
    """JSON or YAML text of a plain ``dict``/``list`` report."""
    if output is OutputFormat.JSON:
        return json.dumps(data, indent=2, sort_keys=False) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def print_data(data: Any, output: OutputFormat) -> None:
    """Write a machine-readable report to standard output."""
    sys.stdout.write(render_data(data, output))
    sys.stdout.flush()


def check_writable(path: Path, flag: str) -> None:
    """Fail early, before any work, when ``path`` cannot be written later: its directory is missing or
    not writable, or ``path`` is itself a directory. An input error naming the flag and the path."""
    from eks_plan.errors import InputError, SourceLocation

    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    where = SourceLocation(str(path))
    if path.is_dir():
        raise InputError(f"cannot write the file ({flag}): it is a directory", where, hint="give a file name")
    if not directory.is_dir():
        hint = f"create it: mkdir -p {directory}"
        raise InputError(
            f"cannot write the file ({flag}): the directory {directory} does not exist", where, hint=hint
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the file ({flag}): the directory {directory} is not writable", where)


def write_atomically(path: Path, text: str) -> None:
    """Write an output file whole or not at all (:func:`eks_plan.files.write_atomically`)."""
    from eks_plan.files import write_atomically as write

    write(path, text, hint="check the directory")
