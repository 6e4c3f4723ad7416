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
