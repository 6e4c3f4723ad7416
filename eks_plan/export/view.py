"""A small typed reader of the plan document, holding only what the exporters need.

The plan document is what ``eks-plan size --plan-out plan.json`` writes
(:func:`eks_plan.report.size.plan_data`). The exporters read it through :class:`PlanView` so that
they never index raw dictionaries, and a plan missing a key fails with one message naming the key
and the file. Read here::

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
from typing import Any

from eks_plan.errors import InputError, SourceLocation

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CAPACITY_TYPES = ("on-demand", "spot")


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
    """What the exporters read of a plan document; build it with :meth:`from_json`.

    Example::

        >>> plan = PlanView.from_json({
        ...     "region": "us-east-1", "zones": ["us-east-1a"],
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
    subnets: tuple[Mapping[str, Any], ...] = ()
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
        """Read a plan document (parsed JSON); :class:`~eks_plan.errors.InputError` naming the key
        when something the exporters need is missing or of the wrong type."""
        read = _Reader(source)
        plan = read.mapping(document, "the plan")
        pools = tuple(
            _pool(read, item, f"pools[{index}]") for index, item in enumerate(read.sequence(plan, "pools"))
        )
        names = {pool.name for pool in pools}
        groups = []
        for index, raw in enumerate(read.sequence(plan, "node_groups")):
            where = f"node_groups[{index}]"
            item = read.mapping(raw, where)
            group = NodeGroupView(
                pool=read.text(item, "pool", where),
                instance_type=read.text(item, "instance_type", where),
                zone=read.text(item, "zone", where),
                capacity_type=read.choice(item, "capacity_type", where, CAPACITY_TYPES),
                count=read.count(item, "count", where),
                arch=read.text(item, "arch", where),
                vcpus=read.count(item, "vcpus", where),
                memory_mib=read.count(item, "memory_mib", where),
                max_pods=read.count(item, "max_pods", where),
                cost_per_hour=read.number(item, "cost_per_hour", where),
                gpus=read.count(item, "gpus", where) if "gpus" in item else 0,
            )
            if group.pool not in names:
                raise read.error(f"{where}.pool '{group.pool}' is not one of the plan's pools")
            groups.append(group)
        cni_raw = read.mapping(plan.get("cni") or {}, "cni")
        # The plan writes the config's camelCase keys or, from plan file version 1 on, snake_case.
        cni_raw = {_camel(str(key)): value for key, value in cni_raw.items()}
        cni = CniView(
            mode=str(cni_raw.get("mode", "secondary-ip")),
            warm_eni_target=read.optional_count(cni_raw, "warmEniTarget", "cni"),
            warm_ip_target=read.optional_count(cni_raw, "warmIpTarget", "cni"),
            minimum_ip_target=read.optional_count(cni_raw, "minimumIpTarget", "cni"),
            warm_prefix_target=read.optional_count(cni_raw, "warmPrefixTarget", "cni"),
            security_groups_for_pods=bool(cni_raw.get("securityGroupsForPods", False)),
        )
        headroom = plan.get("headroom_percent", 0.0)
        if isinstance(headroom, bool) or not isinstance(headroom, int | float) or headroom < 0:
            raise read.error(f"headroom_percent must be a number ≥ 0, not {headroom!r}")
        subnets = tuple(
            read.mapping(item, f"subnets[{index}]")
            for index, item in enumerate(read.sequence(plan, "subnets", required=False))
        )
        return cls(
            region=read.text(plan, "region"),
            zones=tuple(str(zone) for zone in read.sequence(plan, "zones")),
            pools=pools,
            node_groups=tuple(groups),
            cni=cni,
            headroom_percent=float(headroom),
            subnets=subnets,
            source=source,
        )


def _camel(key: str) -> str:
    """``warm_eni_target`` -> ``warmEniTarget`` (camelCase keys stay as they are)."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _pool(read: _Reader, raw: Any, where: str) -> PoolView:
    item = read.mapping(raw, where)
    for key in ("node_style", "capacity_types", "zones", "labels", "taints"):
        if key not in item:
            raise read.error(
                f"{where} has no '{key}': the plan was written by an older eks-plan, so the pool's "
                "labels, taints and node style are unknown"
            )
    labels = read.mapping(item["labels"], f"{where}.labels")
    taints = []
    for index, raw_taint in enumerate(read.sequence(item, "taints", where=where)):
        taint_where = f"{where}.taints[{index}]"
        taint = read.mapping(raw_taint, taint_where)
        taints.append(
            TaintView(
                key=read.text(taint, "key", taint_where),
                value=str(taint.get("value") or ""),
                effect=read.choice(taint, "effect", taint_where, TAINT_EFFECTS),
            )
        )
    max_nodes = item.get("max_nodes")
    return PoolView(
        name=read.text(item, "name", where),
        min_nodes=read.count(item, "min_nodes", where),
        max_nodes=None if max_nodes is None else read.count(item, "max_nodes", where),
        node_style=read.text(item, "node_style", where),
        capacity_types=tuple(
            read.choice({"capacity_type": value}, "capacity_type", f"{where}.capacity_types", CAPACITY_TYPES)
            for value in read.sequence(item, "capacity_types", where=where)
        ),
        zones=tuple(str(zone) for zone in read.sequence(item, "zones", where=where)),
        labels={str(key): str(value) for key, value in labels.items()},
        taints=tuple(taints),
        max_pods=read.optional_count(item, "max_pods", where),
    )


class _Reader:
    """Typed access with errors that name the plan file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str) -> InputError:
        return InputError(
            f"invalid plan for export: {message}",
            SourceLocation(self.source),
            hint="write the plan again with `eks-plan size ... --plan-out plan.json`",
        )

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(f"{where} must be an object")
        return value

    def sequence(
        self, item: Mapping[str, Any], key: str, *, where: str = "", required: bool = True
    ) -> list[Any]:
        path = f"{where}.{key}" if where else key
        if key not in item:
            if required:
                raise self.error(f"{path} is missing")
            return []
        value = item[key]
        if not isinstance(value, list):
            raise self.error(f"{path} must be a list")
        return value

    def text(self, item: Mapping[str, Any], key: str, where: str = "") -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise self.error(f"{where + '.' if where else ''}{key} must be a non-empty string, not {value!r}")
        return value

    def choice(self, item: Mapping[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> str:
        value = item.get(key)
        if value not in allowed:
            raise self.error(f"{where}.{key} must be one of {', '.join(allowed)}, not {value!r}")
        return str(value)

    def count(self, item: Mapping[str, Any], key: str, where: str) -> int:
        value = item.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(f"{where}.{key} must be a whole number ≥ 0, not {value!r}")
        return value

    def number(self, item: Mapping[str, Any], key: str, where: str) -> float:
        value = item.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(f"{where}.{key} must be a number ≥ 0, not {value!r}")
        return float(value)

    def optional_count(self, item: Mapping[str, Any], key: str, where: str) -> int | None:
        return None if item.get(key) is None else self.count(item, key, where)
