"""The cluster ``eks-plan check-ips`` checks, as facts about addresses: its workloads, nodes (instance
limits, pods per node, free room) and Fargate pods per zone, from a plan or nodes given by hand, and
the checks that refuse inputs the check cannot honestly answer (:func:`validate_inputs`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network

from eks_plan.catalog.capacity import HOST_NETWORK_PODS
from eks_plan.errors import InputError
from eks_plan.network.ipamd import (
    CniSettings,
    NodeNetworkLimits,
)
from eks_plan.network.subnets import (
    LARGEST_PREFIX_LENGTH,
    SMALLEST_PREFIX_LENGTH,
    Subnet,
    SubnetRole,
    find_overlaps,
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
