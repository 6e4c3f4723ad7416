"""Why pods cannot be placed, as values: each reason a pod does not fit a kind of node is a
:class:`FitFailure` (a kube-scheduler filter reason as a :class:`~eks_plan.solver.plan.Fit` code, and
for resources what was requested and what the type offers); a workload's reasons are
:class:`~eks_plan.solver.plan.UnplacedReason` values, with the nearest fix. kube-scheduler's words
for them are written by :mod:`eks_plan.report.reasons` only.

Example::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.problem import NodeOption
    >>> from eks_plan.report.reasons import reason_text
    >>> pod = PodSpec("ml", (("app", "infer"),), Resources({"cpu": 500, "nvidia.com/gpu": 1, "pods": 1}))
    >>> m7i = NodeOption("default", "m7i.large", "a", "on-demand", 0.1, Resources({"cpu": 1930, "pods": 29}))
    >>> [(f.fit.value, f.detail) for f in option_failures(pod, m7i)]
    [('insufficient', 'nvidia.com/gpu')]
    >>> failures = option_failures(pod, m7i)
    >>> reason_text(summarize({"m7i.large": failures, "c7i.large": failures}))
    '0/2 instance types: 2 Insufficient nvidia.com/gpu'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eks_plan.scheduling import untolerated
from eks_plan.scheduling.pod import PodSpec
from eks_plan.scheduling.topology import node_has_key
from eks_plan.solver.plan import INSTANCE_TYPES, Fit, FitCount, ReasonCode, UnplacedReason
from eks_plan.solver.problem import NodeOption
from eks_plan.storage.attach import EBS_VOLUMES, VOLUME_COUNT_FIX


def _ports_taken(pod: PodSpec, option: NodeOption) -> bool:
    """Whether a DaemonSet pod on such a node binds one of the pod's host ports (nodeports
    ``fitsPorts`` counts every pod on the node)."""
    from eks_plan.solver.compat import ports_conflict

    return ports_conflict(pod.host_ports, option.daemonset_host_ports)


@dataclass(frozen=True, slots=True)
class FitFailure:
    """One reason a pod does not fit one kind of node: the filter's reason (``detail``: the taint,
    or the resource short).

    ``resource``, ``requested`` and ``capacity`` are set for resource shortfalls (``capacity`` is
    what pods may use on an empty node: allocatable less DaemonSets and headroom).
    """

    fit: Fit
    detail: str = ""
    resource: str | None = None
    requested: int = 0
    capacity: int = 0

    @property
    def key(self) -> tuple[Fit, str]:
        """What makes two failures the same reason (one kube-scheduler sentence)."""
        return (self.fit, self.detail)


def option_failures(pod: PodSpec, option: NodeOption, headroom_percent: float = 0.0) -> list[FitFailure]:
    """Every reason a lone ``pod`` cannot run on an empty node of ``option`` (empty: it can)."""
    failures: list[FitFailure] = []
    if not pod.node_selector.matches(option.labels):
        failures.append(FitFailure(Fit.NODE_AFFINITY))
    for taint in untolerated(option.taints, pod.tolerations):
        failures.append(FitFailure(Fit.TAINT, str(taint)))
    if any(c.binds() and not node_has_key(c.topology_key, option.labels) for c in pod.topology_spread):
        failures.append(FitFailure(Fit.SPREAD_LABEL))
    if _ports_taken(pod, option):
        failures.append(FitFailure(Fit.HOST_PORTS))
    usable = option.usable(headroom_percent)
    for name, amount in sorted(pod.requests.items()):
        if amount > usable[name]:
            failures.append(FitFailure(Fit.INSUFFICIENT, name, name, amount, usable[name]))
    return failures


def summarize(
    failures_by_type: Mapping[str, Sequence[FitFailure]], unit: str = INSTANCE_TYPES
) -> UnplacedReason:
    """kube-scheduler's summary ``0/N <unit>: <count> <reason>, ...`` as a value; each type counts
    once per distinct reason."""
    histogram: Counter[tuple[Fit, str]] = Counter()
    for failures in failures_by_type.values():
        histogram.update({failure.key for failure in failures})
    fits = tuple(FitCount(fit, count, detail) for (fit, detail), count in histogram.items())
    return UnplacedReason(ReasonCode.NO_FIT, len(failures_by_type), unit, fits)


def resource_details(failures_by_type: Mapping[str, Sequence[FitFailure]]) -> list[UnplacedReason]:
    """For each resource that NO instance type has enough of, what the pod requests and the most
    any allowed type offers (a resource only some types lack is not the reason the pod cannot be
    placed, so it gets no line), by resource name.

    >>> from eks_plan.report.reasons import reason_text
    >>> short = {"c7i.large": [FitFailure(Fit.INSUFFICIENT, "memory", "memory", 2**40, 3 * 2**30)],
    ...          "r7i.large": [FitFailure(Fit.INSUFFICIENT, "memory", "memory", 2**40, 14 * 2**30)]}
    >>> print(*map(reason_text, resource_details(short)))
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
        UnplacedReason(
            ReasonCode.SHORTFALL,
            resource=name,
            requested=requested,
            capacity=capacity,
            instance_type=instance_type,
        )
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
        seen = {failure.key for failure in known}
        for failure in option_failures(pod, option, headroom_percent):
            if failure.key not in seen:
                known.append(failure)
                seen.add(failure.key)
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
        if failures and all(f.fit is Fit.TAINT for f in failures):
            taint_only.append(option)
    if taint_only:
        taints = sorted({str(t) for t in untolerated(taint_only[0].taints, pod.tolerations)})
        fixes.append(
            f"add a toleration for {', '.join(taints)} (instance type {taint_only[0].instance_type} "
            "fits otherwise)"
        )
    if any(
        failure.resource == EBS_VOLUMES
        for option in options
        for failure in option_failures(pod, option, headroom_percent)
    ):
        fixes.append(VOLUME_COUNT_FIX)
    selector_only = [
        o
        for o in options
        if [f.fit for f in option_failures(pod, o, headroom_percent)] == [Fit.NODE_AFFINITY]
    ]
    if selector_only:
        fixes.append(
            f"relax the node selector/affinity: instance type {selector_only[0].instance_type} fits otherwise"
        )
    return fixes
