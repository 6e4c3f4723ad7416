"""Manifest selectors, requirements and tolerations read into :mod:`eks_plan.scheduling` values.

Example::

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> text = "selector:\\n  matchLabels: {app: web}\\n  matchExpressions:\\n" \\
    ...        "  - {key: tier, operator: NotIn, values: [batch]}\\n"
    >>> [document] = parse_yaml_documents(text, "pdb.yaml")
    >>> selector = label_selector(Field.root(document).child("selector"))
    >>> selector.matches({"app": "web", "tier": "frontend"})
    True
    >>> selector.matches({"app": "web", "tier": "batch"})
    False
"""

from __future__ import annotations

from eks_plan.manifests.fields import Field
from eks_plan.scheduling.selectors import LabelSelector, NodeSelectorTerm, Operator, Requirement
from eks_plan.scheduling.taints import TaintEffect, Toleration, TolerationOperator

_LABEL_SELECTOR_OPERATORS = frozenset(
    {Operator.IN, Operator.NOT_IN, Operator.EXISTS, Operator.DOES_NOT_EXIST}
)


def requirement(field: Field, *, node: bool) -> Requirement:
    """One ``{key, operator, values}`` entry; ``node`` allows the node-only ``Gt``/``Lt``."""
    key = field.child("key").string()
    if not key:
        raise field.child("key").error("is required")
    operator_text = field.child("operator").string()
    try:
        operator = Operator(operator_text)
    except ValueError:
        operator = None
    allowed = set(Operator) if node else _LABEL_SELECTOR_OPERATORS
    if operator is None or operator not in allowed:
        raise field.child("operator").error(
            f"must be one of {', '.join(sorted(allowed))}, not {operator_text!r}"
        )
    values = tuple(item.string() for item in field.child("values").sequence())
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        raise field.child("values").error(f"must not be empty for operator {operator}")
    if operator in (Operator.GT, Operator.LT) and (len(values) != 1 or not _is_integer(values[0])):
        raise field.child("values").error(f"must be one integer for operator {operator}")
    return Requirement(key, operator, values)


def _is_integer(text: str) -> bool:
    return text.lstrip("-").isdigit()


def label_selector(field: Field) -> LabelSelector | None:
    """A ``metav1.LabelSelector``; ``None`` when absent (selects nothing), ``{}`` selects all."""
    if field.value is None:
        return None
    match_labels = tuple(sorted((key, value.string()) for key, value in field.child("matchLabels").items()))
    expressions = tuple(requirement(item, node=False) for item in field.child("matchExpressions").sequence())
    return LabelSelector(match_labels, expressions)


def node_selector_term(field: Field) -> NodeSelectorTerm:
    """One ``nodeSelectorTerms`` entry (``matchFields`` is read by :func:`match_fields`)."""
    return NodeSelectorTerm(
        tuple(requirement(item, node=True) for item in field.child("matchExpressions").sequence())
    )


def toleration(field: Field) -> Toleration:
    operator_text = field.child("operator").string("Equal") or "Equal"
    try:
        operator = TolerationOperator(operator_text)
    except ValueError:
        raise field.child("operator").error(f"must be Equal or Exists, not {operator_text!r}") from None
    effect_text = field.child("effect").string()
    try:
        effect = TaintEffect(effect_text) if effect_text else None
    except ValueError:
        raise field.child("effect").error(
            f"must be NoSchedule, PreferNoSchedule or NoExecute, not {effect_text!r}"
        ) from None
    value = field.child("value").string()
    key = field.child("key").string()
    if operator is TolerationOperator.EXISTS and value:
        raise field.child("value").error("must be empty when operator is Exists")
    if not key and operator is not TolerationOperator.EXISTS:
        raise field.child("operator").error("must be Exists when key is empty")
    return Toleration(key, operator, value, effect)
