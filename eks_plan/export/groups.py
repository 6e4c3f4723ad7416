"""How a plan's nodes become managed node groups (eksctl and Terraform share this).

An EKS managed node group is one Auto Scaling group. An ASG spread over several zones keeps its
instances balanced across them (and rebalances when they drift), and one with several instance
types launches on-demand capacity in the order of its list (the first type first) and spot by
price and capacity; neither lets you say "2 x c6a.xlarge in us-east-1a and 1 x m6a.xlarge in
us-east-1b". So the only grouping that reproduces the plan's node counts per instance type and zone
exactly is one node group per (pool, instance type, zone, capacity type): the plan's
``node_groups`` rows, one to one.

Sizes: ``desired`` is the plan's count. The pool's ``minNodes`` is shared out over its groups in
order (each takes at most its own count), so the groups' minimums add up to the pool's. Each group
may grow by the pool's spare room (``maxNodes`` less the plan's nodes in the pool), so every group
alone can use all of it; with no ``maxNodes`` the groups do not grow (``max`` = ``desired``), since
a ceiling the configuration never gave would be made up.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from eks_plan.catalog.pricing import CapacityType
from eks_plan.export.view import NodeGroupView, PlanView, PoolView, TaintView

#: EKS node group names: letters, digits and hyphens (eksctl ``IsInvalidNameArg``), at most 63.
MAX_NAME = 63


@dataclass(frozen=True, slots=True)
class ManagedGroup:
    """One managed node group to create: a plan row with its name and ASG sizes."""

    name: str
    pool: PoolView
    row: NodeGroupView
    min_size: int
    desired_size: int
    max_size: int

    @property
    def labels(self) -> Mapping[str, str]:
        return self.pool.labels

    @property
    def taints(self) -> tuple[TaintView, ...]:
        return self.pool.taints


def group_name(pool: str, instance_type: str, zone: str, capacity_type: str) -> str:
    """``general-c6a-xlarge-1a`` (``-spot`` for spot): letters, digits and hyphens only, ≤ 63.

    >>> group_name("general", "c6a.xlarge", "us-east-1a", "on-demand")
    'general-c6a-xlarge-1a'
    >>> group_name("gpu_pool", "g6.xlarge", "us-east-1b", "spot")
    'gpu-pool-g6-xlarge-1b-spot'
    """
    zone_suffix = zone.rsplit("-", 1)[-1]
    name = f"{pool}-{instance_type}-{zone_suffix}" + ("-spot" if capacity_type == CapacityType.SPOT else "")
    name = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-")
    if not name or not name[0].isalpha():
        name = f"ng-{name}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9].rstrip('-')}-{digest}"
    return name


def managed_groups(plan: PlanView) -> list[ManagedGroup]:
    """One group per plan row, pools in the plan's order, with sizes as the module docstring says."""
    groups: list[ManagedGroup] = []
    names: set[str] = set()
    for pool in plan.pools:
        rows = plan.groups_of(pool.name)
        planned = sum(row.count for row in rows)
        spare = max(0, pool.max_nodes - planned) if pool.max_nodes is not None else 0
        minimum_left = pool.min_nodes
        for row in rows:
            minimum = min(row.count, minimum_left)
            minimum_left -= minimum
            name = group_name(pool.name, row.instance_type, row.zone, row.capacity_type)
            if name in names:
                name = group_name(
                    f"{pool.name}-{len(groups)}", row.instance_type, row.zone, row.capacity_type
                )
            names.add(name)
            groups.append(ManagedGroup(name, pool, row, minimum, row.count, row.count + spare))
    return groups


def needs_max_pods(plan: PlanView, group: ManagedGroup) -> bool:
    """Whether the export must set the node's maxPods itself: when the plan counted pods with a
    value EKS would not compute for a managed node group on its own (prefix delegation, custom
    networking or IPv6, a pool ``maxPods``, or a pool planned in another node style)."""
    return (
        plan.cni.mode != "secondary-ip"
        or group.pool.max_pods is not None
        or group.pool.node_style != "managed-node-group"
    )


def vpc_cni_environment(plan: PlanView) -> dict[str, str]:
    """The aws-node environment the plan's CNI settings stand for (the VPC CNI's own variable names:
    ENABLE_PREFIX_DELEGATION, WARM_*_TARGET, MINIMUM_IP_TARGET, the custom-networking pair,
    ENABLE_POD_ENI), as the ``vpc-cni`` add-on's ``configurationValues`` take them."""
    cni = plan.cni
    env: dict[str, str] = {}
    if cni.prefix_delegation:
        env["ENABLE_PREFIX_DELEGATION"] = "true"
    if cni.mode in ("custom-networking", "custom-networking-prefix"):
        env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
        env["ENI_CONFIG_LABEL_DEF"] = "topology.kubernetes.io/zone"
    for name, value in (
        ("WARM_ENI_TARGET", cni.warm_eni_target),
        ("WARM_IP_TARGET", cni.warm_ip_target),
        ("MINIMUM_IP_TARGET", cni.minimum_ip_target),
    ):
        if value is not None:
            env[name] = str(value)
    if cni.prefix_delegation and cni.warm_prefix_target is not None:
        env["WARM_PREFIX_TARGET"] = str(cni.warm_prefix_target)
    if cni.security_groups_for_pods:
        env["ENABLE_POD_ENI"] = "true"
    return env
