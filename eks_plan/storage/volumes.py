"""Which volumes each workload's pods attach, which of them are EBS, and how many a pod counts
against a node's attachable-volume limit.

kube-scheduler's NodeVolumeLimits filter (kubernetes ``pkg/scheduler/framework/plugins/nodevolumelimits/
csi.go``, ``filterAttachableVolumes``) counts, per CSI driver, every ``persistentVolumeClaim`` volume
and every generic ephemeral volume of a pod, plus in-tree volumes migrated to CSI (an inline
``awsElasticBlockStore`` becomes ``ebs.csi.aws.com``); a PVC whose StorageClass is unknown or empty is
not counted, and a volume already on the node (a PVC several pods share) counts once. Only EBS
volumes are limited here: other drivers (EFS, FSx...) are counted and shown, not limited.

The default StorageClass is the one annotated ``storageclass.kubernetes.io/is-default-class: "true"``;
when the manifests have none, eks-plan assumes the EBS CSI driver Helm chart's default class
(``ebs-csi-default-sc``: gp3, WaitForFirstConsumer) and says so in a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from eks_plan.errors import SourceLocation
from eks_plan.storage.model import (
    DEFAULT_EBS_TYPE,
    EBS_CSI_DRIVER,
    ClaimSpec,
    PersistentVolumeClaim,
    PodVolume,
    StorageClass,
    VolumeSource,
)

if TYPE_CHECKING:
    from eks_plan.manifests import ManifestSet, Workload

#: The class eks-plan assumes when the manifests name no default (the EBS CSI driver chart's
#: ``charts/aws-ebs-csi-driver/templates/ebs-csi-default-sc.yaml``: gp3, WaitForFirstConsumer).
CHART_DEFAULT_CLASS = StorageClass(
    name="ebs-csi-default-sc",
    provisioner=EBS_CSI_DRIVER,
    volume_type=DEFAULT_EBS_TYPE,
    iops=None,
    iops_per_gb=None,
    throughput=None,
    volume_binding_mode="WaitForFirstConsumer",
    allowed_zones=(),
    is_default=True,
    source=SourceLocation("(assumed: EBS CSI driver chart default)"),
)


@dataclass(frozen=True, slots=True)
class WorkloadVolume:
    """One volume of a workload, resolved: its class, driver, size and whether it is EBS.

    ``per_pod``: each replica has its own volume (a template or an ephemeral volume); otherwise the
    volume is one PVC every replica shares. ``size_bytes`` is ``None`` when unknown (a PVC the
    manifests do not define, an inline EBS volume). ``zone_bound``: the volume outlives its pod and
    stays in its zone (templates, PVCs, inline EBS), so the pod cannot move to another zone;
    an ephemeral volume is created anew with the replacement pod.
    """

    name: str
    source_kind: VolumeSource
    claim: str
    storage_class: str | None
    provisioner: str | None
    ebs_type: str | None
    size_bytes: int | None
    access_modes: tuple[str, ...]
    iops: int | None
    throughput: int | None
    location: SourceLocation
    note: str = ""

    @property
    def is_ebs(self) -> bool:
        return self.ebs_type is not None

    @property
    def per_pod(self) -> bool:
        return self.source_kind.per_pod

    @property
    def zone_bound(self) -> bool:
        return self.is_ebs and self.source_kind is not VolumeSource.EPHEMERAL

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "source": str(self.source_kind),
            "claim": self.claim,
            "storage_class": self.storage_class,
            "provisioner": self.provisioner,
            "ebs": self.is_ebs,
            "ebs_type": self.ebs_type,
            "size_bytes": self.size_bytes,
            "access_modes": list(self.access_modes),
            "per_pod": self.per_pod,
            "zone_bound": self.zone_bound,
            "location": str(self.location),
        }


@dataclass(frozen=True)
class StorageInventory:
    """The volumes of every workload, the classes in play, and notes on what was assumed."""

    classes: Mapping[str, StorageClass]
    default_class: StorageClass | None
    default_assumed: bool
    volumes: Mapping[str, tuple[WorkloadVolume, ...]]
    notes: tuple[str, ...]

    def ebs_volumes_per_pod(self, workload_key: str) -> int:
        """EBS volumes one pod of the workload attaches (a PVC it mounts twice counts once)."""
        return len({volume.claim for volume in self.volumes.get(workload_key, ()) if volume.is_ebs})

    def zone_bound(self, workload_key: str) -> bool:
        """True when the workload's pods are tied to their EBS volumes' zone."""
        return any(volume.zone_bound for volume in self.volumes.get(workload_key, ()))

    @property
    def any_ebs(self) -> bool:
        return any(volume.is_ebs for volumes in self.volumes.values() for volume in volumes)


def storage_inventory(manifests: ManifestSet) -> StorageInventory:
    """Resolve every workload's volumes against the manifests' PVCs and StorageClasses."""
    classes = {storage_class.name: storage_class for storage_class in manifests.storage_classes}
    defaults = [storage_class for storage_class in manifests.storage_classes if storage_class.is_default]
    notes: list[str] = []
    # Several defaults: the API server's DefaultStorageClass admission picks the newest; a manifest
    # set has no creation times, so the last one read stands in for it.
    default_class = defaults[-1] if defaults else None
    if len(defaults) > 1:
        notes.append(
            f"{len(defaults)} StorageClasses are marked default ({', '.join(d.name for d in defaults)}); "
            f"the cluster uses the newest, taken here as the last read ({defaults[-1].name})"
        )
    claims = {claim.key: claim for claim in manifests.persistent_volume_claims}
    uses_default = False
    volumes: dict[str, tuple[WorkloadVolume, ...]] = {}
    for workload in manifests.workloads:
        resolved = []
        for volume in workload.volumes:
            item, needs_default = _resolve(workload, volume, claims, classes, default_class)
            uses_default = uses_default or needs_default
            resolved.append(item)
        if resolved:
            volumes[workload.key] = tuple(resolved)
    default_assumed = False
    if default_class is None and uses_default:
        default_assumed = True
        default_class = CHART_DEFAULT_CLASS
        notes.append(
            "no StorageClass in the manifests is marked default "
            "(storageclass.kubernetes.io/is-default-class); "
            "PVCs without storageClassName are taken as the EBS CSI driver chart's default class "
            "ebs-csi-default-sc (gp3, WaitForFirstConsumer)"
        )
        volumes = {key: tuple(_with_default(item) for item in items) for key, items in volumes.items()}
    for items in volumes.values():
        notes.extend(item.note for item in items if item.note)
    return StorageInventory(
        classes=MappingProxyType(classes),
        default_class=default_class,
        default_assumed=default_assumed,
        volumes=MappingProxyType(volumes),
        notes=tuple(dict.fromkeys(notes)),
    )


_PENDING_DEFAULT = "\0default"


def _with_default(item: WorkloadVolume) -> WorkloadVolume:
    if item.storage_class != _PENDING_DEFAULT:
        return item
    chart = CHART_DEFAULT_CLASS
    return replace(
        item,
        storage_class=chart.name,
        provisioner=chart.provisioner,
        ebs_type=chart.ebs_type,
        throughput=None,
    )


def _resolve(
    workload: Workload,
    volume: PodVolume,
    claims: Mapping[str, PersistentVolumeClaim],
    classes: Mapping[str, StorageClass],
    default_class: StorageClass | None,
) -> tuple[WorkloadVolume, bool]:
    note = ""
    if volume.source_kind is VolumeSource.INLINE_EBS:
        return (
            WorkloadVolume(
                volume.name, volume.source_kind, volume.claim_name or volume.name, None, EBS_CSI_DRIVER,
                "unknown", None, ("ReadWriteOnce",), None, None, volume.location,
            ),
            False,
        )  # fmt: skip
    if volume.source_kind is VolumeSource.CLAIM:
        claim_key = f"{workload.namespace}/{volume.claim_name}"
        found = claims.get(claim_key)
        spec: ClaimSpec | None = found.spec if found else None
        if found is None:
            note = (
                f"{workload.key} mounts PVC {claim_key}, which is not in the manifests: counted as a volume "
                "of the default StorageClass, size unknown (not priced)"
            )
    elif volume.source_kind is VolumeSource.TEMPLATE:
        claim_key = f"{workload.namespace}/{volume.name}-{workload.name}-<ordinal>"
        spec = volume.spec
    else:
        claim_key = f"{workload.namespace}/<pod>-{volume.name}"
        spec = volume.spec
    class_name = spec.storage_class if spec is not None else None
    needs_default = False
    if class_name is None:
        storage_class = default_class
        needs_default = storage_class is None
    elif class_name == "":
        storage_class = None
        note = note or (
            f'{workload.key} volume {volume.name}: storageClassName "" binds a pre-made PersistentVolume of '
            "unknown driver; kube-scheduler does not count it until it is bound, and neither does eks-plan"
        )
    else:
        storage_class = classes.get(class_name)
        if storage_class is None:
            note = note or (
                f"{workload.key} volume {volume.name}: StorageClass {class_name} is not in the manifests; "
                "its driver is unknown, so the volume is not counted against the EBS limit"
            )
    ebs_type = storage_class.ebs_type if storage_class is not None else None
    item = WorkloadVolume(
        name=volume.name,
        source_kind=volume.source_kind,
        claim=claim_key,
        storage_class=(
            storage_class.name if storage_class else (_PENDING_DEFAULT if needs_default else class_name)
        ),
        provisioner=storage_class.provisioner if storage_class else None,
        ebs_type=ebs_type,
        size_bytes=spec.size_bytes if spec is not None else None,
        access_modes=spec.access_modes if spec is not None else (),
        iops=_iops(storage_class, spec.size_bytes if spec is not None else None),
        throughput=storage_class.throughput if storage_class else None,
        location=volume.location,
        note=note,
    )
    return item, needs_default


#: IOPS per GiB the EBS CSI driver allows at most per type (EBSCSI ``pkg/cloud/cloud.go``), which
#: caps ``iopsPerGB``; and the most a volume may have (the driver's fallback maxima).
_IOPS_PER_GIB_MAX = {"io1": 50, "io2": 1000, "gp3": 500}
_IOPS_MAX = {"io1": 64_000, "io2": 256_000, "gp3": 16_000}


def _iops(storage_class: StorageClass | None, size_bytes: int | None) -> int | None:
    """Provisioned IOPS of a volume: ``iops``, else ``iopsPerGB`` x size in GiB (capped at the type's
    maximum, as the driver does), else ``None`` (the type's baseline)."""
    if storage_class is None or storage_class.ebs_type not in _IOPS_MAX:
        return None
    if storage_class.iops is not None:
        return storage_class.iops
    if storage_class.iops_per_gb is not None and size_bytes is not None:
        gib = -(-size_bytes // 2**30)
        return min(storage_class.iops_per_gb * gib, _IOPS_MAX[storage_class.ebs_type])
    return None
