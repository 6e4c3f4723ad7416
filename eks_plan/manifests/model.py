"""What the loader understood from a set of manifests: workloads, their pods, and the objects
(HPAs, PDBs, PriorityClasses, RuntimeClasses, LimitRanges) that change how they are counted.

Every value here is frozen and plain, and every object keeps the :class:`SourceLocation` it came
from, so a report or a lint finding can point at ``file:line:column``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from eks_plan.errors import SourceLocation
from eks_plan.resources import Resources
from eks_plan.scheduling.pod import PodSpec
from eks_plan.scheduling.selectors import LabelSelector
from eks_plan.scheduling.taints import Toleration
from eks_plan.storage.model import PersistentVolumeClaim, PodVolume, StorageClass

DAEMONSET = "DaemonSet"
WORKLOAD_KINDS = frozenset(
    {"Deployment", "ReplicaSet", "StatefulSet", DAEMONSET, "Job", "CronJob", "Pod", "ReplicationController"}
)


class ReplicaMode(StrEnum):
    """Which replica count to plan for when a workload has a HorizontalPodAutoscaler.

    ``declared`` is ``spec.replicas`` (default 1) whatever the HPA says; ``min``/``max`` are the
    HPA's ``minReplicas``/``maxReplicas``. Workloads without an HPA use the declared count in
    every mode.
    """

    MIN = "min"
    DECLARED = "declared"
    MAX = "max"


class ContainerRole(StrEnum):
    """How a container counts in the pod's request (see :func:`~eks_plan.manifests.requests.pod_request`)."""

    REGULAR = "regular"
    INIT = "init"
    SIDECAR = "sidecar"  # an init container with restartPolicy: Always


def _frozen(mapping: Mapping[str, SourceLocation] | None = None) -> Mapping[str, SourceLocation]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Container:
    """One container of a pod template, with its requests after defaulting.

    ``requests`` holds what the scheduler counts for this container: explicit requests, then a
    limit standing in for a missing request, then a LimitRange ``defaultRequest``; ``declared``
    says whether the manifest itself set any request or limit. ``request_locations`` maps each
    resource to the key it was read from (``requests.cpu``, or ``limits.cpu`` when the limit
    defaulted it); LimitRange defaults point at the LimitRange.
    """

    name: str
    role: ContainerRole
    requests: Resources
    limits: Resources
    declared: bool
    location: SourceLocation
    request_locations: Mapping[str, SourceLocation] = field(default_factory=_frozen)
    limit_locations: Mapping[str, SourceLocation] = field(default_factory=_frozen)
    image: str = ""


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload object and the pods it asks for.

    ``replicas`` is the number of pods to place at the loader's :class:`ReplicaMode` and
    ``replicas_reason`` says why in words (``"HPA web max 10"``, ``"Job parallelism 2,
    completions 2, suspended"``); DaemonSets have ``replicas == 0`` because they run one pod per
    node instead (see :attr:`is_daemonset`). ``max_surge``/``max_unavailable`` are pods, from the
    rolling-update strategy at ``replicas`` (``maxSurge`` 25% of 10 replicas rounds up to 3).
    """

    kind: str
    namespace: str
    name: str
    replicas: int
    replicas_reason: str
    declared_replicas: int
    pod: PodSpec
    source: SourceLocation
    containers: tuple[Container, ...] = ()
    hpa_name: str | None = None
    hpa_min: int | None = None
    hpa_max: int | None = None
    max_surge: int = 0
    max_unavailable: int = 0
    suspended: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    field_locations: Mapping[str, SourceLocation] = field(default_factory=_frozen)
    #: Volumes of the pods that go through a PVC (or are inline EBS): see :mod:`eks_plan.storage`.
    volumes: tuple[PodVolume, ...] = ()

    @property
    def key(self) -> str:
        """``Kind/namespace/name``, the id reports and the solver use."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def is_daemonset(self) -> bool:
        return self.kind == DAEMONSET

    @property
    def containers_without_requests(self) -> tuple[str, ...]:
        """Names of containers that request neither cpu nor memory after every default applied."""
        return tuple(
            container.name
            for container in self.containers
            if not container.requests.get("cpu") and not container.requests.get("memory")
        )

    def location_of(self, field_name: str) -> SourceLocation:
        """Where a field the loader read is (``"replicas"``, ``"nodeSelector"``...), else the object."""
        return self.field_locations.get(field_name, self.source)


@dataclass(frozen=True, slots=True)
class HorizontalPodAutoscaler:
    """An ``autoscaling/v1`` or ``v2`` HPA, reduced to its target and bounds."""

    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    source: SourceLocation

    @property
    def target_key(self) -> str:
        return f"{self.target_kind}/{self.namespace}/{self.target_name}"


@dataclass(frozen=True, slots=True)
class PodDisruptionBudget:
    """A PDB: ``min_available``/``max_unavailable`` as written (an int or a percentage string)."""

    namespace: str
    name: str
    selector: LabelSelector | None
    min_available: int | str | None
    max_unavailable: int | str | None
    source: SourceLocation

    def selects(self, namespace: str, labels: Mapping[str, str]) -> bool:
        """True for a pod this PDB protects (same namespace, selector matches; no selector: none)."""
        return namespace == self.namespace and self.selector is not None and self.selector.matches(labels)


@dataclass(frozen=True, slots=True)
class PriorityClass:
    name: str
    value: int
    global_default: bool
    preemption_policy: str
    source: SourceLocation


@dataclass(frozen=True, slots=True)
class RuntimeClass:
    """A RuntimeClass: ``overhead`` (``overhead.podFixed``) is added to every pod that uses it,
    and its ``scheduling`` node selector and tolerations are merged into the pod's."""

    name: str
    overhead: Resources
    node_selector: tuple[tuple[str, str], ...]
    tolerations: tuple[Toleration, ...]
    source: SourceLocation


@dataclass(frozen=True, slots=True)
class LimitRange:
    """The container defaults of one LimitRange: ``default_requests`` fill a missing request and
    ``default_limits`` a missing limit (``default`` itself defaults to ``max``, and ``defaultRequest``
    to ``default``, then to ``min``, as the API server defaults a LimitRange: see
    :func:`~eks_plan.manifests.objects.limit_range_item_defaults`)."""

    namespace: str
    name: str
    default_requests: Resources
    default_limits: Resources
    source: SourceLocation


@dataclass(frozen=True, slots=True)
class LoadWarning:
    """Something the user should know about their manifests that does not stop the plan.

    ``code`` groups warnings for reports and tests: ``no-requests``, ``owned-skipped``,
    ``label-hint``, ``suspended``, ``cronjob-concurrency``, ``duplicate``, ``unknown-priority-class``,
    ``unknown-runtime-class``, ``hpa-target-missing``, ``not-an-object``, ``unsupported``,
    ``operator-pods`` (custom resources such as ``Prometheus`` whose operator runs pods).
    """

    code: str
    message: str
    location: SourceLocation

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class ManifestSet:
    """Everything loaded from the inputs of one run.

    ``workloads`` holds every workload object in input order, DaemonSets included;
    ``documents`` counts the Kubernetes objects read (List items counted one by one),
    ``ignored_kinds`` the objects of kinds the planner does not read, ``owned_skipped`` the workload
    objects skipped because a controller owns them (``kubectl get -o yaml`` dumps).
    """

    workloads: tuple[Workload, ...]
    replica_mode: ReplicaMode = ReplicaMode.MAX
    hpas: tuple[HorizontalPodAutoscaler, ...] = ()
    pdbs: tuple[PodDisruptionBudget, ...] = ()
    priority_classes: tuple[PriorityClass, ...] = ()
    runtime_classes: tuple[RuntimeClass, ...] = ()
    limit_ranges: tuple[LimitRange, ...] = ()
    ignored_kinds: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    owned_skipped: int = 0
    warnings: tuple[LoadWarning, ...] = ()
    documents: int = 0
    files: tuple[str, ...] = ()
    persistent_volume_claims: tuple[PersistentVolumeClaim, ...] = ()
    storage_classes: tuple[StorageClass, ...] = ()

    @property
    def pods_to_place(self) -> tuple[Workload, ...]:
        """The workloads whose pods the planner places (all but DaemonSets)."""
        return tuple(workload for workload in self.workloads if not workload.is_daemonset)

    @property
    def daemonsets(self) -> tuple[Workload, ...]:
        """DaemonSets: one pod on every node they select, counted as per-node overhead."""
        return tuple(workload for workload in self.workloads if workload.is_daemonset)

    @property
    def total_pods(self) -> int:
        """Pods to place at the chosen replica mode (DaemonSets excluded)."""
        return sum(workload.replicas for workload in self.pods_to_place)

    def total_requests(self) -> Resources:
        """Effective requests summed over every pod to place (``pods`` counts them)."""
        merged: dict[str, int] = {}
        for workload in self.pods_to_place:
            for name, amount in workload.pod.requests.items():
                merged[name] = merged.get(name, 0) + amount * workload.replicas
        return Resources(merged)
