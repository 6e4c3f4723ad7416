"""The storage part of the ``size`` report: the volumes, what they cost a month, each node's EBS
volumes against its slots, and (with zone loss) the pods that wait for their zone.

:func:`storage_data` is plain data (the plan JSON's ``storage`` key); :mod:`eks_plan.report.storage`
draws it with Rich.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
