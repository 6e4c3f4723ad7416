"""Taints on nodes and tolerations on pods, with kube-scheduler's matching rule.

Example::

    >>> gpu_taint = Taint("nvidia.com/gpu", "true", TaintEffect.NO_SCHEDULE)
    >>> Toleration("nvidia.com/gpu", TolerationOperator.EXISTS).tolerates(gpu_taint)
    True
    >>> untolerated((gpu_taint,), ())       # a pod with no tolerations cannot land there
    (Taint(key='nvidia.com/gpu', value='true', effect=<TaintEffect.NO_SCHEDULE: 'NoSchedule'>),)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class TolerationOperator(StrEnum):
    EQUAL = "Equal"
    EXISTS = "Exists"


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str = ""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE

    def __str__(self) -> str:
        return f"{{{self.key}: {self.value}}}" if self.value else f"{{{self.key}}}"


@dataclass(frozen=True, slots=True)
class Toleration:
    """A pod toleration. An empty ``key`` with ``Exists`` tolerates every taint; an empty
    ``effect`` matches every effect (Kubernetes ``Toleration.ToleratesTaint``)."""

    key: str = ""
    operator: TolerationOperator = TolerationOperator.EQUAL
    value: str = ""
    effect: TaintEffect | None = None

    def tolerates(self, taint: Taint) -> bool:
        if self.effect is not None and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator is TolerationOperator.EXISTS:
            return True
        return self.value == taint.value


def untolerated(taints: Iterable[Taint], tolerations: Iterable[Toleration]) -> tuple[Taint, ...]:
    """The node's hard taints (NoSchedule, NoExecute) that none of the tolerations tolerate.

    PreferNoSchedule never blocks scheduling, so it is left out; an empty result means the pod may
    land on the node as far as taints go.
    """
    tolerations = tuple(tolerations)
    return tuple(
        taint
        for taint in taints
        if taint.effect is not TaintEffect.PREFER_NO_SCHEDULE
        and not any(toleration.tolerates(taint) for toleration in tolerations)
    )
