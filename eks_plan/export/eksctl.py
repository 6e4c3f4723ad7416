"""The plan as an eksctl ``ClusterConfig`` (``eksctl.io/v1alpha5``) with one managed node group per
(pool, instance type, zone, capacity type) (:mod:`eks_plan.export.groups` says why).

Fields follow eksctl's schema (``pkg/apis/eksctl.io/v1alpha5/assets/schema.json``) and the rules of
``validation.go`` that the schema does not check, which :func:`cross_field_problems` re-implements:
one of ``instanceType``/``instanceTypes``, one of ``availabilityZones``/``subnets``,
``minSize ≤ desiredCapacity ≤ maxSize``, ``maxPodsPerNode ≥ 0`` and not with a ``launchTemplate``,
taint effects from Kubernetes' three, names of letters, digits and hyphens.
"""

from __future__ import annotations

import json
import re
from typing import Any

from eks_plan.catalog.pricing import CapacityType
from eks_plan.export.groups import managed_groups, needs_max_pods, vpc_cni_environment
from eks_plan.export.view import TAINT_EFFECTS, PlanView


def eksctl_config(plan: PlanView, name: str) -> dict[str, Any]:
    """The ClusterConfig document as plain data."""
    node_groups = []
    for group in managed_groups(plan):
        row = group.row
        item: dict[str, Any] = {
            "name": group.name,
            "instanceType": row.instance_type,
            "availabilityZones": [row.zone],
            "minSize": group.min_size,
            "desiredCapacity": group.desired_size,
            "maxSize": group.max_size,
            "amiFamily": "AmazonLinux2023",
            "privateNetworking": True,
            "spot": row.capacity_type == CapacityType.SPOT,
        }
        if group.labels:
            item["labels"] = dict(group.labels)
        if group.taints:
            item["taints"] = [
                {"key": taint.key, "value": taint.value, "effect": taint.effect} for taint in group.taints
            ]
        if needs_max_pods(plan, group):
            item["maxPodsPerNode"] = row.max_pods
        item["tags"] = {"eks-plan/pool": group.pool.name}
        node_groups.append(item)
    document: dict[str, Any] = {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": name, "region": plan.region},
        "availabilityZones": list(plan.zones),
        "managedNodeGroups": node_groups,
    }
    if len(plan.zones) < 2:
        # eksctl needs at least two zones for the cluster's own subnets; node groups keep theirs.
        del document["availabilityZones"]
    env = vpc_cni_environment(plan)
    addon: dict[str, Any] = {"name": "vpc-cni"}
    if env:
        addon["configurationValues"] = json.dumps({"env": env}, sort_keys=True)
    document["addons"] = [addon]
    if plan.cni.mode == "ipv6":
        # eksctl's IPv6 rules: the vpc-cni, coredns and kube-proxy add-ons, and an OIDC provider.
        document["kubernetesNetworkConfig"] = {"ipFamily": "IPv6"}
        document["addons"] += [{"name": "coredns"}, {"name": "kube-proxy"}]
        document["iam"] = {"withOIDC": True}
    return document


_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]*$")


def cross_field_problems(document: dict[str, Any]) -> list[str]:
    """The ``validation.go`` rules eksctl applies on top of its JSON Schema that an export could
    break (``ValidateManagedNodeGroup``, ``validateNodeGroupBase``, ``validateNodeGroupName``,
    ``taints.Validate``); an empty list when the document passes them."""
    problems: list[str] = []
    names: set[str] = set()
    for index, group in enumerate(document.get("managedNodeGroups", [])):
        where = f"managedNodeGroups[{index}]"
        name = group.get("name", "")
        if not _NAME.match(name) or len(name) > 63:
            problems.append(f"{where}.name '{name}' must match [a-zA-Z][-a-zA-Z0-9]* (at most 63)")
        if name in names:
            problems.append(f"{where}.name '{name}' is used twice")
        names.add(name)
        if "instanceType" in group and "instanceTypes" in group:
            problems.append(f"{where}: only one of instanceType or instanceTypes can be specified")
        if "availabilityZones" in group and "subnets" in group:
            problems.append(f"{where}: only one of subnets or availabilityZones should be set")
        low, desired, high = group.get("minSize"), group.get("desiredCapacity"), group.get("maxSize")
        if None not in (low, desired, high) and not low <= desired <= high:
            problems.append(
                f"{where}: needs minSize ({low}) ≤ desiredCapacity ({desired}) ≤ maxSize ({high})"
            )
        if group.get("maxPodsPerNode", 0) < 0:
            problems.append(f"{where}.maxPodsPerNode must be ≥ 0")
        if "maxPodsPerNode" in group and "launchTemplate" in group:
            problems.append(f"{where}: maxPodsPerNode cannot be set with a launchTemplate")
        for taint_index, taint in enumerate(group.get("taints", [])):
            if taint.get("effect") not in TAINT_EFFECTS:
                problems.append(
                    f"{where}.taints[{taint_index}].effect '{taint.get('effect')}' is not a taint effect"
                )
    return problems
