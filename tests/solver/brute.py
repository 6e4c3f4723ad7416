"""Brute force for tiny problems: the cheapest node multiset that the verifier accepts.

The verifier is the oracle, so the optimum here follows exactly the rules every plan is held to.
Only for a handful of pods and options: it enumerates node multisets by cost, and for each every
way to split each group's replicas over the nodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from eks_plan.solver.plan import Plan, PlannedNode
from eks_plan.solver.problem import NodeOption, Problem
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option


def node_mix(zones: tuple[str, ...] = ("a",)) -> tuple[NodeOption, ...]:
    """Three 2-vCPU types per zone (general, compute, memory) at prices that make the mix matter."""
    options: list[NodeOption] = []
    for zone in zones:
        options += [
            make_option("m.large", zone=zone, cpu=2000, memory_mib=8192, pods=20, price=0.10),
            make_option("c.large", zone=zone, cpu=2000, memory_mib=4096, pods=20, price=0.085),
            make_option("r.large", zone=zone, cpu=2000, memory_mib=16384, pods=20, price=0.13),
        ]
    return tuple(options)


#: Workloads small enough for :func:`brute_force_optimum` over :func:`node_mix`.
TINY_CASES = {
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


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as an ordered sum of ``parts`` non-negative integers."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for cut in itertools.combinations(range(total + parts - 1), parts - 1):
        bounds = (-1, *cut, total + parts - 1)
        yield tuple(bounds[i + 1] - bounds[i] - 1 for i in range(parts))


def feasible(problem: Problem, options: tuple[NodeOption, ...]) -> bool:
    groups = problem.pod_groups
    splits = [list(_compositions(group.count, len(options))) for group in groups]
    for assignment in itertools.product(*splits):
        nodes = tuple(
            PlannedNode(
                f"n{i}",
                option,
                {group.key: assignment[g][i] for g, group in enumerate(groups) if assignment[g][i]},
            )
            for i, option in enumerate(options)
        )
        cost = sum(o.price_per_hour for o in options)
        if not verify_plan(problem, Plan(nodes, (), cost, 0.0, "brute force", 0.0)):
            return True
    return False


def brute_force_optimum(problem: Problem, max_nodes: int) -> float:
    """The lowest node cost of a plan that places every pod, trying up to ``max_nodes`` nodes."""
    best = float("inf")
    options = problem.node_options
    for count in range(max_nodes + 1):
        for chosen in itertools.combinations_with_replacement(range(len(options)), count):
            cost = sum(options[i].price_per_hour for i in chosen)
            if cost >= best - 1e-12:
                continue
            if feasible(problem, tuple(options[i] for i in chosen)):
                best = cost
    return best
