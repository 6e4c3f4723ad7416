"""Reading storage from manifests: StorageClasses, PVCs, StatefulSet volumeClaimTemplates, generic
ephemeral volumes, PVC references and inline EBS volumes; which are EBS, the default class.

kube-scheduler counts a pod's ``persistentVolumeClaim`` and generic ``ephemeral`` volumes and in-tree
volumes migrated to CSI (kubernetes ``pkg/scheduler/framework/plugins/nodevolumelimits/csi.go``,
``filterAttachableVolumes``); a PVC whose class is empty or unknown is not counted; the in-tree
``kubernetes.io/aws-ebs`` provisioner is migrated to ``ebs.csi.aws.com`` (csi-translation-lib
``plugins/aws_ebs.go``). A PVC must request a size (kubernetes ``pkg/apis/core/validation``
``ValidatePersistentVolumeClaimSpec``: ``spec.resources[storage]: Required value``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from eks_plan.errors import InputError
from eks_plan.manifests import load_manifests
from eks_plan.report.workloads import workloads_data
from eks_plan.storage.volumes import storage_inventory

CLASSES = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
parameters: {type: io2, iopsPerGB: "50"}
allowedTopologies:
  - matchLabelExpressions:
      - {key: topology.kubernetes.io/zone, values: [us-east-1a, us-east-1b]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: legacy}
provisioner: kubernetes.io/aws-ebs
parameters: {type: gp2}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: efs}
provisioner: efs.csi.aws.com
"""

APP = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared, namespace: apps}
spec:
  storageClassName: efs
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 5Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: old, namespace: apps}
spec:
  storageClassName: legacy
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 8Gi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: apps}
spec:
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
      volumes:
        - name: scratch
          ephemeral:
            volumeClaimTemplate:
              spec:
                accessModes: [ReadWriteOnce]
                resources: {requests: {storage: 1Gi}}
        - {name: files, persistentVolumeClaim: {claimName: shared}}
        - {name: cache, emptyDir: {}}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 20Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: apps}
spec:
  selector: {matchLabels: {app: legacy}}
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers: [{name: c, image: c}]
      volumes:
        - {name: old, persistentVolumeClaim: {claimName: old}}
        - {name: raw, awsElasticBlockStore: {volumeID: vol-0abc}}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_volumes_are_resolved_to_classes_drivers_sizes_and_access_modes(tmp_path: Path) -> None:
    manifests = load_manifests([_write(tmp_path, "classes.yaml", CLASSES), _write(tmp_path, "app.yaml", APP)])
    inventory = storage_inventory(manifests)
    assert inventory.default_class is not None and inventory.default_class.name == "fast"
    assert not inventory.default_assumed
    fast = inventory.classes["fast"]
    assert (fast.ebs_type, fast.iops_per_gb, fast.allowed_zones) == ("io2", 50, ("us-east-1a", "us-east-1b"))
    db = {volume.name: volume for volume in inventory.volumes["StatefulSet/apps/db"]}
    assert set(db) == {"data", "scratch", "files"}  # emptyDir is not an attachable volume
    assert (db["data"].ebs_type, db["data"].size_bytes, db["data"].per_pod, db["data"].zone_bound) == (
        "io2", 20 * 2**30, True, True,
    )  # fmt: skip
    assert db["data"].iops == 50 * 20  # iopsPerGB x GiB
    assert db["data"].claim == "apps/data-db-<ordinal>"
    # A generic ephemeral volume is EBS (default class) and per pod, but not zone-bound: it is made anew.
    assert (db["scratch"].is_ebs, db["scratch"].per_pod, db["scratch"].zone_bound) == (True, True, False)
    # EFS: counted and shown, not an EBS volume.
    assert (db["files"].provisioner, db["files"].is_ebs, db["files"].access_modes) == (
        "efs.csi.aws.com", False, ("ReadWriteMany",),
    )  # fmt: skip
    assert inventory.ebs_volumes_per_pod("StatefulSet/apps/db") == 2
    legacy = {volume.name: volume for volume in inventory.volumes["Deployment/apps/legacy"]}
    # The in-tree provisioner is migrated to the EBS CSI driver; so is an inline awsElasticBlockStore.
    assert (legacy["old"].is_ebs, legacy["old"].ebs_type, legacy["old"].size_bytes) == (
        True,
        "gp2",
        8 * 2**30,
    )
    assert (legacy["raw"].is_ebs, legacy["raw"].size_bytes, legacy["raw"].zone_bound) == (True, None, True)
    assert inventory.ebs_volumes_per_pod("Deployment/apps/legacy") == 2


def test_no_default_class_assumes_the_ebs_csi_chart_default_gp3_and_says_so(tmp_path: Path) -> None:
    app = APP.replace("  storageClassName: efs\n", "").replace("  storageClassName: legacy\n", "")
    manifests = load_manifests([_write(tmp_path, "app.yaml", app)])
    inventory = storage_inventory(manifests)
    assert inventory.default_assumed
    assert inventory.default_class is not None and inventory.default_class.name == "ebs-csi-default-sc"
    assert all(v.ebs_type == "gp3" for v in inventory.volumes["StatefulSet/apps/db"])
    assert any("ebs-csi-default-sc" in note and "gp3" in note for note in inventory.notes)
    data = workloads_data(manifests)
    assert data["storage"]["default_storage_class_assumed"] is True
    assert {v["workload"] for v in data["storage"]["volumes"]} == {
        "StatefulSet/apps/db", "Deployment/apps/legacy",
    }  # fmt: skip


def test_a_claim_without_a_size_is_an_input_error_naming_file_and_line(tmp_path: Path) -> None:
    text = APP.replace("        resources: {requests: {storage: 20Gi}}\n", "")
    path = _write(tmp_path, "app.yaml", text)
    with pytest.raises(InputError) as raised:
        load_manifests([path])
    error = raised.value
    assert error.location is not None and error.location.file == str(path)
    line = text.lstrip().splitlines()[error.location.line - 1]
    assert "spec:" in line  # the volumeClaimTemplate's spec
    assert "resources.requests.storage is required" in error.message
    pvc = (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: x}\n"
        "spec:\n  accessModes: [ReadWriteOnce]\n"
    )
    with pytest.raises(InputError, match=r"x\.yaml:4:\d+: spec\.resources\.requests\.storage is required"):
        load_manifests([_write(tmp_path, "x.yaml", pvc)])


def test_a_claim_the_manifests_do_not_define_is_counted_with_a_note(tmp_path: Path) -> None:
    app = APP.split("---\n", 2)[2]  # drop both PVC objects
    manifests = load_manifests([_write(tmp_path, "classes.yaml", CLASSES), _write(tmp_path, "app.yaml", app)])
    inventory = storage_inventory(manifests)
    legacy = {volume.name: volume for volume in inventory.volumes["Deployment/apps/legacy"]}
    assert legacy["old"].ebs_type == "io2" and legacy["old"].size_bytes is None
    assert any("apps/old, which is not in the manifests" in note for note in inventory.notes)
