"""A pod's effective resource request: the one place eks-plan computes it.

kube-scheduler does not simply add up a pod's containers. Init containers run one after another
before the app starts, so only the largest of them matters; native sidecars (init containers with
``restartPolicy: Always``, Kubernetes 1.29+) start in order and keep running, so they add to
everything that starts after them. :func:`pod_request` spells the rule out;
:func:`container_requests` applies the API server's defaulting to one container first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eks_plan.resources import PODS, Resources


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
    request from ``defaultRequest`` (the LimitRanger admission plugin).

    >>> container_requests({}, {"cpu": 2000})                   # limit only: request = limit
    (Resources(cpu=2000), Resources(cpu=2000))
    >>> container_requests({"memory": 64}, {}, {"cpu": 100, "memory": 128}, {"cpu": 500})
    (Resources(cpu=100, memory=64), Resources(cpu=500))
    >>> container_requests({}, {"cpu": 300}, {"cpu": 100})      # the explicit limit wins
    (Resources(cpu=300), Resources(cpu=300))
    """
    effective_requests = dict(requests)
    effective_limits = dict(limits)
    for name, amount in limits.items():
        effective_requests.setdefault(name, amount)
    for name, amount in (default_limits or {}).items():
        effective_limits.setdefault(name, amount)
    for name, amount in (default_requests or {}).items():
        effective_requests.setdefault(name, amount)
    return Resources(effective_requests), Resources(effective_limits)
