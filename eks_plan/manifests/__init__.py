"""Reading Kubernetes manifests: files, YAML positions, quantities, and the workload model.

The one entry point is :func:`load_manifests`; everything it returns is a frozen value of
:mod:`eks_plan.manifests.model`.
"""

from eks_plan.manifests.loader import MANIFEST_SUFFIXES, load_manifests
from eks_plan.manifests.model import (
    Container,
    ContainerRole,
    HorizontalPodAutoscaler,
    LimitRange,
    LoadWarning,
    ManifestSet,
    PodDisruptionBudget,
    PriorityClass,
    ReplicaMode,
    RuntimeClass,
    Workload,
)
from eks_plan.manifests.yaml_source import DEFAULT_MAX_FILE_BYTES

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "MANIFEST_SUFFIXES",
    "Container",
    "ContainerRole",
    "HorizontalPodAutoscaler",
    "LimitRange",
    "LoadWarning",
    "ManifestSet",
    "PodDisruptionBudget",
    "PriorityClass",
    "ReplicaMode",
    "RuntimeClass",
    "Workload",
    "load_manifests",
]
