"""A planned node carries exactly the labels a real node of its pool's node style carries.

Sources, per label family:

- every node: kubelet's well-known labels (``kubernetes.io/arch``/``os``, ``node.kubernetes.io/
  instance-type``, the topology zone and region and their beta twins) and cloud-provider-aws's
  ``topology.k8s.aws/zone-id``; a real managed node group node's full ``metadata.labels`` is in
  aws-samples/eks-workshop-v2 ``website/docs/troubleshooting/dns/2-check-coredns.md``;
- managed node groups: ``eks.amazonaws.com/nodegroup`` and ``eks.amazonaws.com/capacityType``
  (EKS User Guide, managed node groups: "labels are prefixed with eks.amazonaws.com");
- Karpenter: ``karpenter.sh/nodepool``, ``capacity-type``, ``initialized``, ``registered``
  (kubernetes-sigs/karpenter ``pkg/apis/v1/labels.go``) and ``karpenter.k8s.aws/instance-*``
  (aws/karpenter-provider-aws ``pkg/apis/v1/labels.go``; values from
  ``pkg/providers/instancetype/types.go`` ``computeRequirements``);
- EKS Auto Mode: ``eks.amazonaws.com/compute-type: auto``, ``karpenter.sh/capacity-type`` and the
  ``eks.amazonaws.com/instance-*`` labels (awsdocs/amazon-eks-user-guide
  ``latest/ug/automode/create-node-pool.adoc``, "EKS Auto Mode Supported Labels");
- self-managed nodes: only the kubelet and cloud-provider labels, plus the pool's own.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.labels import node_labels
from eks_plan.config import load_config
from eks_plan.planning import node_options_for_config, size_cluster, style_hints
from eks_plan.resources import Resources
from eks_plan.scheduling import labels as well_known
from eks_plan.scheduling.pod import PodSpec
from eks_plan.scheduling.selectors import NodeSelector, NodeSelectorTerm, Operator, Requirement

KUBELET_AND_CLOUD = {
    "kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/arch": "amd64",
    "kubernetes.io/os": "linux",
    "beta.kubernetes.io/os": "linux",
    "node.kubernetes.io/instance-type": "m5.large",
    "beta.kubernetes.io/instance-type": "m5.large",
    "topology.kubernetes.io/zone": "us-west-2a",
    "failure-domain.beta.kubernetes.io/zone": "us-west-2a",
    "topology.kubernetes.io/region": "us-west-2",
    "failure-domain.beta.kubernetes.io/region": "us-west-2",
    "topology.k8s.aws/zone-id": "usw2-az1",
}


def _labels(style: str, capacity_type: str = "on-demand") -> dict[str, str]:
    catalog = load_catalog()
    return node_labels(
        catalog.lookup("m5.large"),
        region="us-west-2",
        zone="us-west-2a",
        capacity_type=capacity_type,
        node_style=style,
        pool="default",
        zone_id="usw2-az1",  # the dump's account; zone IDs are per account
        pool_labels={"workshop-default": "yes"},
    )


def test_managed_node_group_node_matches_a_real_nodes_labels() -> None:
    """The eks-workshop dump of a real m5.large managed node group node in us-west-2a, minus the
    labels whose value no plan can know (hostname: per node; nodegroup-image, sourceLaunchTemplate*,
    k8s.io/cloud-provider-aws: an AMI, a launch template, a cluster hash). The zone ID is the
    dump's: the catalogue's example mapping (moto's account) has another ID for us-west-2a, which
    is why a zone ID is honoured only as "one per zone"."""
    expected = {
        **KUBELET_AND_CLOUD,
        "eks.amazonaws.com/capacityType": "ON_DEMAND",
        "eks.amazonaws.com/nodegroup": "default",
        "workshop-default": "yes",
    }
    assert _labels("managed-node-group") == expected
    assert load_catalog().zone_id("us-west-2a") not in (None, "usw2-az1")


def test_karpenter_node_has_karpenter_labels_and_no_eks_ones() -> None:
    """labels.go (both Karpenter repositories) and ``computeRequirements``: nodepool, capacity type
    in Karpenter's spelling, the registered/initialized marks and the instance labels."""
    labels = _labels("karpenter", "spot")
    assert {key: labels[key] for key in KUBELET_AND_CLOUD} == KUBELET_AND_CLOUD
    assert labels["karpenter.sh/nodepool"] == "default"
    assert labels["karpenter.sh/capacity-type"] == "spot"
    assert labels["karpenter.sh/initialized"] == labels["karpenter.sh/registered"] == "true"
    assert labels["karpenter.k8s.aws/instance-cpu"] == "2"
    assert labels["karpenter.k8s.aws/instance-memory"] == "8192"
    assert labels["karpenter.k8s.aws/instance-family"] == "m5"
    assert not [key for key in labels if key.startswith("eks.amazonaws.com/")]


def test_auto_mode_node_has_eks_instance_labels_and_no_karpenter_aws_ones() -> None:
    """create-node-pool.adoc: Auto Mode uses ``eks.amazonaws.com/instance-*`` (same values as
    Karpenter's) and ``karpenter.sh/capacity-type``, and marks its nodes ``compute-type: auto``."""
    labels = _labels("auto-mode")
    assert labels["eks.amazonaws.com/compute-type"] == "auto"
    assert labels["karpenter.sh/capacity-type"] == "on-demand"
    assert labels["eks.amazonaws.com/instance-cpu"] == "2"
    assert labels["eks.amazonaws.com/instance-category"] == "m"
    assert labels["eks.amazonaws.com/instance-generation"] == "5"
    assert labels["eks.amazonaws.com/instance-memory"] == "8192"
    assert not [key for key in labels if key.startswith("karpenter.k8s.aws/")]
    assert "eks.amazonaws.com/nodegroup" not in labels and "eks.amazonaws.com/capacityType" not in labels


@pytest.mark.parametrize("style", ["self-managed", "bottlerocket"])
def test_self_managed_node_has_only_kubelet_cloud_and_pool_labels(style: str) -> None:
    assert _labels(style) == {**KUBELET_AND_CLOUD, "workshop-default": "yes"}


def test_zone_id_is_one_value_per_zone_in_every_pool_layout() -> None:
    """cloud-provider-aws labels each node with its zone's ID, a one-to-one alias of the zone; the
    catalogue's example mapping (moto) gives distinct IDs, so spread on zone-id has one domain per
    zone. Where the catalogue knows no ID (GovCloud), the zone name stands in, still one per zone."""
    config = load_config(None)
    options = node_options_for_config(config, load_catalog())
    pairs = {(o.zone, o.labels[well_known.ZONE_ID]) for o in options}
    assert len(pairs) == len({zone for zone, _ in pairs}) == len({zone_id for _, zone_id in pairs}) == 3
    assert ("us-east-1a", "use1-az6") in pairs
    m5 = load_catalog().lookup("m5.large")
    gov = node_labels(m5, region="us-gov-west-1", zone="us-gov-west-1a", capacity_type="on-demand")
    assert gov[well_known.ZONE_ID] == "us-gov-west-1a"


def _pod(key: str, operator: Operator = Operator.IN, values: tuple[str, ...] = ("2",)) -> PodSpec:
    term = NodeSelectorTerm((Requirement(key, operator, values),))
    return PodSpec(
        "default", (("app", "x"),), Resources({"pods": 1}), node_selector=NodeSelector(terms=(term,))
    )


def test_style_hint_names_the_key_and_the_pools_style() -> None:
    """A selector on a label only another node style sets gets the reason; NotIn/DoesNotExist on it
    are satisfied by its absence and get none; a pool of the right style silences it."""
    hints = style_hints(_pod("karpenter.k8s.aws/instance-cpu"), {"general": "managed-node-group"})
    assert hints == [
        "karpenter.k8s.aws/instance-cpu is set only on Karpenter nodes; pool 'general' is managed-node-group"
    ]
    assert (
        style_hints(_pod("karpenter.k8s.aws/instance-cpu", Operator.DOES_NOT_EXIST, ()), {"g": "auto-mode"})
        == []
    )
    assert (
        style_hints(_pod("karpenter.k8s.aws/instance-cpu"), {"a": "managed-node-group", "b": "karpenter"})
        == []
    )
    assert style_hints(_pod("eks.amazonaws.com/instance-cpu"), {"k": "karpenter"}) == [
        "eks.amazonaws.com/instance-cpu is set only on EKS Auto Mode nodes; pool 'k' is karpenter"
    ]


POOLS = """\
region: us-east-1
zones: [us-east-1a, us-east-1b]
nodePools:
  - name: general
    nodeStyle: {general}
    instances: {{instanceTypes: [m5.large, m5.xlarge]}}
  - name: tainted
    nodeStyle: {tainted}
    zones: [us-east-1b]
    instances: {{instanceTypes: [c5.large]}}
    taints: [{{key: dedicated, value: batch, effect: NoSchedule}}]
"""


def _deployment(name: str, node_selector: str, tolerations: str = "") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      nodeSelector: {node_selector}
      {tolerations}
      containers:
      - {{name: c, image: c, resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}}}
---
"""


def test_pool_layout_selectors_follow_each_pools_style(tmp_path: Path) -> None:
    """Two pools in different zones, the tainted one in one zone only and of another style: a
    Karpenter-label selector lands only on the Karpenter pool (when tolerated), an Auto Mode selector
    matches nothing and is reported with the hint, and the managed node group label lands only on
    the managed node group."""
    config = tmp_path / "eks-plan.yaml"
    config.write_text(POOLS.format(general="managed-node-group", tainted="karpenter"))
    manifests = tmp_path / "app.yaml"
    manifests.write_text(
        _deployment(
            "on-karpenter", "{karpenter.k8s.aws/instance-family: c5}", "tolerations: [{operator: Exists}]"
        )
        + _deployment(
            "on-group", "{eks.amazonaws.com/nodegroup: general}", "tolerations: [{operator: Exists}]"
        )
        + _deployment("auto-only", "{eks.amazonaws.com/compute-type: auto}")
    )
    result = size_cluster([manifests], config_path=config, time_limit_seconds=5, workers=1)
    where: dict[str, set[tuple[str, str]]] = {}
    for node in result.plan.nodes:
        for key in node.pods:
            where.setdefault(key, set()).add((node.option.pool, node.option.zone))
    assert where["Deployment/default/on-karpenter"] == {("tainted", "us-east-1b")}
    assert {pool for pool, _ in where["Deployment/default/on-group"]} == {"general"}
    [pending] = result.plan.unschedulable
    assert pending.workload == "Deployment/default/auto-only"
    assert (
        "eks.amazonaws.com/compute-type is set only on EKS Auto Mode nodes; pool 'general' is "
        "managed-node-group, pool 'tainted' is karpenter"
    ) in pending.reasons


def test_a_valid_auto_mode_selector_is_planned_on_an_auto_mode_pool(tmp_path: Path) -> None:
    """``eks.amazonaws.com/instance-category`` and ``compute-type: auto`` are valid selectors on an
    Auto Mode pool (they used to be reported unschedulable)."""
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            region: us-east-1
            zones: [us-east-1a]
            nodePools:
              - {name: auto, nodeStyle: auto-mode, instances: {instanceTypes: [m5.large, c5.large]}}
            """
        )
    )
    manifests = tmp_path / "app.yaml"
    manifests.write_text(
        _deployment("web", "{eks.amazonaws.com/compute-type: auto, eks.amazonaws.com/instance-category: c}")
    )
    result = size_cluster([manifests], config_path=config, time_limit_seconds=5, workers=1)
    assert not result.plan.unschedulable
    assert {node.option.instance_type for node in result.plan.nodes} == {"c5.large"}
