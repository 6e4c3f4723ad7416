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

from collections.abc import Mapping

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


def limit_range_item_defaults(
    minimum: Mapping[str, int],
    maximum: Mapping[str, int],
    default: Mapping[str, int],
    default_request: Mapping[str, int],
) -> tuple[dict[str, int], dict[str, int]]:
    """The ``(default limits, default requests)`` of one ``type: Container`` LimitRange item, after
    the API server's ``SetDefaults_LimitRangeItem`` (``pkg/apis/core/v1/defaults.go`` in
    kubernetes/kubernetes), in its order:

    1. a resource in ``max`` but not in ``default`` gets the default limit ``max``;
    2. a resource in ``default`` (as completed by 1) but not in ``defaultRequest`` gets the default
       request ``default``;
    3. a resource in ``min`` still not in ``defaultRequest`` gets the default request ``min``.

    Worked example: ``min: {cpu: 150m}`` alone gives a container without requests 150m of cpu and
    no default limit; ``max: {memory: 1Gi}`` with ``min: {memory: 64Mi}`` defaults the limit to
    1Gi and the request to the limit, 1Gi, because step 2 comes before step 3:

    >>> gi, mi = 2**30, 2**20
    >>> limit_range_item_defaults({"cpu": 150}, {}, {}, {})
    ({}, {'cpu': 150})
    >>> limit_range_item_defaults({"memory": 64 * mi}, {"memory": gi}, {}, {})
    ({'memory': 1073741824}, {'memory': 1073741824})
    >>> limit_range_item_defaults({"cpu": 50}, {"cpu": 2000}, {"cpu": 500}, {"cpu": 100})
    ({'cpu': 500}, {'cpu': 100})
    """
    limits = dict(default)
    for name, amount in maximum.items():
        limits.setdefault(name, amount)
    requests = dict(default_request)
    for name, amount in limits.items():
        requests.setdefault(name, amount)
    for name, amount in minimum.items():
        requests.setdefault(name, amount)
    return limits, requests


def read_limit_range(root: Field, namespace: str) -> LimitRange:
    """The ``type: Container`` defaults of a LimitRange, defaulted as the API server defaults them
    (:func:`limit_range_item_defaults`); with several such items the first to name a resource wins."""
    default_requests: dict[str, int] = {}
    default_limits: dict[str, int] = {}
    for limit in root.get("spec", "limits").sequence():
        if limit.child("type").string() != "Container":
            continue
        limits, requests = limit_range_item_defaults(
            limit.child("min").resources()[0],
            limit.child("max").resources()[0],
            limit.child("default").resources()[0],
            limit.child("defaultRequest").resources()[0],
        )
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
