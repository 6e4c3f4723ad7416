"""The CP-SAT model: integer node counts per option class and pods per (group, class).

Built in the OR-Tools samples' order (variables, constraints, objective, hint, solve, read back)
over a REDUCED set of classes: those the LP used, those of the incumbent plan, and for each group
the few classes with the lowest LP reduced cost. The reduction keeps the model small at 100,000
pods; it does not weaken the proven bound, which comes from the LP over every class
(:mod:`eks_plan.solver.bound`), never from this model.

Constraints (for the plan search, so rounded to the safe side: requests up, capacities down)::

    sum_c x[g, c] = pods[g]
    sum_g request[g, r] * x[g, c] <= usable[c, r] * n[c]          cpu in millicores, bytes in MiB
    x[g, c] <= k[g, c] * n[c]                                   k: pods of g per node by resources
                                                                and rules (anti-affinity, hostPort,
                                                                hostname spread)
    pool bounds, and zone loss as (Z-1) * capacity >= Z * demand per resource

Objective: node cost in micro-dollars per hour. The incumbent plan is the hint, and every
improving solution is reported to the observer from a solution callback.

Example: see ``tests/solver/test_solve.py``; the model is exercised through :func:`solve`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from eks_plan.resources import is_byte_resource
from eks_plan.solver.bound import WALL_FACTOR, LpResult
from eks_plan.solver.budget import SolveBudget, run_cp_sat
from eks_plan.solver.compat import UNLIMITED, CompiledProblem
from eks_plan.solver.plan import SolveObserver
from eks_plan.solver.problem import SolveOptions

MICRO = 1_000_000
MIB = 2**20
CLASSES_PER_GROUP = 4
CLASS_STAGE = "instance type mix (CP-SAT)"
ZONED_STAGE = "node counts per zone (CP-SAT)"
#: Least deterministic time worth starting a model with (``time_limit`` below is in those units).
MIN_STAGE_WORK = 0.1


def candidate_classes(
    compiled: CompiledProblem, lp: LpResult, incumbent: Mapping[int, Mapping[int, int]]
) -> list[set[int]]:
    """Per group, the classes the model may use for it."""
    per_group: list[set[int]] = [set() for _ in compiled.groups]
    used = set(lp.nodes)
    for g, classes in incumbent.items():
        per_group[g].update(classes)
        used.update(classes)
    for g, lp_classes in lp.pods.items():
        per_group[g].update(lp_classes)
    if lp.reduced is not None:
        for g in range(len(compiled.groups)):
            row = lp.reduced[g]
            finite = np.isfinite(row)
            if not finite.any():
                continue
            for c in np.argsort(row, kind="stable")[:CLASSES_PER_GROUP]:
                if finite[c]:
                    per_group[g].add(int(c))
    return per_group


def improve_with_cp_sat(
    compiled: CompiledProblem,
    placeable: Sequence[int],
    lp: LpResult,
    incumbent: Mapping[int, Mapping[int, int]],
    time_limit: float,
    options: SolveOptions,
    observer: SolveObserver,
    elapsed: Callable[[], float],
    budget: SolveBudget | None = None,
    wall: float | None = None,
) -> Iterator[dict[int, dict[int, int]]]:
    """Solve the model; yield its best decision (pods per class per group), if it found one.

    ``time_limit`` is CP-SAT's deterministic time, which decides where the search stops; ``wall``
    (seconds) and ``budget`` are the wall-clock safety net and the cancellation token
    (:func:`~eks_plan.solver.budget.run_cp_sat`)."""
    from ortools.sat.python import cp_model

    groups = [g for g, count in enumerate(placeable) if count > 0]
    if not groups or time_limit < MIN_STAGE_WORK:
        return
    per_group = candidate_classes(compiled, lp, incumbent)
    classes = sorted({c for g in groups for c in per_group[g]})
    class_usable = compiled.class_usable()
    class_fit = compiled.class_fit()
    allowed = compiled.class_allowed()
    resources = compiled.resources
    byte = [is_byte_resource(name) for name in resources]
    requests = np.where(
        np.array(byte)[None, :], -(-compiled.requests // MIB), compiled.requests
    )  # MiB, rounded up
    capacity = np.where(np.array(byte)[None, :], class_usable // MIB, class_usable)  # rounded down

    model = cp_model.CpModel()
    # --- variables ---
    nodes = {}
    pods: dict[tuple[int, int], Any] = {}
    members: dict[int, list[int]] = {c: [] for c in classes}
    for g in groups:
        for c in sorted(per_group[g]):
            if allowed[g, c] and c in members:
                k = min(int(class_fit[g, c]), int(compiled.rule_cap[g]))
                if k <= 0:
                    continue
                pods[g, c] = model.new_int_var(0, int(placeable[g]), f"pods[{compiled.groups[g].key}@{c}]")
                members[c].append(g)
    for c in classes:
        if not members[c]:
            continue
        upper = 0
        for g in members[c]:
            k = min(int(class_fit[g, c]), int(compiled.rule_cap[g]))
            upper += math.ceil(int(placeable[g]) / k)
        nodes[c] = model.new_int_var(0, upper, f"nodes[{compiled.classes[c].instance_type}@{c}]")
    # --- constraints ---
    for g in groups:
        columns = [pods[g, c] for c in sorted(per_group[g]) if (g, c) in pods]
        if not columns:
            return
        model.add(sum(columns) == int(placeable[g]))
    for c, var in nodes.items():
        for r in range(len(resources)):
            terms = [(int(requests[g, r]), pods[g, c]) for g in members[c] if requests[g, r] > 0]
            if terms:
                model.add(sum(a * v for a, v in terms) <= int(capacity[c, r]) * var)
        for g in members[c]:
            k = min(int(class_fit[g, c]), int(compiled.rule_cap[g]))
            if k < UNLIMITED and k * 1 < int(placeable[g]):
                model.add(pods[g, c] <= k * var)
    for pool in compiled.problem.pools:
        in_pool = [var for c, var in nodes.items() if compiled.classes[c].pool == pool.name]
        if pool.max_nodes is not None:
            model.add(sum(in_pool) <= pool.max_nodes)
        if pool.min_nodes:
            model.add(sum(in_pool) >= pool.min_nodes)
    zone_total = len(compiled.problem.zones)
    if compiled.problem.tolerate_zone_loss and zone_total >= 2:
        for r in range(len(resources)):
            # Zone-bound pods (EBS volumes) stay down with their zone: counted once, not re-placed.
            movable = sum(
                int(requests[g, r]) * int(placeable[g]) for g in groups if not compiled.groups[g].zone_bound
            )
            bound = sum(
                int(requests[g, r]) * int(placeable[g]) for g in groups if compiled.groups[g].zone_bound
            )
            if movable or bound:
                model.add(
                    (zone_total - 1) * sum(int(capacity[c, r]) * var for c, var in nodes.items())
                    >= zone_total * movable + (zone_total - 1) * bound
                )
    # --- objective ---
    price = {c: round(compiled.classes[c].price * MICRO) for c in nodes}
    model.minimize(sum(price[c] * var for c, var in nodes.items()))
    # --- hint: the incumbent decision ---
    for (g, c), var in pods.items():
        model.add_hint(var, int(incumbent.get(g, {}).get(c, 0)))
    for c, var in nodes.items():
        need = 0.0
        for g in members[c]:
            count = incumbent.get(g, {}).get(c, 0)
            if count:
                need += max(
                    count * float(requests[g, r]) / max(float(capacity[c, r]), 1.0)
                    for r in range(len(resources))
                )
        model.add_hint(var, math.ceil(need))
    # --- solve ---
    # Same problem and options, same plan: the search stops on deterministic time (a measure of
    # work done, roughly seconds) and parallel workers interleave deterministically; the wall-clock
    # limit is only a safety net for a slow machine.
    solver, status = run_cp_sat(
        model,
        budget or SolveBudget(WALL_FACTOR * time_limit + 1.0, time_limit, options.cancel),
        CLASS_STAGE,
        work=time_limit,
        workers=options.workers,
        seed=options.seed,
        wall=wall,
        callback=_Progress(observer, elapsed, lp.bound),  # type: ignore[arg-type]
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    decision: dict[int, dict[int, int]] = {}
    for (g, c), var in pods.items():
        value = int(solver.value(var))
        if value:
            decision.setdefault(g, {})[c] = value
    yield decision


def _progress_class() -> type:
    from ortools.sat.python import cp_model

    class Progress(cp_model.CpSolverSolutionCallback):
        def __init__(self, observer: SolveObserver, elapsed: Callable[[], float], bound: float) -> None:
            super().__init__()
            self.observer = observer
            self.elapsed = elapsed
            self.bound = bound

        def on_solution_callback(self) -> None:
            # The model's cost before packing into concrete nodes, against the LP's proven bound.
            self.observer.on_progress(self.objective_value / MICRO, self.bound, self.elapsed())

    return Progress


def _Progress(observer: SolveObserver, elapsed: Callable[[], float], bound: float) -> object:
    return _progress_class()(observer, elapsed, bound)


def zoned_decisions(
    compiled: CompiledProblem,
    placeable: Sequence[int],
    lp: LpResult,
    incumbent: Mapping[int, Mapping[int, int]],
    incumbent_nodes: Sequence[tuple[int, int, Mapping[int, int]]],
    time_limit: float,
    options: SolveOptions,
    observer: SolveObserver,
    elapsed: Callable[[], float],
    budget: SolveBudget | None = None,
    wall: float | None = None,
) -> Iterator[dict[int, dict[tuple[int, int], int]]]:
    """The model above with node counts per (class, zone): pods per (group, class, zone).

    The per-class model rounds each class's node count once, but the packer then needs whole
    nodes in every zone a class is used in: 7 nodes' worth of pods spread evenly over 3 zones
    become 3 + 3 + 3 nodes. Counting nodes per zone removes that loss. Zone-bound groups keep
    the per-zone counts of :func:`~eks_plan.solver.packing.split_zones` (so every zone rule
    holds as the packer would make it); free groups may go to any zone. ``incumbent_nodes``
    (option class, zone, pods per group of each node of the best plan so far) is the hint.
    ``time_limit``, ``budget`` and ``wall`` are as in :func:`improve_with_cp_sat`.
    """
    from ortools.sat.python import cp_model

    from eks_plan.solver.packing import split_zones

    groups = [g for g, count in enumerate(placeable) if count > 0]
    if not groups or time_limit < MIN_STAGE_WORK:
        return
    zone_counts, zone_unplaced = split_zones(compiled, placeable)
    demand = {g: int(placeable[g]) - int(zone_unplaced.get(g, 0)) for g in groups}
    per_group = candidate_classes(compiled, lp, incumbent)
    for class_index, _, pods_on_node in incumbent_nodes:
        for g in pods_on_node:
            per_group[g].add(class_index)
    class_usable = compiled.class_usable()
    class_fit = compiled.class_fit()
    resources = compiled.resources
    byte = np.array([is_byte_resource(name) for name in resources])
    requests = np.where(byte[None, :], -(-compiled.requests // MIB), compiled.requests)
    capacity = np.where(byte[None, :], class_usable // MIB, class_usable)
    problem_zones = {z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones}

    model = cp_model.CpModel()
    pods: dict[tuple[int, int, int], Any] = {}
    members: dict[tuple[int, int], list[int]] = {}
    for g in groups:
        limit = int(compiled.rule_cap[g])
        for c in sorted(per_group[g]):
            option_class = compiled.classes[c]
            k = min(int(class_fit[g, c]), limit)
            if k <= 0:
                continue
            for o, z in zip(option_class.options, option_class.zones, strict=True):
                if z not in problem_zones or not compiled.allowed[g, o]:
                    continue
                if g in zone_counts and zone_counts[g][z] == 0:
                    continue
                upper = int(zone_counts[g][z]) if g in zone_counts else demand[g]
                pods[g, c, z] = model.new_int_var(0, upper, f"pods[{g},{c},{z}]")
                members.setdefault((c, z), []).append(g)
    nodes: dict[tuple[int, int], Any] = {}
    for (c, z), in_node in sorted(members.items()):
        upper = 0
        for g in in_node:
            k = min(int(class_fit[g, c]), int(compiled.rule_cap[g]))
            upper += math.ceil(demand[g] / k)
        nodes[c, z] = model.new_int_var(0, upper, f"nodes[{c},{z}]")
    for g in groups:
        if g in zone_counts:
            for z, count in enumerate(zone_counts[g]):
                if count > 0:
                    columns = [var for (h, _, y), var in pods.items() if h == g and y == z]
                    if not columns:
                        return
                    model.add(sum(columns) == int(count))
        else:
            columns = [var for (h, _, _), var in pods.items() if h == g]
            if not columns:
                return
            model.add(sum(columns) == demand[g])
    for (c, z), var in nodes.items():
        in_node = members[c, z]
        for r in range(len(resources)):
            terms = [(int(requests[g, r]), pods[g, c, z]) for g in in_node if requests[g, r] > 0]
            if terms:
                model.add(sum(a * v for a, v in terms) <= int(capacity[c, r]) * var)
        for g in in_node:
            k = min(int(class_fit[g, c]), int(compiled.rule_cap[g]))
            if k < UNLIMITED:
                model.add(pods[g, c, z] <= k * var)
    for pool in compiled.problem.pools:
        in_pool = [var for (c, _), var in nodes.items() if compiled.classes[c].pool == pool.name]
        if pool.max_nodes is not None:
            model.add(sum(in_pool) <= pool.max_nodes)
        if pool.min_nodes:
            model.add(sum(in_pool) >= pool.min_nodes)
    price = {key: round(compiled.classes[key[0]].price * MICRO) for key in nodes}
    model.minimize(sum(price[key] * var for key, var in nodes.items()))
    hint_pods: dict[tuple[int, int, int], int] = {}
    hint_nodes: dict[tuple[int, int], int] = {}
    for class_index, zone, pods_on_node in incumbent_nodes:
        hint_nodes[class_index, zone] = hint_nodes.get((class_index, zone), 0) + 1
        for g, count in pods_on_node.items():
            hint_pods[g, class_index, zone] = hint_pods.get((g, class_index, zone), 0) + count
    for pod_key, var in pods.items():
        model.add_hint(var, hint_pods.get(pod_key, 0))
    for node_key, var in nodes.items():
        model.add_hint(var, hint_nodes.get(node_key, 0))
    solver, status = run_cp_sat(
        model,
        budget or SolveBudget(WALL_FACTOR * time_limit + 1.0, time_limit, options.cancel),
        ZONED_STAGE,
        work=time_limit,
        workers=options.workers,
        seed=options.seed,
        wall=wall,
        callback=_Progress(observer, elapsed, lp.bound),  # type: ignore[arg-type]
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    decision: dict[int, dict[tuple[int, int], int]] = {}
    for (g, c, z), var in pods.items():
        value = int(solver.value(var))
        if value:
            decision.setdefault(g, {})[c, z] = value
    yield decision
