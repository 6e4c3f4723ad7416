"""Resilience rules (EKP3xx): zone spread and disruption budgets."""

from __future__ import annotations

from collections.abc import Iterator

from eks_plan.errors import SourceLocation
from eks_plan.lint.context import LintContext
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Problem, rule
from eks_plan.manifests.model import PodDisruptionBudget, Workload
from eks_plan.scheduling import labels as well_known

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

#: Long-running workloads: replicas that should survive a zone or a node drain.
SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
ZONE_KEYS = frozenset({well_known.ZONE, well_known.LEGACY_ZONE})


def _spreads_over_zones(workload: Workload) -> bool:
    pod = workload.pod
    return (
        any(constraint.topology_key in ZONE_KEYS for constraint in pod.topology_spread)
        or any(term.topology_key in ZONE_KEYS for term in pod.pod_anti_affinity)
        or any(weighted.term.topology_key in ZONE_KEYS for weighted in pod.preferred_pod_anti_affinity)
    )


@rule("EKP301", "single-zone-risk", WARNING)
def single_zone_risk(context: LintContext) -> Iterator[Problem]:
    """A workload of several replicas has no zone spread or zone anti-affinity: all its replicas may
    land in one zone.

    Why: kube-scheduler's default spreading is only a preference, and packs pods where room is;
    the loss of that one zone then takes every replica down at once.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          template:
            metadata: {labels: {app: web}}
            spec:
              topologySpreadConstraints:
              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
                 labelSelector: {matchLabels: {app: web}}}
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: add a ``topologySpreadConstraints`` entry on ``topology.kubernetes.io/zone`` (or a zone
    pod anti-affinity) selecting the workload's own pods.
    """
    if len(context.config.zones) < 2:
        return
    for workload in context.manifests.workloads:
        if workload.kind in SERVING_KINDS and workload.replicas > 1 and not _spreads_over_zones(workload):
            yield Problem(
                f"{workload.replicas} replicas with no zone spread or zone anti-affinity may all land in one "
                "zone",
                workload.location_of("replicas"),
                subject=workload.key,
                fix="add a topologySpreadConstraint on topology.kubernetes.io/zone",
            )


def _budgets_of(context: LintContext, workload: Workload) -> list[PodDisruptionBudget]:
    labels = workload.pod.label_map
    return [pdb for pdb in context.manifests.pdbs if pdb.selects(workload.namespace, labels)]


@rule("EKP302", "single-replica-no-pdb", INFO)
def single_replica_no_pdb(context: LintContext) -> Iterator[Problem]:
    """A workload runs one replica and no PodDisruptionBudget covers it.

    Why: a node drain (an upgrade, Karpenter consolidation) evicts its only pod at once: the
    service is down until the pod starts elsewhere.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          template:
            metadata: {labels: {app: web}}
            spec:
              topologySpreadConstraints:
              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
                 labelSelector: {matchLabels: {app: web}}}
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          maxUnavailable: 1
          selector: {matchLabels: {app: web}}

    Fix: run two or more replicas with a PodDisruptionBudget (``maxUnavailable: 1``); with one
    replica a PDB could only block drains.
    """
    for workload in context.manifests.workloads:
        if workload.kind in SERVING_KINDS and workload.replicas == 1 and not _budgets_of(context, workload):
            yield Problem(
                "one replica and no PodDisruptionBudget: a node drain takes the workload down",
                workload.location_of("replicas"),
                subject=workload.key,
                fix="run at least two replicas and add a PodDisruptionBudget with maxUnavailable: 1",
            )


def _pdb_field(context: LintContext, pdb: PodDisruptionBudget, name: str) -> SourceLocation:
    for item in context.objects_of_kind("PodDisruptionBudget"):
        if item.name == pdb.name and item.namespace == pdb.namespace and item.contains(pdb.source):
            found = item.root.get("spec", name)
            return found.location
    return pdb.source


def _allowed(value: int | str | None, replicas: int, round_up: bool) -> int:
    """An IntOrString of a PDB at ``replicas`` pods; percentages round up, as the disruption
    controller rounds both ``minAvailable`` and ``maxUnavailable``
    (intstr.GetScaledValueFromIntOrPercent with roundUp true)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%"))
    scaled = percent * replicas
    return -(-scaled // 100) if round_up else scaled // 100


@rule("EKP303", "pdb-blocks-drain", WARNING)
def pdb_blocks_drain(context: LintContext) -> Iterator[Problem]:
    """A PodDisruptionBudget allows no disruption: ``maxUnavailable: 0``, or ``minAvailable`` at or
    above the replicas it selects.

    Why: ``kubectl drain``, managed node group upgrades and Karpenter consolidation wait on it for
    ever: nodes cannot be replaced until someone deletes the PDB by hand.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          minAvailable: 2
          selector: {matchLabels: {app: web}}

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          minAvailable: 1
          selector: {matchLabels: {app: web}}

    Fix: use ``maxUnavailable: 1`` (or ``minAvailable`` below the replica count).
    """
    for pdb in context.manifests.pdbs:
        selected = [
            workload
            for workload in context.manifests.workloads
            if not workload.is_daemonset and pdb.selects(workload.namespace, workload.pod.label_map)
        ]
        replicas = sum(workload.replicas for workload in selected)
        subject = f"PodDisruptionBudget/{pdb.namespace}/{pdb.name}"
        if pdb.max_unavailable is not None and selected:
            if _allowed(pdb.max_unavailable, replicas, round_up=True) == 0:
                yield Problem(
                    f"maxUnavailable {pdb.max_unavailable} lets no pod of {replicas} be evicted, so every "
                    "drain waits for ever",
                    _pdb_field(context, pdb, "maxUnavailable"),
                    subject=subject,
                    fix="set maxUnavailable: 1",
                )
        elif pdb.min_available is not None and selected:
            needed = _allowed(pdb.min_available, replicas, round_up=True)
            if needed >= replicas:
                yield Problem(
                    f"minAvailable {pdb.min_available} of {replicas} selected pod(s) lets none be evicted, "
                    "so every drain waits for ever",
                    _pdb_field(context, pdb, "minAvailable"),
                    subject=subject,
                    fix=f"set minAvailable below {replicas}, or use maxUnavailable: 1",
                )


@rule("EKP304", "pdb-selects-nothing", WARNING)
def pdb_selects_nothing(context: LintContext) -> Iterator[Problem]:
    """A PodDisruptionBudget selects no pod of any workload in the manifests.

    Why: it protects nothing, usually because of a label typo or a wrong namespace, while the
    workload it was written for has no budget.

    Fails:
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          maxUnavailable: 1
          selector: {matchLabels: {app: wbe}}

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web}
        spec:
          maxUnavailable: 1
          selector: {matchLabels: {app: web}}

    Fix: make ``spec.selector`` match the pod template labels of the workload, in its namespace.
    """
    for pdb in context.manifests.pdbs:
        if not any(pdb.selects(w.namespace, w.pod.label_map) for w in context.manifests.workloads):
            yield Problem(
                f"selects no pod in namespace {pdb.namespace}",
                _pdb_field(context, pdb, "selector"),
                subject=f"PodDisruptionBudget/{pdb.namespace}/{pdb.name}",
                fix="match the selector to the pod template labels of the workload it protects",
            )
