"""The typed plan document: one value per plan, built once from the solver's result.

Data flows one way: the solver's :class:`~eks_plan.solver.plan.Plan` and the planning input become a
:class:`PlanDocument` (:func:`eks_plan.plan.build.build_plan_document`), and every consumer reads the
document: ``size``'s JSON/YAML and tables (:mod:`eks_plan.report.size`), ``check-ips`` (in memory
after sizing in place, from the file otherwise), the exporters and ``diff``.

:meth:`PlanDocument.to_json` writes the plan file format of ``plan.schema.json`` byte for byte as
``size -o json`` and ``--plan-out`` always have; :meth:`PlanDocument.from_json` reads it back
(``from_json(to_json(d)) == d``). Keys a hand-written or older plan file may leave out are ``None``
here and left out again when written (:func:`_omit`); keys that are ``null`` in the file
(``max_surge``, ``hpa_max_replicas``, a pool's ``max_nodes``) are ``None`` and written as ``null``.

>>> document = PlanDocument(region="us-east-1", nodes=(), workloads={})
>>> document.to_json()
'{\\n  "region": "us-east-1",\\n  "nodes": [],\\n  "workloads": {}\\n}\\n'
>>> PlanDocument.from_json(document.to_json()) == document
True
"""

from __future__ import annotations

import json
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

T = TypeVar("T")


#: Field metadata: ``"none"`` leaves the key out of the JSON when the value is ``None``; any other
#: value names a sibling field whose ``None`` leaves this key out (a pool's export keys).
_OMIT = {"omit": "none"}


@dataclass(frozen=True, slots=True)
class PlanResources:
    """What a node offers pods (``allocatable``) or its DaemonSets take (``daemonset_overhead``):
    millicores, bytes, pod slots and NVIDIA GPUs."""

    cpu_millicores: int
    memory_bytes: int
    pods: int
    gpus: int | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanNode:
    """One planned node: its kind, price, capacity, DaemonSet overhead, the pods that need a VPC
    address (``vpc_ip_pods``, DaemonSet pods included; ``security_group_pods`` of them on branch ENIs)
    and the pods placed on it per workload."""

    name: str
    instance_type: str
    zone: str
    allocatable: PlanResources
    daemonset_overhead: PlanResources
    vpc_ip_pods: int
    security_group_pods: int
    pods: Mapping[str, int]
    pool: str | None = field(default=None, metadata=_OMIT)
    capacity_type: str | None = field(default=None, metadata=_OMIT)
    price_per_hour: float | None = field(default=None, metadata=_OMIT)

    #: The JSON's key order (the fields above are ordered for defaults).
    _ORDER = (
        "name",
        "pool",
        "instance_type",
        "zone",
        "capacity_type",
        "price_per_hour",
        "allocatable",
        "daemonset_overhead",
        "vpc_ip_pods",
        "security_group_pods",
        "pods",
    )


@dataclass(frozen=True, slots=True)
class PlanNodeGroup:
    """Nodes counted by (pool, instance type, zone, capacity type), with what an export's node group
    needs: the type's arch, vCPUs and memory, the node's maxPods and NVIDIA GPUs."""

    pool: str
    instance_type: str
    zone: str
    capacity_type: str
    count: int
    cost_per_hour: float | None = field(default=None, metadata=_OMIT)
    cost_per_month: float | None = field(default=None, metadata=_OMIT)
    arch: str | None = field(default=None, metadata=_OMIT)
    vcpus: int | None = field(default=None, metadata=_OMIT)
    memory_mib: int | None = field(default=None, metadata=_OMIT)
    max_pods: int | None = field(default=None, metadata=_OMIT)
    gpus: int | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanRequests:
    """A workload's requests per pod: millicores, bytes and NVIDIA GPUs."""

    cpu_millicores: int
    memory_bytes: int
    gpus: int | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanWorkload:
    """A workload as planned: replicas (and why), rolling-update surge, HPA max, requests per pod."""

    kind: str
    replicas: int
    requests: PlanRequests
    replicas_reason: str | None = field(default=None, metadata=_OMIT)
    host_network: bool | None = field(default=None, metadata=_OMIT)
    max_surge: int | None = None
    hpa_max_replicas: int | None = None
    source: str | None = field(default=None, metadata=_OMIT)

    _ORDER = (
        "kind",
        "replicas",
        "replicas_reason",
        "host_network",
        "max_surge",
        "hpa_max_replicas",
        "requests",
        "source",
    )


@dataclass(frozen=True, slots=True)
class PlanFargatePods:
    """Pods of one workload on Fargate: the profile, the size Fargate bills, the price per pod."""

    workload: str
    count: int
    profile: str | None = field(default=None, metadata=_OMIT)
    vcpu: float | None = field(default=None, metadata=_OMIT)
    memory_gb: float | None = field(default=None, metadata=_OMIT)
    price_per_hour: float | None = field(default=None, metadata=_OMIT)
    zone: str | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanFargate:
    """The plan's Fargate pods."""

    pods: tuple[PlanFargatePods, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanTaint:
    """A pool's node taint as Kubernetes writes it."""

    key: str
    effect: str
    value: str | None = field(default=None, metadata=_OMIT)

    _ORDER = ("key", "value", "effect")


@dataclass(frozen=True, slots=True)
class PlanPool:
    """A node pool's size limits and, when the plan was made with its config, how its nodes are built
    (the keys ``eks-plan export`` reads; all present or all absent, by ``node_style``)."""

    name: str
    min_nodes: int | None = field(default=None, metadata=_OMIT)
    max_nodes: int | None = None
    node_style: str | None = field(default=None, metadata=_OMIT)
    capacity_types: tuple[str, ...] | None = field(default=None, metadata=_OMIT)
    zones: tuple[str, ...] | None = field(default=None, metadata=_OMIT)
    labels: Mapping[str, str] | None = field(default=None, metadata=_OMIT)
    taints: tuple[PlanTaint, ...] | None = field(default=None, metadata=_OMIT)
    max_pods: int | None = field(default=None, metadata={"omit": "node_style"})


@dataclass(frozen=True, slots=True)
class PlanUnschedulable:
    """Replicas of a workload no node can take, with kube-scheduler's reasons and the nearest fixes."""

    workload: str
    count: int
    reasons: tuple[str, ...] | None = field(default=None, metadata=_OMIT)
    fixes: tuple[str, ...] | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanSoftRule:
    """A preferred rule the plan does not keep."""

    workload: str
    rule: str
    detail: str | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanSubnet:
    """A subnet of the config the plan was made with (for ``export`` and ``diff``)."""

    zone: str
    cidr: str
    role: str | None = field(default=None, metadata=_OMIT)
    id: str | None = field(default=None, metadata=_OMIT)
    name: str | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """A cluster plan: cost, bound, node groups, nodes and their pods, workloads, Fargate, pools, CNI
    settings, maxPods per type, what cannot be placed and why, notes; with the config it was made
    with, the headroom and subnets. The schema is ``plan.schema.json``; ``version`` is
    :data:`~eks_plan.plan.PLAN_VERSION` when built, ``None`` for an old file without it."""

    region: str
    nodes: tuple[PlanNode, ...]
    workloads: Mapping[str, PlanWorkload]
    version: int | None = field(default=None, metadata=_OMIT)
    zones: tuple[str, ...] | None = field(default=None, metadata=_OMIT)
    currency: str | None = field(default=None, metadata=_OMIT)
    cost_per_hour: float | None = field(default=None, metadata=_OMIT)
    cost_per_month: float | None = field(default=None, metadata=_OMIT)
    node_cost_per_hour: float | None = field(default=None, metadata=_OMIT)
    control_plane_per_hour: float | None = field(default=None, metadata=_OMIT)
    fargate_cost_per_hour: float | None = field(default=None, metadata=_OMIT)
    lower_bound_per_hour: float | None = field(default=None, metadata=_OMIT)
    gap: float | None = field(default=None, metadata=_OMIT)
    status: str | None = field(default=None, metadata=_OMIT)
    solve_seconds: float | None = field(default=None, metadata=_OMIT)
    stopped_by: str | None = field(default=None, metadata=_OMIT)
    node_count: int | None = field(default=None, metadata=_OMIT)
    node_groups: tuple[PlanNodeGroup, ...] | None = field(default=None, metadata=_OMIT)
    fargate: PlanFargate | None = field(default=None, metadata=_OMIT)
    pools: tuple[PlanPool, ...] | None = field(default=None, metadata=_OMIT)
    #: The CNI settings, snake_case keys (or a hand-written file's camelCase ones), as written.
    cni: Mapping[str, Any] | None = field(default=None, metadata=_OMIT)
    max_pods: Mapping[str, int] | None = field(default=None, metadata=_OMIT)
    unschedulable: tuple[PlanUnschedulable, ...] | None = field(default=None, metadata=_OMIT)
    soft_rules_not_honoured: tuple[PlanSoftRule, ...] | None = field(default=None, metadata=_OMIT)
    notes: tuple[str, ...] | None = field(default=None, metadata=_OMIT)
    #: Persistent volumes and their cost (``eks_plan.storage.report.storage_data``), as written.
    storage: Mapping[str, Any] | None = field(default=None, metadata=_OMIT)
    headroom_percent: float | None = field(default=None, metadata=_OMIT)
    subnets: tuple[PlanSubnet, ...] | None = field(default=None, metadata=_OMIT)

    _ORDER = (
        "version",
        "region",
        "zones",
        "currency",
        "cost_per_hour",
        "cost_per_month",
        "node_cost_per_hour",
        "control_plane_per_hour",
        "fargate_cost_per_hour",
        "lower_bound_per_hour",
        "gap",
        "status",
        "solve_seconds",
        "stopped_by",
        "node_count",
        "node_groups",
        "nodes",
        "workloads",
        "fargate",
        "pools",
        "cni",
        "max_pods",
        "unschedulable",
        "soft_rules_not_honoured",
        "notes",
        "storage",
        "headroom_percent",
        "subnets",
    )

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON data, keys in the plan file's order."""
        data: dict[str, Any] = _to_data(self)
        return data

    def to_json(self) -> str:
        """The plan file's text: what ``size -o json`` prints and ``--plan-out`` writes."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanDocument:
        """The document of plan data already valid against ``plan.schema.json``."""
        return _from_data(cls, data)

    @classmethod
    def from_json(cls, text: str, source: str = "plan") -> PlanDocument:
        """Parse and validate a plan file's text (an :class:`~eks_plan.errors.InputError` naming
        ``source`` and the key paths when it is not a plan)."""
        from eks_plan.plan import validate_plan

        data = json.loads(text)
        validate_plan(data, source)
        return cls.from_dict(data)

    @property
    def all_unschedulable(self) -> tuple[PlanUnschedulable, ...]:
        """The unschedulable entries (none when the file has no such section)."""
        return self.unschedulable or ()


def _to_data(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        present = {item.name: item for item in fields(value)}
        order = getattr(type(value), "_ORDER", None) or tuple(present)
        data: dict[str, Any] = {}
        for name in order:
            item = present[name]
            content = getattr(value, name)
            omit = item.metadata.get("omit")
            if omit == "none" and content is None:
                continue
            if omit is not None and omit != "none" and getattr(value, omit) is None:
                continue
            data[name] = _to_data(content)
        return data
    if isinstance(value, tuple | list):
        return [_to_data(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _to_data(item) for key, item in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))


def _from_data(cls: type[T], data: Mapping[str, Any]) -> T:
    hints = _hints(cls)  # type: ignore[arg-type]  # a class is hashable
    values = {
        item.name: _convert(hints[item.name], data[item.name])
        for item in fields(cls)  # type: ignore[arg-type]
        if item.name in data
    }
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        return _convert(inner[0], value)
    if origin is tuple:
        return tuple(_convert(get_args(hint)[0], item) for item in value)
    if origin is Mapping:
        item_hint = get_args(hint)[1]
        return {str(key): _convert(item_hint, item) for key, item in value.items()}
    if isinstance(hint, type) and is_dataclass(hint):
        return _from_data(hint, value)
    return value
