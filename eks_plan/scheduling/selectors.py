"""Label requirements: the one value type behind nodeSelector, node affinity and label selectors.

Kubernetes spells the same idea four ways (``nodeSelector`` maps, ``nodeSelectorTerms`` with
``matchExpressions``, ``labelSelector`` with ``matchLabels``/``matchExpressions``, and node-pool
labels). They all reduce to :class:`Requirement` values tested against a concrete label map, as
Karpenter's ``scheduling.Requirements`` does.

Example::

    >>> gpu = Requirement("karpenter.k8s.aws/instance-gpu-count", Operator.GT, ("0",))
    >>> amd64 = Requirement("kubernetes.io/arch", Operator.IN, ("amd64",))
    >>> term = NodeSelectorTerm((gpu, amd64))
    >>> term.matches({"kubernetes.io/arch": "amd64", "karpenter.k8s.aws/instance-gpu-count": "4"})
    True
    >>> term.matches({"kubernetes.io/arch": "amd64"})   # Gt on a missing label never matches
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Operator(StrEnum):
    """Selector operators of ``NodeSelectorRequirement`` and ``LabelSelectorRequirement``."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``key operator values`` test on a label map.

    ``Gt``/``Lt`` compare integers and never match a missing or non-integer label, exactly as
    kube-scheduler's ``labels.Requirement.Matches`` does; ``NotIn`` and ``DoesNotExist`` match a
    node that lacks the label.
    """

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        match self.operator:
            case Operator.IN:
                return present and labels[self.key] in self.values
            case Operator.NOT_IN:
                return not present or labels[self.key] not in self.values
            case Operator.EXISTS:
                return present
            case Operator.DOES_NOT_EXIST:
                return not present
            case Operator.GT | Operator.LT:
                if not present or len(self.values) != 1:
                    return False
                actual, bound = _as_int(labels[self.key]), _as_int(self.values[0])
                if actual is None or bound is None:
                    return False
                return actual > bound if self.operator is Operator.GT else actual < bound
        return False  # pragma: no cover - exhaustive match above

    def __str__(self) -> str:
        if self.operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
            return f"{self.key} {self.operator}"
        return f"{self.key} {self.operator} ({', '.join(self.values)})"


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    """Requirements that must all hold (one entry of ``nodeSelectorTerms``, or a ``nodeSelector``)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(requirement.matches(labels) for requirement in self.requirements)

    @classmethod
    def from_node_selector(cls, node_selector: Mapping[str, str]) -> NodeSelectorTerm:
        """A ``nodeSelector`` map as a term of ``In`` requirements."""
        return cls(tuple(Requirement(k, Operator.IN, (v,)) for k, v in sorted(node_selector.items())))


@dataclass(frozen=True, slots=True)
class NodeSelector:
    """Where a pod may run: its ``nodeSelector`` AND any one of its required affinity terms.

    An empty ``terms`` tuple means no required node affinity (every node matches the affinity part),
    as in Kubernetes, where an absent ``requiredDuringScheduling...`` places no constraint.
    """

    node_selector: NodeSelectorTerm = field(default_factory=NodeSelectorTerm)
    terms: tuple[NodeSelectorTerm, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.node_selector.matches(labels):
            return False
        return not self.terms or any(term.matches(labels) for term in self.terms)

    def keys(self) -> frozenset[str]:
        """Every label key this selector reads (for typo hints and reports)."""
        found = {r.key for r in self.node_selector.requirements}
        for term in self.terms:
            found.update(r.key for r in term.requirements)
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class PreferredNodeTerm:
    """One ``preferredDuringSchedulingIgnoredDuringExecution`` node-affinity entry."""

    weight: int
    term: NodeSelectorTerm


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A ``metav1.LabelSelector`` (pod affinity, topology spread, PDB selectors).

    ``None`` in the manifest (no selector) selects nothing; an empty selector ``{}`` selects
    everything. The loader keeps that distinction by using ``None`` for the former.
    """

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            requirement.matches(labels) for requirement in self.match_expressions
        )
