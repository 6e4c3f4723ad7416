"""The solver's answer: concrete nodes with the pods on each, what could not be placed, and the
proven bound on cost. Reports, ``--plan-out`` and ``check-ips`` read this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from eks_plan.solver.problem import NodeOption


@dataclass(frozen=True, slots=True)
class PlannedNode:
    """One node to run: ``pods`` maps a pod group key to how many of its replicas land here."""

    name: str
    option: NodeOption
    pods: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Unschedulable:
    """Replicas of one workload that no node of any allowed kind can take, with every reason in
    kube-scheduler's wording, e.g. ``0/12 instance types: 8 Insufficient nvidia.com/gpu, 4 node(s)
    didn't match Pod's node affinity/selector``, and the nearest fix where one exists."""

    workload: str
    count: int
    reasons: tuple[str, ...]
    fixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SoftRuleOutcome:
    """A preferred rule (preferred affinity, ScheduleAnyway spread) and whether the plan kept it."""

    workload: str
    rule: str
    honoured: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """A verified placement.

    ``lower_bound_per_hour`` is a proven lower bound on ``node_cost_per_hour`` for this problem, and
    ``gap = (cost - bound) / cost`` (0 when the plan is proven optimal).
    """

    nodes: tuple[PlannedNode, ...]
    unschedulable: tuple[Unschedulable, ...]
    node_cost_per_hour: float
    lower_bound_per_hour: float
    status: str
    solve_seconds: float
    soft_rules: tuple[SoftRuleOutcome, ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: ``work-limit`` when the deterministic work budgets ended the search (the same input gives
    #: the same plan on any machine), ``wall-clock`` when the time limit cut it short.
    stopped_by: str = "work-limit"

    @property
    def gap(self) -> float:
        if self.node_cost_per_hour <= 0:
            return 0.0
        return max(0.0, (self.node_cost_per_hour - self.lower_bound_per_hour) / self.node_cost_per_hour)


class SolveObserver(Protocol):
    """Progress callbacks the CLI attaches; the solver calls them and never imports Rich."""

    def on_phase(self, message: str) -> None: ...

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None: ...


class NullObserver:
    """The default observer: ignores everything."""

    def on_phase(self, message: str) -> None:
        return None

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
        return None
