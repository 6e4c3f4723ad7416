"""EBS volumes in the sizing problem: a per-node capacity of volume slots and a per-pod request.

Like ``vpc-ip-pods`` (:func:`eks_plan.planning.address_limits_bind`), the limit enters the solver as
one more resource, ``attachable-volumes-aws-ebs``, only when it can bind (some pod attaches an EBS
volume and some node's free pod slots could hold more of them than it has volume slots): each
node option gets the EBS CSI driver's count for its type (:func:`eks_plan.storage.attach.volume_slots`,
at the ENIs the node carries when full under the cluster's CNI settings and the pool's maxPods), and
each pod requests one unit per EBS volume it mounts. The solver, the packing and the verifier then
never put more volumes on a node than kube-scheduler's NodeVolumeLimits filter would allow.

A PVC several pods mount (a ``persistentVolumeClaim`` volume, not a template) is one volume
(kube-scheduler counts a volume handle once per node), but a resource is summed per pod: eks-plan
charges such a volume to each pod that mounts it, which never overfills a node and can only keep a
slot free that co-located pods would not need.

Pods whose EBS volumes outlive them (StatefulSet templates, PVCs, inline EBS) are zone-bound: with
``tolerateZoneLoss`` they are not re-placed in other zones (their volume cannot follow them), so no
spare capacity is bought for them; the report lists them as unavailable while their zone is down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from eks_plan.storage.attach import EBS_VOLUMES, VolumeSlots, launch_volumes, volume_slots
from eks_plan.storage.volumes import StorageInventory, storage_inventory

if TYPE_CHECKING:
    from eks_plan.catalog import Catalog
    from eks_plan.config.model import PlanConfig
    from eks_plan.manifests import ManifestSet, Workload
    from eks_plan.solver.problem import NodeOption, PodGroup


def pool_volume_slots(
    config: PlanConfig, catalog: Catalog, options: Sequence[NodeOption]
) -> dict[tuple[str, str], VolumeSlots]:
    """Volume slots per ``(pool, instance type)`` of these options."""
    from eks_plan.catalog.capacity import max_pods
    from eks_plan.planning import node_settings

    cni = config.cni.ipamd_settings()
    slots: dict[tuple[str, str], VolumeSlots] = {}
    pools = {pool.name: pool for pool in config.node_pools}
    for option in options:
        key = (option.pool, option.instance_type)
        if key in slots or option.pool not in pools:
            continue
        instance_type = catalog.lookup(option.instance_type)
        pods = max_pods(instance_type, node_settings(pools[option.pool], config.cni))
        launched = launch_volumes(str(pools[option.pool].node_style))
        slots[key] = volume_slots(instance_type, cni, pods, launch_volumes=launched)
    return slots


def with_volume_limits(
    manifests: ManifestSet,
    workloads: Mapping[str, Workload],
    groups: Sequence[PodGroup],
    options: tuple[NodeOption, ...],
    excluded: tuple[NodeOption, ...],
    config: PlanConfig,
    catalog: Catalog,
) -> tuple[
    StorageInventory,
    list[PodGroup],
    tuple[NodeOption, ...],
    tuple[NodeOption, ...],
    dict[str, VolumeSlots],
    list[str],
]:
    """The groups and options with the EBS volume resource added where pods attach EBS volumes,
    the inventory, each instance type's slots and the notes for the report."""
    inventory = storage_inventory(manifests)
    notes = list(inventory.notes)
    new_groups: list[PodGroup] = []
    any_volumes = False
    for group in groups:
        workload = workloads.get(group.key)
        key = workload.key if workload is not None else group.key
        count = inventory.ebs_volumes_per_pod(key)
        bound = inventory.zone_bound(key)
        if count:
            any_volumes = True
            group = replace(group, pod=replace(group.pod, requests=group.pod.requests + {EBS_VOLUMES: count}))
        if bound:
            group = replace(group, zone_bound=True)
        new_groups.append(group)
    if not any_volumes:
        return inventory, new_groups, options, excluded, {}, notes
    slots = pool_volume_slots(config, catalog, (*options, *excluded))
    if not _slots_bind(new_groups, options, slots):
        # No node could ever hold more volumes than it has slots: the solver is spared the resource.
        stripped = [
            replace(
                g, pod=replace(g.pod, requests=g.pod.requests - {EBS_VOLUMES: g.pod.requests[EBS_VOLUMES]})
            )
            for g in new_groups
        ]
        return inventory, stripped, options, excluded, _by_type(slots), notes

    def with_slots(option: NodeOption) -> NodeOption:
        count = slots[(option.pool, option.instance_type)].attachable
        return replace(option, allocatable=option.allocatable + {EBS_VOLUMES: count})

    return (
        inventory,
        new_groups,
        tuple(with_slots(option) for option in options),
        tuple(with_slots(option) for option in excluded),
        _by_type(slots),
        notes,
    )


def _by_type(slots: Mapping[tuple[str, str], VolumeSlots]) -> dict[str, VolumeSlots]:
    by_type: dict[str, VolumeSlots] = {}
    for (_, instance_type), value in sorted(slots.items()):
        by_type.setdefault(instance_type, value)
    return by_type


def _slots_bind(
    groups: Sequence[PodGroup], options: Sequence[NodeOption], slots: Mapping[tuple[str, str], VolumeSlots]
) -> bool:
    """True when some node could be given more EBS volumes than it has slots: its free pod slots
    filled with the pods that attach the most volumes. When it never binds, the limit decides nothing.

    >>> from types import SimpleNamespace as N
    >>> pod = N(pod=N(requests={EBS_VOLUMES: 1}))
    >>> option = N(pool="p", instance_type="m5.large", allocatable={"pods": 29},
    ...            daemonset_overhead={"pods": 3})
    >>> _slots_bind([pod], [option], {("p", "m5.large"): N(attachable=24)})
    True
    >>> _slots_bind([pod], [option], {("p", "m5.large"): N(attachable=31)})
    False
    """
    most = max((group.pod.requests.get(EBS_VOLUMES, 0) for group in groups), default=0)
    return any(
        (option.allocatable.get("pods", 0) - option.daemonset_overhead.get("pods", 0)) * most
        > slots[(option.pool, option.instance_type)].attachable
        for option in options
    )
