"""A pod's effective resource request: the one place eks-plan computes it.

kube-scheduler does not simply add up a pod's containers. Init containers run one after another
before the app starts, so only the largest of them matters; native sidecars (init containers with
``restartPolicy: Always``, Kubernetes 1.29+) start in order and keep running, so they add to
everything that starts after them. :func:`pod_request` spells the rule out;
:func:`container_requests` applies the API server's defaulting to one container first.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction

from eks_plan.manifests.quantity import QuantityError, parse_quantity
from eks_plan.resources import CPU, EPHEMERAL_STORAGE, HUGEPAGES_PREFIX, MEMORY, PODS, Resources

#: The resource names without a domain a container may request (``IsStandardContainerResourceName``
#: in Kubernetes' ``pkg/apis/core/helper``), besides ``hugepages-<size>``.
STANDARD_CONTAINER_RESOURCES = (CPU, MEMORY, EPHEMERAL_STORAGE)

# A qualified name (``k8s.io/apimachinery`` ``IsQualifiedName``): an optional DNS-1123 subdomain
# prefix and a slash, then a name of at most 63 characters.
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII)
_QUALIFIED_NAME_PART = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", re.ASCII)
_NATIVE_DOMAIN = "kubernetes.io/"
_QUOTA_PREFIXES = ("requests.", "limits.")


def pod_request(
    containers: Iterable[Mapping[str, int]],
    init_containers: Iterable[tuple[Mapping[str, int], bool]] = (),
    overhead: Mapping[str, int] | None = None,
) -> Resources:
    """The request kube-scheduler reserves for a pod, per resource, plus one pod slot.

    ``containers`` are the regular containers' requests; ``init_containers`` are ``(requests,
    is_sidecar)`` pairs in declaration order, where a sidecar is an init container with
    ``restartPolicy: Always``; ``overhead`` is the RuntimeClass ``overhead.podFixed``. Per resource::

        max( sum(regular) + sum(sidecars),
             max over init containers i of (request_i + sum of sidecars declared before i) )
        + overhead

    (as ``resourcehelper.PodRequests`` in Kubernetes computes it; a sidecar's own term, the
    sidecars up to and including it, is never larger than the first line).

    Worked example: istio's injector output with ``istio-init`` (a plain init container,
    100m/128Mi) then ``istio-proxy`` (a sidecar, 100m/128Mi), and an app container with no requests.
    The first line is 0 + 100m; ``istio-init`` runs before any sidecar starts, so its term is 100m;
    the pod needs 100m, not 200m:

    >>> mi = 2**20
    >>> init = ({"cpu": 100, "memory": 128 * mi}, False)
    >>> proxy = ({"cpu": 100, "memory": 128 * mi}, True)
    >>> pod_request([{}], [init, proxy])
    Resources(cpu=100, memory=134217728, pods=1)

    Declared the other way round, the sidecar is already running while the init container works,
    so the init term is 100m + 100m:

    >>> pod_request([{}], [proxy, init])
    Resources(cpu=200, memory=268435456, pods=1)

    A big init container dominates; regular containers and sidecars add up otherwise; resources are
    independent (here memory comes from the init container, cpu from the running containers):

    >>> pod_request([{"cpu": 500, "memory": 256 * mi}, {"cpu": 250}],
    ...             [({"cpu": 100, "memory": 1024 * mi}, False), ({"cpu": 50, "memory": 64 * mi}, True)],
    ...             overhead={"cpu": 250, "memory": 120 * mi})
    Resources(cpu=1050, memory=1199570944, pods=1)
    """
    running: dict[str, int] = {}
    for requests in containers:
        _add(running, requests)
    sidecars_so_far: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for requests, is_sidecar in init_containers:
        if is_sidecar:
            _add(running, requests)
            _add(sidecars_so_far, requests)
            term = sidecars_so_far
        else:
            term = dict(sidecars_so_far)
            _add(term, requests)
        for name, amount in term.items():
            if amount > init_peak.get(name, 0):
                init_peak[name] = amount
    for name, amount in init_peak.items():
        if amount > running.get(name, 0):
            running[name] = amount
    if overhead:
        _add(running, overhead)
    running[PODS] = 1
    return Resources(running)


def is_pod_level_resource(name: str) -> bool:
    """Whether ``spec.resources`` of a pod may set ``name``: cpu, memory and ``hugepages-<size>``
    (``IsSupportedPodLevelResource`` in ``k8s.io/component-helpers/resource/helpers.go``)."""
    return name in (CPU, MEMORY) or name.startswith(HUGEPAGES_PREFIX)


def apply_pod_level_resources(
    containers_request: Mapping[str, int],
    pod_requests: Mapping[str, int],
    pod_limits: Mapping[str, int],
    overhead: Mapping[str, int] | None = None,
) -> Resources:
    """The pod's request when its ``spec.resources`` is set (pod-level resources, beta and on by
    default from Kubernetes 1.34).

    ``containers_request`` is :func:`pod_request` without overhead (the containers' aggregate, pod
    slot included). Two steps of the real code, in order:

    - API defaulting (``defaultPodRequests`` in ``pkg/apis/core/v1/defaults.go``): a pod-level limit
      without a pod-level request defaults the request to the containers' aggregate request for
      that resource when the containers request it, else to the limit;
    - ``PodRequests`` (``k8s.io/component-helpers/resource/helpers.go``): when any supported
      pod-level request is set (``IsPodLevelRequestsSet``), each supported pod-level request
      replaces the containers' aggregate for its resource (``applyPodLevelResources``); then the
      RuntimeClass overhead is added.

    Only cpu, memory and hugepages are pod-level resources; any other name in ``spec.resources``
    is ignored, as the API does (it rejects them at validation).

    A pod asking 2 cpu / 4Gi for all its containers, which ask nothing themselves:

    >>> gi = 2**30
    >>> apply_pod_level_resources({"pods": 1}, {"cpu": 2000, "memory": 4 * gi}, {})
    Resources(cpu=2000, memory=4294967296, pods=1)

    Pod-level requests win over the containers' sum, resource by resource; a pod-level limit alone
    keeps the containers' request (here memory) or, where they request nothing, becomes the request
    (here a hugepages limit):

    >>> apply_pod_level_resources({"cpu": 3000, "memory": gi, "pods": 1}, {"cpu": 1000},
    ...                           {"memory": 2 * gi, "hugepages-2Mi": 64 * 2**20})
    Resources(cpu=1000, hugepages-2Mi=67108864, memory=1073741824, pods=1)
    """
    effective_pod_requests = {
        name: amount for name, amount in pod_requests.items() if is_pod_level_resource(name)
    }
    requested_by_containers = {name for name, amount in containers_request.items() if amount}
    for name, limit in pod_limits.items():
        if is_pod_level_resource(name) and name not in effective_pod_requests:
            # (a Resources map reads a missing name as 0, so ask which names the containers set)
            from_containers = name in requested_by_containers
            effective_pod_requests[name] = containers_request[name] if from_containers else limit
    result = dict(containers_request)
    result.update(effective_pod_requests)
    if overhead:
        _add(result, overhead)
    result[PODS] = 1
    return Resources(result)


def _add(total: dict[str, int], amounts: Mapping[str, int]) -> None:
    for name, amount in amounts.items():
        total[name] = total.get(name, 0) + amount


def container_requests(
    requests: Mapping[str, int],
    limits: Mapping[str, int],
    default_requests: Mapping[str, int] | None = None,
    default_limits: Mapping[str, int] | None = None,
) -> tuple[Resources, Resources]:
    """One container's ``(requests, limits)`` after the API server has defaulted them.

    In order: a limit without a request defaults the request (API defaulting at decode), then the
    namespace's LimitRange fills a still-missing limit from ``default`` and a still-missing
    request from ``defaultRequest`` (the LimitRanger admission plugin); a request still missing
    where a limit is now set takes that limit. (A LimitRange read by
    :func:`~eks_plan.manifests.objects.limit_range_item_defaults` always has a ``defaultRequest``
    for every ``default``, so the last step matters only for defaults given here by hand.)

    >>> container_requests({}, {"cpu": 2000})                   # limit only: request = limit
    (Resources(cpu=2000), Resources(cpu=2000))
    >>> container_requests({"memory": 64}, {}, {"cpu": 100, "memory": 128}, {"cpu": 500})
    (Resources(cpu=100, memory=64), Resources(cpu=500))
    >>> container_requests({}, {"cpu": 300}, {"cpu": 100})      # the explicit limit wins
    (Resources(cpu=300), Resources(cpu=300))
    >>> container_requests({}, {}, {}, {"memory": 512})          # a default limit, no default request
    (Resources(memory=512), Resources(memory=512))
    """
    effective_requests = dict(requests)
    effective_limits = dict(limits)
    for name, amount in limits.items():
        effective_requests.setdefault(name, amount)
    for name, amount in (default_limits or {}).items():
        effective_limits.setdefault(name, amount)
    for name, amount in (default_requests or {}).items():
        effective_requests.setdefault(name, amount)
    for name, amount in effective_limits.items():
        effective_requests.setdefault(name, amount)
    return Resources(effective_requests), Resources(effective_limits)


@functools.lru_cache(maxsize=1024)  # manifests repeat the same few names
def resource_name_problem(name: str) -> tuple[str, str] | None:
    """Why the API server rejects ``name`` in a container's ``requests`` or ``limits``, as
    ``(problem, hint)``, or ``None`` for a name it accepts.

    Kubernetes' ``validateContainerResourceName`` (``pkg/apis/core/validation``): a name without a
    ``/`` must be a standard container resource (``cpu``, ``memory``, ``ephemeral-storage`` or
    ``hugepages-<size>``: ``IsStandardContainerResourceName``); a name with one must be a qualified
    name, and outside ``kubernetes.io/`` an extended resource, which may not start with
    ``requests.`` (``IsExtendedResourceName``).

    >>> resource_name_problem("memory") is None, resource_name_problem("nvidia.com/gpu") is None
    (True, True)
    >>> resource_name_problem("memroy")
    ("unknown resource 'memroy'", "did you mean 'memory'?")
    >>> resource_name_problem("requests.cpu")
    ("unknown resource 'requests.cpu'", "did you mean 'cpu'? requests.* and limits.* are ResourceQuota names")
    >>> resource_name_problem("NVIDIA.com/gpu")[1]
    "did you mean 'nvidia.com/gpu'? the domain of an extended resource is lower case"
    """
    if "/" not in name:
        if name in STANDARD_CONTAINER_RESOURCES:
            return None
        if name.startswith(HUGEPAGES_PREFIX):
            if _QUALIFIED_NAME_PART.fullmatch(name) and _positive_quantity(name[len(HUGEPAGES_PREFIX) :]):
                return None
            return (
                f"invalid huge page resource '{name}'",
                "write the page size, e.g. hugepages-2Mi or hugepages-1Gi",
            )
        return f"unknown resource '{name}'", _standard_name_hint(name)
    prefix, _, short_name = name.rpartition("/")
    well_formed = (
        "/" not in prefix
        and len(prefix) <= 253
        and _SUBDOMAIN.fullmatch(prefix) is not None
        and len(short_name) <= 63
        and _QUALIFIED_NAME_PART.fullmatch(short_name) is not None
    )
    if well_formed and (_NATIVE_DOMAIN in name or not name.startswith("requests.")):
        return None
    if name.lower() != name and _SUBDOMAIN.fullmatch(prefix.lower()):
        hint = (
            f"did you mean '{prefix.lower()}/{short_name}'? the domain of an extended resource is lower case"
        )
    else:
        hint = "an extended resource is <domain>/<name>, e.g. nvidia.com/gpu or example.com/foo"
    return f"invalid extended resource name '{name}'", hint


def _standard_name_hint(name: str) -> str:
    lowered = name.lower()
    for prefix in _QUOTA_PREFIXES:
        if lowered.startswith(prefix) and lowered[len(prefix) :] in STANDARD_CONTAINER_RESOURCES:
            return f"did you mean '{lowered[len(prefix) :]}'? requests.* and limits.* are ResourceQuota names"
    if lowered == "storage":
        return "did you mean 'ephemeral-storage'? storage is what a PersistentVolumeClaim requests"
    if lowered in ("gpu", "gpus"):
        return (
            "a GPU is an extended resource with its vendor's domain, e.g. 'nvidia.com/gpu' or 'amd.com/gpu'"
        )
    close = difflib.get_close_matches(lowered, STANDARD_CONTAINER_RESOURCES, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return (
        "a container may request cpu, memory, ephemeral-storage, hugepages-<size>, or an extended "
        "resource with a domain such as nvidia.com/gpu"
    )


def _positive_quantity(text: str) -> bool:
    try:
        return parse_quantity(text) > 0
    except QuantityError:
        return False


def is_overcommit_allowed(name: str) -> bool:
    """True for resources whose request may be below their limit: native resources (no domain, or
    ``kubernetes.io/``) other than huge pages (``IsOvercommitAllowed`` in Kubernetes). Extended
    resources and huge pages are never overcommitted: the request must equal the limit.

    >>> [is_overcommit_allowed(name) for name in ("cpu", "hugepages-2Mi", "nvidia.com/gpu")]
    [True, False, False]
    """
    native = "/" not in name or _NATIVE_DOMAIN in name
    return native and not name.startswith(HUGEPAGES_PREFIX)


def is_extended_resource(name: str) -> bool:
    """A resource with a domain outside ``kubernetes.io/`` (``nvidia.com/gpu``): counted in whole units."""
    return "/" in name and _NATIVE_DOMAIN not in name


def request_limit_problem(name: str, request: Fraction, limit: Fraction | None) -> str | None:
    """Why the API server rejects a container's ``request`` of ``name`` against its ``limit``
    (``None`` when no limit is written), or ``None`` when it accepts them.

    The rules of ``validateResourceRequirements`` in Kubernetes' ``pkg/apis/core/validation``:
    a request may not exceed its limit; for a resource that cannot be overcommitted (extended
    resources, huge pages) it must equal the limit, and a limit must be set.

    >>> request_limit_problem("cpu", Fraction(1), Fraction(1, 2))
    'must be less than or equal to the cpu limit'
    >>> request_limit_problem("nvidia.com/gpu", Fraction(1), Fraction(2))
    'must be equal to the nvidia.com/gpu limit'
    >>> request_limit_problem("nvidia.com/gpu", Fraction(1), None)
    'needs a limit: nvidia.com/gpu cannot be overcommitted, so Kubernetes requires limits.nvidia.com/gpu'
    >>> request_limit_problem("cpu", Fraction(1, 4), Fraction(1)) is None
    True
    """
    overcommit_allowed = is_overcommit_allowed(name)
    if limit is None:
        if overcommit_allowed:
            return None
        return f"needs a limit: {name} cannot be overcommitted, so Kubernetes requires limits.{name}"
    if request != limit and not overcommit_allowed:
        return f"must be equal to the {name} limit"
    if request > limit:
        return f"must be less than or equal to the {name} limit"
    return None
