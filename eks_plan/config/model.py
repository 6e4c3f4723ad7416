"""The plan configuration as typed, frozen values: what ``eks-plan.yaml`` says once defaults are applied.

Every section of the file has one dataclass here; :func:`eks_plan.config.load_config` builds them and
:mod:`eks_plan.config.checks` enforces the rules that span keys (subnets that overlap, a zone outside the
region, ``minNodes`` above ``maxNodes``). The values are plain so the planner, ``check-ips`` and the
tests can build a configuration without any YAML.

A pool's instance filter is :class:`eks_plan.catalog.filters.InstanceFilter` (re-exported here), the
same filter ``eks-plan catalog`` uses; the ``cni`` section is :class:`eks_plan.network.ipamd.CniSettings`
(re-exported here), the one class of VPC CNI settings that ``check-ips``' flags and a plan's ``cni`` read
into too. Example: the filter of the default node pool (Karpenter's
default NodePool: categories c, m, r, generation above 2, amd64)::

    >>> from eks_plan.config.defaults import DEFAULT_INSTANCE_FILTER
    >>> DEFAULT_INSTANCE_FILTER.rejection("m7i.large", vcpus=2, memory_mib=8192, arch="amd64")
    >>> DEFAULT_INSTANCE_FILTER.rejection("t3.medium", vcpus=2, memory_mib=4096, arch="amd64")
    "category 't' is not one of c, m, r"
    >>> DEFAULT_INSTANCE_FILTER.rejection("m7g.large", vcpus=2, memory_mib=8192, arch="arm64")
    "arch 'arm64' is not one of amd64"
"""

from __future__ import annotations

import dataclasses
import fnmatch
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from eks_plan.catalog.capacity import CniMode as CniMode
from eks_plan.catalog.capacity import NodeStyle
from eks_plan.catalog.filters import InstanceFilter as InstanceFilter
from eks_plan.catalog.filters import Range as Range
from eks_plan.catalog.filters import plain_number as _number
from eks_plan.catalog.pricing import CapacityType as CapacityType
from eks_plan.catalog.pricing import SupportTier, control_plane_price_per_hour
from eks_plan.errors import SourceLocation
from eks_plan.manifests.model import ReplicaMode
from eks_plan.network.ipamd import CniSettings as CniSettings
from eks_plan.network.subnets import Subnet as Subnet
from eks_plan.network.subnets import SubnetRole as SubnetRole
from eks_plan.scheduling.taints import Taint, Toleration, TolerationOperator, untolerated

_NO_LABELS: Mapping[str, str] = MappingProxyType({})

#: Stands in for a subnet CIDR that did not parse (the loader has reported it); checks skip it.
INVALID_CIDR = ipaddress.IPv4Network("0.0.0.0/32")


@dataclass(frozen=True, slots=True)
class NodePoolConfig:
    """One group of nodes the planner may buy: its instance filter, capacity types, labels, taints
    and size limits (``max_nodes`` ``None`` = no limit; ``zones`` empty = every zone of the plan)."""

    name: str
    node_style: NodeStyle = NodeStyle.MANAGED_NODE_GROUP
    instances: InstanceFilter = field(default_factory=InstanceFilter)
    capacity_types: tuple[CapacityType, ...] = (CapacityType.ON_DEMAND,)
    zones: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
    taints: tuple[Taint, ...] = ()
    min_nodes: int = 0
    max_nodes: int | None = None
    max_pods: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "nodeStyle": str(self.node_style)}
        instances = self.instances.to_dict()
        if instances:
            data["instances"] = instances
        data["capacityTypes"] = [str(capacity) for capacity in self.capacity_types]
        if self.zones:
            data["zones"] = list(self.zones)
        if self.labels:
            data["labels"] = dict(self.labels)
        if self.taints:
            data["taints"] = [_taint_dict(taint) for taint in self.taints]
        data["minNodes"] = self.min_nodes
        if self.max_nodes is not None:
            data["maxNodes"] = self.max_nodes
        if self.max_pods is not None:
            data["maxPods"] = self.max_pods
        return data


def _taint_dict(taint: Taint) -> dict[str, str]:
    data = {"key": taint.key, "effect": str(taint.effect)}
    if taint.value:
        data["value"] = taint.value
    return data


@dataclass(frozen=True, slots=True)
class FargateSelector:
    """Pods in ``namespace`` with all of ``labels`` run on Fargate; both may hold ``*``/``?`` wildcards.

    >>> selector = FargateSelector("team-*", {"compute": "fargate"})
    >>> selector.matches("team-a", {"compute": "fargate", "app": "x"})
    True
    >>> FargateSelector("batch").matches("default", {})
    False
    """

    namespace: str
    labels: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)

    def matches(self, namespace: str, pod_labels: Mapping[str, str]) -> bool:
        if not fnmatch.fnmatchcase(namespace, self.namespace):
            return False
        return all(
            key in pod_labels and fnmatch.fnmatchcase(pod_labels[key], value)
            for key, value in self.labels.items()
        )


@dataclass(frozen=True, slots=True)
class FargateProfile:
    """An EKS Fargate profile: a pod matching any of its selectors runs on Fargate."""

    name: str
    selectors: tuple[FargateSelector, ...]

    def matches(self, namespace: str, pod_labels: Mapping[str, str]) -> bool:
        return any(selector.matches(namespace, pod_labels) for selector in self.selectors)

    def to_dict(self) -> dict[str, Any]:
        selectors = []
        for selector in self.selectors:
            entry: dict[str, Any] = {"namespace": selector.namespace}
            if selector.labels:
                entry["labels"] = dict(selector.labels)
            selectors.append(entry)
        return {"name": self.name, "selectors": selectors}


@dataclass(frozen=True, slots=True)
class AddonDaemonSet:
    """A DaemonSet with one pod on every node it tolerates, so its requests come off every such node.

    ``requests`` keeps the quantities as written (``{"cpu": "50m"}``); :meth:`resources` converts them
    to canonical units and adds the pod slot the pod takes. ``host_network`` pods share the node IP and
    take no VPC address.
    """

    name: str
    requests: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
    host_network: bool = False
    tolerations: tuple[Toleration, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
    namespace: str = "kube-system"

    def runs_on(self, taints: tuple[Taint, ...], node_labels: Mapping[str, str]) -> bool:
        """True when a node with these taints and labels gets a pod of this DaemonSet: it tolerates
        every NoSchedule/NoExecute taint and the node carries every label of its nodeSelector."""
        if untolerated(taints, self.tolerations):
            return False
        return all(node_labels.get(key) == value for key, value in self.node_selector.items())

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        data["requests"] = dict(self.requests)
        data["hostNetwork"] = self.host_network
        if self.tolerations:
            data["tolerations"] = [_toleration_dict(toleration) for toleration in self.tolerations]
        if self.node_selector:
            data["nodeSelector"] = dict(self.node_selector)
        return data


def _toleration_dict(toleration: Toleration) -> dict[str, str]:
    data: dict[str, str] = {}
    if toleration.key:
        data["key"] = toleration.key
    data["operator"] = str(toleration.operator)
    if toleration.value:
        data["value"] = toleration.value
    if toleration.effect is not None:
        data["effect"] = str(toleration.effect)
    return data


TOLERATE_EVERYTHING = (Toleration(operator=TolerationOperator.EXISTS),)


@dataclass(frozen=True, slots=True)
class PricingSettings:
    """How node prices derive from the catalogue's on-demand prices.

    Spot is priced from ``spot_discount`` (spot = on-demand x (1 - discount)) or from
    ``spot_price_file``; there is deliberately no default discount, since a made-up spot price would
    be a made-up plan. ``savings_plan_discount`` comes off on-demand node prices.

    >>> PricingSettings(spot_discount=0.65).spot_price(0.096)
    0.0336
    >>> PricingSettings().control_plane_price_per_hour
    0.1
    """

    spot_discount: float | None = None
    spot_price_file: Path | None = None
    savings_plan_discount: float = 0.0
    control_plane_support: SupportTier = SupportTier.STANDARD
    hours_per_month: float = 730.0

    @property
    def control_plane_price_per_hour(self) -> float:
        return control_plane_price_per_hour(self.control_plane_support)

    def spot_price(self, on_demand_price_per_hour: float) -> float | None:
        """Spot price from the discount, rounded to 1/10000 of a cent; ``None`` without a discount."""
        if self.spot_discount is None:
            return None
        return round(on_demand_price_per_hour * (1 - self.spot_discount), 6)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.spot_discount is not None:
            data["spotDiscount"] = self.spot_discount
        if self.spot_price_file is not None:
            data["spotPriceFile"] = str(self.spot_price_file)
        data["savingsPlanDiscount"] = _number(self.savings_plan_discount)
        data["controlPlaneSupport"] = str(self.control_plane_support)
        data["hoursPerMonth"] = _number(self.hours_per_month)
        return data


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """Cost limits for ``eks-plan lint``; ``None`` means no limit."""

    max_monthly_cost: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {} if self.max_monthly_cost is None else {"maxMonthlyCost": self.max_monthly_cost}


@dataclass(frozen=True, slots=True)
class LintSettings:
    """The ``lint:`` section: rules to run (``select``, empty = all), rules never to run (``ignore``),
    and severities replacing the rules' defaults (selector -> ``error``/``warning``/``info``).
    Selectors are rule codes, code prefixes or names; ``eks-plan lint`` checks that each names a rule."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.select:
            data["select"] = list(self.select)
        if self.ignore:
            data["ignore"] = list(self.ignore)
        if self.severity:
            data["severity"] = dict(self.severity)
        return data


@dataclass(frozen=True)
class PlanConfig:
    """The whole plan configuration, with defaults applied.

    ``source`` is the file it came from (``None`` when no file was read); ``defaults_applied`` says in
    words which defaults filled missing keys, so a report can print them; ``locations`` maps a key path
    (``"nodePools[0].maxNodes"``) to where the file set it, for error messages of later checks;
    ``overridden`` holds the top-level keys command-line flags replaced. None takes part in equality.
    """

    region: str
    zones: tuple[str, ...]
    node_pools: tuple[NodePoolConfig, ...]
    fargate_profiles: tuple[FargateProfile, ...] = ()
    addons: tuple[AddonDaemonSet, ...] = ()
    cni: CniSettings = field(default_factory=CniSettings)
    subnets: tuple[Subnet, ...] = ()
    headroom_percent: float = 0.0
    tolerate_zone_loss: bool = False
    replicas: ReplicaMode = ReplicaMode.MAX
    pricing: PricingSettings = PricingSettings()
    budget: BudgetSettings = BudgetSettings()
    lint: LintSettings = LintSettings()
    source: str | None = field(default=None, compare=False)
    defaults_applied: tuple[str, ...] = field(default=(), compare=False)
    locations: Mapping[str, SourceLocation] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
    overridden: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def pool(self, name: str) -> NodePoolConfig:
        """The node pool called ``name`` (``KeyError`` if there is none)."""
        for pool in self.node_pools:
            if pool.name == name:
                return pool
        raise KeyError(name)

    def pool_zones(self, pool: NodePoolConfig) -> tuple[str, ...]:
        """The zones a pool may use: its own list, or every zone of the plan."""
        return pool.zones or self.zones

    def addons_for(
        self, pool: NodePoolConfig, node_labels: Mapping[str, str] | None = None
    ) -> tuple[AddonDaemonSet, ...]:
        """The add-on DaemonSets that run on a node of ``pool``.

        ``node_labels`` are the labels the node has besides the pool's own (instance type, arch, zone:
        pass them per instance type when add-ons select nodes by such labels). EKS Auto Mode nodes run
        the VPC CNI and kube-proxy inside the node image, not as DaemonSets, so the EKS default
        add-ons do not apply to auto-mode pools ("With Amazon EKS Auto Mode, you don't need to install
        or upgrade networking add-ons", EKS User Guide, managing-kube-proxy).
        """
        from eks_plan.config.defaults import EKS_NODE_ADDON_NAMES

        labels = {**(node_labels or {}), **pool.labels}
        return tuple(
            addon
            for addon in self.addons
            if not (pool.node_style is NodeStyle.AUTO_MODE and addon.name in EKS_NODE_ADDON_NAMES)
            and addon.runs_on(pool.taints, labels)
        )

    def location_of(self, key_path: str) -> SourceLocation | None:
        """Where the file set ``key_path`` (e.g. ``"subnets[1].cidr"``), or the file itself, or None
        (no file, or the value came from a command-line override)."""
        location = self.locations.get(key_path)
        if re.split(r"[.\[]", key_path, maxsplit=1)[0] in self.overridden:
            return None
        if location is None and self.source is not None:
            return SourceLocation(self.source)
        return location

    def with_overrides(self, **changes: Any) -> PlanConfig:
        """A copy with some fields replaced (command-line flags), checked again as a whole.

        Field names are this class's (``region=``, ``zones=``, ``headroom_percent=``,
        ``cni=replace(config.cni, mode=CniMode.IPV6)``). Changing the region re-derives default zones
        when the file did not name any. Raises :class:`~eks_plan.errors.InputError` when the result
        breaks a rule, e.g. ``--zone`` outside the region.
        """
        from eks_plan.config.loader import apply_overrides

        return apply_overrides(self, changes)

    def to_dict(self) -> dict[str, Any]:
        """The effective configuration in the file's own shape (camelCase keys, defaults filled in);
        it validates against :func:`eks_plan.config.config_schema` and loads back to an equal config."""
        data: dict[str, Any] = {
            "apiVersion": "eks-plan.io/v1alpha1",
            "kind": "PlanConfig",
            "region": self.region,
            "zones": list(self.zones),
            "nodePools": [pool.to_dict() for pool in self.node_pools],
        }
        if self.fargate_profiles:
            data["fargateProfiles"] = [profile.to_dict() for profile in self.fargate_profiles]
        from eks_plan.config.defaults import DEFAULT_ADDONS

        data["addons"] = [addon.to_dict() for addon in self.addons]
        present = {addon.name for addon in self.addons}
        # A default add-on the file removed must stay removed when this dict is loaded again.
        data["addons"] += [
            {"name": a.name, "enabled": False} for a in DEFAULT_ADDONS if a.name not in present
        ]
        data["cni"] = self.cni.to_dict()
        if self.subnets:
            data["subnets"] = [subnet.to_config_dict() for subnet in self.subnets]
        data["headroomPercent"] = _number(self.headroom_percent)
        data["tolerateZoneLoss"] = self.tolerate_zone_loss
        data["replicas"] = str(self.replicas)
        data["pricing"] = self.pricing.to_dict()
        budget = self.budget.to_dict()
        if budget:
            data["budget"] = budget
        lint = self.lint.to_dict()
        if lint:
            data["lint"] = lint
        return data


def replace(instance: Any, **changes: Any) -> Any:
    """:func:`dataclasses.replace`, re-exported so callers building overrides need one import."""
    return dataclasses.replace(instance, **changes)
