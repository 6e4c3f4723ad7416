"""From what the user gave to what the solver needs: manifests + ``eks-plan.yaml`` + catalogue -> Problem.

This is the front half of ``eks-plan size`` (and of ``check-ips`` and ``lint`` when they size in
place). It decides three things the solver should not have to know about:

- which kinds of node may be bought: every instance type a node pool's filter accepts, in every zone
  of the pool that offers it, for each capacity type of the pool, priced in the region, with the
  allocatable the pool's node style and the CNI mode give (:func:`build_node_options`);
- what every such node loses to DaemonSets before any pod lands: the manifests' DaemonSets and the
  EKS add-ons, each only on the nodes it selects and tolerates (:class:`DaemonSetLoad`);
- which pods run on Fargate instead (a Fargate profile selects them), priced per pod.

Example: the default pool over us-east-1 (Karpenter's default NodePool filter) offers every c/m/r
type of generation 3 or later in three zones::

    >>> from eks_plan.catalog import load_catalog
    >>> from eks_plan.config import load_config
    >>> config = load_config(None)
    >>> options = node_options_for_config(config, load_catalog(), daemonsets=default_addon_loads(config))
    >>> sorted({option.zone for option in options})
    ['us-east-1a', 'us-east-1b', 'us-east-1c']
    >>> m5 = next(o for o in options if o.instance_type == "m5.large")
    >>> m5.allocatable["cpu"], m5.allocatable["pods"], m5.daemonset_overhead["cpu"], m5.price_per_hour
    (1930, 29, 150, 0.096)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from eks_plan.limits import MAX_NODES, MAX_PODS, MAX_WORKLOADS
from eks_plan.resources import POD_ENI, PODS, VPC_IP_PODS, Resources, total
from eks_plan.scheduling import NodeSelector, NodeSelectorTerm, untolerated
from eks_plan.scheduling import labels as well_known
from eks_plan.scheduling.pod import PodSpec
from eks_plan.solver.plan import NullObserver, Plan, ReasonCode, SolveObserver, UnplacedReason, Unschedulable
from eks_plan.solver.problem import NodeOption, NodePool, PodGroup, Problem, SolveOptions

if TYPE_CHECKING:
    from eks_plan.catalog import Catalog, InstanceType
    from eks_plan.catalog.capacity import NodeSettings
    from eks_plan.catalog.pricing import Pricing
    from eks_plan.config.model import AddonDaemonSet, CniSettings, NodePoolConfig, PlanConfig
    from eks_plan.manifests import ManifestSet, Workload
    from eks_plan.solver.budget import CancelToken
    from eks_plan.storage.attach import VolumeSlots
    from eks_plan.storage.volumes import StorageInventory


@dataclass(frozen=True, slots=True)
class DaemonSetLoad:
    """One DaemonSet's pod, which lands on every node it selects and tolerates.

    Example: aws-node (50m, hostNetwork, tolerates everything) runs on a GPU node tainted
    ``nvidia.com/gpu:NoSchedule``; a DaemonSet without that toleration does not.
    """

    name: str
    pod: PodSpec

    def runs_on(self, labels: Mapping[str, str], taints: Sequence[Any]) -> bool:
        return self.pod.node_selector.matches(labels) and not untolerated(taints, self.pod.tolerations)


@dataclass(frozen=True, slots=True)
class FargatePlacement:
    """Replicas of a workload that a Fargate profile sends to Fargate, with their billed size and price."""

    workload: str
    count: int
    profile: str
    vcpu: float
    memory_gb: float
    price_per_hour: float


@dataclass(frozen=True)
class LoadedCluster:
    """The cluster as loaded from manifests and configuration, before solving.

    The solver's :class:`~eks_plan.solver.problem.Problem` plus everything the report needs to
    explain its :class:`~eks_plan.solver.plan.Plan` (region, workloads, DaemonSets, Fargate,
    prices, CNI, storage). :func:`size_cluster` builds one and solves it;
    :func:`eks_plan.plan.build.build_plan_document` joins the two into the plan document.
    """

    problem: Problem
    region: str
    workloads: Mapping[str, Workload]
    daemonsets: tuple[DaemonSetLoad, ...]
    fargate: tuple[FargatePlacement, ...] = ()
    fargate_unschedulable: tuple[Unschedulable, ...] = ()
    control_plane_per_hour: float = 0.0
    currency: str = "USD"
    hours_per_month: float = 730.0
    cni_summary: Mapping[str, Any] = field(default_factory=dict)
    max_pods_by_type: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: The workloads' volumes (:mod:`eks_plan.storage.volumes`) and, when pods attach EBS volumes,
    #: each instance type's EBS volume slots (:mod:`eks_plan.storage.attach`).
    storage: StorageInventory | None = None
    volume_slots_by_type: Mapping[str, VolumeSlots] = field(default_factory=dict)

    def daemonset_vpc_ip_pods(self, option: NodeOption) -> int:
        """DaemonSet pods on such a node that take a VPC address (hostNetwork pods do not)."""
        return sum(
            1
            for daemonset in self.daemonsets
            if not daemonset.pod.host_network and daemonset.runs_on(option.labels, option.taints)
        )


@dataclass(frozen=True, slots=True)
class PlanningOverrides:
    """Command-line flags that override ``eks-plan.yaml`` (``None``/empty: keep the file's value)."""

    region: str | None = None
    zones: tuple[str, ...] = ()
    replicas: str | None = None
    headroom_percent: float | None = None
    tolerate_zone_loss: bool | None = None

    def apply(self, config: PlanConfig) -> PlanConfig:
        changes: dict[str, Any] = {}
        if self.region is not None:
            changes["region"] = self.region
        if self.zones:
            changes["zones"] = self.zones
        if self.replicas is not None:
            from eks_plan.manifests import ReplicaMode

            try:
                changes["replicas"] = ReplicaMode(self.replicas)
            except ValueError:
                from eks_plan.errors import InputError

                raise InputError(f"--replicas must be min, declared or max, not '{self.replicas}'") from None
        if self.headroom_percent is not None:
            changes["headroom_percent"] = self.headroom_percent
        if self.tolerate_zone_loss is not None:
            changes["tolerate_zone_loss"] = self.tolerate_zone_loss
        return config.with_overrides(**changes) if changes else config


@dataclass(frozen=True)
class SizeResult:
    """What ``eks-plan size`` computed: the plan, its inputs, and warnings for stderr."""

    plan: Plan
    planning: LoadedCluster
    manifests: ManifestSet
    config: PlanConfig
    warnings: tuple[str, ...]


def node_settings(pool: NodePoolConfig, cni: CniSettings) -> NodeSettings:
    """The catalogue's node settings for a pool: its node style and maxPods, the cluster's CNI."""
    return cni.node_settings(pool.node_style, pool.max_pods)


def addon_load(addon: AddonDaemonSet) -> DaemonSetLoad:
    """An ``eks-plan.yaml`` add-on as a DaemonSet pod (its requests plus one pod slot)."""
    from eks_plan.manifests.quantity import canonical_amount

    requests = Resources({name: canonical_amount(name, value) for name, value in addon.requests.items()})
    pod = PodSpec(
        namespace=addon.namespace,
        labels=(("app.kubernetes.io/name", addon.name),),
        requests=requests + {PODS: 1},
        node_selector=NodeSelector(NodeSelectorTerm.from_node_selector(addon.node_selector)),
        tolerations=addon.tolerations,
        host_network=addon.host_network,
    )
    return DaemonSetLoad(f"DaemonSet/{addon.namespace}/{addon.name}", pod)


def default_addon_loads(config: PlanConfig) -> tuple[DaemonSetLoad, ...]:
    """The configured add-on DaemonSets (aws-node and kube-proxy unless the file changes them)."""
    return tuple(addon_load(addon) for addon in config.addons)


def pool_instance_types(
    pool: NodePoolConfig, catalog: Catalog, region: str, *, accepted: bool = True
) -> list[InstanceType]:
    """Instance types the region offers that the pool's filter accepts (or, with ``accepted=False``,
    rejects: the candidates for an "allow instance type X" fix)."""
    accepts, rejects = catalog.split(pool.instances, region)
    return list(accepts if accepted else rejects)


def build_node_options(
    instance_types: Iterable[InstanceType],
    *,
    pool: str,
    region: str,
    zones: Sequence[str],
    capacity_types: Sequence[str],
    settings: NodeSettings,
    pricing: Pricing,
    daemonsets: Sequence[DaemonSetLoad] = (),
    pool_labels: Mapping[str, str] | None = None,
    taints: tuple[Any, ...] = (),
    zone_ids: Mapping[str, str] | None = None,
) -> tuple[NodeOption, ...]:
    """Every (instance type, zone, capacity type) node the pool may buy, with its price, allocatable,
    labels, taints and DaemonSet overhead. Types without a price for a capacity type are left out
    (``pricing.warnings`` lists them); a zone that does not offer the type is left out.

    The last :data:`KEPT_OPTION_SETS` results are kept, by every input (the pricing by
    :attr:`~eks_plan.catalog.pricing.Pricing.key`, which decides every price): ``size`` builds the
    same pool's options twice in ``diff``, on every explore re-solve and in ``lint`` beside its plan,
    and the test suite builds the same few configurations about 330 times, two times in three with
    inputs it built before. A kept result is the tuple a new build would make (frozen options of
    frozen inputs); the prices it could not find are asked of ``pricing`` again, so that its
    warnings list the same types.
    """
    types = tuple(instance_types)
    request = _OptionsRequest(
        type_ids=tuple(map(id, types)),
        instance_types=types,
        pool=pool,
        region=region,
        zones=tuple(zones),
        capacity_types=tuple(capacity_types),
        settings=settings,
        prices=pricing.key,
        daemonsets=tuple(daemonsets),
        pool_labels=None if pool_labels is None else tuple(pool_labels.items()),
        taints=taints,
        zone_ids=None if zone_ids is None else tuple(zone_ids.items()),
        pricing=pricing,
    )
    options, unpriced = _kept_node_options(request)
    for instance_type, capacity_type, zone in unpriced:
        pricing.price_per_hour(instance_type, capacity_type, zone)  # records it for pricing.warnings
    return options


#: How many :func:`build_node_options` results a process keeps (1.6 MB for the default pool's
#: 2,142 options, mostly their labels; a kept result is also what the plans of the process hold).
KEPT_OPTION_SETS = 8


@dataclass(frozen=True)
class _OptionsRequest:
    """The inputs of :func:`build_node_options` as hashable values: its cache key.

    The instance types count by identity (``type_ids``): their equality leaves out the offering and
    price rows, which a node option reads, so two catalogues' equal types may still differ here. A
    kept request holds its types, so no other object can take their ids while it is kept. ``pricing``
    counts by ``prices``, its :attr:`~eks_plan.catalog.pricing.Pricing.key`.
    """

    type_ids: tuple[int, ...]
    instance_types: tuple[InstanceType, ...] = field(compare=False)
    pool: str
    region: str
    zones: tuple[str, ...]
    capacity_types: tuple[str, ...]
    settings: NodeSettings
    prices: tuple[object, ...]
    daemonsets: tuple[DaemonSetLoad, ...]
    pool_labels: tuple[tuple[str, str], ...] | None
    taints: tuple[Any, ...]
    zone_ids: tuple[tuple[str, str], ...] | None
    pricing: Pricing = field(compare=False)


@lru_cache(maxsize=KEPT_OPTION_SETS)
def _kept_node_options(
    request: _OptionsRequest,
) -> tuple[tuple[NodeOption, ...], tuple[tuple[InstanceType, str, str], ...]]:
    """The options, and the (type, capacity type, zone) nodes ``request.pricing`` had no price for."""
    from eks_plan.catalog.capacity import allocatable, pod_addresses
    from eks_plan.catalog.labels import node_labels

    instance_types, pool, region, zones = request.instance_types, request.pool, request.region, request.zones
    capacity_types, settings, pricing = request.capacity_types, request.settings, request.pricing
    daemonsets, taints = request.daemonsets, request.taints
    pool_labels = None if request.pool_labels is None else dict(request.pool_labels)
    zone_ids = None if request.zone_ids is None else dict(request.zone_ids)

    # Which DaemonSets land on a node depends on the node only through its labels, and only through
    # the labels their selectors read (the pool's taints are the same on every option): the same
    # values of those keys give the same DaemonSets, overhead and host ports, so each set is summed
    # once per call. The default pool's 2,142 options have 2 DaemonSets without selectors, so one
    # landing; a selector on the instance type makes one per type, shared by its zones and capacity
    # types.
    read_keys = tuple(sorted(frozenset().union(*(d.pod.node_selector.keys() for d in daemonsets))))
    landings: dict[tuple[str | None, ...], tuple[Resources, tuple[Any, ...]]] = {}

    def landing_of(labels: Mapping[str, str]) -> tuple[Resources, tuple[Any, ...]]:
        key = tuple(labels.get(name) for name in read_keys)
        found = landings.get(key)
        if found is None:
            landing = [d for d in daemonsets if d.runs_on(labels, taints)]
            overhead = total(d.pod.requests for d in landing) + {
                VPC_IP_PODS: sum(1 for d in landing if takes_pool_address(d.pod))
            }
            found = landings[key] = (overhead, tuple(port for d in landing for port in d.pod.host_ports))
        return found

    options: list[NodeOption] = []
    unpriced: list[tuple[InstanceType, str, str]] = []
    for instance_type in instance_types:
        node_allocatable = allocatable(instance_type, settings)
        addresses = pod_addresses(instance_type, settings)
        if addresses is not None:
            # ipamd's address limit, whatever maxPods says: a capacity for pods needing a VPC address
            node_allocatable = node_allocatable + {VPC_IP_PODS: addresses}
        offered = set(instance_type.zones_offered(region)) or set(zones)
        for zone in zones:
            if zone not in offered:
                continue
            for capacity_type in capacity_types:
                price = pricing.price_per_hour(instance_type, capacity_type, zone)
                if price is None:
                    unpriced.append((instance_type, capacity_type, zone))
                    continue
                labels = node_labels(
                    instance_type,
                    region=region,
                    zone=zone,
                    capacity_type=capacity_type,
                    node_style=str(settings.node_style),
                    pool=pool,
                    zone_id=(zone_ids or {}).get(zone),
                    pool_labels=pool_labels,
                )
                overhead, host_ports = landing_of(labels)
                options.append(
                    NodeOption(
                        pool=pool,
                        instance_type=instance_type.name,
                        zone=zone,
                        capacity_type=capacity_type,
                        price_per_hour=price,
                        allocatable=node_allocatable,
                        daemonset_overhead=overhead,
                        labels=MappingProxyType(labels),
                        taints=taints,
                        daemonset_host_ports=host_ports,
                    )
                )
    return tuple(options), tuple(unpriced)


def takes_pool_address(pod: PodSpec) -> bool:
    """Whether a pod takes a VPC address from ipamd's warm pool: not hostNetwork (those share the
    node IP) and not a security-group pod (those get a branch ENI, ``vpc.amazonaws.com/pod-eni``)."""
    return not pod.host_network and not is_security_group_pod(pod)


def is_security_group_pod(pod: PodSpec) -> bool:
    """A pod on a branch ENI: the VPC resource controller's webhook adds a
    ``vpc.amazonaws.com/pod-eni`` request to pods a SecurityGroupPolicy selects."""
    return pod.uses_security_group or pod.requests[POD_ENI] > 0


def address_limits_bind(options: Iterable[NodeOption]) -> bool:
    """True when some node can hold fewer VPC-address pods than pod slots after its DaemonSets, so
    the ``vpc-ip-pods`` capacity decides something maxPods does not (maxPods 110 on m5.large: 27
    addresses). When it never binds the solver is spared the extra resource."""
    return any(
        VPC_IP_PODS in option.allocatable
        and option.allocatable[VPC_IP_PODS] - option.daemonset_overhead[VPC_IP_PODS]
        < option.allocatable[PODS] - option.daemonset_overhead[PODS]
        for option in options
    )


def style_hints(pod: PodSpec, pools: Mapping[str, str]) -> list[str]:
    """Why a pod's node selector or required node affinity matches no node of these pools
    (``{pool: node style}``) because it asks for a label only another node style sets, e.g.
    "karpenter.k8s.aws/instance-cpu is set only on Karpenter nodes; pool 'general' is
    managed-node-group". Only requirements a missing label fails (In, Exists, Gt, Lt) count.
    """
    from eks_plan.scheduling.labels import style_hint
    from eks_plan.scheduling.selectors import Operator

    selector = pod.node_selector
    keys = sorted(
        {
            requirement.key
            for term in (selector.node_selector, *selector.terms)
            for requirement in term.requirements
            if requirement.operator not in (Operator.NOT_IN, Operator.DOES_NOT_EXIST)
        }
    )
    return [hint for key in keys if (hint := style_hint(key, pools)) is not None]


def with_style_hints(plan: Plan, planning: LoadedCluster, config: PlanConfig) -> Plan:
    """The plan with :func:`style_hints` added to the reasons of the pods it could not place."""
    if not plan.unschedulable:
        return plan
    pools = {pool.name: str(pool.node_style) for pool in config.node_pools}
    groups = {group.key: group for group in planning.problem.pod_groups}
    items = []
    for item in plan.unschedulable:
        group = groups.get(item.workload)
        hints = style_hints(group.pod, pools) if group is not None else []
        new = tuple(UnplacedReason(ReasonCode.NOTE, text=hint) for hint in hints if hint not in item.reasons)
        items.append(replace(item, failures=item.failures + new) if new else item)
    return replace(plan, unschedulable=tuple(items))


def _pool_labels(pool: NodePoolConfig) -> dict[str, str]:
    """The pool's own labels (its node style's labels, the node group or NodePool name included,
    come from :func:`eks_plan.catalog.labels.node_labels`)."""
    return dict(pool.labels)


def node_options_for_config(
    config: PlanConfig,
    catalog: Catalog,
    *,
    daemonsets: Sequence[DaemonSetLoad] = (),
    pricing: Pricing | None = None,
    excluded: bool = False,
) -> tuple[NodeOption, ...]:
    """Node options of every pool of the configuration.

    With ``excluded=True``, the types each pool's filter rejects instead, one option per type (in the
    pool's first zone and capacity type): the solver never buys them, it only names the cheapest one
    that would take an unplaceable pod as the fix.
    """
    pricing = pricing or make_pricing(config, catalog)
    options: list[NodeOption] = []
    for pool in config.node_pools:
        zones = config.pool_zones(pool)
        capacity_types = [str(capacity) for capacity in pool.capacity_types]
        options.extend(
            build_node_options(
                pool_instance_types(pool, catalog, config.region, accepted=not excluded),
                pool=pool.name,
                region=config.region,
                zones=zones[:1] if excluded else zones,
                capacity_types=capacity_types[:1] if excluded else capacity_types,
                settings=node_settings(pool, config.cni),
                pricing=pricing,
                daemonsets=daemonsets,
                pool_labels=_pool_labels(pool),
                taints=pool.taints,
                zone_ids={zone: zone_id for zone in zones if (zone_id := catalog.zone_id(zone))},
            )
        )
    return tuple(options)


def make_pricing(config: PlanConfig, catalog: Catalog) -> Pricing:
    from eks_plan.catalog.pricing import PriceSettings, Pricing

    return Pricing(
        PriceSettings(
            region=config.region,
            spot_discount=config.pricing.spot_discount,
            spot_price_file=config.pricing.spot_price_file,
            savings_plan_discount=config.pricing.savings_plan_discount,
        ),
        catalog,
    )


def _fargate_profile(config: PlanConfig, workload: Workload) -> str | None:
    labels = workload.pod.label_map
    for profile in config.fargate_profiles:
        if profile.matches(workload.namespace, labels):
            return profile.name
    return None


#: The labels of the node a Fargate pod runs on (EKS Fargate is Linux on x86 only, DOMAIN.md §4).
FARGATE_NODE_LABELS = {
    well_known.ARCH: "amd64",
    well_known.OS: "linux",
    "eks.amazonaws.com/compute-type": "fargate",
}


def fargate_placement(
    key: str, workload: Workload, profile: str, zones: Sequence[str]
) -> tuple[FargatePlacement | None, str]:
    """The Fargate size and price of a workload's pods, or ``None`` and why Fargate cannot run them.

    Fargate runs no GPUs or other devices, no hostNetwork or hostPort pods, only amd64 Linux on
    EKS, and at most 175 GB of ephemeral storage (DOMAIN.md §4; EKS User Guide, Fargate
    considerations). Ephemeral storage above the 20 GB included is billed.

    Example: a 1 vCPU / 8 GiB pod runs as 2 vCPU / 9 GB (+256 MB for the Fargate agents) for
    2 x $0.04048 + 9 x $0.004445 = $0.120965 an hour.
    """
    from eks_plan.catalog.fargate import (
        FARGATE_MAX_STORAGE_GB,
        fargate_billed_size,
        fargate_price_per_hour,
    )
    from eks_plan.errors import InputError
    from eks_plan.resources import CPU, EPHEMERAL_STORAGE, MEMORY, STANDARD_RESOURCES

    pod = workload.pod
    devices = sorted(name for name in pod.requests if name not in STANDARD_RESOURCES)
    if devices:
        return None, f"Fargate runs no {', '.join(devices)}"
    if pod.host_network or pod.host_ports:
        return None, "Fargate runs no hostNetwork or hostPort pods"
    if not any(pod.node_selector.matches({**FARGATE_NODE_LABELS, well_known.ZONE: zone}) for zone in zones):
        return None, "their node selector or affinity matches no Fargate node (amd64 Linux)"
    storage_gb = max(20.0, pod.requests[EPHEMERAL_STORAGE] / 10**9)
    if storage_gb > FARGATE_MAX_STORAGE_GB:
        return None, f"Fargate gives a pod at most {FARGATE_MAX_STORAGE_GB} GB of ephemeral storage"
    try:
        vcpu, memory_gb = fargate_billed_size(pod.requests[CPU], pod.requests[MEMORY])
    except InputError as error:
        return None, error.message
    price = fargate_price_per_hour(pod.requests[CPU], pod.requests[MEMORY], ephemeral_storage_gb=storage_gb)
    return FargatePlacement(key, workload.replicas, profile, vcpu, memory_gb, price), ""


#: The most pods ``size`` places in one plan, and the most nodes a plan may need (by a lower
#: bound computed before solving): see :mod:`eks_plan.limits`. Past these the packing and the
#: verification, which work node by node, could not end within ``--time-limit``; both are checked
#: before any solving starts (:func:`check_size_caps`).
MAX_PODS_TO_PLACE = MAX_PODS
MAX_PLAN_NODES = MAX_NODES


def check_size_caps(
    groups: Sequence[PodGroup], options: Sequence[NodeOption], workloads: Mapping[str, Workload]
) -> None:
    """Refuse, before any solving, a problem of more than :data:`~eks_plan.limits.MAX_WORKLOADS`
    workloads on nodes, more than :data:`MAX_PODS_TO_PLACE` pods, or one that needs more than
    :data:`MAX_PLAN_NODES` nodes, naming the workload (file and line of its replicas) that
    contributes most.

    The node count is a lower bound: a group of pods needs at least ``count / fit`` nodes where
    ``fit`` is how many of its pods the roomiest node option could take in each resource alone
    (selectors, taints and spread can only raise it).
    """
    from eks_plan.errors import InputError

    def where(key: str) -> Any:
        """The line that set the workload's replicas: its HPA when the count is the HPA's."""
        workload = workloads[key]
        locations = workload.field_locations
        if workload.replicas_reason.startswith("HPA") and "hpa" in locations:
            return locations["hpa"]
        return locations.get("replicas", workload.source)

    if len(groups) > MAX_WORKLOADS:
        past = groups[MAX_WORKLOADS].key
        raise InputError(
            f"{len(groups):,} workloads to place is more than eks-plan sizes in one plan "
            f"({MAX_WORKLOADS:,}); {past} is the first past the limit",
            workloads[past].source,
            hint="size the cluster in parts, e.g. a directory or a namespace at a time",
        )
    total_pods = sum(workload.replicas for workload in workloads.values())  # Fargate's included
    if total_pods > MAX_PODS_TO_PLACE:
        largest = max(workloads, key=lambda key: workloads[key].replicas)
        raise InputError(
            f"{total_pods:,} pods to place is more than eks-plan sizes in one plan "
            f"({MAX_PODS_TO_PLACE:,}, above Kubernetes' documented limit of 150,000 pods per cluster); "
            f"{largest} alone asks for {workloads[largest].replicas:,} "
            f"({workloads[largest].replicas_reason})",
            where(largest),
            hint="lower the replicas, use --replicas min or declared, or size the cluster in parts",
        )
    room: dict[str, int] = {}
    for option in options:
        for name, amount in option.allocatable.items():
            free = amount - option.daemonset_overhead.get(name, 0)
            if free > room.get(name, 0):
                room[name] = free
    needed: list[tuple[int, str]] = []
    for group in groups:
        fit = min(
            (room.get(name, 0) // amount for name, amount in group.pod.requests.items() if amount > 0),
            default=0,
        )
        if fit > 0:  # a pod no node can hold is reported as unplaceable, not counted here
            needed.append((-(-group.count // fit), group.key))
    if needed:
        nodes = max(count for count, _ in needed)
        if nodes > MAX_PLAN_NODES:
            _, key = max(needed)
            raise InputError(
                f"these pods need at least {nodes:,} nodes, more than eks-plan sizes in one plan "
                f"({MAX_PLAN_NODES:,}, Kubernetes' documented limit per cluster); "
                f"{key} alone needs that many",
                where(key),
                hint="lower the replicas or the requests, or size the cluster in parts",
            )


def build_loaded_cluster(manifests: ManifestSet, config: PlanConfig, catalog: Catalog) -> LoadedCluster:
    """The solver problem for these manifests under this configuration.

    Raises :class:`InputError` for a problem past :data:`MAX_PODS_TO_PLACE` or
    :data:`MAX_PLAN_NODES` (:func:`check_size_caps`).
    """
    from eks_plan.catalog.capacity import max_pods
    from eks_plan.catalog.fargate import FARGATE_PRICE_REGION

    daemonsets = default_addon_loads(config) + tuple(
        DaemonSetLoad(workload.key, workload.pod) for workload in manifests.daemonsets
    )
    pricing = make_pricing(config, catalog)
    options = node_options_for_config(config, catalog, daemonsets=daemonsets, pricing=pricing)
    excluded = node_options_for_config(config, catalog, daemonsets=daemonsets, pricing=pricing, excluded=True)

    groups: list[PodGroup] = []
    fargate: list[FargatePlacement] = []
    fargate_unschedulable: list[Unschedulable] = []
    workloads: dict[str, Workload] = {}
    notes: list[str] = list(config.defaults_applied)
    first_seen: dict[str, Workload] = {}
    for workload in manifests.pods_to_place:
        if workload.replicas <= 0:
            continue
        key = workload.key
        if key in first_seen:
            # kubectl apply would keep only the later object; sizing both is the safe reading of
            # manifests that define a workload twice, and the user is told.
            copies = sum(1 for other in workloads if other == key or other.startswith(f"{key}#"))
            notes.append(
                f"{key} is defined twice ({first_seen[key].source} and {workload.source}); "
                f"kubectl apply keeps only the last, but both are sized (the second as {key}#{copies + 1})"
            )
            key = f"{key}#{copies + 1}"
        else:
            first_seen[key] = workload
        workloads[key] = workload
        profile = _fargate_profile(config, workload)
        if profile is not None:
            placement, why_not = fargate_placement(key, workload, profile, config.zones)
            if placement is not None:
                fargate.append(placement)
            else:
                fargate_unschedulable.append(
                    Unschedulable(
                        key,
                        workload.replicas,
                        (
                            UnplacedReason(
                                ReasonCode.NOTE,
                                text=f"Fargate profile {profile} selects these pods, but {why_not}",
                            ),
                        ),
                        (
                            f"run them on nodes: change the pods' namespace or labels so profile {profile} "
                            "does not select them",
                        ),
                    )
                )
            continue
        groups.append(PodGroup(key, workload.replicas, workload.pod))

    zone_id_selectors = sorted(
        key for key, workload in workloads.items() if {well_known.ZONE_ID} & workload.pod.node_selector.keys()
    )
    if zone_id_selectors:
        mapping = ", ".join(
            f"{zone}={catalog.zone_id(zone) or zone + ' (no zone ID known)'}" for zone in config.zones
        )
        notes.append(
            f"{', '.join(zone_id_selectors)} select(s) on {well_known.ZONE_ID}: AWS maps zone names to zone "
            f"IDs per account in older regions, so the plan honours a zone ID as one zone through the "
            f"catalogue's example mapping ({mapping}); check yours with `aws ec2 describe-availability-zones`"
        )

    if address_limits_bind((*options, *excluded)):
        # Every pod that needs an address from ipamd's pool also asks for one of the node's
        # ``vpc-ip-pods``: the solver, the packing and the verifier then never put more of them
        # on a node than ipamd can address.
        groups = [
            replace(group, pod=replace(group.pod, requests=group.pod.requests + {VPC_IP_PODS: 1}))
            if takes_pool_address(group.pod)
            else group
            for group in groups
        ]

    check_size_caps(groups, options, workloads)
    max_pods_by_type: dict[str, int] = {}
    for pool in config.node_pools:
        settings = node_settings(pool, config.cni)
        for instance_type in {option.instance_type for option in options if option.pool == pool.name}:
            max_pods_by_type.setdefault(instance_type, max_pods(catalog.lookup(instance_type), settings))

    from eks_plan.storage.planning import with_volume_limits

    storage, groups, options, excluded, volume_slots, storage_notes = with_volume_limits(
        manifests, workloads, groups, options, excluded, config, catalog
    )
    notes.extend(storage_notes)

    problem = Problem(
        pod_groups=tuple(groups),
        node_options=options,
        zones=config.zones,
        pools=tuple(NodePool(p.name, p.min_nodes, p.max_nodes) for p in config.node_pools),
        headroom_percent=config.headroom_percent,
        tolerate_zone_loss=config.tolerate_zone_loss,
        excluded_options=excluded,
    )
    return LoadedCluster(
        problem=problem,
        region=config.region,
        workloads=MappingProxyType(workloads),
        daemonsets=daemonsets,
        fargate=tuple(fargate),
        control_plane_per_hour=config.pricing.control_plane_price_per_hour,
        currency=pricing.currency,
        hours_per_month=config.pricing.hours_per_month,
        cni_summary=config.cni.to_dict(),
        max_pods_by_type=MappingProxyType(max_pods_by_type),
        storage=storage,
        volume_slots_by_type=MappingProxyType(volume_slots),
        notes=tuple(notes)
        + pricing.warnings
        + (
            (f"Fargate is priced at {FARGATE_PRICE_REGION} rates (the only ones bundled)",)
            if fargate and config.region != FARGATE_PRICE_REGION
            else ()
        ),
        fargate_unschedulable=tuple(fargate_unschedulable),
    )


def size_cluster(
    paths: Sequence[str | Path],
    *,
    config_path: str | Path | None = None,
    include: Sequence[str] = (),
    overrides: PlanningOverrides = PlanningOverrides(),
    time_limit_seconds: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    max_file_bytes: int | None = None,
    observer: SolveObserver | None = None,
    cancel: CancelToken | None = None,
) -> SizeResult:
    """Load, build and solve: the whole of ``eks-plan size`` without the printing.

    ``time_limit_seconds`` bounds the whole call, loading included: the solver's wall-clock safety
    net is what is left of it when the solve starts, while its deterministic work budget stays the
    full limit (so the plan does not depend on how long loading took, unless the net fires, which
    the plan then reports as ``stopped_by: wall-clock``). Example: a 30 s limit and 2 s of loading
    give the solver 28 wall seconds and 30 deterministic seconds of work.

    ``cancel`` stops it (raising :class:`~eks_plan.solver.budget.Cancelled`) after loading or
    within a fraction of a second during the solve."""
    started = time.monotonic()
    from eks_plan.catalog import load_catalog
    from eks_plan.config import load_config
    from eks_plan.config.checks import validate_zones
    from eks_plan.manifests import load_manifests
    from eks_plan.solver import solve

    if not math.isfinite(time_limit_seconds):  # "--time-limit 1e999" is a float infinity
        from eks_plan.errors import InputError

        raise InputError(
            f"the time limit must be a finite number of seconds, not {time_limit_seconds}",
            hint="pass e.g. --time-limit 60",
        )
    observer = observer or NullObserver()
    config = overrides.apply(load_config(config_path))
    catalog = load_catalog()
    validate_zones(config, catalog.zones(config.region))
    observer.on_phase("loading manifests")
    load_options: dict[str, Any] = {"include": tuple(include), "replicas": config.replicas}
    if max_file_bytes is not None:
        load_options["max_file_bytes"] = max_file_bytes
    manifests = load_manifests(list(paths), **load_options)
    if cancel is not None:
        cancel.raise_if_cancelled()
    observer.on_phase("building the model")
    planning = build_loaded_cluster(manifests, config, catalog)
    if not planning.problem.node_options:
        from eks_plan.errors import InputError

        raise InputError(
            "no instance type is left after the node pools' filters in "
            f"{config.region} ({', '.join(config.zones)})",
            config.location_of("nodePools"),
            hint="widen nodePools[].instances or check the region",
        )
    wall_left = time_limit_seconds - (time.monotonic() - started)
    options = SolveOptions(
        time_limit_seconds=wall_left,
        work_limit=time_limit_seconds,
        workers=workers,
        seed=seed,
        cancel=cancel,
    )
    plan = solve(planning.problem, options, observer)
    plan = with_style_hints(plan, planning, config)
    warnings = tuple(str(warning) for warning in manifests.warnings)
    return SizeResult(plan, planning, manifests, config, warnings)
