"""Rich tables of the storage part of the ``size`` and ``workloads`` reports: the volumes and their
cost, each node type's EBS volumes against its slots, and the pods that wait for a lost zone
(the data comes from :func:`eks_plan.storage.report.storage_data`)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def render_storage(data: dict[str, Any], console: Console) -> None:
    """The volumes table, the volume slots of each node type used, and the zone-loss list."""
    from rich import box
    from rich.table import Table

    from eks_plan.report.layout import print_table

    def table(title: str) -> Table:
        return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)

    volumes = table("Persistent volumes")
    for column in ("workload: volume", "class", "type", "size", "vols", "$/month"):
        volumes.add_column(column, justify="right" if column in ("size", "vols", "$/month") else "left")
    for item in data["volumes"]:
        cost = item["cost_per_month"]
        volumes.add_row(
            f"{item['workload']}: {item['name']}",
            item["storage_class"] or "-",
            item["ebs_type"] or (item["provisioner"] or "?"),
            _size(item["size_bytes"]),
            str(item["count"]),
            "-" if cost is None else f"{cost:,.2f}",
        )
    print_table(console, volumes)
    unpriced = f"; {data['unpriced_volumes']} volume(s) not priced" if data["unpriced_volumes"] else ""
    console.print(
        f"Storage per month: [bold]${data['cost_per_month']:,.2f}[/] (EBS prices dated "
        f"{data['prices_dated']}{unpriced})\n"
    )
    if data["nodes"]:
        slots = table("EBS volumes per node: used / attachable (EBS CSI driver count at the planned ENIs)")
        for column in ("instance type", "nodes", "most used", "attachable", "limit", "ENIs"):
            slots.add_column(column, justify="left" if column == "instance type" else "right")
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for node in data["nodes"]:
            by_type[node["instance_type"]].append(node)
        for instance_type, nodes in sorted(by_type.items()):
            first = nodes[0]
            slots.add_row(
                instance_type,
                str(len(nodes)),
                str(max(node["ebs_volumes"] for node in nodes)),
                str(first.get("attachable_volumes", "-")),
                f"{first.get('limit', '-')} {first.get('kind', '')}".strip(),
                str(first.get("planned_enis", "-")),
            )
        print_table(console, slots)
    if data["zone_loss_unavailable"]:
        console.print("Unavailable while their zone is down (EBS volumes stay in their zone):")
        for item in data["zone_loss_unavailable"]:
            console.print(f"  {item['zone']}: {item['pods']} pod(s) of {item['workload']}", markup=False)
        console.print()


#: kubectl's short names for access modes (``kubectl get pvc`` ACCESS MODES column).
_ACCESS = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def render_workload_volumes(data: dict[str, Any], console: Console) -> None:
    """``eks-plan workloads``: each workload's persistent volumes and the StorageClasses."""
    from rich.markup import escape
    from rich.table import Table

    from eks_plan.report.layout import print_table

    table = Table(title="Volumes (template, ephemeral: one per pod; claim: shared)", title_justify="left")
    table.add_column("workload [dim]volume[/]", overflow="fold", ratio=3, min_width=22)
    table.add_column("source")
    table.add_column("class", overflow="fold")
    table.add_column("EBS", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("access", overflow="fold")
    for volume in data["volumes"]:
        ebs = volume["ebs_type"] if volume["ebs"] else "no"
        table.add_row(
            f"{escape(volume['workload'])}\n[dim]{escape(volume['name'])}[/]",
            volume["source"],
            escape(volume["storage_class"] or "-"),
            ebs,
            _size(volume["size_bytes"]),
            ",".join(_ACCESS.get(mode, mode) for mode in volume["access_modes"]) or "-",
        )
    print_table(console, table)
    for storage_class in data["storage_classes"]:
        default = " (default)" if storage_class["default"] else ""
        console.print(
            f"[dim]StorageClass[/] {escape(storage_class['name'])}{default}: "
            f"{escape(storage_class['provisioner'])}"
            + (f", {storage_class['ebs_type']}" if storage_class["ebs_type"] else "")
            + f", {storage_class['volume_binding_mode']}"
        )
    for note in data["notes"]:
        console.print(f"note: {note}", style="dim", markup=False)


def _size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return "?"
    if size_bytes % 2**40 == 0:
        return f"{size_bytes // 2**40}Ti"
    return f"{-(-size_bytes // 2**30)}Gi"
