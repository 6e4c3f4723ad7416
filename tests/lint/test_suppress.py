"""Suppressions: the ``eks-plan.io/ignore`` annotation (object or pod template), the ``lint:``
section of eks-plan.yaml (schema-validated), ``--select``/``--ignore``, and unused suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_plan.config import load_config
from eks_plan.errors import InputError
from eks_plan.lint.context import LintOptions
from eks_plan.lint.engine import lint_paths
from eks_plan.lint.findings import Severity

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
{object_annotations}spec:
  replicas: 3
  template:
    metadata:
      labels: {{app: web}}
{template_annotations}    spec:
      containers:
      - name: web
        resources:
          requests: {{cpu: 250m, memory: 512m}}
"""


def _lint(tmp_path: Path, monkeypatch, object_annotation: str = "", template_annotation: str = "", **kwargs):
    monkeypatch.chdir(tmp_path)
    object_annotations = (
        f"  annotations: {{eks-plan.io/ignore: '{object_annotation}'}}\n" if object_annotation else ""
    )
    template_annotations = (
        f"      annotations: {{eks-plan.io/ignore: '{template_annotation}'}}\n" if template_annotation else ""
    )
    Path("web.yaml").write_text(
        DEPLOYMENT.format(object_annotations=object_annotations, template_annotations=template_annotations)
    )
    return lint_paths(["web.yaml"], options=LintOptions(run_plan=False), **kwargs)


def _codes(report) -> list[str]:
    return [finding.code for finding in report.findings]


def test_without_suppressions(tmp_path, monkeypatch):
    assert _codes(_lint(tmp_path, monkeypatch)) == ["EKP301", "EKP104"]


def test_annotation_on_the_object_by_code_and_by_name(tmp_path, monkeypatch):
    report = _lint(tmp_path, monkeypatch, object_annotation="EKP104, single-zone-risk # reviewed")
    assert _codes(report) == [] and report.suppressed == 2


def test_annotation_on_the_pod_template_with_a_code_prefix(tmp_path, monkeypatch):
    report = _lint(tmp_path, monkeypatch, template_annotation="EKP1")
    assert _codes(report) == ["EKP301"] and report.suppressed == 1


def test_unused_and_unknown_suppressions_are_reported_at_the_annotation(tmp_path, monkeypatch):
    report = _lint(tmp_path, monkeypatch, object_annotation="EKP104,EKP303,no-such-rule")
    unused = [f for f in report.findings if f.code == "EKP901"]
    assert [(f.message, f.location.line, f.location.column) for f in unused] == [
        ("suppression 'EKP303' silences no finding", 5, 17),
        ("suppression 'no-such-rule' names no rule", 5, 17),
    ]


def test_select_and_ignore(tmp_path, monkeypatch):
    assert _codes(_lint(tmp_path, monkeypatch, select=["memory-millibytes"])) == ["EKP104"]
    assert _codes(_lint(tmp_path, monkeypatch, ignore=["EKP3"])) == ["EKP104"]
    with pytest.raises(InputError, match="'EKP77' names no lint rule"):
        _lint(tmp_path, monkeypatch, select=["EKP77"])


def test_lint_section_of_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("eks-plan.yaml").write_text("lint:\n  ignore: [memory-millibytes]\n  severity:\n    EKP301: error\n")
    report = _lint(tmp_path, monkeypatch, config_path="eks-plan.yaml")
    assert [(f.code, f.severity) for f in report.findings] == [("EKP301", Severity.ERROR)]
    assert load_config("eks-plan.yaml").to_dict()["lint"] == {
        "ignore": ["memory-millibytes"],
        "severity": {"EKP301": "error"},
    }


def test_lint_section_is_schema_validated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("eks-plan.yaml").write_text("lint:\n  severity:\n    EKP301: fatal\n")
    with pytest.raises(InputError, match=r"eks-plan.yaml:3:"):
        load_config("eks-plan.yaml")
    Path("eks-plan.yaml").write_text("lint:\n  ignore: [EKP104]\n  select: [EKP555]\n")
    with pytest.raises(InputError) as error:
        _lint(tmp_path, monkeypatch, config_path="eks-plan.yaml")
    assert str(error.value).startswith("eks-plan.yaml:3:") and "'EKP555' names no lint rule" in str(
        error.value
    )
