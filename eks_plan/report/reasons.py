"""Why pods cannot be placed, in kube-scheduler's words: the one place the solver's reason values
(:class:`~eks_plan.solver.plan.UnplacedReason`) become sentences.

kube-scheduler's ``FitError`` reads ``0/12 nodes are available: 8 Insufficient nvidia.com/gpu, 4
node(s) didn't match Pod's node affinity/selector.``; a planner has instance types instead of nodes,
so eks-plan says ``0/12 instance types: ...`` with the same reason strings (the filter plugins'
``ErrReason...`` constants in pkg/scheduler/framework/plugins) and counts, sorted by text as
kube-scheduler sorts them.

>>> from eks_plan.solver.plan import Fit, FitCount, ReasonCode, UnplacedReason
>>> summary = UnplacedReason(ReasonCode.NO_FIT, 12, "instance types",
...     (FitCount(Fit.NODE_AFFINITY, 4), FitCount(Fit.INSUFFICIENT, 8, "nvidia.com/gpu")))
>>> reason_text(summary)
"0/12 instance types: 8 Insufficient nvidia.com/gpu, 4 node(s) didn't match Pod's node affinity/selector"
>>> reason_text(UnplacedReason(ReasonCode.POOL_FULL, pools=(("general", 2),)))
"pool 'general' is at maxNodes 2"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eks_plan.resources import PODS, VPC_IP_PODS, format_amount
from eks_plan.solver.plan import INSTANCE_TYPES, Fit, FitCount, ReasonCode, UnplacedReason
from eks_plan.storage.attach import EBS_VOLUMES, MAX_VOLUME_COUNT_REASON

NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
AFFINITY = "node(s) didn't match pod affinity rules"
SPREAD = "node(s) didn't match pod topology spread constraints"
HOST_PORTS = "node(s) didn't have free ports for the requested pod ports"
#: podtopologyspread ``ErrReasonNodeLabelNotMatch``: the node lacks a constraint's topology key.
SPREAD_LABEL = SPREAD + " (missing required label)"
#: When nothing more is known.
NO_NODE = "no node can take these pods"
NO_OPTION = "no node option allowed"

_FIT_WORDS = {
    Fit.NODE_AFFINITY: NODE_AFFINITY,
    Fit.SPREAD_LABEL: SPREAD_LABEL,
    Fit.HOST_PORTS: HOST_PORTS,
    Fit.ANTI_AFFINITY: ANTI_AFFINITY,
    Fit.AFFINITY: AFFINITY,
    Fit.SPREAD: SPREAD,
}


def shortfall_words(resource: str) -> str:
    """kube-scheduler's words for a resource shortfall; ``vpc-ip-pods`` is ipamd's address limit."""
    if resource == PODS:
        return "Too many pods"
    if resource == VPC_IP_PODS:
        return "no VPC address left for the pod (ipamd's ENIs are full)"
    if resource == EBS_VOLUMES:
        return MAX_VOLUME_COUNT_REASON  # nodevolumelimits' ErrReasonMaxVolumeCountExceeded
    return f"Insufficient {resource}"


def fit_words(fit: Fit, detail: str = "") -> str:
    """One filter reason in kube-scheduler's words."""
    if fit is Fit.TAINT:
        return f"node(s) had untolerated taint {detail}"
    if fit is Fit.INSUFFICIENT:
        return shortfall_words(detail)
    return _FIT_WORDS[fit]


def _counted(item: FitCount) -> str:
    words = fit_words(item.fit, item.detail)
    return words if item.count is None else f"{item.count} {words}"


def reason_text(reason: UnplacedReason) -> str:
    """One reason as a sentence."""
    code = reason.code
    if code is ReasonCode.NO_FIT:
        ordered = sorted(reason.fits, key=lambda item: fit_words(item.fit, item.detail))
        return f"0/{reason.of} {reason.unit}: " + ", ".join(_counted(item) for item in ordered)
    if code is ReasonCode.SHORTFALL:
        resource = reason.resource or ""
        return (
            f"{shortfall_words(resource)}: the pod requests {format_amount(resource, reason.requested)}, "
            f"the most any allowed instance type offers is {format_amount(resource, reason.capacity)} "
            f"({reason.instance_type})"
        )
    if code is ReasonCode.ZONE_RULES:
        return f"0/{reason.of} zones: {ANTI_AFFINITY} or {SPREAD} or {AFFINITY}"
    if code is ReasonCode.POD_AFFINITY:
        return AFFINITY
    if code is ReasonCode.POOL_FULL:
        return "; ".join(f"pool '{pool}' is at maxNodes {limit}" for pool, limit in reason.pools)
    if code is ReasonCode.NO_OPTION:
        return NO_OPTION
    if code is ReasonCode.NO_NODE:
        return NO_NODE
    return reason.text


def reason_lines(reasons: Sequence[UnplacedReason]) -> list[str]:
    """The reasons of one workload's unplaced pods, one line each.

    A workload no instance type takes alone gets the summary over instance types, then a line per
    resource none has enough of. Otherwise the reasons the packing met are listed once each, sorted
    by text; eks-plan's own notes (:attr:`ReasonCode.NOTE`) follow in their order.
    """
    notes = [reason.text for reason in reasons if reason.code is ReasonCode.NOTE]
    scheduler = [reason for reason in reasons if reason.code is not ReasonCode.NOTE]
    texts = [reason_text(reason) for reason in scheduler]
    if scheduler and scheduler[0].code is ReasonCode.NO_FIT and scheduler[0].unit == INSTANCE_TYPES:
        return texts + notes
    return sorted(set(texts)) + notes


def notes_of(texts: Iterable[str]) -> tuple[UnplacedReason, ...]:
    """eks-plan's own explanations as reason values."""
    return tuple(UnplacedReason(ReasonCode.NOTE, text=text) for text in texts)
