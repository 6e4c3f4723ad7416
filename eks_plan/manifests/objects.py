"""The non-workload objects that change how workloads are counted, read from their manifests.

Example: an ``autoscaling/v2`` HPA::

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> text = '''
    ... kind: HorizontalPodAutoscaler
    ... metadata: {name: web, namespace: shop}
    ... spec:
    ...   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    ...   maxReplicas: 10
    ... '''
    >>> [document] = parse_yaml_documents(text, "hpa.yaml")
    >>> hpa = read_hpa(Field.root(document), "shop")
    >>> hpa.target_key, hpa.min_replicas, hpa.max_replicas
    ('Deployment/shop/web', 1, 10)
"""

from __future__ import annotations

from eks_plan.manifests.fields import Field
from eks_plan.manifests.model import (
    HorizontalPodAutoscaler,
    LimitRange,
    PodDisruptionBudget,
    PriorityClass,
    RuntimeClass,
)
from eks_plan.manifests.selectors import label_selector, toleration
from eks_plan.resources import Resources

#: PriorityClasses every cluster has without a manifest (kube-apiserver creates them).
BUILT_IN_PRIORITY_CLASSES = {"system-cluster-critical": 2_000_000_000, "system-node-critical": 2_000_001_000}


def object_name(root: Field) -> str:
    return root.get("metadata", "name").string() or root.get("metadata", "generateName").string()


def read_hpa(root: Field, namespace: str) -> HorizontalPodAutoscaler:
    """An HPA of ``autoscaling/v1`` or ``v2`` (both keep ``minReplicas``/``maxReplicas`` and
    ``scaleTargetRef`` at the same place); ``minReplicas`` defaults to 1."""
    spec = root.child("spec")
    target = spec.child("scaleTargetRef")
    target_kind = target.child("kind").string()
    target_name = target.child("name").string()
    if not target_kind or not target_name:
        raise target.error("must name the kind and name of the workload it scales")
    minimum = spec.child("minReplicas").integer(default=1)
    maximum_field = spec.child("maxReplicas")
    maximum = maximum_field.integer(minimum=1)
    if maximum < minimum:
        raise maximum_field.error(f"({maximum}) must not be below minReplicas ({minimum})")
    return HorizontalPodAutoscaler(
        namespace, object_name(root), target_kind, target_name, minimum, maximum, root.document.start
    )


def read_pdb(root: Field, namespace: str) -> PodDisruptionBudget:
    spec = root.child("spec")
    return PodDisruptionBudget(
        namespace,
        object_name(root),
        label_selector(spec.child("selector")),
        spec.child("minAvailable").int_or_percent(),
        spec.child("maxUnavailable").int_or_percent(),
        root.document.start,
    )


def read_priority_class(root: Field) -> PriorityClass:
    return PriorityClass(
        object_name(root),
        root.child("value").integer(minimum=None),
        root.child("globalDefault").boolean(),
        root.child("preemptionPolicy").string("PreemptLowerPriority"),
        root.document.start,
    )


def read_runtime_class(root: Field) -> RuntimeClass:
    overhead, _ = root.get("overhead", "podFixed").resources()
    scheduling = root.child("scheduling")
    return RuntimeClass(
        object_name(root),
        Resources(overhead),
        tuple(sorted((k, v.string()) for k, v in scheduling.child("nodeSelector").items())),
        tuple(toleration(item) for item in scheduling.child("tolerations").sequence()),
        root.document.start,
    )


def read_limit_range(root: Field, namespace: str) -> LimitRange:
    """The ``type: Container`` limits of a LimitRange, defaulted as the API server defaults them:
    a missing ``default`` is ``max``, a missing ``defaultRequest`` is ``default``."""
    default_requests: dict[str, int] = {}
    default_limits: dict[str, int] = {}
    for limit in root.get("spec", "limits").sequence():
        if limit.child("type").string() != "Container":
            continue
        maximum, _ = limit.child("max").resources()
        default, _ = limit.child("default").resources()
        default_request, _ = limit.child("defaultRequest").resources()
        limits = {**maximum, **default}
        requests = {**limits, **default_request}
        for name, amount in limits.items():
            default_limits.setdefault(name, amount)
        for name, amount in requests.items():
            default_requests.setdefault(name, amount)
    return LimitRange(
        namespace,
        object_name(root),
        Resources(default_requests),
        Resources(default_limits),
        root.document.start,
    )
