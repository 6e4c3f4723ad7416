"""The ``eks-plan size`` report: the plan document as plain data for ``-o json|yaml`` and ``--plan-out``,
and as Rich tables.

The document is built once from the solver's result (:func:`eks_plan.plan.build.build_plan_document`);
:func:`plan_file_data` is its plain data, the plan file format that ``eks-plan check-ips --plan`` reads
(``plan.schema.json``, documented in the README). :func:`render_plan` draws the same document for
people; it imports Rich only when called.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from eks_plan.plan.build import OPTIMAL_WITHIN_PER_HOUR, build_plan_document, plan_status, snake_case
from eks_plan.report import count_of
from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU, PODS

if TYPE_CHECKING:
    from rich.console import Console

    from eks_plan.config.model import PlanConfig
    from eks_plan.plan.document import PlanDocument, PlanWorkload
    from eks_plan.planning import LoadedCluster
    from eks_plan.solver.plan import Plan

__all__ = ["OPTIMAL_WITHIN_PER_HOUR", "plan_file_data", "plan_status", "render_plan", "snake_case"]


def plan_file_data(plan: Plan, planning: LoadedCluster, config: PlanConfig | None = None) -> dict[str, Any]:
    """The plan as plain data (the plan file's JSON shape): the document's :meth:`to_dict`."""
    return build_plan_document(plan, planning, config).to_dict()


def _bar(fraction: float, width: int = 12) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)


def _utilisation(document: PlanDocument) -> list[tuple[str, str, float, float]]:
    """(pool, resource, used, allocatable) per pool, counting pods and DaemonSets."""
    used: dict[tuple[str, str], float] = defaultdict(float)
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for node in document.nodes:
        pool = node.pool or node.instance_type
        for resource, allocatable, overhead in (
            (CPU, node.allocatable.cpu_millicores, node.daemonset_overhead.cpu_millicores),
            (MEMORY, node.allocatable.memory_bytes, node.daemonset_overhead.memory_bytes),
            (PODS, node.allocatable.pods, node.daemonset_overhead.pods),
            (NVIDIA_GPU, node.allocatable.gpus or 0, node.daemonset_overhead.gpus or 0),
        ):
            if resource == NVIDIA_GPU and not allocatable:
                continue
            capacity[(pool, resource)] += allocatable
            used[(pool, resource)] += overhead + sum(
                _request(document.workloads[key], resource) * count for key, count in node.pods.items()
            )
    return [(pool, resource, used[(pool, resource)], total) for (pool, resource), total in capacity.items()]


def _request(workload: PlanWorkload, resource: str) -> int:
    """One pod's request of ``resource`` (a pod takes one of the node's pod slots)."""
    if resource == CPU:
        return workload.requests.cpu_millicores
    if resource == MEMORY:
        return workload.requests.memory_bytes
    if resource == PODS:
        return 1
    return workload.requests.gpus or 0


def render_plan(document: PlanDocument, console: Console) -> None:
    """Draw the plan document as Rich tables: summary line, node groups, utilisation, bound,
    placement, problems."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from eks_plan.report.layout import print_table

    def table(title: str, **options: Any) -> Table:
        return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, **options)

    d = document
    currency = d.currency or "USD"
    money = "$" if currency == "USD" else f"{currency} "
    unit = "$" if currency == "USD" else currency
    unschedulable = d.unschedulable or ()
    fargate_pods = d.fargate.pods if d.fargate else ()
    node_count = d.node_count if d.node_count is not None else len(d.nodes)
    cost_per_hour, cost_per_month = d.cost_per_hour or 0.0, d.cost_per_month or 0.0
    node_cost, gap = d.node_cost_per_hour or 0.0, d.gap or 0.0
    unplaced = sum(item.count for item in unschedulable)
    placed = sum(sum(node.pods.values()) for node in d.nodes)
    on_fargate = sum(pod.count for pod in fargate_pods)
    zones_used = len({node.zone for node in d.nodes})
    if d.status == "optimal":
        bound = "optimal: equal to the proven lower bound"
    else:
        bound = f"within {gap:.2%} of the proven lower bound"
    console.print(
        f"[bold]{count_of(node_count, 'node')}[/] in {count_of(zones_used, 'zone')} for "
        f"{count_of(placed, 'pod')}"
        + (f" and {count_of(on_fargate, 'Fargate pod')}" if on_fargate else "")
        + ": "
        f"[bold]{money}{cost_per_hour:.4f}/hour[/] ({money}{cost_per_month:,.2f}/month), "
        + bound
        + (f"; [bold red]{count_of(unplaced, 'pod')} cannot be placed[/]" if unplaced else "")
    )

    groups = table("Node groups")
    for column in ("pool", "instance type", "zone", "capacity", "nodes", f"{unit}/hour", f"{unit}/month"):
        numeric = column in ("nodes", f"{unit}/hour", f"{unit}/month")
        groups.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for group in d.node_groups or ():
        groups.add_row(
            group.pool,
            group.instance_type,
            group.zone,
            group.capacity_type,
            str(group.count),
            f"{group.cost_per_hour or 0.0:.4f}",
            f"{group.cost_per_month or 0.0:,.2f}",
        )
    print_table(console, groups)
    parts = [f"{count_of(node_count, 'node')} {money}{node_cost:.4f}"]
    if currency == "USD":
        parts.append(f"control plane {money}{d.control_plane_per_hour or 0.0:.4f}")
    if fargate_pods and currency == "USD":
        parts.append(f"Fargate {money}{d.fargate_cost_per_hour or 0.0:.4f}")
    storage = d.storage
    if storage and currency == "USD":
        parts.append(f"volumes {money}{storage['cost_per_hour']:.4f}")
    console.print(
        f"Total per hour: {' + '.join(parts)} = [bold]{money}{cost_per_hour:.4f}[/] "
        f"([bold]{money}{cost_per_month:,.2f}[/] a month)\n"
    )

    utilisation = table("Utilisation: requests of pods and DaemonSets / allocatable")
    for column in ("pool", "resource", "used", "of", "", "%"):
        left = column in ("pool", "resource", "")
        utilisation.add_column(column, justify="left" if left else "right", no_wrap=True)
    for pool, resource, used, capacity in _utilisation(document):
        fraction = used / capacity if capacity else 0.0
        utilisation.add_row(
            pool,
            resource,
            _format_amount(resource, used),
            _format_amount(resource, capacity),
            _bar(fraction),
            f"{fraction:.0%}",
        )
    print_table(console, utilisation)

    console.print(
        f"Cost bound: plan {money}{node_cost:.4f}/hour for nodes, proven lower bound "
        f"{money}{d.lower_bound_per_hour or 0.0:.4f}/hour, gap {gap:.2%} ({d.status}, "
        f"{d.solve_seconds or 0.0:.1f} s)"
    )

    placement = table("Where each workload landed")
    placement.add_column("workload", no_wrap=True)
    placement.add_column("pods", justify="right")
    placement.add_column("per zone", no_wrap=True)
    placement.add_column("on (instance type × pods)")
    landed: dict[str, Counter[str]] = defaultdict(Counter)
    zones: dict[str, Counter[str]] = defaultdict(Counter)
    for node in d.nodes:
        for key, count in node.pods.items():
            landed[key][node.instance_type] += count
            zones[key][node.zone] += count
    for key, workload in d.workloads.items():
        where = ", ".join(f"{t}×{c}" for t, c in sorted(landed[key].items())) or "-"
        spread = " ".join(f"{z[-1:]}:{c}" for z, c in sorted(zones[key].items())) or "-"
        placement.add_row(key, str(workload.replicas), spread, where)
    for pod in fargate_pods:
        fargate_size = f"Fargate {pod.vcpu} vCPU / {pod.memory_gb} GB"
        placement.add_row(pod.workload, str(pod.count), "-", fargate_size)
    print_table(console, placement)

    if storage:
        from eks_plan.report.storage import render_storage

        render_storage(dict(storage), console)

    if unschedulable:
        problems = table("Pods that cannot be placed", style="red")
        for column in ("workload", "pods", "reasons", "nearest fix"):
            problems.add_column(column)
        for item in unschedulable:
            reasons, fixes = escape("\n".join(item.reasons or ())), escape("\n".join(item.fixes or ()))
            problems.add_row(item.workload, str(item.count), reasons, fixes)
        print_table(console, problems)
    if d.soft_rules_not_honoured:
        console.print("[yellow]Preferred rules not honoured:[/]")
        for rule in d.soft_rules_not_honoured:
            console.print(f"  {rule.workload}: {rule.rule} {rule.detail}", markup=False)
    for note in d.notes or ():
        console.print(f"note: {note}", style="dim", markup=False)


def _format_amount(resource: str, amount: float) -> str:
    if resource == CPU:
        return f"{amount / 1000:,.2f} vCPU"
    if resource == MEMORY:
        return f"{amount / 2**30:,.1f} GiB"
    return f"{amount:,.0f}"
