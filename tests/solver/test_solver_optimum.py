"""Tiny problems with a known optimum (brute force in the test), the bound, and determinism."""

from __future__ import annotations

import pytest

from eks_plan.solver import Problem, SolveOptions, solve
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group
from tests.solver.brute import TINY_CASES, brute_force_optimum, node_mix

FAST = SolveOptions(time_limit_seconds=3.0)


def solved(problem: Problem):
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    return plan


@pytest.mark.parametrize("name", sorted(TINY_CASES))
def test_plan_is_optimal_and_bound_is_below_the_optimum(name: str) -> None:
    problem = Problem(TINY_CASES[name], node_mix(), ("a",))
    optimum = brute_force_optimum(problem, max_nodes=4)
    plan = solved(problem)
    assert plan.lower_bound_per_hour <= optimum + 1e-9
    assert plan.node_cost_per_hour == pytest.approx(optimum)
    assert plan.unschedulable == ()


def test_bound_is_below_the_optimum_with_zone_rules_and_zone_loss() -> None:
    problem = Problem(
        (make_group("web", 2, cpu="900m", memory="1Gi", zone_spread=1),),
        node_mix(("a", "b")),
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
    problem = Problem(groups, node_mix(("a", "b", "c")), ("a", "b", "c"))
    first, second = solved(problem), solved(problem)
    assert [(n.name, n.option.name, dict(n.pods)) for n in first.nodes] == [
        (n.name, n.option.name, dict(n.pods)) for n in second.nodes
    ]
    assert first.node_cost_per_hour == second.node_cost_per_hour


def test_gap_is_reported_against_the_bound() -> None:
    problem = Problem(TINY_CASES["mixed"], node_mix(), ("a",))
    plan = solved(problem)
    assert 0.0 <= plan.gap < 1.0
    assert plan.gap == pytest.approx(
        (plan.node_cost_per_hour - plan.lower_bound_per_hour) / plan.node_cost_per_hour
    )
