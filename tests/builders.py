"""Small builders for test objects, so a test states only what it is about.

Example::

    web = make_group("web", 3, cpu="500m", memory="1Gi", anti_affinity_hostname=True)
    m7i = make_option("m7i.large", cpu=1930, memory_mib=6903, pods=29, price=0.1008)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from eks_plan.resources import Resources
from eks_plan.scheduling import (
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    PodAffinityTerm,
    Taint,
    Toleration,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)
from eks_plan.scheduling.labels import (
    ARCH,
    CAPACITY_TYPE,
    HOSTNAME,
    INSTANCE_TYPE,
    OS,
    ZONE,
)
from eks_plan.scheduling.pod import HostPort, PodSpec
from eks_plan.solver.problem import NodeOption, PodGroup

_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 10**3, "M": 10**6, "G": 10**9}


def _cpu(value: str | int) -> int:
    if isinstance(value, int):
        return value
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


def _bytes(value: str | int) -> int:
    if isinstance(value, int):
        return value
    for suffix, factor in _UNITS.items():
        if value.endswith(suffix):
            return int(float(value[: -len(suffix)]) * factor)
    return int(value)


def make_pod(
    name: str = "web",
    *,
    namespace: str = "default",
    cpu: str | int = "100m",
    memory: str | int = "128Mi",
    extra: Mapping[str, int] | None = None,
    labels: Mapping[str, str] | None = None,
    node_selector: Mapping[str, str] | None = None,
    tolerations: tuple[Toleration, ...] = (),
    anti_affinity_hostname: bool = False,
    anti_affinity_zone: bool = False,
    zone_spread: int | None = None,
    hostname_spread: int | None = None,
    host_network: bool = False,
    host_ports: tuple[HostPort, ...] = (),
) -> PodSpec:
    """A pod with ``app=<name>`` labels; the topology flags select the pod's own replicas."""
    pod_labels = dict(labels or {"app": name})
    selector = LabelSelector(match_labels=tuple(sorted(pod_labels.items())))
    requests = Resources({"cpu": _cpu(cpu), "memory": _bytes(memory), "pods": 1, **(extra or {})})
    anti = []
    if anti_affinity_hostname:
        anti.append(PodAffinityTerm(selector, HOSTNAME, frozenset({namespace})))
    if anti_affinity_zone:
        anti.append(PodAffinityTerm(selector, ZONE, frozenset({namespace})))
    spreads = []
    if zone_spread is not None:
        spreads.append(
            TopologySpreadConstraint(zone_spread, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, selector)
        )
    if hostname_spread is not None:
        spreads.append(
            TopologySpreadConstraint(hostname_spread, HOSTNAME, WhenUnsatisfiable.DO_NOT_SCHEDULE, selector)
        )
    return PodSpec(
        namespace=namespace,
        labels=tuple(sorted(pod_labels.items())),
        requests=requests,
        node_selector=NodeSelector(NodeSelectorTerm.from_node_selector(node_selector or {})),
        tolerations=tolerations,
        pod_anti_affinity=tuple(anti),
        topology_spread=tuple(spreads),
        host_network=host_network,
        host_ports=host_ports,
    )


def make_group(name: str = "web", count: int = 1, *, kind: str = "Deployment", **pod_fields) -> PodGroup:
    pod = make_pod(name, **pod_fields)
    return PodGroup(f"{kind}/{pod.namespace}/{name}", count, pod)


def make_option(
    instance_type: str = "m7i.large",
    *,
    zone: str = "us-east-1a",
    cpu: int = 1930,
    memory_mib: int = 6903,
    pods: int = 29,
    price: float = 0.1008,
    extra: Mapping[str, int] | None = None,
    overhead: Mapping[str, int] | None = None,
    arch: str = "amd64",
    capacity_type: str = "on-demand",
    pool: str = "default",
    labels: Mapping[str, str] | None = None,
    taints: tuple[Taint, ...] = (),
) -> NodeOption:
    """A node option with the well-known labels a real node of that type would carry."""
    node_labels = {
        ARCH: arch,
        OS: "linux",
        INSTANCE_TYPE: instance_type,
        ZONE: zone,
        CAPACITY_TYPE: capacity_type,
        **(labels or {}),
    }
    return NodeOption(
        pool=pool,
        instance_type=instance_type,
        zone=zone,
        capacity_type=capacity_type,
        price_per_hour=price,
        allocatable=Resources({"cpu": cpu, "memory": memory_mib * 2**20, "pods": pods, **(extra or {})}),
        daemonset_overhead=Resources(overhead or {}),
        labels=MappingProxyType(node_labels),
        taints=taints,
    )
