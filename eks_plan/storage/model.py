"""Storage objects as the planner sees them: StorageClasses, PersistentVolumeClaims and the volumes
a workload's pods mount.

These are plain frozen values read from the manifests (:mod:`eks_plan.storage.manifests`); which of
them are EBS volumes, how big they are and what they cost is decided in :mod:`eks_plan.storage.volumes`.
Every value keeps its :class:`~eks_plan.errors.SourceLocation`, so a report can point at the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eks_plan.errors import SourceLocation

#: The EBS CSI driver's name (its CSIDriver object and StorageClass ``provisioner``).
EBS_CSI_DRIVER = "ebs.csi.aws.com"
#: The in-tree EBS provisioner; CSI migration (on by default since Kubernetes 1.23 for EBS) hands its
#: volumes to the EBS CSI driver, which then counts them (kubernetes csi-translation-lib
#: ``plugins/aws_ebs.go``: ``AWSEBSDriverName = "ebs.csi.aws.com"``, in-tree ``kubernetes.io/aws-ebs``).
IN_TREE_EBS = "kubernetes.io/aws-ebs"
EBS_PROVISIONERS = frozenset({EBS_CSI_DRIVER, IN_TREE_EBS})
#: The annotation that marks the cluster's default StorageClass.
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
#: The volume type the EBS CSI driver creates when a StorageClass names none (EBSCSI
#: ``docs/parameters.md``: ``type`` ... gp3 (default)); also the type of the Helm chart's default
#: StorageClass ``ebs-csi-default-sc``.
DEFAULT_EBS_TYPE = "gp3"


class VolumeSource(StrEnum):
    """How a pod gets a volume, which decides whether each replica has its own volume.

    ``template``: a StatefulSet ``volumeClaimTemplates`` entry (one PVC per replica, kept when the pod
    goes: bound to its zone); ``ephemeral``: a generic ephemeral volume (one PVC per pod, created with
    the pod and deleted with it: a replacement pod gets a new volume wherever it lands); ``claim``: a
    ``persistentVolumeClaim`` volume naming a PVC (shared by every pod that names it); ``inline-ebs``:
    an in-tree ``awsElasticBlockStore`` volume naming an existing EBS volume (migrated to the CSI driver).
    """

    TEMPLATE = "template"
    EPHEMERAL = "ephemeral"
    CLAIM = "claim"
    INLINE_EBS = "inline-ebs"

    @property
    def per_pod(self) -> bool:
        """True when every pod has its own volume (templates and ephemeral volumes)."""
        return self in (VolumeSource.TEMPLATE, VolumeSource.EPHEMERAL)


@dataclass(frozen=True, slots=True)
class StorageClass:
    """A StorageClass: who provisions its volumes and with which EBS parameters.

    ``volume_type`` is the ``type`` parameter as written (``None``: not given); ``iops`` and
    ``iops_per_gb`` and ``throughput`` (MiB/s) likewise. ``allowed_zones`` are the
    ``topology.kubernetes.io/zone`` (or ``topology.ebs.csi.aws.com/zone``) values of ``allowedTopologies``.
    """

    name: str
    provisioner: str
    volume_type: str | None
    iops: int | None
    iops_per_gb: int | None
    throughput: int | None
    volume_binding_mode: str
    allowed_zones: tuple[str, ...]
    is_default: bool
    source: SourceLocation

    @property
    def is_ebs(self) -> bool:
        return self.provisioner in EBS_PROVISIONERS

    @property
    def ebs_type(self) -> str | None:
        """The EBS volume type its volumes get (the driver's gp3 when ``type`` is not given), or
        ``None`` for a class that is not EBS."""
        if not self.is_ebs:
            return None
        return (self.volume_type or DEFAULT_EBS_TYPE).lower()


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    """What a PVC (or a template of one) asks for: its class, size and access modes.

    ``storage_class`` is ``None`` when ``storageClassName`` is absent (the default StorageClass
    applies) and ``""`` when it is set empty (no class: a pre-made PersistentVolume).
    ``size_bytes`` is ``spec.resources.requests.storage``.
    """

    storage_class: str | None
    size_bytes: int
    access_modes: tuple[str, ...]
    source: SourceLocation


@dataclass(frozen=True, slots=True)
class PersistentVolumeClaim:
    """A PersistentVolumeClaim object of the manifests."""

    namespace: str
    name: str
    spec: ClaimSpec

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class PodVolume:
    """One volume of a workload's pods that goes through a PVC (or an inline EBS volume).

    ``name`` is the pod volume's (or template's) name; ``claim_name`` the PVC a ``claim`` volume names
    (a template's PVCs are ``<name>-<statefulset>-<ordinal>``, an ephemeral one's ``<pod>-<name>``);
    ``spec`` is the claim the template or ephemeral volume carries (``None`` for ``claim`` and
    ``inline-ebs`` volumes, resolved against the manifests' PVCs later).
    """

    name: str
    source_kind: VolumeSource
    location: SourceLocation
    claim_name: str | None = None
    spec: ClaimSpec | None = None
