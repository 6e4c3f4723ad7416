"""How many subnet IPv4 addresses one node holds under the Amazon VPC CNI (DOMAIN.md §3).

The VPC CNI's ipamd keeps a warm pool of addresses on each node and grows it, ENI by ENI or
address by address, as pods arrive. This module replays that growth for a node that ends up with
``P`` pods needing a VPC address, so the count is what ipamd really holds, not a rule of thumb:

- secondary-IP mode with ``WARM_ENI_TARGET`` (default 1): grow while the free addresses are fewer
  than ``S × W``; each new ENI comes filled with its ``S = A − 1`` secondary addresses;
- ``WARM_IP_TARGET``/``MINIMUM_IP_TARGET`` (either set ⇒ ``WARM_ENI_TARGET`` ignored): hold
  ``max(P + WIT, MIT)`` addresses, attaching an ENI only when the attached ones are full;
- prefix delegation: the same with aligned /28 prefixes (16 addresses) in the ENI slots, grown by
  ``WARM_PREFIX_TARGET`` (``Wp``, 1 in the shipped manifest) or by WIT/MIT in addresses;
- the max-pods stop rule: ipamd never grows the pool once it holds ``maxPods`` addresses
  (``isDatastorePoolTooLow``: ``stats.TotalIPs >= c.maxPods``);
- custom networking: the primary ENI carries no pod addresses (one address, the node IP, in the
  node subnet); the pod ENIs live in the ENIConfig subnet;
- security groups for pods: the trunk ENI takes one ENI slot and one address, each SG pod a branch
  ENI with one address (the warm targets do not apply to them); in custom networking the
  resource controller creates both in the ENIConfig subnet;
- ``MAX_ENI`` caps the ENIs below the instance limit;
- IPv6: one IPv4 address per node (its primary ENI), pods use IPv6;
- hostNetwork pods share the node IP: callers simply leave them out of ``P``;
- Fargate: one address per pod (:func:`fargate_addresses`).

Every count is an exact integer; a pod the ENIs cannot address is reported, never dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from eks_plan.catalog.capacity import CniMode, NodeSettings, NodeStyle

if TYPE_CHECKING:
    from eks_plan.catalog import InstanceType

#: Addresses in one prefix-delegation prefix: an aligned /28.
ADDRESSES_PER_PREFIX = 16
#: ``WARM_ENI_TARGET`` when unset (ipamd ``defaultWarmENITarget = 1``).
DEFAULT_WARM_ENI_TARGET = 1
#: ``WARM_PREFIX_TARGET`` of the shipped manifest and Helm chart (ipamd's own default is 0).
DEFAULT_WARM_PREFIX_TARGET = 1


@dataclass(frozen=True, slots=True)
class NodeNetworkLimits:
    """The instance-type facts ipamd works from, as plain numbers.

    ``default_card_enis`` is ``E`` (ENIs of the default network card only), ``ipv4_per_eni`` is ``A``
    (including each ENI's primary address), ``max_pods`` the kubelet's maxPods on this node, and
    ``branch_interfaces`` the security-group-for-pods branch ENI limit (0 when not trunking).

    >>> NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=29).slots_per_eni
    9
    """

    default_card_enis: int
    ipv4_per_eni: int
    max_pods: int
    branch_interfaces: int = 0
    trunking_compatible: bool = False
    supports_prefixes: bool = True

    @classmethod
    def of(cls, instance_type: InstanceType, max_pods: int) -> NodeNetworkLimits:
        """The limits of a catalogue instance type whose nodes run with ``max_pods``.

        >>> from eks_plan.catalog import load_catalog
        >>> NodeNetworkLimits.of(load_catalog().lookup("m5.large"), 29)
        NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=29, branch_interfaces=9, \
trunking_compatible=True, supports_prefixes=True)
        """
        from eks_plan.catalog.capacity import prefix_delegation_supported

        return cls(
            default_card_enis=instance_type.default_card_enis,
            ipv4_per_eni=instance_type.ipv4_per_eni,
            max_pods=max_pods,
            branch_interfaces=instance_type.branch_interfaces if instance_type.trunking_compatible else 0,
            trunking_compatible=instance_type.trunking_compatible,
            supports_prefixes=prefix_delegation_supported(instance_type),
        )

    def __post_init__(self) -> None:
        if self.default_card_enis < 1 or self.ipv4_per_eni < 2 or self.max_pods < 1:
            raise ValueError(f"impossible instance network limits: {self}")

    @property
    def slots_per_eni(self) -> int:
        """``S = A − 1``: secondary addresses (or prefixes) one ENI holds besides its primary."""
        return self.ipv4_per_eni - 1


@dataclass(frozen=True, slots=True)
class CniSettings:
    """The VPC CNI settings that decide how many addresses a node holds: the ``cni`` section of
    eks-plan.yaml, the ``check-ips`` flags and a plan's ``cni`` all read into this one class, with the
    defaults of the CNI's installation manifest (DOMAIN.md §1, §3).

    ``mode`` is the catalogue's :class:`~eks_plan.catalog.capacity.CniMode`; the switches ipamd reads
    (``ENABLE_PREFIX_DELEGATION``, ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``, IPv6) follow from it.
    ``warm_ip_target``/``minimum_ip_target`` of ``None`` mean unset, and so does 0, as in ipamd
    (``warmIPTargetsDefined``: ``warmIPTarget != 0 || ...``); either set switches ipamd to address
    targets and ``warm_eni_target``/``warm_prefix_target`` are ignored. ``warm_prefix_target``
    defaults to 1 as the manifest and Helm chart ship it (ipamd's code default is 0, which only
    matters for hand-rolled installs). The rules between keys are
    :func:`eks_plan.config.checks.cni_rule_problems`, for the file and the flags alike.

    >>> CniSettings.for_mode("custom-networking-prefix").mode
    <CniMode.CUSTOM_NETWORKING_PREFIX: 'custom-networking-prefix'>
    >>> settings = CniSettings(CniMode.CUSTOM_NETWORKING_PREFIX)
    >>> settings.custom_networking, settings.prefix_delegation, settings.warm_prefix_target
    (True, True, 1)
    >>> CniSettings().uses_ip_targets, CniSettings(minimum_ip_target=20).uses_ip_targets
    (False, True)
    """

    mode: CniMode = CniMode.SECONDARY_IP
    warm_eni_target: int = DEFAULT_WARM_ENI_TARGET
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_prefix_target: int = DEFAULT_WARM_PREFIX_TARGET
    max_eni: int | None = None
    security_groups_for_pods: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", CniMode(self.mode))
        for name in ("warm_eni_target", "warm_ip_target", "minimum_ip_target", "warm_prefix_target"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        if self.max_eni is not None and self.max_eni < 1:
            raise ValueError(f"max_eni must be at least 1, got {self.max_eni}")

    @classmethod
    def for_mode(cls, mode: CniMode | str, **settings: Any) -> CniSettings:
        """Settings for one of the named modes, with any warm targets given as keywords."""
        return cls(CniMode(mode), **settings)

    @property
    def prefix_delegation(self) -> bool:
        """``ENABLE_PREFIX_DELEGATION``: true in prefix-delegation, custom-networking-prefix and ipv6."""
        return self.mode.prefix_delegation

    @property
    def custom_networking(self) -> bool:
        """``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``: pod addresses come from pods subnets."""
        return self.mode.custom_networking

    @property
    def ipv6(self) -> bool:
        """An IPv6 cluster: one IPv4 per node, pods take IPv6 from the node's /80 prefix."""
        return self.mode is CniMode.IPV6

    def with_switches(self, *, custom_networking: bool, prefix_delegation: bool) -> CniSettings:
        """A copy in the IPv4 mode with these two switches."""
        mode = CniMode.of(custom_networking=custom_networking, prefix_delegation=prefix_delegation)
        return replace(self, mode=mode)

    @property
    def uses_ip_targets(self) -> bool:
        """True when WARM_IP_TARGET or MINIMUM_IP_TARGET is set (ipamd ``warmIPTargetsDefined``)."""
        return bool(self.warm_ip_target) or bool(self.minimum_ip_target)

    def with_ip_targets(self, minimum_ip_target: int, warm_ip_target: int) -> CniSettings:
        """A copy that uses the given MINIMUM_IP_TARGET/WARM_IP_TARGET pair."""
        return replace(self, minimum_ip_target=minimum_ip_target, warm_ip_target=warm_ip_target)

    def ipamd_settings(self) -> CniSettings:
        """These settings: the config's ``cni`` section and ipamd's settings are one class now (kept
        for callers written when they were two, e.g. ``config.cni.ipamd_settings()``)."""
        return self

    def node_settings(self, node_style: NodeStyle, max_pods: int | None = None) -> NodeSettings:
        """The catalogue's settings for a node of ``node_style`` (with an explicit kubelet
        ``max_pods``, if any) under these CNI settings: the one way a pool's, or ``check-ips
        --nodes``', node settings are built."""
        return NodeSettings(
            cni_mode=self.mode,
            node_style=node_style,
            max_pods=max_pods,
            max_eni=self.max_eni,
            security_groups_for_pods=self.security_groups_for_pods,
        )

    def to_dict(self) -> dict[str, Any]:
        """The settings as eks-plan.yaml's ``cni`` section writes them (camelCase; what a plan's
        ``cni`` holds, in snake_case)."""
        data: dict[str, Any] = {"mode": str(self.mode), "warmEniTarget": self.warm_eni_target}
        if self.warm_ip_target is not None:
            data["warmIpTarget"] = self.warm_ip_target
        if self.minimum_ip_target is not None:
            data["minimumIpTarget"] = self.minimum_ip_target
        data["warmPrefixTarget"] = self.warm_prefix_target
        if self.max_eni is not None:
            data["maxEni"] = self.max_eni
        data["securityGroupsForPods"] = self.security_groups_for_pods
        return data

    def as_dict(self) -> dict[str, object]:
        """The settings as plain data for reports."""
        data: dict[str, object] = {"mode": self.mode.value}
        if self.ipv6:
            return data
        if self.uses_ip_targets:
            data["warm_ip_target"] = self.warm_ip_target or 0
            data["minimum_ip_target"] = self.minimum_ip_target or 0
        elif self.prefix_delegation:
            data["warm_prefix_target"] = self.warm_prefix_target
        else:
            data["warm_eni_target"] = self.warm_eni_target
        data["max_eni"] = self.max_eni
        data["security_groups_for_pods"] = self.security_groups_for_pods
        return data


@dataclass(frozen=True, slots=True)
class AddressDemand:
    """Subnet addresses wanted, by what wants them; ``prefixes`` are aligned /28 blocks.

    Everything but the prefixes is a loose single address that may sit anywhere in the subnet.

    >>> demand = AddressDemand(eni_primaries=2, secondary_ips=18) + AddressDemand(fargate=3)
    >>> demand.loose, demand.total
    (23, 23)
    >>> AddressDemand(eni_primaries=1, prefixes=7).total
    113
    """

    eni_primaries: int = 0
    secondary_ips: int = 0
    prefixes: int = 0
    security_group_enis: int = 0
    fargate: int = 0
    control_plane: int = 0

    def __add__(self, other: AddressDemand) -> AddressDemand:
        return AddressDemand(
            self.eni_primaries + other.eni_primaries,
            self.secondary_ips + other.secondary_ips,
            self.prefixes + other.prefixes,
            self.security_group_enis + other.security_group_enis,
            self.fargate + other.fargate,
            self.control_plane + other.control_plane,
        )

    @property
    def loose(self) -> int:
        """Single addresses: ENI primaries, secondary IPs, trunk/branch ENIs, Fargate, control plane."""
        return (
            self.eni_primaries
            + self.secondary_ips
            + self.security_group_enis
            + self.fargate
            + self.control_plane
        )

    @property
    def total(self) -> int:
        """All addresses: the loose ones and 16 per prefix."""
        return self.loose + ADDRESSES_PER_PREFIX * self.prefixes

    def as_dict(self) -> dict[str, int]:
        """The breakdown as plain data for reports."""
        return {
            "eni_primaries": self.eni_primaries,
            "secondary_ips": self.secondary_ips,
            "prefixes": self.prefixes,
            "prefix_addresses": ADDRESSES_PER_PREFIX * self.prefixes,
            "security_group_enis": self.security_group_enis,
            "fargate": self.fargate,
            "control_plane": self.control_plane,
            "total": self.total,
        }


NO_ADDRESSES = AddressDemand()


@dataclass(frozen=True, slots=True)
class NodeAddresses:
    """What one node holds: in its own (node) subnet and, with custom networking, in the pod subnet.

    ``enis`` counts the ENIs carrying pod addresses (the primary ENI included unless custom
    networking), ``units`` the secondary addresses or prefixes in them; the trunk ENI is separate.
    """

    node_subnet: AddressDemand
    pod_subnet: AddressDemand = field(default=NO_ADDRESSES)
    enis: int = 1
    units: int = 0
    trunk_eni: bool = False
    branch_enis: int = 0
    pods_without_address: int = 0

    @property
    def total(self) -> int:
        """Addresses held in all subnets."""
        return self.node_subnet.total + self.pod_subnet.total


def eni_slots_for_pods(limits: NodeNetworkLimits, settings: CniSettings) -> int:
    """``E'``: ENIs ipamd may fill with pod addresses on this node.

    ``min(E, MAX_ENI)``, less the primary ENI under custom networking and, with security groups for
    pods, the slot ipamd keeps for the trunk ENI on a trunking-compatible type
    (``pkg/ipamd/ipamd.go`` ``hasRoomForEni``: ``maxENI - unmanagedENI - trunkEni``; since
    aws/amazon-vpc-cni-k8s PR #3250, closing issue #3094, no slot is reserved on a type that cannot
    trunk, such as t3, whose trunk ENI never comes).

    >>> m5_large = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=29,
    ...                              trunking_compatible=True)
    >>> eni_slots_for_pods(m5_large, CniSettings())
    3
    >>> eni_slots_for_pods(m5_large, CniSettings(CniMode.CUSTOM_NETWORKING, security_groups_for_pods=True))
    1
    >>> eni_slots_for_pods(m5_large, CniSettings(max_eni=2))
    2
    >>> t3_large = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=12, max_pods=35)
    >>> eni_slots_for_pods(t3_large, CniSettings(security_groups_for_pods=True))
    3
    """
    enis = limits.default_card_enis
    if settings.max_eni is not None:
        enis = min(enis, settings.max_eni)
    trunk_slot = settings.security_groups_for_pods and limits.trunking_compatible
    enis -= int(settings.custom_networking) + int(trunk_slot)
    return max(enis, 0)


@dataclass(slots=True)
class _Pool:
    """ipamd's pool on one node while pods arrive: ENIs attached and units (IPs or prefixes) held."""

    enis: int
    units: int = 0


@lru_cache(maxsize=65536)
def _grow(limits: NodeNetworkLimits, settings: CniSettings, pods: int) -> _Pool:
    """Replay ipamd's reconcile loop as pods arrive one by one, and return the final pool.

    Each arrival runs the loop until the pool is no longer too low: stop once the pool holds
    maxPods addresses; else fill free slots on attached ENIs (a whole ENI's worth in
    WARM_ENI_TARGET mode, the shortfall otherwise); else attach another ENI if one is left.
    """
    slots = limits.slots_per_eni
    max_enis = eni_slots_for_pods(limits, settings)
    unit_size = ADDRESSES_PER_PREFIX if settings.prefix_delegation else 1
    # Without custom networking the primary ENI is always attached and can carry pod addresses.
    pool = _Pool(enis=0 if settings.custom_networking else min(1, max_enis))
    for arrived in range(pods + 1):
        while pool.units * unit_size < limits.max_pods:
            short = _shortfall(pool, arrived, settings, unit_size, slots)
            if short <= 0:
                break
            free_slots = pool.enis * slots - pool.units
            if free_slots > 0:
                if not settings.uses_ip_targets and not settings.prefix_delegation:
                    pool.units += free_slots  # ipamd fills a whole ENI: resourcesToAllocate = maxIPsPerENI
                else:
                    pool.units += min(short, free_slots)
            elif pool.enis < max_enis:
                pool.enis += 1
            else:
                break
    return pool


def _shortfall(pool: _Pool, pods: int, settings: CniSettings, unit_size: int, slots: int) -> int:
    """Units the pool lacks with ``pods`` pods on the node (ipamd ``isDatastorePoolTooLow``)."""
    held = pool.units * unit_size
    available = held - pods
    if settings.uses_ip_targets:
        short = max((settings.warm_ip_target or 0) - available, (settings.minimum_ip_target or 0) - held, 0)
        return math.ceil(short / unit_size)
    if unit_size == 1:
        wanted = slots * settings.warm_eni_target
    else:
        wanted = ADDRESSES_PER_PREFIX * settings.warm_prefix_target
    if available >= wanted and available >= 0:
        return 0
    return max(math.ceil((max(wanted, 0) - available) / unit_size), 1)


def node_addresses(
    limits: NodeNetworkLimits, settings: CniSettings, pool_pods: int, security_group_pods: int = 0
) -> NodeAddresses:
    """The subnet addresses one node holds with ``pool_pods`` pods served from ipamd's pool.

    ``pool_pods`` (``P``) counts pods that need a VPC address from the warm pool: leave out
    hostNetwork pods (they share the node IP) and security-group pods (counted separately in
    ``security_group_pods``, each on its own branch ENI).

    Secondary-IP, WARM_ENI_TARGET=1: ``n = min(E', max(1, ⌈P/S⌉ + W), ⌈maxPods/S⌉)`` ENIs hold
    ``n × A`` addresses. Three c5.large (E=3, A=10, maxPods 29) with two CoreDNS pods between them
    hold 20 + 20 + 10 = 50 addresses (the best-practices guide's example):

    >>> c5_large = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=29)
    >>> [node_addresses(c5_large, CniSettings(), pods).total for pods in (1, 1, 0)]
    [20, 20, 10]

    The max-pods stop rule: m5.24xlarge (E=15, A=50) with maxPods capped at 250 stops at 6 ENIs:

    >>> m5_24xlarge = NodeNetworkLimits(default_card_enis=15, ipv4_per_eni=50, max_pods=250)
    >>> node_addresses(m5_24xlarge, CniSettings(), 248).total
    300

    WARM_IP_TARGET=2, MINIMUM_IP_TARGET=5 on t3.small (E=3, A=4): 5 pods hold 7 secondary
    addresses on 3 ENIs, so 10 addresses in all:

    >>> t3_small = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=4, max_pods=11)
    >>> held = node_addresses(t3_small, CniSettings(warm_ip_target=2, minimum_ip_target=5), 5)
    >>> held.enis, held.units, held.total
    (3, 7, 10)

    Prefix delegation, WARM_PREFIX_TARGET=1, m5.large with maxPods 110 and 17 pods: 3 prefixes on
    one ENI, 1 + 3 × 16 = 49 addresses:

    >>> m5_large = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=110)
    >>> held = node_addresses(m5_large, CniSettings(CniMode.PREFIX_DELEGATION), 17)
    >>> held.node_subnet.prefixes, held.total
    (3, 49)

    Custom networking: the node subnet keeps only the node IP; the pod and the warm ENI go to the
    ENIConfig subnet:

    >>> held = node_addresses(c5_large, CniSettings(CniMode.CUSTOM_NETWORKING), 1)
    >>> held.node_subnet.total, held.pod_subnet.total
    (1, 20)
    """
    if pool_pods < 0 or security_group_pods < 0:
        raise ValueError("pod counts must not be negative")
    if settings.ipv6:
        # One IPv4 per node (the dual-stack primary ENI); pods take IPv6 from the node's /80 prefix.
        return NodeAddresses(node_subnet=AddressDemand(eni_primaries=1), enis=1)

    if settings.prefix_delegation and not limits.supports_prefixes:
        # Xen types cannot take prefixes; the CNI falls back to secondary addresses on them.
        settings = settings.with_switches(
            custom_networking=settings.custom_networking, prefix_delegation=False
        )
    pool = _grow(limits, settings, pool_pods)
    unit_size = ADDRESSES_PER_PREFIX if settings.prefix_delegation else 1
    pods_without_address = max(pool_pods - pool.units * unit_size, 0)

    trunk = settings.security_groups_for_pods and limits.trunking_compatible
    branches = min(security_group_pods, limits.branch_interfaces) if trunk else 0
    pods_without_address += security_group_pods - branches
    security_group_enis = int(trunk) + branches

    pod_enis = AddressDemand(
        eni_primaries=pool.enis,
        secondary_ips=0 if settings.prefix_delegation else pool.units,
        prefixes=pool.units if settings.prefix_delegation else 0,
        security_group_enis=security_group_enis,
    )
    if settings.custom_networking:
        node_subnet = AddressDemand(eni_primaries=1)
        pod_subnet = pod_enis
    else:
        node_subnet, pod_subnet = pod_enis, NO_ADDRESSES
    return NodeAddresses(
        node_subnet=node_subnet,
        pod_subnet=pod_subnet,
        enis=pool.enis,
        units=pool.units,
        trunk_eni=trunk,
        branch_enis=branches,
        pods_without_address=pods_without_address,
    )


def fargate_addresses(pods: int, settings: CniSettings | None = None) -> AddressDemand:
    """Fargate pods: each has its own ENI, so one subnet IPv4 address per pod (IPv6 clusters too).

    >>> fargate_addresses(12).total
    12
    """
    if pods < 0:
        raise ValueError("pod counts must not be negative")
    return AddressDemand(fargate=pods)
