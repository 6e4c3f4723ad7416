"""Subnets: usable addresses, aligned free /28 blocks, and whether a demand fits (DOMAIN.md §3.0, §3.4).

AWS reserves the first four and the last address of every subnet, so a /n holds ``2^(32−n) − 5``
usable addresses. Prefix delegation needs more than free addresses: each prefix is an *aligned*
/28 block with no address taken, so an empty /n holds at most ``2^(28−n) − 2`` prefixes (the first
block holds the four leading reserved addresses, the last block the reserved last one), and every
block holding an address already in use is lost too (``InsufficientCidrBlocks`` while loose
addresses remain). Subnet CIDR reservations are honoured: ``explicit`` ranges are never handed
out automatically, ``prefix`` ranges only as prefixes.

Placing a demand is a best case: prefixes take free aligned blocks (reserved ones first), and
loose addresses take the fragments outside free blocks before breaking a free block. AWS picks
loose addresses itself, so a real subnet can fragment faster; a prefix reservation is the fix.
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from eks_plan.network.ipamd import ADDRESSES_PER_PREFIX, AddressDemand

#: Addresses AWS reserves in every subnet: the network address, the VPC router, DNS, one for future
#: use, and the last (broadcast) address.
AWS_RESERVED_ADDRESSES = 5
#: Free addresses EKS needs in each cluster subnet for its cross-account control-plane ENIs.
CONTROL_PLANE_FREE_ADDRESSES = 6
#: The subnet sizes AWS allows for IPv4.
SMALLEST_PREFIX_LENGTH = 16
LARGEST_PREFIX_LENGTH = 28
PREFIX_BLOCK_LENGTH = 28


class SubnetRole(StrEnum):
    """What a subnet is for: node ENIs, pod ENIs (custom networking ENIConfig), the control plane."""

    NODES = "nodes"
    PODS = "pods"
    CLUSTER = "cluster"


class ReservationType(StrEnum):
    """VPC subnet CIDR reservation types."""

    PREFIX = "prefix"
    EXPLICIT = "explicit"


class Verdict(StrEnum):
    """One subnet in one scenario: enough margin, below the margin, or out of addresses."""

    OK = "ok"
    AT_RISK = "at-risk"
    EXHAUSTED = "exhausted"

    @property
    def severity(self) -> int:
        """0, 1, 2 for ok, at risk, exhausted: the worst of several is the maximum."""
        return list(Verdict).index(self)


@dataclass(frozen=True, slots=True)
class CidrReservation:
    """A subnet CIDR reservation (``CreateSubnetCidrReservation``)."""

    cidr: IPv4Network
    type: ReservationType


@dataclass(frozen=True, slots=True)
class Subnet:
    """One VPC subnet in a zone, with its roles and, when known, the addresses already taken.

    >>> subnet = Subnet("us-east-1a", ipaddress.ip_network("10.0.0.0/24"))
    >>> subnet.usable, subnet.label
    (251, 'us-east-1a 10.0.0.0/24')
    """

    zone: str
    cidr: IPv4Network
    roles: frozenset[SubnetRole] = frozenset({SubnetRole.NODES})
    subnet_id: str | None = None
    in_use: tuple[IPv4Address, ...] = ()
    reservations: tuple[CidrReservation, ...] = ()
    source: str = "flag"
    #: The name eks-plan.yaml gives it (reports and exports only).
    name: str | None = field(default=None, compare=False)

    @property
    def usable(self) -> int:
        """Addresses AWS lets instances use: the CIDR size less the 5 reserved ones."""
        return self.cidr.num_addresses - AWS_RESERVED_ADDRESSES

    @property
    def label(self) -> str:
        """How reports name the subnet: zone, CIDR and the subnet id when known."""
        name = f"{self.zone} {self.cidr}"
        return f"{name} ({self.subnet_id})" if self.subnet_id else name

    def has_role(self, role: SubnetRole) -> bool:
        return role in self.roles

    def to_config_dict(self) -> dict[str, Any]:
        """The subnet as an entry of eks-plan.yaml's ``subnets`` writes it (what a plan's ``subnets``
        holds): zone, CIDR, its role (a configured subnet has one), and ID and name when known.

        >>> Subnet("us-east-1a", ipaddress.ip_network("10.0.0.0/24"), subnet_id="subnet-1").to_config_dict()
        {'zone': 'us-east-1a', 'cidr': '10.0.0.0/24', 'role': 'nodes', 'id': 'subnet-1'}
        """
        role = next(role for role in SubnetRole if role in self.roles)
        data: dict[str, Any] = {"zone": self.zone, "cidr": str(self.cidr), "role": str(role)}
        if self.subnet_id:
            data["id"] = self.subnet_id
        if self.name:
            data["name"] = self.name
        return data

    def as_dict(self) -> dict[str, object]:
        return {
            "zone": self.zone,
            "cidr": str(self.cidr),
            "subnet_id": self.subnet_id,
            "roles": sorted(role.value for role in self.roles),
            "usable": self.usable,
            "in_use": len(self.in_use),
        }


@dataclass(frozen=True, slots=True)
class SubnetCapacity:
    """What an empty-of-the-plan subnet can still give out.

    ``prefix_blocks`` are free aligned /28 blocks outside any reservation, ``reserved_prefix_blocks``
    free aligned blocks inside prefix reservations (prefixes only), and ``fragments`` the free
    addresses usable for loose addresses but outside every free block.

    >>> capacity = subnet_capacity(Subnet("us-east-1a", ipaddress.ip_network("10.0.0.0/24")))
    >>> capacity.prefix_blocks, capacity.fragments, capacity.free
    (14, 27, 251)
    """

    usable: int
    in_use: int
    prefix_blocks: int
    reserved_prefix_blocks: int
    fragments: int
    explicitly_reserved: int

    @property
    def free(self) -> int:
        """Free addresses of any kind (loose or in blocks)."""
        return self.fragments + ADDRESSES_PER_PREFIX * (self.prefix_blocks + self.reserved_prefix_blocks)


def subnet_capacity(subnet: Subnet) -> SubnetCapacity:
    """Count the free addresses and free aligned /28 blocks of a subnet, block by block.

    An address is taken when AWS reserves it (first four, last), it is in use, or an explicit
    reservation covers it. A /28 block is a free prefix block when nothing in it is taken and it
    is wholly inside a prefix reservation or wholly outside every prefix reservation.

    A /26 with one address in use in its third block keeps 1 free block of 4:

    >>> used = (ipaddress.ip_address("10.0.0.40"),)
    >>> capacity = subnet_capacity(Subnet("us-east-1a", ipaddress.ip_network("10.0.0.0/26"), in_use=used))
    >>> capacity.prefix_blocks, capacity.fragments, capacity.free
    (1, 42, 58)
    """
    network = subnet.cidr
    base = int(network.network_address)
    size = network.num_addresses
    block_size = ADDRESSES_PER_PREFIX if size >= ADDRESSES_PER_PREFIX else size
    blocks = size // block_size

    taken: Counter[int] = Counter()
    taken_addresses = {base, base + 1, base + 2, base + 3, base + size - 1}
    taken_addresses.update(
        int(address)
        for address in subnet.in_use
        if address in network and int(address) not in taken_addresses
    )
    for address in taken_addresses:
        taken[(address - base) // block_size] += 1

    prefix_reserved: Counter[int] = Counter()
    explicit_extra = 0
    for reservation in subnet.reservations:
        for index, overlap, free_overlap in _block_overlaps(
            reservation.cidr, network, block_size, taken_addresses
        ):
            if reservation.type is ReservationType.EXPLICIT:
                taken[index] += free_overlap
                explicit_extra += free_overlap
            else:
                prefix_reserved[index] += overlap

    prefix_blocks = reserved_prefix_blocks = fragments = 0
    for index in range(blocks):
        free_in_block = block_size - taken[index]
        reserved_part = prefix_reserved[index]
        whole_block_free = taken[index] == 0 and block_size == ADDRESSES_PER_PREFIX
        if whole_block_free and reserved_part == block_size:
            reserved_prefix_blocks += 1
        elif whole_block_free and reserved_part == 0:
            prefix_blocks += 1
        else:
            # Loose addresses may use what is free and not set aside for prefixes.
            fragments += max(free_in_block - reserved_part, 0)
    return SubnetCapacity(
        usable=subnet.usable,
        in_use=len(taken_addresses) - AWS_RESERVED_ADDRESSES,
        prefix_blocks=prefix_blocks,
        reserved_prefix_blocks=reserved_prefix_blocks,
        fragments=fragments,
        explicitly_reserved=explicit_extra,
    )


def _block_overlaps(
    reservation: IPv4Network, network: IPv4Network, block_size: int, taken: set[int]
) -> Iterable[tuple[int, int, int]]:
    """(block index, addresses of the block inside the reservation, of those the untaken ones)."""
    if not reservation.overlaps(network):
        return
    base = int(network.network_address)
    start = max(int(reservation.network_address), base)
    end = min(int(reservation.broadcast_address), int(network.broadcast_address))
    address = start
    while address <= end:
        index = (address - base) // block_size
        block_end = min(base + (index + 1) * block_size - 1, end)
        overlap = block_end - address + 1
        free_overlap = sum(1 for value in range(address, block_end + 1) if value not in taken)
        yield index, overlap, free_overlap
        address = block_end + 1


@dataclass(frozen=True, slots=True)
class SubnetUsage:
    """One subnet holding one demand: what is held, what is left, and the verdict.

    ``margin`` is what further growth can use: free aligned blocks × 16 when the subnet holds
    prefixes (new prefixes need blocks), otherwise the free addresses.
    """

    subnet: Subnet
    demand: AddressDemand
    capacity: SubnetCapacity
    free: int  # usable addresses left; negative when the demand exceeds the subnet
    free_prefix_blocks: int
    prefix_shortfall: int
    address_shortfall: int
    margin: int
    min_free_addresses: int
    verdict: Verdict

    @property
    def held(self) -> int:
        """Addresses the demand takes, counted against the usable ones."""
        return self.demand.total

    @property
    def used_fraction(self) -> float:
        """Share of the usable addresses the demand and the addresses already in use would take
        (above 1 when they do not fit)."""
        usable = self.subnet.usable
        return 0.0 if usable <= 0 else (usable - self.free) / usable

    @property
    def reason(self) -> str:
        """Why the verdict, in the words of the EC2 error a user would see."""
        if self.prefix_shortfall:
            return (
                f"InsufficientCidrBlocks: {self.prefix_shortfall} more aligned /28 "
                f"{'prefix' if self.prefix_shortfall == 1 else 'prefixes'} needed "
                f"than free ({self.capacity.prefix_blocks + self.capacity.reserved_prefix_blocks} "
                "free blocks)"
            )
        if self.address_shortfall:
            shortfall = self.address_shortfall
            return (
                f"InsufficientFreeAddressesInSubnet: {shortfall} "
                f"{'address' if shortfall == 1 else 'addresses'} short"
            )
        if self.verdict is Verdict.AT_RISK:
            what = "prefix addresses" if self.demand.prefixes else "addresses"
            return f"{self.margin} free {what} left, below the {self.min_free_addresses} margin"
        return ""

    def as_dict(self) -> dict[str, object]:
        return {
            "subnet": self.subnet.as_dict(),
            "held": self.demand.as_dict(),
            "already_in_use": self.capacity.in_use,
            "free": self.free,
            "free_prefix_blocks": self.free_prefix_blocks,
            "margin": self.margin,
            "min_free": self.min_free_addresses,
            "used_percent": round(100 * self.used_fraction, 1),
            "verdict": self.verdict.value,
            "reason": self.reason,
        }


def place_demand(
    subnet: Subnet, demand: AddressDemand, min_free: float, capacity: SubnetCapacity | None = None
) -> SubnetUsage:
    """Place a demand in a subnet, best case, and judge it against the ``min_free`` share of usable.

    A /24 holds 14 free prefixes; 15 fail with ``InsufficientCidrBlocks`` although 251 − 15 × 16 = 11
    addresses would remain:

    >>> subnet = Subnet("us-east-1a", ipaddress.ip_network("10.0.0.0/24"))
    >>> place_demand(subnet, AddressDemand(prefixes=14), 0.10).verdict
    <Verdict.AT_RISK: 'at-risk'>
    >>> usage = place_demand(subnet, AddressDemand(prefixes=15), 0.10)
    >>> usage.verdict, usage.prefix_shortfall
    (<Verdict.EXHAUSTED: 'exhausted'>, 1)
    >>> place_demand(subnet, AddressDemand(eni_primaries=20, secondary_ips=180), 0.10).verdict
    <Verdict.OK: 'ok'>
    """
    capacity = capacity or subnet_capacity(subnet)
    reserved_used = min(demand.prefixes, capacity.reserved_prefix_blocks)
    open_wanted = demand.prefixes - reserved_used
    open_used = min(open_wanted, capacity.prefix_blocks)
    prefix_shortfall = open_wanted - open_used

    loose_room = capacity.fragments + ADDRESSES_PER_PREFIX * (capacity.prefix_blocks - open_used)
    address_shortfall = max(demand.loose - loose_room, 0)
    loose_in_blocks = max(demand.loose - capacity.fragments, 0)
    blocks_broken = -(-loose_in_blocks // ADDRESSES_PER_PREFIX)
    free_prefix_blocks = max(capacity.prefix_blocks - open_used - blocks_broken, 0) + (
        capacity.reserved_prefix_blocks - reserved_used
    )
    # Negative when the demand does not fit: how far over the subnet it goes.
    free = capacity.free - demand.total

    min_free_addresses = max(math.ceil(subnet.usable * min_free), 0)
    margin = ADDRESSES_PER_PREFIX * free_prefix_blocks if demand.prefixes else free
    if prefix_shortfall or address_shortfall:
        verdict = Verdict.EXHAUSTED
    elif margin < min_free_addresses:
        verdict = Verdict.AT_RISK
    else:
        verdict = Verdict.OK
    return SubnetUsage(
        subnet=subnet,
        demand=demand,
        capacity=capacity,
        free=free,
        free_prefix_blocks=free_prefix_blocks,
        prefix_shortfall=prefix_shortfall,
        address_shortfall=address_shortfall,
        margin=margin,
        min_free_addresses=min_free_addresses,
        verdict=verdict,
    )


def smallest_fitting_prefix_length(demand: AddressDemand, min_free: float) -> int | None:
    """The longest prefix (smallest subnet, /16 to /28) whose empty subnet holds ``demand`` with margin.

    >>> smallest_fitting_prefix_length(AddressDemand(eni_primaries=30, secondary_ips=270), 0.10)
    23
    >>> smallest_fitting_prefix_length(AddressDemand(eni_primaries=3, prefixes=20), 0.10)
    23
    >>> smallest_fitting_prefix_length(AddressDemand(secondary_ips=70000), 0.10) is None
    True
    """
    for length in range(LARGEST_PREFIX_LENGTH, SMALLEST_PREFIX_LENGTH - 1, -1):
        probe = Subnet("probe", IPv4Network(f"10.0.0.0/{length}"))
        if place_demand(probe, demand, min_free).verdict is Verdict.OK:
            return length
    return None


def parse_cidr(text: str, where: str) -> IPv4Network:
    """An IPv4 subnet CIDR, strictly (host bits must be zero); ``ValueError`` names ``where``.

    >>> parse_cidr("10.0.16.0/20", "--subnet")
    IPv4Network('10.0.16.0/20')
    >>> parse_cidr("10.0.16.1/20", "--subnet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --subnet: '10.0.16.1/20' is not a subnet CIDR (... did you mean 10.0.16.0/20?)
    """
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as error:
        hint = str(error)
        try:
            loose = ipaddress.ip_network(text.strip(), strict=False)
            hint = f"{hint}; did you mean {loose}?"
        except ValueError:
            pass
        raise ValueError(f"{where}: {text!r} is not a subnet CIDR ({hint})") from None
    if not isinstance(network, IPv4Network) or "/" not in text:
        raise ValueError(f"{where}: {text!r} is not an IPv4 subnet CIDR such as 10.0.0.0/20")
    return network


def find_overlaps(subnets: Sequence[Subnet]) -> list[tuple[Subnet, Subnet]]:
    """Pairs of subnets whose CIDRs overlap (AWS refuses them within one VPC)."""
    ordered = sorted(subnets, key=lambda subnet: (int(subnet.cidr.network_address), subnet.cidr.prefixlen))
    overlaps: list[tuple[Subnet, Subnet]] = []
    for index, subnet in enumerate(ordered):
        for other in ordered[index + 1 :]:
            if other.cidr.network_address > subnet.cidr.broadcast_address:
                break
            overlaps.append((subnet, other))
    return overlaps


@dataclass(slots=True)
class _Fill:
    """A subnet being filled with demands, for spreading nodes over the subnets of a zone."""

    subnet: Subnet
    capacity: SubnetCapacity
    demand: AddressDemand = field(default_factory=AddressDemand)

    @property
    def room(self) -> int:
        return self.capacity.free - self.demand.total


def spread_over_subnets(
    subnets: Sequence[Subnet], demands: Iterable[AddressDemand]
) -> dict[Subnet, AddressDemand]:
    """Give each demand (one node, one Fargate pod batch) to the subnet with the most room left.

    Auto Scaling spreads nodes over a zone's subnets and ipamd's subnet discovery picks the subnet
    with the most free addresses; most-room-first is the simple rule in between.
    """
    fills = [_Fill(subnet, subnet_capacity(subnet)) for subnet in subnets]
    for demand in demands:
        # The first of equally roomy subnets wins, so the spread is deterministic.
        target = max(reversed(fills), key=lambda fill: fill.room)
        target.demand = target.demand + demand
    return {fill.subnet: fill.demand for fill in fills}
