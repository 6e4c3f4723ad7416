"""Exports of real plans (the sample, solved here, and every corpus folder's plan fixture) validate
against each target's schema and the rules it checks beyond it, and reproduce the plan's nodes.

Schemas: eksctl ``pkg/apis/eksctl.io/v1alpha5/assets/schema.json`` (eksctl-io/eksctl 99984ad);
Karpenter v1.14.1 CRDs as strict JSON Schemas (aws/karpenter-provider-aws tag v1.14.1); the root
``eks_managed_node_groups`` type of terraform-aws-modules/eks v21.19.0 ``variables.tf``. Cross-field
rules: eksctl ``validation.go`` (``ValidateManagedNodeGroup``, ``validateNodeGroupBase``,
``validateNodeGroupName``); Karpenter's ``x-kubernetes-validations`` (``CEL-RULES.md``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT
from export.checks import (
    karpenter_schema,
    plan_rows,
    read_hcl_export,
    read_json_export,
    schema_errors,
    terraform_problems,
)

from eks_plan.errors import InputError
from eks_plan.export import export_text
from eks_plan.export.eksctl import cross_field_problems
from eks_plan.export.karpenter import cel_problems

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS_PLANS = sorted(FIXTURES.glob("*.plan.json"))
EKSCTL_SCHEMA = "eksctl-clusterconfig-v1alpha5.schema.json"


@pytest.fixture(scope="session")
def sample_plan() -> dict[str, Any]:
    """The sample shop, solved in process with a short time limit (its plan, not its cost, matters)."""
    from eks_plan.planning import size_cluster
    from eks_plan.report.size import plan_file_data

    shop = REPO_ROOT / "samples" / "shop"
    result = size_cluster(
        [shop / "manifests"], config_path=shop / "eks-plan.yaml", time_limit_seconds=1, workers=1
    )
    return plan_file_data(result.plan, result.planning, result.config)


def corpus_plan(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def all_plans(sample_plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    plans = [("sample", sample_plan)] + [(path.name, corpus_plan(path)) for path in CORPUS_PLANS]
    return [(name, plan) for name, plan in plans if plan["node_groups"]]


def test_every_corpus_folder_has_a_plan_fixture(corpus_dir: Path) -> None:
    folders = {path.name for path in corpus_dir.iterdir() if path.is_dir()}
    assert {path.name.removesuffix(".plan.json") for path in CORPUS_PLANS} == folders


def test_the_fixtures_are_plans_as_size_writes_them(sample_plan: dict[str, Any]) -> None:
    """The fixtures were written by plan_file_data (tests/export/make_plans.py), not by hand: every key
    they hold is one the live plan has, and the exporters' reader takes them and the live plan."""
    from eks_plan.export.view import PlanView

    PlanView.from_json(sample_plan)
    for path in CORPUS_PLANS:
        plan = corpus_plan(path)
        assert set(plan) <= set(sample_plan), path.name
        assert all(set(pool) <= set(sample_plan["pools"][0]) for pool in plan["pools"]), path.name
        assert all(set(row) <= set(sample_plan["node_groups"][0]) for row in plan["node_groups"]), path.name
        PlanView.from_json(plan, path.name)


def test_eksctl_exports_validate_and_keep_every_node(sample_plan: dict[str, Any]) -> None:
    for name, plan in all_plans(sample_plan):
        (document,) = list(yaml.safe_load_all(export_text(plan, "eksctl", cluster="shop")))
        assert schema_errors(EKSCTL_SCHEMA, document) == [], name
        assert cross_field_problems(document) == [], name
        exported: dict[tuple[str, str, str, str], int] = {}
        for group in document["managedNodeGroups"]:
            (zone,) = group["availabilityZones"]
            key = (
                group["tags"]["eks-plan/pool"],
                group["instanceType"],
                zone,
                "spot" if group["spot"] else "on-demand",
            )
            exported[key] = exported.get(key, 0) + group["desiredCapacity"]
            pool = next(p for p in plan["pools"] if p["name"] == key[0])
            assert group.get("labels", {}) == pool["labels"]
        assert exported == plan_rows(plan), name


def test_karpenter_exports_validate_against_the_strict_v1_14_1_schemas(sample_plan: dict[str, Any]) -> None:
    for name, plan in all_plans(sample_plan):
        documents = list(yaml.safe_load_all(export_text(plan, "karpenter", cluster="shop")))
        classes = {d["metadata"]["name"] for d in documents if d["kind"] == "EC2NodeClass"}
        types: set[str] = set()
        for document in documents:
            assert schema_errors(karpenter_schema(document["kind"]), document) == [], (name, document["kind"])
            assert cel_problems(document) == [], name
            if document["kind"] == "NodePool":
                assert document["spec"]["template"]["spec"]["nodeClassRef"]["name"] in classes
                requirements = {
                    r["key"]: r["values"] for r in document["spec"]["template"]["spec"]["requirements"]
                }
                types |= set(requirements["node.kubernetes.io/instance-type"])
        assert types == {row[1] for row in plan_rows(plan)}, name


@pytest.mark.parametrize("terraform_format", ["hcl", "json"])
def test_terraform_exports_parse_and_type_check_against_the_module(
    sample_plan: dict[str, Any], terraform_format: str
) -> None:
    for name, plan in all_plans(sample_plan):
        text = export_text(plan, "terraform", cluster="shop", terraform_format=terraform_format)
        reader = read_hcl_export if terraform_format == "hcl" else read_json_export
        variables, _, node_groups = reader(text)
        assert terraform_problems(variables, node_groups) == [], name
        exported: dict[tuple[str, str, str, str], int] = {}
        for key, group in node_groups.items():
            assert group["name"] == key and group["use_name_prefix"] is False
            assert group["min_size"] <= group["desired_size"] <= group["max_size"]
            zone = group["subnet_ids"].split('"')[1]
            capacity = {"ON_DEMAND": "on-demand", "SPOT": "spot"}[group["capacity_type"]]
            row = (group["tags"]["eks-plan/pool"], group["instance_types"][0], zone, capacity)
            exported[row] = exported.get(row, 0) + group["desired_size"]
        assert exported == plan_rows(plan), name


def test_terraform_taints_use_the_eks_api_effects_and_gpu_nodes_the_nvidia_ami(
    sample_plan: dict[str, Any],
) -> None:
    _, _, groups = read_hcl_export(export_text(sample_plan, "terraform"))
    gpu = [group for group in groups.values() if group["tags"]["eks-plan/pool"] == "gpu"]
    assert gpu
    for group in gpu:
        assert group["ami_type"] == "AL2023_x86_64_NVIDIA"
        assert list(group["taints"].values()) == [
            {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
        ]
        assert group["labels"] == {"workload-class": "gpu"}


def test_terraform_uses_configured_subnet_ids_as_the_variable_default(sample_plan: dict[str, Any]) -> None:
    plan = json.loads(json.dumps(sample_plan))
    plan["subnets"] = [
        {"zone": zone, "cidr": f"10.0.{i}.0/24", "role": "nodes", "id": f"subnet-{i:04d}"}
        for i, zone in enumerate(plan["zones"])
    ]
    variables, defaults, groups = read_hcl_export(export_text(plan, "terraform"))
    assert defaults["eks_plan_subnet_ids"] == {
        zone: [f"subnet-{i:04d}"] for i, zone in enumerate(plan["zones"])
    }
    assert terraform_problems(variables, groups) == []
    # Without an ID for a zone with nodes, no default: the user must give them.
    plan["subnets"] = plan["subnets"][:1]
    _, defaults, _ = read_hcl_export(export_text(plan, "terraform"))
    assert "eks_plan_subnet_ids" not in defaults


def test_the_terraform_type_check_catches_wrong_attributes() -> None:
    """The checker itself can fail: a Kubernetes-style taint list and an unknown key are errors."""
    bad = {"g": {"taints": [{"key": "a", "effect": "NoSchedule"}], "zone": "us-east-1a", "min_size": "1"}}
    problems = terraform_problems({}, bad)
    assert any("taints" in p and "not a map" in p for p in problems)
    assert any("'zone' is not in the module's type" in p for p in problems)
    assert any("min_size" in p and "not a number" in p for p in problems)


def test_cel_rules_reject_what_a_json_schema_accepts() -> None:
    """CEL rules 15 (In needs values), 2/4/5 (restricted label domains) and 47 (role xor
    instanceProfile) of the v1.14.1 CRDs; each document passes the strict JSON Schema."""
    node_pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "p"},
        "spec": {
            "template": {
                "metadata": {"labels": {"karpenter.sh/custom": "x", "kubernetes.io/hostname": "h"}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "p"},
                    "requirements": [
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": []},
                        {"key": "karpenter.k8s.aws/instance-foo", "operator": "Exists"},
                    ],
                },
            }
        },
    }
    assert schema_errors(karpenter_schema("NodePool"), node_pool) == []
    problems = " | ".join(cel_problems(node_pool))
    assert "operator 'In' must have a value" in problems
    assert 'label domain "karpenter.sh" is restricted' in problems
    assert 'label "kubernetes.io/hostname" is restricted' in problems
    assert 'label domain "karpenter.k8s.aws" is restricted' in problems
    node_class = {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "p"},
        "spec": {
            "role": "r",
            "instanceProfile": "i",
            "amiSelectorTerms": [{"alias": "al2023@latest"}],
            "subnetSelectorTerms": [{"tags": {"a": "b"}}],
            "securityGroupSelectorTerms": [{"tags": {"a": "b"}}],
        },
    }
    assert schema_errors(karpenter_schema("EC2NodeClass"), node_class) == []
    assert cel_problems(node_class) == ["spec: must specify exactly one of ['role', 'instanceProfile']"]


def test_eksctl_cross_field_rules_catch_what_the_schema_accepts() -> None:
    document = {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": "c", "region": "us-east-1"},
        "managedNodeGroups": [
            {"name": "a", "instanceType": "m5.large", "instanceTypes": ["m5.large"],
             "availabilityZones": ["x"], "subnets": ["s"], "minSize": 3, "desiredCapacity": 2, "maxSize": 4},
        ],
    }  # fmt: skip
    assert schema_errors(EKSCTL_SCHEMA, document) == []
    problems = " | ".join(cross_field_problems(document))
    assert "only one of instanceType or instanceTypes" in problems
    assert "only one of subnets or availabilityZones" in problems
    assert "minSize (3) ≤ desiredCapacity (2)" in problems


def test_a_pool_label_karpenter_forbids_is_an_input_error(sample_plan: dict[str, Any]) -> None:
    plan = json.loads(json.dumps(sample_plan))
    plan["pools"][0]["labels"] = {"karpenter.sh/team": "a"}
    with pytest.raises(InputError, match=r'label domain "karpenter\.sh" is restricted'):
        export_text(plan, "karpenter")


def test_prefix_delegation_sets_max_pods_and_the_vpc_cni_configuration(sample_plan: dict[str, Any]) -> None:
    plan = json.loads(json.dumps(sample_plan))
    plan["cni"] = {"mode": "prefix-delegation", "warmEniTarget": 1, "warmPrefixTarget": 2}
    (document,) = list(yaml.safe_load_all(export_text(plan, "eksctl")))
    env = json.loads(document["addons"][0]["configurationValues"])["env"]
    assert env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_ENI_TARGET": "1", "WARM_PREFIX_TARGET": "2"}
    rows = {(g["pool"], g["instance_type"]): g["max_pods"] for g in plan["node_groups"]}
    for group in document["managedNodeGroups"]:
        assert group["maxPodsPerNode"] == rows[(group["tags"]["eks-plan/pool"], group["instanceType"])]
    assert schema_errors(EKSCTL_SCHEMA, document) == []
    _, _, groups = read_hcl_export(export_text(plan, "terraform"))
    for group in groups.values():
        (config,) = group["cloudinit_pre_nodeadm"]
        node_config = yaml.safe_load(config["content"])
        assert node_config["kind"] == "NodeConfig"
        assert (
            node_config["spec"]["kubelet"]["config"]["maxPods"]
            == rows[(group["tags"]["eks-plan/pool"], group["instance_types"][0])]
        )


def test_secondary_ip_managed_node_groups_leave_max_pods_to_eks(sample_plan: dict[str, Any]) -> None:
    (document,) = list(yaml.safe_load_all(export_text(sample_plan, "eksctl")))
    assert all("maxPodsPerNode" not in group for group in document["managedNodeGroups"])


def test_karpenter_node_classes_carry_the_plans_max_pods_per_type(sample_plan: dict[str, Any]) -> None:
    """A NodeClass's maxPods applies to all its types, so types planned with different maxPods
    (managed-node-group style: 58 for c6a.xlarge, 110 for c6a.4xlarge) get separate pools."""
    documents = list(yaml.safe_load_all(export_text(sample_plan, "karpenter")))
    max_pods = {
        d["metadata"]["name"]: d["spec"]["kubelet"]["maxPods"]
        for d in documents
        if d["kind"] == "EC2NodeClass"
    }
    rows = {g["instance_type"]: g["max_pods"] for g in sample_plan["node_groups"]}
    for document in documents:
        if document["kind"] == "NodePool":
            spec = document["spec"]["template"]["spec"]
            (types,) = [
                r["values"] for r in spec["requirements"] if r["key"] == "node.kubernetes.io/instance-type"
            ]
            assert {rows[t] for t in types} == {max_pods[spec["nodeClassRef"]["name"]]}


def test_an_old_plan_without_pool_details_is_a_clear_error(sample_plan: dict[str, Any]) -> None:
    plan = json.loads(json.dumps(sample_plan))
    for pool in plan["pools"]:
        del pool["labels"]
    with pytest.raises(InputError, match=r"pools\[0\] has no 'labels'.*older eks-plan") as error:
        export_text(plan, "eksctl", source="old.json")
    assert str(error.value).startswith("old.json: ")


def test_a_plan_without_nodes_is_a_clear_error() -> None:
    plan = corpus_plan(FIXTURES / "nvidia-device-plugin.plan.json")
    with pytest.raises(InputError, match="no nodes to export"):
        export_text(plan, "terraform")


def test_cni_keys_are_read_in_snake_case_and_camel_case(sample_plan: dict[str, Any]) -> None:
    """The plan's cni section spells keys as eks-plan.yaml does (camelCase) or in snake_case (plan
    file version 1); both give the same vpc-cni configuration."""
    plan = json.loads(json.dumps(sample_plan))
    environments = []
    for cni in (
        {"mode": "prefix-delegation", "warmEniTarget": 2, "warmPrefixTarget": 3},
        {"mode": "prefix-delegation", "warm_eni_target": 2, "warm_prefix_target": 3},
    ):
        plan["cni"] = cni
        (document,) = list(yaml.safe_load_all(export_text(plan, "eksctl")))
        environments.append(json.loads(document["addons"][0]["configurationValues"])["env"])
    assert environments[0] == environments[1] == {
        "ENABLE_PREFIX_DELEGATION": "true", "WARM_ENI_TARGET": "2", "WARM_PREFIX_TARGET": "3",
    }  # fmt: skip
