"""The sizing problem as the solver sees it: groups of identical pods and kinds of node to buy.

This is the contract between the planner front half (manifests + catalogue + ``eks-plan.yaml`` ->
:class:`Problem`, in :mod:`eks_plan.planning`) and the solver, the verifier and the benchmark. It holds
plain values only, so a test or a benchmark can build a problem without any YAML or catalogue.

Example: a 3-replica web Deployment and one kind of node::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import HostPort, PodSpec
    >>> requests = Resources({"cpu": 500, "memory": 2**30, "pods": 1})
    >>> web = PodGroup("Deployment/shop/web", 3, PodSpec("shop", (("app", "web"),), requests))
    >>> m7i = NodeOption(pool="default", instance_type="m7i.large", zone="us-east-1a",
    ...                  capacity_type="on-demand", price_per_hour=0.1008,
    ...                  allocatable=Resources({"cpu": 1930, "memory": 6903 * 2**20, "pods": 29}),
    ...                  daemonset_overhead=Resources({"cpu": 100, "memory": 200 * 2**20, "pods": 2}))
    >>> m7i.usable()["cpu"]            # what pods may use after DaemonSets: 1930m - 100m
    1830
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from eks_plan.resources import CPU, MEMORY, Resources
from eks_plan.scheduling.pod import HostPort, PodSpec
from eks_plan.scheduling.taints import Taint

if TYPE_CHECKING:
    from eks_plan.solver.budget import CancelToken


@dataclass(frozen=True, slots=True)
class PodGroup:
    """``count`` interchangeable replicas of one workload; ``key`` is ``Kind/namespace/name``.

    ``zone_bound``: each pod is tied to the zone it first runs in (its EBS volume lives there), so a
    lost zone's pods of this group are not re-placed elsewhere (see :mod:`eks_plan.storage.planning`).
    """

    key: str
    count: int
    pod: PodSpec
    zone_bound: bool = False


@dataclass(frozen=True, slots=True)
class NodeOption:
    """One kind of node the plan may buy: an instance type in a zone, of a capacity type, in a pool.

    ``allocatable`` is the kubelet's allocatable for the type (catalogue node math, including the
    ``pods`` limit of the CNI mode and node style); ``daemonset_overhead`` is the summed requests of
    the DaemonSets and add-ons that land on such a node (including their pod slots), and
    ``daemonset_host_ports`` the host ports their pods bind (kube-scheduler's nodeports plugin counts
    every pod on the node, DaemonSet pods included, so no other pod may bind them there).
    ``capacity_type`` is a :class:`~eks_plan.catalog.pricing.CapacityType` value (``on-demand``,
    ``spot``), kept as its plain string in the solver.
    """

    pool: str
    instance_type: str
    zone: str
    capacity_type: str
    price_per_hour: float
    allocatable: Resources
    daemonset_overhead: Resources = field(default_factory=Resources)
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    taints: tuple[Taint, ...] = ()
    daemonset_host_ports: tuple[HostPort, ...] = ()  # bound by the DaemonSet pods on such a node

    @property
    def name(self) -> str:
        """A readable id, e.g. ``default/m7i.large/us-east-1a/on-demand``."""
        return f"{self.pool}/{self.instance_type}/{self.zone}/{self.capacity_type}"

    def usable(self, headroom_percent: float = 0.0) -> Resources:
        """What pods may request on one such node: allocatable less DaemonSet overhead, less the
        ``headroom_percent`` of allocatable cpu and memory that the plan keeps free.

        Example: 1930m allocatable, 100m DaemonSets, 10% headroom -> 1930 - 100 - 193 = 1637m.
        """
        free = self.allocatable - self.daemonset_overhead
        if headroom_percent:
            reserve = {
                name: -(-self.allocatable[name] * round(headroom_percent * 100) // 10000)
                for name in (CPU, MEMORY)
            }
            free = free - reserve
        return free


@dataclass(frozen=True, slots=True)
class NodePool:
    """A group of node options the user manages together, with its bounds on the node count."""

    name: str
    min_nodes: int = 0
    max_nodes: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the solver needs.

    ``zones`` are the zones the cluster spans (the domains of zone spread and zone loss), in order.
    ``tolerate_zone_loss`` asks that, after losing any one zone, the surviving nodes still hold every
    pod. ``headroom_percent`` of each node's allocatable cpu and memory stays free.
    ``excluded_options`` are node options the pools' instance filters left out: the solver never
    plans them, but names the cheapest that would take a pod nothing else takes as the nearest fix.
    """

    pod_groups: tuple[PodGroup, ...]
    node_options: tuple[NodeOption, ...]
    zones: tuple[str, ...]
    pools: tuple[NodePool, ...] = ()
    headroom_percent: float = 0.0
    tolerate_zone_loss: bool = False
    excluded_options: tuple[NodeOption, ...] = ()

    def pool(self, name: str) -> NodePool:
        for pool in self.pools:
            if pool.name == name:
                return pool
        return NodePool(name)


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Knobs of one solve. The same problem and options give the same plan (``seed`` is fixed),
    on any machine, as long as the deterministic ``work_limit`` ends the stages before the wall
    clock's ``time_limit_seconds`` does (the plan's ``stopped_by`` says which did).

    ``work_limit`` is in deterministic seconds (CP-SAT's measure of work, about seconds on an idle
    2-core machine; see :mod:`eks_plan.solver.budget`), by default ``time_limit_seconds``.
    ``cancel``: a :class:`~eks_plan.solver.budget.CancelToken`; once cancelled, the solve stops
    within a fraction of a second and raises :class:`~eks_plan.solver.budget.Cancelled`.
    """

    time_limit_seconds: float = 30.0
    workers: int = 2
    seed: int = 0
    work_limit: float | None = None
    cancel: CancelToken | None = field(default=None, compare=False)
