"""Plans that survive a zone loss: the spare nodes bought for it and the stages that now take it.

The rule is the verifier's (:func:`eks_plan.solver.verify.verify_plan`): for each zone, its pods
are re-placed first-fit decreasing onto the other zones' nodes in plan order, under every per-node
rule; any pod left over is a violation.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from eks_plan.solver import Problem, SolveOptions, patterns, solve
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option

ZONES = ("a", "b", "c")


def _node(zone: str) -> Any:
    return make_option("m.xlarge", zone=zone, cpu=4000, memory_mib=16384, pods=40, price=0.20)


def test_each_zones_loss_is_covered_by_two_shared_spares() -> None:
    """12 pods of 900m spread over three zones fill one 4-cpu node per zone (4 x 900m). Each
    zone's loss sends 3,600m to the others, where each node has 400m free: the spares must hold
    four pods outside every zone. One spare fails its own zone's loss; two, in two zones, serve
    all three losses. Buying each zone's leftover separately bought three."""
    group = make_group("web", 12, cpu="900m", memory="1Gi", zone_spread=1)
    problem = Problem((group,), tuple(_node(zone) for zone in ZONES), ZONES, tolerate_zone_loss=True)
    plan = solve(problem, SolveOptions(time_limit_seconds=5.0, work_limit=2.0))
    assert verify_plan(problem, plan) == []
    spares = [node for node in plan.nodes if not node.pods]
    assert len(plan.nodes) == 5
    assert len(spares) == 2
    assert len({node.option.zone for node in spares}) == 2
    assert plan.node_cost_per_hour == pytest.approx(1.0)


def test_the_spares_hold_several_workloads_together() -> None:
    """Two workloads of 8 pods per zone each (300m and 200m). A zone's loss leaves 4,000m of
    pods over, which fits one 4-cpu node only as a mix; spares of one workload each (one spare
    per workload and lost zone before) would need at least three. The plan's spares cost no more
    than the least per-zone need allows: 4,000m outside every zone, so 6,000m in all over three
    zones, two nodes; with the per-node fill's rounding, three at most."""
    groups = (
        make_group("api", 24, cpu="300m", memory="256Mi", zone_spread=1),
        make_group("worker", 24, cpu="200m", memory="256Mi", zone_spread=1),
    )
    problem = Problem(groups, tuple(_node(zone) for zone in ZONES), ZONES, tolerate_zone_loss=True)
    plan = solve(problem, SolveOptions(time_limit_seconds=5.0, work_limit=2.0))
    assert verify_plan(problem, plan) == []
    spares = [node for node in plan.nodes if not node.pods]
    assert 2 <= len(spares) <= 3
    assert Counter(node.option.zone for node in plan.nodes if node.pods) == {"a": 1, "b": 1, "c": 1}


def test_a_zone_loss_problem_takes_the_pattern_stage_and_its_plan_is_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pattern stage (column generation) packs the pods of a zone-loss problem too; the
    spares are bought after it, and the plan passes the verifier's zone-loss check."""
    monkeypatch.setattr(patterns, "MIN_PODS", 0)
    calls: list[int] = []
    original = patterns.improve_with_patterns

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(patterns, "improve_with_patterns", counted)
    groups = (
        make_group("api", 9, cpu="600m", memory="1Gi", zone_spread=1),
        make_group("db", 3, cpu="500m", memory="2Gi", anti_affinity_hostname=True),
        make_group("batch", 20, cpu="250m", memory="512Mi"),
    )
    options = tuple(_node(zone) for zone in ZONES) + tuple(
        make_option("c.large", zone=zone, cpu=2000, memory_mib=4096, pods=20, price=0.085) for zone in ZONES
    )
    problem = Problem(groups, options, ZONES, tolerate_zone_loss=True)
    plan = solve(problem, SolveOptions(time_limit_seconds=5.0, work_limit=2.0))
    assert calls
    assert verify_plan(problem, plan) == []
    assert plan.unschedulable == ()


def test_spares_stand_only_where_the_workload_may_run() -> None:
    """16 one-cpu pods that select ``tier=x``, which only zones a and b's nodes carry: the spares
    for losing a stand in b and those for losing b in a; none in zone c, where no pod may go."""
    options = tuple(
        make_option("m.xlarge", zone=zone, cpu=4000, memory_mib=16384, pods=40, price=0.20,
                    labels={"tier": "x"} if zone != "c" else None)
        for zone in ZONES
    )  # fmt: skip
    group = make_group("web", 16, cpu="1", memory="1Gi", node_selector={"tier": "x"})
    problem = Problem((group,), options, ZONES, tolerate_zone_loss=True)
    plan = solve(problem, SolveOptions(time_limit_seconds=5.0, work_limit=1.0))
    assert verify_plan(problem, plan) == []
    assert Counter(node.option.zone for node in plan.nodes) == {"a": 4, "b": 4}
    assert plan.node_cost_per_hour == pytest.approx(1.6)


def test_pods_of_no_cpu_on_overcommitted_nodes_are_re_placed() -> None:
    """DaemonSets ask more cpu (1,100m) than the node has (1,000m): pods that request no cpu
    still fit it (NodeResourcesFit checks only what a pod requests: ``fitsRequest`` in
    kube-scheduler's ``noderesources/fit.go``), so the zone-loss check re-places them there."""
    options = tuple(
        make_option(
            "t.small", zone=zone, cpu=1000, overhead={"cpu": 1100}, memory_mib=4096, pods=8, price=0.01
        )
        for zone in ZONES
    )
    group = make_group("agent", 6, cpu=0, memory="64Mi", zone_spread=1)
    problem = Problem((group,), options, ZONES, tolerate_zone_loss=True)
    plan = solve(problem, SolveOptions(time_limit_seconds=5.0, work_limit=1.0))
    assert verify_plan(problem, plan) == []
    assert len(plan.nodes) == 3
