"""The ``eks-plan workloads`` report: what the planner understood from the manifests.

:func:`workloads_data` returns the plain ``dict`` printed by ``-o json``/``-o yaml``;
:func:`render_workloads` draws the same data as Rich tables (Rich is imported only there).

Quantities are written with :func:`eks_plan.resources.format_amount` (``250m``, ``128Mi``, ``256M``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eks_plan.manifests.model import ManifestSet, Workload
from eks_plan.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    NVIDIA_GPU,
    PODS,
    format_amount,
    is_byte_resource,
    total,
)

if TYPE_CHECKING:
    from rich.console import Console

#: Units for sums people read (:func:`format_total`); exact quantities use ``format_amount``.
_BINARY_UNITS = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def format_total(resource: str, amount: int) -> str:
    """A large sum for people: cpu in cores (millicores below one), bytes in the largest binary
    unit, to a tenth.

    >>> format_total("cpu", 54200), format_total("cpu", 484), format_total("cpu", 72000)
    ('54.2 cores', '484m', '72 cores')
    >>> format_total("memory", 116288 * 2**20), format_total("memory", 870 * 2**20)
    ('113.6Gi', '870Mi')
    """
    if resource == CPU:
        if amount < 1000:
            return f"{amount}m"
        return f"{amount / 1000:,.1f}".removesuffix(".0") + " cores"
    if is_byte_resource(resource):
        for suffix, size in _BINARY_UNITS:
            if amount >= size:
                return f"{amount // size}{suffix}" if amount % size == 0 else f"{amount / size:.1f}{suffix}"
    return str(amount)


def workload_row(workload: Workload) -> dict[str, Any]:
    """One workload as plain data: identity, replicas and why, per-pod requests, source."""
    pod = workload.pod
    return {
        "kind": workload.kind,
        "namespace": workload.namespace,
        "name": workload.name,
        "replicas": workload.replicas,
        "replicas_reason": workload.replicas_reason,
        "declared_replicas": workload.declared_replicas,
        "hpa": (
            {"name": workload.hpa_name, "min_replicas": workload.hpa_min, "max_replicas": workload.hpa_max}
            if workload.hpa_name is not None
            else None
        ),
        "max_surge": workload.max_surge,
        "max_unavailable": workload.max_unavailable,
        "suspended": workload.suspended,
        "pod_requests": pod.requests.as_dict(),
        "containers": [
            {
                "name": container.name,
                "role": str(container.role),
                "requests": container.requests.as_dict(),
                "limits": container.limits.as_dict(),
                "declared": container.declared,
            }
            for container in workload.containers
        ],
        "priority_class": pod.priority_class_name,
        "priority": pod.priority,
        "node_selector": [str(requirement) for requirement in pod.node_selector.node_selector.requirements],
        "required_node_affinity": [
            [str(requirement) for requirement in term.requirements] for term in pod.node_selector.terms
        ],
        "tolerations": len(pod.tolerations),
        "pod_anti_affinity": sorted({term.topology_key for term in pod.pod_anti_affinity}),
        "topology_spread": [
            {
                "topology_key": constraint.topology_key,
                "max_skew": constraint.max_skew,
                "when_unsatisfiable": str(constraint.when_unsatisfiable),
            }
            for constraint in pod.topology_spread
        ],
        "host_network": pod.host_network,
        "host_ports": [port.port for port in pod.host_ports],
        "source": str(workload.source),
    }


def workloads_data(manifests: ManifestSet) -> dict[str, Any]:
    """The whole report as plain data (the JSON shape is documented in the README).

    ``totals`` counts workload objects (DaemonSets included), pods to place at the chosen replica
    mode (DaemonSets excluded) and the effective requests summed over those pods.
    """
    requests = manifests.total_requests()
    daemonsets = manifests.daemonsets
    return {
        "replica_mode": str(manifests.replica_mode),
        "files": len(manifests.files),
        "documents": manifests.documents,
        "totals": {
            "workloads": len(manifests.workloads),
            "pods": manifests.total_pods,
            "daemonsets": len(daemonsets),
            "cpu_millicores": requests[CPU],
            "memory_bytes": requests[MEMORY],
            "gpus": requests[NVIDIA_GPU],
        },
        "requests": {name: amount for name, amount in requests.as_dict().items() if name != PODS},
        "workloads": [workload_row(workload) for workload in manifests.pods_to_place],
        "daemonsets": [
            {
                "namespace": workload.namespace,
                "name": workload.name,
                "per_node_requests": workload.pod.requests.as_dict(),
                "tolerations": len(workload.pod.tolerations),
                "node_selector": [str(r) for r in workload.pod.node_selector.node_selector.requirements],
                "source": str(workload.source),
            }
            for workload in daemonsets
        ],
        "daemonset_overhead_per_node": total(workload.pod.requests for workload in daemonsets).as_dict(),
        "pdbs": [
            {
                "namespace": pdb.namespace,
                "name": pdb.name,
                "min_available": pdb.min_available,
                "max_unavailable": pdb.max_unavailable,
                "source": str(pdb.source),
            }
            for pdb in manifests.pdbs
        ],
        **_storage(manifests),
        "ignored_kinds": dict(manifests.ignored_kinds),
        "owned_skipped": manifests.owned_skipped,
        "warnings": [
            {"code": warning.code, "message": warning.message, "location": str(warning.location)}
            for warning in manifests.warnings
        ],
    }


def _storage(manifests: ManifestSet) -> dict[str, Any]:
    """``{"storage": ...}`` when the manifests have StorageClasses or workloads with persistent volumes:
    the classes, the default class (and whether it was assumed), each workload's volumes, the notes."""
    from eks_plan.storage.volumes import storage_inventory

    if not manifests.storage_classes and not any(workload.volumes for workload in manifests.workloads):
        return {}
    inventory = storage_inventory(manifests)
    return {
        "storage": {
            "default_storage_class": inventory.default_class.name if inventory.default_class else None,
            "default_storage_class_assumed": inventory.default_assumed,
            "storage_classes": [
                {
                    "name": storage_class.name,
                    "provisioner": storage_class.provisioner,
                    "ebs_type": storage_class.ebs_type,
                    "volume_binding_mode": storage_class.volume_binding_mode,
                    "allowed_zones": list(storage_class.allowed_zones),
                    "default": storage_class.is_default,
                    "source": str(storage_class.source),
                }
                for storage_class in manifests.storage_classes
            ],
            "volumes": [
                {"workload": key, **volume.as_dict()}
                for key, volumes in inventory.volumes.items()
                for volume in volumes
            ],
            "notes": list(inventory.notes),
        }
    }


def summary_line(data: dict[str, Any]) -> str:
    """One line that sums the report up, e.g. for the end of the table output.

    >>> summary_line({"totals": {"workloads": 12, "pods": 14, "daemonsets": 1, "cpu_millicores": 1570,
    ...               "memory_bytes": 1434451968, "gpus": 0}, "files": 1, "documents": 35,
    ...               "replica_mode": "max", "warnings": [{}]}).split("; ")
    ['12 workloads (1 DaemonSet): 14 pods to place requesting 1.6 cores and 1.3Gi memory', \
'35 objects in 1 file', '1 warning']
    """
    totals = data["totals"]
    gpus = f", {totals['gpus']} GPUs" if totals["gpus"] else ""
    daemonsets = totals["daemonsets"]
    warnings = len(data["warnings"])
    files = data["files"]
    return (
        f"{totals['workloads']} workloads ({daemonsets} DaemonSet{'' if daemonsets == 1 else 's'}): "
        f"{totals['pods']} pods to place requesting {format_total(CPU, totals['cpu_millicores'])} and "
        f"{format_total(MEMORY, totals['memory_bytes'])} memory{gpus}; {data['documents']} objects in "
        f"{files} file{'' if files == 1 else 's'}; {warnings} warning{'' if warnings == 1 else 's'}"
    )


def _requests_cells(requests: dict[str, int], columns: tuple[str, ...]) -> list[str]:
    return [format_amount(name, requests[name]) if requests.get(name) else "-" for name in columns]


def _resource_columns(rows: list[dict[str, int]]) -> tuple[str, ...]:
    """cpu and memory always; GPUs, ephemeral storage and other extended resources when requested."""
    present = {name for row in rows for name, amount in row.items() if amount}
    extra = sorted(present - {CPU, MEMORY, PODS, NVIDIA_GPU, EPHEMERAL_STORAGE})
    optional = [name for name in (NVIDIA_GPU, EPHEMERAL_STORAGE) if name in present]
    return (CPU, MEMORY, *optional, *extra)


_HEADERS = {CPU: "cpu", MEMORY: "memory", NVIDIA_GPU: "GPU", EPHEMERAL_STORAGE: "ephemeral"}


def render_workloads(data: dict[str, Any], console: Console) -> None:
    """Rich tables of :func:`workloads_data`: workloads, DaemonSets, ignored kinds, warnings, totals."""
    from rich.markup import escape
    from rich.table import Table

    from eks_plan.report.layout import print_table

    columns = _resource_columns([row["pod_requests"] for row in data["workloads"]])
    table = Table(
        title=f"Workloads (replicas: {data['replica_mode']}; requests per pod)", title_justify="left"
    )
    # Numbers never wrap; the reason wraps and the workload and its source fold on narrow terminals.
    table.add_column("workload [dim]source[/]", overflow="fold", ratio=3, min_width=22)
    table.add_column("pods", justify="right", no_wrap=True)
    table.add_column("why", ratio=2, min_width=14)
    for name in columns:
        table.add_column(_HEADERS.get(name, name), justify="right", no_wrap=True)
    for row in data["workloads"]:
        identity = f"{row['kind']} {escape(row['namespace'])}/{escape(row['name'])}"
        table.add_row(
            f"{identity}\n[dim]{escape(row['source'])}[/]",
            str(row["replicas"]),
            escape(row["replicas_reason"]),
            *_requests_cells(row["pod_requests"], columns),
        )
    print_table(console, table)

    if data["daemonsets"]:
        columns = _resource_columns([row["per_node_requests"] for row in data["daemonsets"]])
        daemonsets = Table(
            title="DaemonSets (one pod on every node they select; requests per node)", title_justify="left"
        )
        daemonsets.add_column("DaemonSet [dim]source[/]", overflow="fold")
        for name in columns:
            daemonsets.add_column(_HEADERS.get(name, name), justify="right", no_wrap=True)
        for row in data["daemonsets"]:
            daemonsets.add_row(
                f"{escape(row['namespace'])}/{escape(row['name'])}\n[dim]{escape(row['source'])}[/]",
                *_requests_cells(row["per_node_requests"], columns),
            )
        daemonsets.add_section()
        overhead = data["daemonset_overhead_per_node"]
        daemonsets.add_row("[bold]all DaemonSets, per node[/]", *_requests_cells(overhead, columns))
        print_table(console, daemonsets)

    if data.get("storage"):
        from eks_plan.report.storage import render_workload_volumes

        render_workload_volumes(data["storage"], console)

    if data["ignored_kinds"]:
        ignored = ", ".join(f"{kind} {count}" for kind, count in data["ignored_kinds"].items())
        console.print(f"[dim]ignored kinds:[/] {ignored}")
    if data["owned_skipped"]:
        console.print(f"[dim]owned by a controller, skipped:[/] {data['owned_skipped']}")
    if data["warnings"]:
        console.print(f"[yellow]warnings ({len(data['warnings'])}):[/]")
        for warning in data["warnings"]:
            console.print(f"  {warning['location']}: {warning['message']}", soft_wrap=True, markup=False)
    totals = data["totals"]
    requests = data["requests"]
    extra = ", ".join(
        f"{name} {format_total(name, amount)}"
        for name, amount in requests.items()
        if name not in (CPU, MEMORY)
    )
    console.print(
        f"[bold]totals:[/] {totals['pods']} pods, cpu {format_total(CPU, totals['cpu_millicores'])}, "
        f"memory {format_total(MEMORY, totals['memory_bytes'])}" + (f", {extra}" if extra else "")
    )
    console.print(summary_line(data), markup=False)
