"""Round trip: for random plans, every export keeps the plan's node counts, instance types, zones,
capacity types, labels and taints (Karpenter, which sizes nodes itself, keeps all but the counts),
and stays valid against its schema and cross-field rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml
from export.checks import (
    EKSCTL_SCHEMA_NAME,
    karpenter_schema,
    read_hcl_export,
    read_json_export,
    schema_errors,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eks_plan.export import export_text
from eks_plan.export.eksctl import cross_field_problems
from eks_plan.export.karpenter import cel_problems

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
TYPES = {  # type: (arch, vcpus, memory MiB, max pods, gpus)
    "m6i.large": ("amd64", 2, 8192, 29, 0),
    "c6a.xlarge": ("amd64", 4, 8192, 58, 0),
    "m7g.2xlarge": ("arm64", 8, 32768, 58, 0),
    "g6.xlarge": ("amd64", 4, 16384, 58, 1),
}
EKS_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}

label_keys = st.sampled_from(["team", "example.com/tier", "workload-class", "app.kubernetes.io/part-of"])
label_values = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
taints = st.builds(
    lambda key, value, effect: {"key": key, "value": value, "effect": effect},
    st.sampled_from(["dedicated", "nvidia.com/gpu", "example.com/batch"]),
    st.sampled_from(["", "true", "gpu"]),
    st.sampled_from(list(EKS_EFFECTS)),
)


@st.composite
def plans(draw: Any) -> dict[str, Any]:
    pools = []
    rows = []
    for index in range(draw(st.integers(1, 3))):
        name = f"pool{index}"
        capacity_types = draw(st.sampled_from([["on-demand"], ["spot"], ["on-demand", "spot"]]))
        pool_taints = draw(st.lists(taints, max_size=2, unique_by=lambda t: (t["key"], t["effect"])))
        counts = draw(
            st.dictionaries(
                st.tuples(
                    st.sampled_from(sorted(TYPES)), st.sampled_from(ZONES), st.sampled_from(capacity_types)
                ),
                st.integers(1, 5),
                min_size=1,
                max_size=4,
            )
        )
        planned = sum(counts.values())
        max_nodes = draw(st.one_of(st.none(), st.integers(planned, planned + 6)))
        pools.append(
            {
                "name": name,
                "min_nodes": draw(st.integers(0, planned)),
                "max_nodes": max_nodes,
                "node_style": draw(st.sampled_from(["managed-node-group", "karpenter", "self-managed"])),
                "capacity_types": capacity_types,
                "zones": ZONES,
                "labels": draw(st.dictionaries(label_keys, label_values, max_size=2)),
                "taints": pool_taints,
                "max_pods": draw(st.one_of(st.none(), st.integers(10, 110))),
            }
        )
        for (instance_type, zone, capacity), count in sorted(counts.items()):
            arch, vcpus, memory, max_pods, gpus = TYPES[instance_type]
            rows.append(
                {"pool": name, "instance_type": instance_type, "zone": zone, "capacity_type": capacity,
                 "count": count, "cost_per_hour": 0.1 * count * vcpus, "cost_per_month": 73.0 * count * vcpus,
                 "arch": arch, "vcpus": vcpus, "memory_mib": memory, "max_pods": max_pods, "gpus": gpus}
            )  # fmt: skip
    mode = draw(st.sampled_from(["secondary-ip", "prefix-delegation", "custom-networking", "ipv6"]))
    return {
        "region": "us-east-1",
        "zones": ZONES,
        "nodes": [],  # the schema's required keys; the exporters read node groups
        "workloads": {},
        "node_groups": rows,
        "pools": pools,
        "cni": {"mode": mode, "warmEniTarget": 1, "warmPrefixTarget": 1, "securityGroupsForPods": False},
        "headroom_percent": draw(st.sampled_from([0, 10.0])),
        "subnets": [],
    }


def planned(plan: dict[str, Any]) -> Counter[tuple[str, str, str, str]]:
    return Counter(
        {
            (r["pool"], r["instance_type"], r["zone"], r["capacity_type"]): r["count"]
            for r in plan["node_groups"]
        }
    )


def pool_of(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(pool for pool in plan["pools"] if pool["name"] == name)


def taint_set(
    items: list[dict[str, str]], effects: dict[str, str] | None = None
) -> set[tuple[str, str, str]]:
    effects = effects or {}
    return {(t["key"], t.get("value", ""), effects.get(t["effect"], t["effect"])) for t in items}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_eksctl_and_terraform_keep_counts_types_zones_labels_and_taints(plan: dict[str, Any]) -> None:
    (document,) = list(yaml.safe_load_all(export_text(plan, "eksctl", cluster="c")))
    assert schema_errors(EKSCTL_SCHEMA_NAME, document) == []
    assert cross_field_problems(document) == []
    exported: Counter[tuple[str, str, str, str]] = Counter()
    minimums: Counter[str] = Counter()
    for group in document["managedNodeGroups"]:
        pool = pool_of(plan, group["tags"]["eks-plan/pool"])
        (zone,) = group["availabilityZones"]
        exported[(pool["name"], group["instanceType"], zone, "spot" if group["spot"] else "on-demand")] += (
            group["desiredCapacity"]
        )
        minimums[pool["name"]] += group["minSize"]
        assert group.get("labels", {}) == pool["labels"]
        assert taint_set(group.get("taints", [])) == taint_set(pool["taints"])
    assert exported == planned(plan)
    assert all(minimums[pool["name"]] == pool["min_nodes"] for pool in plan["pools"])

    for terraform_format, reader in (("hcl", read_hcl_export), ("json", read_json_export)):
        _, _, groups = reader(export_text(plan, "terraform", terraform_format=terraform_format))
        exported = Counter()
        for group in groups.values():
            pool = pool_of(plan, group["tags"]["eks-plan/pool"])
            zone = group["subnet_ids"].split('"')[1]
            capacity = {"ON_DEMAND": "on-demand", "SPOT": "spot"}[group["capacity_type"]]
            exported[(pool["name"], group["instance_types"][0], zone, capacity)] += group["desired_size"]
            assert group.get("labels", {}) == pool["labels"]
            assert taint_set(list(group.get("taints", {}).values())) == taint_set(pool["taints"], EKS_EFFECTS)
        assert exported == planned(plan)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_karpenter_keeps_types_zones_capacity_labels_and_taints(plan: dict[str, Any]) -> None:
    documents = list(yaml.safe_load_all(export_text(plan, "karpenter", cluster="c")))
    types: dict[str, set[str]] = {}
    for document in documents:
        assert schema_errors(karpenter_schema(document["kind"]), document) == []
        assert cel_problems(document) == []
        if document["kind"] != "NodePool":
            continue
        pool = pool_of(plan, document["metadata"]["labels"]["eks-plan/pool"])
        template = document["spec"]["template"]
        requirements = {r["key"]: set(r["values"]) for r in template["spec"]["requirements"]}
        types.setdefault(pool["name"], set()).update(requirements["node.kubernetes.io/instance-type"])
        rows = [r for r in plan["node_groups"] if r["pool"] == pool["name"]]
        assert {r["zone"] for r in rows} <= requirements["topology.kubernetes.io/zone"]
        assert {r["capacity_type"] for r in rows} <= requirements["karpenter.sh/capacity-type"]
        assert template.get("metadata", {}).get("labels", {}) == pool["labels"]
        assert taint_set(template["spec"].get("taints", [])) == taint_set(pool["taints"])
    assert types == {
        pool["name"]: {r["instance_type"] for r in plan["node_groups"] if r["pool"] == pool["name"]}
        for pool in plan["pools"]
        if any(r["pool"] == pool["name"] for r in plan["node_groups"])
    }
