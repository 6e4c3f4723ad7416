"""Every node cell of DOMAIN.md §7 and the max-pods examples of §1 and §2, as the document states them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.capacity import (
    CniMode,
    MemoryModel,
    NodeSettings,
    NodeStyle,
    allocatable,
    eni_max_pods,
    eviction_threshold,
    kube_reserved,
    kube_reserved_cpu_millicores,
    max_pods,
    memory_capacity_mib,
    recommended_pod_cap,
)
from eks_plan.resources import CPU, EPHEMERAL_STORAGE, MEMORY, PODS

MIB = 2**20
GIB = 2**30
TYPES = ("m5.large", "m5.24xlarge", "t3.medium", "c6g.16xlarge", "p4d.24xlarge")

# DOMAIN.md §7, one list per row, columns in TYPES order.
SECTION_7 = {
    "vcpu_memory_arch": [(2, 8192, "amd64"), (96, 393216, "amd64"), (2, 4096, "amd64"), (64, 131072, "arm64"),
                         (96, 1179648, "amd64")],
    "enis_all_cards_ipv4_trunk_branch": [(3, 3, 10, True, 9), (15, 15, 50, True, 107), (3, 3, 6, False, 0),
                                         (15, 15, 50, True, 107), (15, 60, 50, True, 62)],
    "eni_formula": [29, 737, 17, 737, 737],
    "calculator_recommended_mng": [29, 250, 17, 250, 250],
    "pd_raw_capped": [(434, 110), (11762, 250), (242, 110), (11762, 250), (11762, 250)],
    "custom_networking_capped": [(20, 20), (688, 250), (12, 12), (688, 250), (688, 250)],
    "custom_networking_pd_raw_capped": [(290, 110), (10978, 250), (162, 110), (10978, 250), (10978, 250)],
    "auto_mode": [29, 110, 17, 110, 110],
    "kube_reserved_cpu": [70, 310, 70, 230, 310],
    "kube_reserved_memory_mib": [574, 8362, 442, 8362, 8362],
    "eviction_memory_mib": [100, 100, 100, 100, 100],
    "allocatable_cpu": [1930, 95690, 1930, 63770, 95690],
    "allocatable_memory_nominal_mib": [7518, 384754, 3554, 122610, 1171186],
    "karpenter_capacity_memory_mib": [7577, 363724, 3788, 121182, 1091174],
    "allocatable_memory_karpenter_mib": [6903, 355262, 3246, 112720, 1082712],
    "allocatable_ephemeral_gib": [17, 17, 17, 17, 17],
    "on_demand_us_east_1": [0.096, 4.608, 0.0416, 2.176, 21.957642],
    "price_per_allocatable_vcpu": [0.0497, 0.0482, 0.0216, 0.0341, 0.2295],
}  # fmt: skip


def column(name: str) -> list[tuple[str, object]]:
    return list(zip(TYPES, SECTION_7[name], strict=True))


def lookup(name: str):
    return load_catalog().lookup(name)


@pytest.mark.parametrize(("name", "expected"), column("vcpu_memory_arch"))
def test_hardware(name: str, expected: tuple) -> None:
    t = lookup(name)
    assert (t.vcpus, t.memory_mib, t.arch) == expected


@pytest.mark.parametrize(("name", "expected"), column("enis_all_cards_ipv4_trunk_branch"))
def test_network_facts(name: str, expected: tuple) -> None:
    t = lookup(name)
    assert (t.default_card_enis, t.max_enis_all_cards, t.ipv4_per_eni, t.trunking_compatible,
            t.branch_interfaces) == expected  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), column("eni_formula"))
def test_eni_formula_is_every_uncapped_default(name: str, expected: int) -> None:
    t = lookup(name)
    assert eni_max_pods(t) == expected
    for style in (NodeStyle.SELF_MANAGED, NodeStyle.KARPENTER, NodeStyle.BOTTLEROCKET):
        assert max_pods(t, NodeSettings(node_style=style)) == expected


@pytest.mark.parametrize(("name", "expected"), column("calculator_recommended_mng"))
def test_managed_node_group_cap(name: str, expected: int) -> None:
    t = lookup(name)
    assert min(eni_max_pods(t), recommended_pod_cap(t)) == expected
    assert max_pods(t, NodeSettings(node_style=NodeStyle.MANAGED_NODE_GROUP)) == expected


@pytest.mark.parametrize(
    ("row", "mode"),
    [
        ("pd_raw_capped", CniMode.PREFIX_DELEGATION),
        ("custom_networking_capped", CniMode.CUSTOM_NETWORKING),
        ("custom_networking_pd_raw_capped", CniMode.CUSTOM_NETWORKING_PREFIX),
    ],
)
@pytest.mark.parametrize("index", range(len(TYPES)))
def test_modes_raw_and_capped(row: str, mode: CniMode, index: int) -> None:
    t = lookup(TYPES[index])
    raw, capped = SECTION_7[row][index]
    assert eni_max_pods(t, mode) == raw
    assert max_pods(t, NodeSettings(mode, NodeStyle.MANAGED_NODE_GROUP)) == capped


@pytest.mark.parametrize(("name", "expected"), column("auto_mode"))
def test_auto_mode(name: str, expected: int) -> None:
    assert max_pods(lookup(name), NodeSettings(node_style=NodeStyle.AUTO_MODE)) == expected


@pytest.mark.parametrize("index", range(len(TYPES)))
@pytest.mark.parametrize("style", list(NodeStyle))
def test_reserved_and_allocatable(index: int, style: NodeStyle) -> None:
    """kube-reserved uses the uncapped ENI pods on AL2023 even where maxPods is capped (§2.2, §7
    notes); Bottlerocket-based styles use their effective maxPods."""
    t = lookup(TYPES[index])
    settings = NodeSettings(node_style=style)
    reserved = kube_reserved(t, settings)
    assert reserved[CPU] == SECTION_7["kube_reserved_cpu"][index]
    assert eviction_threshold(settings)[MEMORY] == SECTION_7["eviction_memory_mib"][index] * MIB
    node = allocatable(t, settings)
    assert node[CPU] == SECTION_7["allocatable_cpu"][index]
    assert node[EPHEMERAL_STORAGE] == SECTION_7["allocatable_ephemeral_gib"][index] * GIB
    assert memory_capacity_mib(t, settings) == SECTION_7["karpenter_capacity_memory_mib"][index]
    if style in (NodeStyle.KARPENTER, NodeStyle.SELF_MANAGED, NodeStyle.MANAGED_NODE_GROUP):
        assert reserved[MEMORY] == SECTION_7["kube_reserved_memory_mib"][index] * MIB
        assert node[MEMORY] == SECTION_7["allocatable_memory_karpenter_mib"][index] * MIB
        nominal = allocatable(t, NodeSettings(node_style=style, memory_model=MemoryModel.NOMINAL))
        assert nominal[MEMORY] == SECTION_7["allocatable_memory_nominal_mib"][index] * MIB
    else:
        assert reserved[MEMORY] == (11 * node[PODS] + 255) * MIB


def test_mng_m5_24xlarge_keeps_eni_based_reservation() -> None:
    """§2.2: an MNG m5.24xlarge with maxPods 250 still reserves 11 x 737 + 255 = 8362Mi."""
    node = allocatable(lookup("m5.24xlarge"), NodeSettings(node_style=NodeStyle.MANAGED_NODE_GROUP))
    assert node[PODS] == 250
    assert node[MEMORY] == 355262 * MIB


@pytest.mark.parametrize(("name", "expected"), column("on_demand_us_east_1"))
def test_price(name: str, expected: float) -> None:
    assert lookup(name).price_per_hour("us-east-1") == expected


@pytest.mark.parametrize(("name", "expected"), column("price_per_allocatable_vcpu"))
def test_price_per_allocatable_vcpu(name: str, expected: float) -> None:
    t = lookup(name)
    per_vcpu = t.price_per_hour("us-east-1") / (allocatable(t, NodeSettings())[CPU] / 1000)
    assert round(per_vcpu, 4) == expected


# §1 examples beyond the §7 table.
def test_section_1_examples() -> None:
    m5 = lookup("m5.large")
    # EKS User Guide: m5.large 29; custom networking 20; prefix delegation recommended 110.
    assert eni_max_pods(m5) == 29
    assert eni_max_pods(m5, CniMode.CUSTOM_NETWORKING) == 20
    assert max_pods(m5, NodeSettings(CniMode.PREFIX_DELEGATION, NodeStyle.MANAGED_NODE_GROUP)) == 110
    # BPG: PD raw 434 -> 110; custom networking + PD 290 -> "we suggest 110".
    assert eni_max_pods(m5, CniMode.PREFIX_DELEGATION) == 434
    assert eni_max_pods(m5, CniMode.CUSTOM_NETWORKING_PREFIX) == 290
    # Only card 0 counts: p4d 4 cards x 15 ENIs -> 737; p5.48xlarge 2 ENIs on card 0 -> 2 x 49 + 2.
    assert eni_max_pods(lookup("p4d.24xlarge")) == 737
    p5 = lookup("p5.48xlarge")
    assert (p5.default_card_enis, p5.ipv4_per_eni, eni_max_pods(p5)) == (2, 50, 100)
    # §1.6 branch ENIs: m5.large 9, m5.24xlarge 107, c6g.16xlarge 107, p4d 62, t3.medium 0.
    branches = {"m5.large": 9, "m5.24xlarge": 107, "c6g.16xlarge": 107, "p4d.24xlarge": 62, "t3.medium": 0}
    for name, expected in branches.items():
        node = allocatable(lookup(name), NodeSettings(security_groups_for_pods=True))
        assert node["vpc.amazonaws.com/pod-eni"] == expected
    assert lookup("t3.medium").trunking_compatible is False
    # §1.6 node-group limit: 5 m5.large nodes x 9 branch ENIs = 45.
    assert 5 * allocatable(m5, NodeSettings(security_groups_for_pods=True))["vpc.amazonaws.com/pod-eni"] == 45
    # §1.2: exactly 30 vCPUs still gets the 110 cap (strict -gt 30).
    assert recommended_pod_cap(replace(m5, vcpus=30)) == 110
    assert recommended_pod_cap(replace(m5, vcpus=31)) == 250
    # §1.7: IPv6 uses prefixes; MNG keeps the 110/250 cap, Auto Mode 110.
    assert max_pods(m5, NodeSettings(CniMode.IPV6, NodeStyle.MANAGED_NODE_GROUP)) == 110
    assert max_pods(lookup("m5.24xlarge"), NodeSettings(CniMode.IPV6, NodeStyle.AUTO_MODE)) == 110


def test_bare_metal_and_xen_prefix_delegation() -> None:
    """PD needs Nitro; the CNI (>= 1.11) supports it on bare metal; Xen falls back to one IP a slot."""
    t2 = lookup("t2.large")
    assert t2.hypervisor == "xen"
    assert eni_max_pods(t2, CniMode.PREFIX_DELEGATION) == eni_max_pods(t2)
    metal = lookup("m5.metal")
    assert metal.bare_metal and metal.hypervisor == ""
    assert eni_max_pods(metal, CniMode.PREFIX_DELEGATION) == (eni_max_pods(metal) - 2) * 16 + 2


def test_section_2_1_cpu_table() -> None:
    table = {1: 60, 2: 70, 3: 75, 4: 80, 5: 82, 6: 85, 8: 90, 16: 110, 32: 150, 36: 160, 48: 190, 64: 230,
             72: 250, 96: 310, 128: 390, 192: 550}  # fmt: skip
    assert {v: kube_reserved_cpu_millicores(v) for v in table} == table
    # Bottlerocket's test vector: 47 cores -> 187m.
    assert kube_reserved_cpu_millicores(47) == 187


def test_max_pods_override_wins_but_not_al2023_reservation() -> None:
    """§1.3 / §2.2: an explicit maxPods wins everywhere; nodeadm and Karpenter still reserve memory
    for the ENI pods, Bottlerocket for the override."""
    m5 = lookup("m5.large")
    for style in NodeStyle:
        assert max_pods(m5, NodeSettings(node_style=style, max_pods=1)) == 1
    karpenter = kube_reserved(m5, NodeSettings(node_style=NodeStyle.KARPENTER, max_pods=1))
    self_managed = kube_reserved(m5, NodeSettings(node_style=NodeStyle.SELF_MANAGED, max_pods=1))
    bottlerocket = kube_reserved(m5, NodeSettings(node_style=NodeStyle.BOTTLEROCKET, max_pods=1))
    assert karpenter[MEMORY] == self_managed[MEMORY] == 574 * MIB
    assert bottlerocket[MEMORY] == (11 * 1 + 255) * MIB


def test_max_eni_and_reserved_enis() -> None:
    m5_24 = lookup("m5.24xlarge")
    assert eni_max_pods(m5_24, max_eni=4) == 4 * 49 + 2
    assert max_pods(m5_24, NodeSettings(max_eni=4)) == 198
    assert max_pods(m5_24, NodeSettings(reserved_enis=1)) == 14 * 49 + 2
    # Karpenter reserves memory for the ENI pods with no reserved ENIs, whatever RESERVED_ENIS is.
    assert kube_reserved(m5_24, NodeSettings(reserved_enis=1))[MEMORY] == 8362 * MIB


def test_vm_overhead_percent_setting() -> None:
    m5 = lookup("m5.large")
    assert memory_capacity_mib(m5, NodeSettings(vm_memory_overhead_percent=0)) == 8192
    assert memory_capacity_mib(m5, NodeSettings(vm_memory_overhead_percent=10)) == 8192 - 820
    root_40 = allocatable(m5, NodeSettings(root_volume_gib=40))
    assert root_40[EPHEMERAL_STORAGE] == 40 * GIB - GIB - 4 * GIB
