"""Tiny problems with a known optimum (brute force in the test), the bound, and determinism."""

from __future__ import annotations

import pytest

from eks_plan.solver import Problem, SolveOptions, solve
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option
from tests.solver.brute import brute_force_optimum

FAST = SolveOptions(time_limit_seconds=3.0)


def solved(problem: Problem):
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    return plan


def _mix(zones=("a",)):
    options = []
    for zone in zones:
        options += [
            make_option("m.large", zone=zone, cpu=2000, memory_mib=8192, pods=20, price=0.10),
            make_option("c.large", zone=zone, cpu=2000, memory_mib=4096, pods=20, price=0.085),
            make_option("r.large", zone=zone, cpu=2000, memory_mib=16384, pods=20, price=0.13),
        ]
    return tuple(options)


CASES = {
    "cpu-heavy": (make_group("api", 3, cpu="900m", memory="1Gi"),),
    "memory-heavy": (make_group("cache", 3, cpu="200m", memory="5Gi"),),
    "mixed": (
        make_group("api", 2, cpu="900m", memory="1Gi"),
        make_group("cache", 2, cpu="300m", memory="5Gi"),
    ),
    "anti-affinity": (
        make_group("db", 2, cpu="500m", memory="2Gi", anti_affinity_hostname=True),
        make_group("web", 2, cpu="1", memory="1Gi"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plan_is_optimal_and_bound_is_below_the_optimum(name: str) -> None:
    problem = Problem(CASES[name], _mix(), ("a",))
    optimum = brute_force_optimum(problem, max_nodes=4)
    plan = solved(problem)
    assert plan.lower_bound_per_hour <= optimum + 1e-9
    assert plan.node_cost_per_hour == pytest.approx(optimum)
    assert plan.unschedulable == ()


def test_bound_is_below_the_optimum_with_zone_rules_and_zone_loss() -> None:
    problem = Problem(
        (make_group("web", 2, cpu="900m", memory="1Gi", zone_spread=1),),
        _mix(("a", "b")),
        ("a", "b"),
        tolerate_zone_loss=True,
    )
    optimum = brute_force_optimum(problem, max_nodes=3)
    plan = solved(problem)
    assert plan.lower_bound_per_hour <= optimum + 1e-9
    assert plan.node_cost_per_hour >= optimum - 1e-9
    assert plan.node_cost_per_hour == pytest.approx(optimum)


def test_same_problem_gives_the_same_plan() -> None:
    groups = (
        make_group("web", 7, cpu="600m", memory="1Gi", zone_spread=1),
        make_group("db", 3, cpu="1", memory="4Gi", anti_affinity_hostname=True),
        make_group("batch", 10, cpu="250m", memory="256Mi"),
    )
    problem = Problem(groups, _mix(("a", "b", "c")), ("a", "b", "c"))
    first, second = solved(problem), solved(problem)
    assert [(n.name, n.option.name, dict(n.pods)) for n in first.nodes] == [
        (n.name, n.option.name, dict(n.pods)) for n in second.nodes
    ]
    assert first.node_cost_per_hour == second.node_cost_per_hour


def test_gap_is_reported_against_the_bound() -> None:
    problem = Problem(CASES["mixed"], _mix(), ("a",))
    plan = solved(problem)
    assert 0.0 <= plan.gap < 1.0
    assert plan.gap == pytest.approx(
        (plan.node_cost_per_hour - plan.lower_bound_per_hour) / plan.node_cost_per_hour
    )
