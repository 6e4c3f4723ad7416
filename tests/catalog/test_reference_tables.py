"""The catalogue and node math reproduce every row of the published reference tables.

Each test checks a whole table and lists every row that drifted, so one failure names them all.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from eks_plan.catalog import Catalog, load_catalog
from eks_plan.catalog.capacity import NodeSettings, allocatable, eni_max_pods
from eks_plan.resources import AMD_GPU, CPU, EPHEMERAL_STORAGE, MEMORY, NEURON, NVIDIA_GPU, PODS

MIB = 2**20
GIB = 2**30


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def read_eni_max_pods(path: Path) -> dict[str, int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {
        line.split()[0]: int(line.split()[1]) for line in lines if line.strip() and not line.startswith("#")
    }


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_karpenter_allocatable_table_every_row(catalog: Catalog, reference_dir: Path) -> None:
    """Karpenter v1.14 AL2023 allocatable (20Gi root, default options), all 1,363 types."""
    rows = read_tsv(reference_dir / "karpenter-allocatable-al2023.tsv")
    assert len(rows) == 1363
    drifted = []
    for row in rows:
        instance_type = catalog.lookup(row["instance_type"])
        node = allocatable(instance_type, NodeSettings())
        got = {
            "vcpu": instance_type.vcpus,
            "memory_mib": instance_type.memory_mib,
            "arch": instance_type.arch,
            "alloc_cpu_millicores": node[CPU],
            "alloc_memory_mib": node[MEMORY] / MIB,
            "alloc_ephemeral_storage_gib": node[EPHEMERAL_STORAGE] / GIB,
            "pods": node[PODS],
            "nvidia_gpu": node[NVIDIA_GPU],
            "amd_gpu": node[AMD_GPU],
            "neuron": node[NEURON],
        }
        expected = {key: (value if key == "arch" else int(value)) for key, value in row.items() if key in got}
        if got != expected:
            drifted.append(
                (row["instance_type"], {k: (got[k], expected[k]) for k in got if got[k] != expected[k]})
            )
    assert drifted == []


def test_eni_max_pods_txt_every_type(catalog: Catalog, reference_dir: Path) -> None:
    """amazon-vpc-cni-k8s eni-max-pods.txt: every type in the catalogue reproduces its value; the
    others are exactly the types the catalogue lists as left out (macOS-only, or no vCPU/memory
    facts anywhere), so no row goes unaccounted."""
    table = read_eni_max_pods(reference_dir / "eni-max-pods.txt")
    assert len(table) == 1391
    drifted = {
        name: (eni_max_pods(catalog.lookup(name)), value)
        for name, value in table.items()
        if name in catalog and eni_max_pods(catalog.lookup(name)) != value
    }
    assert drifted == {}
    left_out = set(catalog.info["excluded_macos_only"]) | set(catalog.info["excluded_without_vcpu_or_memory"])
    assert {name for name in table if name not in catalog} <= left_out
    assert len([name for name in table if name in catalog]) == 1365


def test_vpc_limits_facts(catalog: Catalog, reference_dir: Path) -> None:
    """ENI, IPv4, trunking and branch facts equal vpc-limits.tsv for every type in both."""
    drifted = []
    for row in read_tsv(reference_dir / "vpc-limits.tsv"):
        instance_type = catalog.get(row["instance_type"])
        if instance_type is None:
            continue
        got = (
            instance_type.default_card_enis,
            instance_type.max_enis_all_cards,
            instance_type.network_cards,
            instance_type.ipv4_per_eni,
            instance_type.trunking_compatible,
            instance_type.branch_interfaces,
            instance_type.hypervisor,
            instance_type.bare_metal,
        )
        expected = (
            int(row["default_card_max_enis"]),
            int(row["max_enis_all_cards"]),
            int(row["network_cards"]),
            int(row["ipv4_per_eni"]),
            row["trunking_compatible"] == "true",
            int(row["branch_interfaces"]),
            row["hypervisor"],
            row["bare_metal"] == "true",
        )
        if got != expected:
            drifted.append((row["instance_type"], got, expected))
    assert drifted == []


def test_instance_specs(catalog: Catalog, reference_dir: Path) -> None:
    drifted = []
    for row in read_tsv(reference_dir / "ec2-instance-specs.tsv"):
        t = catalog.lookup(row["instance_type"])
        got = {
            "vcpu": str(t.vcpus),
            "memory_mib": str(t.memory_mib),
            "arch": t.arch,
            "category": t.category,
            "family": t.family,
            "generation": str(t.generation),
            "size": t.size,
            "gpu_count": str(t.gpu_count) if t.gpu_name else "",  # g6f: fractional GPUs, count 0
            "gpu_name": t.gpu_name or "",
            "gpu_memory_mib": str(t.gpu_memory_mib or ""),
            "accelerator_name": t.accelerator_name or "",
            "local_nvme_gib": str(t.local_nvme_gib or ""),
            "network_bandwidth_mbps": str(t.network_bandwidth_mbps or ""),
        }
        expected = {key: row[key] for key in got}
        if got != expected:
            drifted.append((row["instance_type"], got, expected))
    assert drifted == []


@pytest.mark.parametrize(
    ("region", "column"),
    [
        ("us-east-1", "price_usd_per_hour"),
        ("us-gov-east-1", "price_usd_per_hour"),
        ("us-gov-west-1", "price_usd_per_hour"),
        ("cn-north-1", "price_cny_per_hour"),
    ],
)
def test_on_demand_prices(catalog: Catalog, reference_dir: Path, region: str, column: str) -> None:
    rows = read_tsv(reference_dir / f"ec2-ondemand-prices-{region}.tsv")
    drifted = [
        (row["instance_type"], t.price_per_hour(region), row[column])
        for row in rows
        if (t := catalog.get(row["instance_type"])) is not None
        and t.price_per_hour(region) != float(row[column])
    ]
    assert drifted == []
    # Every priced type that has vCPU/memory facts is in the catalogue with its price.
    assert sum(1 for t in catalog if t.price_per_hour(region) is not None) == sum(
        1 for row in rows if row["instance_type"] in catalog
    )
    assert catalog.currency(region) == column.split("_")[1].upper()
