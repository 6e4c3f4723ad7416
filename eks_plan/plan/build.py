"""Build the :class:`~eks_plan.plan.document.PlanDocument` from the solver's result: the one place the
plan's figures are computed (cost, status, node groups, per-node address counts), so every renderer
shows the same numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from eks_plan.plan.document import (
    PlanDocument,
    PlanFargate,
    PlanFargatePods,
    PlanNode,
    PlanNodeGroup,
    PlanPool,
    PlanRequests,
    PlanResources,
    PlanSoftRule,
    PlanSubnet,
    PlanTaint,
    PlanUnschedulable,
    PlanWorkload,
)
from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU, PODS

if TYPE_CHECKING:
    from eks_plan.config.model import PlanConfig
    from eks_plan.planning import LoadedCluster
    from eks_plan.solver.plan import Plan

#: A plan whose node cost is within half a cent per hour of the proven lower bound equals it at the
#: cent rounding every cost is shown with: its status is ``optimal``.
OPTIMAL_WITHIN_PER_HOUR = 0.005


def money(value: float) -> float:
    """A price as the plan file writes it: a float rounded to 6 decimals."""
    return round(float(value), 6)


def snake_case(key: str) -> str:
    """A camelCase key of eks-plan.yaml in the snake_case of every JSON report.

    >>> snake_case("warmEniTarget"), snake_case("mode")
    ('warm_eni_target', 'mode')
    """
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


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
    return str(plan.status)


def _core(resources: Any) -> PlanResources:
    return PlanResources(resources[CPU], resources[MEMORY], resources[PODS], resources[NVIDIA_GPU])


def build_plan_document(
    plan: Plan, planning: LoadedCluster, config: PlanConfig | None = None
) -> PlanDocument:
    """The plan document: every figure the tables show, and what ``check-ips`` and the exports need.

    ``cost_per_hour`` = nodes + EKS control plane + Fargate pods + persistent volumes;
    ``lower_bound_per_hour`` bounds ``node_cost_per_hour`` (the only part the solver chooses) and
    ``gap`` is the plan's distance to it.
    With the ``config`` the plan was made with, each pool also carries what ``eks-plan export``
    needs to build it (node style, capacity types, zones, labels, taints, maxPods), and the plan
    its ``headroom_percent`` and ``subnets``.
    """
    from eks_plan.plan import PLAN_VERSION
    from eks_plan.planning import is_security_group_pod

    groups = {group.key: group for group in planning.problem.pod_groups}
    fargate_cost = sum(placement.price_per_hour * placement.count for placement in planning.fargate)
    notes = list(planning.notes) + list(plan.notes)
    from eks_plan.storage.report import storage_data

    storage = storage_data(plan, planning)
    storage_per_hour = storage["cost_per_month"] / planning.hours_per_month if storage else 0.0
    if storage is not None:
        storage["cost_per_hour"] = money(storage_per_hour)
    if planning.currency == "USD":
        cost = plan.node_cost_per_hour + planning.control_plane_per_hour + fargate_cost + storage_per_hour
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
            PlanNode(
                name=node.name,
                pool=option.pool,
                instance_type=option.instance_type,
                zone=option.zone,
                capacity_type=option.capacity_type,
                price_per_hour=money(option.price_per_hour),
                allocatable=_core(option.allocatable),
                daemonset_overhead=_core(option.daemonset_overhead),
                vpc_ip_pods=vpc_ip_pods,
                security_group_pods=security_group_pods,
                pods=dict(sorted(node.pods.items())),
            )
        )
    workloads = {}
    for key, workload in sorted(planning.workloads.items()):
        requests = workload.pod.requests
        workloads[key] = PlanWorkload(
            kind=workload.kind,
            replicas=workload.replicas,
            replicas_reason=workload.replicas_reason,
            host_network=workload.pod.host_network,
            max_surge=workload.max_surge,
            hpa_max_replicas=workload.hpa_max,
            requests=PlanRequests(requests[CPU], requests[MEMORY], requests[NVIDIA_GPU]),
            source=str(workload.source),
        )
    return PlanDocument(
        version=PLAN_VERSION,
        region=planning.region,
        zones=tuple(planning.problem.zones),
        currency=planning.currency,
        cost_per_hour=money(cost),
        cost_per_month=money(cost * planning.hours_per_month),
        node_cost_per_hour=money(plan.node_cost_per_hour),
        control_plane_per_hour=money(planning.control_plane_per_hour),
        fargate_cost_per_hour=money(fargate_cost),
        lower_bound_per_hour=money(plan.lower_bound_per_hour),
        gap=round(plan.gap, 6),
        status=plan_status(plan),
        solve_seconds=round(plan.solve_seconds, 3),
        stopped_by=plan.stopped_by,
        node_count=len(plan.nodes),
        node_groups=node_groups(plan, planning.hours_per_month),
        nodes=tuple(nodes),
        workloads=workloads,
        fargate=PlanFargate(
            tuple(
                PlanFargatePods(
                    workload=placement.workload,
                    count=placement.count,
                    profile=placement.profile,
                    vcpu=placement.vcpu,
                    memory_gb=placement.memory_gb,
                    price_per_hour=money(placement.price_per_hour),
                )
                for placement in planning.fargate
            )
        ),
        pools=tuple(_pool(pool, config) for pool in planning.problem.pools),
        cni={snake_case(key): value for key, value in planning.cni_summary.items()},
        max_pods={
            instance_type: planning.max_pods_by_type[instance_type]
            for instance_type in sorted({node.option.instance_type for node in plan.nodes})
        },
        unschedulable=tuple(
            PlanUnschedulable(item.workload, item.count, tuple(item.reasons), tuple(item.fixes))
            for item in (*plan.unschedulable, *planning.fargate_unschedulable)
        ),
        soft_rules_not_honoured=tuple(
            PlanSoftRule(rule.workload, rule.rule, rule.detail)
            for rule in plan.soft_rules
            if not rule.honoured
        ),
        notes=tuple(notes),
        storage=storage,
        headroom_percent=config.headroom_percent if config is not None else None,
        subnets=(
            tuple(PlanSubnet(**subnet.to_config_dict()) for subnet in config.subnets)
            if config is not None
            else None
        ),
    )


def _pool(pool: Any, config: PlanConfig | None) -> PlanPool:
    """A pool's size limits, plus (with the config) how its nodes are built, for ``eks-plan export``."""
    if config is None:
        return PlanPool(name=pool.name, min_nodes=pool.min_nodes, max_nodes=pool.max_nodes)
    settings = config.pool(pool.name)
    return PlanPool(
        name=pool.name,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        node_style=str(settings.node_style),
        capacity_types=tuple(str(capacity) for capacity in settings.capacity_types),
        zones=tuple(config.pool_zones(settings)),
        labels=dict(settings.labels),
        taints=tuple(PlanTaint(taint.key, str(taint.effect), taint.value) for taint in settings.taints),
        max_pods=settings.max_pods,
    )


def node_groups(plan: Plan, hours_per_month: float) -> tuple[PlanNodeGroup, ...]:
    """Nodes counted by (pool, instance type, zone, capacity type): the shape of a node group, with
    the type's arch, vCPUs, memory, the node's maxPods and NVIDIA GPUs (what an export's node group needs)."""
    from eks_plan.catalog import load_catalog
    from eks_plan.scheduling.labels import ARCH

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
            PlanNodeGroup(
                pool=pool,
                instance_type=instance_type,
                zone=zone,
                capacity_type=capacity_type,
                count=count,
                cost_per_hour=money(cost),
                cost_per_month=money(cost * hours_per_month),
                # From the catalogue, not the node's labels: the instance-cpu/memory labels exist
                # only on Karpenter and Auto Mode nodes (eks_plan.catalog.labels.node_labels).
                arch=spec.arch if spec else option.labels.get(ARCH, ""),
                vcpus=spec.vcpus if spec else 0,
                memory_mib=spec.memory_mib if spec else 0,
                max_pods=option.allocatable[PODS],
                gpus=option.allocatable[NVIDIA_GPU],
            )
        )
    return tuple(rows)
