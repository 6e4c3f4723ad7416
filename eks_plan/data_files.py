"""Where the bundled data files are.

An installed wheel ships the top-level ``data/`` folder as the package ``eks_plan._data`` (see
``pyproject.toml``); a source checkout (editable install, or tests run from the repository) reads
``data/`` beside the package. This is the one place that knows both.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of a bundled data file, e.g. ``data_path("catalog.json.gz")``."""
    spec = find_spec("eks_plan._data")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / name
            if candidate.exists():
                return candidate
    return Path(__file__).resolve().parent.parent / "data" / name
