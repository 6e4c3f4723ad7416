"""Scheduling vocabulary shared by the loader, the solver, the verifier and lint: pure value types."""

from eks_plan.scheduling.selectors import (
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    Operator,
    PreferredNodeTerm,
    Requirement,
)
from eks_plan.scheduling.taints import Taint, TaintEffect, Toleration, TolerationOperator, untolerated
from eks_plan.scheduling.topology import (
    PodAffinityTerm,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    WhenUnsatisfiable,
)

__all__ = [
    "LabelSelector",
    "NodeSelector",
    "NodeSelectorTerm",
    "Operator",
    "PodAffinityTerm",
    "PreferredNodeTerm",
    "Requirement",
    "Taint",
    "TaintEffect",
    "Toleration",
    "TolerationOperator",
    "TopologySpreadConstraint",
    "WeightedPodAffinityTerm",
    "WhenUnsatisfiable",
    "untolerated",
]
