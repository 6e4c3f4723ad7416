"""The solve pipeline: pre-pass, bound, candidate plans, packing, verification.

Design (chosen for problems from a handful of pods to 100,000 pods in 3,000 workloads over ~900
instance types x 3 zones, on 2 cores):

1. **Compatibility pre-pass** (:mod:`~eks_plan.solver.compat`): which group may use which option,
   with the options collapsed into zone-free classes; groups no option takes are explained
   (:mod:`~eks_plan.solver.explain`), and replicas a rule can never place (more replicas than
   zones under zone anti-affinity, ...) are set aside with their reason.
2. **Bound** (:mod:`~eks_plan.solver.bound`): a linear relaxation over the FULL option set by
   column generation; its Lagrangian dual value is the proven lower bound.
3. **Candidate decisions** of pods per class: a greedy one (each group on its class with the
   lowest price per dominant share: the warm start and fallback, always available), the LP's
   rounded, and CP-SAT's integer model over the classes the LP found useful
   (:mod:`~eks_plan.solver.model`); reducing the option set is safe because the bound is not
   taken from it.
4. **Packing** (:mod:`~eks_plan.solver.packing`): zone split and first-fit decreasing onto
   concrete nodes; the LP's decision is also placed node by node in proportion
   (:meth:`~eks_plan.solver.packing.Packer.place_sampled`: each node an even share of its class's
   pods; from :data:`PROPORTIONAL_PODS` pods), which on Karpenter's default types beats what
   first-fit and the pattern stage reach (100,000 pods: $4,600.52/h against $4,929.45/h), though
   not over every current type at 10,000 pods, where the pattern stage wins; then
   enough spare nodes for zone loss when asked
   (:func:`~eks_plan.solver.packing.add_zone_loss_spares`: one lost zone at a time, its leftover
   pods packed by the verifier's own first-fit onto spares in the zones with the least capacity).
4b. **Pattern packing** (:mod:`~eks_plan.solver.patterns`), from
   :data:`~eks_plan.solver.patterns.MIN_PODS` to :data:`~eks_plan.solver.patterns.MAX_PODS` pods
   without pod affinity on hostname (with zone loss, the spares are bought after it):
   column generation over whole-node patterns started from the best packing's nodes and the LP's
   duals, two dives with re-pricing and a CP-SAT master over the columns; the best of its plan
   and the packings goes on. At 1,000 pods first-fit loses 5-8%, the patterns 1.5-2% after the
   search (measured under load at 10 s: $47.34/h -> $44.82/h on Karpenter's default types). Above
   :data:`~eks_plan.solver.patterns.WHOLE_MASTER_PODS` pods the rows are solved in batches within
   one zone each (10,000 pods over every current type: $564.16/h -> $517.76/h at 30 s; 100,000
   pods on Karpenter's default types: $5,048.95/h -> $4,916.70/h at 120 s), with
   :data:`PATTERN_SHARE_BATCHED` of the work. When
   its plan is the best, the per-class models of steps 3 and 5 are skipped: their decisions lose
   to it once packed.
5. **Node counts per zone** (:func:`~eks_plan.solver.model.zoned_decisions`): the same CP-SAT
   model with nodes counted per (class, zone), hinted with the best packing so far. The per-class
   model's counts lose several percent when the packer rounds them up in every zone a class is
   used in (1,000 pods: model $45.35/h, packed $47.74/h); counting per zone removes that loss.
6. **Large-neighbourhood search** (:mod:`~eks_plan.solver.lns`): a few nodes of one zone at a
   time, led by the most wasteful, are re-packed exactly by a small CP-SAT model that picks their
   types and contents; cheaper answers replace them. It repairs what first-fit and the aggregated
   models cannot see (a 19.4-vCPU zone on a 32-vCPU node, half-empty one-per-node nodes).
   Skipped when the plan must survive a zone loss (its spares are sized from the packing).
7. **Verification** (:mod:`~eks_plan.solver.verify`): the cheapest candidate that the independent
   verifier accepts is returned (the search's plan, else the packer's); if none is accepted,
   that is a bug and :class:`SolverBug` is raised.

Time: every stage gets a fixed share of the work budget (``SolveOptions.work_limit``, by default
the time limit) in deterministic units (:mod:`~eks_plan.solver.budget`): the LP :data:`LP_SHARE`
in simplex iterations, the pattern packing :data:`PATTERN_SHARE` (simplex iterations, pricing
steps and CP-SAT deterministic time), the integer bound :data:`BOUND_SHARE`, the CP-SAT models
:data:`CP_SAT_SHARE` and :data:`ZONED_SHARE` in CP-SAT deterministic time, the search
:data:`SEARCH_SHARE` in its own count. So the same input gives the same plan on any machine. The
wall clock (``time_limit_seconds``) is only a safety net, with :data:`VERIFY_RESERVE` plus
:data:`VERIFY_SHARE` of it kept for the verifier, and each CP-SAT stage netted at a part of the
wall time left (the bound 30%, each model 50%) so that a slow machine still reaches the search;
when it cuts a stage short, the plan's ``stopped_by`` is ``wall-clock`` and a note says so. A
cancelled ``SolveOptions.cancel`` token stops the solve within a fraction of a second with
:class:`~eks_plan.solver.budget.Cancelled`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from eks_plan.errors import EksPlanError
from eks_plan.solver import explain
from eks_plan.solver.bound import INTEGER_BOUND_STAGE, LpResult, integer_zone_bound, lp_bound
from eks_plan.solver.budget import SolveBudget
from eks_plan.solver.compat import CompiledProblem, compile_problem
from eks_plan.solver.model import CLASS_STAGE, ZONED_STAGE
from eks_plan.solver.packing import (
    Node,
    Packer,
    add_zone_loss_spares,
    enforce_rules,
    zone_rules_reason,
)
from eks_plan.solver.plan import (
    Fit,
    FitCount,
    NullObserver,
    Plan,
    PlannedNode,
    ReasonCode,
    SolveObserver,
    UnplacedReason,
    Unschedulable,
)
from eks_plan.solver.problem import Problem, SolveOptions
from eks_plan.solver.soft import soft_rule_outcomes
from eks_plan.solver.verify import format_violations, verify_plan


class SolverBug(EksPlanError):
    """The solver produced a plan its own verifier rejects: a bug in eks-plan, not in the input."""


#: How many pods of each group go to each option class, zones not yet chosen: ``counts[g][c]`` pods of
#: pod group ``g`` (index into ``CompiledProblem.groups``) on nodes of option class ``c`` (index into
#: ``CompiledProblem.classes``). The greedy start and the rounded LP produce one; the packer turns it
#: into nodes.
PodsPerClass = dict[int, dict[int, int]]
#: How a decision's pods go onto nodes: first-fit decreasing (:meth:`Packer.place_all`), the same
#: with each class's own nodes first, or node by node in proportion (:meth:`Packer.place_sampled`,
#: balanced or in evenly spaced cuts).
Placement = Literal["first-fit", "own-class-first", "balanced", "cuts"]
PROPORTIONAL: tuple[Placement, ...] = ("balanced", "cuts")
#: Shares of the time limit for CP-SAT's per-class model, its zone-indexed model and the
#: neighbourhood search, in deterministic time (CP-SAT's measure of work, about seconds here), so
#: that the same input gives the same plan; each stage also stops at half the wall time left (a
#: slow machine), and the LP gets at most 30% of it. The per-class model finds its best mixes early
#: (1,000 pods: within 1.5 s), the search keeps paying until the end.
CP_SAT_SHARE = 0.15
#: Share for the integer bound of small problems (:func:`~eks_plan.solver.bound.integer_zone_bound`).
BOUND_SHARE = 0.1
ZONED_SHARE = 0.15
#: From this many pods on, the per-class model rarely beats the LP's rounding in its time (100,000
#: pods: its best mix packs to 30% more) while the zone-indexed model keeps improving: their shares.
#: The LP's rounding is also packed class by class there (2.3% cheaper at 100,000 pods).
LARGE_PODS = 50_000
#: From this many pods the LP's decision is also placed node by node in proportion: at 1,000 pods
#: it was dearer than first-fit on both benchmark type sets ($51.32/h against $47.74/h on
#: Karpenter's default types), where the 10 s budget has no time to spare.
PROPORTIONAL_PODS = 5_000
#: From this many pods the LP's decision is also placed in evenly spaced cuts, beside the balanced
#: placement: at 100,000 pods over every current type the cuts packed it for $4,898.41/h against
#: $4,978.79/h (at 10,000 pods they lost on both type sets, and at 1,000 neither wins).
PROPORTIONAL_CUTS_PODS = LARGE_PODS
CP_SAT_SHARE_LARGE = 0.05
ZONED_SHARE_LARGE = 0.3
SEARCH_SHARE = 0.5
#: Share for pattern packing (:mod:`~eks_plan.solver.patterns`): column generation over whole
#: nodes, then CP-SAT over the columns.
PATTERN_SHARE = 0.35
PATTERN_STAGE = "pattern packing"
#: Share of the wall time left that the pattern stage leaves to the search (a safety net only).
#: The stage's plan is worth far more than the search's seconds: at 1,000 pods on Karpenter's
#: default types it needs about 7 wall s for its work on the 2-core machine, and with 0.4 left to
#: the search the wall clock cut it before its integer master in most 10 s runs, which then kept
#: first-fit's plan. Measured at a 10 s limit, seeds 0-2, runs interleaved (2026-12-01): Karpenter
#: default $47.54 / $47.51 / $45.79 per hour with 0.4, $45.06 / $45.02 / $45.06 with 0.15 ($45.35 /
#: $44.96 / $45.18 with 0.25, $45.08 / $45.03 / $45.09 with 0.05); all-current $38.30-38.39 with
#: each.
PATTERN_WALL_KEEP = 0.15
#: ... above :data:`~eks_plan.solver.patterns.WHOLE_MASTER_PODS` pods, where the stage solves
#: batches: its plan beats the per-class models' by several percent (10,000 pods over every current
#: type, 30 s: $516.92/h from the batches, $515.62/h after the search, against $562.70/h without
#: them), and the search moved the plan by 0.25% there, so the batches get the wall time.
PATTERN_SHARE_BATCHED = 0.5
PATTERN_WALL_KEEP_BATCHED = 0.1
#: Share of the work for the linear relaxation (:func:`~eks_plan.solver.bound.lp_bound`), and the
#: most work for the bound of a partial plan at the end.
LP_SHARE = 0.3
FINAL_LP_WORK = 10.0
#: Share of the time limit a per-class CP-SAT model needs left to start (:func:`_model_has_time`).
MODEL_MIN_WALL_SHARE = 0.1
#: Name of a stage the wall clock may cut short (reported in the plan's notes).
PACKING_STAGE = "packing"
#: Seconds, and share of the time limit, kept for the verifier and the report.
VERIFY_RESERVE = 0.3
VERIFY_SHARE = 0.05
#: ... plus this per node of the plan (100,000 pods on every current type: 10,400 nodes, whose
#: report and verification took more than the 6.3 s above).
VERIFY_SECONDS_PER_NODE = 0.0006
#: ... and this more per node when the plan must survive a zone loss: the spares bought after the
#: pattern stage and the verifier's zone-loss check (100,000 pods on Karpenter's default types:
#: 9.6 s of spares for an incumbent of 11,500 nodes, 10.8 s of verification for 14,600; without
#: it the 120 s solve ended at 127 s).
ZONE_LOSS_SECONDS_PER_NODE = 0.0013
DEFAULT_OPTIONS = SolveOptions()
NO_OBSERVER = NullObserver()


def solve(
    problem: Problem, options: SolveOptions = DEFAULT_OPTIONS, observer: SolveObserver = NO_OBSERVER
) -> Plan:
    """The cheapest verified plan found within ``options.work_limit``, with its bound: the steps
    of the module docstring, each a function below.

    Raises :class:`~eks_plan.solver.budget.Cancelled` when ``options.cancel`` is cancelled.
    """
    budget = SolveBudget(options.time_limit_seconds, options.work_limit, options.cancel)
    observer.on_phase("matching workloads to node options")
    compiled = compile_problem(problem)
    placeable, set_aside = _structural_limits(compiled)
    budget.check()
    lp, whole_nodes_bound = _prove_bounds(compiled, placeable, budget, options, observer)
    run = _Run(compiled, placeable, budget, options, observer, lp, max(lp.bound, whole_nodes_bound))
    packed = _pack_candidates(run)
    # patterned: the stage beat the first-fit packings, and with them what the per-class models
    # would give, which first-fit packs too; so they are skipped even when a proportional
    # packing beats the stage.
    staged, patterned = _improve_with_patterns(run, packed)
    run.offer(staged)
    if lp.pods and not patterned:
        _improve_with_class_models(run)
    searched = _search_neighbourhoods(run)
    return _verified_plan(run, problem, searched, set_aside)


@dataclass
class _Run:
    """What the stages of one solve share: the compiled problem, the pods to place, the budget,
    the options, the observer, the per-class LP, the best proven bound (the LP's or the integer
    bound's: progress reports it, so the bound shown never falls back), and the best candidate so
    far (:meth:`offer` keeps it)."""

    compiled: CompiledProblem
    placeable: list[int]
    budget: SolveBudget
    options: SolveOptions
    observer: SolveObserver
    lp: LpResult
    bound: float
    pod_count: int = field(init=False)
    _best: _Candidate | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.pod_count = sum(self.placeable)

    @property
    def best(self) -> _Candidate:
        assert self._best is not None, "the greedy candidate is offered first"
        return self._best

    def on_phase(self, message: str) -> None:
        self.observer.on_phase(message)

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
        """A stage's progress, passed on with the best bound proven so far (the per-class models
        know only the LP's): the run is the observer its stages report to."""
        self.observer.on_progress(best_cost, max(bound, self.bound), elapsed_seconds)

    def offer(self, candidate: _Candidate) -> None:
        """Keep ``candidate`` when it beats the best so far, and tell the observer."""
        if self._best is None or candidate.better_than(self._best):
            self._best = candidate
            self.observer.on_progress(candidate.cost, self.bound, self.budget.elapsed())


def _prove_bounds(
    compiled: CompiledProblem,
    placeable: list[int],
    budget: SolveBudget,
    options: SolveOptions,
    observer: SolveObserver,
) -> tuple[LpResult, float]:
    """Step 2: the per-class LP (its bound, and its solution for the candidates) and the integer
    bound with whole nodes per zone (0 when it does not apply or has no time)."""
    observer.on_phase("proving a lower bound (linear relaxation over every node option)")
    lp = lp_bound(compiled, placeable, budget.work * LP_SHARE, budget)
    observer.on_progress(None, lp.bound, budget.elapsed())
    whole_nodes_bound = 0.0
    if lp.feasible and not budget.out_of_time(INTEGER_BOUND_STAGE, _reserve(budget)):
        observer.on_phase("proving a lower bound with whole nodes per zone (CP-SAT)")
        whole_nodes_bound = integer_zone_bound(
            compiled,
            placeable,
            budget.work * BOUND_SHARE,
            options.workers,
            options.seed,
            budget,
            wall=(budget.left() - _reserve(budget)) * 0.3,
        )
        if whole_nodes_bound > lp.bound:
            observer.on_progress(None, whole_nodes_bound, budget.elapsed())
    return lp, whole_nodes_bound


def _pack_candidates(run: _Run) -> _Candidate:
    """Steps 3 and 4: the greedy and the LP's rounded decisions, packed into nodes (first-fit,
    and from :data:`PROPORTIONAL_PODS` pods also node by node in proportion); the best becomes
    the run's. Returns the best first-fit packing, where the pattern stage starts."""
    compiled, placeable, budget, lp = run.compiled, run.placeable, run.budget, run.lp
    candidates: list[tuple[str, PodsPerClass, Placement]] = [
        ("greedy", _greedy_decision(compiled, placeable), "first-fit")
    ]
    if lp.pods:
        rounded = _round_lp(lp, placeable)
        candidates.append(("lp-rounded", rounded, "first-fit"))
        if run.pod_count >= PROPORTIONAL_PODS:
            candidates.append(("lp-rounded, node by node in proportion", rounded, "balanced"))
        if run.pod_count >= PROPORTIONAL_CUTS_PODS:
            candidates.append(("lp-rounded, node by node in even cuts", rounded, "cuts"))
        if run.pod_count >= LARGE_PODS:
            candidates.append(("lp-rounded, own class first", rounded, "own-class-first"))
    # The pattern stage starts from the best first-fit packing, not from the proportional one:
    # from that start its batches found dearer plans (10,000 pods over every current type at 30
    # work: $515.04/h against $510.78/h), and where the proportional one is cheaper, the stage
    # did not beat it from either start.
    packed: _Candidate | None = None
    for position, (name, decision, placement) in enumerate(candidates):
        budget.check()
        if position and budget.out_of_time(PACKING_STAGE, _reserve(budget)):
            break
        run.observer.on_phase(f"packing the {name} plan into nodes")
        candidate = _build(compiled, decision, placeable, name, placement=placement)
        if placement not in PROPORTIONAL and (packed is None or candidate.better_than(packed)):
            packed = candidate
        run.offer(candidate)
    assert packed is not None  # the greedy candidate always exists
    return packed


def _improve_with_class_models(run: _Run) -> None:
    """Steps 3 and 5: CP-SAT's per-class model, then its counts per zone (not with zone loss),
    each within its share of the work; every decision they yield is packed and offered."""
    from eks_plan.solver.model import improve_with_cp_sat, zoned_decisions

    compiled, placeable, budget, options, lp = run.compiled, run.placeable, run.budget, run.options, run.lp
    large = run.pod_count >= LARGE_PODS
    if _model_has_time(budget, CLASS_STAGE):
        run.observer.on_phase("searching for a cheaper mix of instance types (CP-SAT)")
        for decision in improve_with_cp_sat(
            compiled,
            placeable,
            lp,
            run.best.decision,
            budget.work * (CP_SAT_SHARE if not large else CP_SAT_SHARE_LARGE),
            options,
            run,
            budget.elapsed,
            budget,
            wall=(budget.left() - _reserve(budget)) * 0.5,
        ):
            run.offer(_build(compiled, decision, placeable, "cp-sat"))
    if not compiled.problem.tolerate_zone_loss and _model_has_time(budget, ZONED_STAGE):
        run.observer.on_phase("choosing node counts per zone (CP-SAT)")
        incumbent_nodes = [(node.class_index, node.zone, node.pods) for node in run.best.nodes]
        for zoned in zoned_decisions(
            compiled,
            placeable,
            lp,
            run.best.decision,
            incumbent_nodes,
            budget.work * (ZONED_SHARE if not large else ZONED_SHARE_LARGE),
            options,
            run,
            budget.elapsed,
            budget,
            wall=(budget.left() - _reserve(budget)) * 0.5,
        ):
            run.offer(_build(compiled, zoned, placeable, "cp-sat by zone", zoned=True))


def _verified_plan(
    run: _Run,
    problem: Problem,
    searched: _Candidate | None,
    set_aside: Mapping[int, tuple[int, UnplacedReason | None]],
) -> Plan:
    """Step 7: the search's plan if it is cheaper and the verifier accepts it, else the best
    packing's, which the verifier must accept (:class:`SolverBug` if not); with the proven bound
    (over the pods placed, when some could not be)."""
    compiled, placeable, budget, lp, best = run.compiled, run.placeable, run.budget, run.lp, run.best
    budget.check()
    placed = best.placed_counts()
    bound = run.bound
    if not lp.feasible or placed != list(placeable):
        # Some pods could not be placed (pool limits): bound the cost of placing what was placed.
        bound = lp_bound(compiled, placed, min(FINAL_LP_WORK, budget.work * LP_SHARE), budget).bound
    bound = min(bound, best.cost)
    budget.check()
    run.observer.on_phase("verifying the plan node by node")
    if searched is not None and searched.cost < best.cost - 1e-9:
        plan = _to_plan(compiled, searched, set_aside, min(bound, searched.cost), budget)
        if not verify_plan(problem, plan):
            run.observer.on_progress(plan.node_cost_per_hour, plan.lower_bound_per_hour, budget.elapsed())
            return plan
        # The search's plan breaks a rule its sub-models missed: keep the packer's plan.
    plan = _to_plan(compiled, best, set_aside, bound, budget)
    violations = verify_plan(problem, plan)
    if violations:
        raise SolverBug("the solver's plan breaks rules:\n" + format_violations(violations[:20]))
    run.observer.on_progress(plan.node_cost_per_hour, plan.lower_bound_per_hour, budget.elapsed())
    return plan


def _model_has_time(budget: SolveBudget, stage: str) -> bool:
    """Whether a per-class CP-SAT model may start: at least :data:`MODEL_MIN_WALL_SHARE` of the
    time limit left beyond the reserve (else ``stage`` is recorded as cut). Building the model
    is not within the wall time its solve gets, so a model started late overran the limit:
    100,000 pods on Karpenter's default types, 120 s, the zone-indexed model started with 9 s
    left and returned at 126 s."""
    return not budget.out_of_time(stage, _reserve(budget) + MODEL_MIN_WALL_SHARE * budget.limit)


def _reserve(budget: SolveBudget, nodes: int = 0, zone_loss: bool = False) -> float:
    """Wall seconds kept for the verifier and the report, of a plan of ``nodes`` nodes when
    known (their time grows with the nodes), and with ``zone_loss`` for the spares still to buy
    and the zone-loss check."""
    per_node = VERIFY_SECONDS_PER_NODE + (ZONE_LOSS_SECONDS_PER_NODE if zone_loss else 0.0)
    return VERIFY_RESERVE + VERIFY_SHARE * budget.limit + per_node * nodes


def _search_neighbourhoods(run: _Run) -> _Candidate | None:
    """Step 6: the best candidate's nodes after large-neighbourhood search
    (:mod:`~eks_plan.solver.lns`, led by the LP's duals), or ``None`` when it found nothing
    cheaper or the plan must survive a zone loss (its spares are sized from the packing)."""
    from eks_plan.solver.lns import LnsNode, improve_nodes

    compiled, budget, best, bound = run.compiled, run.budget, run.best, run.bound
    if compiled.problem.tolerate_zone_loss:
        return None
    run.observer.on_phase("re-packing the most wasteful nodes (large-neighbourhood search)")
    start = [LnsNode(node.option, node.zone, dict(node.pods)) for node in best.nodes]
    reserve = _reserve(budget, len(best.nodes))
    improved = improve_nodes(
        compiled,
        start,
        budget=budget.work * SEARCH_SHARE,
        deadline=budget.deadline - reserve,
        seed=run.options.seed,
        pod_values=run.lp.duals,
        on_improvement=lambda cost: run.observer.on_progress(cost, bound, budget.elapsed()),
        solve_budget=budget,
    )
    cost = sum(compiled.options[n.option].price_per_hour for n in improved)
    if cost >= best.cost - 1e-9:
        return None
    nodes = []
    for index, item in enumerate(improved):
        used = np.zeros(len(compiled.resources), dtype=np.int64)
        for g, count in item.pods.items():
            used += compiled.requests[g] * count
        class_index = int(compiled.class_of[item.option])
        nodes.append(
            Node(
                item.option,
                class_index,
                item.zone,
                compiled.usable[item.option] - used,
                dict(item.pods),
                index=index,
            )
        )
    nodes.sort(key=lambda n: _node_order(compiled, n))
    return _Candidate(compiled, best.decision, best.packer, nodes, "neighbourhood search")


def _improve_with_patterns(run: _Run, packed: _Candidate) -> tuple[_Candidate, bool]:
    """Step 4b: the plan of whole-node patterns (:mod:`~eks_plan.solver.patterns`) started from
    ``packed`` (the best first-fit packing) when it beats ``packed``, else ``packed``; and whether
    it did (the per-class models are then skipped: their decisions lose to it once packed)."""
    from eks_plan.solver import patterns

    compiled, placeable, budget, observer = run.compiled, run.placeable, run.budget, run.observer
    if not run.lp.pods or budget.out_of_time(PATTERN_STAGE, _reserve(budget)):
        return packed, False
    if not patterns.supported(compiled, placeable):
        return packed, False
    observer.on_phase("packing whole-node patterns (column generation, CP-SAT)")
    batched = run.pod_count > patterns.WHOLE_MASTER_PODS
    result = patterns.improve_with_patterns(
        compiled,
        placeable,
        # The nodes that hold pods: a zone-loss plan's spares would thin out batch_size's groups
        # per node (10,000 pods: 930 spares of 1,311 nodes; the batches then took 200 rows).
        [(node.option, node.zone, node.pods) for node in packed.nodes if node.pods],
        budget.work * _pattern_share(run.pod_count),
        budget,
        run.options.seed,
        # The reserve counts the incumbent's nodes: at 100,000 pods over every current type the
        # batches ran up to a reserve without them, and the verifier (15 s then, 3 s since it
        # visits only the nodes that hold a spread's pods) ended the solve at 123 s.
        reserve=_reserve(budget, len(packed.nodes), compiled.problem.tolerate_zone_loss)
        + (PATTERN_WALL_KEEP_BATCHED if batched else PATTERN_WALL_KEEP) * budget.left(),
        # The per-class LP's duals, unless zone loss: its row carries part of the nodes' value
        # then, and the pricing started from the demand rows' rest packed worse (1,000 pods on
        # Karpenter's default types, work 10: nodes of $48.40/h against $44.88/h unseeded).
        group_duals=None if compiled.problem.tolerate_zone_loss else run.lp.duals,
        on_batch=lambda i, n: observer.on_phase(
            f"packing whole-node patterns, batch {i + 1} of {n} (column generation, CP-SAT)"
        ),
    )
    if result is None:
        return packed, False
    if result.nodes is None:
        return packed, False
    packer = Packer(compiled)
    for g, count in sorted(patterns.build_rows(compiled, placeable).unplaced.items()):
        packer._give_up(g, count, zone_rules_reason(compiled))
    for option, _, pods in result.nodes:
        node = packer.open_node(option)
        for g, count in sorted(pods.items()):
            packer._put(g, node, count)
    packer.downsize()
    _fill_pool_minimums(compiled, packer)
    ordered = sorted(packer.nodes, key=lambda n: _node_order(compiled, n))
    if compiled.problem.tolerate_zone_loss:
        if add_zone_loss_spares(compiled, packer, ordered):
            return packed, False  # some spares could not be bought (a pool at its maximum)
        # The spares are empty nodes, hence domains of the hostname spreads, as in _build.
        enforce_rules(compiled, packer, ordered)
    candidate = _Candidate(compiled, packed.decision, packer, ordered, "patterns")
    if candidate.better_than(packed):
        return candidate, True  # the caller reports it if it is the best so far
    return packed, False


def _pattern_share(pods: int) -> float:
    """The pattern stage's share of the work for a problem of ``pods`` pods."""
    from eks_plan.solver import patterns

    return PATTERN_SHARE if pods <= patterns.WHOLE_MASTER_PODS else PATTERN_SHARE_BATCHED


def _node_order(compiled: CompiledProblem, node: Node) -> tuple[str, str, int, str]:
    option = compiled.options[node.option]
    return (option.pool, option.instance_type, node.zone, option.capacity_type)


class _Candidate:
    def __init__(
        self, compiled: CompiledProblem, decision: PodsPerClass, packer: Packer, nodes: list[Node], name: str
    ):
        self.compiled = compiled
        self.decision = decision
        self.packer = packer
        self.nodes = nodes
        self.name = name
        self.cost = sum(compiled.options[n.option].price_per_hour for n in nodes)
        self.unplaced = sum(packer.unplaced.values())

    def better_than(self, other: _Candidate) -> bool:
        return (self.unplaced, round(self.cost, 9)) < (other.unplaced, round(other.cost, 9))

    def placed_counts(self) -> list[int]:
        counts = [0] * len(self.compiled.groups)
        for node in self.nodes:
            for g, count in node.pods.items():
                counts[g] += count
        return counts


def _build(
    compiled: CompiledProblem,
    decision: Mapping[int, Mapping[Any, int]],
    placeable: Sequence[int],
    name: str,
    zoned: bool = False,
    placement: Placement = "first-fit",
) -> _Candidate:
    """Pack a decision (pods per class, or per (class, zone) when ``zoned``) into nodes.

    When pool limits leave pods Pending and the workloads' priorities differ, the decision is packed
    again highest priority first (kube-scheduler preempts lower-priority pods for higher ones, so
    those left Pending are the lowest-priority ones).
    """
    candidate = _pack(compiled, decision, placeable, name, zoned, placement, by_priority=False)
    priorities = {group.pod.priority for group in compiled.groups}
    full_pools = any(why.code is ReasonCode.POOL_FULL for why in candidate.packer.unplaced_why.values())
    if full_pools and len(priorities) > 1:
        return _pack(compiled, decision, placeable, name, zoned, placement, by_priority=True)
    return candidate


def _pack(
    compiled: CompiledProblem,
    decision: Mapping[int, Mapping[Any, int]],
    placeable: Sequence[int],
    name: str,
    zoned: bool,
    placement: Placement,
    by_priority: bool,
) -> _Candidate:
    packer = Packer(compiled, placement == "own-class-first", by_priority)
    per_class: PodsPerClass = {}
    if zoned:
        packer.place_zoned(decision, placeable)
        for g, counts in decision.items():
            for (c, _), n in counts.items():
                per_class.setdefault(g, {})[c] = per_class.get(g, {}).get(c, 0) + n
    else:
        if placement in PROPORTIONAL:
            packer.place_sampled(decision, placeable, balanced=placement == "balanced")
        else:
            packer.place_all(decision, placeable)
        per_class = {g: dict(counts) for g, counts in decision.items()}
    packer.downsize()
    _fill_pool_minimums(compiled, packer)
    nodes = sorted(packer.nodes, key=lambda n: _node_order(compiled, n))
    if compiled.problem.tolerate_zone_loss:
        add_zone_loss_spares(compiled, packer, nodes)  # the verifier reports what it could not cover
    # Last, on the final nodes (empty pool-minimum and spare nodes are domains too).
    emptied = enforce_rules(compiled, packer, nodes)
    if emptied and not compiled.problem.tolerate_zone_loss:
        nodes = _drop_emptied(compiled, nodes, emptied)
    return _Candidate(compiled, per_class, packer, nodes, name)


def _drop_emptied(compiled: CompiledProblem, nodes: list[Node], emptied: set[int]) -> list[Node]:
    """The nodes without those the rule pass left empty, as far as each pool's minimum allows
    (an empty node can only hold down the least count a hostname spread sees: dropping it never
    breaks one)."""
    counts: dict[str, int] = defaultdict(int)
    for node in nodes:
        counts[compiled.options[node.option].pool] += 1
    kept = []
    for node in nodes:
        pool = compiled.options[node.option].pool
        if id(node) in emptied and not node.pods and counts[pool] > compiled.problem.pool(pool).min_nodes:
            counts[pool] -= 1
            continue
        kept.append(node)
    return kept


def _fill_pool_minimums(compiled: CompiledProblem, packer: Packer) -> None:
    for pool in compiled.problem.pools:
        missing = pool.min_nodes - packer.pool_counts.get(pool.name, 0)
        if missing <= 0:
            continue
        options = [o for o, option in enumerate(compiled.options) if option.pool == pool.name]
        if not options:
            continue
        cheapest = min(options, key=lambda o: (compiled.options[o].price_per_hour, o))
        for _ in range(missing):
            packer.open_node(cheapest)


def _structural_limits(
    compiled: CompiledProblem,
) -> tuple[list[int], dict[int, tuple[int, UnplacedReason | None]]]:
    """Pods each group may place, and the replicas no plan can place with the reason."""
    placeable = []
    set_aside: dict[int, tuple[int, UnplacedReason | None]] = {}
    problem_zones = {z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones}
    for g, group in enumerate(compiled.groups):
        count = group.count
        allowed_options = np.flatnonzero(compiled.allowed[g])
        if count > 0 and len(allowed_options) == 0:
            set_aside[g] = (count, None)
            placeable.append(0)
            continue
        zones = set(np.unique(compiled.option_zone[allowed_options]).tolist()) & problem_zones
        limit = count
        reason: UnplacedReason | None = None
        if compiled.zone_anti_self[g] and limit > len(zones):
            limit, reason = len(zones), _none_of(len(zones), "zones", Fit.ANTI_AFFINITY, len(zones))
        if compiled.host_affinity[g] == frozenset({g}):
            single = int(min(compiled.fit_alone[g, allowed_options].max(), compiled.rule_cap[g]))
            if limit > single:
                limit, reason = single, _none_of(len(allowed_options), "node options", Fit.AFFINITY)
        for s in compiled.spreads_counting[g]:
            spread = compiled.spreads[s]
            if spread.hostname or spread.members != {g}:
                continue
            if spread.min_domains is not None and len(spread.eligible_zones) < spread.min_domains:
                cap = spread.max_skew * len(spread.eligible_zones)
                if limit > cap:
                    limit, reason = cap, _none_of(len(spread.eligible_zones), "zones", Fit.SPREAD)
        if limit < count:
            set_aside[g] = (count - limit, reason)
        placeable.append(limit)
    return placeable, set_aside


def _greedy_decision(compiled: CompiledProblem, placeable: Sequence[int]) -> PodsPerClass:
    """Each group on its class with the lowest price per dominant share of a node."""
    packer = Packer(compiled)
    decision: PodsPerClass = {}
    for g, count in enumerate(placeable):
        if count > 0:
            class_index = packer.cheapest_class(g, None)
            if class_index is not None:
                decision[g] = {class_index: count}
    return decision


def _round_lp(lp: LpResult, placeable: Sequence[int]) -> PodsPerClass:
    """The LP's pods per class rounded to integers that sum to each group's count (largest
    remainder)."""
    decision: PodsPerClass = {}
    for g, per_class in lp.pods.items():
        count = placeable[g]
        floors = {c: math.floor(v + 1e-9) for c, v in per_class.items()}
        short = count - sum(floors.values())
        order = sorted(per_class, key=lambda c: (-(per_class[c] - floors[c]), c))
        for c in order[: max(short, 0)]:
            floors[c] += 1
        decision[g] = {c: v for c, v in floors.items() if v > 0}
    return decision


def _to_plan(
    compiled: CompiledProblem,
    best: _Candidate,
    set_aside: Mapping[int, tuple[int, UnplacedReason | None]],
    bound: float,
    budget: SolveBudget,
) -> Plan:
    problem = compiled.problem
    planned = []
    counters: dict[tuple[str, str], int] = defaultdict(int)
    for node in best.nodes:
        option = compiled.options[node.option]
        counters[option.instance_type, option.zone] += 1
        number = counters[option.instance_type, option.zone]
        name = f"{option.pool}-{option.zone}-{option.instance_type}-{number}"
        pods = {compiled.groups[g].key: count for g, count in sorted(node.pods.items()) if count > 0}
        planned.append(PlannedNode(name, option, pods))
    unschedulable = []
    missing: dict[int, list[tuple[int, UnplacedReason | None]]] = defaultdict(list)
    for g, (count, reason) in set_aside.items():
        missing[g].append((count, reason))
    for g, count in best.packer.unplaced.items():
        missing[g].append((count, best.packer.unplaced_why.get(g)))
    for g in sorted(missing):
        group = compiled.groups[g]
        count = sum(c for c, _ in missing[g])
        reasons, fixes = _explain(compiled, g, [why for _, why in missing[g]])
        unschedulable.append(Unschedulable(group.key, count, tuple(reasons), tuple(fixes)))
    cost = sum(node.option.price_per_hour for node in planned)
    status = "optimal" if cost - bound <= 1e-9 * max(cost, 1.0) else "feasible"
    plan = Plan(
        nodes=tuple(planned),
        unschedulable=tuple(unschedulable),
        node_cost_per_hour=cost,
        lower_bound_per_hour=bound,
        status=status,
        solve_seconds=budget.elapsed(),
        notes=tuple(_notes(compiled, budget)),
        stopped_by=budget.stopped_by,
    )
    return Plan(
        nodes=plan.nodes,
        unschedulable=plan.unschedulable,
        node_cost_per_hour=plan.node_cost_per_hour,
        lower_bound_per_hour=plan.lower_bound_per_hour,
        status=plan.status,
        solve_seconds=plan.solve_seconds,
        soft_rules=tuple(soft_rule_outcomes(problem, plan)),
        notes=plan.notes,
        stopped_by=plan.stopped_by,
    )


def _explain(
    compiled: CompiledProblem, g: int, whys: list[UnplacedReason | None]
) -> tuple[list[UnplacedReason], list[str]]:
    """Why group ``g``'s pods are left: when no instance type takes one alone, kube-scheduler's
    summary over the catalogue's types and the resources none has enough of, with the nearest fixes;
    else the reasons the packing met (words: :mod:`eks_plan.report.reasons`)."""
    problem = compiled.problem
    pod = compiled.groups[g].pod
    excluded = problem.excluded_options
    if not compiled.allowed[g].any():
        failures = explain.failures_by_instance_type(pod, problem.node_options, problem.headroom_percent)
        reasons = [explain.summarize(failures), *explain.resource_details(failures)]
        fixes = explain.nearest_fixes(pod, problem.node_options, excluded, problem.headroom_percent)
        return reasons, fixes
    known = [why for why in whys if why is not None]
    fixes = []
    if any(why.code is ReasonCode.POOL_FULL for why in known):
        fixes.append("raise the node pool's maxNodes, or allow bigger instance types in it")
    return known or [UnplacedReason(ReasonCode.NO_NODE)], fixes


def _none_of(total: int, unit: str, fit: Fit, count: int | None = None) -> UnplacedReason:
    """``0/<total> <unit>: [<count>] <fit>``."""
    return UnplacedReason(ReasonCode.NO_FIT, total, unit, (FitCount(fit, count),))


def _notes(compiled: CompiledProblem, budget: SolveBudget) -> list[str]:
    notes = []
    for g, items in enumerate(compiled.unsupported):
        for item in items:
            notes.append(f"{compiled.groups[g].key}: {item} is not modelled; the plan ignores it")
    if budget.cut:
        notes.append(
            f"the time limit ({budget.limit:g} s) cut the solve short before its deterministic work "
            f"budget ended ({', '.join(budget.cut)}): on a slow or busy machine the plan may then "
            "differ from run to run"
        )
    return notes
