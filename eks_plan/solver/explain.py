"""Why pods cannot be placed, in kube-scheduler's words, with the nearest fix.

kube-scheduler's ``FitError`` reads ``0/12 nodes are available: 8 Insufficient nvidia.com/gpu, 4
node(s) didn't match Pod's node affinity/selector.``; a planner has instance types instead of nodes,
so eks-plan says ``0/12 instance types: ...`` with the same reason strings and counts. Each reason
is first a small record (:class:`FitFailure`: the reason, and for resources what was requested and
the most any type offers), then a sentence.

Example::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.problem import NodeOption
    >>> pod = PodSpec("ml", (("app", "infer"),), Resources({"cpu": 500, "nvidia.com/gpu": 1, "pods": 1}))
    >>> m7i = NodeOption("default", "m7i.large", "a", "on-demand", 0.1, Resources({"cpu": 1930, "pods": 29}))
    >>> [str(f) for f in option_failures(pod, m7i)]
    ['Insufficient nvidia.com/gpu']
    >>> summarize({"m7i.large": option_failures(pod, m7i), "c7i.large": option_failures(pod, m7i)})
    '0/2 instance types: 2 Insufficient nvidia.com/gpu'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eks_plan.resources import PODS, VPC_IP_PODS, format_amount
from eks_plan.scheduling import untolerated
from eks_plan.scheduling.pod import PodSpec
from eks_plan.solver.problem import NodeOption

NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
AFFINITY = "node(s) didn't match pod affinity rules"
SPREAD = "node(s) didn't match pod topology spread constraints"
HOST_PORTS = "node(s) didn't have free ports for the requested pod ports"


@dataclass(frozen=True, slots=True)
class FitFailure:
    """One reason a pod does not fit one kind of node.

    ``resource``, ``requested`` and ``capacity`` are set for resource shortfalls (``capacity`` is
    what pods may use on an empty node: allocatable less DaemonSets and headroom).
    """

    reason: str
    resource: str | None = None
    requested: int = 0
    capacity: int = 0

    def __str__(self) -> str:
        return self.reason


def taint_reason(taint: object) -> str:
    return f"node(s) had untolerated taint {taint}"


def option_failures(pod: PodSpec, option: NodeOption, headroom_percent: float = 0.0) -> list[FitFailure]:
    """Every reason a lone ``pod`` cannot run on an empty node of ``option`` (empty: it can)."""
    failures: list[FitFailure] = []
    if not pod.node_selector.matches(option.labels):
        failures.append(FitFailure(NODE_AFFINITY))
    for taint in untolerated(option.taints, pod.tolerations):
        failures.append(FitFailure(taint_reason(taint)))
    usable = option.usable(headroom_percent)
    for name, amount in sorted(pod.requests.items()):
        if amount > usable[name]:
            reason = _shortfall_reason(name)
            failures.append(FitFailure(reason, name, amount, usable[name]))
    return failures


def _shortfall_reason(name: str) -> str:
    """kube-scheduler's words for a resource shortfall; ``vpc-ip-pods`` is ipamd's address limit."""
    if name == PODS:
        return "Too many pods"
    if name == VPC_IP_PODS:
        return "no VPC address left for the pod (ipamd's ENIs are full)"
    return f"Insufficient {name}"


def summarize(failures_by_type: Mapping[str, Sequence[FitFailure]], unit: str = "instance types") -> str:
    """kube-scheduler's one-line summary: ``0/N <unit>: <count> <reason>, ...``, reasons sorted
    by text as kube-scheduler sorts them; each type counts once per distinct reason."""
    histogram: Counter[str] = Counter()
    for failures in failures_by_type.values():
        histogram.update({failure.reason for failure in failures})
    parts = ", ".join(f"{count} {reason}" for reason, count in sorted(histogram.items()))
    return f"0/{len(failures_by_type)} {unit}: {parts}"


def resource_details(failures_by_type: Mapping[str, Sequence[FitFailure]]) -> list[str]:
    """For each resource that NO instance type has enough of, what the pod requests and the most
    any allowed type offers, in Kubernetes quantities (a resource only some types lack is not the
    reason the pod cannot be placed, so it gets no line).

    >>> short = {"c7i.large": [FitFailure("Insufficient memory", "memory", 2**40, 3 * 2**30)],
    ...          "r7i.large": [FitFailure("Insufficient memory", "memory", 2**40, 14 * 2**30)]}
    >>> print(*resource_details(short))
    Insufficient memory: the pod requests 1Ti, the most any allowed instance type offers is 14Gi (r7i.large)
    """
    best: dict[str, tuple[int, int, str]] = {}
    short_types: Counter[str] = Counter()
    for instance_type, failures in sorted(failures_by_type.items()):
        for failure in failures:
            if failure.resource is None:
                continue
            short_types[failure.resource] += 1
            known = best.get(failure.resource)
            if known is None or failure.capacity > known[1]:
                best[failure.resource] = (failure.requested, failure.capacity, instance_type)
    return [
        f"{_shortfall_reason(name)}: the pod requests "
        f"{format_amount(name, requested)}, the most any allowed instance type offers is "
        f"{format_amount(name, capacity)} ({instance_type})"
        for name, (requested, capacity, instance_type) in sorted(best.items())
        if short_types[name] == len(failures_by_type)
    ]


def failures_by_instance_type(
    pod: PodSpec, options: Iterable[NodeOption], headroom_percent: float
) -> dict[str, list[FitFailure]]:
    """Failures per instance type: the union over its options (zones, pools, capacity types),
    each reason once."""
    result: dict[str, list[FitFailure]] = {}
    for option in options:
        known = result.setdefault(option.instance_type, [])
        seen = {failure.reason for failure in known}
        for failure in option_failures(pod, option, headroom_percent):
            if failure.reason not in seen:
                known.append(failure)
                seen.add(failure.reason)
    return result


def nearest_fixes(
    pod: PodSpec,
    options: Sequence[NodeOption],
    excluded: Sequence[NodeOption],
    headroom_percent: float,
) -> list[str]:
    """The smallest changes that would let the pod run, cheapest first where prices say so."""
    fixes: list[str] = []
    fitting = sorted(
        (o for o in excluded if not option_failures(pod, o, headroom_percent)),
        key=lambda o: (o.price_per_hour, o.instance_type, o.zone),
    )
    if fitting:
        best = fitting[0]
        fixes.append(
            f"allow instance type {best.instance_type} in pool {best.pool} "
            f"(${best.price_per_hour:.4f}/hour, the cheapest that fits)"
        )
    taint_only = []
    for option in options:
        failures = option_failures(pod, option, headroom_percent)
        if failures and all(f.reason.startswith("node(s) had untolerated taint") for f in failures):
            taint_only.append(option)
    if taint_only:
        taints = sorted({str(t) for t in untolerated(taint_only[0].taints, pod.tolerations)})
        fixes.append(
            f"add a toleration for {', '.join(taints)} (instance type {taint_only[0].instance_type} "
            "fits otherwise)"
        )
    selector_only = [
        o for o in options if [f.reason for f in option_failures(pod, o, headroom_percent)] == [NODE_AFFINITY]
    ]
    if selector_only:
        fixes.append(
            f"relax the node selector/affinity: instance type {selector_only[0].instance_type} fits otherwise"
        )
    return fixes
