"""Workload objects (Deployment, StatefulSet, Job, ...) read into :class:`Workload` values: which
pod template, how many replicas and why, and how many extra pods a rolling update adds.

Replica rules, per kind:

==========================================  =====================================================
kind                                        pods to place
==========================================  =====================================================
Deployment, ReplicaSet, StatefulSet,        ``spec.replicas`` (default 1); with an HPA on it, the
ReplicationController                       HPA's ``minReplicas`` (``--replicas min``) or
                                            ``maxReplicas`` (``max``, the default)
Job                                         ``parallelism`` (default 1), capped by ``completions``
                                            when set; a suspended Job still counts (with a warning)
CronJob                                     one run of its Job. With ``concurrencyPolicy: Allow``
                                            (the Kubernetes default) runs may overlap; eks-plan
                                            assumes they do not and says so in the reason
Pod                                         1
DaemonSet                                   0: one pod per node, counted as node overhead
==========================================  =====================================================

Example::

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> text = '''
    ... kind: Job
    ... metadata: {name: train}
    ... spec:
    ...   parallelism: 4
    ...   completions: 2
    ...   suspend: true
    ...   template: {spec: {containers: [{name: main, resources: {limits: {nvidia.com/gpu: 2}}}]}}
    ... '''
    >>> [document] = parse_yaml_documents(text, "job.yaml")
    >>> warnings = []
    >>> job = read_workload(Field.root(document), "Job", "default", PodContext(), {},
    ...                     ReplicaMode.MAX, lambda *w: warnings.append(w))
    >>> job.key, job.replicas, job.replicas_reason, job.pod.requests["nvidia.com/gpu"]
    ('Job/default/train', 2, 'Job parallelism 4, completions 2, suspended', 2)
    >>> [code for code, _, _ in warnings]
    ['suspended', 'no-requests']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from eks_plan.manifests.fields import Field
from eks_plan.manifests.model import DAEMONSET, HorizontalPodAutoscaler, ReplicaMode, Workload
from eks_plan.manifests.objects import object_name
from eks_plan.manifests.pods import PodContext, WarnFunction, read_pod_template

_SCALABLE = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"})


#: The label the Deployment controller puts on every pod of a ReplicaSet it creates
#: (kubernetes/kubernetes ``pkg/controller/deployment/sync.go`` ``getNewReplicaSet``:
#: ``DefaultDeploymentUniqueLabelKey``); ``matchLabelKeys: [pod-template-hash]`` scopes a spread
#: constraint to one Deployment's pods through it.
POD_TEMPLATE_HASH = "pod-template-hash"
_SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def pod_template_hash(key: str) -> str:
    """A stable ``pod-template-hash`` value for the Deployment ``key``, unique per Deployment.

    Kubernetes hashes the pod template (FNV-32a, then ``rand.SafeEncodeString`` of the decimal);
    the planner hashes the workload key the same way, since all it needs is that two Deployments'
    pods never share a value and the same manifests always give the same one.

    >>> pod_template_hash("Deployment/shop/web") == pod_template_hash("Deployment/shop/web")
    True
    >>> pod_template_hash("Deployment/shop/web") != pod_template_hash("Deployment/shop/api")
    True
    """
    value = 0x811C9DC5
    for byte in key.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE_ALPHANUMS[ord(ch) % len(_SAFE_ALPHANUMS)] for ch in str(value))


def read_workload(
    root: Field,
    kind: str,
    namespace: str,
    context: PodContext,
    hpas: Mapping[str, Sequence[HorizontalPodAutoscaler]],
    mode: ReplicaMode,
    warn: WarnFunction,
) -> Workload:
    """One workload object; ``hpas`` maps ``Kind/namespace/name`` to the HPAs that scale it."""
    name = object_name(root)
    key = f"{kind}/{namespace}/{name}"
    spec = root.child("spec")
    if kind == "Pod":
        template = root
    elif kind == "CronJob":
        template = spec.get("jobTemplate", "spec", "template")
    else:
        template = spec.child("template")
    if not template.child("spec").present:
        raise template.child("spec").error("is required: a workload needs a pod template")
    extra_labels = {POD_TEMPLATE_HASH: pod_template_hash(key)} if kind == "Deployment" else None
    pod_template = read_pod_template(template, namespace, context, warn, key, extra_labels)
    from eks_plan.storage.manifests import read_workload_volumes  # storage reads through manifests

    locations = dict(pod_template.field_locations)

    replicas_field = spec.child("replicas")
    if replicas_field.present:
        locations["replicas"] = replicas_field.location
    declared = 1
    hpa: HorizontalPodAutoscaler | None = None
    suspended = False
    max_surge = max_unavailable = 0

    if kind in _SCALABLE:
        declared = replicas_field.integer(default=1)
        replicas, reason = declared, f"declared {declared}"
        targets = hpas.get(key, ())
        if targets:
            hpa = targets[0]
            locations["hpa"] = hpa.source
            if len(targets) > 1:
                warn(
                    "duplicate",
                    f"{key} has {len(targets)} HPAs; the first, '{hpa.name}', is used",
                    hpa.source,
                )
            if mode is ReplicaMode.MIN:
                replicas, reason = hpa.min_replicas, f"HPA {hpa.name} min {hpa.min_replicas}"
            elif mode is ReplicaMode.MAX:
                replicas, reason = hpa.max_replicas, f"HPA {hpa.name} max {hpa.max_replicas}"
            else:
                reason += f" (HPA {hpa.name} {hpa.min_replicas}..{hpa.max_replicas})"
        elif not replicas_field.present:
            reason = "declared 1 (default)"
        if kind == "Deployment":
            max_surge, max_unavailable = _rolling_update(spec, replicas)
        elif kind == "StatefulSet":
            max_unavailable = _percent_of(
                spec.get("updateStrategy", "rollingUpdate", "maxUnavailable"), replicas, 1, up=False
            )
    elif kind == "Job":
        replicas, reason, suspended = _job_pods(spec, "Job")
        declared = replicas
    elif kind == "CronJob":
        job_spec = spec.get("jobTemplate", "spec")
        replicas, reason, job_suspended = _job_pods(job_spec, "CronJob one run, Job")
        suspended = job_suspended or spec.child("suspend").boolean()
        if suspended and not job_suspended:
            reason += ", suspended"
        policy = spec.child("concurrencyPolicy").string("Allow") or "Allow"
        if policy == "Allow":
            reason += "; overlapping runs (Allow) not counted"
            warn(
                "cronjob-concurrency",
                f"{key}: concurrencyPolicy Allow lets runs overlap; eks-plan counts one run at a time "
                "(set concurrencyPolicy: Forbid or Replace to guarantee it)",
                spec.child("concurrencyPolicy").location
                if spec.child("concurrencyPolicy").present
                else root.document.start,
            )
        declared = replicas
    elif kind == DAEMONSET:
        replicas, declared, reason = 0, 0, "one per node (DaemonSet)"
    else:  # a bare Pod
        replicas, declared, reason = 1, 1, "bare Pod"

    if suspended:
        suspend_field = (
            spec.child("suspend")
            if spec.child("suspend").present
            else spec.get("jobTemplate", "spec", "suspend")
        )
        warn(
            "suspended",
            f"{key} is suspended; its {replicas} pod(s) are still counted, as they run once it is resumed",
            suspend_field.location,
        )

    workload = Workload(
        kind=kind,
        namespace=namespace,
        name=name,
        replicas=replicas,
        replicas_reason=reason,
        declared_replicas=declared,
        pod=pod_template.pod,
        source=root.document.start,
        containers=pod_template.containers,
        hpa_name=hpa.name if hpa else None,
        hpa_min=hpa.min_replicas if hpa else None,
        hpa_max=hpa.max_replicas if hpa else None,
        max_surge=max_surge,
        max_unavailable=max_unavailable,
        suspended=suspended,
        labels=tuple(sorted((k, v.string()) for k, v in root.get("metadata", "labels").items())),
        field_locations=MappingProxyType(locations),
        volumes=read_workload_volumes(kind, spec, template.child("spec")),
    )
    # Pod-level cpu/memory (spec.resources) reserve for every container: nothing is missing then.
    pod_level = "resources" in pod_template.field_locations and any(
        workload.pod.requests.get(name) for name in ("cpu", "memory")
    )
    missing = () if pod_level else workload.containers_without_requests
    if missing:
        where = next(c.location for c in workload.containers if c.name == missing[0])
        names = ", ".join(f"'{name}'" for name in missing)
        several = len(missing) > 1
        warn(
            "no-requests",
            f"{key}: container{'s' if several else ''} {names} request{'' if several else 's'} no cpu or "
            f"memory, so the plan reserves nothing for {'them' if several else 'it'}",
            where,
        )
    return workload


def _job_pods(job_spec: Field, label: str) -> tuple[int, str, bool]:
    """Pods a Job runs at once: ``parallelism`` (default 1) capped by ``completions``."""
    parallelism = job_spec.child("parallelism").integer(default=1)
    completions = job_spec.child("completions").optional_integer()
    suspended = job_spec.child("suspend").boolean()
    pods = parallelism if completions is None else min(parallelism, completions)
    reason = f"{label} parallelism {parallelism}"
    if completions is not None:
        reason += f", completions {completions}"
    if suspended:
        reason += ", suspended"
    return pods, reason, suspended


def _rolling_update(spec: Field, replicas: int) -> tuple[int, int]:
    """A Deployment's ``(maxSurge, maxUnavailable)`` in pods at ``replicas``.

    Percentages round up for surge and down for unavailability, as the Deployment controller
    does; both default to 25%. ``Recreate`` stops every old pod before starting new ones.

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> [document] = parse_yaml_documents("spec: {}", "d.yaml")
    >>> _rolling_update(Field.root(document).child("spec"), 10)
    (3, 2)
    """
    strategy = spec.child("strategy")
    if strategy.child("type").string("RollingUpdate") == "Recreate":
        return 0, replicas
    rolling = strategy.child("rollingUpdate")
    surge = _percent_of(rolling.child("maxSurge"), replicas, "25%", up=True)
    unavailable = _percent_of(rolling.child("maxUnavailable"), replicas, "25%", up=False)
    if surge == 0 and unavailable == 0:  # the API server rejects both zero; the controller uses 1
        unavailable = 1
    return surge, unavailable


def _percent_of(field: Field, replicas: int, default: int | str, *, up: bool) -> int:
    value = field.int_or_percent()
    value = default if value is None else value
    if isinstance(value, int):
        return value
    percent = int(value[:-1])
    return math.ceil(replicas * percent / 100) if up else (replicas * percent) // 100
