"""The plan as ``eks_managed_node_groups`` for terraform-aws-modules/eks v21, in HCL or ``.tf.json``.

The file declares ``locals { eks_managed_node_groups = { ... } }`` for the module call to take
(``eks_managed_node_groups = local.eks_managed_node_groups``) and the variable
``eks_plan_subnet_ids`` (zone -> subnet IDs): the module has no zone attribute, a group's zone is
the zone of its subnets (``subnet_ids``). The variable's default holds the plan's ``nodes`` subnet
IDs when the configuration named them for every zone; otherwise set it in a ``.tfvars`` file.

Attribute names and types are the module's (root ``variables.tf``, ``eks_managed_node_groups``):
taints are a map of objects with the EKS API's ``NO_SCHEDULE``/``NO_EXECUTE``/
``PREFER_NO_SCHEDULE`` effects, ``use_name_prefix = false`` keeps the group names stable,
``desired_size`` is honoured only when a group is created (the module ignores later changes), and
maxPods goes to nodeadm through ``cloudinit_pre_nodeadm`` (the module has no max-pods attribute).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from eks_plan.catalog.pricing import CapacityType
from eks_plan.export.groups import ManagedGroup, managed_groups, needs_max_pods
from eks_plan.export.view import PlanView

EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}
SUBNET_VARIABLE = "eks_plan_subnet_ids"
SUBNET_DESCRIPTION = "Private subnet IDs per availability zone: a node group's zone is its subnets' zone"


class Expression(str):
    """A Terraform expression written as is (``var.x["a"]``), not as a quoted string."""


def node_groups_value(plan: PlanView) -> dict[str, Any]:
    """The value of ``eks_managed_node_groups``: group name -> attributes (``Expression`` for the
    subnet reference)."""
    groups: dict[str, Any] = {}
    for group in managed_groups(plan):
        groups[group.name] = _group(plan, group)
    return groups


def _group(plan: PlanView, group: ManagedGroup) -> dict[str, Any]:
    row = group.row
    item: dict[str, Any] = {
        "name": group.name,
        "use_name_prefix": False,
        "instance_types": [row.instance_type],
        "ami_type": ami_type(row.arch, row.gpus),
        "capacity_type": CapacityType(row.capacity_type).eks_label,
        "min_size": group.min_size,
        "max_size": group.max_size,
        "desired_size": group.desired_size,
        "subnet_ids": Expression(f'var.{SUBNET_VARIABLE}["{row.zone}"]'),
    }
    if group.labels:
        item["labels"] = dict(group.labels)
    if group.taints:
        taints: dict[str, Any] = {}
        for index, taint in enumerate(group.taints):
            key = re.sub(r"[^A-Za-z0-9_-]+", "_", taint.key) or f"taint_{index}"
            if key in taints:
                key = f"{key}_{index}"
            taints[key] = {"key": taint.key, "value": taint.value, "effect": EKS_TAINT_EFFECTS[taint.effect]}
        item["taints"] = taints
    if needs_max_pods(plan, group):
        item["cloudinit_pre_nodeadm"] = [
            {"content_type": "application/node.eks.aws", "content": node_config_max_pods(row.max_pods)}
        ]
    item["tags"] = {"eks-plan/pool": group.pool.name}
    return item


def ami_type(arch: str, gpus: int) -> str:
    """The EKS AMI type for AL2023 nodes of this arch, the NVIDIA variant for GPU types.

    >>> ami_type("amd64", 0), ami_type("arm64", 0), ami_type("amd64", 1)
    ('AL2023_x86_64_STANDARD', 'AL2023_ARM_64_STANDARD', 'AL2023_x86_64_NVIDIA')
    """
    base = "AL2023_ARM_64" if arch == "arm64" else "AL2023_x86_64"
    return f"{base}_NVIDIA" if gpus else f"{base}_STANDARD"


def node_config_max_pods(max_pods: int) -> str:
    """The nodeadm NodeConfig that sets the kubelet's maxPods (AL2023)."""
    return (
        "---\n"
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n"
    )


def subnet_ids_by_zone(plan: PlanView) -> dict[str, list[str]] | None:
    """Zone -> IDs of the plan's ``nodes`` subnets, or ``None`` unless every zone with nodes has one."""
    by_zone: dict[str, list[str]] = {}
    for subnet in plan.subnets:
        if (subnet.role or "nodes") == "nodes" and subnet.id:
            by_zone.setdefault(subnet.zone, []).append(subnet.id)
    zones = {row.zone for row in plan.node_groups if row.count}
    return by_zone if zones <= set(by_zone) and by_zone else None


def terraform_json(plan: PlanView) -> dict[str, Any]:
    """The ``.tf.json`` document (Terraform's JSON syntax; an expression is a ``"${...}"`` string)."""
    variable: dict[str, Any] = {
        "description": SUBNET_DESCRIPTION,
        "type": "map(list(string))",
    }
    default = subnet_ids_by_zone(plan)
    if default is not None:
        variable["default"] = default

    def convert(value: Any) -> Any:
        if isinstance(value, Expression):
            return "${" + str(value) + "}"
        if isinstance(value, Mapping):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, str):
            return value.replace("${", "$${").replace("%{", "%%{")
        return value

    return {
        "variable": {SUBNET_VARIABLE: variable},
        "locals": {"eks_managed_node_groups": convert(node_groups_value(plan))},
    }


def terraform_hcl(plan: PlanView, cluster: str) -> str:
    """The HCL file (see the module docstring)."""
    lines = [
        f"# eks-plan export for cluster {cluster} ({plan.region}): terraform-aws-modules/eks v21",
        "# managed node groups, one per (pool, instance type, zone, capacity type). In the module block:",
        "#   eks_managed_node_groups = local.eks_managed_node_groups",
        "# desired_size is honoured only when a group is created (the module ignores later changes).",
        "",
        f'variable "{SUBNET_VARIABLE}" {{',
        f"  description = {_hcl_string(SUBNET_DESCRIPTION)}",
        "  type        = map(list(string))",
    ]
    default = subnet_ids_by_zone(plan)
    if default is not None:
        lines.append(f"  default     = {_hcl(default, 1)}")
    lines += ["}", "", "locals {", f"  eks_managed_node_groups = {_hcl(node_groups_value(plan), 1)}", "}", ""]
    return "\n".join(lines)


def _hcl_string(text: str) -> str:
    """A quoted HCL string: JSON escapes, plus ``$${``/``%%{`` so nothing is interpolated."""
    return json.dumps(text, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def _hcl_key(key: str) -> str:
    """An object key: bare when it is an identifier (``min_size``), else quoted (``"eks-plan/pool"``)."""
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else _hcl_string(key)


def _hcl(value: Any, depth: int) -> str:
    indent = "  " * depth
    if isinstance(value, Expression):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        if "\n" in value:
            body = "".join(f"{indent}  {line}\n" for line in value.rstrip("\n").split("\n"))
            return f"<<-EOT\n{body.replace('${', '$${').replace('%{', '%%{')}{indent}EOT"
        return _hcl_string(value)
    if isinstance(value, list):
        if all(not isinstance(item, Mapping | list) for item in value):
            return "[" + ", ".join(_hcl(item, depth) for item in value) + "]"
        items = "".join(f"{indent}  {_hcl(item, depth + 1)},\n" for item in value)
        return "[\n" + items + f"{indent}]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        width = max(len(_hcl_key(str(key))) for key in value)
        entries = "".join(
            f"{indent}  {_hcl_key(str(key)).ljust(width)} = {_hcl(item, depth + 1)}\n"
            for key, item in value.items()
        )
        return "{\n" + entries + f"{indent}}}"
    raise TypeError(f"cannot write {type(value).__name__} as HCL")
