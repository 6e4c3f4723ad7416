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
    requests, capacity = _model_units(compiled)

    model = cp_model.CpModel()
    pods, members, nodes = _class_variables(model, compiled, placeable, groups, per_group, classes)
    if not _class_constraints(
        model, compiled, placeable, groups, per_group, pods, members, nodes, requests, capacity
    ):
        return
    _class_objective_and_hint(model, compiled, incumbent, pods, members, nodes, requests, capacity)
    solved = _solve(model, CLASS_STAGE, time_limit, options, observer, elapsed, lp, budget, wall)
    if solved is None:
        return
    decision: dict[int, dict[int, int]] = {}
    for (g, c), var in pods.items():
        value = int(solved.value(var))
        if value:
            decision.setdefault(g, {})[c] = value
    yield decision


def _model_units(compiled: CompiledProblem) -> tuple[np.ndarray, np.ndarray]:
    """Requests ``[g, r]`` and class capacities ``[c, r]`` in the models' integer units: bytes in
    MiB, requests rounded up and capacities down (the safe side for a plan)."""
    class_usable = compiled.class_usable()
    byte = np.array([is_byte_resource(name) for name in compiled.resources])
    requests = np.where(byte[None, :], -(-compiled.requests // MIB), compiled.requests)
    capacity = np.where(byte[None, :], class_usable // MIB, class_usable)
    return requests, capacity


def _per_node(compiled: CompiledProblem, class_fit: np.ndarray, g: int, c: int) -> int:
    """The most pods of ``g`` one node of class ``c`` holds, by resources and by rule."""
    return min(int(class_fit[g, c]), int(compiled.rule_cap[g]))


def _class_variables(
    model: Any,
    compiled: CompiledProblem,
    placeable: Sequence[int],
    groups: list[int],
    per_group: list[set[int]],
    classes: list[int],
) -> tuple[dict[tuple[int, int], Any], dict[int, list[int]], dict[int, Any]]:
    """Variables of the per-class model: pods per (group, class), the groups of each class, and
    nodes per class (bounded by a node per pod at the tightest per-node limit)."""
    class_fit = compiled.class_fit()
    allowed = compiled.class_allowed()
    nodes = {}
    pods: dict[tuple[int, int], Any] = {}
    members: dict[int, list[int]] = {c: [] for c in classes}
    for g in groups:
        for c in sorted(per_group[g]):
            if allowed[g, c] and c in members:
                k = _per_node(compiled, class_fit, g, c)
                if k <= 0:
                    continue
                pods[g, c] = model.new_int_var(0, int(placeable[g]), f"pods[{compiled.groups[g].key}@{c}]")
                members[c].append(g)
    for c in classes:
        if not members[c]:
            continue
        upper = 0
        for g in members[c]:
            upper += math.ceil(int(placeable[g]) / _per_node(compiled, class_fit, g, c))
        nodes[c] = model.new_int_var(0, upper, f"nodes[{compiled.classes[c].instance_type}@{c}]")
    return pods, members, nodes


def _class_constraints(
    model: Any,
    compiled: CompiledProblem,
    placeable: Sequence[int],
    groups: list[int],
    per_group: list[set[int]],
    pods: dict[tuple[int, int], Any],
    members: dict[int, list[int]],
    nodes: dict[int, Any],
    requests: np.ndarray,
    capacity: np.ndarray,
) -> bool:
    """Constraints of the per-class model (the module docstring's); False when a group has no
    class left (the model cannot place it, so it is not solved)."""
    class_fit = compiled.class_fit()
    resources = compiled.resources
    for g in groups:
        columns = [pods[g, c] for c in sorted(per_group[g]) if (g, c) in pods]
        if not columns:
            return False
        model.add(sum(columns) == int(placeable[g]))
    for c, var in nodes.items():
        for r in range(len(resources)):
            terms = [(int(requests[g, r]), pods[g, c]) for g in members[c] if requests[g, r] > 0]
            if terms:
                model.add(sum(a * v for a, v in terms) <= int(capacity[c, r]) * var)
        for g in members[c]:
            k = _per_node(compiled, class_fit, g, c)
            if k < UNLIMITED and k * 1 < int(placeable[g]):
                model.add(pods[g, c] <= k * var)
    _pool_constraints(model, compiled, [(c, var) for c, var in nodes.items()])
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
    return True


def _pool_constraints(model: Any, compiled: CompiledProblem, nodes: list[tuple[int, Any]]) -> None:
    """Each pool's bounds on its node count; ``nodes`` pairs a class index with a node variable."""
    for pool in compiled.problem.pools:
        in_pool = [var for c, var in nodes if compiled.classes[c].pool == pool.name]
        if pool.max_nodes is not None:
            model.add(sum(in_pool) <= pool.max_nodes)
        if pool.min_nodes:
            model.add(sum(in_pool) >= pool.min_nodes)


def _class_objective_and_hint(
    model: Any,
    compiled: CompiledProblem,
    incumbent: Mapping[int, Mapping[int, int]],
    pods: dict[tuple[int, int], Any],
    members: dict[int, list[int]],
    nodes: dict[int, Any],
    requests: np.ndarray,
    capacity: np.ndarray,
) -> None:
    """Node cost in micro-dollars per hour; the incumbent decision (and the nodes it needs by its
    tightest resource) as the hint."""
    price = {c: round(compiled.classes[c].price * MICRO) for c in nodes}
    model.minimize(sum(price[c] * var for c, var in nodes.items()))
    for (g, c), var in pods.items():
        model.add_hint(var, int(incumbent.get(g, {}).get(c, 0)))
    for c, var in nodes.items():
        need = 0.0
        for g in members[c]:
            count = incumbent.get(g, {}).get(c, 0)
            if count:
                need += max(
                    count * float(requests[g, r]) / max(float(capacity[c, r]), 1.0)
                    for r in range(len(compiled.resources))
                )
        model.add_hint(var, math.ceil(need))


def _solve(
    model: Any,
    stage: str,
    time_limit: float,
    options: SolveOptions,
    observer: SolveObserver,
    elapsed: Callable[[], float],
    lp: LpResult,
    budget: SolveBudget | None,
    wall: float | None,
) -> Any | None:
    """Solve either model; the solver to read values from, or None when it found no solution.

    Same problem and options, same plan: the search stops on deterministic time (a measure of
    work done, roughly seconds) and parallel workers interleave deterministically; the wall-clock
    limit is only a safety net for a slow machine. Every improving solution goes to ``observer``.
    """
    from ortools.sat.python import cp_model

    solver, status = run_cp_sat(
        model,
        budget or SolveBudget(WALL_FACTOR * time_limit + 1.0, time_limit, options.cancel),
        stage,
        work=time_limit,
        workers=options.workers,
        seed=options.seed,
        wall=wall,
        callback=_Progress(observer, elapsed, lp.bound),  # type: ignore[arg-type]
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return solver


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
    requests, capacity = _model_units(compiled)

    model = cp_model.CpModel()
    pods, members, nodes = _zoned_variables(model, compiled, groups, per_group, zone_counts, demand)
    if not _zoned_constraints(
        model, compiled, groups, zone_counts, demand, pods, members, nodes, requests, capacity
    ):
        return
    _zoned_objective_and_hint(model, compiled, incumbent_nodes, pods, nodes)
    solved = _solve(model, ZONED_STAGE, time_limit, options, observer, elapsed, lp, budget, wall)
    if solved is None:
        return
    decision: dict[int, dict[tuple[int, int], int]] = {}
    for (g, c, z), var in pods.items():
        value = int(solved.value(var))
        if value:
            decision.setdefault(g, {})[c, z] = value
    yield decision


def _zoned_variables(
    model: Any,
    compiled: CompiledProblem,
    groups: list[int],
    per_group: list[set[int]],
    zone_counts: Mapping[int, Any],
    demand: Mapping[int, int],
) -> tuple[dict[tuple[int, int, int], Any], dict[tuple[int, int], list[int]], dict[tuple[int, int], Any]]:
    """Variables of the zoned model: pods per (group, class, zone) where the group may run there,
    the groups of each (class, zone), and nodes per (class, zone)."""
    class_fit = compiled.class_fit()
    problem_zones = {z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones}
    pods: dict[tuple[int, int, int], Any] = {}
    members: dict[tuple[int, int], list[int]] = {}
    for g in groups:
        for c in sorted(per_group[g]):
            option_class = compiled.classes[c]
            if _per_node(compiled, class_fit, g, c) <= 0:
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
            upper += math.ceil(demand[g] / _per_node(compiled, class_fit, g, c))
        nodes[c, z] = model.new_int_var(0, upper, f"nodes[{c},{z}]")
    return pods, members, nodes


def _zoned_constraints(
    model: Any,
    compiled: CompiledProblem,
    groups: list[int],
    zone_counts: Mapping[int, Any],
    demand: Mapping[int, int],
    pods: dict[tuple[int, int, int], Any],
    members: dict[tuple[int, int], list[int]],
    nodes: dict[tuple[int, int], Any],
    requests: np.ndarray,
    capacity: np.ndarray,
) -> bool:
    """Every zone-bound group's count per zone and every free group's total, capacity and per-node
    limits per (class, zone), pool bounds; False when a group has nowhere to go."""
    class_fit = compiled.class_fit()
    for g in groups:
        if g in zone_counts:
            for z, count in enumerate(zone_counts[g]):
                if count > 0:
                    columns = [var for (h, _, y), var in pods.items() if h == g and y == z]
                    if not columns:
                        return False
                    model.add(sum(columns) == int(count))
        else:
            columns = [var for (h, _, _), var in pods.items() if h == g]
            if not columns:
                return False
            model.add(sum(columns) == demand[g])
    for (c, z), var in nodes.items():
        in_node = members[c, z]
        for r in range(len(compiled.resources)):
            terms = [(int(requests[g, r]), pods[g, c, z]) for g in in_node if requests[g, r] > 0]
            if terms:
                model.add(sum(a * v for a, v in terms) <= int(capacity[c, r]) * var)
        for g in in_node:
            k = _per_node(compiled, class_fit, g, c)
            if k < UNLIMITED:
                model.add(pods[g, c, z] <= k * var)
    _pool_constraints(model, compiled, [(c, var) for (c, _), var in nodes.items()])
    return True


def _zoned_objective_and_hint(
    model: Any,
    compiled: CompiledProblem,
    incumbent_nodes: Sequence[tuple[int, int, Mapping[int, int]]],
    pods: dict[tuple[int, int, int], Any],
    nodes: dict[tuple[int, int], Any],
) -> None:
    """Node cost in micro-dollars per hour; the incumbent's nodes, counted per (class, zone), and
    their pods as the hint."""
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
