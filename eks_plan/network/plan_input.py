"""Read a plan (a :class:`~eks_plan.plan.document.PlanDocument`, or a file written by ``eks-plan size
--plan-out plan.json``) into a :class:`ClusterNetwork`.

The fields read (others are ignored)::

    {"region": "us-east-1", "zones": ["us-east-1a", ...],
     "nodes": [{"name", "pool", "instance_type", "zone",
                "allocatable": {"cpu_millicores", "memory_bytes", "pods", "gpus"},
                "daemonset_overhead": {"cpu_millicores", "memory_bytes", "pods", "gpus"},
                "vpc_ip_pods", "security_group_pods", "pods": {"Deployment/ns/name": 3}}],
     "workloads": {"Deployment/ns/name": {"kind", "replicas", "host_network", "max_surge",
                                          "hpa_max_replicas", "requests": {"cpu_millicores",
                                          "memory_bytes", "gpus"}}},
     "pools": [{"name", "min_nodes", "max_nodes"}],
     "fargate": {"pods": [{"workload", "count", "zone"}]},
     "cni": {"mode", ...}, "max_pods": {"m6i.large": 29}}

``vpc_ip_pods`` counts every pod on the node that needs a VPC address (not hostNetwork; DaemonSet
pods included) and ``security_group_pods`` those of them on branch ENIs, so the pool serves
``vpc_ip_pods − security_group_pods``. A node's maxPods is its ``allocatable.pods`` (else the
plan's ``max_pods`` for its type); E, A and the branch limit come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from eks_plan.errors import InputError, SourceLocation
from eks_plan.limits import MAX_NODES, MAX_PODS
from eks_plan.network.cluster import ClusterNetwork, FargatePods, NodeFacts, WorkloadFacts, requests_of
from eks_plan.network.ipamd import CniSettings, NodeNetworkLimits
from eks_plan.plan import validate_plan
from eks_plan.plan.document import (
    PlanDocument,
    PlanFargate,
    PlanFargatePods,
    PlanNode,
    PlanPool,
    PlanRequests,
    PlanResources,
    PlanWorkload,
)
from eks_plan.plan.files import locate, read_plan_json
from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU, PODS, Resources

#: instance type name, maxPods -> limits (the catalogue, or a fixed table in tests)
LimitsLookup = Callable[[str, int], NodeNetworkLimits]


def read_plan_file(path: str | Path, limits_of: LimitsLookup) -> tuple[ClusterNetwork, CniSettings | None]:
    """The cluster of a plan file, and the CNI settings the plan was made with (``None`` if absent)."""
    text, document = read_plan_json(path)
    source = str(path)
    # The file's shape first (every key path named at once), against the schema the package ships;
    # then the counts, so that no scenario works on more nodes or pods than the caps allow.
    validate_plan(document, source)
    check_plan_caps(document, text, source)
    return plan_to_cluster(PlanDocument.from_dict(document), limits_of, source)


def check_plan_caps(document: Any, text: str, source: str) -> None:
    """Refuse, before any scenario is built, a plan past eks-plan's documented caps
    (:mod:`eks_plan.limits`): more than ``MAX_NODES`` nodes or a pool max size above it, or a pod
    count (replicas, HPA max, surge, a node's pods, Fargate pods) above ``MAX_PODS``. The message
    names the file, line and key. The shape of the plan is checked elsewhere; this looks only at
    counts that are present and are integers.
    """
    if not isinstance(document, Mapping):
        return

    def too_many(key: str, value: int, cap: int, what: str) -> InputError:
        return InputError(
            f"{key} is {value:,}: more {what} than eks-plan checks at once ({cap:,})",
            locate(text, source, str(value), key.rsplit(".", 1)[-1]),
            hint="check the cluster in parts, e.g. one node pool at a time",
        )

    def items(value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    def mapping(value: Any) -> Mapping[str, Any]:
        return value if isinstance(value, Mapping) else {}

    def counts() -> Iterator[tuple[str, Any, int, str]]:
        nodes = items(document.get("nodes"))
        if len(nodes) > MAX_NODES:
            yield "nodes", len(nodes), MAX_NODES, "nodes"
        for index, pool in enumerate(items(document.get("pools"))):
            yield f"pools[{index}].max_nodes", mapping(pool).get("max_nodes"), MAX_NODES, "nodes"
        for key, workload in mapping(document.get("workloads")).items():
            for name in ("replicas", "hpa_max_replicas", "max_surge"):
                yield f"workloads.{key}.{name}", mapping(workload).get(name), MAX_PODS, "pods"
        for index, node in enumerate(nodes):
            for key, count in mapping(mapping(node).get("pods")).items():
                yield f"nodes[{index}].pods.{key}", count, MAX_PODS, "pods"
        for index, pods in enumerate(items(mapping(document.get("fargate")).get("pods"))):
            yield f"fargate.pods[{index}].count", mapping(pods).get("count"), MAX_PODS, "pods"

    for key, value, cap, what in counts():
        if isinstance(value, int) and not isinstance(value, bool) and value > cap:
            if key == "nodes":
                raise InputError(
                    f"the plan has {value:,} nodes: more than eks-plan checks at once ({cap:,})",
                    SourceLocation(source),
                    hint="check the cluster in parts, e.g. one node pool at a time",
                )
            raise too_many(key, value, cap, what)


def plan_to_cluster(
    document: PlanDocument | Mapping[str, Any], limits_of: LimitsLookup, source: str = "plan"
) -> tuple[ClusterNetwork, CniSettings | None]:
    """Build the network view of a plan: a :class:`PlanDocument` (in memory after sizing in place,
    or read from a file), or plain plan data, checked key by key (see the module docstring)."""
    if not isinstance(document, PlanDocument):
        document = checked_document(document, source)
    reader = _Reader(source)
    max_pods_of_type = dict(document.max_pods or {})
    workloads = {
        key: WorkloadFacts(
            key=key,
            kind=item.kind,
            replicas=item.replicas,
            host_network=bool(item.host_network),
            max_surge=item.max_surge or 0,
            hpa_max_replicas=item.hpa_max_replicas,
            requests=requests_of(
                item.requests.cpu_millicores,
                item.requests.memory_bytes,
                {NVIDIA_GPU: item.requests.gpus} if item.requests.gpus else None,
            ),
        )
        for key, item in document.workloads.items()
    }

    nodes = []
    for index, item in enumerate(document.nodes):
        where = f"nodes[{index}]"
        instance_type = item.instance_type
        allocatable = _resources(item.allocatable)
        overhead = _resources(item.daemonset_overhead)
        max_pods = allocatable[PODS] or max_pods_of_type.get(instance_type, 0)
        if not max_pods:
            raise reader.error(f"{where}: no maxPods for {instance_type} (allocatable.pods or max_pods)")
        vpc_ip_pods, security_group_pods = item.vpc_ip_pods, item.security_group_pods
        if security_group_pods > vpc_ip_pods:
            raise reader.error(
                f"{where}: security_group_pods ({security_group_pods}) exceeds vpc_ip_pods ({vpc_ip_pods})"
            )
        placed = [(workloads.get(key), count) for key, count in item.pods.items()]
        not_daemonset = {
            key: count for key, count in item.pods.items() if not _is_daemonset(workloads.get(key))
        }
        used = overhead
        for workload, count in placed:
            if workload is not None and not workload.is_daemonset:
                used = used + workload.requests * count
        workload_pool_pods = sum(
            count
            for workload, count in placed
            if workload is not None and not workload.is_daemonset and not workload.host_network
        )
        pool_pods = vpc_ip_pods - security_group_pods
        nodes.append(
            NodeFacts(
                name=item.name,
                pool=item.pool or instance_type,
                instance_type=instance_type,
                zone=item.zone,
                limits=limits_of(instance_type, max_pods),
                pool_pods=pool_pods,
                allocatable=allocatable if allocatable[PODS] else allocatable + Resources({PODS: max_pods}),
                used=used,
                daemonset_used=overhead,
                security_group_pods=security_group_pods,
                daemonset_pool_pods=max(pool_pods - workload_pool_pods, 0),
                pods=not_daemonset,
            )
        )

    pool_max_nodes: dict[str, int | None] = {pool.name: pool.max_nodes for pool in document.pools or ()}
    fargate = [
        FargatePods(workload=item.workload, count=item.count, zone=item.zone)
        for item in (document.fargate.pods if document.fargate else ())
    ]
    cluster = ClusterNetwork(
        region=document.region,
        zones=document.zones or tuple(sorted({node.zone for node in nodes})),
        nodes=tuple(nodes),
        workloads=workloads,
        pool_max_nodes=pool_max_nodes,
        fargate=tuple(fargate),
        source=source,
    )
    return cluster, _cni_settings(reader, document.cni)


def checked_document(document: Any, source: str = "plan") -> PlanDocument:
    """The :class:`PlanDocument` of plain plan data, checked key by key with errors naming ``source``
    and the key path; keys a hand-made plan leaves out take their empty value (no DaemonSet
    overhead, no pods on branch ENIs)."""
    reader = _Reader(source)
    plan = reader.mapping(document, "the plan")
    region = reader.text(plan, "region")
    zones = tuple(reader.text(zone, "zones[]") for zone in reader.sequence(plan.get("zones", []), "zones"))
    max_pods_of_type = {
        str(name): reader.count(value, f"max_pods.{name}")
        for name, value in reader.mapping(plan.get("max_pods", {}), "max_pods").items()
    }

    workloads = {}
    for key, raw in reader.mapping(plan.get("workloads", {}), "workloads").items():
        item = reader.mapping(raw, f"workloads.{key}")
        requests = reader.mapping(item.get("requests", {}), f"workloads.{key}.requests")
        hpa = item.get("hpa_max_replicas")
        workloads[str(key)] = PlanWorkload(
            kind=reader.text(item, "kind", f"workloads.{key}"),
            replicas=reader.count(item.get("replicas", 0), f"workloads.{key}.replicas"),
            host_network=bool(item.get("host_network", False)),
            max_surge=reader.count(item.get("max_surge", 0) or 0, f"workloads.{key}.max_surge"),
            hpa_max_replicas=None if hpa is None else reader.count(hpa, f"workloads.{key}.hpa_max_replicas"),
            requests=PlanRequests(
                reader.count(requests.get("cpu_millicores", 0), f"workloads.{key}.requests.cpu_millicores"),
                reader.count(requests.get("memory_bytes", 0), f"workloads.{key}.requests.memory_bytes"),
                reader.count(requests.get("gpus", 0), f"workloads.{key}.requests.gpus"),
            ),
        )

    nodes = []
    for index, raw in enumerate(reader.sequence(plan.get("nodes", []), "nodes")):
        where = f"nodes[{index}]"
        item = reader.mapping(raw, where)
        nodes.append(
            PlanNode(
                name=reader.text(item, "name", where),
                pool=str(item["pool"]) if item.get("pool") else None,
                instance_type=reader.text(item, "instance_type", where),
                zone=reader.text(item, "zone", where),
                allocatable=_plan_resources(reader, item.get("allocatable", {}), f"{where}.allocatable"),
                daemonset_overhead=_plan_resources(
                    reader, item.get("daemonset_overhead", {}), f"{where}.daemonset_overhead"
                ),
                vpc_ip_pods=reader.count(item.get("vpc_ip_pods", 0), f"{where}.vpc_ip_pods"),
                security_group_pods=reader.count(
                    item.get("security_group_pods", 0), f"{where}.security_group_pods"
                ),
                pods={
                    str(key): reader.count(count, f"{where}.pods.{key}")
                    for key, count in reader.mapping(item.get("pods", {}), f"{where}.pods").items()
                },
            )
        )

    pools = []
    for index, raw in enumerate(reader.sequence(plan.get("pools", []), "pools")):
        item = reader.mapping(raw, f"pools[{index}]")
        maximum = item.get("max_nodes")
        pools.append(
            PlanPool(
                name=reader.text(item, "name", f"pools[{index}]"),
                max_nodes=None if maximum is None else reader.count(maximum, f"pools[{index}].max_nodes"),
            )
        )

    fargate = []
    fargate_section = reader.mapping(plan.get("fargate") or {}, "fargate")
    for index, raw in enumerate(reader.sequence(fargate_section.get("pods", []), "fargate.pods")):
        item = reader.mapping(raw, f"fargate.pods[{index}]")
        zone = item.get("zone")
        fargate.append(
            PlanFargatePods(
                workload=reader.text(item, "workload", f"fargate.pods[{index}]"),
                count=reader.count(item.get("count", 0), f"fargate.pods[{index}].count"),
                zone=None if zone is None else str(zone),
            )
        )
    cni = plan.get("cni")
    return PlanDocument(
        region=region,
        zones=zones,
        nodes=tuple(nodes),
        workloads=workloads,
        pools=tuple(pools),
        fargate=PlanFargate(tuple(fargate)),
        cni=reader.mapping(cni, "cni") if cni else None,
        max_pods=max_pods_of_type,
    )


def _is_daemonset(workload: WorkloadFacts | None) -> bool:
    return workload is not None and workload.is_daemonset


def _resources(item: PlanResources) -> Resources:
    return Resources(
        {CPU: item.cpu_millicores, MEMORY: item.memory_bytes, PODS: item.pods, NVIDIA_GPU: item.gpus or 0}
    )


def _plan_resources(reader: _Reader, raw: Any, where: str) -> PlanResources:
    item = reader.mapping(raw, where)
    return PlanResources(
        reader.count(item.get("cpu_millicores", 0), f"{where}.cpu_millicores"),
        reader.count(item.get("memory_bytes", 0), f"{where}.memory_bytes"),
        reader.count(item.get("pods", 0), f"{where}.pods"),
        reader.count(item.get("gpus", 0), f"{where}.gpus"),
    )


_CNI_KEYS = {
    "warm_eni_target": ("warm_eni_target", "warmEniTarget"),
    "warm_ip_target": ("warm_ip_target", "warmIpTarget"),
    "minimum_ip_target": ("minimum_ip_target", "minimumIpTarget"),
    "warm_prefix_target": ("warm_prefix_target", "warmPrefixTarget"),
    "max_eni": ("max_eni", "maxEni"),
    "security_groups_for_pods": ("security_groups_for_pods", "securityGroupsForPods"),
}


def _cni_settings(reader: _Reader, raw: Mapping[str, Any] | None) -> CniSettings | None:
    """The plan's ``cni`` section (snake_case or the config file's camelCase keys)."""
    if not raw:
        return None
    item = raw
    mode = str(item.get("mode", "secondary-ip"))
    prefix = item.get("prefix_delegation", item.get("prefixDelegation"))
    if mode == "custom-networking" and prefix:
        mode = "custom-networking-prefix"
    settings: dict[str, Any] = {}
    for name, keys in _CNI_KEYS.items():
        for key in keys:
            if item.get(key) is not None:
                settings[name] = item[key]
    try:
        return CniSettings.for_mode(mode, **settings)
    except (ValueError, TypeError) as error:
        raise reader.error(f"cni: {error}") from None


class _Reader:
    """Typed access to the plan document with errors that name the file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str) -> InputError:
        return InputError(
            f"invalid plan: {message}",
            SourceLocation(self.source),
            hint="write it with `eks-plan size ... --plan-out plan.json`",
        )

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(f"{where} must be an object")
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(f"{where} must be a list")
        return value

    def text(self, item: Any, key: str, where: str = "") -> str:
        value = item.get(key) if isinstance(item, Mapping) else item
        if not isinstance(value, str) or not value:
            raise self.error(f"{where + '.' if where else ''}{key} must be a non-empty string")
        return value

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(f"{where} must be a whole number ≥ 0, not {value!r}")
        return value
