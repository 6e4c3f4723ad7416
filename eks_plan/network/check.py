"""Will the subnets hold the cluster's addresses, at steady state and at peak? (PRODUCT.md §2.2)

The cluster is a set of nodes (instance limits, pods per node, free room) and Fargate pods per
zone (:mod:`eks_plan.network.cluster`). Each *scenario* (steady, HPA max, surge, pools at max, the
loss of each zone: :mod:`eks_plan.network.scenarios`) changes that set; every node's addresses then
come from :func:`eks_plan.network.ipamd.node_addresses` and every subnet's verdict from
:func:`eks_plan.network.subnets.place_demand`. The recommendations
(:mod:`eks_plan.network.recommendations`) run the scenarios again with other subnet sizes and CNI
settings. This module runs them all (:func:`check_ips`) and re-exports their public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eks_plan.network.cluster import (
    CUSTOM_NETWORKING_RANGE,
    DEFAULT_MIN_FREE,
    LARGEST_VPC_CIDR_PREFIX,
    ClusterNetwork,
    FargatePods,
    NodeFacts,
    WorkloadFacts,
    hand_written_nodes,
    requests_of,
    validate_inputs,
)
from eks_plan.network.ipamd import CniSettings
from eks_plan.network.recommendations import (
    Recommendation,
    alternatives,
    subnet_size_recommendations,
    suggest_ip_targets,
    worst_verdict,
)
from eks_plan.network.scenarios import (
    ScenarioResult,
    ScenarioState,
    build_scenarios,
    evaluate,
)
from eks_plan.network.subnets import Subnet, SubnetRole, Verdict, subnet_capacity

__all__ = [
    "CUSTOM_NETWORKING_RANGE",
    "DEFAULT_MIN_FREE",
    "LARGEST_VPC_CIDR_PREFIX",
    "CheckReport",
    "ClusterNetwork",
    "FargatePods",
    "NodeFacts",
    "Recommendation",
    "ScenarioResult",
    "ScenarioState",
    "WorkloadFacts",
    "alternatives",
    "build_scenarios",
    "check_ips",
    "evaluate",
    "hand_written_nodes",
    "requests_of",
    "subnet_size_recommendations",
    "suggest_ip_targets",
    "validate_inputs",
    "worst_verdict",
]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything ``eks-plan check-ips`` reports."""

    cluster: ClusterNetwork
    subnets: tuple[Subnet, ...]
    cni: CniSettings
    min_free: float
    scenarios: tuple[ScenarioResult, ...]
    recommendations: tuple[Recommendation, ...]

    @property
    def verdict(self) -> Verdict:
        return worst_verdict(self.scenarios)

    @property
    def pods_without_address(self) -> int:
        return max((scenario.pods_without_address for scenario in self.scenarios), default=0)

    def as_dict(self) -> dict[str, object]:
        """The report as plain data (``-o json|yaml``)."""
        return {
            "region": self.cluster.region,
            "source": self.cluster.source,
            "cni": self.cni.as_dict(),
            "min_free_percent": round(100 * self.min_free, 2),
            "verdict": self.verdict.value,
            "subnets": [
                {**subnet.as_dict(), "worst_verdict": self._subnet_worst(subnet).value}
                for subnet in self.subnets
            ],
            "scenarios": [scenario.as_dict() for scenario in self.scenarios],
            "recommendations": [recommendation.as_dict() for recommendation in self.recommendations],
        }

    def _subnet_worst(self, subnet: Subnet) -> Verdict:
        verdicts = [u.verdict for s in self.scenarios for u in s.usages if u.subnet == subnet]
        return max(verdicts, key=lambda v: v.severity, default=Verdict.OK)


def check_ips(
    cluster: ClusterNetwork, subnets: Sequence[Subnet], cni: CniSettings, min_free: float = DEFAULT_MIN_FREE
) -> CheckReport:
    """Check every subnet in every scenario and work out the recommendations.

    ``subnets`` must already be validated (:func:`validate_inputs`).
    """
    zones_with_nodes_subnets = sorted({s.zone for s in subnets if s.has_role(SubnetRole.NODES)})
    states = build_scenarios(cluster, zones_with_nodes_subnets)
    capacities = {subnet: subnet_capacity(subnet) for subnet in subnets}
    results = [evaluate(state, subnets, cni, min_free, capacities) for state in states]
    recommendations = subnet_size_recommendations(states, subnets, cni, min_free)
    recommendations += alternatives(states, subnets, cni, min_free, capacities, results)
    return CheckReport(
        cluster=cluster,
        subnets=tuple(subnets),
        cni=cni,
        min_free=min_free,
        scenarios=tuple(results),
        recommendations=tuple(recommendations),
    )
