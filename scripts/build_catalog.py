#!/usr/bin/env python
"""Build the bundled instance catalogue ``data/catalog.json`` from public facts.

Sources, in order of precedence for each fact:

1. ``../shared/reference/`` (see its README.md): ``ec2-instance-specs.tsv`` (vCPU, memory, arch,
   hypervisor, category/family/generation/size, GPUs, accelerators, NVMe, bandwidth; Karpenter's
   DescribeInstanceTypes-generated tables), ``vpc-limits.tsv`` (ENIs per card, IPv4 per ENI,
   trunking and branch ENIs), ``eni-max-pods.txt`` (cross-check only), and
   ``ec2-ondemand-prices-<region>.tsv`` (on-demand Linux prices).
2. The AWS ``DescribeInstanceTypes`` dump and per-region / per-zone ``DescribeInstanceTypeOfferings``
   dumps that moto ships in ``moto/ec2/resources/``: current-generation flag, network cards and the
   regions and zones that offer each type, and every fact of types that the reference tables lack.

moto is read here only, at build time; eks-plan never imports it at runtime.

A type is kept when its vCPU count and memory are known (reference specs or moto) and it can run an
EKS Linux node: the ``mac*`` families are macOS-only and are left out. Types named only by an ENI
or price table (no vCPU or memory anywhere) are left out too and counted in ``info``.

The output is one JSON document with one line per instance type, so a refresh reads as a diff.
Run it again after updating the reference files or moto:

    python scripts/build_catalog.py [--reference DIR] [--output data/catalog.json]

The build checks every type against eni-max-pods.txt and stops if the ENI facts disagree.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
DEFAULT_OUTPUT = REPO_ROOT / "data" / "catalog.json"
FORMAT_VERSION = 1

#: Where each reference file came from, transcribed from reference/README.md; the build checks that
#: every commit named here still appears in that README, so a refreshed README forces an update.
REFERENCE_ORIGINS: dict[str, dict[str, str]] = {
    "ec2-instance-specs.tsv": {
        "origin": "aws/karpenter-provider-aws website/content/en/preview/reference/instance-types.md "
        "(Labels tables, from EC2 DescribeInstanceTypes in us-east-1, us-east-2, us-west-2)",
        "commit": "692ccdd0629e488300821443f0fa0bc3c3e08047",
        "date": "2026-07-11",
    },
    "vpc-limits.tsv": {
        "origin": "aws/karpenter-provider-aws pkg/providers/instancetype/zz_generated.vpclimits.go",
        "commit": "7f27b4e85d3157418ab84eb04a3c91da7cb8fbba",
        "date": "2026-08-18",
    },
    "eni-max-pods.txt": {
        "origin": "aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt (v1.23.1)",
        "commit": "b52188387f2e2f10bf289ace929d6a63b176a4fa",
        "date": "2026-08-20",
    },
    "ec2-ondemand-prices-us-east-1.tsv": {
        "origin": "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go",
        "commit": "6fc13b5236fd04fd16ff3f9dc7490d0813994099",
        "date": "2026-07-20",
    },
    "ec2-ondemand-prices-us-gov-east-1.tsv": {
        "origin": "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws_us_gov.go",
        "commit": "6fc13b5236fd04fd16ff3f9dc7490d0813994099",
        "date": "2026-07-20",
    },
    "ec2-ondemand-prices-us-gov-west-1.tsv": {
        "origin": "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws_us_gov.go",
        "commit": "6fc13b5236fd04fd16ff3f9dc7490d0813994099",
        "date": "2026-07-20",
    },
    "ebs-attachments.tsv": {
        "origin": "moto 5.2.1 moto/ec2/resources/instance_types.json.gz (EC2 DescribeInstanceTypes "
        "EbsInfo.MaximumEbsAttachments and AttachmentLimitType)",
        "date": "2026-05-10",
    },
    "ebs-attachments-supplement.tsv": {
        "origin": "kubernetes-sigs/aws-ebs-csi-driver pkg/cloud/limits/volume_limits_table.go and its "
        "default (27 shared), per row's source column, for types moto lacks",
        "date": "2026-08-19",
    },
    "ec2-ondemand-prices-cn-north-1.tsv": {
        "origin": "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws_cn.go",
        "commit": "655d4733d635e2b633333373c969b1327deb7a81",
        "date": "2024-11-06",
    },
}

#: Families that run only macOS: no EKS node can be one of them.
EXCLUDED_FAMILY = re.compile(r"^mac")

#: Karpenter's instance-type name scheme: category letters, an optional "-Ntb" (u-6tb1), generation.
NAME_SCHEME = re.compile(r"^([a-z]+)(-[0-9]+tb)?([0-9]+).*\.")

COLUMNS = (
    "name",
    "vcpus",
    "memory_mib",
    "arch",
    "hypervisor",
    "bare_metal",
    "category",
    "family",
    "generation",
    "size",
    "current_generation",
    "cpu_manufacturer",
    "gpu_count",
    "gpu_name",
    "gpu_manufacturer",
    "gpu_memory_mib",
    "accelerator_count",
    "accelerator_name",
    "accelerator_manufacturer",
    "neuron_cores",
    "default_card_enis",
    "max_enis_all_cards",
    "network_cards",
    "ipv4_per_eni",
    "trunking_compatible",
    "branch_interfaces",
    "efa_interfaces",
    "local_nvme_gib",
    "network_bandwidth_mbps",
    "capability_flex",
    "offering_row",
    "offerings_complete",
    "price_row",
    "ebs_attachments",
    "ebs_attachment_kind",
)


def read_tsv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return {row["instance_type"]: row for row in csv.DictReader(file, delimiter="\t")}


def read_eni_max_pods(path: Path) -> dict[str, int]:
    table: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split()
            table[name] = int(value)
    return table


def moto_resources() -> tuple[Path, str]:
    """Folder of moto's EC2 resource dumps and moto's version, found without importing moto."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("moto")
    except PackageNotFoundError:
        sys.exit("moto is not installed: pip install 'moto[ec2]>=5' (a build-time source only)")
    folder = Path(str(dist.locate_file("moto/ec2/resources")))
    if not (folder / "instance_types.json.gz").exists():
        sys.exit(f"moto {dist.version} has no EC2 instance type dump in {folder}")
    return folder, dist.version


def read_gzip_json(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return json.load(file)


def moto_offerings(folder: Path, kind: str) -> dict[str, dict[str, set[str]]]:
    """``{region: {instance type: {locations}}}`` from moto's offering dumps of one location kind."""
    result: dict[str, dict[str, set[str]]] = {}
    for path in sorted((folder / "instance_type_offerings" / kind).glob("*.json.gz")):
        region = path.name.removesuffix(".json.gz")
        by_type: dict[str, set[str]] = {}
        for offer in read_gzip_json(path):
            by_type.setdefault(offer["InstanceType"], set()).add(offer["Location"])
        result[region] = by_type
    return result


def neuron_cores(info: dict[str, Any] | None) -> int | None:
    """NeuronCores of a type as Karpenter advertises ``aws.amazon.com/neuroncore``
    (aws/karpenter-provider-aws ``pkg/providers/instancetype/types.go`` ``awsNeuronCores``: the first
    Neuron device entry's count times its ``CoreInfo.Count``), from the DescribeInstanceTypes dump."""
    devices = ((info or {}).get("NeuronInfo") or {}).get("NeuronDevices") or []
    if not devices:
        return None
    return int(devices[0]["Count"]) * int(devices[0]["CoreInfo"]["Count"])


#: ``Zone(region_name="us-east-1", name="us-east-1a", zone_id="use1-az6")`` in moto's source.
MOTO_ZONE = re.compile(
    r'Zone\(\s*region_name="([a-z0-9-]+)",\s*name="([a-z0-9-]+)",\s*zone_id="([a-z0-9-]+)",?\s*\)'
)


def moto_zone_ids() -> dict[str, dict[str, str]]:
    """``{region: {zone letter: zone ID}}`` from the literal zone table of moto's
    ``moto/ec2/models/availability_zones_and_regions.py`` (read as text, not imported). That table is
    one AWS account's mapping: AWS maps zone names to zone IDs per account in older regions, so
    the IDs are an example of a real mapping, one per zone, not the user's own. Zones moto
    generates from a pattern (no literal entry) are left out."""
    from importlib.metadata import distribution

    source = Path(str(distribution("moto").locate_file("moto/ec2/models/availability_zones_and_regions.py")))
    mapping: dict[str, dict[str, str]] = {}
    for region, zone, zone_id in MOTO_ZONE.findall(source.read_text(encoding="utf-8")):
        if zone.startswith(region):
            mapping.setdefault(region, {})[zone.removeprefix(region)] = zone_id
    return {region: dict(sorted(zones.items())) for region, zones in sorted(mapping.items())}


def optional_int(text: str) -> int | None:
    return int(text) if text else None


def from_moto(name: str, info: dict[str, Any]) -> dict[str, Any]:
    """The spec fields of one type from a DescribeInstanceTypes record, in Karpenter's label formats."""
    match = NAME_SCHEME.match(name)
    family, size = name.split(".", 1)
    architectures = info["ProcessorInfo"]["SupportedArchitectures"]
    gpus = (info.get("GpuInfo") or {}).get("Gpus") or []
    neuron = (info.get("NeuronInfo") or {}).get("NeuronDevices") or []
    inference = (info.get("InferenceAcceleratorInfo") or {}).get("Accelerators") or []
    storage = info.get("InstanceStorageInfo") or {}
    network = info["NetworkInfo"]
    default_card = next(
        card
        for card in network["NetworkCards"]
        if card["NetworkCardIndex"] == network.get("DefaultNetworkCardIndex", 0)
    )
    fields: dict[str, Any] = {
        "vcpus": info["VCpuInfo"]["DefaultVCpus"],
        "memory_mib": info["MemoryInfo"]["SizeInMiB"],
        "arch": "arm64" if "arm64" in architectures else "amd64",
        "hypervisor": info.get("Hypervisor", "") if not info["BareMetal"] else "",
        "category": match.group(1) if match else family,
        "family": family,
        "generation": int(match.group(3)) if match else None,
        "size": size,
        "cpu_manufacturer": info["ProcessorInfo"].get("Manufacturer", "").lower() or None,
        "gpu_count": None,
        "gpu_name": None,
        "gpu_manufacturer": None,
        "gpu_memory_mib": None,
        "accelerator_count": None,
        "accelerator_name": None,
        "accelerator_manufacturer": None,
        "local_nvme_gib": storage.get("TotalSizeInGB")
        if storage.get("NvmeSupport") in ("required", "supported")
        else None,
        "network_bandwidth_mbps": round(default_card.get("BaselineBandwidthInGbps", 0) * 1000) or None,
        "capability_flex": "-flex" in family,
    }
    if gpus:
        gpu = gpus[0]
        fields.update(
            gpu_count=gpu["Count"],
            gpu_name=gpu["Name"].lower().replace(" ", "-"),
            gpu_manufacturer=gpu["Manufacturer"].lower(),
            gpu_memory_mib=gpu["MemoryInfo"]["SizeInMiB"],
        )
    accelerators = neuron or inference
    if accelerators:
        device = accelerators[0]
        fields.update(
            accelerator_count=device["Count"],
            accelerator_name=device["Name"].lower(),
            accelerator_manufacturer=device.get("Manufacturer", "AWS").lower(),
        )
    return fields


def from_reference_specs(row: dict[str, str]) -> dict[str, Any]:
    return {
        "vcpus": int(row["vcpu"]),
        "memory_mib": int(row["memory_mib"]),
        "arch": row["arch"],
        "hypervisor": row["hypervisor"],
        "category": row["category"],
        "family": row["family"],
        "generation": optional_int(row["generation"]),
        "size": row["size"],
        "cpu_manufacturer": row["cpu_manufacturer"] or None,
        "gpu_count": optional_int(row["gpu_count"]),
        "gpu_name": row["gpu_name"] or None,
        "gpu_manufacturer": row["gpu_manufacturer"] or None,
        "gpu_memory_mib": optional_int(row["gpu_memory_mib"]),
        "accelerator_count": optional_int(row["accelerator_count"]),
        "accelerator_name": row["accelerator_name"] or None,
        "accelerator_manufacturer": row["accelerator_manufacturer"] or None,
        "local_nvme_gib": optional_int(row["local_nvme_gib"]),
        "network_bandwidth_mbps": optional_int(row["network_bandwidth_mbps"]),
        "capability_flex": row["capability_flex"] == "true",
    }


def network_from_vpc_limits(row: dict[str, str]) -> dict[str, Any]:
    return {
        "default_card_enis": int(row["default_card_max_enis"]),
        "max_enis_all_cards": int(row["max_enis_all_cards"]),
        "network_cards": int(row["network_cards"]),
        "ipv4_per_eni": int(row["ipv4_per_eni"]),
        "trunking_compatible": row["trunking_compatible"] == "true",
        "branch_interfaces": int(row["branch_interfaces"]),
        "bare_metal": row["bare_metal"] == "true",
    }


def network_from_moto(info: dict[str, Any]) -> dict[str, Any]:
    """ENI facts from DescribeInstanceTypes. Branch ENIs are not in the EC2 API (only in the VPC
    resource controller's table), so a type missing from vpc-limits.tsv gets no trunking."""
    network = info["NetworkInfo"]
    default_index = network.get("DefaultNetworkCardIndex", 0)
    cards = network["NetworkCards"]
    return {
        "default_card_enis": next(
            card["MaximumNetworkInterfaces"] for card in cards if card["NetworkCardIndex"] == default_index
        ),
        "max_enis_all_cards": sum(card["MaximumNetworkInterfaces"] for card in cards),
        "network_cards": len(cards),
        "ipv4_per_eni": network["Ipv4AddressesPerInterface"],
        "trunking_compatible": False,
        "branch_interfaces": 0,
        "bare_metal": bool(info["BareMetal"]),
    }


def read_ebs_attachments(reference: Path) -> dict[str, tuple[int, str]]:
    """Per type, EC2's ``MaximumEbsAttachments`` and ``AttachmentLimitType`` (shared: EBS volumes
    share the slots with ENIs; dedicated: they do not): ``ebs-attachments.tsv`` first, then the
    supplement for types it lacks; rows whose limit is unknown are left out."""
    limits: dict[str, tuple[int, str]] = {}
    for file_name in ("ebs-attachments.tsv", "ebs-attachments-supplement.tsv"):
        path = reference / file_name
        if not path.exists():
            continue
        for name, row in read_tsv(path).items():
            limit, kind = row["maximum_ebs_attachments"], row["attachment_limit_type"]
            if limit and kind in ("shared", "dedicated") and name not in limits:
                limits[name] = (int(limit), kind)
    return limits


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(reference: Path, built_on: str) -> dict[str, Any]:
    readme = (reference / "README.md").read_text(encoding="utf-8")
    for file_name, origin in REFERENCE_ORIGINS.items():
        if "commit" in origin and origin["commit"] not in readme:
            sys.exit(f"reference/README.md no longer names commit {origin['commit']} for {file_name}")

    specs = read_tsv(reference / "ec2-instance-specs.tsv")
    vpc_limits = read_tsv(reference / "vpc-limits.tsv")
    eni_max_pods = read_eni_max_pods(reference / "eni-max-pods.txt")
    ebs_limits = read_ebs_attachments(reference)
    price_files = sorted(reference.glob("ec2-ondemand-prices-*.tsv"))
    prices: dict[str, dict[str, float]] = {}
    currencies: dict[str, str] = {}
    for path in price_files:
        region = path.name.removeprefix("ec2-ondemand-prices-").removesuffix(".tsv")
        rows = read_tsv(path)
        price_column = next(column for column in next(iter(rows.values())) if column.startswith("price_"))
        currencies[region] = price_column.split("_")[1].upper()
        prices[region] = {name: float(row[price_column]) for name, row in rows.items()}

    moto_folder, moto_version = moto_resources()
    moto_types: dict[str, dict[str, Any]] = read_gzip_json(moto_folder / "instance_types.json.gz")
    moto_regions = moto_offerings(moto_folder, "region")
    moto_zones = moto_offerings(moto_folder, "availability-zone")
    region_zones = {region: sorted(set().union(*by_type.values())) for region, by_type in moto_zones.items()}

    named_anywhere = set(specs) | set(vpc_limits) | set(eni_max_pods) | set(moto_types)
    for table in prices.values():
        named_anywhere |= set(table)
    excluded_macos = sorted(name for name in named_anywhere if EXCLUDED_FAMILY.match(name))
    kept = sorted(
        name
        for name in (set(specs) | set(moto_types))
        if not EXCLUDED_FAMILY.match(name) and name not in excluded_macos
    )
    excluded_unknown = sorted(named_anywhere - set(kept) - set(excluded_macos))

    rows: list[list[Any]] = []
    problems: list[str] = []
    for name in kept:
        record: dict[str, Any] = {"name": name}
        moto_info = moto_types.get(name)
        record.update(from_reference_specs(specs[name]) if name in specs else from_moto(name, moto_info))
        if name in vpc_limits:
            record.update(network_from_vpc_limits(vpc_limits[name]))
        elif moto_info is not None:
            record.update(network_from_moto(moto_info))
        else:
            problems.append(f"{name}: no ENI facts in vpc-limits.tsv or moto")
            continue
        if moto_info is not None:
            # vpc-limits marks bare metal too; moto agrees where both know the type.
            record["bare_metal"] = record["bare_metal"] or bool(moto_info["BareMetal"])
            record["current_generation"] = bool(moto_info["CurrentGeneration"])
            record["efa_interfaces"] = (moto_info["NetworkInfo"].get("EfaInfo") or {}).get(
                "MaximumEfaInterfaces", 0
            )
        else:
            # Types newer than moto's dump: AWS marks only older families as previous generation.
            record["current_generation"] = True
            record["efa_interfaces"] = None
        record["neuron_cores"] = neuron_cores(moto_info)
        if record["bare_metal"]:
            record["hypervisor"] = ""
        expected = eni_max_pods.get(name)
        computed = record["default_card_enis"] * (record["ipv4_per_eni"] - 1) + 2
        if expected is not None and expected != computed:
            problems.append(f"{name}: ENI facts give {computed} pods, eni-max-pods.txt says {expected}")

        offerings: dict[str, str] = {}
        if moto_info is not None:
            for region, by_type in moto_regions.items():
                if name in by_type:
                    zones = moto_zones.get(region, {}).get(name, set())
                    offerings[region] = "".join(sorted(zone.removeprefix(region) for zone in zones))
        for region, table in prices.items():
            if name in table and region not in offerings:
                offerings[region] = ""
        record["offerings"] = dict(sorted(offerings.items()))
        record["prices"] = {region: table[name] for region, table in sorted(prices.items()) if name in table}
        # moto's offering dumps list every type they know in every region they cover; a type they do
        # not know (newer than the dump) has offering facts only where a price file names it.
        record["offerings_complete"] = moto_info is not None
        record["ebs_attachments"], record["ebs_attachment_kind"] = ebs_limits.get(name, (None, None))
        rows.append(record)

    if problems:
        sys.exit("catalogue facts disagree:\n  " + "\n  ".join(problems))

    sources = {
        file_name: {**origin, "sha256": sha256(reference / file_name)}
        for file_name, origin in REFERENCE_ORIGINS.items()
        if (reference / file_name).exists()
    }
    sources["moto"] = {
        "origin": f"moto {moto_version} (PyPI) moto/ec2/resources: instance_types.json.gz and "
        "instance_type_offerings/{region,availability-zone}/*.json.gz (AWS DescribeInstanceTypes and "
        "DescribeInstanceTypeOfferings dumps); zone IDs from the literal Zone(...) table of "
        "moto/ec2/models/availability_zones_and_regions.py",
        "version": moto_version,
    }
    offering_columns = sorted(set(moto_regions) | set(prices))

    def encode(row: dict[str, Any], column: str) -> Any:
        if column == "offering_row":
            return [row["offerings"].get(region) for region in offering_columns]
        if column == "price_row":
            return [row["prices"].get(region) for region in sorted(prices)]
        return row[column]

    return {
        "format": FORMAT_VERSION,
        "info": {
            "built": built_on,
            "builder": "scripts/build_catalog.py",
            "instance_types": len(rows),
            "price_regions": {region: currencies[region] for region in sorted(prices)},
            "prices_dated": {
                region: REFERENCE_ORIGINS[f"ec2-ondemand-prices-{region}.tsv"]["date"]
                for region in sorted(prices)
                if f"ec2-ondemand-prices-{region}.tsv" in REFERENCE_ORIGINS
            },
            "zone_regions": len(region_zones),
            "excluded_macos_only": excluded_macos,
            "excluded_without_vcpu_or_memory": excluded_unknown,
            "sources": sources,
        },
        "currencies": {region: currencies[region] for region in sorted(prices)},
        # Zone letter -> zone ID per region, one account's mapping (see moto_zone_ids).
        "zone_ids": moto_zone_ids(),
        "zones": {
            region: [zone.removeprefix(region) for zone in zones]
            for region, zones in sorted(region_zones.items())
        },
        # Regions whose offering facts are complete for types with offerings_complete.
        "offering_regions": sorted(moto_regions),
        # Per type, "offerings" and "prices" are lists aligned with these two region lists: zone
        # letters (or null: not known to be sold there) and prices (or null).
        "offering_columns": offering_columns,
        "price_columns": sorted(prices),
        "columns": list(COLUMNS),
        "types": [[encode(row, column) for column in COLUMNS] for row in rows],
    }


def dump(catalog: dict[str, Any]) -> str:
    """JSON with one line per instance type, so a refresh shows up as a readable diff."""
    head = {key: value for key, value in catalog.items() if key != "types"}
    text = json.dumps(head, indent=1, sort_keys=False)
    rows = ",\n".join(json.dumps(row, separators=(",", ":")) for row in catalog["types"])
    return text[:-2] + ',\n "types": [\n' + rows + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="reference/ folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="catalogue file to write")
    parser.add_argument(
        "--built-on", default=dt.date.today().isoformat(), help="date recorded as the build date"
    )
    arguments = parser.parse_args(argv)
    catalog = build(arguments.reference, arguments.built_on)
    text = dump(catalog)
    json.loads(text)  # the hand-joined layout must still be valid JSON
    arguments.output.write_text(text, encoding="utf-8")
    info = catalog["info"]
    print(
        f"wrote {arguments.output}: {info['instance_types']} instance types, "
        f"prices for {', '.join(info['price_regions'])}, zones for {info['zone_regions']} regions; "
        f"left out {len(info['excluded_macos_only'])} macOS-only and "
        f"{len(info['excluded_without_vcpu_or_memory'])} types with no vCPU/memory facts"
    )


if __name__ == "__main__":
    main()
