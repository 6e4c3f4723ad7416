"""The Karpenter-style baseline: the costs of small packings computed by hand, and every hard rule
checked node by node on a generated cluster."""

from __future__ import annotations

import doctest
from collections import Counter, defaultdict
from dataclasses import replace

import karpenter_baseline
import pytest
from cluster_generator import DEFAULT_ZONES, generate_problem
from karpenter_baseline import BaselinePlan, pack

from eks_plan.resources import total
from eks_plan.scheduling import Taint, Toleration, TolerationOperator, WhenUnsatisfiable, untolerated
from eks_plan.scheduling.topology import HOSTNAME, ZONE
from eks_plan.solver.problem import NodePool, Problem
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option

SMALL = dict(cpu=1930, memory_mib=6903, pods=29, price=0.1)
XLARGE = dict(cpu=3920, memory_mib=14162, pods=58, price=0.2)
DOUBLE = dict(cpu=7850, memory_mib=28500, pods=58, price=0.4)


def three_sizes(zone: str = "us-east-1a") -> tuple:
    return (
        make_option("m.small", zone=zone, **SMALL),
        make_option("m.xlarge", zone=zone, **XLARGE),
        make_option("m.2xlarge", zone=zone, **DOUBLE),
    )


def placements(plan: BaselinePlan) -> list[tuple[str, dict[str, int]]]:
    return [(node.option.instance_type, dict(node.pods)) for node in plan.nodes]


def test_docstring_examples() -> None:
    result = doctest.testmod(karpenter_baseline)
    assert result.attempted > 0 and result.failed == 0


def test_big_pods_first_then_the_cheapest_type_that_still_fits() -> None:
    # Sorted: 2 x 3000m, then 4 x 500m. Node 1 takes both big pods (only 2xlarge holds 6000m) and
    # three small ones (7500m <= 7850m); the fourth small pod (8000m) opens node 2, which keeps every
    # type and so buys the cheapest: 0.4 + 0.1 = $0.5/h.
    problem = Problem(
        (make_group("small", 4, cpu="500m", memory="256Mi"), make_group("big", 2, cpu="3", memory="1Gi")),
        three_sizes(),
        ("us-east-1a",),
    )
    plan = pack(problem)
    assert placements(plan) == [
        ("m.2xlarge", {"Deployment/default/small": 3, "Deployment/default/big": 2}),
        ("m.small", {"Deployment/default/small": 1}),
    ]
    assert plan.cost_per_hour == pytest.approx(0.5)
    assert plan.unschedulable == ()
    assert verify_plan(problem, plan.as_plan()) == []


def test_fewest_pods_first() -> None:
    # Three 2000m anti-affine pods open three nodes. The four 1000m pods then go to the node with the
    # fewest pods each time (ties by creation order): nodes 1, 2, 3, 1. Node 1 holds 4000m > 3920m so
    # it needs the 2xlarge; nodes 2 and 3 hold 3000m: xlarge. 0.4 + 0.2 + 0.2 = $0.8/h.
    problem = Problem(
        (
            make_group("solo", 3, cpu="2", memory="512Mi", anti_affinity_hostname=True),
            make_group("filler", 4, cpu="1", memory="512Mi"),
        ),
        three_sizes(),
        ("us-east-1a",),
    )
    plan = pack(problem)
    solo, filler = "Deployment/default/solo", "Deployment/default/filler"
    assert placements(plan) == [
        ("m.2xlarge", {solo: 1, filler: 2}),
        ("m.xlarge", {solo: 1, filler: 1}),
        ("m.xlarge", {solo: 1, filler: 1}),
    ]
    assert plan.cost_per_hour == pytest.approx(0.8)
    assert verify_plan(problem, plan.as_plan()) == []


def test_daemonset_overhead_and_max_pods_count() -> None:
    # 1930m allocatable less 400m of DaemonSets leaves 1530m: three 500m pods, not four; and a
    # 5-pod limit less 2 DaemonSet pods leaves 3 slots for the 10m pods.
    option = make_option("m.small", cpu=1930, pods=5, price=0.1, overhead={"cpu": 400, "pods": 2})
    problem = Problem((make_group("web", 4, cpu="500m"),), (option,), ("us-east-1a",))
    assert [dict(node.pods) for node in pack(problem).nodes] == [
        {"Deployment/default/web": 3},
        {"Deployment/default/web": 1},
    ]
    problem = Problem((make_group("tiny", 7, cpu="10m"),), (option,), ("us-east-1a",))
    assert [sum(node.pods.values()) for node in pack(problem).nodes] == [3, 3, 1]


def test_node_selector_taints_and_unschedulable_pods() -> None:
    gpu_taint = Taint("nvidia.com/gpu", "true")
    gpu = make_option("g.xlarge", cpu=3920, price=0.5, extra={"nvidia.com/gpu": 1}, taints=(gpu_taint,))
    plain = (
        make_option("m.small", zone="us-east-1a", **SMALL),
        make_option("m.small", zone="us-east-1b", **SMALL),
    )
    tolerate = (Toleration("nvidia.com/gpu", TolerationOperator.EXISTS),)
    problem = Problem(
        (
            make_group("web", 2, cpu="1"),  # may not use the tainted GPU type
            make_group("pinned", 1, cpu="100m", node_selector={ZONE: "us-east-1b"}),
            make_group("infer", 1, cpu="1", extra={"nvidia.com/gpu": 1}, tolerations=tolerate),
            make_group("huge", 2, cpu="16"),  # fits no type
        ),
        (gpu, *plain),
        ("us-east-1a", "us-east-1b"),
    )
    plan = pack(problem)
    by_workload = defaultdict(list)
    for node in plan.nodes:
        for key in node.pods:
            by_workload[key.rsplit("/", 1)[-1]].append(node.option)
    assert {option.instance_type for option in by_workload["web"]} == {"m.small"}
    assert {option.zone for option in by_workload["pinned"]} == {"us-east-1b"}
    assert [option.instance_type for option in by_workload["infer"]] == ["g.xlarge"]
    assert [(u.workload, u.count) for u in plan.unschedulable] == [("Deployment/default/huge", 2)]
    assert "0/3 node options" in plan.unschedulable[0].reasons[0]
    assert verify_plan(problem, plan.as_plan()) == []


def test_pool_max_nodes() -> None:
    problem = Problem(
        (make_group("web", 3, cpu="1500m", anti_affinity_hostname=True),),
        (make_option("m.small", pool="capped", **SMALL),),
        ("us-east-1a",),
        pools=(NodePool("capped", max_nodes=2),),
    )
    plan = pack(problem)
    assert len(plan.nodes) == 2
    assert [(u.workload, u.count) for u in plan.unschedulable] == [("Deployment/default/web", 1)]


def test_zone_spread_takes_the_emptiest_zone_and_pins_the_node() -> None:
    options = tuple(option for zone in DEFAULT_ZONES for option in three_sizes(zone))
    problem = Problem((make_group("web", 7, cpu="100m", zone_spread=1),), options, DEFAULT_ZONES)
    plan = pack(problem)
    per_zone = Counter()
    for node in plan.nodes:
        per_zone[node.option.zone] += sum(node.pods.values())
    assert sorted(per_zone.values()) == [2, 2, 3]  # 3/2/2, never 4/2/1
    assert verify_plan(problem, plan.as_plan()) == []
    assert len(plan.nodes) == 3 and {node.option.instance_type for node in plan.nodes} == {"m.small"}


def check_hard_rules(problem: Problem, plan: BaselinePlan) -> None:
    """Node by node, every rule the baseline promises (an independent check of the packing)."""
    groups = {group.key: group for group in problem.pod_groups}
    placed = Counter()
    zone_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for node in plan.nodes:
        option = node.option
        requests = total(groups[key].pod.requests * count for key, count in node.pods.items())
        assert requests.fits_in(option.usable(problem.headroom_percent)), node.name
        for key, count in node.pods.items():
            pod = groups[key].pod
            placed[key] += count
            zone_counts[key][option.zone] += count
            assert pod.node_selector.matches(option.labels)
            assert not untolerated(option.taints, pod.tolerations)
            for term in pod.pod_anti_affinity:
                if term.topology_key == HOSTNAME:
                    neighbours = sum(
                        c
                        for k, c in node.pods.items()
                        if term.selects(groups[k].pod.namespace, groups[k].pod.labels)
                    )
                    assert neighbours == 1, f"{key} shares {node.name} with pods it is anti-affine to"
            for spread in pod.topology_spread:
                if (
                    spread.topology_key == HOSTNAME
                    and spread.when_unsatisfiable is WhenUnsatisfiable.DO_NOT_SCHEDULE
                ):
                    assert count <= spread.max_skew
    for key, group in groups.items():
        unplaced = sum(u.count for u in plan.unschedulable if u.workload == key)
        assert placed[key] + unplaced == group.count, key
        for spread in group.pod.topology_spread:
            if spread.topology_key == ZONE:
                counts = [zone_counts[key][zone] for zone in problem.zones]
                assert max(counts) - min(counts) <= spread.max_skew, (key, counts)
        for term in group.pod.pod_affinity:
            if term.topology_key == ZONE:
                assert len(zone_counts[key]) == 1, (key, zone_counts[key])
    cost = sum(node.option.price_per_hour for node in plan.nodes)
    assert plan.cost_per_hour == pytest.approx(cost)


def generated(pods: int, workloads: int, seed: int) -> Problem:
    options = tuple(
        make_option(name, zone=zone, overhead={"cpu": 150, "memory": 300 * 2**20, "pods": 3}, **sizes)
        for zone in DEFAULT_ZONES
        for name, sizes in (
            ("m.small", SMALL),
            ("m.xlarge", XLARGE),
            ("m.2xlarge", DOUBLE),
            ("r.2xlarge", dict(cpu=7850, memory_mib=60000, pods=58, price=0.5)),
            ("c.4xlarge", dict(cpu=15800, memory_mib=28000, pods=234, price=0.68)),
            ("g.xlarge", dict(cpu=3920, memory_mib=14162, pods=29, price=0.53, extra={"nvidia.com/gpu": 1})),
            (
                "g.12xlarge",
                dict(cpu=47000, memory_mib=180000, pods=234, price=3.9, extra={"nvidia.com/gpu": 4}),
            ),
        )
    )
    return generate_problem(pods, workloads, seed=seed, instance_types="all-current", node_options=options)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_cluster_honours_every_hard_rule(seed: int) -> None:
    problem = generated(600, 30, seed)
    plan = pack(problem)
    check_hard_rules(problem, plan)
    assert verify_plan(problem, plan.as_plan()) == []
    # Every generated pod fits some option, so nothing is left over.
    assert sum(u.count for u in plan.unschedulable) == 0


@pytest.mark.parametrize("instance_types", ["karpenter-default", "all-current"])
def test_packing_over_the_real_catalogue_passes_the_verifier(instance_types: str) -> None:
    problem = generate_problem(500, 25, seed=4, instance_types=instance_types)
    plan = pack(problem)
    assert plan.unschedulable == ()
    assert verify_plan(problem, plan.as_plan()) == []
    check_hard_rules(problem, plan)


def test_the_verifier_catches_a_broken_packing() -> None:
    # The same check, shown to bite: move one anti-affine replica onto its sibling's node.
    problem = Problem(
        (make_group("solo", 2, cpu="100m", anti_affinity_hostname=True),), three_sizes(), ("us-east-1a",)
    )
    plan = pack(problem)
    assert len(plan.nodes) == 2 and verify_plan(problem, plan.as_plan()) == []
    merged = replace(plan.nodes[0], pods={"Deployment/default/solo": 2})
    broken = replace(plan, nodes=(merged,), cost_per_hour=merged.option.price_per_hour)
    assert verify_plan(problem, broken.as_plan())


def test_same_problem_same_packing() -> None:
    problem = generated(400, 20, 3)
    assert pack(problem).nodes == pack(problem).nodes
