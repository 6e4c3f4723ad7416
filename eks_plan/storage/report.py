"""The storage part of the ``size`` report: the volumes, what they cost a month, each node's EBS
volumes against its slots, and (with zone loss) the pods that wait for their zone.

:func:`storage_data` is plain data (the plan JSON's ``storage`` key); :func:`render_storage` draws it
with Rich, imported only when called.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from eks_plan.planning import LoadedCluster
    from eks_plan.solver.plan import Plan


def volume_costs(planning: LoadedCluster) -> tuple[list[dict[str, Any]], float, int, list[str]]:
    """Every workload volume with its count and monthly cost: ``(volumes, total, unpriced, notes)``.

    Per-pod volumes (templates, ephemeral) count once per replica; a PVC several workloads mount, once.
    """
    from eks_plan.storage.pricing import load_ebs_prices

    inventory = planning.storage
    prices = load_ebs_prices()
    volumes: list[dict[str, Any]] = []
    notes: list[str] = []
    seen_shared: set[str] = set()
    total = 0.0
    unpriced = 0
    for key, workload in sorted(planning.workloads.items()):
        for volume in inventory.volumes.get(workload.key, ()) if inventory is not None else ():
            if volume.per_pod:
                count = workload.replicas
            else:
                if volume.claim in seen_shared:
                    continue
                seen_shared.add(volume.claim)
                count = 1
            each = None
            if volume.is_ebs and volume.ebs_type != "unknown":
                price = prices.monthly(
                    planning.region, volume.ebs_type or "", volume.size_bytes, volume.iops, volume.throughput
                )
                each = price.cost
                if price.note:
                    notes.append(f"{key} volume {volume.name} ({volume.ebs_type}): {price.note}")
            elif volume.is_ebs:
                notes.append(f"{key} volume {volume.name}: an existing EBS volume of unknown type and size")
            if each is None:
                unpriced += count
            else:
                total += each * count
            volumes.append(
                {
                    "workload": key,
                    **volume.as_dict(),
                    "count": count,
                    "iops": volume.iops,
                    "throughput_mibps": volume.throughput,
                    "cost_per_month_each": each,
                    "cost_per_month": None if each is None else round(each * count, 6),
                }
            )
    return volumes, round(total, 6), unpriced, notes


def storage_data(plan: Plan, planning: LoadedCluster) -> dict[str, Any] | None:
    """The ``storage`` block of the plan, or ``None`` when no workload mounts a persistent volume."""
    from eks_plan.storage.pricing import load_ebs_prices

    inventory = planning.storage
    if inventory is None or not inventory.volumes:
        return None
    prices = load_ebs_prices()
    volumes, total, unpriced, notes = volume_costs(planning)
    groups = {group.key: group for group in planning.problem.pod_groups}
    per_node = []
    for node in plan.nodes:
        used = sum(_volumes_per_pod(planning, key) * count for key, count in node.pods.items())
        slots = planning.volume_slots_by_type.get(node.option.instance_type)
        if used or slots is not None:
            per_node.append(
                {
                    "node": node.name,
                    "instance_type": node.option.instance_type,
                    "ebs_volumes": used,
                    **(slots.as_dict() if slots is not None else {}),
                }
            )
    unavailable = []
    if planning.problem.tolerate_zone_loss:
        by_zone: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for node in plan.nodes:
            for key, count in node.pods.items():
                if count and groups[key].zone_bound:
                    by_zone[node.option.zone][key] += count
        for zone, pods in sorted(by_zone.items()):
            for key, count in sorted(pods.items()):
                unavailable.append({"zone": zone, "workload": key, "pods": count})
    return {
        "cost_per_month": round(total, 6),
        "currency": prices.currency,
        "prices_dated": prices.dated,
        "prices_source": prices.source,
        "unpriced_volumes": unpriced,
        "default_storage_class": inventory.default_class.name if inventory.default_class else None,
        "default_storage_class_assumed": inventory.default_assumed,
        "volumes": volumes,
        "nodes": per_node,
        "zone_loss_unavailable": unavailable,
        "notes": list(dict.fromkeys(note for note in notes if note)),
    }


def _volumes_per_pod(planning: LoadedCluster, key: str) -> int:
    """EBS volumes one pod of the group ``key`` attaches (the solver's request may be left out when
    the limit cannot bind, so this reads the inventory)."""
    workload = planning.workloads.get(key)
    if planning.storage is None or workload is None:
        return 0
    return planning.storage.ebs_volumes_per_pod(workload.key)


def _size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return "?"
    if size_bytes % 2**40 == 0:
        return f"{size_bytes // 2**40}Ti"
    return f"{-(-size_bytes // 2**30)}Gi"


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
