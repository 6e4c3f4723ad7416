"""``--time-limit`` bounds the whole of ``size``, loading included (issue 10: "--time-limit bounds the
whole command, not only CP-SAT"), while the solver's deterministic work budget stays the full limit."""

from __future__ import annotations

from typing import Any

import pytest

from eks_plan import planning
from eks_plan.solver.problem import SolveOptions
from tests.conftest import REPO_ROOT

SHOP = REPO_ROOT / "samples" / "shop"


class _Clock:
    """A monotonic clock that jumps ``loading`` seconds while the manifests load."""

    def __init__(self, loading: float) -> None:
        self.now = 1000.0
        self.loading = loading

    def monotonic(self) -> float:
        return self.now


def test_time_spent_loading_comes_off_the_solvers_wall_clock_not_its_work(monkeypatch: pytest.MonkeyPatch):
    clock = _Clock(loading=12.0)
    seen: list[SolveOptions] = []
    real_load = __import__("eks_plan.manifests", fromlist=["load_manifests"]).load_manifests

    def slow_load(*args: Any, **kwargs: Any):
        clock.now += clock.loading
        return real_load(*args, **kwargs)

    def capture(problem: Any, options: SolveOptions, observer: Any):
        seen.append(options)
        raise _Stop

    monkeypatch.setattr(planning, "time", clock)
    monkeypatch.setattr("eks_plan.manifests.load_manifests", slow_load)
    monkeypatch.setattr("eks_plan.solver.solve", capture)
    with pytest.raises(_Stop):
        planning.size_cluster(
            [SHOP / "manifests"], config_path=SHOP / "eks-plan.yaml", time_limit_seconds=30.0
        )
    (options,) = seen
    assert options.time_limit_seconds == pytest.approx(18.0)
    assert options.work_limit == 30.0


class _Stop(Exception):
    """Ends the call once the solver's options are seen."""
