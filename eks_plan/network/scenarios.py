"""The scenarios of ``eks-plan check-ips`` and the addresses each takes per subnet.

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
subnets, most room first (:func:`eks_plan.network.subnets.spread_over_subnets`). Every node's
addresses come from :func:`eks_plan.network.ipamd.node_addresses` and every subnet's verdict from
:func:`eks_plan.network.subnets.place_demand` (:func:`evaluate`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from eks_plan.limits import MAX_NODES
from eks_plan.network.cluster import ClusterNetwork, NodeFacts, WorkloadFacts
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
    Subnet,
    SubnetCapacity,
    SubnetRole,
    SubnetUsage,
    Verdict,
    place_demand,
    spread_over_subnets,
)
from eks_plan.resources import Resources


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


def zone_demands(state: ScenarioState, cni: CniSettings) -> dict[str, _ZoneDemand]:
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


def evaluate(
    state: ScenarioState,
    subnets: Sequence[Subnet],
    cni: CniSettings,
    min_free: float,
    capacities: Mapping[Subnet, SubnetCapacity],
) -> ScenarioResult:
    demands = zone_demands(state, cni)
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
