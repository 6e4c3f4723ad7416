"""Subnet accounting: usable addresses, aligned /28 blocks, fragmentation and CIDR reservations."""

from __future__ import annotations

import ipaddress

import pytest

from eks_plan.network.ipamd import AddressDemand
from eks_plan.network.subnets import (
    CidrReservation,
    ReservationType,
    Subnet,
    Verdict,
    find_overlaps,
    parse_cidr,
    place_demand,
    smallest_fitting_prefix_length,
    spread_over_subnets,
    subnet_capacity,
)


def subnet(cidr: str, zone: str = "us-east-1a", **fields: object) -> Subnet:
    return Subnet(zone, ipaddress.ip_network(cidr), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cidr", "usable", "blocks"),
    [("10.0.0.0/24", 251, 14), ("10.0.0.0/20", 4091, 254), ("10.0.0.0/28", 11, 0)],
)
def test_usable_addresses_and_empty_subnet_prefix_blocks(cidr: str, usable: int, blocks: int) -> None:
    capacity = subnet_capacity(subnet(cidr))
    assert subnet(cidr).usable == usable == capacity.free
    # DOMAIN §3.4: an empty /n holds 2^(28−n) − 2 prefixes.
    assert capacity.prefix_blocks == blocks


def test_fragmented_subnet_fails_prefix_mode_with_loose_addresses_left() -> None:
    # A /24 with one address in use in every other /28 block: 7 blocks (1, 3, …, 13) stay free.
    in_use = tuple(ipaddress.ip_address(f"10.0.0.{16 * block + 5}") for block in range(2, 15, 2))
    fragmented = subnet("10.0.0.0/24", in_use=in_use)
    capacity = subnet_capacity(fragmented)
    assert capacity.prefix_blocks == 7
    demand = AddressDemand(eni_primaries=2, prefixes=9)  # 146 addresses, 9 prefixes
    assert capacity.free - demand.total == 251 - 7 - 146 > 90  # plenty of loose addresses remain
    usage = place_demand(fragmented, demand, min_free=0.10)
    assert usage.verdict is Verdict.EXHAUSTED
    assert (usage.prefix_shortfall, usage.address_shortfall) == (2, 0)
    assert usage.reason.startswith("InsufficientCidrBlocks")
    # The same demand in secondary-IP mode (146 loose addresses) fits the same subnet.
    loose = place_demand(fragmented, AddressDemand(eni_primaries=2, secondary_ips=144), min_free=0.10)
    assert loose.verdict is Verdict.OK


def test_prefix_reservation_keeps_blocks_for_prefixes_only() -> None:
    reserved = subnet(
        "10.0.0.0/24",
        reservations=(CidrReservation(ipaddress.ip_network("10.0.0.128/25"), ReservationType.PREFIX),),
    )
    capacity = subnet_capacity(reserved)
    # The upper half: 7 whole blocks plus the last block, which holds the reserved broadcast address.
    assert (capacity.reserved_prefix_blocks, capacity.prefix_blocks) == (7, 7)
    # Loose addresses cannot use the reservation: 128 − 4 outside it, 15 addresses of the last block lost.
    assert capacity.fragments + 16 * capacity.prefix_blocks == 124
    too_many_loose = place_demand(reserved, AddressDemand(secondary_ips=125), min_free=0.0)
    assert too_many_loose.address_shortfall == 1
    prefixes = place_demand(reserved, AddressDemand(prefixes=14), min_free=0.0)
    assert prefixes.verdict is Verdict.OK


def test_explicit_reservation_is_never_handed_out() -> None:
    reserved = subnet(
        "10.0.0.0/24",
        reservations=(CidrReservation(ipaddress.ip_network("10.0.0.64/26"), ReservationType.EXPLICIT),),
    )
    capacity = subnet_capacity(reserved)
    assert capacity.free == 251 - 64
    assert capacity.prefix_blocks == 14 - 4
    assert capacity.explicitly_reserved == 64


def test_in_use_addresses_break_blocks_and_count_as_taken() -> None:
    used = tuple(ipaddress.ip_address(text) for text in ("10.0.0.20", "10.0.0.21", "10.0.0.250"))
    capacity = subnet_capacity(subnet("10.0.0.0/24", in_use=used))
    assert capacity.in_use == 3
    assert capacity.free == 248
    assert capacity.prefix_blocks == 13  # block 1 lost; .250 sits in the already-broken last block


@pytest.mark.parametrize(
    ("held", "verdict"),
    [
        (200, Verdict.OK),
        (225, Verdict.OK),
        (226, Verdict.AT_RISK),
        (251, Verdict.AT_RISK),
        (252, Verdict.EXHAUSTED),
    ],
)
def test_verdict_thresholds_at_ten_percent(held: int, verdict: Verdict) -> None:
    # 10% of 251 usable is 25.1, so at least 26 must stay free.
    assert place_demand(subnet("10.0.0.0/24"), AddressDemand(secondary_ips=held), 0.10).verdict is verdict


def test_prefix_margin_counts_free_blocks_not_loose_addresses() -> None:
    # 12 of 14 blocks taken leaves 32 prefix addresses (≥ 26) but breaking one more block with 28
    # loose addresses beyond the 27 fragments leaves only one block: at risk.
    assert place_demand(subnet("10.0.0.0/24"), AddressDemand(prefixes=12), 0.10).verdict is Verdict.OK
    usage = place_demand(subnet("10.0.0.0/24"), AddressDemand(prefixes=12, eni_primaries=28), 0.10)
    assert (usage.free_prefix_blocks, usage.verdict) == (1, Verdict.AT_RISK)


def test_smallest_fitting_prefix_length() -> None:
    assert smallest_fitting_prefix_length(AddressDemand(secondary_ips=225), 0.10) == 24
    assert smallest_fitting_prefix_length(AddressDemand(secondary_ips=226), 0.10) == 23
    assert smallest_fitting_prefix_length(AddressDemand(secondary_ips=9), 0.0) == 28


def test_parse_cidr_rejects_malformed_input() -> None:
    assert parse_cidr("10.1.0.0/16", "x") == ipaddress.ip_network("10.1.0.0/16")
    for bad in ("10.0.0.0/33", "10.0.0/24", "banana", "10.0.0.1/24", "10.0.0.0", "fd00::/64"):
        with pytest.raises(ValueError, match="x: "):
            parse_cidr(bad, "x")


def test_find_overlaps() -> None:
    a, b, c = subnet("10.0.0.0/20"), subnet("10.0.8.0/24"), subnet("10.0.16.0/20")
    assert find_overlaps([c, b, a]) == [(a, b)]
    assert find_overlaps([a, c]) == []


def test_spread_over_subnets_balances_by_room() -> None:
    small, large = subnet("10.0.0.0/24"), subnet("10.0.16.0/20")
    node = AddressDemand(eni_primaries=2, secondary_ips=18)
    spread = spread_over_subnets([small, large], [node] * 10)
    assert spread[large].total == 200 and spread[small].total == 0
    even = spread_over_subnets([subnet("10.0.0.0/24"), subnet("10.0.1.0/24")], [node] * 4)
    assert sorted(demand.total for demand in even.values()) == [40, 40]
