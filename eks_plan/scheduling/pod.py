"""What kube-scheduler sees of one pod: its effective requests and its placement rules.

The manifest loader builds one :class:`PodSpec` per workload (all replicas of a workload are the
same pod); the solver places groups of them and the verifier checks them, so this is the single
place where a pod's scheduling-relevant facts live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eks_plan.resources import Resources
from eks_plan.scheduling.selectors import NodeSelector, PreferredNodeTerm
from eks_plan.scheduling.taints import Toleration
from eks_plan.scheduling.topology import (
    PodAffinityTerm,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
)


@dataclass(frozen=True, slots=True)
class HostPort:
    """A ``hostPort`` a container binds; two pods with the same one cannot share a node."""

    port: int
    protocol: str = "TCP"
    host_ip: str = ""


@dataclass(frozen=True, slots=True)
class PodSpec:
    """The scheduling-relevant part of a Kubernetes pod.

    ``requests`` is the pod's *effective* request (the init-container and sidecar rule applied, pod
    overhead added, limits defaulted into requests, LimitRange defaults applied) and always holds
    ``pods: 1``. ``labels`` are the pod template's labels, used by pod (anti-)affinity and spread.
    """

    namespace: str
    labels: tuple[tuple[str, str], ...]
    requests: Resources
    node_selector: NodeSelector = field(default_factory=NodeSelector)
    preferred_node_terms: tuple[PreferredNodeTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    pod_affinity: tuple[PodAffinityTerm, ...] = ()
    pod_anti_affinity: tuple[PodAffinityTerm, ...] = ()
    preferred_pod_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    preferred_pod_anti_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    topology_spread: tuple[TopologySpreadConstraint, ...] = ()
    host_network: bool = False
    host_ports: tuple[HostPort, ...] = ()
    priority_class_name: str | None = None
    priority: int = 0
    runtime_class_name: str | None = None
    uses_security_group: bool = False  # security groups for pods: needs a branch ENI

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)
