"""Loader errors carry the code of the lint rule that reports them, set where they are raised:
lint never classifies an error by its words."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_plan import errors
from eks_plan.errors import InputError
from eks_plan.lint import rules  # noqa: F401  (registers every rule)
from eks_plan.lint.registry import find_rule
from eks_plan.manifests import load_manifests

CODES = [
    errors.INVALID_YAML,
    errors.UNRENDERED_TEMPLATE,
    errors.INVALID_QUANTITY,
    errors.UNKNOWN_RESOURCE,
    errors.REQUEST_ABOVE_LIMIT,
    errors.DUPLICATE_KEY,
    errors.INVALID_FIELD,
]

POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: x\n{}"


@pytest.mark.parametrize("code", CODES)
def test_every_code_is_a_registered_rule(code: str) -> None:
    assert find_rule(code).name == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: [1, 2\n", errors.INVALID_YAML),
        ("replicas: {{ .Values.replicas }}\n", errors.UNRENDERED_TEMPLATE),
        (POD.format("    resources: {requests: {cpu: lots}}\n"), errors.INVALID_QUANTITY),
        (POD.format("    resources: {requests: {cpu: '-1'}}\n"), errors.INVALID_QUANTITY),
        (POD.format("    resources: {requests: {memroy: 1Gi}}\n"), errors.UNKNOWN_RESOURCE),
        (
            POD.format("    resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}\n"),
            errors.REQUEST_ABOVE_LIMIT,
        ),
        ("a: 1\na: 2\n", errors.DUPLICATE_KEY),
    ],
)
def test_the_loader_says_which_rule_its_error_belongs_to(tmp_path: Path, text: str, code: str) -> None:
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(InputError) as raised:
        load_manifests([tmp_path / "m.yaml"])
    assert raised.value.code == code, raised.value.message
