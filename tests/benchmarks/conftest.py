"""The benchmark scripts live in benchmarks/ as plain scripts (no package), so their tests put that
folder on ``sys.path`` the way ``python benchmarks/bench_solver.py`` does."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
