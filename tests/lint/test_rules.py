"""Every lint rule against its fixtures (``tests/lint/fixtures/<rule-name>.yaml``), run by one
parametrised test, and the registry's own promises: every rule documented, every rule with a
passing and a failing fixture, every loader warning code registered.

A fixture file holds ``rule`` (the code), optional ``config`` (an eks-plan.yaml), ``pass:`` (named
manifests that give no finding of the rule) and ``fail:`` (named manifests with the exact findings
expected, as ``[code, line, column]``). Each manifest is linted alone with only its rule selected
(and unused-suppression, so a fixture's suppressions are checked too).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_plan.lint.context import LintOptions
from eks_plan.lint.engine import lint_paths
from eks_plan.lint.registry import all_rules, find_rule, rule_for_load_code

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = Path(__file__).parents[2] / "eks_plan"


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def _cases() -> list[Any]:
    cases = []
    for path in _fixture_files():
        data = yaml.safe_load(path.read_text())
        for name, text in (data.get("pass") or {}).items():
            cases.append(pytest.param(data, text, [], id=f"{path.stem}/pass/{name}"))
        for name, case in (data.get("fail") or {}).items():
            expected = [tuple(item) for item in case["findings"]]
            cases.append(pytest.param(data, case["manifest"], expected, id=f"{path.stem}/fail/{name}"))
    return cases


def lint_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: str, data: dict[str, Any]):
    """Lint one manifest alone, in a fresh folder, with the fixture's rule selected."""
    monkeypatch.chdir(tmp_path)
    Path("manifest.yaml").write_text(manifest)
    config = None
    if data.get("config") is not None:
        Path("eks-plan.yaml").write_text(yaml.safe_dump(data["config"]))
        config = "eks-plan.yaml"
    registered = find_rule(data["rule"])
    assert registered is not None
    # Plan fixtures are a pod or two: the solver finds the plan at once, and uses its whole limit.
    options = LintOptions(run_plan=registered.needs_plan, time_limit_seconds=0.5, workers=1)
    select = [registered.code, "EKP901", *data.get("select", ())]
    return lint_paths(["manifest.yaml"], config_path=config, select=select, options=options)


@pytest.mark.parametrize(("data", "manifest", "expected"), _cases())
def test_rule_fixture(tmp_path, monkeypatch, data, manifest, expected):
    report = lint_text(tmp_path, monkeypatch, manifest, data)
    found = [(f.code, f.location.line, f.location.column) for f in report.findings]
    assert found == expected, [str(f) for f in report.findings]
    for finding in report.findings:
        assert finding.location.file in ("manifest.yaml", "eks-plan.yaml")
        assert finding.message


def test_every_rule_is_documented_and_has_passing_and_failing_fixtures():
    fixtures = {path.stem: yaml.safe_load(path.read_text()) for path in _fixture_files()}
    for registered in all_rules():
        assert registered.doc.complete, f"{registered.code} lacks a docstring section"
        data = fixtures.get(registered.name)
        assert data is not None, f"no tests/lint/fixtures/{registered.name}.yaml"
        assert data["rule"] == registered.code
        assert data.get("pass") and data.get("fail"), f"{registered.name} needs a pass and a fail case"
        for case in data["fail"].values():
            assert any(code == registered.code for code, _, _ in case["findings"])
    assert set(fixtures) <= {registered.name for registered in all_rules()}, "a fixture names no rule"


def test_codes_and_names_are_unique_and_well_formed():
    rules = all_rules()
    assert len({r.code for r in rules}) == len({r.name for r in rules}) == len(rules)
    assert all(re.fullmatch(r"EKP\d{3}", r.code) and r.group in r.check.__module__ for r in rules)


def test_every_loader_warning_code_is_a_registered_rule():
    """The codes the manifest loader warns with (``warn("label-hint", ...)``) are one vocabulary
    with lint: each belongs to exactly one registered rule."""
    source = "\n".join(path.read_text() for path in (PACKAGE / "manifests").glob("*.py"))
    codes = set(re.findall(r"warn\(\s*\"([a-z-]+)\"", source))
    assert {"no-requests", "label-hint", "duplicate", "hpa-target-missing"} <= codes
    missing = sorted(code for code in codes if rule_for_load_code(code) is None)
    assert not missing, f"loader warning codes without a lint rule: {missing}"


def test_documented_examples_fail_and_pass(tmp_path, monkeypatch):
    """The ``Fails:`` example of every rule's documentation gives a finding of that rule, and the
    ``Passes:`` example none (with the eks-plan.yaml of the rule's fixtures): the docs cannot drift
    from the rules."""
    for registered in all_rules():
        if registered.needs_plan:
            continue  # their examples are eks-plan.yaml settings, covered by their fixtures
        fixture = yaml.safe_load((FIXTURES / f"{registered.name}.yaml").read_text())
        # the fixture's eks-plan.yaml (pool sizes...); unused-suppression's examples name EKP104
        data = {"rule": registered.code, "config": fixture.get("config"), "select": ["EKP104"]}
        failing = lint_text(tmp_path, monkeypatch, registered.doc.fails + "\n", data)
        assert any(f.code == registered.code for f in failing.findings), registered.code
        passing = lint_text(tmp_path, monkeypatch, registered.doc.passes + "\n", data)
        assert not [f for f in passing.findings if f.code == registered.code], registered.code
