"""Will the subnets hold the cluster's addresses, at steady state and at peak? (PRODUCT.md §2.2)

The cluster is a set of nodes (instance limits, pods per node, free room) and Fargate pods per
zone. Each *scenario* changes that set, then every node's addresses come from
:func:`eks_plan.network.ipamd.node_addresses` and every subnet's verdict from
:func:`eks_plan.network.subnets.place_demand`:

- ``steady``: the plan as it is;
- ``hpa-max``: every HorizontalPodAutoscaler at ``maxReplicas``;
- ``surge``: every Deployment's rolling update at once, ``maxSurge`` extra pods each;
- ``pools-at-max``: every node pool scaled out to its max size (new nodes run DaemonSets only);
- ``zone-loss:<zone>``: one zone lost; its pods re-placed in the surviving zones.

Extra and re-placed pods go round-robin over the zones (the workload's own zones, or the
surviving ones), each first onto an existing node of that zone with room for its requests and a
pod slot, else onto a new node cloned from one that ran the workload (same pool and type), as the
cluster autoscaler or Karpenter would add. A pod too large even for a new node is reported.
Scenarios do not move nodes between subnets: nodes of a zone are spread over the zone's node
subnets, most room first (:func:`eks_plan.network.subnets.spread_over_subnets`).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network

from eks_plan.catalog.capacity import HOST_NETWORK_PODS
from eks_plan.errors import InputError
from eks_plan.limits import MAX_NODES
from eks_plan.network.ipamd import (
    NO_ADDRESSES,
    AddressDemand,
    CniSettings,
    NodeAddresses,
    NodeNetworkLimits,
    fargate_addresses,
    node_addresses,
)
from eks_plan.network.subnets import (
    CONTROL_PLANE_FREE_ADDRESSES,
    LARGEST_PREFIX_LENGTH,
    SMALLEST_PREFIX_LENGTH,
    Subnet,
    SubnetCapacity,
    SubnetRole,
    SubnetUsage,
    Verdict,
    find_overlaps,
    place_demand,
    smallest_fitting_prefix_length,
    spread_over_subnets,
    subnet_capacity,
)
from eks_plan.resources import CPU, MEMORY, PODS, Resources

#: The share of usable addresses that must stay free (``--min-free``).
DEFAULT_MIN_FREE = 0.10
#: Custom networking's pod subnets come from a secondary VPC CIDR in this range (RFC 6598 space).
CUSTOM_NETWORKING_RANGE = IPv4Network("100.64.0.0/10")
#: A VPC CIDR block is at most a /16.
LARGEST_VPC_CIDR_PREFIX = 16


@dataclass(frozen=True, slots=True)
class WorkloadFacts:
    """What a scenario needs to know of a workload: its replicas, peaks and per-pod requests.

    ``requests`` includes the pod slot (``pods: 1``).
    """

    key: str
    kind: str
    replicas: int
    host_network: bool = False
    max_surge: int = 0
    hpa_max_replicas: int | None = None
    requests: Resources = field(default_factory=lambda: Resources({PODS: 1}))

    @property
    def is_daemonset(self) -> bool:
        return self.kind == "DaemonSet"


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """One planned node as the network check sees it.

    ``pool_pods`` are the pods taking an address from ipamd's pool (not hostNetwork, not
    security-group pods), ``daemonset_pool_pods`` those of them that are DaemonSet pods (so a new
    node of the same kind starts with them). ``pods`` counts the other workloads' pods by workload.
    ``allocatable``/``used`` hold cpu, memory and pods; ``used`` includes the DaemonSets.
    """

    name: str
    pool: str
    instance_type: str
    zone: str
    limits: NodeNetworkLimits
    pool_pods: int
    allocatable: Resources
    used: Resources
    daemonset_used: Resources
    security_group_pods: int = 0
    daemonset_pool_pods: int = 0
    pods: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FargatePods:
    """Fargate pods of one workload, in one zone (``None``: spread over the zones)."""

    workload: str
    count: int
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class ClusterNetwork:
    """The cluster whose addresses are checked: nodes, workloads, pools' max sizes, Fargate pods."""

    region: str
    zones: tuple[str, ...]
    nodes: tuple[NodeFacts, ...]
    workloads: Mapping[str, WorkloadFacts] = field(default_factory=dict)
    pool_max_nodes: Mapping[str, int | None] = field(default_factory=dict)
    fargate: tuple[FargatePods, ...] = ()
    source: str = ""


def hand_written_nodes(
    zone: str, instance_type: str, count: int, limits: NodeNetworkLimits, pods_per_node: int | None
) -> tuple[list[NodeFacts], WorkloadFacts]:
    """Nodes given by hand (``--nodes us-east-1a:m6i.large=12 --pods-per-node 20``).

    Without requests, only pod slots limit re-placement: each node has maxPods slots, two taken by
    the hostNetwork add-ons every EKS node runs (aws-node, kube-proxy). ``pods_per_node`` defaults
    to a full node, ``maxPods − 2``.

    >>> limits = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=29)
    >>> nodes, workload = hand_written_nodes("us-east-1a", "m6i.large", 2, limits, None)
    >>> [node.pool_pods for node in nodes], nodes[0].used[PODS], workload.key
    ([27, 27], 29, 'pods (--pods-per-node)')
    """
    pods = limits.max_pods - HOST_NETWORK_PODS if pods_per_node is None else pods_per_node
    workload = WorkloadFacts(key="pods (--pods-per-node)", kind="Pod", replicas=0)
    daemonsets = Resources({PODS: HOST_NETWORK_PODS})
    nodes = [
        NodeFacts(
            name=f"{zone}/{instance_type}/{index + 1}",
            pool=f"{instance_type}",
            instance_type=instance_type,
            zone=zone,
            limits=limits,
            pool_pods=pods,
            allocatable=Resources({PODS: limits.max_pods}),
            used=daemonsets + Resources({PODS: pods}),
            daemonset_used=daemonsets,
            pods={workload.key: pods} if pods else {},
        )
        for index in range(count)
    ]
    return nodes, replace(workload, replicas=pods * count)


# --- scenarios ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _NodeLoad:
    """A node in a scenario: its facts, and the pods and room it has there."""

    facts: NodeFacts
    name: str
    zone: str
    pool_pods: int
    security_group_pods: int
    used: Resources
    added: bool = False

    def fits(self, requests: Resources) -> bool:
        return (self.used + requests).fits_in(self.facts.allocatable)

    def room_for(self, requests: Resources, wanted: int) -> int:
        """How many more pods of ``requests`` fit on the node, at most ``wanted``."""
        room = wanted
        allocatable = self.facts.allocatable
        for name, amount in requests.items():
            if amount > 0:
                room = min(room, max(allocatable.get(name, 0) - self.used.get(name, 0), 0) // amount)
        return room


@dataclass(slots=True)
class ScenarioState:
    """The cluster as one scenario leaves it: nodes with their pods, and Fargate pods per zone."""

    key: str
    title: str
    description: str
    nodes: list[_NodeLoad]
    fargate: Counter[str]
    lost_zone: str | None = None
    notes: list[str] = field(default_factory=list)
    unplaced_pods: int = 0

    @property
    def added_nodes(self) -> int:
        return sum(1 for node in self.nodes if node.added)


def _steady(cluster: ClusterNetwork, fargate_zones: Sequence[str]) -> ScenarioState:
    nodes = [
        _NodeLoad(node, node.name, node.zone, node.pool_pods, node.security_group_pods, node.used)
        for node in cluster.nodes
    ]
    fargate: Counter[str] = Counter()
    spread = 0
    for pods in cluster.fargate:
        if pods.zone is not None:
            fargate[pods.zone] += pods.count
            continue
        # Fargate spreads a profile's pods over its subnets' zones.
        rotated = [fargate_zones[(spread + i) % len(fargate_zones)] for i in range(len(fargate_zones))]
        fargate.update(_round_robin(pods.count, rotated))
        spread += pods.count
    return ScenarioState(
        "steady", "steady state", "the plan as it is", nodes, fargate, notes=[] if nodes else ["no nodes"]
    )


def _copy(state: ScenarioState, key: str, title: str, description: str) -> ScenarioState:
    nodes = [replace(node) for node in state.nodes]
    return ScenarioState(key, title, description, nodes, Counter(state.fargate))


class _Placer:
    """Places extra pods of workloads on a scenario's nodes, adding cloned nodes when none has room.

    Pods go round-robin over the zones, each on the first node of its zone with room. As zones
    do not share nodes, and a node without room for a workload's pod stays without room while
    more of them are placed, that is the same as giving each zone its share at once and filling
    its nodes in order, as many pods per node as fit: the work is per node, not per pod, so an
    HPA max of 200,000 costs no more than the nodes it fills.
    """

    def __init__(self, state: ScenarioState) -> None:
        self.state = state
        self.added_per_zone: Counter[str] = Counter()

    def place(
        self, workload: WorkloadFacts, count: int, zones: Sequence[str], templates: Sequence[NodeFacts]
    ) -> None:
        if count <= 0 or not zones:
            return
        for zone, share in _round_robin(count, zones).items():
            candidates = iter([n for n in self.state.nodes if n.zone == zone])
            while share > 0:
                node = next(candidates, None)
                room = 0 if node is None else node.room_for(workload.requests, share)
                if node is None:
                    node = self._add_node(zone, templates, workload)
                    if node is None:
                        self.state.unplaced_pods += share
                        break
                    room = node.room_for(workload.requests, share)
                if room <= 0:
                    continue
                node.used = node.used + workload.requests * room
                if not workload.host_network:
                    node.pool_pods += room
                share -= room

    def _add_node(
        self, zone: str, templates: Sequence[NodeFacts], workload: WorkloadFacts
    ) -> _NodeLoad | None:
        template = next((t for t in templates if t.zone == zone), None) or (
            templates[0] if templates else None
        )
        if template is None:
            template = next((n.facts for n in self.state.nodes if n.zone == zone), None)
        if template is None:
            return None
        node = self.add_empty_node(template, zone)
        if not node.fits(workload.requests):
            self.state.nodes.remove(node)
            return None
        return node

    def add_empty_node(self, template: NodeFacts, zone: str) -> _NodeLoad:
        """A new node like ``template`` in ``zone``, running only its DaemonSets."""
        self.added_per_zone[zone] += 1
        node = _NodeLoad(
            template,
            f"{template.pool}/{zone}/added-{self.added_per_zone[zone]}",
            zone,
            template.daemonset_pool_pods,
            0,
            template.daemonset_used,
            added=True,
        )
        self.state.nodes.append(node)
        return node


def _round_robin(count: int, zones: Sequence[str]) -> Counter[str]:
    """How many of ``count`` items dealt round-robin over ``zones`` (repeats allowed) each gets.

    >>> dict(_round_robin(7, ["a", "b", "c"])), dict(_round_robin(3, ["a", "b", "a"]))
    ({'a': 3, 'b': 2, 'c': 2}, {'a': 2, 'b': 1})
    """
    shares: Counter[str] = Counter()
    if count <= 0:
        return shares
    base, extra = divmod(count, len(zones))
    for index, zone in enumerate(zones):
        shares[zone] += base + (1 if index < extra else 0)
    return shares


def _workload_zones(state: ScenarioState, workload: str) -> list[str]:
    """Zones where a workload runs, most pods first (ties by name)."""
    counts: Counter[str] = Counter()
    for node in state.nodes:
        if node.facts.pods.get(workload):
            counts[node.zone] += node.facts.pods[workload]
    return sorted(counts, key=lambda zone: (-counts[zone], zone))


def _workload_templates(state: ScenarioState, workload: str) -> list[NodeFacts]:
    """Nodes that ran a workload, per zone the most common pool and type first."""
    kinds: Counter[tuple[str, str, str]] = Counter()
    first: dict[tuple[str, str, str], NodeFacts] = {}
    for node in state.nodes:
        if node.facts.pods.get(workload) and not node.added:
            key = (node.zone, node.facts.pool, node.facts.instance_type)
            kinds[key] += 1
            first.setdefault(key, node.facts)
    return [first[key] for key in sorted(kinds, key=lambda key: (-kinds[key], key))]


def _fargate_workloads(cluster: ClusterNetwork) -> dict[str, list[str | None]]:
    zones: dict[str, list[str | None]] = defaultdict(list)
    for pods in cluster.fargate:
        zones[pods.workload].append(pods.zone)
    return zones


def _grow_workloads(
    cluster: ClusterNetwork,
    steady: ScenarioState,
    extra: Callable[[WorkloadFacts], int],
    key: str,
    title: str,
    description: str,
    fargate_zones: Sequence[str],
) -> ScenarioState:
    state = _copy(steady, key, title, description)
    placer = _Placer(state)
    on_fargate = _fargate_workloads(cluster)
    grown = 0
    for workload in sorted(cluster.workloads.values(), key=lambda w: w.key):
        count = extra(workload)
        if count <= 0:
            continue
        grown += 1
        if workload.key in on_fargate:
            zones = [zone for zone in on_fargate[workload.key] if zone] or list(fargate_zones)
            state.fargate.update(_round_robin(count, zones))
            continue
        zones = _workload_zones(steady, workload.key)
        placer.place(workload, count, zones, _workload_templates(steady, workload.key))
    if not grown:
        state.notes.append("no workload grows in this scenario")
    return state


def _pools_at_max(cluster: ClusterNetwork, steady: ScenarioState) -> ScenarioState:
    state = _copy(
        steady,
        "pools-at-max",
        "node pools at max size",
        "every node pool scaled out to its max size; new nodes run only their DaemonSets",
    )
    placer = _Placer(state)
    by_pool: dict[str, list[_NodeLoad]] = defaultdict(list)
    for node in steady.nodes:
        by_pool[node.facts.pool].append(node)
    unbounded = []
    for pool, nodes in sorted(by_pool.items()):
        maximum = cluster.pool_max_nodes.get(pool)
        if maximum is None:
            unbounded.append(pool)
            continue
        if maximum > MAX_NODES:  # a plan file is refused earlier; a config's maxNodes lands here
            state.notes.append(
                f"pool {pool}: max size {maximum:,} is above the {MAX_NODES:,} nodes eks-plan checks "
                "at once: left as planned"
            )
            continue
        per_zone = Counter(node.zone for node in nodes)
        templates = {node.zone: node.facts for node in sorted(nodes, key=lambda n: n.name)}
        for _ in range(max(maximum - len(nodes), 0)):
            # The autoscaler balances a pool over its zones: add where it has the fewest nodes.
            zone = min(per_zone, key=lambda z: (per_zone[z], z))
            placer.add_empty_node(templates[zone], zone)
            per_zone[zone] += 1
    if unbounded:
        pools = "pool" if len(unbounded) == 1 else "pools"
        state.notes.append(f"no max size for {pools} {', '.join(unbounded)}: left as planned")
    return state


def _zone_loss(
    cluster: ClusterNetwork, steady: ScenarioState, lost: str, surviving: Sequence[str]
) -> ScenarioState:
    state = _copy(
        steady,
        f"zone-loss:{lost}",
        f"zone {lost} lost",
        f"{lost} fails; its pods are re-placed round-robin in {', '.join(surviving)}",
    )
    state.lost_zone = lost
    lost_nodes = [node for node in state.nodes if node.zone == lost]
    state.nodes = [node for node in state.nodes if node.zone != lost]
    placer = _Placer(state)
    moved: Counter[str] = Counter()
    templates: dict[str, list[NodeFacts]] = defaultdict(list)
    for node in lost_nodes:
        for workload, count in node.facts.pods.items():
            moved[workload] += count
            if node.facts not in templates[workload]:
                templates[workload].append(node.facts)
    for workload_key in sorted(moved):
        facts = cluster.workloads.get(workload_key) or WorkloadFacts(workload_key, "Pod", moved[workload_key])
        if facts.is_daemonset:
            continue
        # Clone the lost nodes' kind into each surviving zone when no existing node has room.
        clones = [
            replace(template, zone=zone) for zone in surviving for template in templates[workload_key][:1]
        ]
        placer.place(facts, moved[workload_key], surviving, clones)
    fargate_lost = state.fargate.pop(lost, 0)
    state.fargate.update(_round_robin(fargate_lost, surviving))
    return state


def build_scenarios(cluster: ClusterNetwork, zones_with_subnets: Sequence[str]) -> list[ScenarioState]:
    """Every scenario of the cluster, steady state first; zone loss once per zone with capacity."""
    fargate_zones = [zone for zone in cluster.zones if zone in zones_with_subnets] or list(zones_with_subnets)
    steady = _steady(cluster, fargate_zones)
    scenarios = [steady]
    scenarios.append(
        _grow_workloads(
            cluster,
            steady,
            lambda w: (w.hpa_max_replicas or 0) - w.replicas if not w.is_daemonset else 0,
            "hpa-max",
            "HPA max",
            "every HorizontalPodAutoscaler at maxReplicas",
            fargate_zones,
        )
    )
    scenarios.append(
        _grow_workloads(
            cluster,
            steady,
            lambda w: w.max_surge if w.kind == "Deployment" else 0,
            "surge",
            "rolling-update surge",
            "every Deployment rolling out at once, maxSurge extra pods each",
            fargate_zones,
        )
    )
    scenarios.append(_pools_at_max(cluster, steady))
    occupied = sorted(
        {node.zone for node in steady.nodes} | {zone for zone, n in steady.fargate.items() if n}
    )
    for lost in occupied:
        surviving = [zone for zone in zones_with_subnets if zone != lost]
        if surviving:
            scenarios.append(_zone_loss(cluster, steady, lost, surviving))
    return scenarios


# --- addresses per subnet ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One scenario's outcome: every subnet's usage and verdict, and pods left without an address."""

    key: str
    title: str
    description: str
    nodes: int
    added_nodes: int
    fargate_pods: int
    pods_without_address: int
    unplaced_pods: int
    usages: tuple[SubnetUsage, ...]
    lost_zone: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        """The worst subnet verdict; ``exhausted`` as well when some pod gets no address because
        its node's ENIs are full (ipamd cannot attach more), however much room the subnets have."""
        worst = max((usage.verdict for usage in self.usages), key=lambda v: v.severity, default=Verdict.OK)
        return Verdict.EXHAUSTED if self.pods_without_address else worst

    @property
    def held(self) -> int:
        """Addresses the cluster holds in all subnets (control-plane reserve included)."""
        return sum(usage.held for usage in self.usages)

    def held_in(self, role: SubnetRole) -> int:
        return sum(usage.held for usage in self.usages if usage.subnet.has_role(role))

    def as_dict(self) -> dict[str, object]:
        return {
            "scenario": self.key,
            "title": self.title,
            "description": self.description,
            "lost_zone": self.lost_zone,
            "nodes": self.nodes,
            "added_nodes": self.added_nodes,
            "fargate_pods": self.fargate_pods,
            "addresses_held": self.held,
            "pods_without_address": self.pods_without_address,
            "unplaced_pods": self.unplaced_pods,
            "verdict": self.verdict.value,
            "notes": list(self.notes),
            "subnets": [usage.as_dict() for usage in self.usages],
        }


@dataclass(frozen=True, slots=True)
class _ZoneDemand:
    """What one scenario asks of one zone: per-node demands for node and pod subnets, Fargate."""

    node_subnet: list[AddressDemand]
    pod_subnet: list[AddressDemand]
    fargate: int
    pods_without_address: int


def _zone_demands(state: ScenarioState, cni: CniSettings) -> dict[str, _ZoneDemand]:
    nodes_by_zone: dict[str, list[_NodeLoad]] = defaultdict(list)
    for node in state.nodes:
        nodes_by_zone[node.zone].append(node)
    demands = {}
    # Nodes alike (added clones, hand-written nodes) hold alike: compute each kind once.
    known: dict[tuple[NodeNetworkLimits, int, int], NodeAddresses] = {}
    for zone in sorted(set(nodes_by_zone) | set(state.fargate)):
        node_side, pod_side, without = [], [], 0
        for node in nodes_by_zone.get(zone, []):
            kind = (node.facts.limits, node.pool_pods, node.security_group_pods)
            held = known.get(kind)
            if held is None:
                held = known[kind] = node_addresses(node.facts.limits, cni, *kind[1:])
            node_side.append(held.node_subnet)
            if held.pod_subnet != NO_ADDRESSES:
                pod_side.append(held.pod_subnet)
            without += held.pods_without_address
        demands[zone] = _ZoneDemand(node_side, pod_side, state.fargate.get(zone, 0), without)
    return demands


def _evaluate(
    state: ScenarioState,
    subnets: Sequence[Subnet],
    cni: CniSettings,
    min_free: float,
    capacities: Mapping[Subnet, SubnetCapacity],
) -> ScenarioResult:
    demands = _zone_demands(state, cni)
    held: dict[Subnet, AddressDemand] = {subnet: NO_ADDRESSES for subnet in subnets}
    for zone, demand in demands.items():
        node_subnets = [s for s in subnets if s.zone == zone and s.has_role(SubnetRole.NODES)]
        # Custom networking's ENIConfig subnets; recommendations measure that demand without them.
        pod_subnets = [s for s in subnets if s.zone == zone and s.has_role(SubnetRole.PODS)]
        fargate = (
            [fargate_addresses(1)] * demand.fargate
            if len(node_subnets) > 1
            else [fargate_addresses(demand.fargate)]
        )
        for target, wanted in (
            (node_subnets, [*demand.node_subnet, *fargate]),
            (pod_subnets, demand.pod_subnet),
        ):
            if not target:
                continue
            for subnet, added in spread_over_subnets(target, wanted).items():
                held[subnet] = held[subnet] + added
    usages = []
    for subnet in subnets:
        if subnet.zone == state.lost_zone:
            continue
        wanted_here = held[subnet]
        if subnet.has_role(SubnetRole.CLUSTER):
            wanted_here = wanted_here + AddressDemand(control_plane=CONTROL_PLANE_FREE_ADDRESSES)
        usages.append(place_demand(subnet, wanted_here, min_free, capacities[subnet]))
    without = sum(d.pods_without_address for d in demands.values())
    notes = list(state.notes)
    if without:
        notes.append(
            f"{without:,} pod(s) get no address: their nodes' ENIs are full (ipamd attaches no more "
            "ENIs or addresses), so they stay in ContainerCreating; lower maxPods to the ENI limit, "
            "use prefix delegation, or plan more nodes"
        )
    return ScenarioResult(
        key=state.key,
        title=state.title,
        description=state.description,
        nodes=len(state.nodes),
        added_nodes=state.added_nodes,
        fargate_pods=sum(state.fargate.values()),
        pods_without_address=without,
        unplaced_pods=state.unplaced_pods,
        usages=tuple(usages),
        lost_zone=state.lost_zone,
        notes=tuple(notes),
    )


# --- recommendations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One change with its numbers: ``summary`` for people, ``details`` for scripts."""

    kind: str
    summary: str
    details: Mapping[str, object]

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "summary": self.summary, **self.details}


def _peak(results: Sequence[ScenarioResult], role: SubnetRole | None = None) -> tuple[int, str]:
    """The most addresses held in any scenario (in subnets of ``role``), and that scenario."""
    best = max(results, key=lambda r: r.held if role is None else r.held_in(role))
    return (best.held if role is None else best.held_in(role)), best.key


def _zone_role_peaks(
    states: Sequence[ScenarioState], cni: CniSettings, role: SubnetRole
) -> dict[str, tuple[AddressDemand, str]]:
    """Per zone, the largest demand on subnets of ``role`` over all scenarios, and its scenario."""
    peaks: dict[str, tuple[AddressDemand, str]] = {}
    for state in states:
        for zone, demand in _zone_demands(state, cni).items():
            if role is SubnetRole.PODS:
                wanted = sum(demand.pod_subnet, NO_ADDRESSES)
            else:
                wanted = sum(demand.node_subnet, NO_ADDRESSES) + fargate_addresses(demand.fargate)
            if zone not in peaks or wanted.total > peaks[zone][0].total:
                peaks[zone] = (wanted, state.key)
    return peaks


def _cidr_size(length: int | None) -> str:
    """Words for the smallest fitting subnet; ``None`` is more than the largest subnet, a /16."""
    if length is None:
        return "more than a /16 (the largest subnet; split the nodes over several subnets)"
    return f"a /{length} ({2 ** (32 - length) - 5:,} usable)"


def _subnet_size_recommendations(
    states: Sequence[ScenarioState], subnets: Sequence[Subnet], cni: CniSettings, min_free: float
) -> list[Recommendation]:
    recommendations = []
    roles = [SubnetRole.NODES] + ([SubnetRole.PODS] if cni.custom_networking and not cni.ipv6 else [])
    for role in roles:
        for zone, (demand, scenario) in sorted(_zone_role_peaks(states, cni, role).items()):
            current = [s for s in subnets if s.zone == zone and s.has_role(role)]
            if any(s.has_role(SubnetRole.CLUSTER) for s in current):
                demand = demand + AddressDemand(control_plane=CONTROL_PLANE_FREE_ADDRESSES)
            length = smallest_fitting_prefix_length(demand, min_free)
            now = ", ".join(f"{s.cidr} ({s.usable:,} usable)" for s in current) or "none"
            recommendations.append(
                Recommendation(
                    "subnet-size",
                    f"{zone} {role.value}: peak {demand.total:,} addresses ({scenario}) needs "
                    f"{_cidr_size(length)} with {min_free:.0%} free; now {now}",
                    {
                        "zone": zone,
                        "role": role.value,
                        "peak_addresses": demand.total,
                        "peak_prefixes": demand.prefixes,
                        "peak_scenario": scenario,
                        "smallest_prefix_length": length,
                        "current": [str(s.cidr) for s in current],
                    },
                )
            )
    return recommendations


def suggest_ip_targets(states: Sequence[ScenarioState]) -> tuple[int, int]:
    """A MINIMUM_IP_TARGET/WARM_IP_TARGET pair for the cluster: MIT = the mean pool pods per node at
    steady state (rounded up), WIT = the most pods any node gains in a rollout or HPA peak (at
    least 1), so rollouts find addresses warm and idle nodes hold little more than they use
    (the VPC CNI docs: MIT about the expected pods per node, WIT small).

    The data set is the scenarios' own nodes, so the pair follows the plan.
    """
    steady = states[0]
    if not steady.nodes:
        return 1, 1
    minimum = max(math.ceil(sum(n.pool_pods for n in steady.nodes) / len(steady.nodes)), 1)
    before = {node.name: node.pool_pods for node in steady.nodes}
    burst = 1
    for state in states:
        if state.key in ("hpa-max", "surge"):
            for node in state.nodes:
                burst = max(burst, node.pool_pods - before.get(node.name, node.facts.daemonset_pool_pods))
    return minimum, burst


def _alternatives(
    states: Sequence[ScenarioState],
    subnets: Sequence[Subnet],
    cni: CniSettings,
    min_free: float,
    capacities: Mapping[Subnet, SubnetCapacity],
    current: Sequence[ScenarioResult],
) -> list[Recommendation]:
    if cni.ipv6 or not states[0].nodes:
        return []
    recommendations = []
    peak_now, _ = _peak(current)

    def run(settings: CniSettings) -> list[ScenarioResult]:
        return [_evaluate(state, subnets, settings, min_free, capacities) for state in states]

    minimum, warm = suggest_ip_targets(states)
    targets = replace(cni, warm_ip_target=warm, minimum_ip_target=minimum)
    if targets != cni:
        results = run(targets)
        peak, scenario = _peak(results)
        recommendations.append(
            Recommendation(
                "ip-targets",
                f"MINIMUM_IP_TARGET={minimum} WARM_IP_TARGET={warm}: peak {peak_now:,} → {peak:,} addresses "
                f"({_saving(peak_now - peak)})" + _worst_note(results),
                {
                    "minimum_ip_target": minimum,
                    "warm_ip_target": warm,
                    "peak_addresses_now": peak_now,
                    "peak_addresses": peak,
                    "addresses_saved": peak_now - peak,
                    "peak_scenario": scenario,
                    "worst_verdict": _worst(results).value,
                },
            )
        )
    if not cni.prefix_delegation:
        prefixes = replace(
            cni.with_switches(custom_networking=cni.custom_networking, prefix_delegation=True),
            warm_ip_target=None,
            minimum_ip_target=None,
        )
        results = run(prefixes)
        peak, scenario = _peak(results)
        recommendations.append(
            Recommendation(
                "prefix-delegation",
                f"prefix delegation (WARM_PREFIX_TARGET={prefixes.warm_prefix_target}, maxPods as planned): "
                f"peak {peak_now:,} → {peak:,} addresses ({_saving(peak_now - peak)}), each /28 needing a "
                f"free aligned block" + _worst_note(results),
                {
                    "warm_prefix_target": prefixes.warm_prefix_target,
                    "peak_addresses_now": peak_now,
                    "peak_addresses": peak,
                    "addresses_saved": peak_now - peak,
                    "peak_scenario": scenario,
                    "worst_verdict": _worst(results).value,
                },
            )
        )
    if not cni.custom_networking:
        recommendations.append(_custom_networking(states, subnets, cni, min_free, capacities, current))
    return recommendations


def _custom_networking(
    states: Sequence[ScenarioState],
    subnets: Sequence[Subnet],
    cni: CniSettings,
    min_free: float,
    capacities: Mapping[Subnet, SubnetCapacity],
    current: Sequence[ScenarioResult],
) -> Recommendation:
    custom = cni.with_switches(custom_networking=True, prefix_delegation=cni.prefix_delegation)
    node_subnets = [s for s in subnets if not s.has_role(SubnetRole.PODS)]
    # Without pod subnets yet, ENIConfig demand is measured per zone, not placed.
    results = [_evaluate(state, node_subnets, custom, min_free, capacities) for state in states]
    node_peak_now, _ = _peak(current, SubnetRole.NODES)
    node_peak, _ = _peak(results, SubnetRole.NODES)
    pod_peaks = _zone_role_peaks(states, custom, SubnetRole.PODS)
    lengths = {
        zone: smallest_fitting_prefix_length(demand, min_free) for zone, (demand, _) in pod_peaks.items()
    }
    carved = _carve(CUSTOM_NETWORKING_RANGE.network_address, lengths)
    without = max(result.pods_without_address for result in results)
    pod_subnets = ", ".join(
        f"{zone} {network if network is not None else 'more than a /16: split it'}"
        for zone, network in carved.items()
    )
    secondary = _secondary_cidr(carved)
    if not carved:
        where = "pod subnets"
    elif secondary is None:
        where = "several secondary CIDRs (the pod subnets need more than one /16, the largest VPC CIDR)"
    elif secondary.prefixlen < LARGEST_VPC_CIDR_PREFIX:
        where = f"secondary CIDRs from {secondary} (larger than a VPC CIDR /16: split it)"
    else:
        where = f"a {secondary} secondary CIDR"
    summary = (
        f"custom networking with {where}: node subnets peak {node_peak_now:,} → "
        f"{node_peak:,} addresses ({_saving(node_peak_now - node_peak)}); pod subnets {pod_subnets}"
    )
    if without:
        summary += (
            f"; the primary ENI stops carrying pods, so up to {without:,} pods would get no address "
            "(lower maxPods to the custom-networking value and re-plan)"
        )
    fits_vpc = secondary is not None and secondary.prefixlen >= LARGEST_VPC_CIDR_PREFIX
    return Recommendation(
        "custom-networking",
        summary,
        {
            "secondary_cidr": None if secondary is None else str(secondary),
            "secondary_cidr_fits_vpc": fits_vpc,
            "node_subnet_peak_now": node_peak_now,
            "node_subnet_peak": node_peak,
            "addresses_saved": node_peak_now - node_peak,
            "pod_subnets": {
                zone: {
                    "cidr": None if network is None else str(network),
                    "prefix_length": lengths[zone],
                    "peak_addresses": pod_peaks[zone][0].total,
                    "peak_scenario": pod_peaks[zone][1],
                }
                for zone, network in carved.items()
            },
            "pods_without_address": without,
        },
    )


def _carve(start: object, lengths: Mapping[str, int | None]) -> dict[str, IPv4Network | None]:
    """Lay out one subnet per zone, aligned, largest first, from ``start`` upward; ``None`` for a
    zone that needs more than a /16 (no subnet is larger: :func:`smallest_fitting_prefix_length`).

    >>> from ipaddress import IPv4Address
    >>> carved = _carve(IPv4Address("100.64.0.0"), {"a": 20, "b": 19, "c": 20, "d": None})
    >>> {zone: str(network) for zone, network in carved.items()}
    {'d': 'None', 'b': '100.64.0.0/19', 'a': '100.64.32.0/20', 'c': '100.64.48.0/20'}
    """
    cursor = int(start)  # type: ignore[call-overload]
    carved: dict[str, IPv4Network | None] = {}
    for zone, length in sorted(lengths.items(), key=lambda item: (item[1] or 0, item[0])):
        if length is None:
            carved[zone] = None
            continue
        size = 2 ** (32 - length)
        cursor = -(-cursor // size) * size
        carved[zone] = IPv4Network((cursor, length))
        cursor += size
    return carved


def _secondary_cidr(carved: Mapping[str, IPv4Network | None]) -> IPv4Network | None:
    """The smallest block from 100.64.0.0 holding every carved subnet (a VPC CIDR when its prefix
    is /16 or longer), or ``None`` when a zone needs more than a /16 or there is no subnet.

    >>> _secondary_cidr({"a": IPv4Network("100.64.0.0/19"), "b": IPv4Network("100.64.32.0/20")})
    IPv4Network('100.64.0.0/18')
    >>> _secondary_cidr({"a": IPv4Network("100.64.0.0/19"), "b": None}) is None
    True
    """
    networks = [network for network in carved.values() if network is not None]
    if not networks or len(networks) != len(carved):
        return None
    end = max(int(network.broadcast_address) for network in networks) - int(
        CUSTOM_NETWORKING_RANGE.network_address
    )
    length = 32 - max(math.ceil(math.log2(end + 1)), 0)
    return IPv4Network((CUSTOM_NETWORKING_RANGE.network_address, length))


def _saving(addresses: int) -> str:
    if addresses > 0:
        return f"saves {addresses:,}"
    if addresses < 0:
        return f"costs {-addresses:,} more"
    return "no change"


def _worst(results: Iterable[ScenarioResult]) -> Verdict:
    return max((result.verdict for result in results), key=lambda v: v.severity, default=Verdict.OK)


def _worst_note(results: Sequence[ScenarioResult]) -> str:
    worst = _worst(results)
    return "" if worst is Verdict.OK else f"; still {worst.value} in some scenario"


# --- the check --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything ``eks-plan check-ips`` reports."""

    cluster: ClusterNetwork
    subnets: tuple[Subnet, ...]
    cni: CniSettings
    min_free: float
    scenarios: tuple[ScenarioResult, ...]
    recommendations: tuple[Recommendation, ...]

    @property
    def verdict(self) -> Verdict:
        return _worst(self.scenarios)

    @property
    def pods_without_address(self) -> int:
        return max((scenario.pods_without_address for scenario in self.scenarios), default=0)

    def as_dict(self) -> dict[str, object]:
        """The report as plain data (``-o json|yaml``)."""
        return {
            "region": self.cluster.region,
            "source": self.cluster.source,
            "cni": self.cni.as_dict(),
            "min_free_percent": round(100 * self.min_free, 2),
            "verdict": self.verdict.value,
            "subnets": [
                {**subnet.as_dict(), "worst_verdict": self._subnet_worst(subnet).value}
                for subnet in self.subnets
            ],
            "scenarios": [scenario.as_dict() for scenario in self.scenarios],
            "recommendations": [recommendation.as_dict() for recommendation in self.recommendations],
        }

    def _subnet_worst(self, subnet: Subnet) -> Verdict:
        verdicts = [u.verdict for s in self.scenarios for u in s.usages if u.subnet == subnet]
        return max(verdicts, key=lambda v: v.severity, default=Verdict.OK)


def check_ips(
    cluster: ClusterNetwork, subnets: Sequence[Subnet], cni: CniSettings, min_free: float = DEFAULT_MIN_FREE
) -> CheckReport:
    """Check every subnet in every scenario and work out the recommendations.

    ``subnets`` must already be validated (:func:`validate_inputs`).
    """
    zones_with_nodes_subnets = sorted({s.zone for s in subnets if s.has_role(SubnetRole.NODES)})
    states = build_scenarios(cluster, zones_with_nodes_subnets)
    capacities = {subnet: subnet_capacity(subnet) for subnet in subnets}
    results = [_evaluate(state, subnets, cni, min_free, capacities) for state in states]
    recommendations = _subnet_size_recommendations(states, subnets, cni, min_free)
    recommendations += _alternatives(states, subnets, cni, min_free, capacities, results)
    return CheckReport(
        cluster=cluster,
        subnets=tuple(subnets),
        cni=cni,
        min_free=min_free,
        scenarios=tuple(results),
        recommendations=tuple(recommendations),
    )


def requests_of(cpu_millicores: int, memory_bytes: int, extra: Mapping[str, int] | None = None) -> Resources:
    """A pod's requests with its pod slot, for :class:`WorkloadFacts`."""
    return Resources({CPU: cpu_millicores, MEMORY: memory_bytes, PODS: 1, **(extra or {})})


_ZONE_SUFFIX = re.compile(r"^([a-z]|-[a-z0-9]+(-[a-z0-9]+)*[a-z]?)$")


def validate_inputs(
    cluster: ClusterNetwork, subnets: Sequence[Subnet], cni: CniSettings, known_zones: Sequence[str] = ()
) -> None:
    """Refuse input the check cannot honestly answer, with one clear message (exit code 2).

    A subnet outside the region (``known_zones``: the catalogue's zones of the region, when it has
    them), a CIDR outside /16–/28, a subnet too small for one /28 prefix when it must hold prefixes,
    overlapping subnets, a zone with nodes but no node subnet, or, under custom networking, no pod
    subnet.
    """
    if not subnets:
        raise InputError(
            "no subnets to check", hint="give --subnet ZONE=CIDR, --config with subnets, or --vpc-id"
        )
    for subnet in subnets:
        where = f"subnet {subnet.label} (from {subnet.source})"
        in_region = (
            subnet.zone in known_zones
            if known_zones
            else (
                subnet.zone.startswith(cluster.region)
                and bool(_ZONE_SUFFIX.match(subnet.zone[len(cluster.region) :]))
            )
        )
        if not in_region:
            known = f" (its zones: {', '.join(known_zones)})" if known_zones else ""
            raise InputError(f"{where}: zone {subnet.zone} is not in region {cluster.region}{known}")
        length = subnet.cidr.prefixlen
        if not SMALLEST_PREFIX_LENGTH <= length <= LARGEST_PREFIX_LENGTH:
            mode = (
                " (prefix delegation needs aligned /28 prefixes inside it)" if cni.prefix_delegation else ""
            )
            raise InputError(
                f"{where}: a /{length} is not a valid subnet{mode}",
                hint=f"AWS subnets are /{SMALLEST_PREFIX_LENGTH} to /{LARGEST_PREFIX_LENGTH}",
            )
        holds_prefixes = (
            cni.prefix_delegation
            and not cni.ipv6
            and (
                subnet.has_role(SubnetRole.PODS)
                or (subnet.has_role(SubnetRole.NODES) and not cni.custom_networking)
            )
        )
        if (
            holds_prefixes
            and subnet_capacity(subnet).prefix_blocks + subnet_capacity(subnet).reserved_prefix_blocks == 0
        ):
            raise InputError(
                f"{where}: a /{length} cannot hold a single aligned /28 prefix under prefix delegation "
                "(its first and last /28 blocks hold the addresses AWS reserves)",
                hint="use a /26 or larger subnet for prefix delegation",
            )
    overlaps = find_overlaps(subnets)
    if overlaps:
        first, second = overlaps[0]
        raise InputError(
            f"subnet {first.label} (from {first.source}) overlaps "
            f"subnet {second.label} (from {second.source})",
            hint="subnets of one VPC never overlap; fix one of the two CIDR blocks",
        )
    node_zones = {s.zone for s in subnets if s.has_role(SubnetRole.NODES)}
    pod_zones = {s.zone for s in subnets if s.has_role(SubnetRole.PODS)}
    occupied = {node.zone for node in cluster.nodes} | {p.zone for p in cluster.fargate if p.zone}
    for zone in sorted(occupied - node_zones):
        count = sum(1 for node in cluster.nodes if node.zone == zone)
        raise InputError(
            f"zone {zone} has {count} node(s) but no subnet with role nodes",
            hint=f"add --subnet {zone}=CIDR (or a subnets entry with zone: {zone})",
        )
    if cni.custom_networking and not cni.ipv6:
        for zone in sorted({node.zone for node in cluster.nodes} - pod_zones):
            raise InputError(
                f"custom networking takes pod addresses from ENIConfig subnets, and zone {zone} has none",
                hint=f"add --subnet {zone}=CIDR:pods (e.g. from a 100.64.0.0/10 secondary CIDR)",
            )
