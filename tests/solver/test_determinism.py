"""The same input gives the same plan on a loaded machine: the plan, the bound and the gap depend on
deterministic work budgets only, and the wall clock, when it cuts a stage short, says so."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import REPO_ROOT

from eks_plan.catalog import load_catalog
from eks_plan.config import load_config
from eks_plan.manifests import load_manifests
from eks_plan.planning import LoadedCluster, build_loaded_cluster
from eks_plan.report.size import plan_file_data
from eks_plan.solver import SolveOptions, solve
from eks_plan.solver.budget import WALL_CLOCK, WORK_LIMIT

SHOP = REPO_ROOT / "samples" / "shop"
#: Enough deterministic work for every stage to run and to stop on its budget (the integer bound
#: and the search do not finish by proof on the sample), far below the wall-clock limit.
WORK = 0.5
WALL = 600.0
TIMING_FIELDS = ("solve_seconds",)


@pytest.fixture(scope="module")
def shop() -> LoadedCluster:
    config = load_config(SHOP / "eks-plan.yaml")
    manifests = load_manifests([str(SHOP / "manifests")], replicas=config.replicas)
    return build_loaded_cluster(manifests, config, load_catalog())


@pytest.fixture
def cpu_hog() -> Iterator[None]:
    """A busy loop beside the solves. Niced, so that it changes the solves' share of the CPU without
    taking a core from the rest of the test suite running beside it."""
    hogs = [subprocess.Popen([sys.executable, "-c", "import os; os.nice(10)\nwhile True: pass"])]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def _json(planning: LoadedCluster, options: SolveOptions) -> tuple[str, dict[str, Any]]:
    data = plan_file_data(solve(planning.problem, options), planning)
    stable = {key: value for key, value in data.items() if key not in TIMING_FIELDS}
    return json.dumps(stable, sort_keys=True), data


def test_three_solves_beside_a_cpu_hog_give_byte_identical_json(shop: LoadedCluster, cpu_hog: None) -> None:
    options = SolveOptions(time_limit_seconds=WALL, work_limit=WORK)
    # Three at once, each with two CP-SAT workers, and the hog: six solver threads and two busy
    # loops share the machine, so each solve sees a different, changing share of the CPU.
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda _: _json(shop, options), range(3)))
    texts = [text for text, _ in runs]
    assert texts[0] == texts[1] == texts[2]
    data = runs[0][1]
    assert data["stopped_by"] == WORK_LIMIT
    assert data["unschedulable"] == []
    assert 0 < data["lower_bound_per_hour"] <= data["node_cost_per_hour"]
    assert not any("time limit" in note for note in data["notes"])


def test_a_wall_clock_cut_is_reported_in_the_plan(shop: LoadedCluster) -> None:
    # 300 deterministic seconds cannot be done in the 0.5 s safety net on any machine.
    _, data = _json(shop, SolveOptions(time_limit_seconds=0.5, work_limit=300.0))
    assert data["stopped_by"] == WALL_CLOCK
    assert any("the time limit (0.5 s) cut the solve short" in note for note in data["notes"])
    assert data["unschedulable"] == []  # the greedy plan still places every pod
