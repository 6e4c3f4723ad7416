"""The VPC CNI address math against every worked example of DOMAIN.md §3 and the subnet rows of §7."""

from __future__ import annotations

import pytest

from eks_plan.catalog.capacity import CniMode
from eks_plan.network.ipamd import (
    CniSettings,
    NodeNetworkLimits,
    eni_slots_for_pods,
    fargate_addresses,
    node_addresses,
)

# Instance facts as plain numbers (E = default-card ENIs, A = IPv4 per ENI), from vpc-limits.tsv.
T3_SMALL = {"default_card_enis": 3, "ipv4_per_eni": 4}
P3DN_24XLARGE = {"default_card_enis": 15, "ipv4_per_eni": 50}
C5_LARGE = {"default_card_enis": 3, "ipv4_per_eni": 10}
M5_LARGE = {"default_card_enis": 3, "ipv4_per_eni": 10, "branch_interfaces": 9, "trunking_compatible": True}
M5_XLARGE = {"default_card_enis": 4, "ipv4_per_eni": 15}
M5_24XLARGE = {
    "default_card_enis": 15,
    "ipv4_per_eni": 50,
    "branch_interfaces": 107,
    "trunking_compatible": True,
}
T3_MEDIUM = {"default_card_enis": 3, "ipv4_per_eni": 6}
C6G_16XLARGE = {"default_card_enis": 15, "ipv4_per_eni": 50}
P4D_24XLARGE = {"default_card_enis": 15, "ipv4_per_eni": 50}

WARM_ENI = CniSettings()
PREFIX = CniSettings(CniMode.PREFIX_DELEGATION)


def eni_formula_max_pods(facts: dict) -> int:
    return facts["default_card_enis"] * (facts["ipv4_per_eni"] - 1) + 2


def limits(facts: dict, max_pods: int | None = None) -> NodeNetworkLimits:
    return NodeNetworkLimits(max_pods=max_pods or eni_formula_max_pods(facts), **facts)


# docs/eni-and-ip-target.md, WARM_ENI_TARGET=1: (pods, ENIs, secondary IPs)
@pytest.mark.parametrize(
    ("facts", "pods", "enis", "secondaries"),
    [
        (T3_SMALL, 0, 1, 3),
        (T3_SMALL, 5, 3, 9),
        (T3_SMALL, 9, 3, 9),
        (P3DN_24XLARGE, 3, 2, 98),
        (P3DN_24XLARGE, 95, 3, 147),
    ],
)
def test_warm_eni_target_tables(facts: dict, pods: int, enis: int, secondaries: int) -> None:
    held = node_addresses(limits(facts), WARM_ENI, pods)
    assert (held.enis, held.units) == (enis, secondaries)
    assert held.total == enis * facts["ipv4_per_eni"]


def test_three_c5_large_with_two_coredns_pods_hold_50_addresses() -> None:
    nodes = [node_addresses(limits(C5_LARGE), WARM_ENI, pods) for pods in (1, 1, 0)]
    assert [node.enis for node in nodes] == [2, 2, 1]
    assert sum(node.total for node in nodes) == 50


def test_m5_xlarge_code_model_against_the_aws_spreadsheet() -> None:
    # subnet-calc.xlsx divides pods by A (not A−1) and adds 2 host-networking IPs: (⌈30/15⌉+1)×15+2 = 47.
    spreadsheet = (-(-30 // M5_XLARGE["ipv4_per_eni"]) + 1) * M5_XLARGE["ipv4_per_eni"] + 2
    held = node_addresses(limits(M5_XLARGE), WARM_ENI, 30)
    assert spreadsheet == 47
    assert (held.enis, held.total) == (4, 60)


# docs/eni-and-ip-target.md, WARM_IP_TARGET / MINIMUM_IP_TARGET: (pods, ENIs, secondary IPs)
@pytest.mark.parametrize(
    ("facts", "warm", "minimum", "pods", "enis", "secondaries"),
    [
        (T3_SMALL, 2, 5, 0, 2, 5),
        (T3_SMALL, 2, 5, 5, 3, 7),
        (P3DN_24XLARGE, 5, 10, 7, 1, 12),
        (P3DN_24XLARGE, 5, 10, 45, 2, 50),
    ],
)
def test_warm_ip_and_minimum_ip_target_tables(
    facts: dict, warm: int, minimum: int, pods: int, enis: int, secondaries: int
) -> None:
    settings = CniSettings(warm_ip_target=warm, minimum_ip_target=minimum)
    held = node_addresses(limits(facts), settings, pods)
    assert (held.enis, held.units) == (enis, secondaries)
    assert held.total == enis + secondaries


def test_minimum_ip_target_alone_holds_exactly_the_minimum() -> None:
    held = node_addresses(limits(P3DN_24XLARGE), CniSettings(minimum_ip_target=30), 0)
    assert held.units == 30


def test_warm_ip_target_alone_doubles_consumption_on_big_nodes() -> None:
    # README: 30 pods with WARM_IP_TARGET=30 hold 60 addresses.
    held = node_addresses(limits(P3DN_24XLARGE), CniSettings(warm_ip_target=30), 30)
    assert held.units == 60


# docs/prefix-and-ip-target.md on t3.small (S=3) with a prefix-mode maxPods of 110: (pods, prefixes, ENIs)
@pytest.mark.parametrize(
    ("settings", "pods", "prefixes", "enis"),
    [
        (PREFIX, 0, 1, 1),
        (PREFIX, 5, 2, 1),
        (PREFIX, 16, 2, 1),
        (PREFIX, 17, 3, 1),
        (PREFIX, 58, 5, 2),
        (CniSettings(CniMode.PREFIX_DELEGATION, warm_ip_target=1, minimum_ip_target=1), 58, 4, 2),
        (CniSettings(CniMode.PREFIX_DELEGATION, warm_ip_target=7, minimum_ip_target=20), 0, 2, 1),
        (CniSettings(CniMode.PREFIX_DELEGATION, warm_ip_target=7, minimum_ip_target=20), 5, 2, 1),
        (CniSettings(CniMode.PREFIX_DELEGATION, warm_ip_target=7, minimum_ip_target=20), 58, 5, 2),
    ],
)
def test_prefix_delegation_tables(settings: CniSettings, pods: int, prefixes: int, enis: int) -> None:
    held = node_addresses(limits(T3_SMALL, max_pods=110), settings, pods)
    assert (held.node_subnet.prefixes, held.enis) == (prefixes, enis)
    assert held.total == enis + 16 * prefixes


# DOMAIN.md §7: secondary mode, WARM_ENI_TARGET=1, at 0 / 1 / 10 pods and at full ENI-formula pods.
@pytest.mark.parametrize(
    ("facts", "expected", "full"),
    [
        (M5_LARGE, (10, 20, 30), 30),
        (M5_24XLARGE, (50, 100, 100), 750),
        (T3_MEDIUM, (6, 12, 18), 18),
        (C6G_16XLARGE, (50, 100, 100), 750),
        (P4D_24XLARGE, (50, 100, 100), 750),
    ],
)
def test_domain_section_7_secondary_rows(facts: dict, expected: tuple[int, int, int], full: int) -> None:
    node = limits(facts)
    assert tuple(node_addresses(node, WARM_ENI, pods).total for pods in (0, 1, 10)) == expected
    assert node_addresses(node, WARM_ENI, node.max_pods - 2).total == full


@pytest.mark.parametrize("facts", [M5_24XLARGE, C6G_16XLARGE, P4D_24XLARGE])
def test_domain_section_7_managed_node_group_cap_stops_ipamd(facts: dict) -> None:
    held = node_addresses(limits(facts, max_pods=250), WARM_ENI, 248)
    assert (held.enis, held.total) == (6, 300)


# DOMAIN.md §7: prefix delegation, WARM_PREFIX_TARGET=1, capped maxPods, at 0 / 1 / 17 pods / full.
@pytest.mark.parametrize(
    ("facts", "max_pods", "expected", "full_prefixes", "full_enis"),
    [
        (M5_LARGE, 110, (17, 33, 49, 113), 7, 1),
        (M5_24XLARGE, 250, (17, 33, 49, 257), 16, 1),
        (T3_MEDIUM, 110, (17, 33, 49, 114), 7, 2),
        (C6G_16XLARGE, 250, (17, 33, 49, 257), 16, 1),
        (P4D_24XLARGE, 250, (17, 33, 49, 257), 16, 1),
    ],
)
def test_domain_section_7_prefix_rows(
    facts: dict, max_pods: int, expected: tuple[int, ...], full_prefixes: int, full_enis: int
) -> None:
    node = limits(facts, max_pods=max_pods)
    totals = tuple(node_addresses(node, PREFIX, pods).total for pods in (0, 1, 17, max_pods - 2))
    assert totals == expected
    full = node_addresses(node, PREFIX, max_pods - 2)
    assert (full.node_subnet.prefixes, full.enis) == (full_prefixes, full_enis)


def test_custom_networking_moves_pod_enis_to_the_pod_subnet() -> None:
    settings = CniSettings(CniMode.CUSTOM_NETWORKING)
    held = node_addresses(limits(M5_LARGE, max_pods=20), settings, 18)
    assert held.node_subnet.total == 1
    # E' = 2 pod ENIs of 10 addresses each in the ENIConfig subnet, all 18 pods addressed.
    assert (held.enis, held.pod_subnet.total, held.pods_without_address) == (2, 20, 0)


def test_custom_networking_cannot_address_an_eni_formula_full_node() -> None:
    # m5.large keeps maxPods 29 but custom networking leaves 2 × 9 = 18 pod addresses.
    held = node_addresses(limits(M5_LARGE), CniSettings(CniMode.CUSTOM_NETWORKING), 27)
    assert held.pods_without_address == 9


def test_security_groups_for_pods_trunk_and_branch_enis() -> None:
    settings = CniSettings(security_groups_for_pods=True)
    held = node_addresses(limits(M5_LARGE), settings, pool_pods=10, security_group_pods=4)
    # The trunk takes an ENI slot: 2 ENIs for pool pods (10 pods + warm ENI = 2 ENIs of 10),
    # plus the trunk's address and one per branch ENI.
    assert eni_slots_for_pods(limits(M5_LARGE), settings) == 2
    assert (held.enis, held.trunk_eni, held.branch_enis) == (2, True, 4)
    assert held.node_subnet.security_group_enis == 5
    assert held.total == 20 + 5


def test_security_group_pods_beyond_the_branch_limit_get_no_address() -> None:
    settings = CniSettings(security_groups_for_pods=True)
    held = node_addresses(limits(M5_LARGE), settings, pool_pods=0, security_group_pods=12)
    assert (held.branch_enis, held.pods_without_address) == (9, 3)
    not_trunking = node_addresses(limits(T3_MEDIUM), settings, pool_pods=0, security_group_pods=2)
    assert (not_trunking.trunk_eni, not_trunking.pods_without_address) == (False, 2)


def test_custom_networking_puts_trunk_and_branches_in_the_pod_subnet() -> None:
    settings = CniSettings(CniMode.CUSTOM_NETWORKING, security_groups_for_pods=True)
    held = node_addresses(limits(M5_LARGE), settings, pool_pods=5, security_group_pods=2)
    assert held.node_subnet.total == 1
    assert held.pod_subnet.security_group_enis == 3


def test_max_eni_caps_the_pool() -> None:
    held = node_addresses(limits(M5_24XLARGE), CniSettings(max_eni=2), 200)
    assert (held.enis, held.total, held.pods_without_address) == (2, 100, 200 - 98)


def test_ipv6_takes_one_ipv4_address_per_node() -> None:
    settings = CniSettings.for_mode(CniMode.IPV6)
    assert node_addresses(limits(M5_24XLARGE, max_pods=250), settings, 248).total == 1


def test_fargate_takes_one_address_per_pod() -> None:
    assert fargate_addresses(7).total == 7
    assert fargate_addresses(0).total == 0


def test_every_mode_round_trips_through_settings() -> None:
    for mode in CniMode:
        assert CniSettings.for_mode(mode).mode is mode
