"""The solver's answer: concrete nodes with the pods on each, what could not be placed, and the
proven bound on cost. Reports, ``--plan-out`` and ``check-ips`` read this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from eks_plan.solver.problem import NodeOption


@dataclass(frozen=True, slots=True)
class PlannedNode:
    """One node to run: ``pods`` maps a pod group key to how many of its replicas land here."""

    name: str
    option: NodeOption
    pods: Mapping[str, int]


class Fit(StrEnum):
    """Why one kind of node does not take a pod: kube-scheduler's filter reasons, as codes (the words
    are :mod:`eks_plan.report.reasons`')."""

    NODE_AFFINITY = "node-affinity"
    #: ``detail``: the untolerated taint, ``key=value:Effect``.
    TAINT = "taint"
    #: podtopologyspread ``ErrReasonNodeLabelNotMatch``: the node lacks a constraint's topology key.
    SPREAD_LABEL = "spread-label"
    HOST_PORTS = "host-ports"
    #: ``detail``: the resource (``pods``: too many pods; ``vpc-ip-pods``: ipamd's ENIs are full).
    INSUFFICIENT = "insufficient"
    ANTI_AFFINITY = "anti-affinity"
    AFFINITY = "affinity"
    SPREAD = "spread"


@dataclass(frozen=True, slots=True)
class FitCount:
    """One reason in a kube-scheduler summary: how many of the candidates fail it (``None``: the
    summary names the reason without a count)."""

    fit: Fit
    count: int | None = None
    detail: str = ""


class ReasonCode(StrEnum):
    """What kind of reason an :class:`UnplacedReason` is."""

    #: kube-scheduler's summary ``0/<of> <unit>: <count> <reason>, ...`` over instance types, zones,
    #: nodes or node options.
    NO_FIT = "no-fit"
    #: A resource no allowed instance type has enough of: requested and the most any type offers.
    SHORTFALL = "shortfall"
    #: No zone takes another pod: anti-affinity, spread or affinity (over ``of`` zones).
    ZONE_RULES = "zone-rules"
    #: The pod's affinity target is not where the pod can go.
    POD_AFFINITY = "pod-affinity"
    #: The pools the pod may use are at their maxNodes (``pools``: name and limit).
    POOL_FULL = "pool-full"
    #: No node option is left for the pod.
    NO_OPTION = "no-node-option"
    #: Nothing more is known.
    NO_NODE = "no-node"
    #: eks-plan's own explanation beyond the scheduler's (Fargate, node labels), in ``text``.
    NOTE = "note"


#: The unit of the summary over the catalogue's instance types (``0/12 instance types: ...``).
INSTANCE_TYPES = "instance types"


@dataclass(frozen=True, slots=True)
class UnplacedReason:
    """Why pods cannot be placed, as a value: kube-scheduler's words for it are written only by
    :func:`eks_plan.report.reasons.reason_text`.

    ``of``/``unit``/``fits`` are a summary's ``0/<of> <unit>`` and its reasons; ``resource``,
    ``requested``, ``capacity`` and ``instance_type`` a shortfall's figures; ``pools`` the full
    pools with their maxNodes; ``text`` a note's words.
    """

    code: ReasonCode
    of: int = 0
    unit: str = ""
    fits: tuple[FitCount, ...] = ()
    resource: str | None = None
    requested: int = 0
    capacity: int = 0
    instance_type: str = ""
    pools: tuple[tuple[str, int | None], ...] = ()
    text: str = ""


@dataclass(frozen=True, slots=True)
class Unschedulable:
    """Replicas of one workload that no node of any allowed kind can take, with every reason as a
    value (``failures``) and the nearest fix where one exists. :attr:`reasons` are the reasons in
    kube-scheduler's wording, e.g. ``0/12 instance types: 8 Insufficient nvidia.com/gpu, 4 node(s)
    didn't match Pod's node affinity/selector``."""

    workload: str
    count: int
    failures: tuple[UnplacedReason, ...]
    fixes: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in kube-scheduler's words (:func:`eks_plan.report.reasons.reason_lines`)."""
        from eks_plan.report.reasons import reason_lines

        return tuple(reason_lines(self.failures))


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
