"""The plan as Karpenter v1 ``NodePool`` and ``EC2NodeClass`` objects, one pair per pool with nodes.

Requirements admit exactly the instance types the plan chose for the pool, not their families or
sizes: the plan's cost, allocatable and max pods were checked for those types only, and a wider
list lets Karpenter launch a type the plan never priced (for spot diversity, widen it by hand).
Zones and capacity types are the pool's (every one the plan priced), arch the chosen types'.
``limits`` are the cpu and memory of the plan's nodes in the pool, raised by the configuration's
``headroomPercent`` and by the pool's spare room up to ``maxNodes`` (in nodes of its largest
chosen type). ``weight`` orders pools by the plan's price per vCPU in them, the cheapest highest.
The EC2NodeClass uses the AL2023 alias, a ``role`` and ``karpenter.sh/discovery`` tag selectors,
and ``kubelet.maxPods`` as the plan counted pods.

:func:`cel_problems` re-implements the CRDs' CEL rules (``x-kubernetes-validations`` of the
v1.14.1 CRDs, ``CEL-RULES.md``) that such an export could break, which a JSON Schema cannot check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from eks_plan.export.view import NodeGroupView, PlanView, PoolView

#: karpenter.k8s.aws/* label keys the AWS provider's CEL rule allows (v1.14.1 NodePool CRD).
AWS_ALLOWED_LABELS = frozenset(
    {
        "karpenter.k8s.aws/instance-tenancy",
        "karpenter.k8s.aws/capacity-reservation-type",
        "karpenter.k8s.aws/capacity-reservation-id",
        "karpenter.k8s.aws/capacity-reservation-interruptible",
        "karpenter.k8s.aws/ec2nodeclass",
        "karpenter.k8s.aws/instance-encryption-in-transit-supported",
        "karpenter.k8s.aws/instance-category",
        "karpenter.k8s.aws/instance-hypervisor",
        "karpenter.k8s.aws/instance-family",
        "karpenter.k8s.aws/instance-generation",
        "karpenter.k8s.aws/instance-local-nvme",
        "karpenter.k8s.aws/instance-size",
        "karpenter.k8s.aws/instance-cpu",
        "karpenter.k8s.aws/instance-cpu-manufacturer",
        "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz",
        "karpenter.k8s.aws/instance-memory",
        "karpenter.k8s.aws/instance-ebs-bandwidth",
        "karpenter.k8s.aws/instance-network-bandwidth",
        "karpenter.k8s.aws/instance-gpu-name",
        "karpenter.k8s.aws/instance-gpu-manufacturer",
        "karpenter.k8s.aws/instance-gpu-count",
        "karpenter.k8s.aws/instance-gpu-memory",
        "karpenter.k8s.aws/instance-accelerator-name",
        "karpenter.k8s.aws/instance-accelerator-manufacturer",
        "karpenter.k8s.aws/instance-accelerator-count",
        "karpenter.k8s.aws/instance-capability-flex",
        "karpenter.k8s.aws/placement-group-id",
        "karpenter.k8s.aws/placement-group-partition",
    }
)
CONSOLIDATE_AFTER = "1m"


def karpenter_objects(plan: PlanView, cluster: str) -> list[dict[str, Any]]:
    """NodePool and EC2NodeClass per pool with nodes in the plan (NodeClass first, as applied).

    ``kubelet.maxPods`` applies to every type of a NodeClass, so a pool whose chosen types were
    planned with different maxPods becomes one NodeClass and NodePool per value (``<pool>-<maxPods>``),
    each admitting its own types. A ``karpenter``-style pool in secondary-IP mode without a pool
    ``maxPods`` gets none: Karpenter computes the same ENI-limited value per type as the plan.
    """
    pools = [pool for pool in plan.pools if any(row.count for row in plan.groups_of(pool.name))]
    weights = _weights(plan, pools)
    objects: list[dict[str, Any]] = []
    for pool in pools:
        rows = [row for row in plan.groups_of(pool.name) if row.count]
        own_value = (
            pool.node_style == "karpenter" and pool.max_pods is None and plan.cni.mode == "secondary-ip"
        )
        by_max_pods: dict[int | None, list[NodeGroupView]] = {}
        for row in rows:
            by_max_pods.setdefault(None if own_value else row.max_pods, []).append(row)
        for max_pods, part in sorted(by_max_pods.items(), key=lambda item: item[0] or 0):
            name = _object_name(pool.name)
            if len(by_max_pods) > 1:
                name = f"{name[:55]}-{max_pods}"
            objects.append(_node_class(name, cluster, max_pods))
            objects.append(
                _node_pool(
                    name, pool, part, sum(r.count for r in rows), weights[pool.name], plan.headroom_percent
                )
            )
    return objects


def _node_pool(
    name: str, pool: PoolView, rows: list[NodeGroupView], pool_nodes: int, weight: int, headroom: float
) -> dict[str, Any]:
    types = sorted({row.instance_type for row in rows})
    arches = sorted({row.arch for row in rows})
    zones = sorted(set(pool.zones) | {row.zone for row in rows})
    capacity = sorted(set(pool.capacity_types) | {row.capacity_type for row in rows})
    requirements = [
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": types},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity},
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": zones},
        {"key": "kubernetes.io/arch", "operator": "In", "values": arches},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    template_spec: dict[str, Any] = {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name},
        "requirements": requirements,
    }
    if pool.taints:
        template_spec["taints"] = [
            {"key": t.key, **({"value": t.value} if t.value else {}), "effect": t.effect} for t in pool.taints
        ]
    template: dict[str, Any] = {"spec": template_spec}
    if pool.labels:
        template = {"metadata": {"labels": dict(pool.labels)}, **template}
    spec: dict[str, Any] = {
        "template": template,
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": CONSOLIDATE_AFTER,
        },
        "limits": _limits(pool, rows, pool_nodes, headroom),
        "weight": weight,
    }
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": name, "labels": {"eks-plan/pool": _label_value(pool.name)}},
        "spec": spec,
    }


def _node_class(name: str, cluster: str, max_pods: int | None) -> dict[str, Any]:
    discovery = {"karpenter.sh/discovery": cluster}
    node_class: dict[str, Any] = {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": name},
        "spec": {
            "role": f"KarpenterNodeRole-{cluster}",
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": [{"tags": dict(discovery)}],
            "securityGroupSelectorTerms": [{"tags": dict(discovery)}],
        },
    }
    if max_pods is not None:
        node_class["spec"]["kubelet"] = {"maxPods": max_pods}
    return node_class


def _limits(
    pool: PoolView, rows: list[NodeGroupView], pool_nodes: int, headroom_percent: float
) -> dict[str, str]:
    """cpu and memory of the planned nodes, plus headroom and the pool's room left to maxNodes (in
    nodes of the largest of these types; ``pool_nodes`` is the plan's node count in the pool)."""
    cpu = sum(row.vcpus * row.count for row in rows)
    memory = sum(row.memory_mib * row.count for row in rows)
    if pool.max_nodes is not None and pool.max_nodes > pool_nodes:
        largest = max(rows, key=lambda row: (row.vcpus, row.memory_mib))
        cpu += largest.vcpus * (pool.max_nodes - pool_nodes)
        memory += largest.memory_mib * (pool.max_nodes - pool_nodes)
    factor = 1 + headroom_percent / 100
    return {"cpu": str(math.ceil(cpu * factor)), "memory": f"{math.ceil(memory * factor)}Mi"}


def _weights(plan: PlanView, pools: list[PoolView]) -> dict[str, int]:
    """1..100, higher for pools whose planned nodes cost less per vCPU (Karpenter tries the NodePool
    with the highest weight first)."""

    def price_per_vcpu(pool: PoolView) -> float:
        rows = [row for row in plan.groups_of(pool.name) if row.count]
        vcpus = sum(row.vcpus * row.count for row in rows)
        return sum(row.cost_per_hour for row in rows) / vcpus if vcpus else math.inf

    ranked = sorted(pools, key=lambda pool: (price_per_vcpu(pool), pool.name))
    return {pool.name: max(1, 100 - index) for index, pool in enumerate(ranked)}


def _object_name(pool: str) -> str:
    """A DNS-1123 name for the pool's objects."""
    name = re.sub(r"[^a-z0-9-]+", "-", pool.lower()).strip("-")
    return name[:63].rstrip("-") or "pool"


def _label_value(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63].strip("-_.") or "pool"


def _domain(key: str) -> str:
    """CEL ``x.find("^([^/]+)")``: the key up to its first slash (the whole key without one)."""
    return key.split("/", 1)[0]


def restricted_label(key: str) -> str | None:
    """Why a NodePool may not use ``key`` as a template label or requirement key, or ``None``
    (NodePool CRD v1.14.1 rules 2-5 and 11-14)."""
    if key == "karpenter.sh/nodepool":
        return 'label "karpenter.sh/nodepool" is restricted'
    if key not in ("karpenter.sh/capacity-type",) and _domain(key).endswith("karpenter.sh"):
        return 'label domain "karpenter.sh" is restricted'
    if key == "kubernetes.io/hostname":
        return 'label "kubernetes.io/hostname" is restricted'
    if key not in AWS_ALLOWED_LABELS and _domain(key).endswith("karpenter.k8s.aws"):
        return 'label domain "karpenter.k8s.aws" is restricted'
    return None


def cel_problems(document: Mapping[str, Any]) -> list[str]:
    """The CEL rules of the v1.14.1 CRDs that an export could break; an empty list when it passes.

    NodePool: restricted label domains on template labels and requirement keys, ``In`` with at
    least one value, ``Gt/Lt/Gte/Lte`` with one non-negative integer, ``minValues`` ≤ values,
    non-empty ``nodeClassRef`` fields. EC2NodeClass: exactly one of ``role``/``instanceProfile``
    (non-empty), an alias term alone, selector terms with ``tags`` or ``id`` and non-empty tags.
    """
    problems: list[str] = []
    kind = document.get("kind")
    spec = document.get("spec", {})
    if kind == "NodePool":
        template = spec.get("template", {})
        for key in template.get("metadata", {}).get("labels", {}):
            why = restricted_label(key)
            if why:
                problems.append(f"spec.template.metadata.labels['{key}']: {why}")
        template_spec = template.get("spec", {})
        for index, requirement in enumerate(template_spec.get("requirements", [])):
            where = f"spec.template.spec.requirements[{index}]"
            why = restricted_label(requirement.get("key", ""))
            if why:
                problems.append(f"{where}.key: {why}")
            operator, values = requirement.get("operator"), requirement.get("values", [])
            if operator == "In" and not values:
                problems.append(f"{where}: requirements with operator 'In' must have a value defined")
            if operator in ("Gt", "Lt", "Gte", "Lte") and not (len(values) == 1 and str(values[0]).isdigit()):
                problems.append(f"{where}: operator '{operator}' needs a single non-negative integer value")
            if operator == "In" and "minValues" in requirement and len(values) < requirement["minValues"]:
                problems.append(f"{where}: fewer values than minValues")
        for field in ("group", "kind", "name"):
            if not template_spec.get("nodeClassRef", {}).get(field):
                problems.append(f"spec.template.spec.nodeClassRef.{field} may not be empty")
        if "replicas" in spec and "weight" in spec:
            problems.append("spec: a static NodePool (replicas) cannot set weight")
    elif kind == "EC2NodeClass":
        role, profile = spec.get("role"), spec.get("instanceProfile")
        if (role is None) == (profile is None):
            problems.append("spec: must specify exactly one of ['role', 'instanceProfile']")
        if role == "" or profile == "":
            problems.append("spec: role / instanceProfile cannot be empty")
        terms = spec.get("amiSelectorTerms", [])
        if any("alias" in term for term in terms) and len(terms) > 1:
            problems.append("spec.amiSelectorTerms: an alias term must be the only term")
        for field in ("subnetSelectorTerms", "securityGroupSelectorTerms"):
            for index, term in enumerate(spec.get(field, [])):
                if not (
                    "tags" in term
                    or "id" in term
                    or (field == "securityGroupSelectorTerms" and "name" in term)
                ):
                    problems.append(f"spec.{field}[{index}]: expected at least one of tags or id")
                if "tags" in term and (
                    not term["tags"] or any(not k or not v for k, v in term["tags"].items())
                ):
                    problems.append(f"spec.{field}[{index}].tags: empty tag keys or values aren't supported")
    return problems
