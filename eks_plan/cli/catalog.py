"""``eks-plan catalog``: look up instance types, their allocatable, max pods and prices."""

from __future__ import annotations

from collections.abc import Iterable

import typer

from eks_plan.cli.options import parse_choice
from eks_plan.cli.output import OutputFormat, print_data, stderr, stdout

CNI_MODES = "secondary-ip, prefix-delegation, custom-networking, custom-networking-prefix, ipv6"
NODE_STYLES = "self-managed, managed-node-group, auto-mode, karpenter, bottlerocket"
SORT_KEYS = (  # the keys of eks_plan.report.catalog.SORT_COLUMNS (tests/cli/test_catalog.py checks)
    "name, vcpus, memory, arch, cpu, allocatable-memory, pods, price, price-per-vcpu, price-per-gib, gpus"
)


def command(
    instance_type: str | None = typer.Argument(None, help="Show one instance type in full, e.g. m7i.large."),
    vcpus: int | None = typer.Option(None, "--vcpus", help="Exactly this many vCPUs."),
    vcpus_min: int | None = typer.Option(None, "--vcpus-min", help="At least this many vCPUs."),
    vcpus_max: int | None = typer.Option(None, "--vcpus-max", help="At most this many vCPUs."),
    memory_min: float | None = typer.Option(None, "--memory-min", help="At least this much memory, GiB."),
    memory_max: float | None = typer.Option(None, "--memory-max", help="At most this much memory, GiB."),
    arch: str | None = typer.Option(None, "--arch", help="amd64 (x86_64) or arm64 (Graviton)."),
    family: list[str] = typer.Option(
        [], "--family", help="Instance family or name glob, repeatable: m7i, 'm7*', 'c7g.*large'."
    ),
    generation: str | None = typer.Option(None, "--generation", help="current or previous generation."),
    gpus: int | None = typer.Option(None, "--gpus", help="Exactly this many GPUs (0: no GPU)."),
    gpu_name: str | None = typer.Option(None, "--gpu-name", help="GPU model, e.g. a10g, l4, h100."),
    region: str = typer.Option("us-east-1", "--region", help="Region for offerings and prices."),
    zone: str | None = typer.Option(None, "--zone", help="Only types offered in this availability zone."),
    max_price: float | None = typer.Option(
        None, "--max-price", help="At most this on-demand price per hour."
    ),
    cni_mode: str = typer.Option("secondary-ip", "--cni-mode", help=f"VPC CNI mode: {CNI_MODES}."),
    node_style: str = typer.Option("karpenter", "--node-style", help=f"Who sets maxPods: {NODE_STYLES}."),
    memory_model: str = typer.Option(
        "karpenter", "--memory-model", help="karpenter (VM overhead estimate) or nominal."
    ),
    vm_memory_overhead_percent: float = typer.Option(
        7.5, "--vm-memory-overhead-percent", help="Karpenter's VM memory overhead estimate, percent."
    ),
    security_groups_for_pods: bool = typer.Option(
        False, "--security-groups-for-pods", help="ENABLE_POD_ENI: trunk ENI, branch ENIs."
    ),
    max_pods: int | None = typer.Option(None, "--max-pods", help="An explicit kubelet maxPods."),
    sort: str = typer.Option("price", "--sort", help=f"Sort column: {SORT_KEYS}."),
    descending: bool = typer.Option(False, "--desc", help="Sort in descending order."),
    limit: int | None = typer.Option(None, "--limit", help="Show at most this many types."),
    info: bool = typer.Option(
        False, "--info", help="Print the catalogue's date and the origin of its facts."
    ),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--output", "-o", help="table, json or yaml."),
) -> None:
    """Look up EC2 instance types: allocatable cpu and memory, max pods, price per hour.

    Filters work like amazon-ec2-instance-selector; columns show what a node of each type really
    offers pods (EKS AMI kube-reserved, eviction, Karpenter's memory estimate) and what it costs.

    Examples:

    \b
    eks-plan catalog --family 'm7*' --arch arm64 --vcpus 4
    eks-plan catalog --memory-min 16 --memory-max 32 --generation current --sort price-per-vcpu --limit 10
    eks-plan catalog --gpus 1 --gpu-name l4 --region us-west-2 --zone us-west-2b
    eks-plan catalog --cni-mode prefix-delegation --node-style managed-node-group --family c7i
    eks-plan catalog m7i.large
    eks-plan catalog --info
    eks-plan catalog --vcpus 2 --family m7i -o json
    """
    from eks_plan.catalog import load_catalog
    from eks_plan.catalog.capacity import CniMode, MemoryModel, NodeSettings, NodeStyle
    from eks_plan.catalog.filters import CatalogFilters
    from eks_plan.catalog.listing import list_types, type_detail
    from eks_plan.report import catalog as report

    catalog = load_catalog()
    if info:
        data = report.info_data(catalog)
        if output is OutputFormat.TABLE:
            report.render_info(data, stdout())
        else:
            print_data(data, output)
        return

    settings = NodeSettings(
        cni_mode=parse_choice(CniMode, cni_mode, "--cni-mode"),
        node_style=parse_choice(NodeStyle, node_style, "--node-style"),
        memory_model=parse_choice(MemoryModel, memory_model, "--memory-model"),
        vm_memory_overhead_percent=vm_memory_overhead_percent,
        security_groups_for_pods=security_groups_for_pods,
        max_pods=max_pods,
    )
    if instance_type is not None:
        detail = type_detail(catalog, instance_type, settings, region, zone)
        _warn(detail.notes)
        if output is OutputFormat.TABLE:
            report.render_detail(detail.data, stdout())
        else:
            print_data(detail.data, output)
        return

    filters = CatalogFilters(
        vcpus=vcpus,
        vcpus_min=vcpus_min,
        vcpus_max=vcpus_max,
        memory_min_gib=memory_min,
        memory_max_gib=memory_max,
        arch=arch,
        families=tuple(family),
        generation=generation,
        gpus=gpus,
        gpu_name=gpu_name,
        region=region,
        zone=zone,
    )
    listing = list_types(
        catalog, filters, settings, sort=sort, descending=descending, limit=limit, max_price=max_price
    )
    _warn(listing.notes)
    if output is OutputFormat.TABLE:
        report.render_table(listing.rows, stdout(), listing.title)
    else:
        print_data(listing.rows, output)


def _warn(notes: Iterable[object]) -> None:
    for note in notes:
        stderr().print(f"[yellow]warning:[/] {note}", markup=True, soft_wrap=True)
