"""Inter-pod affinity, anti-affinity and topology spread constraints, as plain values.

The solver supports the two topology keys that decide a cluster's shape, ``kubernetes.io/hostname``
(one node) and ``topology.kubernetes.io/zone`` (one availability zone); the loader keeps any other
key so the planner can report it rather than silently drop it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eks_plan.scheduling.selectors import LabelSelector

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
LEGACY_ZONE = "failure-domain.beta.kubernetes.io/zone"


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
