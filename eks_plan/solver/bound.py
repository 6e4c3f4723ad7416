"""The proven lower bound on node cost: a linear relaxation over the full set of node options,
solved by column generation with OR-Tools GLOP, and read back as a Lagrangian dual bound.

The relaxation (per option class ``c``, i.e. per instance type of a pool and capacity type, all
zones together; ``n[c]`` nodes, ``x[g, c]`` pods of group ``g``, both continuous)::

    minimise   sum_c price[c] * n[c]
    subject to sum_c x[g, c] = pods[g]                              every group is placed
               sum_g request[g, r] * x[g, c] <= usable[c, r] * n[c]  every resource, incl. pods
               sum_{c allowed for g} n[c] >= pods[g]                  one pod of g per node (self
                                                                anti-affinity, a hostPort)
               min_nodes[p] <= sum_{c in p} n[c] <= max_nodes[p]    node pools
               (Z-1) * sum_c usable[c, r] * n[c] >= Z * demand[r]    zone loss, Z zones

Every real plan satisfies it: its node counts per class and pod counts per class are a feasible
point (a group with at most one pod per node needs as many nodes it may use as it has pods; the zone-loss
row is the sum over the Z zones of "the nodes outside zone z hold every pod"). Its optimum is
therefore at most the cost of the best plan.

Up to :data:`FULL_COLUMNS` (group, class) pairs the LP holds every column and its optimum is the
bound. Beyond that, column generation starts from a few cheap classes per group and adds, for each
class whose best fractional node content is worth more than its price at the current demand duals
``pi``, the groups of that content. The bound then does not rely on the pricing being exact
(Farley's bound): for any ``pi``, every plan has ``sum_g pi[g] * pods[g] <= sum_c v[c] * n[c]``
where ``v[c]`` is the most ``pi``-value one node of class ``c`` can hold, so with
``rho = max(1, max_c v[c] / price[c])`` the cost is at least ``sum_g pi[g] * pods[g] / rho``
(plus the pool and zone-loss rows' dual terms, treated alike). ``v[c]`` is over-estimated by LP
duality (:func:`_node_value_upper`), which keeps the bound valid over ALL classes even when time
ran out. Either bound is shaved by one part in a million to absorb floating-point tolerance.

Big problems (100,000 pods in 3,000 workloads) are first shrunk by merging groups whose requests,
rounded DOWN to their leading binary digits, are equal (:func:`_merge_groups`): a relaxation, so
the bound stays valid, and at 100k pods it turns 3,000 groups into a few hundred that the LP holds
all at once (solved in ~3 s to $4,536/h, where column generation had stopped at a Farley bound of
$3,296/h). What the rounding takes off is won back by Farley's bound on the real requests
(:func:`_farley_on_real_requests`): over every current type the merged LP proves the unmerged
LP's own $4,371.37/h (before: $4,237.91/h, with 4% of the cpu rounded off). Small problems also
get :func:`integer_zone_bound`, an integer relaxation with whole nodes per zone, which sees what
zone spread and zone anti-affinity cost when they bind.

Why not a pattern (Gilmore-Gomory) master for the bound: measured on the benchmark cases (issue
12), a zone-free master over whole-node patterns with integer pods per group, exact CP-SAT
knapsacks in the pricing and Farley's correction, converges to $44.236/h at 1,000 pods on
Karpenter's default types (this LP: $44.173/h, +0.14%) and $37.757/h over every current type
(+0.06%), after 12-51 wall seconds; at 10,000 pods it had not passed this bound after four
minutes, and Farley's bound along this LP's own duals moves it by 0.00% and 0.03%: the nodes that
bind hold 8-225 pods, so integrality inside a node costs almost nothing. The 10k gaps are the
plans' (a verified pattern plan of $515.7/h against the $556-568/h plans of before).

Why not zones in this LP: the zone-indexed relaxation (:func:`integer_zone_bound`'s model with
continuous pods and nodes per class and zone, each zone spread's least share per zone, the
hard per-node caps; GLOP over 224,325 columns) is $486.38/h at 10,000 pods over every current
type against this LP's $485.56/h (+0.17%, after 658 s), and $44.188/h against $44.173/h at
1,000 pods on Karpenter's default types: the zones' offerings differ, but not so that the bound
moves.

Example: 10 pods of 1 cpu, nodes of 4 usable cpu at $1/hour: the LP needs 2.5 nodes::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.compat import compile_problem
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> pod = PodSpec("default", (("app", "a"),), Resources({"cpu": 1000, "pods": 1}))
    >>> node = NodeOption("default", "x.large", "a", "on-demand", 1.0, Resources({"cpu": 4000, "pods": 99}))
    >>> problem = Problem((PodGroup("Deployment/default/a", 10, pod),), (node,), ("a",))
    >>> result = lp_bound(compile_problem(problem), [10])
    >>> round(result.bound, 4)
    2.5
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eks_plan.solver.budget import SolveBudget, run_cp_sat
from eks_plan.solver.compat import UNLIMITED, CompiledProblem

SAFETY = 1e-6
#: GLOP simplex iterations per deterministic second of the LP's share of the work budget, and the
#: most column-generation rounds: the LP stops on these counts, never on the wall clock.
LP_ITERATIONS_PER_SECOND = 20_000
MAX_LP_ROUNDS = 500
#: Wall seconds per deterministic second given to a stage called on its own (no
#: :class:`~eks_plan.solver.budget.SolveBudget`): the safety net only.
WALL_FACTOR = 10.0
LP_STAGE = "lower bound (LP)"
INTEGER_BOUND_STAGE = "lower bound (whole nodes)"
#: Up to this many (group, class) pairs the LP holds them all at once; above, groups are merged
#: until it does. Measured at 100,000 pods over every current type (589,660 pairs): 60,000 rounds
#: requests to 4 significant bits, 4% of the cpu off, and proves $4,259.62/h in 15 s (with the
#: correction of :func:`_farley_on_real_requests`); 150,000 and 250,000 prove the unmerged LP's
#: own $4,371.37/h in 9.6-9.8 s (the merged LP is bigger but its correction needs far fewer exact
#: node values). On Karpenter's default types (238,273 pairs) 60,000 and 200,000 give the same
#: $4,536.29/h in 3 s.
FULL_COLUMNS = 200_000


@dataclass(slots=True)
class LpResult:
    """The bound and the LP's fractional solution (per group, class -> pods; per class, nodes)."""

    bound: float
    objective: float
    pods: dict[int, dict[int, float]] = field(default_factory=dict)
    nodes: dict[int, float] = field(default_factory=dict)
    reduced: np.ndarray | None = None  # [g, c] reduced cost per pod (inf where not allowed)
    duals: np.ndarray | None = None  # [g] what one more pod of g costs the LP ($/hour)
    converged: bool = False
    feasible: bool = True
    #: The rows on node counts only (pools, zone loss, one pod per node): their duals times their
    #: bounds (their part of the dual objective), and what they pay per node of each class.
    row_value: float = 0.0
    row_extra: np.ndarray | None = None
    #: ``[c, r]``: what a unit of resource ``r`` on a node of class ``c`` is worth to the LP (its
    #: capacity row's dual, in the LP's scaled units; 0 where the LP has no row for ``c``).
    capacity_prices: np.ndarray | None = None


def lp_bound(
    compiled: CompiledProblem, placeable: Sequence[int], work: float = 30.0, budget: SolveBudget | None = None
) -> LpResult:
    """Solve the relaxation above; see the module docstring.

    ``work`` (deterministic seconds) caps the simplex iterations of the whole column generation
    (:data:`LP_ITERATIONS_PER_SECOND`) and its rounds (:data:`MAX_LP_ROUNDS`), so that where it
    stops does not depend on the machine; ``budget`` gives the wall-clock safety net and the
    cancellation token (a fresh one of ``WALL_FACTOR * work`` seconds when not given).

    When the LP would need more than :data:`FULL_COLUMNS` columns, it is solved over merged
    groups (:func:`_merge_groups`) whenever that brings it within reach of holding every column,
    and the fractional solution is shared back among the merged groups by their pod counts.
    """
    pods = np.asarray(placeable, dtype=np.int64)
    groups = [g for g in range(len(compiled.groups)) if pods[g] > 0]
    if len(groups) > 1:
        allowed = compiled.class_allowed() & undominated_classes(compiled)[None, :]
        if int(allowed[groups].sum()) > FULL_COLUMNS:
            merged = _merge_groups(compiled, pods)
            if merged is not None:
                view, merged_pods, member_of, floor_rows = merged
                result = _solve_lp(view, merged_pods, work, budget, floor_rows)  # type: ignore[arg-type]
                spread = _spread_back(result, member_of, pods)
                if result.feasible and result.duals is not None:
                    spread.bound = max(spread.bound, _farley_on_real_requests(compiled, pods, spread, budget))
                return spread
    return _solve_lp(compiled, placeable, work, budget)


def _solve_lp(
    compiled: CompiledProblem,
    placeable: Sequence[int],
    work: float,
    budget: SolveBudget | None,
    floor_rows: list[tuple[np.ndarray, int]] | None = None,
) -> LpResult:
    """The LP by column generation (every column at once when few enough). ``floor_rows`` (class
    mask, pods) replace the one-pod-per-node rows when the groups are merged ones.

    In OR-Tools order: the master LP's variables and rows (:class:`_ColumnLp`), the rows on node
    counts (:func:`_node_count_rows`), the objective, the starting columns
    (:func:`_start_columns`), then rounds of solve (:func:`_solve_round`), read back
    (:func:`_read_back`) and pricing (:func:`_price_columns`) until no column improves.
    """
    from ortools.linear_solver import pywraplp

    if budget is None:
        budget = SolveBudget(WALL_FACTOR * work + 1.0, work)
    budget.check()
    iterations_left = max(1, int(work * LP_ITERATIONS_PER_SECOND))
    pods = np.asarray(placeable, dtype=np.int64)
    groups = [g for g in range(len(compiled.groups)) if pods[g] > 0]
    if not groups:
        return LpResult(0.0, 0.0, converged=True)
    classes = compiled.classes
    prices = np.array([c.price for c in classes])
    class_usable = compiled.class_usable().astype(np.float64)
    allowed = compiled.class_allowed() & undominated_classes(compiled)[None, :]
    requests = compiled.requests.astype(np.float64)
    usable_scaled, requests_scaled = _scaled(compiled)
    hard_cap, per_node = _per_node_limits(compiled)

    lp = _ColumnLp(compiled, groups, pods, usable_scaled, requests_scaled)
    _node_count_rows(lp, compiled, groups, pods, hard_cap, floor_rows)
    lp.minimize(prices)
    full = int(allowed[groups].sum()) <= FULL_COLUMNS
    if not _start_columns(lp, compiled, groups, allowed, prices, class_usable, requests, full):
        return LpResult(0.0, 0.0, feasible=False)

    result = LpResult(0.0, 0.0)
    last: LpResult | None = None
    for lp_round in range(MAX_LP_ROUNDS):
        status, iterations_left = _solve_round(lp, budget, iterations_left)
        if status != pywraplp.Solver.OPTIMAL:
            if budget.left() <= 0:
                budget.note_cut(LP_STAGE)
            if last is not None:
                return last  # out of iterations mid-solve: the previous LP's bound stands
            result.feasible = status != pywraplp.Solver.INFEASIBLE
            return result
        result, pi, y, extra = _read_back(lp, compiled, allowed)
        result.row_value = sum(row.dual_value() * _active_side(row) for row, _ in lp.other_rows)
        result.row_extra = extra
        if full:
            # Every column is in the LP: its optimum is the relaxation's optimum.
            result.converged = True
            result.bound = max(0.0, lp.objective.Value() * (1 - SAFETY))
            return result
        # Farley's bound from this LP's duals, so that a timeout later still leaves a valid bound.
        dual_objective = float((pi[groups] * pods[groups]).sum()) + sum(
            row.dual_value() * _active_side(row) for row, _ in lp.other_rows
        )
        upper = np.zeros(len(classes))
        usable_classes = np.flatnonzero(allowed.any(axis=0) & (prices > 0))
        for c in usable_classes.tolist():
            upper[c] = _node_value_upper(
                pi, per_node[:, c], requests_scaled, usable_scaled[c], allowed[:, c], -y[c]
            )
        more = iterations_left > 0 and lp_round + 1 < MAX_LP_ROUNDS
        if more and budget.out_of_time(LP_STAGE):
            more = False
        added = _price_columns(lp, pi, extra, per_node, allowed, prices, usable_classes, upper, more, budget)
        ratios: list[float] = (
            (upper[usable_classes] + extra[usable_classes]) / prices[usable_classes]
        ).tolist()
        result.bound = max(0.0, dual_objective / max([1.0, *ratios]) * (1 - SAFETY))
        result.converged = added == 0
        last = result
        if added == 0 or not more:
            return result
    return result


def _scaled(compiled: CompiledProblem) -> tuple[np.ndarray, np.ndarray]:
    """Usable capacity per class and requests per group, each resource divided by its largest
    usable amount, so that GLOP's rows are of one magnitude whatever the units."""
    usable = compiled.class_usable().astype(np.float64)
    scale = np.maximum(np.abs(usable).max(axis=0), 1.0)
    return usable / scale, compiled.requests.astype(np.float64) / scale


def _per_node_limits(compiled: CompiledProblem) -> tuple[np.ndarray, np.ndarray]:
    """Per group, its hard cap of pods per node (hostname anti-affinity, a host port; else
    unlimited); per group and class, the most pods one node holds (``[g, c]``)."""
    hard_cap = np.where(compiled.rule_cap_is_hard, compiled.rule_cap, UNLIMITED)
    return hard_cap, np.minimum(compiled.class_fit(), hard_cap[:, None]).astype(np.float64)


class _ColumnLp:
    """The master LP of the column generation, in GLOP.

    Variables: nodes per class, and pod columns ``x[g, c]`` added as pricing finds them.
    Constraints: one demand row per group (``sum_c x[g, c] = pods[g]``), capacity rows per (class,
    resource) created with a class's first column, and rows on node counts only (pools, zone loss,
    one pod per node) kept with their coefficients for the pricing.
    """

    def __init__(
        self,
        compiled: CompiledProblem,
        groups: list[int],
        pods: np.ndarray,
        usable_scaled: np.ndarray,
        requests_scaled: np.ndarray,
    ) -> None:
        from ortools.linear_solver import pywraplp

        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.infinity = self.solver.infinity()
        self.usable_scaled = usable_scaled
        self.requests_scaled = requests_scaled
        self.node_vars = [
            self.solver.NumVar(0.0, self.infinity, f"nodes[{c.instance_type}/{c.index}]")
            for c in compiled.classes
        ]
        self.demand = {
            g: self.solver.Constraint(float(pods[g]), float(pods[g]), f"demand[{g}]") for g in groups
        }
        self.capacity: dict[tuple[int, int], Any] = {}
        #: Rows on node counts only: (row, coefficient of each class's node count).
        self.other_rows: list[tuple[Any, np.ndarray]] = []
        self.columns: dict[tuple[int, int], tuple[Any, Any | None]] = {}
        self.objective: Any = None

    def capacity_row(self, c: int, r: int) -> Any:
        # Created with a class's first column: without pods, "requests <= usable * nodes" is void.
        if (c, r) not in self.capacity:
            row = self.solver.Constraint(-self.infinity, 0.0, f"capacity[{c},{r}]")
            row.SetCoefficient(self.node_vars[c], -float(self.usable_scaled[c, r]))
            self.capacity[c, r] = row
        return self.capacity[c, r]

    def node_row(self, lower: float, upper: float, coefficients: np.ndarray, name: str) -> None:
        row = self.solver.Constraint(lower, upper, name)
        for c in np.flatnonzero(coefficients):
            row.SetCoefficient(self.node_vars[int(c)], float(coefficients[c]))
        self.other_rows.append((row, coefficients))

    def minimize(self, prices: np.ndarray) -> None:
        """The objective: node cost per hour."""
        self.objective = self.solver.Objective()
        for c, var in enumerate(self.node_vars):
            self.objective.SetCoefficient(var, float(prices[c]))
        self.objective.SetMinimization()

    def add_column(self, g: int, c: int) -> None:
        var = self.solver.NumVar(0.0, self.infinity, f"x[{g},{c}]")
        self.demand[g].SetCoefficient(var, 1.0)
        for r in range(self.requests_scaled.shape[1]):
            if self.requests_scaled[g, r] > 0:
                self.capacity_row(c, r).SetCoefficient(var, float(self.requests_scaled[g, r]))
        self.columns[g, c] = (var, None)


def _node_count_rows(
    lp: _ColumnLp,
    compiled: CompiledProblem,
    groups: list[int],
    pods: np.ndarray,
    hard_cap: np.ndarray,
    floor_rows: list[tuple[np.ndarray, int]] | None,
) -> None:
    """Pool bounds, then zone loss (spare capacity per resource) or one pod per node."""
    infinity = lp.infinity
    classes = compiled.classes
    for pool in compiled.problem.pools:
        if pool.min_nodes or pool.max_nodes is not None:
            members = np.array([1.0 if c.pool == pool.name else 0.0 for c in classes])
            upper = infinity if pool.max_nodes is None else float(pool.max_nodes)
            lp.node_row(float(pool.min_nodes), upper, members, f"pool[{pool.name}]")
    zone_total = len(compiled.problem.zones)
    if floor_rows is None:
        floor_rows = [
            (compiled.class_allowed()[g], int(pods[g])) for g in groups if hard_cap[g] == 1 and pods[g] > 1
        ]
    keep = undominated_classes(compiled)
    one_per_node = [((mask & keep).astype(np.float64), count) for mask, count in floor_rows]
    if compiled.problem.tolerate_zone_loss and zone_total >= 2:
        factor = zone_total / (zone_total - 1)
        # Zone-bound pods (EBS volumes) are not re-placed when their zone is lost: no spare for them.
        # Merged groups lose the flag, so any zone-bound pod makes every pod count once (a relaxation).
        any_bound = any(group.zone_bound for group in compiled.problem.pod_groups)
        scale_by = np.array(
            [1.0 if getattr(compiled.groups[g], "zone_bound", any_bound) else factor for g in groups]
        )
        for r in range(len(compiled.resources)):
            need = float((lp.requests_scaled[groups, r] * pods[groups] * scale_by).sum())
            if need > 0:
                lp.node_row(need, infinity, lp.usable_scaled[:, r].copy(), f"zone_loss[{r}]")
        for i, (mask, count) in enumerate(one_per_node):
            lp.node_row(float(count) * (1.0 if any_bound else factor), infinity, mask, f"zone_loss_one[{i}]")
    else:
        for i, (mask, count) in enumerate(one_per_node):
            # One pod per node (self anti-affinity, a hostPort): at least pods[g] nodes g may use.
            lp.node_row(float(count), infinity, mask, f"one_per_node[{i}]")


def _start_columns(
    lp: _ColumnLp,
    compiled: CompiledProblem,
    groups: list[int],
    allowed: np.ndarray,
    prices: np.ndarray,
    class_usable: np.ndarray,
    requests: np.ndarray,
    full: bool,
) -> bool:
    """Every column when ``full``; else, for each group, the three classes with the lowest price
    per dominant share. False when some group may use no class (the LP is infeasible)."""
    share = np.zeros((len(compiled.groups), len(compiled.classes)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in range(len(compiled.resources)):
            ratio = np.where(class_usable[None, :, r] > 0, requests[:, None, r] / class_usable[None, :, r], 0)
            share = np.maximum(share, ratio)
    price_per_pod = np.where(allowed, share * prices[None, :], np.inf)
    for g in groups:
        if not allowed[g].any():
            return False
        if full:
            for column in np.flatnonzero(allowed[g]):
                lp.add_column(g, int(column))
            continue
        for c in np.argsort(price_per_pod[g], kind="stable")[:3]:
            if allowed[g, c]:
                lp.add_column(g, int(c))
    return True


def _solve_round(lp: _ColumnLp, budget: SolveBudget, iterations_left: int) -> tuple[int, int]:
    """Solve the master LP within the iterations and wall time left; its status and the
    iterations left after it."""
    solver = lp.solver
    solver.SetTimeLimit(max(1, int(budget.left() * 1000)))
    solver.SetSolverSpecificParametersAsString(f"max_number_of_iterations: {iterations_left}")
    with budget.stopping(solver.InterruptSolve):
        status = solver.Solve()
    budget.check()
    return status, iterations_left - solver.iterations()


def _read_back(
    lp: _ColumnLp, compiled: CompiledProblem, allowed: np.ndarray
) -> tuple[LpResult, np.ndarray, np.ndarray, np.ndarray]:
    """The solved LP's fractional solution and reduced costs, with its duals: ``pi[g]`` (demand),
    ``y[c, r]`` (capacity) and ``extra[c]`` (what pool and zone-loss rows pay for one node of c)."""
    classes = compiled.classes
    resources = len(compiled.resources)
    pi = np.array([lp.demand[g].dual_value() if g in lp.demand else 0.0 for g in range(len(compiled.groups))])
    y = np.zeros((len(classes), resources))
    for (c, r), row in lp.capacity.items():
        y[c, r] = min(row.dual_value(), 0.0)
    extra = np.zeros(len(classes))
    for row, coefficients in lp.other_rows:
        extra += row.dual_value() * coefficients
    with_columns = np.zeros(len(classes), dtype=bool)
    for _, c in lp.columns:
        with_columns[c] = True
    reduced = -(lp.requests_scaled @ y.T) - pi[:, None]
    reduced = np.where(allowed & with_columns[None, :], reduced, np.inf)
    result = LpResult(bound=0.0, objective=lp.objective.Value(), reduced=reduced, duals=pi.copy())
    result.capacity_prices = -y
    for (g, c), (var, _) in lp.columns.items():
        value = var.solution_value()
        if value > 1e-9:
            result.pods.setdefault(g, {})[c] = value
    result.nodes = {
        c: var.solution_value() for c, var in enumerate(lp.node_vars) if var.solution_value() > 1e-9
    }
    return result, pi, y, extra


def _price_columns(
    lp: _ColumnLp,
    pi: np.ndarray,
    extra: np.ndarray,
    per_node: np.ndarray,
    allowed: np.ndarray,
    prices: np.ndarray,
    usable_classes: np.ndarray,
    upper: np.ndarray,
    more: bool,
    budget: SolveBudget,
) -> int:
    """Add the columns of every class whose best node is worth more than its price; how many.

    The greedy node first (when ``more`` rounds are allowed); where it finds nothing, the exact
    node LP of each class whose over-estimate ``upper`` leaves doubt, which also tightens
    ``upper`` in place (it runs even without iterations left: it only tightens this round's bound).
    """
    requests_scaled, usable_scaled, columns = lp.requests_scaled, lp.usable_scaled, lp.columns
    added = 0
    if more:
        for c in range(len(prices)):
            value, used = _greedy_node(pi, per_node[:, c], requests_scaled, usable_scaled[c], allowed[:, c])
            if value + extra[c] > prices[c] * (1 + 1e-7):
                for g in used:
                    if (g, c) not in columns:
                        lp.add_column(g, c)
                        added += 1
    if added == 0:
        for c in usable_classes.tolist():
            budget.check()
            if (upper[c] + extra[c]) / prices[c] <= 1 + 1e-6:
                continue
            if budget.out_of_time(LP_STAGE):
                break
            value, used = _node_value_exact(
                pi, per_node[:, c], requests_scaled, usable_scaled[c], allowed[:, c]
            )
            upper[c] = min(upper[c], value * (1 + 1e-9) + 1e-12)
            if value + extra[c] > prices[c] * (1 + 1e-7):
                for g in used:
                    if (g, c) not in columns:
                        lp.add_column(g, c)
                        added += 1
    return added


@dataclass(slots=True)
class _MergedGroups:
    """The few facts of an :class:`CompiledProblem` the LP reads, over merged groups."""

    problem: object
    classes: list
    resources: list[str]
    requests: np.ndarray
    rule_cap: np.ndarray
    rule_cap_is_hard: np.ndarray
    groups: list[int]
    usable: np.ndarray
    allowed: np.ndarray
    fit: np.ndarray

    def class_usable(self) -> np.ndarray:
        return self.usable

    def class_allowed(self) -> np.ndarray:
        return self.allowed

    def class_fit(self) -> np.ndarray:
        return self.fit


#: Significant bits kept of each request when merging groups, finest first: 10 bits round down by
#: under 0.1%, 4 bits by under 6.25%.
MERGE_BITS = (12, 10, 8, 7, 6, 5, 4)


def round_down_to_bits(values: np.ndarray, bits: int) -> np.ndarray:
    """``values`` rounded DOWN to their ``bits`` leading binary digits (relative error below
    ``2**-(bits - 1)``); small counts such as pods or GPUs stay exact.

    >>> round_down_to_bits(np.array([250, 1000, 3 * 2**30 + 12345, 1]), 4).tolist()
    [240, 960, 3221225472, 1]
    """
    values = np.asarray(values, dtype=np.int64)
    exponent = np.floor(np.log2(np.maximum(values, 1))).astype(np.int64)
    shift = np.maximum(exponent - (bits - 1), 0)
    return np.where(values > 0, (values >> shift) << shift, values)


def _merge_groups(
    compiled: CompiledProblem, pods: np.ndarray
) -> tuple[_MergedGroups, np.ndarray, np.ndarray, list[tuple[np.ndarray, int]]] | None:
    """Groups merged for the bound: requests rounded down (:func:`round_down_to_bits`, the finest
    rounding that brings the LP within :data:`FULL_COLUMNS`), then groups with equal rounded
    requests, equal allowed classes and the same kind of per-node cap merged into one.

    This is a relaxation, so its LP bound stays a bound: every plan of the real problem is a plan
    of the rounded one (smaller requests fit wherever the real ones do), and merged groups are
    interchangeable in the LP. A merged group with a hard per-node cap (hostname anti-affinity, a
    host port) may put the SUM of its members' caps on a node, and each member's "one pod per
    node, so at least this many nodes" row is kept as it was (one per allowed set, the largest).
    Returns ``None`` when merging does not shrink the LP.
    """
    groups = np.flatnonzero(pods > 0)
    allowed = compiled.class_allowed()
    keep = undominated_classes(compiled)
    allowed_keys = [np.packbits(allowed[g]).tobytes() for g in range(len(compiled.groups))]
    hard = compiled.rule_cap_is_hard
    width = {int(g): int((allowed[g] & keep).sum()) for g in groups}
    chosen: tuple[np.ndarray, dict[tuple[object, ...], list[int]]] | None = None
    for bits in MERGE_BITS:
        rounded = round_down_to_bits(compiled.requests, bits)
        buckets: dict[tuple[object, ...], list[int]] = {}
        for g in groups:
            key = (rounded[g].tobytes(), bool(hard[g]), allowed_keys[g])
            buckets.setdefault(key, []).append(int(g))
        chosen = (rounded, buckets)
        if sum(width[members[0]] for members in buckets.values()) <= FULL_COLUMNS:
            break
    assert chosen is not None
    rounded, buckets = chosen
    if len(buckets) >= len(groups):
        return None
    members_list = list(buckets.values())
    first = np.array([members[0] for members in members_list])
    requests = rounded[first]
    merged_pods = np.array([int(pods[members].sum()) for members in members_list], dtype=np.int64)
    rule_cap = np.array(
        [
            min(UNLIMITED, int(compiled.rule_cap[members].sum())) if hard[members[0]] else UNLIMITED
            for members in members_list
        ],
        dtype=np.int64,
    )
    member_of = np.full(len(compiled.groups), -1, dtype=np.int64)
    for m, members in enumerate(members_list):
        member_of[members] = m
    from eks_plan.solver.compat import _fit_alone

    usable = compiled.class_usable()
    view = _MergedGroups(
        problem=compiled.problem,
        classes=compiled.classes,
        resources=compiled.resources,
        requests=requests,
        rule_cap=rule_cap,
        rule_cap_is_hard=hard[first].copy(),
        groups=list(range(len(members_list))),
        usable=usable,
        allowed=allowed[first],
        fit=_fit_alone(requests, usable),
    )
    floors: dict[bytes, tuple[np.ndarray, int]] = {}
    for g in groups:
        if hard[g] and compiled.rule_cap[g] == 1 and pods[g] > 1:
            previous = floors.get(allowed_keys[g])
            if previous is None or previous[1] < pods[g]:
                floors[allowed_keys[g]] = (allowed[g], int(pods[g]))
    return view, merged_pods, member_of, [floors[key] for key in sorted(floors)]


def _spread_back(result: LpResult, member_of: np.ndarray, pods: np.ndarray) -> LpResult:
    """The merged LP's answer per original group: each member takes its share of the pods."""
    merged_pods = np.bincount(member_of[member_of >= 0], weights=pods[member_of >= 0])
    spread: dict[int, dict[int, float]] = {}
    for g in np.flatnonzero((member_of >= 0) & (pods > 0)):
        m = int(member_of[g])
        share = float(pods[g]) / float(merged_pods[m])
        if m in result.pods:
            spread[int(g)] = {c: value * share for c, value in result.pods[m].items()}
    reduced = None
    duals = None
    if result.duals is not None:
        duals = np.zeros(len(member_of))
        rows = member_of >= 0
        duals[rows] = result.duals[member_of[rows]]
    if result.reduced is not None:
        reduced = np.full((len(member_of), result.reduced.shape[1]), np.inf)
        rows = member_of >= 0
        reduced[rows] = result.reduced[member_of[rows]]
    return LpResult(
        bound=result.bound,
        objective=result.objective,
        pods=spread,
        nodes=result.nodes,
        reduced=reduced,
        duals=duals,
        converged=result.converged,
        feasible=result.feasible,
        row_value=result.row_value,
        row_extra=result.row_extra,
        capacity_prices=result.capacity_prices,
    )


def _farley_on_real_requests(
    compiled: CompiledProblem, pods: np.ndarray, merged: LpResult, budget: SolveBudget | None
) -> float:
    """Farley's bound on the real problem from the merged LP's duals: the merged LP rounds
    requests DOWN, so its value misses what the rounding took off (4% of the cpu at 100,000 pods
    over every current type); priced at the real requests, its duals prove more.

    For duals ``pi`` on the demand rows and ``mu >= 0`` on the rows on node counts (every one of
    them holds for the real problem: the merged rows are relaxations of real ones), every plan
    costs at least ``(pi . pods + mu . b) / rho`` where ``rho = max_c (v[c] + extra[c]) / price[c]``,
    ``v[c]`` the most ``pi``-value one node of class ``c`` holds with the REAL requests and
    per-node caps, ``extra[c]`` what the rows pay for it (Lagrangian duality, the duals scaled by
    ``1 / rho``; ``rho`` may be below 1: real pods fill a node with less value than rounded ones).
    ``v[c]`` is over-estimated by LP duality (:func:`_node_value_upper`) for every class, then
    computed exactly (:func:`_node_value_exact`) from the highest ratio down until the next
    over-estimate is below the best exact ratio. Dominated classes hold no more for no less.

    Example: 10 pods of 1,000m and 10 of 1,001m on nodes of 4,000m at $1/h, merged and rounded
    down to 960m: the merged LP needs 20 x 960 / 4,000 = 4.8 nodes ($4.80/h), a cpu-millicore
    costs it $1/4,000. Re-priced at the real requests (:func:`_real_duals`) the pods are worth
    $0.25 and $0.25025; no node holds more than its $1 of them (rho = 1), so every plan costs at
    least 10 x 0.25 + 10 x 0.25025 = $5.0025/h, the real LP's value
    (``tests/solver/test_bound_rounding.py``).
    """
    assert merged.duals is not None
    classes = compiled.classes
    prices = np.array([c.price for c in classes])
    allowed = compiled.class_allowed() & undominated_classes(compiled)[None, :]
    allowed &= (pods > 0)[:, None]
    extra = merged.row_extra if merged.row_extra is not None else np.zeros(len(classes))
    usable_scaled, requests_scaled = _scaled(compiled)
    _, per_node = _per_node_limits(compiled)
    pi = _real_duals(merged, allowed, requests_scaled)
    if (prices[allowed.any(axis=0)] <= 0).any():
        return 0.0  # a free node holds value for nothing: no finite rho, no bound from here
    candidates = np.flatnonzero(allowed.any(axis=0))
    if len(candidates) == 0:
        return 0.0
    upper = np.array(
        [
            _node_value_upper(
                pi,
                per_node[:, c],
                requests_scaled,
                usable_scaled[c],
                allowed[:, c],
                np.zeros(usable_scaled.shape[1]),
            )
            for c in candidates.tolist()
        ]
    )
    ratio_upper = (upper + extra[candidates]) / prices[candidates]
    best = -math.inf
    for i in np.argsort(-ratio_upper, kind="stable").tolist():
        if ratio_upper[i] <= best:
            break
        if budget is not None:
            budget.check()
        c = int(candidates[i])
        exact, _ = _node_value_exact(pi, per_node[:, c], requests_scaled, usable_scaled[c], allowed[:, c])
        value = min(float(upper[i]), exact * (1 + 1e-9) + 1e-12)
        best = max(best, (value + float(extra[c])) / float(prices[c]))
    dual_objective = float((pi * np.where(pods > 0, pods, 0)).sum()) + merged.row_value
    if best <= 0 or dual_objective <= 0:
        return 0.0
    return dual_objective / best * (1 - SAFETY)


def _real_duals(merged: LpResult, allowed: np.ndarray, requests_scaled: np.ndarray) -> np.ndarray:
    """A dual per real group: what its real requests cost at the merged LP's capacity prices on
    the cheapest class for it, ``min_c sum_r w[c, r] * request[g, r]`` (the most the real LP's
    dual constraints for ``g``'s columns allow, given ``w``), and never less than its merged
    group's dual. A member whose requests were rounded down is worth more than its merged group
    (its pods take more room); one whose requests were not keeps the merged dual. Any duals give a
    valid bound through Farley's ``rho``; these make it tight where the rounding bit.
    """
    assert merged.duals is not None
    pi = merged.duals.copy()
    if merged.capacity_prices is None:
        return pi
    prices = merged.capacity_prices  # [c, r]
    priced = np.asarray((prices > 0).any(axis=1), dtype=bool)
    cost = requests_scaled @ prices.T  # [g, c]
    usable = allowed & priced[None, :]
    cheapest = np.where(usable, cost, np.inf).min(axis=1)
    return np.where(np.isfinite(cheapest), np.maximum(pi, cheapest), pi)


def _node_value_exact(
    pi: np.ndarray, per_node: np.ndarray, requests: np.ndarray, usable: np.ndarray, allowed: np.ndarray
) -> tuple[float, list[int]]:
    """The most ``pi``-value one node can hold (fractional, per-node limits), by GLOP."""
    from ortools.linear_solver import pywraplp

    candidates = np.flatnonzero(allowed & (pi > 1e-12) & (per_node > 0))
    if len(candidates) == 0:
        return 0.0, []
    solver = pywraplp.Solver.CreateSolver("GLOP")
    amounts = [solver.NumVar(0.0, float(min(per_node[g], 1e12)), "") for g in candidates]
    for r in range(len(usable)):
        row = solver.Constraint(-solver.infinity(), float(usable[r]))
        for var, g in zip(amounts, candidates, strict=True):
            if requests[g, r] > 0:
                row.SetCoefficient(var, float(requests[g, r]))
    objective = solver.Objective()
    for var, g in zip(amounts, candidates, strict=True):
        objective.SetCoefficient(var, float(pi[g]))
    objective.SetMaximization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return float("inf"), []
    used = [int(g) for var, g in zip(amounts, candidates, strict=True) if var.solution_value() > 1e-9]
    return objective.Value(), used


def _active_side(row: object) -> float:
    """The bound of a range row that its dual prices: the lower one for a positive dual, the upper
    one for a negative dual (0 for a zero dual, whose other side may be infinite)."""
    dual = row.dual_value()  # type: ignore[attr-defined]
    if dual > 0:
        return row.lb()  # type: ignore[attr-defined]
    if dual < 0:
        return row.ub()  # type: ignore[attr-defined]
    return 0.0


def _greedy_node(
    pi: np.ndarray, per_node: np.ndarray, requests: np.ndarray, usable: np.ndarray, allowed: np.ndarray
) -> tuple[float, list[int]]:
    """A good (not always best) fractional filling of one node by value ``pi`` per pod: the
    pricing step of the column generation. Returns its value and the groups it uses."""
    candidates = np.flatnonzero(allowed & (pi > 1e-12) & (per_node > 0))
    if len(candidates) == 0 or (usable <= 0).any():
        return 0.0, []
    share = (requests[candidates] / usable[None, :]).max(axis=1)
    order = candidates[np.argsort(-(pi[candidates] / np.maximum(share, 1e-12)), kind="stable")]
    room = usable.copy()
    value = 0.0
    used = []
    for g in order:
        need = requests[g]
        positive = need > 0
        most = float((room[positive] / need[positive]).min()) if positive.any() else float(per_node[g])
        take = min(float(per_node[g]), most)
        if take <= 1e-12:
            continue
        room -= need * take
        value += pi[g] * take
        used.append(int(g))
        if (room <= 1e-12).any():
            break
    return value, used


def _node_value_upper(
    pi: np.ndarray,
    per_node: np.ndarray,
    requests: np.ndarray,
    usable: np.ndarray,
    allowed: np.ndarray,
    start: np.ndarray,
) -> float:
    """An upper bound on the most value ``pi`` one node can hold (fractional, per-node limits).

    By LP duality, for any prices ``w >= 0`` on the resources, the value is at most
    ``sum_r usable[r] * w[r] + sum_g per_node[g] * max(0, pi[g] - requests[g] . w)``; coordinate
    descent picks a good ``w`` (any ``w`` gives a valid bound).
    """
    mask = allowed & (pi > 0) & (per_node > 0)
    if not mask.any():
        return 0.0
    values, caps, needs = pi[mask], np.minimum(per_node[mask], 1e12), requests[mask]
    w = np.maximum(start, 0.0).astype(np.float64)

    def total(prices: np.ndarray) -> float:
        return float(usable @ prices + (caps * np.maximum(0.0, values - needs @ prices)).sum())

    best = total(w)
    for _ in range(4):
        for r in range(len(usable)):
            if usable[r] <= 0:
                continue
            others = values - needs @ w + needs[:, r] * w[r]
            column = needs[:, r]
            active = (column > 0) & (others > 0)
            if not active.any():
                w[r] = 0.0
                continue
            breakpoints = others[active] / column[active]
            weights = caps[active] * column[active]
            order = np.argsort(-breakpoints, kind="stable")
            cumulative = np.cumsum(weights[order])
            reach = np.flatnonzero(cumulative >= usable[r])
            w[r] = float(breakpoints[order][reach[0]]) if len(reach) else 0.0
            best = min(best, total(w))
    return best


def undominated_classes(compiled: CompiledProblem) -> np.ndarray:
    """``[c]``: no other class of the same pool, usable by the same groups, is at most as dear and
    at least as big in every resource. Dropping dominated classes leaves the relaxation's optimum
    unchanged (a dominated class's nodes can be swapped for the dominating class's one for one),
    and it shrinks the LP several-fold: many instance types are an older generation at the same
    price and size.
    """
    classes = compiled.classes
    usable = compiled.class_usable()
    allowed = compiled.class_allowed()
    prices = np.array([c.price for c in classes])
    buckets: dict[tuple[str, bytes], list[int]] = {}
    for c, option_class in enumerate(classes):
        buckets.setdefault((option_class.pool, np.packbits(allowed[:, c]).tobytes()), []).append(c)
    return _undominated(buckets.values(), prices, usable)


def integer_zone_bound(
    compiled: CompiledProblem,
    placeable: Sequence[int],
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
    budget: SolveBudget | None = None,
    wall: float | None = None,
) -> float:
    """A lower bound from an INTEGER relaxation with nodes counted per (class, zone), by CP-SAT.

    The linear relaxation above buys fractions of nodes and ignores zones, so it is loose when
    zone rules split small workloads: 6 pods with zone spread over 3 zones need a node in every
    zone (3 x c7i.large, $0.2679/h), while the LP buys 1.3 nodes' worth ($0.1770/h). This model
    keeps whole nodes per zone and the zone rules that bound a zone's share of a group:

    * zone spread (DoNotSchedule, counting only the group's own pods, ``s = maxSkew`` over ``Z``
      eligible zones): the least loaded zone holds at least ``ceil((N - (Z-1) s) / Z)`` of its
      ``N`` pods, since every zone holds at most that minimum plus ``s``;
    * zone anti-affinity with itself: at most one pod per zone;
    * per node: at most as many pods of a group as fit an empty node, and the group's hard rule
      cap (hostname anti-affinity, a host port);
    * node pool bounds.

    It stays a relaxation of every plan: requests are rounded down and capacities up (to MiB),
    prices down (to micro-dollars), classes are only dropped when another class of the same pool,
    usable by the same groups and offered in every zone it is, is as big and no dearer (a plan's
    node of the first can be swapped for one of the second), and CP-SAT's proven objective bound
    is used, never its solution. Returns 0.0 when the problem is out of its scope (zone loss asked,
    or too big for ``time_limit``). ``time_limit`` is CP-SAT's deterministic time; ``budget``
    and ``wall`` (seconds) give the wall-clock safety net and the cancellation token.
    """
    from ortools.sat.python import cp_model

    scope = _integer_scope(compiled, placeable, time_limit)
    if scope is None:
        return 0.0
    groups, zones, classes = scope
    requests, capacity = _relaxed_units(compiled)
    class_fit = compiled.class_fit()
    per_node = np.minimum(
        class_fit, np.where(compiled.rule_cap_is_hard, compiled.rule_cap, UNLIMITED)[:, None]
    )
    lower, upper = _zone_share_limits(compiled, placeable, zones)

    model = cp_model.CpModel()
    pods, members = _zone_bound_pods(model, compiled, placeable, groups, zones, classes, per_node, upper)
    nodes = _zone_bound_nodes(model, compiled, placeable, members, pods, per_node, requests, capacity)
    if not _zone_bound_demand(model, placeable, groups, zones, pods, lower, upper):
        return 0.0
    for pool in compiled.problem.pools:
        in_pool = [var for (c, _), var in nodes.items() if compiled.classes[c].pool == pool.name]
        if pool.max_nodes is not None and in_pool:
            model.add(sum(in_pool) <= pool.max_nodes)
        if pool.min_nodes:
            model.add(sum(in_pool) >= pool.min_nodes)
    model.minimize(
        sum(math.floor(compiled.classes[c].price * 1_000_000) * var for (c, _), var in nodes.items())
    )
    if budget is None:
        budget = SolveBudget(WALL_FACTOR * time_limit + 1.0, time_limit)

    def lp_cuts(parameters: Any) -> None:
        parameters.linearization_level = 2  # LP cuts: the bound, not a solution, is wanted

    solver, status = run_cp_sat(
        model,
        budget,
        INTEGER_BOUND_STAGE,
        work=time_limit,
        workers=workers,
        seed=seed,
        wall=wall,
        tune=lp_cuts,
    )
    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        return 0.0
    return max(0.0, float(solver.best_objective_bound) / 1_000_000 * (1 - SAFETY))


def _integer_scope(
    compiled: CompiledProblem, placeable: Sequence[int], time_limit: float
) -> tuple[list[int], list[int], list[int]] | None:
    """The groups, zones and classes of the integer bound, or None when it is out of its scope."""
    problem = compiled.problem
    groups = [g for g, count in enumerate(placeable) if count > 0]
    if not groups or problem.tolerate_zone_loss or time_limit < 0.1:
        return None
    zones = [z for z, name in enumerate(compiled.zones) if name in problem.zones]
    if len(groups) * len(zones) * min(len(compiled.classes), 10) > MAX_INTEGER_PAIRS:
        return None  # too big, and the checks below cost seconds at 3,000 groups
    keep = _undominated_in_every_zone(compiled)
    allowed_class = compiled.class_allowed()
    classes = [c for c in range(len(compiled.classes)) if keep[c] and allowed_class[groups, c].any()]
    pairs = sum(int(allowed_class[g, classes].sum()) for g in groups) * len(zones)
    if pairs > MAX_INTEGER_PAIRS:
        return None
    return groups, zones, classes


def _relaxed_units(compiled: CompiledProblem) -> tuple[np.ndarray, np.ndarray]:
    """Requests ``[g, r]`` rounded down and class capacities ``[c, r]`` rounded up, bytes in MiB
    (the relaxation's side, the opposite of the plan search's)."""
    from eks_plan.resources import is_byte_resource

    byte = np.array([is_byte_resource(name) for name in compiled.resources])
    requests = np.where(byte[None, :], compiled.requests // MIB_BYTES, compiled.requests)
    class_usable = compiled.class_usable()
    capacity = np.where(byte[None, :], -(-class_usable // MIB_BYTES), class_usable)
    return requests, capacity


def _zone_bound_pods(
    model: Any,
    compiled: CompiledProblem,
    placeable: Sequence[int],
    groups: list[int],
    zones: list[int],
    classes: list[int],
    per_node: np.ndarray,
    upper: list[dict[int, int]],
) -> tuple[dict[tuple[int, int, int], Any], dict[tuple[int, int], list[int]]]:
    """Variables: pods per (group, class, zone) where the group may run, and the groups of each
    (class, zone)."""
    pods: dict[tuple[int, int, int], Any] = {}
    members: dict[tuple[int, int], list[int]] = defaultdict(list)
    for g in groups:
        for c in classes:
            if int(per_node[g, c]) <= 0:
                continue
            option_class = compiled.classes[c]
            for o, z in zip(option_class.options, option_class.zones, strict=True):
                if z in zones and compiled.allowed[g, o] and upper[g].get(z, 1) > 0:
                    pods[g, c, z] = model.new_int_var(0, int(placeable[g]), "")
                    members[c, z].append(g)
    return pods, members


def _zone_bound_nodes(
    model: Any,
    compiled: CompiledProblem,
    placeable: Sequence[int],
    members: dict[tuple[int, int], list[int]],
    pods: dict[tuple[int, int, int], Any],
    per_node: np.ndarray,
    requests: np.ndarray,
    capacity: np.ndarray,
) -> dict[tuple[int, int], Any]:
    """Nodes per (class, zone), each with its capacity and per-node rows."""
    nodes = {}
    for (c, z), in_node in members.items():
        most = sum(math.ceil(int(placeable[g]) / int(per_node[g, c])) for g in in_node)
        nodes[c, z] = model.new_int_var(0, most, "")
        for r in range(len(compiled.resources)):
            terms = [(int(requests[g, r]), pods[g, c, z]) for g in in_node if requests[g, r] > 0]
            if terms:
                model.add(sum(a * v for a, v in terms) <= int(capacity[c, r]) * nodes[c, z])
        for g in in_node:
            k = int(per_node[g, c])
            if k < int(placeable[g]):
                model.add(pods[g, c, z] <= k * nodes[c, z])
    return nodes


def _zone_bound_demand(
    model: Any,
    placeable: Sequence[int],
    groups: list[int],
    zones: list[int],
    pods: dict[tuple[int, int, int], Any],
    lower: list[dict[int, int]],
    upper: list[dict[int, int]],
) -> bool:
    """Every group's pods placed, within its zone shares; False when a group cannot be."""
    for g in groups:
        columns = [var for (h, _, _), var in pods.items() if h == g]
        if not columns:
            return False
        model.add(sum(columns) == int(placeable[g]))
        for z in zones:
            in_zone = [var for (h, _, y), var in pods.items() if h == g and y == z]
            if lower[g].get(z, 0) > 0:
                if not in_zone:
                    return False
                model.add(sum(in_zone) >= lower[g][z])
            if z in upper[g] and in_zone:
                model.add(sum(in_zone) <= upper[g][z])
    return True


MIB_BYTES = 2**20
#: Most (group, class, zone) variables the integer bound is tried with.
MAX_INTEGER_PAIRS = 4_000


def _zone_share_limits(
    compiled: CompiledProblem, placeable: Sequence[int], zones: list[int]
) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """Per group, the fewest and the most pods every plan puts in each zone (see
    :func:`integer_zone_bound`)."""
    lower: list[dict[int, int]] = [{} for _ in compiled.groups]
    upper: list[dict[int, int]] = [{} for _ in compiled.groups]
    for g, count in enumerate(placeable):
        if compiled.zone_anti_self[g]:
            upper[g] = {z: 1 for z in zones}
        for s in compiled.spreads_counting[g]:
            spread = compiled.spreads[s]
            if spread.hostname or spread.members != frozenset({g}) or spread.owner != g:
                continue
            eligible = [z for z in spread.eligible_zones if z in zones]
            if not eligible or (spread.min_domains is not None and len(eligible) < spread.min_domains):
                continue
            allowed = {int(compiled.option_zone[o]) for o in np.flatnonzero(compiled.allowed[g])}
            if not set(eligible) <= allowed:
                continue  # a domain the group cannot use holds the minimum at 0: no share is forced
            least = -(-(int(count) - (len(eligible) - 1) * spread.max_skew) // len(eligible))
            for z in eligible:
                lower[g][z] = max(lower[g].get(z, 0), least)
    return lower, upper


def _undominated_in_every_zone(compiled: CompiledProblem) -> np.ndarray:
    """:func:`undominated_classes`, but only between classes offered in the same zones and allowed
    to the same groups in each zone, so that a node of one swaps for a node of the other in place."""
    classes = compiled.classes
    usable = compiled.class_usable()
    prices = np.array([c.price for c in classes])
    buckets: dict[tuple[object, ...], list[int]] = {}
    for c, option_class in enumerate(classes):
        per_zone = tuple(
            sorted(
                (z, np.packbits(compiled.allowed[:, o]).tobytes())
                for o, z in zip(option_class.options, option_class.zones, strict=True)
            )
        )
        buckets.setdefault((option_class.pool, per_zone), []).append(c)
    return _undominated(buckets.values(), prices, usable)


def _undominated(buckets: Iterable[list[int]], prices: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Which classes to keep: within each bucket of interchangeable classes, drop every class that
    another one dominates (no dearer and at least as large in every resource, strictly better in one,
    or equal with a lower index).

    >>> _undominated([[0, 1, 2]], np.array([1.0, 2.0, 1.0]), np.array([[4, 8], [4, 8], [2, 8]]))
    array([ True, False, False])
    """
    keep = np.ones(len(prices), dtype=bool)
    for members in buckets:
        if len(members) < 2:
            continue
        index = np.array(members)
        price, size = prices[index], usable[index]
        # dominates[i, j]: member i dominates member j
        cheaper = price[:, None] <= price[None, :]
        bigger = (size[:, None, :] >= size[None, :, :]).all(axis=2)
        strictly = (price[:, None] < price[None, :]) | (size[:, None, :] > size[None, :, :]).any(axis=2)
        tie_break = index[:, None] < index[None, :]
        dominates = cheaper & bigger & (strictly | tie_break)
        np.fill_diagonal(dominates, False)
        keep[index[dominates.any(axis=0)]] = False
    return keep
