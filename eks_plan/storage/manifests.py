"""Reading storage from manifests: StorageClasses, PersistentVolumeClaims and the volumes of pod
templates (``persistentVolumeClaim``, generic ``ephemeral``, in-tree ``awsElasticBlockStore``) and of
StatefulSet ``volumeClaimTemplates``.

A claim without ``spec.resources.requests.storage`` is an input error naming its file and line, as the
API server rejects it (``spec.resources[storage]: Required value``, kubernetes
``pkg/apis/core/validation/validation.go`` ``ValidatePersistentVolumeClaimSpec``).
"""

from __future__ import annotations

from eks_plan.errors import InputError
from eks_plan.manifests.fields import Field
from eks_plan.manifests.quantity import QuantityError, canonical_amount
from eks_plan.storage.model import (
    DEFAULT_CLASS_ANNOTATION,
    ClaimSpec,
    PersistentVolumeClaim,
    PodVolume,
    StorageClass,
    VolumeSource,
)

#: Topology keys a StorageClass's ``allowedTopologies`` may name zones with.
ZONE_KEYS = frozenset({"topology.kubernetes.io/zone", "topology.ebs.csi.aws.com/zone"})


def read_claim_spec(spec: Field) -> ClaimSpec:
    """A PVC spec (of an object, a ``volumeClaimTemplates`` entry or an ephemeral volume).

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> [doc] = parse_yaml_documents("spec:\\n  accessModes: [ReadWriteOnce]\\n", "db.yaml")
    >>> read_claim_spec(Field.root(doc).child("spec"))
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: db.yaml:1:1: spec.resources.requests.storage is required: \
a PersistentVolumeClaim must request a size, or the API server rejects it (add \
resources.requests.storage, e.g. 20Gi)
    """
    storage = spec.get("resources", "requests", "storage")
    if storage.value is None:
        raise InputError(
            f"{storage.name} is required: a PersistentVolumeClaim must request a size, or the API "
            "server rejects it",
            spec.location,
            hint="add resources.requests.storage, e.g. 20Gi",
        )
    try:
        size = canonical_amount(
            "storage", storage.value if isinstance(storage.value, int) else storage.string()
        )
    except QuantityError as error:
        raise storage.error(f"is not a quantity: {error}") from None
    class_field = spec.child("storageClassName")
    storage_class = None if class_field.value is None else class_field.string()
    modes = tuple(mode.string() for mode in spec.child("accessModes").sequence())
    return ClaimSpec(storage_class, size, modes, spec.location)


def read_persistent_volume_claim(root: Field, namespace: str) -> PersistentVolumeClaim:
    """A PersistentVolumeClaim object."""
    name = root.get("metadata", "name").string()
    spec = root.child("spec")
    if not spec.present:
        raise root.error("has no spec: a PersistentVolumeClaim needs spec.resources.requests.storage")
    return PersistentVolumeClaim(namespace, name, read_claim_spec(spec))


def _optional_number(parameters: Field, key: str) -> int | None:
    field = parameters.child(key)
    if field.value is None:
        return None
    text = field.string()
    try:
        return int(text)
    except ValueError:
        raise field.error(f"must be a whole number, not '{text}'") from None


def read_storage_class(root: Field) -> StorageClass:
    """A StorageClass (``storage.k8s.io/v1``); its parameters are strings, as the API keeps them."""
    metadata = root.child("metadata")
    annotation = metadata.child("annotations").child(DEFAULT_CLASS_ANNOTATION).string()
    parameters = root.child("parameters")
    zones: list[str] = []
    for term in root.child("allowedTopologies").sequence():
        for expression in term.child("matchLabelExpressions").sequence():
            if expression.child("key").string() in ZONE_KEYS:
                zones.extend(value.string() for value in expression.child("values").sequence())
    volume_type = parameters.child("type").string() or None
    return StorageClass(
        name=metadata.child("name").string(),
        provisioner=root.child("provisioner").string(),
        volume_type=volume_type,
        iops=_optional_number(parameters, "iops"),
        iops_per_gb=_optional_number(parameters, "iopsPerGB"),
        throughput=_optional_number(parameters, "throughput"),
        volume_binding_mode=root.child("volumeBindingMode").string("Immediate") or "Immediate",
        allowed_zones=tuple(dict.fromkeys(zones)),
        is_default=annotation.lower() == "true",
        source=root.document.start,
    )


def read_workload_volumes(kind: str, spec: Field, pod_spec: Field) -> tuple[PodVolume, ...]:
    """The volumes of a workload's pods that are (or may be) persistent volumes.

    ``spec`` is the workload's spec (for StatefulSet ``volumeClaimTemplates``), ``pod_spec`` its pod
    template's spec. Volumes of other kinds (emptyDir, configMap, secret, hostPath...) are not
    attachable volumes and are left out. A template is counted once even if no container mounts it, as
    the StatefulSet controller still creates and binds its PVC.
    """
    volumes: list[PodVolume] = []
    if kind == "StatefulSet":
        for template in spec.child("volumeClaimTemplates").sequence():
            name = template.get("metadata", "name").string()
            volumes.append(
                PodVolume(
                    name,
                    VolumeSource.TEMPLATE,
                    template.location,
                    spec=read_claim_spec(template.child("spec")),
                )
            )
    templates = {volume.name for volume in volumes}
    for volume in pod_spec.child("volumes").sequence():
        name = volume.child("name").string()
        claim = volume.child("persistentVolumeClaim")
        ephemeral = volume.child("ephemeral")
        if claim.present:
            claim_name = claim.child("claimName").string()
            if claim_name in templates:
                continue  # a pod volume naming a template: the controller's per-replica claim
            volumes.append(PodVolume(name, VolumeSource.CLAIM, volume.location, claim_name=claim_name))
        elif ephemeral.present:
            claim_spec = read_claim_spec(ephemeral.get("volumeClaimTemplate", "spec"))
            volumes.append(PodVolume(name, VolumeSource.EPHEMERAL, volume.location, spec=claim_spec))
        elif volume.child("awsElasticBlockStore").present:
            volume_id = volume.get("awsElasticBlockStore", "volumeID").string()
            volumes.append(PodVolume(name, VolumeSource.INLINE_EBS, volume.location, claim_name=volume_id))
    return tuple(volumes)
