"""Meta rules (EKP9xx): findings about the suppressions themselves."""

from __future__ import annotations

from collections.abc import Iterator

from eks_plan.lint.context import LintContext
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Problem, rule


@rule("EKP901", "unused-suppression", Severity.WARNING)
def unused_suppression(context: LintContext) -> Iterator[Problem]:
    """An ``eks-plan.io/ignore`` entry silences no finding, or names no rule.

    The engine runs this rule after every other one (see :mod:`eks_plan.lint.engine`), since only
    then is it known which suppressions were used.

    Why: a stale suppression hides the next real problem of that rule in the object, and a
    misspelt one silences nothing while looking as if it did.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations: {eks-plan.io/ignore: "EKP104 # memory is fine"}
        spec:
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations: {eks-plan.io/ignore: "EKP104 # written in millibytes on purpose"}
        spec:
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64000m}}}]

    Fix: remove the entry from the annotation (or correct the rule code or name).
    """
    for suppression in context.suppressions:
        if suppression.used or (suppression.known and not suppression.names_any(context.rules)):
            continue  # used, or naming only rules this run did not select
        why = "silences no finding" if suppression.known else "names no rule"
        yield Problem(
            f"suppression '{suppression.selector}' {why}",
            suppression.location,
            subject=suppression.scope.key,
            fix="remove it from the eks-plan.io/ignore annotation",
        )
