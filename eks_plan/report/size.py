"""The ``eks-plan size`` report: plain data for ``-o json|yaml`` and ``--plan-out``, and Rich tables.

:func:`plan_data` is the one definition of the plan file format that ``eks-plan check-ips --plan``
reads (documented in the README). :func:`render_plan` draws the same data for people; it imports Rich
only when called.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from eks_plan.plan import PLAN_VERSION
from eks_plan.planning import is_security_group_pod
from eks_plan.report import count_of
from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU, PODS
from eks_plan.scheduling.labels import ARCH

if TYPE_CHECKING:
    from rich.console import Console

    from eks_plan.config.model import PlanConfig
    from eks_plan.planning import PlanningInput
    from eks_plan.solver.plan import Plan


def _money(value: float) -> float:
    return round(float(value), 6)


def snake_case(key: str) -> str:
    """A camelCase key of eks-plan.yaml in the snake_case of every JSON report.

    >>> snake_case("warmEniTarget"), snake_case("mode")
    ('warm_eni_target', 'mode')
    """
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


#: A plan whose node cost is within half a cent per hour of the proven lower bound equals it at the
#: cent rounding every cost is shown with: its status is ``optimal``.
OPTIMAL_WITHIN_PER_HOUR = 0.005


def plan_status(plan: Plan) -> str:
    """``optimal`` when the plan's node cost equals the proven lower bound (within a cent's rounding,
    :data:`OPTIMAL_WITHIN_PER_HOUR`), else the solver's status (``feasible``).

    >>> from types import SimpleNamespace as Plan
    >>> plan_status(Plan(status="feasible", node_cost_per_hour=3.7434, lower_bound_per_hour=3.743366))
    'optimal'
    >>> plan_status(Plan(status="feasible", node_cost_per_hour=3.9244, lower_bound_per_hour=3.743366))
    'feasible'
    """
    if plan.node_cost_per_hour - plan.lower_bound_per_hour < OPTIMAL_WITHIN_PER_HOUR:
        return "optimal"
    return plan.status


def _core(resources: Any) -> dict[str, int]:
    return {
        "cpu_millicores": resources[CPU],
        "memory_bytes": resources[MEMORY],
        "pods": resources[PODS],
        "gpus": resources[NVIDIA_GPU],
    }


def plan_data(plan: Plan, planning: PlanningInput, config: PlanConfig | None = None) -> dict[str, Any]:
    """The plan as plain data: every figure the tables show, and what ``check-ips`` needs.

    ``cost_per_hour`` = nodes + EKS control plane + Fargate pods; ``lower_bound_per_hour`` bounds
    ``node_cost_per_hour`` (the only part the solver chooses) and ``gap`` is the plan's distance to it.
    With the ``config`` the plan was made with, each pool also carries what ``eks-plan export``
    needs to build it (node style, capacity types, zones, labels, taints, maxPods), and the plan
    its ``headroom_percent`` and ``subnets``.
    """
    groups = {group.key: group for group in planning.problem.pod_groups}
    fargate_cost = sum(placement.price_per_hour * placement.count for placement in planning.fargate)
    notes = list(planning.notes) + list(plan.notes)
    if planning.currency == "USD":
        cost = plan.node_cost_per_hour + planning.control_plane_per_hour + fargate_cost
    else:
        # Node prices are in the region's currency; the control plane and Fargate rates are USD.
        cost = plan.node_cost_per_hour
        notes.append(
            f"the total is node cost only, in {planning.currency}: the EKS control plane "
            f"(${planning.control_plane_per_hour:.2f}/hour) and Fargate are priced in USD"
        )
    nodes = []
    for node in plan.nodes:
        option = node.option
        vpc_ip_pods = planning.daemonset_vpc_ip_pods(option) + sum(
            count for key, count in node.pods.items() if not groups[key].pod.host_network
        )
        security_group_pods = sum(
            count for key, count in node.pods.items() if is_security_group_pod(groups[key].pod)
        )
        nodes.append(
            {
                "name": node.name,
                "pool": option.pool,
                "instance_type": option.instance_type,
                "zone": option.zone,
                "capacity_type": option.capacity_type,
                "price_per_hour": _money(option.price_per_hour),
                "allocatable": _core(option.allocatable),
                "daemonset_overhead": _core(option.daemonset_overhead),
                "vpc_ip_pods": vpc_ip_pods,
                "security_group_pods": security_group_pods,
                "pods": dict(sorted(node.pods.items())),
            }
        )
    workloads = {}
    for key, workload in sorted(planning.workloads.items()):
        requests = workload.pod.requests
        workloads[key] = {
            "kind": workload.kind,
            "replicas": workload.replicas,
            "replicas_reason": workload.replicas_reason,
            "host_network": workload.pod.host_network,
            "max_surge": workload.max_surge,
            "hpa_max_replicas": workload.hpa_max,
            "requests": {
                "cpu_millicores": requests[CPU],
                "memory_bytes": requests[MEMORY],
                "gpus": requests[NVIDIA_GPU],
            },
            "source": str(workload.source),
        }
    return {
        "version": PLAN_VERSION,
        "region": planning.region,
        "zones": list(planning.problem.zones),
        "currency": planning.currency,
        "cost_per_hour": _money(cost),
        "cost_per_month": _money(cost * planning.hours_per_month),
        "node_cost_per_hour": _money(plan.node_cost_per_hour),
        "control_plane_per_hour": _money(planning.control_plane_per_hour),
        "fargate_cost_per_hour": _money(fargate_cost),
        "lower_bound_per_hour": _money(plan.lower_bound_per_hour),
        "gap": round(plan.gap, 6),
        "status": plan_status(plan),
        "solve_seconds": round(plan.solve_seconds, 3),
        "stopped_by": plan.stopped_by,
        "node_count": len(plan.nodes),
        "node_groups": node_groups(plan, planning.hours_per_month),
        "nodes": nodes,
        "workloads": workloads,
        "fargate": {
            "pods": [
                {
                    "workload": placement.workload,
                    "count": placement.count,
                    "profile": placement.profile,
                    "vcpu": placement.vcpu,
                    "memory_gb": placement.memory_gb,
                    "price_per_hour": _money(placement.price_per_hour),
                }
                for placement in planning.fargate
            ]
        },
        "pools": [_pool_data(pool, config) for pool in planning.problem.pools],
        "cni": {snake_case(key): value for key, value in planning.cni_summary.items()},
        "max_pods": {
            instance_type: planning.max_pods_by_type[instance_type]
            for instance_type in sorted({node.option.instance_type for node in plan.nodes})
        },
        "unschedulable": [
            {
                "workload": item.workload,
                "count": item.count,
                "reasons": list(item.reasons),
                "fixes": list(item.fixes),
            }
            for item in (*plan.unschedulable, *planning.fargate_unschedulable)
        ],
        "soft_rules_not_honoured": [
            {"workload": rule.workload, "rule": rule.rule, "detail": rule.detail}
            for rule in plan.soft_rules
            if not rule.honoured
        ],
        "notes": notes,
        **(_config_data(config) if config is not None else {}),
    }


def _pool_data(pool: Any, config: PlanConfig | None) -> dict[str, Any]:
    """A pool's size limits, plus (with the config) how its nodes are built, for ``eks-plan export``."""
    data: dict[str, Any] = {"name": pool.name, "min_nodes": pool.min_nodes, "max_nodes": pool.max_nodes}
    if config is None:
        return data
    settings = config.pool(pool.name)
    data.update(
        {
            "node_style": str(settings.node_style),
            "capacity_types": [str(capacity) for capacity in settings.capacity_types],
            "zones": list(config.pool_zones(settings)),
            "labels": dict(settings.labels),
            "taints": [
                {"key": taint.key, "value": taint.value, "effect": str(taint.effect)}
                for taint in settings.taints
            ],
            "max_pods": settings.max_pods,
        }
    )
    return data


def _config_data(config: PlanConfig) -> dict[str, Any]:
    """Settings of the configuration that ``eks-plan export`` and ``eks-plan diff`` read."""
    return {
        "headroom_percent": config.headroom_percent,
        "subnets": [subnet.to_dict() for subnet in config.subnets],
    }


def node_groups(plan: Plan, hours_per_month: float) -> list[dict[str, Any]]:
    """Nodes counted by (pool, instance type, zone, capacity type): the shape of a node group, with
    the type's arch, vCPUs, memory, the node's maxPods and NVIDIA GPUs (what an export's node group needs)."""
    from eks_plan.catalog import load_catalog

    catalog = load_catalog()
    counts: Counter[tuple[str, str, str, str]] = Counter()
    price: dict[tuple[str, str, str, str], float] = {}
    options: dict[tuple[str, str, str, str], Any] = {}
    for node in plan.nodes:
        option = node.option
        key = (option.pool, option.instance_type, option.zone, option.capacity_type)
        counts[key] += 1
        price[key] = option.price_per_hour
        options[key] = option
    rows = []
    for (pool, instance_type, zone, capacity_type), count in sorted(counts.items()):
        cost = count * price[(pool, instance_type, zone, capacity_type)]
        option = options[(pool, instance_type, zone, capacity_type)]
        spec = catalog.get(instance_type)
        rows.append(
            {
                "pool": pool,
                "instance_type": instance_type,
                "zone": zone,
                "capacity_type": capacity_type,
                "count": count,
                "cost_per_hour": _money(cost),
                "cost_per_month": _money(cost * hours_per_month),
                # From the catalogue, not the node's labels: the instance-cpu/memory labels exist
                # only on Karpenter and Auto Mode nodes (eks_plan.catalog.labels.node_labels).
                "arch": spec.arch if spec else option.labels.get(ARCH, ""),
                "vcpus": spec.vcpus if spec else 0,
                "memory_mib": spec.memory_mib if spec else 0,
                "max_pods": option.allocatable[PODS],
                "gpus": option.allocatable[NVIDIA_GPU],
            }
        )
    return rows


def _bar(fraction: float, width: int = 12) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)


def _utilisation(plan: Plan, planning: PlanningInput) -> list[tuple[str, str, float, float]]:
    """(pool, resource, used, allocatable) per pool, counting pods and DaemonSets."""
    groups = {group.key: group for group in planning.problem.pod_groups}
    used: dict[tuple[str, str], float] = defaultdict(float)
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for node in plan.nodes:
        option = node.option
        for resource in (CPU, MEMORY, PODS, NVIDIA_GPU):
            if resource == NVIDIA_GPU and not option.allocatable[NVIDIA_GPU]:
                continue
            capacity[(option.pool, resource)] += option.allocatable[resource]
            used[(option.pool, resource)] += option.daemonset_overhead[resource] + sum(
                groups[key].pod.requests[resource] * count for key, count in node.pods.items()
            )
    return [(pool, resource, used[(pool, resource)], total) for (pool, resource), total in capacity.items()]


def render_plan(data: dict[str, Any], plan: Plan, planning: PlanningInput, console: Console) -> None:
    """Draw the plan as Rich tables: summary line, node groups, utilisation, bound, placement, problems."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from eks_plan.report.layout import print_table

    def table(title: str, **options: Any) -> Table:
        return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, **options)

    money = "$" if data["currency"] == "USD" else f"{data['currency']} "
    unit = "$" if data["currency"] == "USD" else data["currency"]
    unplaced = sum(item["count"] for item in data["unschedulable"])
    placed = sum(sum(node["pods"].values()) for node in data["nodes"])
    on_fargate = sum(pod["count"] for pod in data["fargate"]["pods"])
    zones_used = len({node["zone"] for node in data["nodes"]})
    if data["status"] == "optimal":
        bound = "optimal: equal to the proven lower bound"
    else:
        bound = f"within {data['gap']:.2%} of the proven lower bound"
    console.print(
        f"[bold]{count_of(data['node_count'], 'node')}[/] in {count_of(zones_used, 'zone')} for "
        f"{count_of(placed, 'pod')}"
        + (f" and {count_of(on_fargate, 'Fargate pod')}" if on_fargate else "")
        + ": "
        f"[bold]{money}{data['cost_per_hour']:.4f}/hour[/] ({money}{data['cost_per_month']:,.2f}/month), "
        + bound
        + (f"; [bold red]{count_of(unplaced, 'pod')} cannot be placed[/]" if unplaced else "")
    )

    groups = table("Node groups")
    for column in ("pool", "instance type", "zone", "capacity", "nodes", f"{unit}/hour", f"{unit}/month"):
        numeric = column in ("nodes", f"{unit}/hour", f"{unit}/month")
        groups.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for group in data["node_groups"]:
        groups.add_row(
            group["pool"],
            group["instance_type"],
            group["zone"],
            group["capacity_type"],
            str(group["count"]),
            f"{group['cost_per_hour']:.4f}",
            f"{group['cost_per_month']:,.2f}",
        )
    print_table(console, groups)
    parts = [f"{count_of(data['node_count'], 'node')} {money}{data['node_cost_per_hour']:.4f}"]
    if data["currency"] == "USD":
        parts.append(f"control plane {money}{data['control_plane_per_hour']:.4f}")
    if data["fargate"]["pods"] and data["currency"] == "USD":
        parts.append(f"Fargate {money}{data['fargate_cost_per_hour']:.4f}")
    console.print(
        f"Total per hour: {' + '.join(parts)} = [bold]{money}{data['cost_per_hour']:.4f}[/] "
        f"([bold]{money}{data['cost_per_month']:,.2f}[/] a month)\n"
    )

    utilisation = table("Utilisation: requests of pods and DaemonSets / allocatable")
    for column in ("pool", "resource", "used", "of", "", "%"):
        left = column in ("pool", "resource", "")
        utilisation.add_column(column, justify="left" if left else "right", no_wrap=True)
    for pool, resource, used, capacity in _utilisation(plan, planning):
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
        f"Cost bound: plan {money}{data['node_cost_per_hour']:.4f}/hour for nodes, proven lower bound "
        f"{money}{data['lower_bound_per_hour']:.4f}/hour, gap {data['gap']:.2%} ({data['status']}, "
        f"{data['solve_seconds']:.1f} s)"
    )

    placement = table("Where each workload landed")
    placement.add_column("workload", no_wrap=True)
    placement.add_column("pods", justify="right")
    placement.add_column("per zone", no_wrap=True)
    placement.add_column("on (instance type × pods)")
    landed: dict[str, Counter[str]] = defaultdict(Counter)
    zones: dict[str, Counter[str]] = defaultdict(Counter)
    for node in data["nodes"]:
        for key, count in node["pods"].items():
            landed[key][node["instance_type"]] += count
            zones[key][node["zone"]] += count
    for key, workload in data["workloads"].items():
        where = ", ".join(f"{t}×{c}" for t, c in sorted(landed[key].items())) or "-"
        spread = " ".join(f"{z[-1:]}:{c}" for z, c in sorted(zones[key].items())) or "-"
        placement.add_row(key, str(workload["replicas"]), spread, where)
    for pod in data["fargate"]["pods"]:
        fargate_size = f"Fargate {pod['vcpu']} vCPU / {pod['memory_gb']} GB"
        placement.add_row(pod["workload"], str(pod["count"]), "-", fargate_size)
    print_table(console, placement)

    if data["unschedulable"]:
        problems = table("Pods that cannot be placed", style="red")
        for column in ("workload", "pods", "reasons", "nearest fix"):
            problems.add_column(column)
        for item in data["unschedulable"]:
            reasons, fixes = escape("\n".join(item["reasons"])), escape("\n".join(item["fixes"]))
            problems.add_row(item["workload"], str(item["count"]), reasons, fixes)
        print_table(console, problems)
    if data["soft_rules_not_honoured"]:
        console.print("[yellow]Preferred rules not honoured:[/]")
        for rule in data["soft_rules_not_honoured"]:
            console.print(f"  {rule['workload']}: {rule['rule']} {rule['detail']}", markup=False)
    for note in data["notes"]:
        console.print(f"note: {note}", style="dim", markup=False)


def _format_amount(resource: str, amount: float) -> str:
    if resource == CPU:
        return f"{amount / 1000:,.2f} vCPU"
    if resource == MEMORY:
        return f"{amount / 2**30:,.1f} GiB"
    return f"{amount:,.0f}"
