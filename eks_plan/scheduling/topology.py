"""Inter-pod affinity, anti-affinity and topology spread constraints, as plain values, and the one
definition of which nodes are domains of a spread constraint.

The solver models the topology keys that decide a cluster's shape: ``kubernetes.io/hostname`` (one
node) and the zone-level keys (``topology.kubernetes.io/zone``, its deprecated beta twin, and
``topology.k8s.aws/zone-id``, of which an AWS region has exactly one per zone). The loader keeps any
other key so the planner can report it rather than silently drop it.

:func:`spread_counts_node` is podtopologyspread's ``nodeLabelsMatchSpreadConstraints`` plus
``matchNodeInclusionPolicies`` (kubernetes/kubernetes
``pkg/scheduler/framework/plugins/podtopologyspread/filtering.go`` ``calPreFilterState`` and
``common.go``): the solver, the verifier and the explanations all ask it which nodes (and so which
zones) are domains of a constraint, so they can never disagree.

Example: with the default policies (``nodeAffinityPolicy: Honor``, ``nodeTaintsPolicy: Ignore``) a
tainted node the pod does not tolerate is still a domain, but a node its selector rejects is not::

    >>> from eks_plan.scheduling.selectors import NodeSelector, NodeSelectorTerm, Requirement, Operator
    >>> from eks_plan.scheduling.taints import Taint
    >>> spread = TopologySpreadConstraint(1, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, LabelSelector())
    >>> arm = NodeSelector(NodeSelectorTerm((Requirement("kubernetes.io/arch", Operator.IN, ("arm64",)),)))
    >>> spread_counts_node(spread, arm, (), {"kubernetes.io/arch": "arm64"}, (Taint("gpu"),))
    True
    >>> spread_counts_node(spread, arm, (), {"kubernetes.io/arch": "amd64"}, ())
    False
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from eks_plan.scheduling.selectors import LabelSelector, NodeSelector
from eks_plan.scheduling.taints import Taint, Toleration, untolerated

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
LEGACY_ZONE = "failure-domain.beta.kubernetes.io/zone"
ZONE_ID = "topology.k8s.aws/zone-id"
#: Keys whose domains are the availability zones: every EKS node carries all three (kubelet and the
#: AWS cloud provider set them), one value per zone.
ZONE_LEVEL_KEYS = (ZONE, LEGACY_ZONE, ZONE_ID)
#: Keys the planner models: every node carries them, so they never leave a pod without a domain.
MODELLED_KEYS = (HOSTNAME, *ZONE_LEVEL_KEYS)


def node_has_key(key: str, labels: Mapping[str, str]) -> bool:
    """Whether a planned node carries topology label ``key`` (hostname and the zone-level keys are
    on every node, whatever the option's label map spells out)."""
    return key in MODELLED_KEYS or key in labels


class NodeInclusionPolicy(StrEnum):
    """``nodeAffinityPolicy`` / ``nodeTaintsPolicy`` of a topology spread constraint."""

    HONOR = "Honor"
    IGNORE = "Ignore"


class WhenUnsatisfiable(StrEnum):
    DO_NOT_SCHEDULE = "DoNotSchedule"
    SCHEDULE_ANYWAY = "ScheduleAnyway"


@dataclass(frozen=True, slots=True)
class PodAffinityTerm:
    """One ``podAffinityTerm``: pods matching ``selector`` in ``namespaces`` share (affinity) or
    must not share (anti-affinity) a ``topology_key`` domain with this pod.

    ``namespaces`` is already resolved by the loader: the listed namespaces, or the pod's own
    namespace when the manifest lists none. ``all_namespaces`` is set for an empty
    ``namespaceSelector: {}``, which selects every namespace.
    """

    selector: LabelSelector
    topology_key: str
    namespaces: frozenset[str] = frozenset()
    all_namespaces: bool = False

    def selects(self, namespace: str, labels: dict[str, str] | tuple[tuple[str, str], ...]) -> bool:
        """True when a pod with these ``labels`` in ``namespace`` is one this term is about."""
        if not self.all_namespaces and namespace not in self.namespaces:
            return False
        return self.selector.matches(dict(labels))


@dataclass(frozen=True, slots=True)
class WeightedPodAffinityTerm:
    """A ``preferredDuringScheduling...`` pod (anti-)affinity entry."""

    weight: int
    term: PodAffinityTerm


@dataclass(frozen=True, slots=True)
class TopologySpreadConstraint:
    """One ``topologySpreadConstraints`` entry.

    Example: ``maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable:
    DoNotSchedule`` over 3 zones lets 7 replicas land 3/2/2 but never 4/2/1.
    """

    max_skew: int
    topology_key: str
    when_unsatisfiable: WhenUnsatisfiable
    selector: LabelSelector | None
    min_domains: int | None = None
    match_label_keys: tuple[str, ...] = ()
    node_affinity_policy: NodeInclusionPolicy = NodeInclusionPolicy.HONOR
    node_taints_policy: NodeInclusionPolicy = NodeInclusionPolicy.IGNORE

    def binds(self) -> bool:
        """Whether the constraint filters nodes (``DoNotSchedule``); ``ScheduleAnyway`` only scores."""
        return self.when_unsatisfiable is WhenUnsatisfiable.DO_NOT_SCHEDULE


def spread_counts_node(
    constraint: TopologySpreadConstraint,
    node_selector: NodeSelector,
    tolerations: Sequence[Toleration],
    labels: Mapping[str, str],
    taints: Iterable[Taint],
    other_keys: Iterable[str] = (),
) -> bool:
    """Whether a node with ``labels`` and ``taints`` is a domain of ``constraint`` for a pod with
    this ``node_selector`` and ``tolerations``.

    As podtopologyspread's ``calPreFilterState`` decides it: the node carries the constraint's key
    and every key in ``other_keys`` (the pod's other DoNotSchedule constraints,
    ``nodeLabelsMatchSpreadConstraints``); with ``nodeAffinityPolicy: Honor`` (the default) it
    matches the pod's nodeSelector and required node affinity; with ``nodeTaintsPolicy: Honor``
    (default Ignore) the pod tolerates its NoSchedule/NoExecute taints (``matchNodeInclusionPolicies``).
    """
    if not node_has_key(constraint.topology_key, labels):
        return False
    if not all(node_has_key(key, labels) for key in other_keys):
        return False
    if constraint.node_affinity_policy is NodeInclusionPolicy.HONOR and not node_selector.matches(labels):
        return False
    return not (
        constraint.node_taints_policy is NodeInclusionPolicy.HONOR and untolerated(taints, tolerations)
    )


def spread_domain_key(
    constraint: TopologySpreadConstraint,
    node_selector: NodeSelector,
    tolerations: Sequence[Toleration],
    other_keys: Iterable[str] = (),
) -> tuple[object, ...]:
    """Everything :func:`spread_counts_node` reads besides the node, as a hashable key: constraints
    and pods with equal keys have the same domains (callers cache on it)."""
    honour_affinity = constraint.node_affinity_policy is NodeInclusionPolicy.HONOR
    honour_taints = constraint.node_taints_policy is NodeInclusionPolicy.HONOR
    return (
        constraint.topology_key,
        tuple(sorted(set(other_keys))),
        node_selector if honour_affinity else None,
        tuple(tolerations) if honour_taints else None,
    )


def effective_spread_selector(
    constraint: TopologySpreadConstraint, pod_labels: Mapping[str, str]
) -> LabelSelector | None:
    """The constraint's ``labelSelector`` with ``matchLabelKeys`` merged in from the pod's own
    labels (podtopologyspread ``common.go`` ``filterTopologySpreadConstraints``: a key the pod
    lacks is skipped); ``None`` when the constraint has no selector (it then counts no pod)."""
    if constraint.selector is None:
        return None
    if not constraint.match_label_keys:
        return constraint.selector
    extra = tuple((key, pod_labels[key]) for key in constraint.match_label_keys if key in pod_labels)
    return LabelSelector(constraint.selector.match_labels + extra, constraint.selector.match_expressions)
