"""Reports of ``eks-plan catalog``: plain data for JSON/YAML, and Rich renderings for people.

The ``*_data`` functions return plain dicts and lists; the ``render_*`` functions import Rich lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from eks_plan.catalog import Catalog, InstanceType
from eks_plan.catalog.capacity import (
    CniMode,
    NodeSettings,
    NodeStyle,
    capacity_breakdown,
    eni_max_pods,
    max_pods,
)
from eks_plan.catalog.pricing import Pricing
from eks_plan.report import count_of
from eks_plan.resources import CPU, MEMORY

if TYPE_CHECKING:
    from rich.console import Console

MIB = 2**20

#: Sort keys of the list: column name -> the row field it sorts by.
SORT_COLUMNS = {
    "name": "name",
    "vcpus": "vcpus",
    "memory": "memory_mib",
    "arch": "arch",
    "cpu": "allocatable_cpu_millicores",
    "allocatable-memory": "allocatable_memory_mib",
    "pods": "max_pods",
    "price": "price_per_hour",
    "price-per-vcpu": "price_per_allocatable_vcpu",
    "price-per-gib": "price_per_allocatable_gib",
    "gpus": "gpu_count",
}


def type_row(instance_type: InstanceType, settings: NodeSettings, pricing: Pricing) -> dict[str, Any]:
    """One line of the list: the type's size, its allocatable under ``settings`` and its price."""
    breakdown = capacity_breakdown(instance_type, settings)
    cpu_millicores = breakdown.allocatable[CPU]
    memory_mib = breakdown.allocatable[MEMORY] // MIB
    price = pricing.price_per_hour(instance_type)
    return {
        "name": instance_type.name,
        "vcpus": instance_type.vcpus,
        "memory_mib": instance_type.memory_mib,
        "arch": instance_type.arch,
        "gpu_count": instance_type.gpu_count,
        "gpu_name": instance_type.gpu_name,
        "allocatable_cpu_millicores": cpu_millicores,
        "allocatable_memory_mib": memory_mib,
        "max_pods": breakdown.max_pods,
        "price_per_hour": price,
        "currency": pricing.currency,
        "price_per_allocatable_vcpu": _ratio(price, cpu_millicores / 1000),
        "price_per_allocatable_gib": _ratio(price, memory_mib / 1024),
    }


def _ratio(price: float | None, amount: float) -> float | None:
    if price is None or amount <= 0:
        return None
    return round(price / amount, 6)


def sort_rows(rows: list[dict[str, Any]], column: str, descending: bool = False) -> list[dict[str, Any]]:
    """Rows sorted by a :data:`SORT_COLUMNS` key (or a row field); unknown values (no price) last,
    ties broken by name."""
    field = SORT_COLUMNS.get(column, column)
    known = [row for row in rows if row.get(field) is not None]
    unknown = [row for row in rows if row.get(field) is None]
    known.sort(key=lambda row: row["name"])
    known.sort(key=lambda row: row[field], reverse=descending)
    return known + sorted(unknown, key=lambda row: row["name"])


def max_pods_matrix(instance_type: InstanceType, settings: NodeSettings) -> dict[str, dict[str, int]]:
    """Max pods for every CNI mode (rows) under every node style (columns) plus the raw formula,
    keeping the other settings (MAX_ENI, security groups for pods, reserved ENIs, maxPods)."""
    matrix: dict[str, dict[str, int]] = {}
    for mode in CniMode:
        if mode is CniMode.IPV6 and settings.security_groups_for_pods:
            continue
        row = {
            "formula": eni_max_pods(
                instance_type,
                mode,
                max_eni=settings.max_eni,
                security_groups_for_pods=settings.security_groups_for_pods,
                reserved_enis=settings.reserved_enis,
            )
        }
        for style in NodeStyle:
            variant = NodeSettings(
                cni_mode=mode,
                node_style=style,
                max_pods=settings.max_pods,
                max_eni=settings.max_eni,
                security_groups_for_pods=settings.security_groups_for_pods,
                reserved_enis=settings.reserved_enis,
            )
            row[style.value] = max_pods(instance_type, variant)
        matrix[mode.value] = row
    return matrix


def type_detail_data(
    instance_type: InstanceType, settings: NodeSettings, pricing: Pricing, catalog: Catalog
) -> dict[str, Any]:
    """Everything about one type: facts, offerings, prices, max pods in every mode, allocatable."""
    t = instance_type
    breakdown = capacity_breakdown(t, settings)
    region = pricing.settings.region
    return {
        "name": t.name,
        "vcpus": t.vcpus,
        "memory_mib": t.memory_mib,
        "arch": t.arch,
        "hypervisor": t.hypervisor,
        "bare_metal": t.bare_metal,
        "category": t.category,
        "family": t.family,
        "generation": t.generation,
        "size": t.size,
        "current_generation": t.current_generation,
        "cpu_manufacturer": t.cpu_manufacturer,
        "gpu": {
            "count": t.gpu_count,
            "name": t.gpu_name,
            "manufacturer": t.gpu_manufacturer,
            "memory_mib": t.gpu_memory_mib,
        }
        if t.gpu_name
        else None,
        "accelerator": {
            "count": t.accelerator_count,
            "name": t.accelerator_name,
            "manufacturer": t.accelerator_manufacturer,
        }
        if t.accelerator_name
        else None,
        "network": {
            "default_card_enis": t.default_card_enis,
            "max_enis_all_cards": t.max_enis_all_cards,
            "network_cards": t.network_cards,
            "ipv4_per_eni": t.ipv4_per_eni,
            "trunking_compatible": t.trunking_compatible,
            "branch_interfaces": t.branch_interfaces,
            "efa_interfaces": t.efa_interfaces,
            "bandwidth_mbps": t.network_bandwidth_mbps,
        },
        "local_nvme_gib": t.local_nvme_gib,
        "region": region,
        "offered_in_region": t.offered_in(region),
        "zones": list(t.zones_offered(region)),
        "price_per_hour": pricing.price_per_hour(t),
        "currency": pricing.currency,
        "prices_by_region": {
            r: {"price_per_hour": p, "currency": catalog.currency(r)} for r, p in t.prices.items()
        },
        "settings": {
            "cni_mode": settings.cni_mode.value,
            "node_style": settings.node_style.value,
            "memory_model": settings.memory_model.value,
            "vm_memory_overhead_percent": settings.vm_memory_overhead_percent,
            "root_volume_gib": settings.root_volume_gib,
            "max_pods": settings.max_pods,
            "security_groups_for_pods": settings.security_groups_for_pods,
        },
        "max_pods": breakdown.max_pods,
        "max_pods_by_mode": max_pods_matrix(t, settings),
        "kube_reserved_pods": breakdown.kube_reserved_pods,
        "allocatable": breakdown.allocatable.as_dict(),
        "allocatable_cpu_millicores": breakdown.allocatable[CPU],
        "allocatable_memory_mib": breakdown.allocatable[MEMORY] // MIB,
        "arithmetic": breakdown.lines(),
        "ebs": _ebs_detail(t, settings, breakdown.max_pods),
    }


def _ebs_detail(instance_type: InstanceType, settings: NodeSettings, node_max_pods: int) -> dict[str, Any]:
    """The type's EBS attachment limit and the EBS CSI driver's attachable-volume count under these
    settings (:mod:`eks_plan.storage.attach`)."""
    from eks_plan.network.ipamd import CniSettings
    from eks_plan.storage.attach import launch_volumes, volume_slots

    cni = CniSettings.for_mode(settings.cni_mode, security_groups_for_pods=settings.security_groups_for_pods)
    slots = volume_slots(
        instance_type, cni, node_max_pods, launch_volumes=launch_volumes(settings.node_style.value)
    )
    return {
        **slots.as_dict(),
        "all_enis_attachable_volumes": slots.at_enis(instance_type.max_enis_all_cards),
        "max_enis": instance_type.max_enis_all_cards,
        "eni_assumption": (
            f"the ENIs ipamd holds with {node_max_pods} pods ({settings.cni_mode.value}, warm ENI or prefix "
            "included), as kubelet re-reads the driver's count as ENIs attach"
        ),
    }


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "-"
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{value:.4f}" if value < 10 else f"{symbol}{value:.2f}"


def render_table(rows: Iterable[dict[str, Any]], console: Console, title: str) -> None:
    """The list as a Rich table."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for heading in (
        "type",
        "vCPU",
        "memory",
        "arch",
        "GPU",
        "alloc cpu",
        "alloc mem",
        "pods",
        "$/h",
        "$/vCPU·h",
        "$/GiB·h",
    ):
        table.add_column(heading, justify="left" if heading in ("type", "arch", "GPU") else "right")
    for row in rows:
        gpu = f"{row['gpu_count']}x {row['gpu_name']}" if row["gpu_name"] else ""
        table.add_row(
            row["name"],
            str(row["vcpus"]),
            f"{row['memory_mib'] / 1024:g}Gi",
            row["arch"],
            gpu,
            f"{row['allocatable_cpu_millicores']}m",
            f"{row['allocatable_memory_mib'] / 1024:.1f}Gi",
            str(row["max_pods"]),
            _money(row["price_per_hour"], row["currency"]),
            _money(row["price_per_allocatable_vcpu"], row["currency"]),
            _money(row["price_per_allocatable_gib"], row["currency"]),
        )
    _print_wide(console, table)


def _print_wide(console: Console, renderable: object) -> None:
    """Print a wide table whole: a terminal gets it at its own width, wrapped or stacked
    (:func:`eks_plan.report.layout.print_table`), a pipe or file one line per row, as wide as it
    takes (one instance type a line, for grep)."""
    from rich.table import Table

    from eks_plan.report.layout import print_table

    if console.is_terminal:
        if isinstance(renderable, Table):
            print_table(console, renderable)
        else:
            console.print(renderable)
        return
    narrow = console.width
    console.width = max(narrow, 160)
    try:
        if isinstance(renderable, Table):
            # Wider than 160 columns still: wrap rather than cut a value to "…".
            for column in renderable.columns:
                column.overflow = "fold"
        console.print(renderable, crop=False)
    finally:
        console.width = narrow


def render_detail(detail: dict[str, Any], console: Console) -> None:
    """One type in full: facts, max pods in every mode, the allocatable arithmetic."""
    from rich.table import Table

    network = detail["network"]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    generation = "current" if detail["current_generation"] else "previous"
    facts.add_row("type", f"{detail['name']} ({detail['family']}, {generation} generation)")
    facts.add_row(
        "hardware",
        f"{detail['vcpus']} vCPU, {detail['memory_mib']} MiB, {detail['arch']}, "
        f"{detail['cpu_manufacturer'] or '?'} CPU, "
        + ("bare metal" if detail["bare_metal"] else f"{detail['hypervisor'] or '?'} hypervisor"),
    )
    if detail["gpu"]:
        gpu = detail["gpu"]
        facts.add_row(
            "GPU", f"{gpu['count']} x {gpu['manufacturer']} {gpu['name']}, {gpu['memory_mib']} MiB each"
        )
    if detail["accelerator"]:
        accelerator = detail["accelerator"]
        facts.add_row(
            "accelerator", f"{accelerator['count']} x {accelerator['manufacturer']} {accelerator['name']}"
        )
    if detail["local_nvme_gib"]:
        facts.add_row("local NVMe", f"{detail['local_nvme_gib']} GiB")
    facts.add_row(
        "network",
        f"{network['default_card_enis']} ENIs on the default card ({network['max_enis_all_cards']} on "
        f"{count_of(network['network_cards'], 'card')}), {network['ipv4_per_eni']} IPv4 per ENI, "
        + (
            f"trunking: {network['branch_interfaces']} branch ENIs"
            if network["trunking_compatible"]
            else "no trunking (no security groups for pods)"
        )
        + (f", {network['bandwidth_mbps']} Mbps" if network["bandwidth_mbps"] else ""),
    )
    ebs = detail["ebs"]
    fresh, every = ebs["fresh_node_attachable_volumes"], ebs["all_enis_attachable_volumes"]
    if ebs["kind"] == "shared":
        ebs_text = (
            f"{ebs['limit']} attachments shared with ENIs: {ebs['attachable_volumes']} EBS volumes at "
            f"{ebs['planned_enis']} ENIs (ipamd at {detail['max_pods']} pods), {fresh} on a fresh node "
            f"(1 ENI), {every} with all {ebs['max_enis']} ENIs"
        )
    else:
        volumes = ebs["attachable_volumes"]
        ebs_text = f"{ebs['limit']} dedicated attachments: {volumes} EBS volumes, whatever the ENIs"
    taken = "root volume" if ebs["launch_volumes"] == 1 else f"{ebs['launch_volumes']} launch volumes"
    facts.add_row("EBS volumes", ebs_text + f" ({taken} taken)")
    zones = ", ".join(detail["zones"]) or "unknown"
    where = f"{detail['region']}: " + (f"zones {zones}" if detail["offered_in_region"] else "not offered")
    facts.add_row("offered", where)
    prices = ", ".join(
        f"{region} {_money(entry['price_per_hour'], entry['currency'] or 'USD')}"
        for region, entry in detail["prices_by_region"].items()
    )
    facts.add_row(
        "price",
        f"{_money(detail['price_per_hour'], detail['currency'])} per hour on-demand in {detail['region']}",
    )
    facts.add_row("bundled prices", prices or "none")
    _print_wide(console, facts)

    matrix = Table(
        title="max pods per node (CNI mode x node style)", title_justify="left", header_style="bold"
    )
    styles = [style.value for style in NodeStyle]
    for heading in ("CNI mode", "formula", *styles):
        matrix.add_column(heading, justify="left" if heading == "CNI mode" else "right")
    settings = detail["settings"]
    for mode, row in detail["max_pods_by_mode"].items():
        cells = [str(row["formula"])]
        for style in styles:
            value = str(row[style])
            if mode == settings["cni_mode"] and style == settings["node_style"]:
                value = f"[bold]{value}[/]"
            cells.append(value)
        matrix.add_row(mode, *cells)
    _print_wide(console, matrix)
    console.print(
        f"[bold]allocatable[/] ({settings['node_style']}, {settings['cni_mode']}, "
        f"{settings['memory_model']} memory model, {settings['root_volume_gib']}Gi root):"
    )
    for line in detail["arithmetic"]:
        _print_wide(console, f"  {line}")
    extended = {k: v for k, v in detail["allocatable"].items() if "/" in k}
    for name, value in extended.items():
        _print_wide(console, f"  {name}: {value}")


def info_data(catalog: Catalog) -> dict[str, Any]:
    """The catalogue's date and the origin of its facts (``--info``)."""
    return dict(catalog.info)


def render_info(info: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    console.print(
        f"[bold]eks-plan instance catalogue[/]: {info['instance_types']} instance types, built "
        f"{info['built']} by {info['builder']}"
    )
    prices = ", ".join(
        f"{region} ({currency}, {info['prices_dated'].get(region, '?')})"
        for region, currency in info["price_regions"].items()
    )
    console.print(f"on-demand prices: {prices}; other regions use us-east-1 prices")
    console.print(f"zones known for {info['zone_regions']} regions")
    table = Table(title="sources", title_justify="left", header_style="bold")
    for heading in ("file", "origin", "commit / version", "date"):
        table.add_column(heading, overflow="fold")
    for name, source in info["sources"].items():
        table.add_row(
            name, source["origin"], source.get("commit") or source.get("version", ""), source.get("date", "")
        )
    _print_wide(console, table)
    console.print(
        f"left out: {len(info['excluded_macos_only'])} macOS-only types, "
        f"{len(info['excluded_without_vcpu_or_memory'])} types with no vCPU/memory facts "
        f"({', '.join(info['excluded_without_vcpu_or_memory'][:6])}, ...)"
    )
