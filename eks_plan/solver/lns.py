"""Large-neighbourhood search over concrete nodes: re-pack a few nodes of one or two zones exactly.

The per-class decision (LP or CP-SAT) and the first-fit packer leave waste that no per-class
model sees: a zone whose share of the pods needs 19.4 vCPU gets a 32-vCPU node where a 16-vCPU
and a 4-vCPU node would do, and nodes opened for one-per-node workloads stay half empty. This
pass takes a packed plan and repeats, while its budget lasts:

1. pick a *neighbourhood*: a few nodes of one zone (or, in small plans and once every zone is
   done alone, of two zones), led by a node that wastes much money, among a seeded random choice
   of the worst, plus other wasteful or random nodes. A node's waste is its price less the LP's
   dual value of its pods (with no LP: its price times the unused share of its fullest resource),
   so a node full of cpu but half empty of memory counts as wasteful;
2. free their pods and solve, with CP-SAT, the exact packing of just those pods into at most as
   many new nodes (plus one per zone) of any type the zone offers: which type each node is, how many
   pods of each group it holds (every resource, node selector and taints, per-node rule caps
   from hostname anti-affinity, host ports and hostname spread, conflicts between groups, node
   pool bounds);
3. keep the result when it is cheaper.

A workload whose only per-node rule is its own hostname spread (maxSkew ``s``) is held to the
rule itself, not to the packer's cap of ``s`` pods per node: a node may hold the least count of
any node of the plan plus ``s``. Spread over every node, 50 replicas with maxSkew 2 may sit 5 to a
node; the packer's cap makes that 2 (the Karpenter examples corpus: $4.36/h -> $3.44/h, where a
Karpenter-style packing needs $4.28/h). A move that would leave such a workload out of a new node
while another node holds more than ``s`` of it is not tried.

Pods of groups under a zone rule (zone spread, zone affinity and anti-affinity, or counted by
another group's) keep their per-zone counts, so every zone rule holds as before; other pods may
change zone in a two-zone move. Nodes holding a group with required pod affinity on hostname (or
a target of one) are left alone, since moving them would need the whole affinity chain. Plans
that must survive the loss of a zone are not searched: their spare nodes are sized from the
packing this would change.

Only the node types that could appear in a cheaper answer enter a sub-model: types of the zone
that no other type of the same pool dominates (as big in every resource, no dearer, allowed to
the same groups), and cheaper than the nodes being replaced.

Determinism: the seed drives the neighbourhood choice, each sub-model runs on one worker with a
deterministic time limit, and the budget is counted in CP-SAT deterministic time plus a fixed
charge per model, so the same input makes the same moves; the wall-clock deadline is only a safety
net for a slow machine.

Example: three 500m pods spread one per node over three 2-cpu nodes become one node::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.compat import compile_problem
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> pod = PodSpec("shop", (("app", "web"),), Resources({"cpu": 500, "pods": 1}))
    >>> node = NodeOption("default", "m.large", "a", "on-demand", 0.1, Resources({"cpu": 2000, "pods": 29}))
    >>> compiled = compile_problem(Problem((PodGroup("Deployment/shop/web", 3, pod),), (node,), ("a",)))
    >>> nodes = [LnsNode(0, 0, {0: 1}) for _ in range(3)]
    >>> better = improve_nodes(compiled, nodes, budget=2.0, deadline=float("inf"))
    >>> [(n.option, n.pods) for n in better]
    [(0, {0: 3})]
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eks_plan.solver.budget import SolveBudget, run_cp_sat
from eks_plan.solver.compat import UNLIMITED, CompiledProblem

MICRO = 1_000_000
SEARCH_STAGE = "large-neighbourhood search"
#: Budget charged per sub-model on top of CP-SAT's deterministic time, roughly the seconds Python
#: spends building and reading one model of a few hundred variables.
MODEL_CHARGE = 0.01
#: Wall seconds per CP-SAT deterministic second for these small one-worker models, measured on the
#: 2-core benchmark machine (0.47 s wall per 0.18 deterministic s with model building).
WORK_FACTOR = 2.6
#: Most nodes in one neighbourhood, and most (group, slot) pairs in one sub-model.
MAX_NEIGHBOURHOOD = 5
MAX_PAIRS = 1_500
SUB_MODEL_SECONDS = 0.1
#: Share of the neighbourhoods taken from two zones (pods free of zone rules may change zone).
CROSS_ZONE_SHARE = 0.3
#: ... in plans of at most this many nodes; bigger plans move pods across zones only once every
#: zone is done alone (measured: the shop sample $4.00 -> $3.92/h and the Karpenter examples corpus
#: $3.44 -> $3.37/h with them; at 1,000 pods they only took time from single-zone moves).
CROSS_ZONE_NODES = 40


@dataclass(slots=True)
class LnsNode:
    """A node of the plan being improved: its option, zone and pods per group."""

    option: int
    zone: int
    pods: dict[int, int] = field(default_factory=dict)


def improve_nodes(
    compiled: CompiledProblem,
    nodes: Sequence[LnsNode],
    *,
    budget: float,
    deadline: float,
    seed: int = 0,
    pod_values: np.ndarray | None = None,
    on_improvement: Callable[[float], None] | None = None,
    solve_budget: SolveBudget | None = None,
) -> list[LnsNode]:
    """A cheaper (or the same) set of nodes holding the same pods in the same zones.

    ``budget`` is in deterministic seconds (see the module docstring); ``deadline`` is a
    ``time.monotonic()`` instant after which the search stops whatever the budget says.
    ``on_improvement`` receives the new total cost after each accepted move. ``pod_values`` (the
    LP's dual price of one pod of each group, $/hour) measure a node's waste as its price less
    the value of its pods: a node full of cpu but half empty of memory wastes half its memory's
    worth, which the unused share of its fullest resource does not show. ``solve_budget`` holds
    the cancellation token and records a stop by ``deadline`` (the wall clock) as a cut stage.
    """
    tracker = solve_budget or SolveBudget(max(0.0, deadline - time.monotonic()), budget)
    search = _Search(compiled, list(nodes), seed, pod_values)
    if not search.nodes:
        return search.nodes
    spent = 0.0
    failures = 0
    while spent < budget and failures < 20 * max(1, len(search.nodes)):
        tracker.check()
        if time.monotonic() >= deadline:
            tracker.note_cut(SEARCH_STAGE)
            break
        chosen = search.neighbourhood()
        if chosen is None:
            break
        improved, work = search.repack(
            chosen, min(SUB_MODEL_SECONDS, max(0.02, budget - spent)), deadline - time.monotonic(), tracker
        )
        spent += work * WORK_FACTOR + MODEL_CHARGE
        if improved:
            failures = 0
            if on_improvement is not None:
                on_improvement(search.cost())
        else:
            failures += 1
    return search.nodes


class _Search:
    def __init__(
        self, compiled: CompiledProblem, nodes: list[LnsNode], seed: int, pod_values: np.ndarray | None
    ) -> None:
        self.compiled = compiled
        self.pod_values = pod_values
        self.rng = random.Random(seed)
        self.prices = np.array([o.price_per_hour for o in compiled.options])
        pinned: set[int] = set()
        for g, targets in enumerate(compiled.host_affinity):
            if targets is not None:
                pinned.add(g)
                pinned.update(targets)
        self.pinned = frozenset(pinned)
        self.nodes = nodes
        self.exhausted: set[tuple[int, ...]] = set()  # zones (one or a pair) re-packed whole, no gain
        self.zone_options = _useful_options(compiled)
        self.pool_max = {p.name: p.max_nodes for p in compiled.problem.pools if p.max_nodes is not None}
        self.pool_min = {p.name: p.min_nodes for p in compiled.problem.pools if p.min_nodes}
        self.multi_spreads = [
            s for s, spread in enumerate(compiled.spreads) if spread.hostname and len(spread.members) > 1
        ]
        # Groups whose only per-node rule is their own hostname spread: a node may hold up to the
        # least loaded node's count plus maxSkew, not just maxSkew (see _balanced_spread).
        self.solo_spread: dict[int, int] = {}
        self._peaks: dict[int, int] | None = None
        for g in range(len(compiled.groups)):
            counting = [compiled.spreads[i] for i in compiled.spreads_counting[g]]
            host = [spread for spread in counting if spread.hostname]
            if (
                len(host) == 1
                and host[0].members == frozenset({g})
                and host[0].owner == g
                and host[0].min_domains is None
                and not compiled.rule_cap_is_hard[g]
                and not compiled.conflicts[g]
            ):
                self.solo_spread[g] = host[0].max_skew

    def cost(self) -> float:
        return float(sum(self.prices[n.option] for n in self.nodes))

    def waste(self, node: LnsNode) -> float:
        if self.pod_values is not None:
            value = sum(float(self.pod_values[g]) * count for g, count in node.pods.items())
            return float(self.prices[node.option]) - value
        usable = self.compiled.usable[node.option].astype(np.float64)
        used = np.zeros_like(usable)
        for g, count in node.pods.items():
            used += self.compiled.requests[g] * count
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(usable > 0, used / usable, 0.0)
        return float(self.prices[node.option] * (1.0 - min(1.0, float(share.max(initial=0.0)))))

    def movable(self, node: LnsNode) -> bool:
        return not any(g in self.pinned for g in node.pods)

    def neighbourhood(self) -> list[int] | None:
        """Indices of a few nodes, led by a wasteful one (seeded choice): of one zone, or of two
        zones (:data:`CROSS_ZONE_SHARE` of the time in small plans, and once every zone is done
        alone) so that
        pods free of zone rules may change zone. ``None`` when every zone and pair of zones was
        small enough to re-pack whole and that found nothing cheaper."""
        movable = [i for i, n in enumerate(self.nodes) if self.movable(n)]
        if not movable:
            return None
        zones = sorted({self.nodes[i].zone for i in movable})
        open_zones = [z for z in zones if (z,) not in self.exhausted]
        open_pairs = [(a, b) for a in zones for b in zones if a < b and (a, b) not in self.exhausted]
        share = CROSS_ZONE_SHARE if len(movable) <= CROSS_ZONE_NODES else 0.0
        cross = bool(open_pairs) and (not open_zones or (share > 0 and self.rng.random() < share))
        if not cross and not open_zones:
            return None
        allowed_zones = set(open_zones) if not cross else {z for pair in open_pairs for z in pair}
        candidates = [i for i in movable if self.nodes[i].zone in allowed_zones]
        wastes = {i: self.waste(self.nodes[i]) for i in candidates}
        ranked = sorted(candidates, key=lambda i: (-wastes[i], i))
        lead = ranked[self.rng.randrange(min(len(ranked), 6))]
        zone = self.nodes[lead].zone
        if cross:
            partners = [b if a == zone else a for a, b in open_pairs if zone in (a, b)]
            other = partners[self.rng.randrange(len(partners))]
            both = [i for i in movable if i != lead and self.nodes[i].zone in (zone, other)]
            if len(both) < MAX_NEIGHBOURHOOD + 3:
                return sorted([lead, *both])  # both zones whole
            same_zone = [i for i in ranked if i != lead and self.nodes[i].zone == zone]
            elsewhere = [i for i in movable if self.nodes[i].zone == other]
            elsewhere.sort(key=lambda i: (-self.waste(self.nodes[i]), i))
            size = self.rng.randint(1, MAX_NEIGHBOURHOOD - 1)
            chosen = [lead, *same_zone[: self.rng.randint(0, 2)], *elsewhere[:size]]
            return sorted(set(chosen))
        same_zone = [i for i in ranked if i != lead and self.nodes[i].zone == zone]
        if len(same_zone) < MAX_NEIGHBOURHOOD:
            return sorted([lead, *same_zone])  # the whole zone at once
        size = self.rng.randint(2, MAX_NEIGHBOURHOOD)
        chosen = [lead]
        pool = same_zone[: max(3 * size, 12)]
        while len(chosen) < size and (pool or same_zone):
            source = pool if pool and self.rng.random() < 0.7 else same_zone
            pick = source[self.rng.randrange(len(source))]
            if pick in pool:
                pool.remove(pick)
            if pick in same_zone:
                same_zone.remove(pick)
            chosen.append(pick)
        return sorted(chosen)

    def _balanced_spread(
        self, model: Any, groups: list[int], chosen: set[int]
    ) -> dict[int, tuple[Any, int]] | None:
        """For each freed group with a hostname spread of its own (maxSkew ``s``), a variable for the
        least count of its pods on any node of the plan after the move, with the nodes kept:
        every node holds at most that least count plus ``s`` (kube-scheduler's skew, with every
        node of the plan taken as eligible, which only lowers the least count), and the kept
        nodes' counts fix its range. A group absent from some kept node has a least count of 0,
        which is the plain cap of ``s`` per node. ``None`` when the move cannot keep a group that
        already holds more than ``s`` pods on a node within its skew (the new nodes would be
        eligible nodes without its pods)."""
        result: dict[int, tuple[object, int]] = {}
        kept = [n for i, n in enumerate(self.nodes) if i not in chosen]
        freed = set(groups)
        for g, most in self.spread_peaks().items():
            if most > self.solo_spread[g] and g not in freed:
                return None
        for g in groups:
            skew = self.solo_spread.get(g)
            if skew is None:
                continue
            raised = self.spread_peaks().get(g, 0) > skew
            counts = [n.pods.get(g, 0) for n in kept]
            most_kept = max(counts, default=0)
            least_kept = min(counts, default=UNLIMITED)
            low, high = max(0, most_kept - skew), min(least_kept, UNLIMITED)
            high = min(high, sum(n.pods.get(g, 0) for i, n in enumerate(self.nodes) if i in chosen))
            if high <= 0 or low > high:
                if raised:
                    return None
                continue
            result[g] = (model.new_int_var(low, high, f"least[{g}]"), skew)  # type: ignore[attr-defined]
        return result

    def spread_peaks(self) -> dict[int, int]:
        """The most pods of each solo-spread group on one node of the plan (cached per plan)."""
        if self._peaks is None:
            peaks: dict[int, int] = {}
            for node in self.nodes:
                for g, count in node.pods.items():
                    if g in self.solo_spread and count > peaks.get(g, 0):
                        peaks[g] = count
            self._peaks = peaks
        return self._peaks

    def repack(
        self, chosen: list[int], seconds: float, wall: float, tracker: SolveBudget
    ) -> tuple[bool, float]:
        """Solve the exact packing of the chosen nodes' pods (``seconds`` of deterministic time,
        ``wall`` seconds at most); apply it if cheaper.

        In OR-Tools order: the neighbourhood's data (:meth:`_neighbourhood`), each slot's variables
        and constraints (:meth:`_slot`), the demand and spread-balance constraints, the cost with
        its symmetry breaking and the pool bounds, the objective, the old nodes as the hint, the
        solve, and the read-back (:meth:`_apply`).
        """
        from ortools.sat.python import cp_model

        hood = self._neighbourhood(chosen)
        if hood is None:
            return False, 0.0
        model = cp_model.CpModel()
        balanced = self._balanced_spread(model, hood.groups, set(chosen))
        if balanced is None:
            return False, 0.0
        slots = len(hood.slot_zone)
        use = [
            {o: model.new_bool_var(f"use[{j},{o}]") for o in hood.zone_options[hood.slot_zone[j]]}
            for j in range(slots)
        ]
        pods = [self._slot(model, hood, j, use[j], balanced) for j in range(slots)]
        if not _demand_constraints(model, self.compiled, hood, pods):
            return False, 0.0
        for g, (least, skew) in balanced.items():
            for j in range(slots):
                used: Any = sum(use[j].values())
                on_node: Any = pods[j].get(g, 0)
                model.add(on_node <= least + skew)
                model.add(least <= on_node + hood.demand[g] * (1 - used))  # every new node is eligible
        total = self._cost_and_pools(model, hood, use)
        model.add(total <= hood.old_cost - 1)
        model.minimize(total)
        self._hint(model, hood, use, pods)

        solver, status = run_cp_sat(
            model,
            tracker,
            SEARCH_STAGE,
            work=seconds,
            workers=1,
            seed=self.rng.randrange(1 << 30),
            wall=max(0.01, wall),
        )
        work = float(solver.response_proto.deterministic_time)
        whole = len(hood.old) == sum(1 for n in self.nodes if n.zone in hood.zones)
        if status == cp_model.INFEASIBLE and whole and all(self.movable(n) for n in hood.old):
            self.exhausted.add(tuple(hood.zones))  # no cheaper packing of these whole zones exists
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, work
        return self._apply(chosen, hood, solver, use, pods), work

    def _neighbourhood(self, chosen: list[int]) -> _Neighbourhood | None:
        """The chosen nodes' pods and the slots that may replace them: per zone, the options cheaper
        than all the old nodes together plus the old ones, one slot per old node and one more.
        None when there is nothing to move or the model would be too large."""
        compiled = self.compiled
        old = [self.nodes[i] for i in chosen]
        zones = sorted({n.zone for n in old})
        demand: dict[int, int] = defaultdict(int)
        zone_demand: dict[tuple[int, int], int] = defaultdict(int)  # zone-bound groups, per zone
        for node in old:
            for g, count in node.pods.items():
                if count:
                    demand[g] += count
                    if compiled.zone_constrained[g]:
                        zone_demand[g, node.zone] += count
        groups = sorted(demand)
        old_cost = round(sum(float(self.prices[n.option]) for n in old) * MICRO)
        slot_zone: list[int] = []
        zone_options: dict[int, list[int]] = {}
        for zone in zones:
            options = [o for o in self.zone_options.get(zone, []) if self.prices[o] * MICRO < old_cost - 0.5]
            options = [o for o in options if compiled.allowed[groups, o].any()] if groups else []
            old_options = {n.option for n in old if n.zone == zone}
            zone_options[zone] = sorted(set(options) | old_options)
            in_zone = sum(1 for n in old if n.zone == zone)
            slot_zone += [zone] * (in_zone + (1 if in_zone < MAX_NEIGHBOURHOOD else 0))
        if not groups or len(groups) * len(slot_zone) > MAX_PAIRS:
            return None
        return _Neighbourhood(old, zones, demand, zone_demand, groups, old_cost, slot_zone, zone_options)

    def _slot(
        self,
        model: Any,
        hood: _Neighbourhood,
        j: int,
        use: dict[int, Any],
        balanced: dict[int, tuple[Any, int]],
    ) -> dict[int, Any]:
        """Slot ``j``: at most one option, its pods per group (within the rule caps and the zone's
        demand), resources, multi-group hostname spreads and node conflicts; its pods variables."""
        compiled = self.compiled
        demand = hood.demand
        model.add_at_most_one(use.values())
        row = {}
        for g in hood.groups:
            cap = min(demand[g], int(compiled.rule_cap[g]) if compiled.rule_cap[g] < UNLIMITED else demand[g])
            if g in balanced:
                cap = demand[g]
            if compiled.zone_constrained[g]:
                cap = min(cap, hood.zone_demand.get((g, hood.slot_zone[j]), 0))
            allowed = [var for o, var in use.items() if compiled.allowed[g, o]]
            if not allowed or cap <= 0:
                continue
            var = model.new_int_var(0, cap, f"pods[{g},{j}]")
            model.add(var <= cap * sum(allowed))
            row[g] = var
        for r in range(len(compiled.resources)):
            terms = [
                (int(compiled.requests[g, r]), var) for g, var in row.items() if compiled.requests[g, r] > 0
            ]
            if terms:
                model.add(
                    sum(a * v for a, v in terms)
                    <= sum(int(max(compiled.usable[o, r], 0)) * var for o, var in use.items())
                )
        for s in self.multi_spreads:
            members = [var for g, var in row.items() if g in compiled.spreads[s].members]
            if len(members) > 1:
                model.add(sum(members) <= compiled.spreads[s].max_skew)
        for g in row:
            for h in compiled.conflicts[g]:
                if h > g and h in row:
                    hosts_g = model.new_bool_var("")
                    hosts_h = model.new_bool_var("")
                    model.add(row[g] <= demand[g] * hosts_g)
                    model.add(row[h] <= demand[h] * hosts_h)
                    model.add_bool_or([hosts_g.Not(), hosts_h.Not()])
        return row

    def _cost_and_pools(self, model: Any, hood: _Neighbourhood, use: list[dict[int, Any]]) -> Any:
        """The slots' total cost in micro-dollars per hour (dearest slot first in each zone, to
        break symmetry), after adding the pools' node-count bounds less the nodes kept."""
        compiled = self.compiled
        slot_zone, zone_options, old = hood.slot_zone, hood.zone_options, hood.old
        slots = len(slot_zone)
        slot_cost = [
            sum(round(float(self.prices[o]) * MICRO) * var for o, var in use[j].items()) for j in range(slots)
        ]
        for j in range(slots - 1):
            if slot_zone[j] == slot_zone[j + 1]:
                model.add(slot_cost[j] >= slot_cost[j + 1])  # symmetry: dearest node first
        pool_of = {o: compiled.options[o].pool for zone in hood.zones for o in zone_options[zone]}
        counts: defaultdict[str, int] = defaultdict(int)
        for node in self.nodes:
            counts[compiled.options[node.option].pool] += 1
        for node in old:
            counts[compiled.options[node.option].pool] -= 1
        for pool in sorted(set(pool_of.values()) | {compiled.options[n.option].pool for n in old}):
            members = [var for j in range(slots) for o, var in use[j].items() if pool_of[o] == pool]
            if pool in self.pool_max:
                model.add(sum(members) <= self.pool_max[pool] - counts[pool])
            if pool in self.pool_min:
                model.add(sum(members) >= self.pool_min[pool] - counts[pool])
        return sum(slot_cost)

    def _hint(
        self, model: Any, hood: _Neighbourhood, use: list[dict[int, Any]], pods: list[dict[int, Any]]
    ) -> None:
        """The old nodes, dearest first in each zone, in the slots of their zone."""
        ordered: list[LnsNode | None] = []
        for zone in hood.zones:
            zone_nodes = sorted(
                (n for n in hood.old if n.zone == zone), key=lambda n: -float(self.prices[n.option])
            )
            ordered += zone_nodes + [None] * (hood.slot_zone.count(zone) - len(zone_nodes))
        for j in range(len(hood.slot_zone)):
            current = ordered[j]
            for o, var in use[j].items():
                model.add_hint(var, 1 if current is not None and current.option == o else 0)
            for g, var in pods[j].items():
                model.add_hint(var, current.pods.get(g, 0) if current is not None else 0)

    def _apply(
        self,
        chosen: list[int],
        hood: _Neighbourhood,
        solver: Any,
        use: list[dict[int, Any]],
        pods: list[dict[int, Any]],
    ) -> bool:
        """Read the new nodes back; replace the chosen ones by them if they hold every pod and cost
        less."""
        new_nodes = []
        for j in range(len(hood.slot_zone)):
            chosen_option = next((o for o, var in use[j].items() if solver.boolean_value(var)), None)
            if chosen_option is None:
                continue
            content = {g: int(solver.value(var)) for g, var in pods[j].items() if solver.value(var) > 0}
            new_nodes.append(LnsNode(chosen_option, hood.slot_zone[j], content))
        if (
            not _holds(self.compiled, new_nodes, hood.demand)
            or sum(self.prices[n.option] for n in new_nodes) * MICRO >= hood.old_cost
        ):
            return False
        self.exhausted = {key for key in self.exhausted if not set(key) & set(hood.zones)}
        self._peaks = None
        keep = [n for i, n in enumerate(self.nodes) if i not in set(chosen)]
        self.nodes = keep + [n for n in new_nodes if n.pods]
        return True


@dataclass(slots=True)
class _Neighbourhood:
    """What one repack moves: the old nodes and their zones, the pods per group (and per zone for
    zone-constrained groups), their cost in micro-dollars, and the slots (zone of each) with the
    options each zone's slots may take."""

    old: list[LnsNode]
    zones: list[int]
    demand: dict[int, int]
    zone_demand: dict[tuple[int, int], int]
    groups: list[int]
    old_cost: int
    slot_zone: list[int]
    zone_options: dict[int, list[int]]


def _demand_constraints(
    model: Any, compiled: CompiledProblem, hood: _Neighbourhood, pods: list[dict[int, Any]]
) -> bool:
    """Every group's pods placed, per zone for zone-constrained groups; False when some cannot be."""
    slots = range(len(hood.slot_zone))
    for g in hood.groups:
        columns = [pods[j][g] for j in slots if g in pods[j]]
        if not columns:
            return False
        model.add(sum(columns) == hood.demand[g])
        if compiled.zone_constrained[g]:
            for zone in hood.zones:
                zone_columns = [pods[j][g] for j in slots if hood.slot_zone[j] == zone and g in pods[j]]
                if hood.zone_demand.get((g, zone), 0) and not zone_columns:
                    return False
                if zone_columns:
                    model.add(sum(zone_columns) == hood.zone_demand.get((g, zone), 0))
    return True


def _holds(compiled: CompiledProblem, nodes: list[LnsNode], demand: dict[int, int]) -> bool:
    """The sub-model's answer places exactly the freed pods within every node's capacity."""
    placed: dict[int, int] = defaultdict(int)
    for node in nodes:
        used = np.zeros(len(compiled.resources), dtype=np.int64)
        for g, count in node.pods.items():
            if not compiled.allowed[g, node.option]:
                return False
            used += compiled.requests[g] * count
            placed[g] += count
        if (used > compiled.usable[node.option]).any():
            return False
    return dict(placed) == {g: c for g, c in demand.items() if c}


def _useful_options(compiled: CompiledProblem) -> dict[int, list[int]]:
    """Per zone, the options no other option of the zone and pool dominates (no dearer, as big in
    every resource, allowed to the same groups), in index order."""
    by_key: dict[tuple[int, str, bytes], list[int]] = defaultdict(list)
    for o, option in enumerate(compiled.options):
        if option.zone not in compiled.problem.zones:
            continue
        key = (int(compiled.option_zone[o]), option.pool, np.packbits(compiled.allowed[:, o]).tobytes())
        by_key[key].append(o)
    prices = np.array([o.price_per_hour for o in compiled.options])
    result: dict[int, list[int]] = defaultdict(list)
    for (zone, _, _), members in sorted(by_key.items()):
        index = np.array(members)
        price, size = prices[index], compiled.usable[index]
        cheaper = price[:, None] <= price[None, :]
        bigger = (size[:, None, :] >= size[None, :, :]).all(axis=2)
        strictly = (price[:, None] < price[None, :]) | (size[:, None, :] > size[None, :, :]).any(axis=2)
        tie_break = index[:, None] < index[None, :]
        dominates = cheaper & bigger & (strictly | tie_break)
        np.fill_diagonal(dominates, False)
        result[zone].extend(int(o) for o in index[~dominates.any(axis=0)])
    for zone in result:
        result[zone].sort()
    return dict(result)
