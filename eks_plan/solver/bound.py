"""The proven lower bound on node cost: a linear relaxation over the full set of node options,
solved by column generation with OR-Tools GLOP, and read back as a Lagrangian dual bound.

The relaxation (per option class ``c``, i.e. per instance type of a pool and capacity type, all
zones together; ``n[c]`` nodes, ``x[g, c]`` pods of group ``g``, both continuous)::

    minimise   sum_c price[c] * n[c]
    subject to sum_c x[g, c] = pods[g]                              every group is placed
               sum_g request[g, r] * x[g, c] <= usable[c, r] * n[c]  every resource, incl. pods
               x[g, c] <= k[g, c] * n[c]                            per-node limit (some pairs)
               min_nodes[p] <= sum_{c in p} n[c] <= max_nodes[p]    node pools
               (Z-1) * sum_c usable[c, r] * n[c] >= Z * demand[r]    zone loss, Z zones

Every real plan satisfies it: its node counts per class and pod counts per class are a feasible
point (``k`` is the number of pods of ``g`` an empty node holds by resources, or 1 for self
anti-affinity or a hostPort, so the per-node limit summed over a class's nodes holds; the zone-loss
row is the sum over the Z zones of "the nodes outside zone z hold every pod"). Its optimum is
therefore at most the cost of the best plan.

Column generation starts from a few cheap classes per group and adds the columns with negative
reduced cost until none is left. The bound returned does not rely on reaching that point: for
capacity duals ``y <= 0`` and pool/zone-loss duals ``d`` from the last LP, weak duality gives

    cost(any plan) >= sum_g pods[g] * min_c (-sum_r request[g, r] * y[c, r] - cap dual[g, c])
                      + sum_i d[i] * rhs[i]

provided every node column's reduced cost is non-negative, which GLOP's optimal basis guarantees
because all node columns are in every LP. The minimum runs over ALL classes ``g`` may use, so the
bound holds for the full option set even when time ran out before the pricing converged. It is
shaved by one part in a million to absorb floating-point tolerance.

Example: 10 pods of 1 cpu, nodes of 4 usable cpu at $1/hour: the LP needs 2.5 nodes::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.compat import build_instance
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> pod = PodSpec("default", (("app", "a"),), Resources({"cpu": 1000, "pods": 1}))
    >>> node = NodeOption("default", "x.large", "a", "on-demand", 1.0, Resources({"cpu": 4000, "pods": 99}))
    >>> problem = Problem((PodGroup("Deployment/default/a", 10, pod),), (node,), ("a",))
    >>> result = lp_bound(build_instance(problem), [10])
    >>> round(result.bound, 4)
    2.5
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from eks_plan.solver.compat import UNLIMITED, Instance

SAFETY = 1e-6
CAP_ROW_LIMIT = 16  # per-node limit rows only where an empty node holds few pods (they bind there)


@dataclass(slots=True)
class LpResult:
    """The bound and the LP's fractional solution (per group, class -> pods; per class, nodes)."""

    bound: float
    objective: float
    pods: dict[int, dict[int, float]] = field(default_factory=dict)
    nodes: dict[int, float] = field(default_factory=dict)
    reduced: np.ndarray | None = None  # [g, c] reduced cost per pod (inf where not allowed)
    converged: bool = False
    feasible: bool = True


def lp_bound(instance: Instance, placeable: Sequence[int], time_limit: float = 30.0) -> LpResult:
    """Solve the relaxation above by column generation; see the module docstring."""
    from ortools.linear_solver import pywraplp

    start = time.monotonic()
    pods = np.asarray(placeable, dtype=np.int64)
    groups = [g for g in range(len(instance.groups)) if pods[g] > 0]
    if not groups:
        return LpResult(0.0, 0.0, converged=True)
    classes = instance.classes
    prices = np.array([c.price for c in classes])
    class_usable = instance.class_usable().astype(np.float64)
    allowed = instance.class_allowed()
    fit = instance.class_fit()
    requests = instance.requests.astype(np.float64)
    resources = len(instance.resources)
    scale = np.maximum(np.abs(class_usable).max(axis=0), 1.0)
    usable_scaled = class_usable / scale
    requests_scaled = requests / scale
    hard_cap = np.where(instance.rule_cap_is_hard, instance.rule_cap, UNLIMITED)

    solver = pywraplp.Solver.CreateSolver("GLOP")
    infinity = solver.infinity()
    node_vars = [solver.NumVar(0.0, infinity, f"nodes[{c.instance_type}/{c.index}]") for c in classes]
    demand = {g: solver.Constraint(float(pods[g]), float(pods[g]), f"demand[{g}]") for g in groups}
    capacity = {}
    for c in range(len(classes)):
        for r in range(resources):
            row = solver.Constraint(-infinity, 0.0, f"capacity[{c},{r}]")
            row.SetCoefficient(node_vars[c], -float(usable_scaled[c, r]))
            capacity[c, r] = row
    other_rows: list[tuple[object, float]] = []
    for pool in instance.problem.pools:
        members = [c for c in range(len(classes)) if classes[c].pool == pool.name]
        upper = infinity if pool.max_nodes is None else float(pool.max_nodes)
        if pool.min_nodes or pool.max_nodes is not None:
            row = solver.Constraint(float(pool.min_nodes), upper, f"pool[{pool.name}]")
            for c in members:
                row.SetCoefficient(node_vars[c], 1.0)
            other_rows.append((row, 0.0))
    zone_total = len(instance.problem.zones)
    if instance.problem.tolerate_zone_loss and zone_total >= 2:
        factor = zone_total / (zone_total - 1)
        for r in range(resources):
            need = float((requests_scaled[groups, r] * pods[groups]).sum()) * factor
            if need <= 0:
                continue
            row = solver.Constraint(need, infinity, f"zone_loss[{r}]")
            for c in range(len(classes)):
                row.SetCoefficient(node_vars[c], float(usable_scaled[c, r]))
            other_rows.append((row, need))
        for g in groups:
            if hard_cap[g] == 1:
                need = float(pods[g]) * factor
                row = solver.Constraint(need, infinity, f"zone_loss_spread[{g}]")
                for c in np.flatnonzero(allowed[g]):
                    row.SetCoefficient(node_vars[int(c)], 1.0)
                other_rows.append((row, need))
    objective = solver.Objective()
    for c, var in enumerate(node_vars):
        objective.SetCoefficient(var, float(prices[c]))
    objective.SetMinimization()

    columns: dict[tuple[int, int], tuple[object, object | None]] = {}

    def add_column(g: int, c: int) -> None:
        var = solver.NumVar(0.0, infinity, f"x[{g},{c}]")
        demand[g].SetCoefficient(var, 1.0)
        for r in range(resources):
            if requests_scaled[g, r] > 0:
                capacity[c, r].SetCoefficient(var, float(requests_scaled[g, r]))
        cap_row = None
        k = min(int(fit[g, c]), int(hard_cap[g]))
        if k <= CAP_ROW_LIMIT:
            cap_row = solver.Constraint(-infinity, 0.0, f"per_node[{g},{c}]")
            cap_row.SetCoefficient(var, 1.0)
            cap_row.SetCoefficient(node_vars[c], -float(k))
        columns[g, c] = (var, cap_row)

    # Start: for each group, the three classes with the lowest price per dominant share.
    share = np.zeros((len(instance.groups), len(classes)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in range(resources):
            ratio = np.where(class_usable[None, :, r] > 0, requests[:, None, r] / class_usable[None, :, r], 0)
            share = np.maximum(share, ratio)
    price_per_pod = np.where(allowed, share * prices[None, :], np.inf)
    for g in groups:
        if not allowed[g].any():
            return LpResult(0.0, 0.0, feasible=False)
        for c in np.argsort(price_per_pod[g], kind="stable")[:3]:
            if allowed[g, c]:
                add_column(g, int(c))

    converged = False
    result = LpResult(0.0, 0.0)
    while True:
        solver.SetTimeLimit(max(1, int((time_limit - (time.monotonic() - start)) * 1000)))
        status = solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            result.feasible = status != pywraplp.Solver.INFEASIBLE
            return result
        y = np.zeros((len(classes), resources))
        for (c, r), row in capacity.items():
            y[c, r] = min(row.dual_value(), 0.0)
        reduced = -(requests_scaled @ y.T)  # [g, c], without the demand dual
        for (g, c), (_, cap_row) in columns.items():
            if cap_row is not None:
                reduced[g, c] -= min(cap_row.dual_value(), 0.0)
        reduced = np.where(allowed, reduced, np.inf)
        pi = np.array([demand[g].dual_value() if g in demand else 0.0 for g in range(len(instance.groups))])
        best = reduced.min(axis=1)
        lagrangian = float((pods[groups] * best[groups]).sum()) + sum(
            row.dual_value() * rhs for row, rhs in other_rows
        )
        node_ok = all(var.reduced_cost() >= -1e-7 * max(1.0, prices[c]) for c, var in enumerate(node_vars))
        lp_value = objective.Value()
        bound = min(lagrangian, lp_value) if node_ok else 0.0
        result = LpResult(
            bound=max(0.0, bound * (1 - SAFETY)),
            objective=lp_value,
            reduced=reduced - pi[:, None],
            converged=converged,
        )
        result.pods = {}
        for (g, c), (var, _) in columns.items():
            value = var.solution_value()
            if value > 1e-9:
                result.pods.setdefault(g, {})[c] = value
        result.nodes = {
            c: var.solution_value() for c, var in enumerate(node_vars) if var.solution_value() > 1e-9
        }
        if converged or time.monotonic() - start > time_limit:
            return result
        tolerance = 1e-9 * max(1.0, float(np.abs(pi).max()))
        added = 0
        for g in groups:
            row = reduced[g] - pi[g]
            for c in np.argsort(row, kind="stable")[:3]:
                if row[c] < -tolerance and (g, int(c)) not in columns:
                    add_column(g, int(c))
                    added += 1
        if added == 0:
            converged = True
            result.converged = True
            return result
