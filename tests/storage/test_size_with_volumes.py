"""``size`` with EBS volumes: volume slots per node, zonal volumes under zone loss, and their cost.

Rules and sources:
- kube-scheduler's NodeVolumeLimits filter (kubernetes ``pkg/scheduler/framework/plugins/nodevolumelimits/
  csi.go``, ``Filter``: ``attached + new > limit`` -> Unschedulable, ``ErrReasonMaxVolumeCountExceeded``
  "node(s) exceed max volume count") against the EBS CSI driver's CSINode count (aws-ebs-csi-driver
  ``pkg/driver/node.go`` ``getVolumesLimit``), whose shared-limit types lose a slot per ENI beyond the
  first: prefix delegation, fewer ENIs, more slots (EBSCSI ``docs/faq.md``).
- An EBS volume lives in one zone (the driver's ``CreateVolume`` AccessibleTopology; kube-scheduler's
  VolumeBinding ``checkBoundClaims``/``CheckNodeAffinity`` and VolumeZone keep its pod there): when the
  zone is lost its pod stays Pending, so no spare capacity elsewhere is bought for it.
- Prices: ``data/ebs-prices.json`` (reference notes part 1d, Infracost's us-east-1 golden, 2024-07-01).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from eks_plan.catalog import load_catalog
from eks_plan.config import load_config
from eks_plan.manifests import load_manifests
from eks_plan.network.ipamd import CniSettings
from eks_plan.planning import PlanningOverrides, build_loaded_cluster, size_cluster
from eks_plan.report.size import plan_file_data
from eks_plan.solver.verify import verify_plan
from eks_plan.storage.attach import EBS_VOLUMES, MAX_VOLUME_COUNT_REASON
from eks_plan.storage.check import volume_slot_warnings
from eks_plan.storage.report import volume_costs

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO_ROOT / "eks_plan" / "plan" / "plan.schema.json").read_text())

CONFIG = """
apiVersion: eks-plan.io/v1alpha1
kind: PlanConfig
region: us-east-1
zones: [{zones}]
nodePools:
  - name: p
    nodeStyle: managed-node-group
    instances: {{instanceTypes: [{types}]}}
    maxPods: {max_pods}
    capacityTypes: [on-demand]
cni:
  mode: {mode}
tolerateZoneLoss: {zone_loss}
"""

SHARDS = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  annotations: {{storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
parameters: {{type: gp3}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: shards, namespace: db}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: shards}}}}
  template:
    metadata: {{labels: {{app: shards}}}}
    spec:
      containers:
        - {{name: c, image: x, resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}
  volumeClaimTemplates:
    - metadata: {{name: data}}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {{requests: {{storage: 1Gi}}}}
"""


def _files(tmp_path: Path, manifests: str, **config: object) -> tuple[Path, Path]:
    settings = {
        "zones": "us-east-1a", "mode": "secondary-ip", "zone_loss": "false", "types": "m5.large",
        "max_pods": 110, **config,
    }  # fmt: skip
    config_path = tmp_path / "eks-plan.yaml"
    config_path.write_text(textwrap.dedent(CONFIG.format(**settings)), encoding="utf-8")
    manifest_path = tmp_path / "app.yaml"
    manifest_path.write_text(textwrap.dedent(manifests).lstrip(), encoding="utf-8")
    return config_path, manifest_path


def _size(tmp_path: Path, manifests: str, **config: object):  # type: ignore[no-untyped-def]
    config_path, manifest_path = _files(tmp_path, manifests, **config)
    return size_cluster([manifest_path], config_path=config_path, time_limit_seconds=10, workers=1)


def _volumes_per_node(result) -> list[int]:  # type: ignore[no-untyped-def]
    groups = {group.key: group for group in result.planning.problem.pod_groups}
    return sorted(
        sum(groups[key].pod.requests[EBS_VOLUMES] * count for key, count in node.pods.items())
        for node in result.plan.nodes
    )


def test_volume_slots_not_cpu_decide_the_node_count(tmp_path: Path) -> None:
    """50 tiny StatefulSet pods with one gp3 volume each on m5.large (secondary IP, maxPods 110): cpu
    and memory fit on one node and addresses on two (27 VPC-address pods a node), but each node has
    24 volume slots (27 shared - root - 2 more ENIs when full), so three nodes are needed."""
    result = _size(tmp_path, SHARDS.format(replicas=50))
    assert not result.plan.unschedulable
    assert len(result.plan.nodes) == 3
    assert max(_volumes_per_node(result)) <= 24
    assert sum(_volumes_per_node(result)) == 50
    assert verify_plan(result.planning.problem, result.plan) == []
    data = plan_file_data(result.plan, result.planning, result.config)
    jsonschema.validate(data, SCHEMA)
    storage = data["storage"]
    assert {node["attachable_volumes"] for node in storage["nodes"]} == {24}
    assert {node["planned_enis"] for node in storage["nodes"]} == {3}
    assert storage["cost_per_month"] == 50 * 0.08  # 50 x 1 GiB gp3 at $0.08/GB-month
    # The total includes the volumes.
    assert abs(data["cost_per_month"] - (data["cost_per_hour"] * 730)) < 0.01


def test_prefix_delegation_frees_volume_slots_compared_with_secondary_ip(tmp_path: Path) -> None:
    """The same 50 pods with prefix delegation: 110 pods fit in /28 prefixes on the primary ENI, so the
    node keeps 26 slots and two nodes hold the 50 volumes (secondary IP: three). ``check-ips`` on that
    plan under secondary-IP settings warns that the ENIs would leave too few slots."""
    secondary = _size(tmp_path, SHARDS.format(replicas=50))
    prefix = _size(tmp_path, SHARDS.format(replicas=50), mode="prefix-delegation")
    assert (len(secondary.plan.nodes), len(prefix.plan.nodes)) == (3, 2)
    assert max(_volumes_per_node(prefix)) <= 26
    assert verify_plan(prefix.planning.problem, prefix.plan) == []
    data = plan_file_data(prefix.plan, prefix.planning, prefix.config)
    catalog = load_catalog()
    assert volume_slot_warnings(data, CniSettings(mode="prefix-delegation"), catalog) == []
    warnings = volume_slot_warnings(data, CniSettings(), catalog)
    assert warnings and all(w.attachable == 24 and w.ebs_volumes > 24 for w in warnings)
    assert "node(s) exceed max volume count" in warnings[0].message()


def test_a_pod_with_more_volumes_than_any_node_takes_is_unplaceable_with_the_fix(tmp_path: Path) -> None:
    """30 generic ephemeral volumes on one pod: m5.large has 24 slots, so kube-scheduler's reason."""
    volumes = "\n".join(
        f"        - {{name: v{i}, ephemeral: {{volumeClaimTemplate: {{spec: {{accessModes: [ReadWriteOnce], "
        f"resources: {{requests: {{storage: 1Gi}}}}}}}}}}}}"
        for i in range(30)
    )
    manifests = (
        SHARDS.format(replicas=1).split("---\n")[0]
        + textwrap.dedent("""
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: many, namespace: db}
        spec:
          selector: {matchLabels: {app: many}}
          template:
            metadata: {labels: {app: many}}
            spec:
              containers: [{name: c, image: x, resources: {requests: {cpu: 10m}}}]
              volumes:
        """)
        + volumes
        + "\n"
    )
    result = _size(tmp_path, manifests)
    [item] = result.plan.unschedulable
    assert item.workload == "Deployment/db/many"
    assert any(MAX_VOLUME_COUNT_REASON in reason for reason in item.reasons)
    assert any("requests 30" in reason and "24" in reason for reason in item.reasons)
    assert any("dedicated-limit type" in fix for fix in item.fixes)


ZONAL = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: db, namespace: db}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: db}}}}
  template:
    metadata: {{labels: {{app: db}}}}
    spec:
      topologySpreadConstraints:
        - {{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule,
           labelSelector: {{matchLabels: {{app: db}}}}}}
      containers:
        - {{name: c, image: x, resources: {{requests: {{cpu: 1500m, memory: 1Gi}}}}}}
{templates}
"""
TEMPLATES = """  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 100Gi}}
"""


def test_zone_loss_does_not_buy_spare_capacity_for_pods_bound_to_ebs_volumes(tmp_path: Path) -> None:
    """Three 1.5-vCPU replicas, one per zone, on m5.large (1.78 vCPU usable each): tolerating a zone's
    loss, stateless replicas need a spare node in another zone; replicas on EBS volumes cannot move
    there (the scheduler keeps them in their volume's zone), so the plan buys no spare and reports each
    as unavailable while its zone is down. The default class is assumed (gp3), and said so."""
    zones = "us-east-1a, us-east-1b, us-east-1c"
    stateless = _size(tmp_path, ZONAL.format(templates=""), zones=zones, zone_loss="true")
    stateful = _size(tmp_path, ZONAL.format(templates=TEMPLATES), zones=zones, zone_loss="true")
    assert len(stateless.plan.nodes) > 3
    assert len(stateful.plan.nodes) == 3
    assert stateful.plan.node_cost_per_hour < stateless.plan.node_cost_per_hour
    assert verify_plan(stateful.planning.problem, stateful.plan) == []
    data = plan_file_data(stateful.plan, stateful.planning, stateful.config)
    jsonschema.validate(data, SCHEMA)
    assert data["storage"]["zone_loss_unavailable"] == [
        {"zone": zone, "workload": "StatefulSet/db/db", "pods": 1}
        for zone in ("us-east-1a", "us-east-1b", "us-east-1c")
    ]
    assert data["storage"]["default_storage_class_assumed"] is True
    assert any("ebs-csi-default-sc" in note for note in data["notes"])
    assert data["storage"]["cost_per_month"] == 3 * 100 * 0.08


def test_the_samples_storage_cost() -> None:
    """samples/shop: postgres 2 x 200Gi gp3 at 6,000 IOPS and 250 MiB/s (200 x 0.08 + 3,000 x 0.005 +
    125 x 0.04 = $36.00 each) and redis 3 x 10Gi gp3 ($0.80 each): $74.40 a month."""
    config = load_config(REPO_ROOT / "samples" / "shop" / "eks-plan.yaml")
    manifests = load_manifests([REPO_ROOT / "samples" / "shop" / "manifests"])
    planning = build_loaded_cluster(manifests, config, load_catalog())
    volumes, total, unpriced, notes = volume_costs(planning)
    assert (total, unpriced, notes) == (74.4, 0, [])
    by_workload = {item["workload"]: item for item in volumes}
    assert by_workload["StatefulSet/shop/postgres"]["cost_per_month_each"] == 36.0
    assert by_workload["StatefulSet/shop/postgres"]["count"] == 2
    assert by_workload["StatefulSet/shop/redis"]["cost_per_month"] == 2.4


def test_regions_without_bundled_ebs_prices_leave_volumes_unpriced(tmp_path: Path) -> None:
    config_path, manifest_path = _files(tmp_path, SHARDS.format(replicas=2))
    config = PlanningOverrides(region="us-gov-west-1", zones=("us-gov-west-1a",)).apply(
        load_config(config_path)
    )
    planning = build_loaded_cluster(load_manifests([manifest_path]), config, load_catalog())
    _, total, unpriced, notes = volume_costs(planning)
    assert (total, unpriced) == (0.0, 2)
    assert any("no EBS prices are bundled for us-gov-west-1" in note for note in notes)


def test_diff_gives_a_workloads_volume_cost_change_to_it(tmp_path: Path) -> None:
    """``eks-plan diff``: one more StatefulSet replica adds one more 1Gi gp3 volume ($0.08 a month),
    priced per volume and so given to that workload exactly, on top of its relaxation share."""
    from eks_plan.diff import DiffOptions, diff

    config_path, _ = _files(tmp_path, SHARDS.format(replicas=2))
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    head.mkdir()
    (base / "app.yaml").write_text(textwrap.dedent(SHARDS.format(replicas=2)).lstrip(), encoding="utf-8")
    (head / "app.yaml").write_text(textwrap.dedent(SHARDS.format(replicas=3)).lstrip(), encoding="utf-8")
    options = DiffOptions(config_path=config_path, time_limit_seconds=10, workers=1)
    report = diff([str(base)], [str(head)], options)
    [change] = report["workloads"]
    assert change["name"] == "StatefulSet/db/shards"
    total = float(report["diffTotalMonthlyCost"])
    assert total == pytest.approx(0.08, abs=0.005)  # one node holds them all: only the volume changes
    attribution = report["attribution"]
    relaxation = float(attribution["relaxationMonthlyCost"]) - float(attribution["relaxationPastMonthlyCost"])
    assert float(change["diffMonthlyCost"]) == pytest.approx(relaxation + 0.08, abs=0.0051)
    assert "persistent volumes priced directly" in attribution["why"]


def test_the_volume_resource_is_left_out_when_it_cannot_bind(tmp_path: Path) -> None:
    """m7i.large (32 dedicated: 31 volumes) with maxPods 29: no node can hold more than 26 of these
    pods, so the limit never decides anything and the solver is not given the resource (as
    ``vpc-ip-pods`` only when addresses bind); the report still counts each node's volumes."""
    result = _size(tmp_path, SHARDS.format(replicas=30), types="m7i.large", max_pods=29)
    assert all(EBS_VOLUMES not in group.pod.requests for group in result.planning.problem.pod_groups)
    assert all(EBS_VOLUMES not in option.allocatable for option in result.planning.problem.node_options)
    data = plan_file_data(result.plan, result.planning, result.config)
    assert sum(node["ebs_volumes"] for node in data["storage"]["nodes"]) == 30
    assert {node["attachable_volumes"] for node in data["storage"]["nodes"]} == {31}
