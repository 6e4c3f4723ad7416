"""The exporters' view of the plan document: only what they need, every key present.

The plan document (:class:`~eks_plan.plan.document.PlanDocument`) is what ``eks-plan size
--plan-out plan.json`` writes. The exporters read it through :class:`PlanView` so that a plan missing
a key an export needs fails with one message naming the key and the file. Read here::

    {"region", "zones", "headroom_percent",
     "node_groups": [{"pool", "instance_type", "zone", "capacity_type", "count", "cost_per_hour",
                      "arch", "vcpus", "memory_mib", "max_pods", "gpus"}],
     "pools": [{"name", "min_nodes", "max_nodes", "node_style", "capacity_types", "zones",
                "labels", "taints": [{"key", "value", "effect"}], "max_pods"}],
     "cni": {"mode", "warm_eni_target", "warm_ip_target", "minimum_ip_target", "warm_prefix_target",
             "security_groups_for_pods"} (or the same keys in camelCase),
     "max_pods": {"m6i.large": 29}}

Plans written before the export keys existed lack the pool details; reading one is an error that
says to write the plan again, since guessing a pool's taints would export nodes that attract every
pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from eks_plan.errors import InputError, SourceLocation
from eks_plan.plan.document import PlanDocument, PlanPool, PlanSubnet

T = TypeVar("T")

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True, slots=True)
class TaintView:
    """A node taint as Kubernetes writes it (``effect`` is ``NoSchedule``, ``PreferNoSchedule`` or
    ``NoExecute``)."""

    key: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class PoolView:
    """One node pool of the plan: size limits and how its nodes are built."""

    name: str
    min_nodes: int
    max_nodes: int | None
    node_style: str
    capacity_types: tuple[str, ...]
    zones: tuple[str, ...]
    labels: Mapping[str, str]
    taints: tuple[TaintView, ...]
    max_pods: int | None


@dataclass(frozen=True, slots=True)
class NodeGroupView:
    """Nodes of one (pool, instance type, zone, capacity type), as the plan counts them."""

    pool: str
    instance_type: str
    zone: str
    capacity_type: str
    count: int
    arch: str
    vcpus: int
    memory_mib: int
    max_pods: int
    cost_per_hour: float = 0.0
    gpus: int = 0


@dataclass(frozen=True, slots=True)
class CniView:
    """The VPC CNI settings the plan was made with (the config file's ``cni`` section)."""

    mode: str = "secondary-ip"
    warm_eni_target: int | None = None
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_prefix_target: int | None = None
    security_groups_for_pods: bool = False

    @property
    def prefix_delegation(self) -> bool:
        return self.mode in ("prefix-delegation", "custom-networking-prefix", "ipv6")


@dataclass(frozen=True)
class PlanView:
    """What the exporters read of a :class:`~eks_plan.plan.document.PlanDocument`: its node groups and
    pools with every key an export needs present (:meth:`of`; :meth:`from_json` for plain plan data).

    Example::

        >>> plan = PlanView.from_json({
        ...     "region": "us-east-1", "zones": ["us-east-1a"], "nodes": [], "workloads": {},
        ...     "node_groups": [{"pool": "p", "instance_type": "m6i.large", "zone": "us-east-1a",
        ...                      "capacity_type": "on-demand", "count": 2, "arch": "amd64",
        ...                      "vcpus": 2, "memory_mib": 8192, "max_pods": 29, "cost_per_hour": 0.19}],
        ...     "pools": [{"name": "p", "min_nodes": 0, "max_nodes": 4, "node_style": "karpenter",
        ...                "capacity_types": ["on-demand"], "zones": ["us-east-1a"], "labels": {},
        ...                "taints": [], "max_pods": None}],
        ...     "cni": {"mode": "secondary-ip"}})
        >>> plan.pool("p").max_nodes, plan.groups_of("p")[0].count
        (4, 2)
    """

    region: str
    zones: tuple[str, ...]
    pools: tuple[PoolView, ...]
    node_groups: tuple[NodeGroupView, ...]
    cni: CniView = CniView()
    headroom_percent: float = 0.0
    subnets: tuple[PlanSubnet, ...] = ()
    source: str = field(default="plan", compare=False)

    def pool(self, name: str) -> PoolView:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)

    def groups_of(self, pool: str) -> list[NodeGroupView]:
        """The pool's node groups in the plan's order (sorted by type, zone, capacity type)."""
        return [group for group in self.node_groups if group.pool == pool]

    @classmethod
    def from_json(cls, document: Any, source: str = "plan") -> PlanView:
        """Read plain plan data (parsed JSON): checked against the plan schema, then :meth:`of`."""
        from eks_plan.plan import validate_plan

        validate_plan(document, source)
        return cls.of(PlanDocument.from_dict(document), source)

    @classmethod
    def of(cls, document: PlanDocument, source: str = "plan") -> PlanView:
        """The exporters' view of a plan document; :class:`~eks_plan.errors.InputError` naming the
        key when something the exporters need is missing (a plan without node groups, or written
        before pools carried their node style, labels and taints)."""
        read = _Reader(source)
        if document.pools is None:
            raise read.error("pools is missing")
        if document.node_groups is None:
            raise read.error("node_groups is missing")
        if document.zones is None:
            raise read.error("zones is missing")
        pools = tuple(_pool(read, pool, f"pools[{index}]") for index, pool in enumerate(document.pools))
        names = {pool.name for pool in pools}
        groups = []
        for index, item in enumerate(document.node_groups):
            where = f"node_groups[{index}]"
            group = NodeGroupView(
                pool=item.pool,
                instance_type=item.instance_type,
                zone=item.zone,
                capacity_type=item.capacity_type,
                count=item.count,
                arch=read.present(item.arch, f"{where}.arch"),
                vcpus=read.present(item.vcpus, f"{where}.vcpus"),
                memory_mib=read.present(item.memory_mib, f"{where}.memory_mib"),
                max_pods=read.present(item.max_pods, f"{where}.max_pods"),
                cost_per_hour=float(read.present(item.cost_per_hour, f"{where}.cost_per_hour")),
                gpus=item.gpus or 0,
            )
            if group.pool not in names:
                raise read.error(f"{where}.pool '{group.pool}' is not one of the plan's pools")
            groups.append(group)
        # The plan writes the config's camelCase keys or, from plan file version 1 on, snake_case.
        cni_raw = {_camel(str(key)): value for key, value in (document.cni or {}).items()}
        cni = CniView(
            mode=str(cni_raw.get("mode", "secondary-ip")),
            warm_eni_target=cni_raw.get("warmEniTarget"),
            warm_ip_target=cni_raw.get("warmIpTarget"),
            minimum_ip_target=cni_raw.get("minimumIpTarget"),
            warm_prefix_target=cni_raw.get("warmPrefixTarget"),
            security_groups_for_pods=bool(cni_raw.get("securityGroupsForPods", False)),
        )
        return cls(
            region=document.region,
            zones=document.zones,
            pools=pools,
            node_groups=tuple(groups),
            cni=cni,
            headroom_percent=float(document.headroom_percent or 0.0),
            subnets=document.subnets or (),
            source=source,
        )


def _camel(key: str) -> str:
    """``warm_eni_target`` -> ``warmEniTarget`` (camelCase keys stay as they are)."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _pool(read: _Reader, pool: PlanPool, where: str) -> PoolView:
    for key in ("node_style", "capacity_types", "zones", "labels", "taints"):
        if getattr(pool, key) is None:
            raise read.error(
                f"{where} has no '{key}': the plan was written by an older eks-plan, so the pool's "
                "labels, taints and node style are unknown"
            )
    return PoolView(
        name=pool.name,
        min_nodes=read.present(pool.min_nodes, f"{where}.min_nodes"),
        max_nodes=pool.max_nodes,
        node_style=read.present(pool.node_style, f"{where}.node_style"),
        capacity_types=pool.capacity_types or (),
        zones=pool.zones or (),
        labels=dict(pool.labels or {}),
        taints=tuple(TaintView(taint.key, taint.value or "", taint.effect) for taint in pool.taints or ()),
        max_pods=pool.max_pods,
    )


class _Reader:
    """Errors that name the plan file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str) -> InputError:
        return InputError(
            f"invalid plan for export: {message}",
            SourceLocation(self.source),
            hint="write the plan again with `eks-plan size ... --plan-out plan.json`",
        )

    def present(self, value: T | None, where: str) -> T:
        """``value``, which an export needs; an error naming ``where`` when the plan leaves it out."""
        if value is None:
            raise self.error(f"{where} is missing")
        return value
