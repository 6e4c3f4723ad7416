"""Reading a plan file's JSON: one reader for ``check-ips --plan``, ``export`` and ``diff``.

A FIFO is refused before it can block the read, a file that is not UTF-8 JSON is an input error
naming the file (and the line and column for bad JSON), and so is an integer too long to be any
count a plan holds (Python would refuse it past 4,300 digits anyway).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from eks_plan.errors import InputError, SourceLocation

#: What every error about a plan file suggests.
WRITE_IT = "write it with `eks-plan size ... --plan-out plan.json`"


def read_plan_json(path: str | Path) -> tuple[str, Any]:
    """The plan file's text and its parsed JSON (not yet checked against the schema)."""
    from eks_plan.manifests.yaml_source import refuse_special_file

    path = Path(path)
    refuse_special_file(path, str(path))  # a FIFO would block the read
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the plan: {error}", SourceLocation(str(path))) from None
    try:
        return text, json.loads(text, parse_int=_plan_int)
    except json.JSONDecodeError as error:
        raise InputError(
            f"not a JSON plan: {error.msg}",
            SourceLocation(str(path), error.lineno, error.colno),
            hint=WRITE_IT,
        ) from None
    except _HugeNumber as error:
        raise InputError(
            f"a number of {len(error.digits):,} digits is larger than any count a plan holds",
            locate(text, str(path), error.digits),
            hint=WRITE_IT,
        ) from None


class _HugeNumber(ValueError):
    """An integer too long to be a count (and, past 4,300 digits, for Python to convert)."""

    def __init__(self, digits: str) -> None:
        super().__init__(digits[:20])
        self.digits = digits


def _plan_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 30:
        raise _HugeNumber(digits)
    return int(digits)


def locate(text: str, source: str, needle: str, after: str = "") -> SourceLocation:
    """Where ``needle`` first occurs in the plan's text (after the key ``after``, if given)."""
    start = 0
    if after:
        match = re.search(rf'"{re.escape(after)}"\s*:\s*{re.escape(needle)}\b', text)
        if match is not None:
            start = match.start()
    index = text.find(needle, start)
    if index < 0:
        return SourceLocation(source)
    line_start = text.rfind("\n", 0, index) + 1
    return SourceLocation(source, text.count("\n", 0, index) + 1, index - line_start + 1)
