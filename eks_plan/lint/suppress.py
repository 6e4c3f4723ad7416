"""Suppressions written in the manifests: the ``eks-plan.io/ignore`` annotation.

On an object or on its pod template::

    metadata:
      annotations:
        eks-plan.io/ignore: "EKP301,single-replica-no-pdb  # one replica by design, see ADR-12"

Each entry is a rule code, a code prefix (``EKP3``) or a rule name; what follows ``#`` is the reason
and is ignored. An entry silences the findings of the rules it names located in that object (or
about it). An entry that silences nothing is reported by ``unused-suppression`` (EKP901), as ruff
reports an unused ``noqa``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from eks_plan.errors import SourceLocation
from eks_plan.lint.context import ObjectDocument
from eks_plan.lint.findings import Finding
from eks_plan.lint.registry import Rule, find_rule, is_known_selector, matches

ANNOTATION = "eks-plan.io/ignore"


@dataclass(eq=False)
class Suppression:
    """One entry of an ``eks-plan.io/ignore`` annotation, and whether it silenced anything."""

    selector: str
    location: SourceLocation
    scope: ObjectDocument
    reason: str = ""
    used: int = field(default=0)

    @property
    def known(self) -> bool:
        return is_known_selector(self.selector)

    def names_any(self, rules: Iterable[Rule]) -> bool:
        return any(matches(self.selector, registered) for registered in rules)

    def covers(self, finding: Finding) -> bool:
        registered = find_rule(finding.code)
        if registered is None or not matches(self.selector, registered):
            return False
        return self.scope.contains(finding.location) or (
            bool(finding.subject) and finding.subject == self.scope.key
        )


def parse_annotation(value: str) -> tuple[list[str], str]:
    """The selectors and the reason of an annotation value.

    >>> parse_annotation("EKP101, missing-requests # sidecar, requests set by the webhook")
    (['EKP101', 'missing-requests'], 'sidecar, requests set by the webhook')
    """
    entries, _, reason = value.partition("#")
    return [entry.strip() for entry in entries.split(",") if entry.strip()], reason.strip()


def suppressions_in(objects: Iterable[ObjectDocument]) -> list[Suppression]:
    """Every suppression annotated on the objects (object metadata or pod template metadata)."""
    found: list[Suppression] = []
    for item in objects:
        places = [item.root.child("metadata")]
        if item.kind != "Pod":
            places.append(item.pod_template().child("metadata"))
        for metadata in places:
            annotation = metadata.get("annotations", ANNOTATION)
            if not annotation.present or not isinstance(annotation.value, str):
                continue
            selectors, reason = parse_annotation(annotation.value)
            found.extend(Suppression(selector, annotation.location, item, reason) for selector in selectors)
    return found
