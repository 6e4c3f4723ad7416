"""Pattern-based packing: column generation over whole-node configurations, then an integer
master over the generated columns.

The per-class models (:mod:`~eks_plan.solver.model`) decide pods per instance type and leave the
packing to first-fit, which loses several percent (1,000 pods: the packed plan 5% over the bound).
Bin-packing and cutting-stock solvers get close to optimal by working on *patterns* instead: a
pattern is one node, an option (instance type, zone, capacity type, pool) with how many pods of
each workload group it holds. This module builds plans from patterns:

1. **Rows** (:class:`_Rows`): one demand row per group free of zone rules, one per (group, zone)
   for a group under a zone rule, with the per-zone counts of
   :func:`~eks_plan.solver.packing.split_zones` (the packer's zone split, which every zone
   spread, zone anti-affinity and zone affinity already holds), and a row per node pool with a
   maximum node count. Pool minimums are filled afterwards by the caller, as for every plan.
2. **Pricing** (:class:`_Pricer`): for each option that no other option of its zone and pool
   dominates, a knapsack over the groups valued at the master's duals, filled greedily (vectorised
   over the options) in four orders of value density: by the dominant share, and by three mixes
   of the cpu and memory shares of the node. Every per-node rule of the solver's
   :class:`~eks_plan.solver.compat.CompiledProblem` lives inside it: every resource (cpu, memory, pod
   slots, which the node math already sets to the VPC CNI limit, and extended resources such as
   GPUs), allocatable after DaemonSets, node selectors and taints (``allowed``), one pod per node
   from hostname anti-affinity or a hostPort and the hostname spread caps (``rule_cap``, and
   spreads counting several groups), and conflicts between groups (anti-affinity and hostPorts).
   :func:`node_accepts` re-checks every column on the same definitions before it enters the
   master; the tests check every column against the independent verifier.
3. **Column generation** (:func:`column_generation`): the LP master (GLOP through
   ``pywraplp``), started from the incumbent plan's nodes and one artificial column per row, the
   first columns priced at the per-class LP's duals, then priced at smoothed duals (Wentges: a
   convex combination of the previous pricing point and the LP's duals; when the smoothed point
   finds no column the LP's own duals are priced). When the greedy knapsacks find no column at
   the LP's duals either, exact knapsacks (CP-SAT, :meth:`_Pricer.exact`) price the
   :data:`EXACT_OPTIONS` options whose fractional upper bound (:meth:`_Pricer.upper_values`) is
   highest against their price; only when they find none either has the master converged. One
   master over every row also prices exactly when the greedy's columns stall its LP
   (:data:`STALL`). A batch's master (below) first rounds each option's linear relaxation
   (:meth:`_Pricer.rounded`: all options whose surrogate bound prices out, in one GLOP model) and
   runs the CP-SAT knapsacks only when the rounded nodes price out nothing. The greedy fills miss
   mixes that use both cpu and memory of a big node to the full: at the greedy's convergence on a
   185-row batch at 10,000 pods over every current type, an exact knapsack still found an
   m6g.16xlarge node worth 1.14 times its price, and column generation with exact knapsacks for
   every option took that batch's LP from $171.09/h to $160.43/h in 11 rounds (about 7 s of
   CP-SAT per round: too slow for the solve's budget, hence the few options per round).
   Measured with the solve's deterministic work, seed 0 (before -> after): $45.56/h -> $44.94/h
   on Karpenter's default types at 1,000 pods, $38.47/h -> $38.30/h over every current type; at
   10,000 pods $547.81/h -> $546.42/h and $514.48/h -> $512.73/h.
   The rounded relaxations then took 10,000 pods to $545.49/h and $511.67/h (every current type,
   seeds 0-2: $512.94/h -> $512.06/h, each seed cheaper), 100,000 pods (work 120) from $4,923.68/h
   to $4,909.91/h on Karpenter's default types and from $4,930.90/h to $4,942.09/h over every
   current type. Rounding at every round of a batch's column generation lowers its LP much faster
   (10,000 pods, every current type, batch 0: $167.02/h against $171.09/h after 3.3 deterministic
   seconds, $159.83/h after 15.6), but the dives then found dearer plans ($519.03/h at 10,000
   pods, $4,974.69/h at 100,000), so it rounds only where the greedy stops. In the one master of
   1,000 pods the rounded relaxations made plans dearer (Karpenter's default types, seeds 0-4:
   $44.91/h -> $45.09/h, although the master's LP fell from $44.48/h to $44.35/h: the integer
   stage, not the LP, limits the plan there), and so did ranking its CP-SAT knapsacks by the
   surrogate bounds ($45.03/h); it keeps the CP-SAT knapsacks ranked by each resource alone.
4. **Integer plans** (:meth:`_Master.dive`, :func:`integer_master`): two dives with re-pricing
   (fix the LP's whole nodes, round up a tenth of the fractional columns, the cheapest to round up
   first or those nearest a whole node first, cap the pricing at what each row still needs,
   re-solve and re-price), then CP-SAT over the columns (those the LP uses, the best dive's, and
   those of least reduced cost) hinted with the best dive. Pods covered twice are taken off again
   (a node with fewer pods keeps every per-node rule), so the answer places exactly each row's
   pods.

5. **Batches** (:func:`batch_rows_of`), above :data:`WHOLE_MASTER_PODS` pods: one master over
   every row stalls there (10,000 pods, 558 rows: an LP of $505/h after 370 s, not converged).
   Each group free of zone rules goes whole to one zone (:func:`free_zones`), so the rows separate
   by zone, and each zone's rows are cut into batches of up to :data:`BATCH_ROWS` rows (mixed by
   cpu-to-memory ratio). Each batch gets its own master, which prices only its zone's options and
   starts from each row's cheapest node of its group alone (:meth:`_Pricer.homogeneous`: the LP
   then converges in 1.3 deterministic seconds on 100 rows instead of 2.5 and with a quarter of
   the columns), and three dives (no integer master: over a 185-row batch's columns CP-SAT ran
   3.3 deterministic seconds for 1.24 asked and found nothing cheaper than the dives). A dive
   that runs out of work finishes greedily (:meth:`_Master._round_up_greedily`), so a batch with
   little work still gives a cover close to its LP, and a batch that at the earlier batches'
   pace would take more than its equal part of the wall time left gets that part
   (:func:`_fit_to_wall`; its nodes stay only if they beat the incumbent's). The batches' nodes
   are concatenated; the neighbourhood search then repairs the plan across batches. (GLOP's warm
   start fails on some rounds of these masters; the master is then rebuilt,
   :meth:`_Master.solve`.) What the batches cost and what limits them, measured at 10,000 pods on
   Karpenter's default types (six batches of 92-94 rows): their LPs, converged, sum to $527.07/h,
   0.47% over the class LP's bound of $524.62/h, so cutting the rows into batches costs little;
   but they converge only after 16-30 work each (47-103 wall s). A 30 s solve gives each
   batch's column generation 0.9-1.4 work: batches 1 and 4 then reach $176.15/h against
   $171.89/h converged (+2.5%), and the default :data:`MAX_ROUNDS` stops all six at $535.67/h
   at 6 work as at 12. Faster convergence is what the 2% target there needs; Wentges smoothing
   of 0 to 0.9 and seeding at 1-5% above the class LP's duals moved the LPs after 1.44 work by
   under 0.2%.

Measured at 10 s under a load average of 7-8 on the 2-core machine (the solve before this stage,
then with it): $47.34/h -> $44.82/h on Karpenter's default types at 1,000 pods (gap 6.7% -> 1.5%),
$40.94/h -> $38.53/h over every current type (7.8% -> 2.1%). At 10,000 pods in batches
(``benchmarks/bench_solver.py --cases '10k-*'``, 30 s, load 2-3; before -> three runs with it):
$564.16/h -> $517.76-517.80/h over every current type (gap to the class LP's bound 13.9% -> 6.2%),
$567.61/h -> $561.15/h, $562.80/h and $569.66/h on Karpenter's default types, where the batches
need their 15 deterministic seconds in 20-25 wall seconds under load: when the wall clock's net
cuts the last batch short, the per-class models' plan stays (the $569.66/h run). Batches of 100
rows there (:func:`batch_size`: its nodes hold 26 groups each, against 6.6 over every current
type) give $547.81/h, with the batches done by 17 s. At 100,000 pods: $5,048.95/h -> $4,916.70/h
and $5,030.12/h -> $4,921.48/h (:data:`MAX_PODS`).

The caller (:func:`~eks_plan.solver.solve.solve`) turns the nodes into a candidate plan, trims
every node to the cheapest option that still holds it, runs the neighbourhood search on it and
passes it through the independent verifier, as every plan.

Zone loss: the master packs the pods alone; the caller then buys the spares for every zone's
loss (:func:`~eks_plan.solver.packing.add_zone_loss_spares`), as after every packing. Its first
pricing is then unseeded: the zone-loss LP's duals carry part of the nodes' value on the
zone-loss row, and priced from the demand rows' rest the stage packed worse (1,000 pods on
Karpenter's default types, work 10: nodes of $48.40/h against $44.88/h).

Not here: groups with required pod affinity on hostname (a pattern would need the whole
affinity chain); the stage is skipped for those problems.

Bound: the master's rows fix the zone split of the zone-bound groups, so its LP value is not a
relaxation of the problem and is never reported as a bound. :func:`farley_bound` turns any duals
into a proven bound with exact node values (CP-SAT knapsacks); from this master's duals it is
weaker than :mod:`~eks_plan.solver.bound`'s on the 1,000-pod cases ($41.76/h against $44.17/h on
Karpenter's default types: its node values leave out the hostname spread caps, which are no
rule every plan keeps), so the solve does not spend time on it.

Determinism: the pricing is a fixed computation, GLOP stops on a count of simplex iterations, the
pricing on a count of work units (:data:`PRICING_UNITS_PER_SECOND`), and CP-SAT on its
deterministic time; the wall clock is only the safety net of :mod:`~eks_plan.solver.budget`.

Example: five 600m pods, nodes of 1,930m: the master takes one node of 3 and one of 2::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.compat import compile_problem
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> pod = PodSpec("shop", (("app", "web"),), Resources({"cpu": 600, "pods": 1}))
    >>> node = NodeOption("default", "m7i.large", "a", "on-demand", 0.1, Resources({"cpu": 1930, "pods": 29}))
    >>> compiled = compile_problem(Problem((PodGroup("Deployment/shop/web", 5, pod),), (node,), ("a",)))
    >>> result = improve_with_patterns(compiled, [5], [(0, 0, {0: 3}), (0, 0, {0: 2})], work=2.0)
    >>> sorted(sorted(pods.values()) for _, _, pods in result.nodes)
    [[2], [3]]
"""

from __future__ import annotations

import importlib
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eks_plan import limits
from eks_plan.solver.budget import SolveBudget, run_cp_sat
from eks_plan.solver.compat import UNLIMITED, CompiledProblem

PATTERN_STAGE = "pattern packing (column generation)"
#: Fewest pods the stage takes on: below, the neighbourhood search re-packs most of the plan
#: exactly on its own, and it does better from the packer's plan (the Karpenter examples corpus,
#: 72 pods: $3.37/h from the packing, $3.52/h from the patterns' plan, whose hostname spread caps
#: of maxSkew per node it does not leave).
MIN_PODS = 200
#: Most pods the stage takes on: every problem the plan's limits admit (:mod:`eks_plan.limits`).
#: At 100,000 pods with batches of 200 rows (21 batches, 1.8 deterministic seconds each) the
#: batches' nodes cost $5,406/h on Karpenter's default types, against $5,114/h from the per-class
#: packing; with the batches sized by :func:`batch_size` (90 rows there) the solve's plan is
#: $4,916.70/h instead of $5,048.95/h, and over every current type (200 rows) $4,921.48/h instead
#: of $5,030.12/h (120 s, load 1-2; the wall clock then cuts the search short).
MAX_PODS = limits.MAX_PODS
#: Most pods one master takes on; above, the rows go to masters of :data:`BATCH_ROWS` rows each.
WHOLE_MASTER_PODS = 5_000
#: Rows per batch. Measured at 10,000 pods over every current type (558 rows, 10 deterministic
#: seconds for the stage, under a load of 4, batches then with an integer master): 50 rows per
#: batch $561.65/h, 100 $555.18/h, 200 (a zone per batch) $546.60/h; bigger batches pack better
#: as long as their LP converges. With the final batches (homogeneous start, three dives, 15
#: deterministic seconds, before the search): over every current type 200 rows $522.46/h, 100
#: rows $535.30/h; on Karpenter's default types 200 rows $560.21/h in about 26 wall seconds under
#: a load of 2, 100 rows $552.48/h in 14 (its batches converge in less than their share).
BATCH_ROWS = 200
#: ... and at most this many (row, group on a node) pairs: a batch's master gets harder as its
#: patterns hold more groups, so batches shrink where the incumbent's nodes hold many groups
#: (:func:`batch_size`). Measured at 10,000 pods: Karpenter's default types hold 26.0 groups per
#: node (the per-class packing's nodes), every current type 6.6; with 2,600 the first gets the
#: 100 rows that suit it, the second stays at 200.
BATCH_DENSITY = 2_600
MIN_BATCH_ROWS = 50
INTEGER_STAGE = "pattern packing (integer master)"
#: GLOP simplex iterations per deterministic second (as in :mod:`~eks_plan.solver.bound`).
LP_ITERATIONS_PER_SECOND = 20_000
#: Pricing work units (option x group steps of the greedy knapsack) per deterministic second.
PRICING_UNITS_PER_SECOND = 3_000_000
#: Share of the stage's work for column generation; the rest goes to the integer master.
CG_SHARE = 0.35
#: Share for diving; the integer master gets what is left, if at least :data:`MIN_INTEGER_WORK`.
DIVE_SHARE = 0.3
#: A batch's share of column generation (the rest goes to the dives): started from the
#: homogeneous columns its LP converges in 1.3 deterministic seconds (100 rows, 10,000 pods), and
#: dives from a converged LP pay most. A batch has no integer master: at 10,000 pods (a zone of
#: 185 rows) CP-SAT over its columns ran 3.3 deterministic seconds for 1.24 asked (its presolve)
#: and found nothing cheaper than the dive.
BATCH_CG_SHARE = 0.6
MIN_INTEGER_WORK = 0.2
MAX_ROUNDS = 200
#: Most columns added per pricing round (the most negative reduced costs). Measured at 1,000
#: pods: no cap packs best (a cap of 80 left the master's LP 0.1% higher and the plan 4% dearer).
COLUMNS_PER_ROUND = 1_000_000
#: The incumbent's nodes are the master's first columns (at 10,000 pods their exact cover makes
#: the LP degenerate: 23 rounds without progress; starting from the artificial columns instead
#: was slower still).
START_WITH_INCUMBENT = True
#: Factors on the class LP's duals at which the first columns are priced.
SEED_FACTORS = (1.0,)
#: Wentges smoothing weight of the previous pricing point.
SMOOTHING = 0.5
#: Groups each option's knapsack considers (the best by value density).
KNAPSACK_GROUPS = 48
#: Most columns in the integer master.
MAX_INTEGER_COLUMNS = 1_000
#: Diving rounds up this fraction (1 / n) of the fractional columns at a time, and re-prices at
#: most this many rounds after each.
DIVE_FRACTION = 10
#: The dives, each (nearest to a whole node first, the fraction ``1 / n`` rounded up at a time).
DIVES = ((False, DIVE_FRACTION), (True, DIVE_FRACTION))
#: ... in a batch.
BATCH_DIVES = ((False, DIVE_FRACTION), (False, 4), (True, DIVE_FRACTION))
DIVE_PRICING_ROUNDS = 3
#: Exact pricing, once the greedy knapsacks find no column: CP-SAT knapsacks for at most this many
#: options per round (those whose fractional upper bound on a node's value is highest against
#: their price), each within :data:`EXACT_KNAPSACK_WORK` deterministic seconds. Why: the greedy
#: fills miss the best nodes of big types (measured on a 185-row batch at 10,000 pods over every
#: current type: at the greedy's convergence, exact knapsacks still found m6g.16xlarge nodes 14%
#: below their price, and column generation with exact pricing took that batch's LP from $171.09/h
#: to $160.43/h in 11 rounds, where the greedy had stopped).
EXACT_OPTIONS = 12
EXACT_KNAPSACK_WORK = 0.05
#: ... and, in one master over every row, also when the greedy's columns stall the LP: less than
#: :data:`STALL` of its value gained over the last :data:`STALL_ROUNDS` rounds. Measured with the
#: solve's deterministic work (10 at 1,000 pods, 30 at 10,000; seeds 0-2, mean $/h), against exact
#: pricing only once the greedy finds nothing: 1,000 pods on Karpenter's default types $45.31 ->
#: $44.91, over every current type $38.51 -> $38.32; in the batches at 10,000 pods over every
#: current type $512.94 -> $519.05 (dearer on each seed; Karpenter's default types, seed 0:
#: $546.42 -> $543.10), so the batches do not.
STALL = 0.001
STALL_ROUNDS = 3
#: Work units charged per coefficient of the rounded relaxations' model (:meth:`_Pricer.rounded`):
#: building it is most of their cost. Measured on a 10,000-pod batch at the greedy's convergence:
#: 52 options, about 26,000 coefficients, 42 ms for the model, its solve and the fills, charged
#: 0.055 deterministic seconds with the fills' units.
ROUNDING_UNITS_PER_COEFFICIENT = 6
#: Weights of the cpu share (the rest: memory) in the knapsacks' orders of value density.
SIZE_WEIGHTS = (0.2, 0.5, 0.8)
MICRO = 1_000_000
#: The bound's stage name, the most work per exact node value, and the charge per model.
BOUND_STAGE = "lower bound (patterns)"
EXACT_NODE_WORK = 0.05
MODEL_CHARGE = 0.002
EPSILON = 1e-7
#: Wall seconds within which an LP solve that stopped short of optimal is taken to have been
#: stopped by its time limit (set to the whole millisecond below the time left to the part).
GLOP_CLOCK_SLACK = 0.01

NodeSpec = tuple[int, int, dict[int, int]]  # (option, zone, pods per group)


@dataclass(slots=True)
class Pattern:
    """One node: an option and the pods per group it holds."""

    option: int
    pods: tuple[tuple[int, int], ...]  # sorted (group, count) pairs, counts > 0

    def as_dict(self) -> dict[int, int]:
        return dict(self.pods)


@dataclass(slots=True)
class _Rows:
    """The master's demand rows: ``(g, None)`` for a group free of zone rules, ``(g, z)`` for a
    zone-bound one, with their pod counts."""

    keys: list[tuple[int, int | None]]
    demand: np.ndarray
    free_row: np.ndarray  # [g] row of a free group, -1 if none
    zone_row: np.ndarray  # [g, z] row of a zone-bound group, -1 if none
    unplaced: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class CgResult:
    """The columns generated, the LP's value and solution, and the work spent."""

    patterns: list[Pattern]
    lp_value: float
    values: np.ndarray  # LP value of each pattern
    reduced: np.ndarray  # reduced cost of each pattern at the last duals
    rounds: int
    converged: bool
    work: float


@dataclass(slots=True)
class PatternResult:
    """The stage's nodes (``None``: no cover found) and the master's duals per group (the
    demand-weighted mean over a group's rows), from which :func:`farley_bound` proves a bound."""

    nodes: list[NodeSpec] | None
    group_duals: np.ndarray | None = None


def supported(compiled: CompiledProblem, placeable: Sequence[int] | None = None) -> bool:
    """Whether this stage handles the problem: no pod affinity on hostname, and
    from :data:`MIN_PODS` to :data:`MAX_PODS` pods."""
    if placeable is not None and not MIN_PODS <= sum(placeable) <= MAX_PODS:
        return False
    return all(target is None for target in compiled.host_affinity)


def build_rows(compiled: CompiledProblem, placeable: Sequence[int]) -> _Rows:
    """Demand rows: per free group, or per (zone-bound group, zone) from the packer's zone split."""
    from eks_plan.solver.packing import split_zones

    zone_counts, zone_unplaced = split_zones(compiled, placeable)
    groups = len(compiled.groups)
    free_row = np.full(groups, -1, dtype=np.int64)
    zone_row = np.full((groups, len(compiled.zones)), -1, dtype=np.int64)
    keys: list[tuple[int, int | None]] = []
    demand: list[int] = []
    for g, count in enumerate(placeable):
        if count <= 0:
            continue
        if g in zone_counts:
            for z, n in enumerate(zone_counts[g]):
                if n > 0:
                    zone_row[g, z] = len(keys)
                    keys.append((g, z))
                    demand.append(int(n))
        else:
            free_row[g] = len(keys)
            keys.append((g, None))
            demand.append(int(count))
    return _Rows(keys, np.array(demand, dtype=np.int64), free_row, zone_row, dict(zone_unplaced))


def node_accepts(compiled: CompiledProblem, option: int, pods: Mapping[int, int]) -> bool:
    """Whether one node of ``option`` may hold ``pods`` under the solver's per-node rules (those
    :meth:`~eks_plan.solver.packing.Packer.fits` applies): every resource within the usable
    capacity, selector and taints, the per-node caps, hostname spreads counting several groups,
    and conflicts between groups."""
    used = np.zeros(len(compiled.resources), dtype=np.int64)
    for g, count in pods.items():
        if count <= 0:
            continue
        if not compiled.allowed[g, option] or count > int(compiled.rule_cap[g]):
            return False
        if compiled.host_affinity[g] is not None:
            return False
        if any(other in pods and pods[other] > 0 for other in compiled.conflicts[g]):
            return False
        used += compiled.requests[g] * count
    if (used > compiled.usable[option]).any():
        return False
    for spread in compiled.spreads:
        if (
            spread.hostname
            and len(spread.members) > 1
            and sum(pods.get(g, 0) for g in spread.members) > spread.max_skew
        ):
            return False
    return True


class _Pricer:
    """The greedy knapsacks of every undominated option, vectorised over the options."""

    def __init__(
        self, compiled: CompiledProblem, rows: _Rows, useful: Mapping[int, Sequence[int]] | None = None
    ) -> None:
        from eks_plan.solver.lns import _useful_options

        self.compiled = compiled
        self.rows = rows
        if useful is None:
            useful = _useful_options(compiled)
        zones = {z for _, z in rows.keys}
        if None not in zones:
            # Every row is bound to a zone (a batch of one zone): only those zones' options.
            useful = {z: members for z, members in useful.items() if z in zones}
        options = sorted(o for members in useful.values() for o in members)
        groups = sorted({g for g, _ in rows.keys})
        allowed = compiled.allowed[np.ix_(groups, options)] if groups and options else np.zeros((0, 0), bool)
        keep = np.asarray(allowed.any(axis=0), dtype=bool).reshape(len(options))
        self.options = np.array(options, dtype=np.int64)[keep]
        self.groups = np.array(groups, dtype=np.int64)
        self.zone = compiled.option_zone[self.options]
        self.prices = np.array([compiled.options[o].price_per_hour for o in self.options])
        self.usable = compiled.usable[self.options].astype(np.int64)  # [O, R]
        self.requests = compiled.requests[self.groups].astype(np.int64)  # [G, R]
        self.allowed = compiled.allowed[np.ix_(self.groups, self.options)].T  # [O, G]
        usable = np.maximum(self.usable.astype(np.float64), 1.0)
        share = self.requests[None, :, :] / usable[:, None, :]  # [O, G, R]
        # Sizes of one pod on one node by which the knapsacks order groups: the dominant share,
        # and mixes of the cpu and memory shares (the pods share is in the dominant one).
        self.sizes = [np.maximum(share.max(axis=2), 1e-12)]
        for weight in SIZE_WEIGHTS:
            mixed = weight * share[:, :, 0] + (1 - weight) * share[:, :, 1]
            self.sizes.append(np.maximum(np.maximum(mixed, share.max(axis=2) * 1e-3), 1e-12))
        del share
        self.rule_cap = np.minimum(compiled.rule_cap[self.groups], UNLIMITED)
        # [O, G]: the demand row each group's pods on each option count in (-1: none).
        self.row = np.full((len(self.options), len(self.groups)), -1, dtype=np.int64)
        for i, g in enumerate(self.groups):
            if rows.free_row[g] >= 0:
                self.row[:, i] = rows.free_row[g]
            else:
                self.row[:, i] = rows.zone_row[g][self.zone]
        self.set_residual(rows.demand)
        local = {int(g): i for i, g in enumerate(self.groups)}
        self.conflicts = {
            local[g]: np.array(sorted(local[h] for h in compiled.conflicts[g] if h in local), dtype=np.int64)
            for g in self.groups
            if any(h in local for h in compiled.conflicts[g])
        }
        multi = [s for s in compiled.spreads if s.hostname and len(s.members) > 1]
        self.spread_caps = np.array([s.max_skew for s in multi], dtype=np.int64)
        self.spread_members = np.zeros((len(self.groups), len(multi)), dtype=bool)
        for j, spread in enumerate(multi):
            for g in spread.members:
                if g in local:
                    self.spread_members[local[g], j] = True
        self.units = 0

    def homogeneous(self) -> list[Pattern]:
        """Per row, the node of its group alone with the lowest price per pod (as many pods as
        fit, the per-node caps and the row allow): a cover of every row at a realistic price.

        Started from these (the classic first basis of cutting stock), the master's first duals
        are prices of real nodes instead of the artificial columns' (measured on a 100-row batch
        at 10,000 pods: the LP went 222 -> 97 over 40 rounds from the artificial columns)."""
        compiled = self.compiled
        demand = self.rows.demand
        patterns = []
        for i, g in enumerate(self.groups):
            for row in sorted({int(r) for r in self.row[:, i] if r >= 0}):
                options = np.flatnonzero((self.row[:, i] == row) & self.allowed[:, i])
                if not len(options):
                    continue
                counts = np.minimum(
                    compiled.fit_alone[g, self.options[options]], min(int(self.rule_cap[i]), int(demand[row]))
                )
                per_pod = self.prices[options] / np.maximum(counts, 1)
                best = int(options[int(np.argmin(np.where(counts > 0, per_pod, np.inf)))])
                count = int(min(compiled.fit_alone[g, self.options[best]], self.rule_cap[i], demand[row]))
                if count > 0:
                    patterns.append(Pattern(int(self.options[best]), ((int(g), count),)))
        return patterns

    def set_residual(self, residual: np.ndarray) -> None:
        """Cap each column's pods of a group at what its row still needs (a column never needs
        more, and while diving a column over what is left only wastes room)."""
        padded = np.append(np.maximum(residual, 0), 0)  # row -1 -> 0
        self.cap = np.minimum(self.rule_cap[None, :], padded[self.row])

    def values(self, duals: np.ndarray) -> np.ndarray:
        """``[O, G]``: the dual value of one pod of each group on each option (0 where the group
        has no row in the option's zone or may not use the option)."""
        value = np.append(duals, 0.0)[self.row]  # row -1 (none) reads the appended 0
        value[~self.allowed] = 0.0
        return np.maximum(value, 0.0)

    def price(self, duals: np.ndarray, pool_duals: np.ndarray) -> list[tuple[float, Pattern]]:
        """Columns of negative reduced cost, the best one per option, most negative first."""
        value = self.values(duals)
        contents = self._greedy(value, [value / size for size in self.sizes])  # [S, O, G]
        worth = (contents * value[None, :, :]).sum(axis=2)  # [S, O]
        reduced = self.price_of()[None, :] - pool_duals[None, :] - worth
        # Per option the order whose knapsack prices lowest (the first of equals).
        best = np.argmin(reduced, axis=0)
        options = np.arange(len(self.options))
        lowest = reduced[best, options]
        result = []
        for index in np.flatnonzero(lowest < -EPSILON * np.maximum(self.price_of(), 1.0)):
            o = int(index)
            result.append((float(lowest[o]), self.pattern(o, contents[best[o], o])))
        result.sort(key=lambda item: (item[0], item[1].option))
        return result

    def pattern(self, index: int, counts: np.ndarray) -> Pattern:
        """The node of option ``self.options[index]`` holding ``counts[j]`` pods of each group
        ``self.groups[j]`` (a row of the fills' contents)."""
        pods = tuple((int(self.groups[j]), int(counts[j])) for j in np.flatnonzero(counts))
        return Pattern(int(self.options[index]), pods)

    def upper_values(
        self, value: np.ndarray, index: np.ndarray | None = None, mixed: bool = True
    ) -> np.ndarray:
        """``[O]`` (or ``[len(index)]``): an upper bound on the most value one node of each option
        holds: the least, over surrogate constraints, of the fractional knapsack under that
        constraint alone (pods may be split), with each group's pods capped as in :meth:`_greedy`.
        The surrogates are each resource alone and the mixes :data:`SIZE_WEIGHTS` of the cpu and
        memory shares of the node: a node within every resource is within each such mix, so each
        one's fractional knapsack bounds the node's value, and the mixes bound the nodes whose
        best content uses both cpu and memory to the full much more tightly than either resource
        alone (measured at the greedy's convergence on a 185-row batch at 10,000 pods over every
        current type: 21.5% of the price above the exact value on average by the resources
        alone)."""
        index = np.arange(len(self.options)) if index is None else index
        value = value[index]
        counts = np.where(value > 0, self.cap[index], 0).astype(np.float64)  # cap <= UNLIMITED already
        worth_all = counts * value
        share = self.requests[None, :, :] / np.maximum(self.usable[index], 1)[:, None, :]  # [O, G, R]
        mixes = list(np.eye(share.shape[2]))
        for weight in SIZE_WEIGHTS if mixed else ():
            mix = np.zeros(share.shape[2])
            mix[0], mix[1] = weight, 1 - weight
            mixes.append(mix)
        best = np.full(len(index), np.inf)
        rows = np.arange(len(index))[:, None]
        for mix in mixes:
            weight = share @ mix  # [O, G]: one pod's share of the surrogate capacity of 1
            free = weight <= 0
            total = (worth_all * free).sum(axis=1)
            density = np.where(free, -np.inf, value / np.where(free, 1.0, weight))
            order = np.argsort(-density, axis=1, kind="stable")
            amount = (counts * weight)[rows, order]  # each group's whole weight, in order
            worth = worth_all[rows, order]
            before = np.cumsum(amount, axis=1) - amount  # weight taken before each group
            room = np.clip(1.0 - before, 0.0, None)
            taken = np.minimum(np.divide(room, amount, out=np.zeros_like(room), where=amount > 0), 1.0)
            total += (worth * taken).sum(axis=1)
            best = np.minimum(best, total)
        return best

    def rounded(self, value: np.ndarray, index: np.ndarray, wall: float) -> tuple[np.ndarray, np.ndarray]:
        """Nodes of the options ``self.options[index]`` from their linear relaxations: each
        option's knapsack as a linear program (every resource, the per-group caps and the
        multi-group spread caps; GLOP, all options in one model of independent blocks), its
        optimum rounded down (groups in conflict dropped, the lower-valued first) and then filled
        greedily in each order of :meth:`_greedy`. Returns ``[S, len(index), G]`` contents,
        ``[len(index)]`` the relaxations' values (each an upper bound on its option's node
        value). Work: :data:`ROUNDING_UNITS_PER_COEFFICIENT` units per coefficient, and the fills'.

        Why: a linear optimum has at most as many fractional groups as the node has binding
        rows, so rounding it down loses a few pods, where the greedy fills lose whole
        resources: they fill a big node with one cpu-heavy group and strand its memory, while the
        relaxation mixes groups to use both. Measured at the greedy's convergence on a 185-row
        batch at 10,000 pods over every current type (209 options): the greedy's best node was
        3.8% of the price below the exact value on average (21% at most) and priced out no
        option; the rounded nodes 1.05% (9.4% at most), pricing out 25 of the 27 options an
        exact knapsack prices out (``benchmarks/bench_pricing.py``)."""
        # Imported by name: OR-Tools ships stubs for this module alone, and mypy, following them,
        # would take the untyped package around it (pywraplp, used elsewhere) for a typed one.
        mbh: Any = importlib.import_module("ortools.linear_solver.python.model_builder_helper")

        value = value[index]
        fit = self.compiled.fit_alone[np.ix_(self.groups, self.options[index])].T  # [C, G]
        most = np.where(value > 0, np.minimum(self.cap[index], fit), 0)
        blocks, groups = np.nonzero(most > 0)  # row-major: each block's variables are contiguous
        lp_values = np.zeros(len(index))
        start = np.zeros(most.shape, dtype=np.int64)
        coefficients = 0
        if len(blocks):
            model = mbh.ModelBuilderHelper()
            count = len(blocks)
            model.add_var_array_with_bounds(
                np.zeros(count), most[blocks, groups].astype(np.float64), np.zeros(count, dtype=bool), ""
            )
            bounds = np.searchsorted(blocks, np.arange(len(index) + 1))
            # Each row's amount per group: every resource's request, then each spread's members.
            per_group_rows = self.requests.T.tolist() + self.spread_members.T.astype(np.int64).tolist()
            for k in range(len(index)):
                members = range(int(bounds[k]), int(bounds[k + 1]))
                if not len(members):
                    continue
                capacities = self.usable[index[k]].tolist() + self.spread_caps.tolist()
                for capacity, per_group in zip(capacities, per_group_rows, strict=True):
                    used = [(v, per_group[int(groups[v])]) for v in members if per_group[int(groups[v])]]
                    if not used:
                        continue
                    row = model.add_linear_constraint()
                    model.set_constraint_lower_bound(row, -math.inf)
                    model.set_constraint_upper_bound(row, float(capacity))
                    for v, amount in used:
                        model.set_constraint_coefficient(row, v, float(amount))
                    coefficients += len(used)
            model.set_objective_coefficients(list(range(count)), value[blocks, groups].tolist())
            model.set_maximize(True)
            solver = mbh.ModelSolverHelper("glop")
            solver.set_time_limit_in_seconds(max(wall, 0.001))
            solver.solve(model)
            if solver.has_solution():
                x = np.asarray(solver.variable_values(), dtype=np.float64)
                np.add.at(lp_values, blocks, value[blocks, groups] * x)
                start[blocks, groups] = np.floor(x + 1e-6).astype(np.int64)
            else:
                lp_values[:] = np.inf  # no relaxation: no bound
        start = np.minimum(start, most)
        self._drop_conflicts(start, value)
        densities = [value / size[index] for size in self.sizes]
        contents = self._greedy(value, densities, index=index, start=start)
        self.units += coefficients * ROUNDING_UNITS_PER_COEFFICIENT
        return contents, lp_values

    def _drop_conflicts(self, content: np.ndarray, value: np.ndarray) -> None:
        """Take off ``content`` (``[C, G]``, in place) the groups in conflict with a group of more
        value on the same node (a linear relaxation knows no conflicts)."""
        if not self.conflicts:
            return
        for k in np.flatnonzero((content[:, list(self.conflicts)] > 0).any(axis=1)).tolist():
            present = np.flatnonzero(content[k])
            for j in sorted(present.tolist(), key=lambda j: (-content[k, j] * value[k, j], j)):
                others = self.conflicts.get(j)
                if content[k, j] > 0 and others is not None:
                    content[k, others] = 0

    def exact(
        self, index: int, value: np.ndarray, budget: SolveBudget, work: float, wall: float
    ) -> tuple[float, Pattern | None, float]:
        """The most value one node of option ``self.options[index]`` holds under every per-node
        rule of :meth:`_greedy` (resources, per-group caps, conflicts, spread caps), by CP-SAT
        within ``work`` deterministic seconds (and ``wall`` seconds, the safety net); with its
        pattern and the work spent. One worker and a fixed seed: the same answer on any machine."""
        from ortools.sat.python import cp_model

        option = int(self.options[index])
        fit = self.compiled.fit_alone[self.groups, option]
        items = {
            int(j): (int(min(self.cap[index, j], fit[j])), round(float(value[index, j]) * MICRO))
            for j in np.flatnonzero(value[index] > 0)
        }
        knapsack = _knapsack_model(items, self.requests, self.usable[index])
        if knapsack is None:
            return 0.0, None, 0.0
        model, counts = knapsack
        for k, cap in enumerate(self.spread_caps.tolist()):
            members = [var for j, var in counts.items() if self.spread_members[j, k]]
            if len(members) > 1:
                model.add(sum(members) <= int(cap))
        present: dict[int, Any] = {}
        for group, others in self.conflicts.items():
            first = int(group)
            for other in others.tolist():
                second = int(other)
                if first < second and first in counts and second in counts:
                    for member in (first, second):
                        if member not in present:
                            present[member] = model.new_bool_var(f"b{member}")
                            model.add(counts[member] == 0).only_enforce_if(present[member].Not())
                    model.add_bool_or([present[first].Not(), present[second].Not()])
        solver, status = run_cp_sat(model, budget, PATTERN_STAGE, work=work, workers=1, seed=0, wall=wall)
        spent = float(solver.deterministic_time) + MODEL_CHARGE
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return 0.0, None, spent
        taken = {j: int(solver.value(var)) for j, var in counts.items()}
        pods = tuple((int(self.groups[j]), count) for j, count in taken.items() if count > 0)
        return solver.objective_value / MICRO, Pattern(option, pods), spent

    def price_of(self) -> np.ndarray:
        return self.prices

    def _greedy(
        self,
        value: np.ndarray,
        densities: Sequence[np.ndarray],
        index: np.ndarray | None = None,
        start: np.ndarray | None = None,
    ) -> np.ndarray:
        """``[S, O, G]``: each option's node filled with its groups in order of decreasing
        density, once per density matrix (``S`` of them, each ``[O, G]``). With ``index``, the
        options ``self.options[index]`` only (``value`` and the densities are then theirs); with
        ``start`` (``[O, G]``), each node starts with those pods (which keep every per-node rule).

        The ``S`` fills run as one over ``S x O`` rows (the loop's steps are numpy calls on
        small arrays, so their count, not their size, is the cost: measured on a 10,000-pod
        batch of 209 options, a price's four fills took 24.5 ms one by one, 15.6 ms as one)."""
        index = np.arange(len(self.options)) if index is None else index
        count_sizes = len(densities)
        count_options, count_groups = value.shape
        depth = min(KNAPSACK_GROUPS, count_groups)
        density = np.concatenate(densities, axis=0)  # [S*O, G]
        order = np.argsort(-density, axis=1, kind="stable")[:, :depth]
        rows = np.arange(count_sizes * count_options)
        value = np.tile(value, (count_sizes, 1))
        cap = np.tile(self.cap[index], (count_sizes, 1))
        free = np.tile(self.usable[index], (count_sizes, 1))
        content = np.zeros((len(rows), count_groups), dtype=np.int64)
        blocked = np.zeros((len(rows), count_groups), dtype=bool)
        spread_left = np.broadcast_to(self.spread_caps, (len(rows), len(self.spread_caps))).copy()
        if start is not None:
            content += np.tile(start, (count_sizes, 1))
            cap -= content
            free -= content @ self.requests
            spread_left -= content @ self.spread_members.astype(np.int64)
            for j, conflicting in self.conflicts.items():
                blocked[np.ix_(np.flatnonzero(content[:, j]), conflicting)] = True
        big = np.int64(UNLIMITED)
        for k in range(depth):
            g = order[:, k]
            request = self.requests[g]  # [S*O, R]
            fit = np.where(request > 0, free // np.maximum(request, 1), big).min(axis=1)
            fit = np.minimum(fit, cap[rows, g])
            if self.spread_caps.size:
                members = self.spread_members[g]
                fit = np.minimum(fit, np.where(members, spread_left, big).min(axis=1))
            ok = (value[rows, g] > 0) & ~blocked[rows, g]
            take = np.where(ok, np.maximum(fit, 0), 0)
            content[rows, g] += take
            free -= request * take[:, None]
            if self.spread_caps.size:
                spread_left -= np.where(self.spread_members[g], take[:, None], 0)
            if self.conflicts:
                for i in np.flatnonzero(take):
                    others = self.conflicts.get(int(g[i]))
                    if others is not None:
                        blocked[i, others] = True
        # Work is charged per fill as before, so deterministic budgets do not move.
        self.units += count_sizes * count_options * depth
        return content.reshape(count_sizes, count_options, count_groups)


class _Master:
    """The LP master over patterns (GLOP), grown by pricing and fixed by diving.

    Work is counted in deterministic seconds: simplex iterations
    (:data:`LP_ITERATIONS_PER_SECOND`) plus pricing units (:data:`PRICING_UNITS_PER_SECOND`).
    """

    def __init__(
        self,
        compiled: CompiledProblem,
        rows: _Rows,
        budget: SolveBudget,
        reserve: float = 0.0,
        useful: Mapping[int, Sequence[int]] | None = None,
        exact_on_stall: bool = True,
        round_first: bool = False,
    ) -> None:
        from ortools.linear_solver import pywraplp

        self.exact_on_stall = exact_on_stall
        self.round_first = round_first
        self.reserve = reserve
        self.compiled = compiled
        self.rows = rows
        self.budget = budget
        self.pricer = _Pricer(compiled, rows, useful)
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.optimal = pywraplp.Solver.OPTIMAL
        self.abnormal = pywraplp.Solver.ABNORMAL
        infinity = self.solver.infinity()
        self.demand_rows = [
            self.solver.Constraint(float(d), infinity, f"demand[{i}]") for i, d in enumerate(rows.demand)
        ]
        self.pool_rows = {
            p.name: self.solver.Constraint(-infinity, float(p.max_nodes or 0), f"pool[{p.name}]")
            for p in compiled.problem.pools
            if p.max_nodes is not None
        }
        self.objective = self.solver.Objective()
        self.objective.SetMinimization()
        # One artificial column per row, dearer per pod than any node: the LP is feasible from
        # the start without the incumbent's columns, whose exact cover makes it degenerate.
        artificial = 2.0 * max((o.price_per_hour for o in compiled.options), default=1.0)
        for i, row in enumerate(self.demand_rows):
            var = self.solver.NumVar(0.0, infinity, f"artificial[{i}]")
            row.SetCoefficient(var, 1.0)
            self.objective.SetCoefficient(var, artificial)
        self.patterns: list[Pattern] = []
        self.variables: list[Any] = []
        self.seen: set[tuple[int, tuple[tuple[int, int], ...]]] = set()
        self.spent = 0.0
        self.value = math.inf
        self.duals = np.zeros(len(self.demand_rows))
        self.pool_duals = np.zeros(len(self.pricer.options))
        self.center: np.ndarray | None = None
        self.solved_values = np.zeros(0)
        self.solved_reduced = np.zeros(0)

    def row_of(self, g: int, zone: int) -> int:
        row = int(self.rows.free_row[g])
        return row if row >= 0 else int(self.rows.zone_row[g, zone])

    def add(self, pattern: Pattern) -> bool:
        key = (pattern.option, pattern.pods)
        if key in self.seen or not pattern.pods:
            return False
        self.seen.add(key)
        compiled = self.compiled
        zone = int(compiled.option_zone[pattern.option])
        var = self.solver.NumVar(0.0, self.solver.infinity(), f"p{len(self.patterns)}")
        for g, count in pattern.pods:
            row = self.row_of(g, zone)
            if row >= 0:
                self.demand_rows[row].SetCoefficient(var, float(count))
        pool = compiled.options[pattern.option].pool
        if pool in self.pool_rows:
            self.pool_rows[pool].SetCoefficient(var, 1.0)
        self.objective.SetCoefficient(var, compiled.options[pattern.option].price_per_hour)
        self.patterns.append(pattern)
        self.variables.append(var)
        return True

    def solve(self, iterations: int) -> bool:
        """Solve the LP within ``iterations`` simplex iterations; read its value and duals."""
        from ortools.linear_solver import linear_solver_pb2

        self.budget.check()
        status = self._run_glop(iterations)
        if status == self.abnormal:
            # GLOP's warm start from the last basis sometimes fails at once on the columns just
            # added (measured at 10,000 pods: "primal infeasibilities 5.9e16", ABNORMAL after 0
            # iterations in most batches' third round, also with incrementality off), while a
            # fresh solver solves the same model: rebuild it and solve again.
            self._rebuild()
            status = self._run_glop(iterations)
        if status != self.optimal:
            return False
        self.value = self.objective.Value()
        # The whole solution in one call (reading it variable by variable took 1.7 of 12.5 wall
        # seconds on a 185-row batch at 10,000 pods). The artificial columns come first.
        response = linear_solver_pb2.MPSolutionResponse()
        self.solver.FillSolutionResponseProto(response)
        count = len(self.demand_rows)
        self.solved_values = np.array(response.variable_value[count:], dtype=np.float64)
        self.solved_reduced = np.array(response.reduced_cost[count:], dtype=np.float64)
        self.duals = np.array(response.dual_value[:count], dtype=np.float64)
        pool_dual_of = {name: row.dual_value() for name, row in self.pool_rows.items()}
        self.pool_duals = np.array(
            [pool_dual_of.get(self.compiled.options[o].pool, 0.0) for o in self.pricer.options]
        )
        return True

    def _run_glop(self, iterations: int) -> int:
        """One GLOP solve within ``iterations`` and the wall time the budget leaves; its status.
        The iterations it took are added to :attr:`spent`."""
        budget = self.budget
        self.solver.SetTimeLimit(max(1, int(max(budget.left() - self.reserve, 0.001) * 1000)))
        self.solver.SetSolverSpecificParametersAsString(f"max_number_of_iterations: {max(1, iterations)}")
        with budget.stopping(self.solver.InterruptSolve):
            status = int(self.solver.Solve())
        budget.check()
        self.spent += self.solver.iterations() / LP_ITERATIONS_PER_SECOND
        if status != self.optimal and budget.left() <= self.reserve + GLOP_CLOCK_SLACK:
            budget.note_cut(PATTERN_STAGE)  # stopped by the clock, not by its iterations
        return status

    def _rebuild(self) -> None:
        """A fresh GLOP solver over the same model (columns, bounds and rows), replacing this one."""
        from ortools.linear_solver import linear_solver_pb2, pywraplp

        proto = linear_solver_pb2.MPModelProto()
        self.solver.ExportModelToProto(proto)
        solver = pywraplp.Solver.CreateSolver("GLOP")
        error = solver.LoadModelFromProto(proto)
        if error:
            raise RuntimeError(f"could not reload the pattern master: {error}")
        constraints = solver.constraints()
        count = len(self.demand_rows)
        self.demand_rows = constraints[:count]
        self.pool_rows = dict(zip(self.pool_rows, constraints[count:], strict=True))
        self.variables = solver.variables()[count:]  # the artificial columns come first
        self.objective = solver.Objective()
        self.solver = solver

    def price(self) -> int:
        """Add the columns that price out at the smoothed duals (else at the LP's own duals)."""
        point = self.duals if self.center is None else SMOOTHING * self.center + (1 - SMOOTHING) * self.duals
        before = self.pricer.units
        added = self._add_priced(point)
        if added == 0 and self.center is not None:
            added = self._add_priced(self.duals)
        self.center = point
        self.spent += (self.pricer.units - before) / PRICING_UNITS_PER_SECOND
        return added

    def price_exactly(self) -> int:
        """Add the columns that price out at the LP's duals by the stronger pricings, for the
        options whose surrogate bound (:meth:`_Pricer.upper_values`) prices out. With
        :attr:`round_first`, first the rounded linear relaxations (:meth:`price_rounded`), and
        only when these find none, exact knapsacks (:meth:`_Pricer.exact`) for the
        :data:`EXACT_OPTIONS` options whose relaxation is highest against their price; else exact
        knapsacks for those whose surrogate bound is. 0 when none finds a column."""
        pricer = self.pricer
        if self.budget.out_of_time(PATTERN_STAGE, self.reserve):
            return 0
        value = pricer.values(self.duals)
        price = pricer.prices - (self.pool_duals if len(self.pool_duals) else 0.0)
        floor = EPSILON * np.maximum(pricer.prices, 1.0)
        if self.round_first:
            added, candidates, bounds = self.price_rounded(value, price, floor)
            if added:
                return added
        else:
            bounds = pricer.upper_values(value, mixed=False)
            candidates = np.flatnonzero(bounds - price > floor)
            bounds = bounds[candidates]
        ratio = bounds / np.maximum(price[candidates], 1e-12)
        keep = np.flatnonzero(bounds - price[candidates] > floor[candidates])
        order = candidates[keep[np.argsort(-ratio[keep], kind="stable")]][:EXACT_OPTIONS]
        added = 0
        for index in order.tolist():
            if self.budget.out_of_time(PATTERN_STAGE, self.reserve):
                break
            worth, pattern, spent = pricer.exact(
                index, value, self.budget, EXACT_KNAPSACK_WORK, self.budget.left() - self.reserve
            )
            self.spent += spent
            if (
                pattern is not None
                and float(price[index]) - worth < -floor[index]
                and node_accepts(self.compiled, pattern.option, pattern.as_dict())
            ):
                added += self.add(pattern)
        return added

    def price_rounded(
        self, value: np.ndarray, price: np.ndarray, floor: np.ndarray
    ) -> tuple[int, np.ndarray, np.ndarray]:
        """Add the columns that price out by the rounded linear relaxations
        (:meth:`_Pricer.rounded`) of the options whose surrogate bound prices out, at the values
        per pod ``value`` (:meth:`_Pricer.values`), each option's ``price`` less its pool's dual,
        and the least reduced cost ``floor`` that counts. Returns how many were added, those
        options (indices into the pricer's) and their relaxations' values."""
        pricer = self.pricer
        candidates = np.flatnonzero(pricer.upper_values(value) - price > floor)
        if not len(candidates):
            return 0, candidates, np.zeros(0)
        before = pricer.units
        contents, bounds = pricer.rounded(value, candidates, self.budget.left() - self.reserve)
        self.spent += (pricer.units - before) / PRICING_UNITS_PER_SECOND
        worth = (contents * value[candidates][None, :, :]).sum(axis=2)  # [S, C]
        best = np.argmax(worth, axis=0)
        added = 0
        for k, index in enumerate(candidates.tolist()):
            if price[index] - worth[best[k], k] < -floor[index]:
                pattern = pricer.pattern(index, contents[best[k], k])
                if node_accepts(self.compiled, pattern.option, pattern.as_dict()):
                    added += self.add(pattern)
        return added, candidates, bounds

    def _add_priced(self, duals: np.ndarray) -> int:
        added = 0
        pool_duals = self.pool_duals if len(self.pool_duals) else np.zeros(len(self.pricer.options))
        for reduced_cost, pattern in self.pricer.price(duals, pool_duals)[:COLUMNS_PER_ROUND]:
            if reduced_cost < 0 and node_accepts(self.compiled, pattern.option, pattern.as_dict()):
                added += self.add(pattern)
        return added

    def generate(self, work: float, rounds: int = MAX_ROUNDS) -> bool:
        """Column generation until no column prices out (``True``) or the work is spent."""
        limit = self.spent + work
        values: list[float] = []
        for _ in range(rounds):
            left = int((limit - self.spent) * LP_ITERATIONS_PER_SECOND)
            if left <= 0 or not self.solve(left):
                return False
            if self.spent >= limit or self.budget.out_of_time(PATTERN_STAGE, self.reserve):
                return False
            values.append(self.value)
            stalled = (
                self.exact_on_stall
                and len(values) > STALL_ROUNDS
                and values[-1] > values[-1 - STALL_ROUNDS] * (1 - STALL)
            )
            added = self.price()
            if stalled or added == 0:
                added += self.price_exactly()
                if stalled:
                    values.clear()
            if added == 0:
                return True
        return False

    def prices_of(self, columns: np.ndarray) -> dict[int, float]:
        return {int(i): self.compiled.options[self.patterns[int(i)].option].price_per_hour for i in columns}

    def residual(self) -> np.ndarray:
        """What each row still needs beyond the columns fixed so far."""
        residual = self.rows.demand.astype(np.int64).copy()
        for pattern, var in zip(self.patterns, self.variables, strict=True):
            fixed = round(var.lb())
            if fixed:
                zone = int(self.compiled.option_zone[pattern.option])
                for g, count in pattern.pods:
                    row = self.row_of(g, zone)
                    if row >= 0:
                        residual[row] -= fixed * count
        return residual

    def values(self) -> np.ndarray:
        """The last LP solution (0 for columns added since)."""
        values = np.zeros(len(self.variables))
        values[: len(self.solved_values)] = self.solved_values
        return values

    def reduced(self) -> np.ndarray:
        """Reduced costs at the last LP solution (columns added since: their pricing's)."""
        reduced = np.zeros(len(self.variables))
        reduced[: len(self.solved_reduced)] = self.solved_reduced
        return reduced

    def reset(self) -> bool:
        """Undo a dive's fixings (the columns stay) and re-solve."""
        for var in self.variables:
            var.SetLb(0.0)
        self.center = None
        self.pricer.set_residual(self.rows.demand)
        return self.solve(LP_ITERATIONS_PER_SECOND)

    def dive(
        self,
        work: float,
        nearest_first: bool = False,
        fraction_of: int = DIVE_FRACTION,
        greedy_finish: bool = False,
    ) -> list[Pattern] | None:
        """Diving with re-pricing: fix the LP's whole nodes, round up a tenth of its fractional
        columns (the cheapest to round up, or with ``nearest_first`` those used at least half),
        re-solve and re-price; until the LP is integral or the work is spent, then round up the
        columns that still cover something (a cover, trimmed later), or with ``greedy_finish``
        cover what is left greedily (:meth:`_round_up_greedily`). What the LP leaves uncovered
        (it could not be re-solved within the work, or leans on an artificial column) is covered
        by the columns holding the most of each such row (:meth:`_complete_cover`).

        Why the greedy finish only for the batches: measured on a 185-row batch at 10,000 pods
        on Karpenter's default types (2.5 work, LP $193.32/h), the three dives gave $279.25,
        $230.09 and $221.86/h rounding up and $216.70, $215.50 and $201.12/h greedily. The
        single master's dives only hint its integer master, and there the greedy dives' cheaper
        hints gave dearer covers: 1,000 pods on Karpenter's default types at 10 work, seeds 0-2,
        $45.04 / $44.99 / $45.20/h against $44.84 / $44.88 / $44.80/h."""
        limit = self.spent + work
        stalled = False
        while True:
            values = self.values()
            floors = np.floor(values + 1e-6)
            fraction = values - floors
            fractional = np.flatnonzero(fraction > 1e-6)
            for i in np.flatnonzero(floors > 0):
                var = self.variables[int(i)]
                var.SetLb(max(var.lb(), float(floors[i])))
            if len(fractional) == 0:
                break
            if stalled or self.spent >= limit or self.budget.out_of_time(PATTERN_STAGE, self.reserve):
                if greedy_finish:
                    self._round_up_greedily()
                    break
                # Out of work: round up, most fractional first, the columns that still cover some
                # of what is left (rounding every one up covers every row, so this does too).
                residual = self.residual()
                for i in sorted(fractional, key=lambda i: (-fraction[i], int(i))):
                    pattern = self.patterns[int(i)]
                    zone = int(self.compiled.option_zone[pattern.option])
                    rows = [self.row_of(g, zone) for g, _ in pattern.pods]
                    if any(row >= 0 and residual[row] > 0 for row in rows):
                        var = self.variables[int(i)]
                        var.SetLb(float(floors[i]) + 1.0)
                        for (_, count), row in zip(pattern.pods, rows, strict=True):
                            if row >= 0:
                                residual[row] -= count
                break
            take = -(-len(fractional) // fraction_of)
            price = self.prices_of(fractional)
            high = [i for i in fractional if fraction[i] >= 0.5] if nearest_first else []
            if high:
                # Nearest to a whole node first.
                order = sorted(high, key=lambda i: (-fraction[i], int(i)))[:take]
            else:
                # The cheapest to round up first (a big node used at 0.1 costs nine tenths of
                # its price; the LP moves its pods elsewhere meanwhile).
                order = sorted(fractional, key=lambda i: ((1 - fraction[i]) * price[int(i)], int(i)))
                order = order[: take if not nearest_first else 1]
            for i in order:
                var = self.variables[int(i)]
                var.SetLb(float(floors[i]) + 1.0)
            self.center = None
            self.pricer.set_residual(self.residual())
            left = limit - self.spent
            if (
                not self.generate(max(left, 0.0), rounds=DIVE_PRICING_ROUNDS)
                # Stopped by the clock, the LP it last solved stands: no re-solve past the dive's
                # part of the clock (the loop rounds it up next).
                and not self.budget.out_of_time(PATTERN_STAGE, self.reserve)
                and not self.solve(max(1, int(max(left, 0.01) * LP_ITERATIONS_PER_SECOND)))
            ):
                # Measured at 100,000 pods: the last re-solve within the work left stops on its
                # iteration limit; round up the last solution instead of giving up the dive.
                stalled = True
        self._complete_cover()
        if (self.residual() > 0).any():
            return None  # a row no column covers: no cover
        nodes: list[Pattern] = []
        for pattern, var in zip(self.patterns, self.variables, strict=True):
            count = round(var.lb())  # every column the LP used is fixed by now
            nodes.extend([pattern] * count)
        return nodes

    def _round_up_greedily(self) -> None:
        """Out of work mid-dive: fix whole copies of columns until every row is covered, each
        time the column that covers the most of what is left per dollar, a pod valued at its
        row's dual in the last LP (plus a millionth of the largest dual, or of 1 if that is
        larger, so that a row whose dual is 0 still counts). Any column will do, not only the
        LP's fractional ones: rounding up a column whose rows are mostly covered already buys a
        node for a pod or two. Only the rows still short and the columns holding some of them
        count; after each fix only the rows it covered are revalued.

        Example: rows short of 3 and 1 pods, both duals 1, columns holding (3, 0) at $1, (0, 1)
        at $0.5 and (3, 1) at $1.2: the third covers 4 for $1.2 (3.33 per dollar, against 3 and
        2), so it is fixed once and covers both rows for $1.2, where the first two cost $1.5."""
        residual = self.residual()
        short = np.flatnonzero(residual > 0)
        if not len(short):
            return
        position = {int(row): k for k, row in enumerate(short)}
        columns: list[int] = []
        entries: list[tuple[int, int, int]] = []  # (column's position, short row's position, pods)
        for i, pattern in enumerate(self.patterns):
            zone = int(self.compiled.option_zone[pattern.option])
            held = [
                (position[row], count)
                for g, count in pattern.pods
                if (row := self.row_of(g, zone)) in position
            ]
            if held:
                entries += [(len(columns), k, count) for k, count in held]
                columns.append(i)
        holds = np.zeros((len(columns), len(short)))
        for c, k, count in entries:
            holds[c, k] += count
        duals = np.nan_to_num(np.maximum(self.duals[short], 0.0), nan=0.0, posinf=0.0)
        weight = duals + 1e-6 * max(float(duals.max()), 1.0)
        price = np.maximum(
            [self.compiled.options[self.patterns[i].option].price_per_hour for i in columns], 1e-12
        )
        left = residual[short].astype(np.float64)
        covered = (np.minimum(holds, left[None, :]) * weight[None, :]).sum(axis=1)
        while (left > 0).any():
            # Rounded so that ties (the first column wins) do not hang on the last bit of a sum.
            best = int(np.argmax(np.round(covered / price, 9)))
            if not covered[best] > 0:
                break
            var = self.variables[columns[best]]
            var.SetLb(var.lb() + 1.0)
            for k in np.flatnonzero(holds[best]).tolist():
                before = np.minimum(holds[:, k], max(left[k], 0.0))
                left[k] -= holds[best, k]
                covered -= (before - np.minimum(holds[:, k], max(left[k], 0.0))) * weight[k]

    def _complete_cover(self) -> None:
        """Fix more copies of a column for each row still short: the column holding the most pods
        of the row (the cheaper first, then the first generated), as many as the row needs."""
        residual = self.residual()
        for row in np.flatnonzero(residual > 0):
            best: tuple[int, float, int] | None = None
            for i, pattern in enumerate(self.patterns):
                zone = int(self.compiled.option_zone[pattern.option])
                for g, count in pattern.pods:
                    if self.row_of(g, zone) == row:
                        key = (-count, self.compiled.options[pattern.option].price_per_hour, i)
                        if best is None or key < best:
                            best = key
            if best is None:
                continue
            var = self.variables[best[2]]
            short = int(residual[row])
            copies = -(-short // -best[0])
            var.SetLb(var.lb() + copies)
            residual = self.residual()


def column_generation(
    compiled: CompiledProblem,
    rows: _Rows,
    start: Sequence[Pattern],
    work: float,
    budget: SolveBudget,
    reserve: float = 0.0,
    group_duals: np.ndarray | None = None,
    useful: Mapping[int, Sequence[int]] | None = None,
    homogeneous: bool = False,
    exact_on_stall: bool = True,
    round_first: bool = False,
) -> tuple[_Master, CgResult]:
    """The LP master over patterns, grown by pricing until no column prices out or ``work``
    (deterministic seconds: simplex iterations plus pricing units) is spent. ``useful``: the
    undominated options per zone (:func:`~eks_plan.solver.lns._useful_options`), when known.
    ``homogeneous``: also start from each row's cheapest node of its group alone (see
    :meth:`_Pricer.homogeneous`). ``exact_on_stall``: price exactly also when the greedy's columns
    stall the LP (:data:`STALL`), not only when they run out."""
    master = _Master(compiled, rows, budget, reserve, useful, exact_on_stall, round_first)
    if START_WITH_INCUMBENT:
        for pattern in start:
            master.add(pattern)
    if homogeneous:
        for pattern in master.pricer.homogeneous():
            master.add(pattern)
    if group_duals is not None:
        # The per-class LP's duals (what one more pod of each group costs it) are close to the
        # master's: the columns they price out are a strong start, and they are the first
        # stabilisation centre.
        point = np.array([max(float(group_duals[g]), 0.0) for g, _ in rows.keys])
        before = master.pricer.units
        for factor in SEED_FACTORS:
            # At the relaxation's own duals no whole node prices out; a little above them, the
            # nodes that pack best do.
            master._add_priced(point * factor)
        master.spent += (master.pricer.units - before) / PRICING_UNITS_PER_SECOND
        master.center = point
    converged = master.generate(work)
    values = master.values() if master.variables else np.zeros(0)
    reduced = master.reduced() if master.variables else np.zeros(0)
    result = CgResult(master.patterns, master.value, values, reduced, 0, converged, master.spent)
    return master, result


def integer_master(
    compiled: CompiledProblem,
    rows: _Rows,
    result: CgResult,
    incumbent: Sequence[Pattern],
    work: float,
    budget: SolveBudget,
    seed: int,
    wall: float | None = None,
    used: list[float] | None = None,
) -> list[Pattern] | None:
    """The cheapest cover of the rows by whole columns that CP-SAT finds in ``work``
    deterministic seconds, hinted with the incumbent; ``None`` if it found none. The deterministic
    time CP-SAT spent is appended to ``used`` when given.

    CP-SAT runs on one worker whatever the solve's ``workers``: two interleaved workers check
    the deterministic limit only between batches of their tasks and overran it. Measured on the
    1,000-pod Karpenter-default master (1,000 columns, 70 rows, 1.21 deterministic s asked):
    two workers ran 3.17 deterministic s in 5.0 wall s for a cover of $45.52/h, one worker 1.21
    in 2.7 wall s for $45.12/h; the solve at 10 work, seeds 0-2: $44.91/h -> $44.84/h on average."""
    from ortools.sat.python import cp_model

    index = {(p.option, p.pods): i for i, p in enumerate(result.patterns)}
    chosen = {i for i, v in enumerate(result.values) if v > 1e-9}
    hint: dict[int, int] = {}
    for pattern in incumbent:
        i = index.get((pattern.option, pattern.pods))
        if i is not None:
            chosen.add(i)
            hint[i] = hint.get(i, 0) + 1
    order = np.argsort(result.reduced, kind="stable")
    for i in order:
        if len(chosen) >= MAX_INTEGER_COLUMNS:
            break
        chosen.add(int(i))
    columns = sorted(chosen)
    model = cp_model.CpModel()
    variables: dict[int, Any] = {}
    coverage: list[list[tuple[int, Any]]] = [[] for _ in rows.keys]
    pools = {p.name: p.max_nodes for p in compiled.problem.pools if p.max_nodes is not None}
    in_pool: dict[str, list[Any]] = {name: [] for name in pools}
    objective: list[tuple[int, Any]] = []
    for i in columns:
        pattern = result.patterns[i]
        zone = int(compiled.option_zone[pattern.option])
        upper = 0
        entries = []
        for g, count in pattern.pods:
            row = int(rows.free_row[g]) if rows.free_row[g] >= 0 else int(rows.zone_row[g, zone])
            if row < 0:
                continue
            entries.append((row, count))
            upper = max(upper, math.ceil(int(rows.demand[row]) / count))
        if not entries:
            continue
        var = model.new_int_var(0, upper, f"y{i}")
        variables[i] = var
        for row, count in entries:
            coverage[row].append((count, var))
        option = compiled.options[pattern.option]
        if option.pool in in_pool:
            in_pool[option.pool].append(var)
        objective.append((round(option.price_per_hour * MICRO), var))
    for row, terms in enumerate(coverage):
        if not terms:
            return None
        model.add(sum(count * var for count, var in terms) >= int(rows.demand[row]))
    for name, members in in_pool.items():
        if members:
            model.add(sum(members) <= int(pools[name] or 0))
    model.minimize(sum(price * var for price, var in objective))
    for i, var in variables.items():
        model.add_hint(var, hint.get(i, 0))
    solver, status = run_cp_sat(model, budget, INTEGER_STAGE, work=work, workers=1, seed=seed, wall=wall)
    if used is not None:
        used.append(float(solver.deterministic_time))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    nodes: list[Pattern] = []
    for i, var in variables.items():
        nodes.extend([result.patterns[i]] * int(solver.value(var)))
    return nodes


def _trim(compiled: CompiledProblem, rows: _Rows, nodes: Sequence[Pattern]) -> list[NodeSpec]:
    """Concrete nodes placing exactly each row's demand: pods covered twice come off the nodes
    that are emptiest in them first (taking pods off a node keeps every per-node rule)."""
    specs: list[NodeSpec] = [(p.option, int(compiled.option_zone[p.option]), p.as_dict()) for p in nodes]
    covered = np.zeros(len(rows.keys), dtype=np.int64)
    holders: dict[int, list[int]] = {}
    for n, (_, zone, pods) in enumerate(specs):
        for g, count in pods.items():
            row = int(rows.free_row[g]) if rows.free_row[g] >= 0 else int(rows.zone_row[g, zone])
            covered[row] += count
            holders.setdefault(row, []).append(n)
    for row, surplus in enumerate((covered - rows.demand).tolist()):
        extra = int(surplus)
        if extra <= 0:
            continue
        g = rows.keys[row][0]
        for n in sorted(holders[row], key=lambda n: (specs[n][2][g], n)):
            if extra == 0:
                break
            take = min(extra, specs[n][2][g])
            specs[n][2][g] -= take
            extra -= take
            if specs[n][2][g] == 0:
                del specs[n][2][g]
    return [spec for spec in specs if spec[2]]


def improve_with_patterns(
    compiled: CompiledProblem,
    placeable: Sequence[int],
    incumbent: Sequence[NodeSpec],
    work: float,
    budget: SolveBudget | None = None,
    seed: int = 0,
    reserve: float = 0.0,
    group_duals: np.ndarray | None = None,
    batch_rows: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> PatternResult | None:
    """Nodes (option, zone, pods per group) from column generation and the integer master, and
    the master's duals per group; ``None`` when the stage does not apply. ``incumbent`` (the best plan so
    far, placing the same pods per zone-bound row) seeds the columns and hints the master. The
    stage stops its work when fewer than ``reserve`` wall seconds of ``budget`` are left.
    ``group_duals`` (per group, the per-class LP's duals) seed the pricing.

    Above :data:`WHOLE_MASTER_PODS` pods (or when ``batch_rows`` is given) the rows are solved in
    batches of about ``batch_rows`` rows (default :data:`BATCH_ROWS`), see :func:`batch_rows_of`;
    ``on_batch(i, n)`` is called before batch ``i`` of ``n``."""
    if budget is None:
        budget = SolveBudget(10.0 * work + 1.0, work)
    if not supported(compiled) or work <= 0:
        return None
    rows = build_rows(compiled, placeable)
    if not rows.keys:
        return None
    start = _patterns_of(compiled, incumbent)
    if batch_rows is None and sum(placeable) > WHOLE_MASTER_PODS:
        batch_rows = batch_size(incumbent)
    if batch_rows is not None and len(rows.keys) > batch_rows:
        return _improve_in_batches(
            compiled, rows, incumbent, work, budget, seed, reserve, group_duals, batch_rows, on_batch
        )
    nodes, row_duals, _ = _pack_rows(compiled, rows, start, work, budget, seed, reserve, group_duals)
    return PatternResult(nodes, None if row_duals is None else _group_duals(compiled, rows, row_duals))


def batch_size(incumbent: Sequence[NodeSpec]) -> int:
    """Rows per batch: :data:`BATCH_ROWS`, fewer where the incumbent's nodes hold many groups
    (:data:`BATCH_DENSITY`), but not for that reason under :data:`MIN_BATCH_ROWS`.

    >>> batch_size([(0, 0, {g: 1 for g in range(26)})] * 3), batch_size([(0, 0, {0: 2, 1: 5})])
    (100, 200)
    """
    if not incumbent:
        return BATCH_ROWS
    groups_per_node = sum(sum(1 for count in pods.values() if count > 0) for _, _, pods in incumbent) / len(
        incumbent
    )
    rows = int(BATCH_DENSITY / max(groups_per_node, 1.0))
    return min(BATCH_ROWS, max(MIN_BATCH_ROWS, rows))


def _patterns_of(compiled: CompiledProblem, nodes: Sequence[NodeSpec]) -> list[Pattern]:
    """The nodes as patterns, those :func:`node_accepts` takes."""
    start: list[Pattern] = []
    for option, _, pods in nodes:
        pattern = Pattern(option, tuple(sorted((g, c) for g, c in pods.items() if c > 0)))
        if pattern.pods and node_accepts(compiled, option, pattern.as_dict()):
            start.append(pattern)
    return start


def _pack_rows(
    compiled: CompiledProblem,
    rows: _Rows,
    start: Sequence[Pattern],
    work: float,
    budget: SolveBudget,
    seed: int,
    reserve: float,
    group_duals: np.ndarray | None,
    useful: Mapping[int, Sequence[int]] | None = None,
    homogeneous: bool = False,
    cg_share: float = CG_SHARE,
    dive_share: float = DIVE_SHARE,
) -> tuple[list[NodeSpec] | None, np.ndarray | None, float]:
    """One master over ``rows``: column generation (``cg_share`` of ``work``), two dives
    (``dive_share``), the integer master (the rest, when at least :data:`MIN_INTEGER_WORK`).
    Returns the cheapest exact cover found (``None``: none), the master's duals per row, and the
    work spent (deterministic seconds).

    When there is an integer master, the wall time left to the stage is shared out among its
    parts: column generation stops once less than the integer master's part (its share of the
    work) and half the dives' part are left, the dives once less than the integer master's part
    is. A run whose parts each end on their work before their part of the clock is as before.
    Where the clock is shorter, the parts ran in turn until it stopped them, and the integer
    master, which makes most of the plan, often got no time: at 1,000 pods the stage's parts
    take 2.4-3.5 wall seconds per unit of work on this 2-core machine. Measured at a 10 s
    limit, 1,000 pods, 10 work:

    - Karpenter's default types: in turn (1652e66) $45.35-47.74/h, 7 of 9 runs $47.01/h or
      more; each part held to its own share (4e0ec2a) $45.27-46.19/h, 9 runs; as here
      $45.48-46.46/h, 5 runs;
    - every current type: in turn $38.3916/h in all 9 runs (column generation finished within
      the clock); each part held to its own share (4e0ec2a, 1106f7c) $38.32-39.31/h, 16 runs
      (column generation cut short); as here $38.33-38.39/h, 5 runs.

    A batch (no integer master) keeps the stage's clock whole (:func:`_fit_to_wall` sizes it);
    there too a dive stopped by the clock no longer solves once more, and no dive starts after
    the clock has passed the stage's reserve."""
    wall = max(budget.left() - reserve, 0.0)
    integer_part = 1 - cg_share - dive_share
    if work * integer_part < MIN_INTEGER_WORK:
        wall = 0.0  # no integer master: no part of the clock kept for it
    master, result = column_generation(
        compiled,
        rows,
        start,
        work * cg_share,
        budget,
        reserve + wall * (integer_part + dive_share / 2),
        group_duals,
        useful,
        homogeneous,
        # A batch prices exactly only once the greedy runs out (see STALL).
        exact_on_stall=not homogeneous,
        round_first=homogeneous,
    )
    if not result.patterns:
        return None, None, master.spent
    duals = master.duals.copy() if math.isfinite(master.value) else None
    dived: list[Pattern] | None = None
    best: list[NodeSpec] | None = None
    dives = DIVES if not homogeneous else BATCH_DIVES
    if work - master.spent - work * dive_share < MIN_INTEGER_WORK:
        wall = 0.0  # column generation overran: the integer master will not have the work to run
    master.reserve = reserve + wall * integer_part
    for variant, (nearest_first, fraction_of) in enumerate(dives):
        if variant and (budget.out_of_time(PATTERN_STAGE, master.reserve) or not master.reset()):
            break  # the dives' part of the clock is spent, or the master cannot be reset
        share = (work * (cg_share + dive_share) - master.spent) / (len(dives) - variant)
        nodes = master.dive(
            max(share, work * dive_share / 4), nearest_first, fraction_of, greedy_finish=homogeneous
        )
        if nodes is None:
            continue
        trimmed = _trim(compiled, rows, nodes)
        if best is None or _cost(compiled, trimmed) < _cost(compiled, best) - 1e-9:
            best, dived = trimmed, nodes
    spent = master.spent
    ip_work = work - master.spent if cg_share + dive_share < 1 else 0.0
    if ip_work >= MIN_INTEGER_WORK and not budget.out_of_time(INTEGER_STAGE, reserve):
        hint = dived if dived is not None else start
        final = CgResult(master.patterns, master.value, result.values, master.reduced(), 0, False, 0.0)
        used: list[float] = []
        nodes = integer_master(
            compiled,
            rows,
            final,
            hint,
            ip_work,
            budget,
            seed,
            wall=budget.left() - reserve,
            used=used,
        )
        spent += sum(used)
        if nodes is not None:
            trimmed = _trim(compiled, rows, nodes)
            if best is None or _cost(compiled, trimmed) < _cost(compiled, best) - 1e-9:
                best = trimmed
    return best, duals, spent


def free_zones(compiled: CompiledProblem, rows: _Rows) -> dict[int, int]:
    """A zone for each group free of zone rules, so that the batches separate by zone.

    No rule ties such a group's pods to a zone, and the zones' node options are alike, so each
    goes whole to the zone it may use with the least load so far (the groups largest first, load
    as the sum of the cpu and memory shares of the problem's total): the zones end up balanced and
    each zone's master packs its groups with the zone-bound rows of that zone.
    """
    zones_in_problem = [z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones]
    allowed_zones = np.zeros((len(compiled.groups), len(compiled.zones)), dtype=bool)
    for z in zones_in_problem:
        allowed_zones[:, z] = compiled.allowed[:, compiled.option_zone == z].any(axis=1)
    free = [(g, int(rows.demand[row])) for row, (g, z) in enumerate(rows.keys) if z is None]
    totals = np.zeros(2)
    for g, count in free:
        totals += compiled.requests[g, :2] * count
    totals = np.maximum(totals, 1.0)
    size = {g: float((compiled.requests[g, :2] * count / totals).sum()) for g, count in free}
    load = np.zeros(len(compiled.zones))
    chosen: dict[int, int] = {}
    for g, _ in sorted(free, key=lambda item: (-size[item[0]], item[0])):
        candidates = [z for z in zones_in_problem if allowed_zones[g, z]]
        if not candidates:
            continue
        zone = min(candidates, key=lambda z: (load[z], z))
        chosen[g] = zone
        load[zone] += size[g]
    return chosen


def batch_rows_of(
    compiled: CompiledProblem, rows: _Rows, batch_rows: int, zone_of: Mapping[int, int] | None = None
) -> list[list[int]]:
    """The rows cut into batches of about ``batch_rows`` rows that each master solves fast.

    With ``zone_of`` (a zone per free group, :func:`free_zones`) each batch holds the rows of one
    zone only, its free groups' rows counting in that zone: its master then prices that zone's
    options alone, a third of the columns over three zones, and every row of a batch may share a
    node with every other. A batch's rows are whole rows, so the batches share no pods: their
    nodes together place exactly every row. Within a zone, groups that need an extended
    resource (GPUs) take up to half of the first batches, the others are dealt round-robin in
    order of their cpu-to-memory ratio, so every batch holds cpu-heavy and memory-heavy groups
    whose pods complement each other on a node. Deterministic: a fixed order on the groups'
    requests and indices.
    """
    by_zone: dict[int | None, list[int]] = {}
    for row, (g, z) in enumerate(rows.keys):
        zone = z if z is not None or zone_of is None else zone_of.get(g)
        by_zone.setdefault(zone if zone_of is not None else None, []).append(row)
    result: list[list[int]] = []
    for zone in sorted(by_zone, key=lambda z: -1 if z is None else z):
        result.extend(_deal(compiled, rows, by_zone[zone], batch_rows))
    return result


def _deal(compiled: CompiledProblem, rows: _Rows, selected: list[int], batch_rows: int) -> list[list[int]]:
    """``selected`` rows dealt into batches of about ``batch_rows`` (a group's rows together)."""
    per_group: dict[int, list[int]] = {}
    for row in selected:
        per_group.setdefault(rows.keys[row][0], []).append(row)
    count = max(1, math.ceil(len(selected) / max(batch_rows, 1)))
    size = math.ceil(len(selected) / count)
    batches: list[list[int]] = [[] for _ in range(count)]
    requests = compiled.requests
    special = {g for g in per_group if requests.shape[1] > 3 and (requests[g, 3:] > 0).any()}
    filling = 0
    for g in sorted(special):
        # At most half of a batch, so that ordinary pods fill what the special ones leave.
        if len(batches[filling]) >= max(size // 2, 1) and filling + 1 < count:
            filling += 1
        batches[filling].extend(per_group[g])
    ordinary = [g for g in per_group if g not in special]
    ratio = {g: float(requests[g, 0]) / max(float(requests[g, 1]), 1.0) for g in ordinary}
    for position, g in enumerate(sorted(ordinary, key=lambda g: (ratio[g], g))):
        # Round-robin, and past each full turn the other way round (a snake), so the batches'
        # ratios balance; a full batch passes its turn to the smallest.
        turn, step = divmod(position, count)
        b = step if turn % 2 == 0 else count - 1 - step
        if len(batches[b]) >= size:
            b = min(range(count), key=lambda i: (len(batches[i]), i))
        batches[b].extend(per_group[g])
    return [sorted(batch) for batch in batches if batch]


def _sub_rows(
    compiled: CompiledProblem, rows: _Rows, selected: Sequence[int], zone_of: Mapping[int, int] | None = None
) -> _Rows:
    """The rows ``selected`` (indices into ``rows``) as a master's rows of their own; a free
    group's row becomes a row of its zone in ``zone_of`` when it has one."""
    free_row = np.full(len(compiled.groups), -1, dtype=np.int64)
    zone_row = np.full((len(compiled.groups), len(compiled.zones)), -1, dtype=np.int64)
    keys: list[tuple[int, int | None]] = []
    for new, row in enumerate(selected):
        g, z = rows.keys[row]
        if z is None and zone_of is not None and g in zone_of:
            z = zone_of[g]
        keys.append((g, z))
        if z is None:
            free_row[g] = new
        else:
            zone_row[g, z] = new
    demand = rows.demand[np.asarray(selected, dtype=np.int64)].copy()
    return _Rows(keys, demand, free_row, zone_row, {})


def _project(nodes: Sequence[NodeSpec], rows: _Rows, selected: Sequence[int]) -> list[NodeSpec]:
    """The nodes holding only their pods of the rows ``selected`` (nodes left empty dropped):
    fewer pods on a node keep every per-node rule."""
    wanted = {rows.keys[row] for row in selected}
    projected: list[NodeSpec] = []
    for option, zone, pods in nodes:
        kept = {
            g: c
            for g, c in pods.items()
            if c > 0 and ((g, None) in wanted if rows.free_row[g] >= 0 else (g, zone) in wanted)
        }
        if kept:
            projected.append((option, zone, kept))
    return projected


def _left_to_incumbent(
    compiled: CompiledProblem, incumbent: Sequence[NodeSpec], rows: _Rows, selected: Sequence[int]
) -> list[NodeSpec]:
    """Nodes for the rows ``selected`` when no batch master places them: the incumbent's pods of
    those rows, each group on the class and in the zone the incumbent gave it, packed afresh
    first-fit (:meth:`~eks_plan.solver.packing.Packer.place_portions`); the incumbent's nodes
    restricted to those pods (:func:`_project`) if the packing leaves any pod out.

    Why not the restricted nodes alone: the incumbent's nodes hold pods of every batch of their
    zone, and a free group's pods sit in every zone, so most of them keep a pod or two of the rows
    left at a whole node's price (measured at 10,000 pods on Karpenter's default types, the wall
    clock reached during the fifth of six batches: the rows left cost $395/h on the incumbent's
    nodes, the whole plan $876/h against the incumbent's $569.66/h, so the stage's work was lost).
    """
    from eks_plan.solver.packing import Packer, Portion

    projected = _project(incumbent, rows, selected)
    portions: Counter[tuple[int, int, int]] = Counter()
    for option, zone, pods in projected:
        for g, count in pods.items():
            portions[(g, int(compiled.class_of[option]), zone)] += count
    packer = Packer(compiled)
    packer.place_portions([Portion(g, c, z, n) for (g, c, z), n in sorted(portions.items())])
    if any(packer.unplaced.values()):
        return projected
    packer.downsize()
    repacked = [(node.option, node.zone, dict(node.pods)) for node in packer.nodes if node.pods]
    return repacked if _cost(compiled, repacked) < _cost(compiled, projected) else projected


def _improve_in_batches(
    compiled: CompiledProblem,
    rows: _Rows,
    incumbent: Sequence[NodeSpec],
    work: float,
    budget: SolveBudget,
    seed: int,
    reserve: float,
    group_duals: np.ndarray | None,
    batch_rows: int,
    on_batch: Callable[[int, int], None] | None,
) -> PatternResult | None:
    """The rows solved batch by batch (:func:`batch_rows_of`, one zone at a time, the free groups
    each in the zone :func:`free_zones` gives it), each by its own master with an equal share of
    the work left (what a batch leaves goes to the next ones; less when the wall time left would
    not hold it, :func:`_fit_to_wall`), its nodes concatenated.

    When the wall clock's net is reached, the rows left keep the incumbent's nodes restricted to
    them, packed afresh (:func:`_left_to_incumbent`), and so do the rows of a batch that the wall
    clock cut short or whose work was cut to fit it, if that batch's nodes cost more; a batch
    whose master finds no cover makes the
    whole stage fail (``None``: the incumbent then places its free groups in other zones). Pool
    maximums span batches: problems with one are left to the single master (``None``). ``None``
    too when the nodes do not place each row exactly.
    """
    from eks_plan.solver.lns import _useful_options

    if any(pool.max_nodes is not None for pool in compiled.problem.pools):
        return None
    zone_of = free_zones(compiled, rows)
    batches = batch_rows_of(compiled, rows, batch_rows, zone_of)
    useful = _useful_options(compiled)
    nodes: list[NodeSpec] = []
    row_duals = np.zeros(len(rows.keys))
    spent = asked = batches_wall = 0.0
    for index, batch in enumerate(batches):
        if budget.out_of_time(PATTERN_STAGE, reserve):
            left = [row for later in batches[index:] for row in later]
            nodes.extend(_left_to_incumbent(compiled, incumbent, rows, left))
            break
        if on_batch is not None:
            on_batch(index, len(batches))
        sub = _sub_rows(compiled, rows, batch, zone_of)
        start = _patterns_of(compiled, _project(incumbent, sub, range(len(sub.keys))))
        # What earlier batches left over goes to the later ones; an overrun (CP-SAT's presolve is
        # not within its deterministic limit) takes at most a quarter of a later batch's share.
        share = max(max(work - spent, 0.0) / (len(batches) - index), 0.75 * work / len(batches))
        fitted = share
        if asked > 0:
            # The earlier masters' wall seconds per unit of work asked (not spent: a batch that
            # converges early asks for more than it spends, and would make a small problem's
            # rate look slow).
            fitted = _fit_to_wall(share, batches_wall / asked, len(batches) - index, budget, reserve)
        asked += fitted
        batch_started = budget.elapsed()
        found, batch_duals, used = _pack_rows(
            compiled,
            sub,
            start,
            fitted,
            budget,
            seed,
            reserve,
            group_duals,
            useful,
            homogeneous=True,
            cg_share=BATCH_CG_SHARE,
            dive_share=1 - BATCH_CG_SHARE,
        )
        batches_wall += budget.elapsed() - batch_started
        spent += used
        if found is None:
            return None
        if batch_duals is not None:
            row_duals[np.asarray(batch, dtype=np.int64)] = batch_duals
        out_of_time = budget.out_of_time(PATTERN_STAGE, reserve)
        if out_of_time or fitted < share:
            # The wall clock may have cut this batch short, or its work was cut to fit it: its
            # nodes stay only if they cost less than the incumbent's pods of its rows packed
            # afresh.
            instead = _left_to_incumbent(compiled, incumbent, rows, batch)
            found = found if _cost(compiled, found) < _cost(compiled, instead) - 1e-9 else instead
        nodes.extend(found)
        if out_of_time:
            # The rows left get the incumbent's pods.
            left = [row for later in batches[index + 1 :] for row in later]
            nodes.extend(_left_to_incumbent(compiled, incumbent, rows, left))
            break
    if not _places_exactly(compiled, rows, nodes):
        return None
    return PatternResult(nodes, _group_duals(compiled, rows, row_duals))


def _fit_to_wall(
    share: float, wall_per_work: float, batches_left: int, budget: SolveBudget, reserve: float
) -> float:
    """A batch's work ``share``, cut when at the earlier batches' rate (``wall_per_work``, wall
    seconds per deterministic second asked) it would take more than its equal part of the wall
    time left, to what that part buys; the stage is then recorded as cut by the wall clock (its
    plan depends on this machine's speed from here on).

    Why: at 10,000 pods on Karpenter's default types a batch took 4.7-7.1 wall s for its 2.3-2.4
    work, so the 30 s limit ran 4 of 6 batches and the rows left kept the incumbent's pods,
    repacked at 4.8% more than their share of its cost; with the dives' greedy finish
    (:meth:`_Master._round_up_greedily`) a batch with less work still beats those pods.

    Three batches left in 12 s: at 1 s per unit, a share of 2 (2 s) fits its 4 s; at 3 s per
    unit it would take 6 s, so it gets 4 s / 3 = 1.33 units (less what the clock ran since)::

    >>> budget = SolveBudget(12.0, 100.0)
    >>> _fit_to_wall(2.0, 1.0, 3, budget, 0.0), budget.cut
    (2.0, [])
    >>> 1.0 < _fit_to_wall(2.0, 3.0, 3, budget, 0.0) <= 4 / 3, budget.cut
    (True, ['pattern packing (column generation)'])
    """
    slice_ = (budget.left() - reserve) / batches_left
    if share * wall_per_work <= slice_:
        return share
    budget.note_cut(PATTERN_STAGE)
    return max(slice_, 0.0) / wall_per_work


def _places_exactly(compiled: CompiledProblem, rows: _Rows, nodes: Sequence[NodeSpec]) -> bool:
    """Whether the nodes place exactly each row's pods (and no pod outside the rows)."""
    covered = np.zeros(len(rows.keys), dtype=np.int64)
    for _, zone, pods in nodes:
        for g, count in pods.items():
            row = int(rows.free_row[g]) if rows.free_row[g] >= 0 else int(rows.zone_row[g, zone])
            if row < 0:
                return False
            covered[row] += count
    return bool((covered == rows.demand).all())


def _cost(compiled: CompiledProblem, nodes: Sequence[NodeSpec]) -> float:
    return sum(compiled.options[option].price_per_hour for option, _, _ in nodes)


def _group_duals(compiled: CompiledProblem, rows: _Rows, duals: np.ndarray) -> np.ndarray:
    """Per group, the demand-weighted mean of its rows' duals (their sum over the rows is kept)."""
    total = np.zeros(len(compiled.groups))
    count = np.zeros(len(compiled.groups))
    for (g, _), demand, dual in zip(rows.keys, rows.demand, duals, strict=True):
        total[g] += max(float(dual), 0.0) * int(demand)
        count[g] += int(demand)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def farley_bound(
    compiled: CompiledProblem,
    placeable: Sequence[int],
    group_duals: np.ndarray,
    work: float,
    budget: SolveBudget,
    seed: int = 0,
) -> float:
    """A proven lower bound on the cost of every plan placing ``placeable``, from any duals
    ``pi >= 0`` (Farley's bound): every plan's nodes hold ``sum_g pi[g] * pods[g]`` of value, a
    node of option ``o`` at most ``v[o]``, so its cost is at least that value divided by
    ``max_o v[o] / price[o]``.

    ``v[o]`` is the most ``pi``-value one node may hold under the rules every real plan keeps
    (every resource; one pod per node from hostname anti-affinity or a hostPort; conflicts and
    the hostname spread caps are left out, which only raises ``v``): first over-estimated by the
    fractional knapsack of each resource alone, then, from the option of the highest ratio down,
    computed exactly by CP-SAT (its proven bound when it stops early) until no over-estimate is
    above the best exact ratio, or ``work`` (deterministic seconds) ends and the next
    over-estimate stands in. Options no other of the zone and pool dominates are enough: a
    dominated one holds no more for no less. Returns 0 where it does not apply (node pools with
    limits: their duals are not modelled here). Shaved by one part in a million for floating
    point, as :mod:`~eks_plan.solver.bound`.
    """
    from eks_plan.solver.lns import _useful_options

    if any(p.min_nodes or p.max_nodes is not None for p in compiled.problem.pools):
        return 0.0
    pods = np.asarray(placeable, dtype=np.int64)
    pi = np.where(pods > 0, np.maximum(group_duals, 0.0), 0.0)
    demand_value = float((pi * pods).sum())
    if demand_value <= 0:
        return 0.0
    options = sorted({o for members in _useful_options(compiled).values() for o in members})
    groups = np.flatnonzero(pi > 0)
    hard_cap = np.where(compiled.rule_cap_is_hard, compiled.rule_cap, UNLIMITED)
    upper: dict[int, float] = {}
    for o in options:
        allowed = compiled.allowed[groups, o]
        if not allowed.any():
            continue
        members = groups[allowed]
        counts = np.minimum(np.minimum(compiled.fit_alone[members, o], hard_cap[members]), pods[members])
        upper[o] = min(
            _fractional_knapsack(
                pi[members], compiled.requests[members, r], counts, int(compiled.usable[o, r])
            )
            for r in range(len(compiled.resources))
        )
    if not upper:
        return 0.0
    price = {o: compiled.options[o].price_per_hour for o in upper}
    order = sorted(upper, key=lambda o: (-upper[o] / price[o], o))
    ratio = 0.0
    spent = 0.0
    for position, o in enumerate(order):
        if upper[o] / price[o] <= ratio:
            break
        if spent >= work or budget.out_of_time(BOUND_STAGE):
            ratio = max(ratio, upper[o] / price[o])  # every option left is at most this
            break
        value, used = _exact_node_value(compiled, o, groups, pi, pods, hard_cap, work - spent, budget, seed)
        spent += used
        ratio = max(ratio, min(value, upper[o]) / price[o])
        if position == len(order) - 1:
            break
    if ratio <= 0:
        return 0.0
    return demand_value / ratio * (1 - 1e-6)


def _fractional_knapsack(values: np.ndarray, weights: np.ndarray, counts: np.ndarray, capacity: int) -> float:
    """The most value ``counts`` items of ``values`` / ``weights`` fit in ``capacity`` when items
    may be split: an upper bound on the whole-item knapsack."""
    free = weights <= 0
    total = float((values[free] * counts[free]).sum())
    left = float(max(capacity, 0))
    rest = np.flatnonzero(~free)
    density = values[rest] / weights[rest]
    for i in rest[np.argsort(-density, kind="stable")]:
        if left <= 0:
            break
        take = min(float(counts[i]), left / float(weights[i]))
        total += take * float(values[i])
        left -= take * float(weights[i])
    return total


def _exact_node_value(
    compiled: CompiledProblem,
    option: int,
    groups: np.ndarray,
    pi: np.ndarray,
    pods: np.ndarray,
    hard_cap: np.ndarray,
    work: float,
    budget: SolveBudget,
    seed: int,
) -> tuple[float, float]:
    """An upper bound on the most ``pi``-value one node of ``option`` holds (CP-SAT's optimum, or
    its proven bound when it stops early, with values rounded up); and the work it took."""
    from ortools.sat.python import cp_model

    items = {
        int(g): (
            int(min(compiled.fit_alone[g, option], hard_cap[g], pods[g])),
            math.ceil(float(pi[g]) * MICRO),
        )
        for g in groups
        if compiled.allowed[g, option]
    }
    knapsack = _knapsack_model(items, compiled.requests, compiled.usable[option])
    if knapsack is None:
        return 0.0, 0.0
    model, _ = knapsack
    solver, status = run_cp_sat(
        model, budget, BOUND_STAGE, work=max(min(work, EXACT_NODE_WORK), 0.001), workers=1, seed=seed
    )
    spent = float(solver.deterministic_time) + MODEL_CHARGE
    if status == cp_model.OPTIMAL:
        return solver.objective_value / MICRO, spent
    if status == cp_model.FEASIBLE:
        return solver.best_objective_bound / MICRO, spent
    return math.inf, spent


def _knapsack_model(
    items: Mapping[int, tuple[int, int]], requests: np.ndarray, capacity: np.ndarray
) -> tuple[Any, dict[int, Any]] | None:
    """A CP-SAT model of one node's content: ``items[i] = (most, value)`` allows up to ``most``
    pods of item ``i`` (a row of ``requests``), each worth ``value`` (an integer, in millionths);
    every resource within ``capacity``; the value maximised. Returns the model and the count
    variable of each item it holds, or ``None`` when no item may take a pod. The callers add
    their own rows (conflicts, spread caps) before solving."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    counts: dict[int, Any] = {}
    terms: list[tuple[int, Any]] = []
    for i, (most, value) in items.items():
        if most > 0:
            counts[i] = model.new_int_var(0, most, f"n{i}")
            terms.append((value, counts[i]))
    if not terms:
        return None
    for r in range(len(capacity)):
        used = [(int(requests[i, r]), var) for i, var in counts.items() if requests[i, r] > 0]
        if used:
            model.add(sum(a * var for a, var in used) <= int(capacity[r]))
    model.maximize(sum(c * var for c, var in terms))
    return model, counts
