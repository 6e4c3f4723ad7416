"""The lint output formats: golden files for human and github output, SARIF validated against the
OASIS SARIF 2.1.0 schema and GitHub code scanning's own requirements
(``docs/reference-notes/GITHUB-SARIF.md``), JUnit XML, JSON, and the CLI's exit codes.

Regenerate the golden files after an intended change with ``EKS_PLAN_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from rich.console import Console
from typer.testing import CliRunner

from eks_plan.cli.app import app
from eks_plan.cli.lint import LintFormat, write_report
from eks_plan.lint.context import LintOptions
from eks_plan.lint.engine import LintReport, lint_paths
from eks_plan.report.lint_formats import escape_data, escape_property, github_commands, junit_xml, sarif_log
from eks_plan.report.lint_human import render_lint

ROOT = Path(__file__).parents[2]
GOLDEN = ROOT / "tests" / "golden" / "lint"
BAD = "tests/lint/data/bad"
GOOD = "tests/lint/data/good"
SARIF_SCHEMA = Path("/work/wt/shared/reference/schemas/sarif-schema-2.1.0.json")
for candidate in (ROOT.parent / "shared", ROOT / ".." / "shared"):
    if (candidate / "reference/schemas/sarif-schema-2.1.0.json").exists():
        SARIF_SCHEMA = candidate / "reference/schemas/sarif-schema-2.1.0.json"


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def _report(path: str) -> LintReport:
    return lint_paths([path], options=LintOptions(run_plan=False))


def _check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("EKS_PLAN_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_human_output_matches_golden(in_repo):
    console = Console(record=True, width=120, force_terminal=False, color_system=None)
    render_lint(_report(BAD), console)
    _check_golden("human.txt", console.export_text())


def test_github_output_matches_golden(in_repo):
    _check_golden("github.txt", github_commands(_report(BAD)))


def test_github_escaping_is_actions_toolkit_escaping():
    """actions/toolkit packages/core/src/command.ts: escapeData (% CR LF) and escapeProperty
    (also : and ,)."""
    assert escape_data("100%\r\nnext: a, b") == "100%25%0D%0Anext: a, b"
    assert escape_property("100%\r\nnext: a, b") == "100%25%0D%0Anext%3A a%2C b"


def _sarif_validator():
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"the OASIS SARIF schema is not at {SARIF_SCHEMA}")
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.Draft4Validator(schema)


def _check_github_requirements(log: dict) -> None:
    """GitHub code scanning's must-haves (GITHUB-SARIF.md sections 1 to 4)."""
    assert log["version"] == "2.1.0" and log["$schema"]
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    assert isinstance(run["results"], list)  # present even when empty
    driver = run["tool"]["driver"]
    assert driver["name"] == "eks-plan"
    ids = [rule["id"] for rule in driver["rules"]]
    for rule in driver["rules"]:
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert "security-severity" not in rule.get("properties", {})
        assert rule["properties"]["problem.severity"] in {"error", "warning", "recommendation"}
    assert "security-severity" not in json.dumps(log)
    for result in run["results"]:
        assert result["message"]["text"]
        assert result["ruleId"] in ids and ids[result["ruleIndex"]] == result["ruleId"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert ":" not in uri and not uri.startswith("/"), uri  # repository-relative
        region = physical["region"]
        for key in ("startLine", "startColumn", "endLine", "endColumn"):
            assert region[key] >= 1
        assert region["endColumn"] > region["startColumn"]
        assert isinstance(result["partialFingerprints"]["primaryLocationLineHash"], str)


def test_sarif_is_valid_and_github_ready(in_repo):
    validator = _sarif_validator()
    log = sarif_log(_report(BAD))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0]
    _check_github_requirements(log)
    results = log["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        f"{BAD}/app.yaml",
        f"{BAD}/broken.yaml",
    }
    memory = next(r for r in results if r["ruleId"] == "EKP104")
    assert memory["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 22,
        "startColumn": 13,
        "endLine": 22,
        "endColumn": 19,
    }
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_of_a_clean_run_has_an_empty_results_array(in_repo):
    log = sarif_log(_report(GOOD))
    assert not list(_sarif_validator().iter_errors(log))
    assert log["runs"][0]["results"] == []
    _check_github_requirements(log)


def test_sarif_fingerprint_survives_lines_added_above(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / BAD / "app.yaml").read_text()
    Path("app.yaml").write_text(text)
    before = sarif_log(_report("app.yaml"), root=tmp_path)["runs"][0]["results"]
    Path("app.yaml").write_text("# a comment\n# another\n" + text)
    after = sarif_log(_report("app.yaml"), root=tmp_path)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] + 2 for r in before] == [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after
    ]


def test_junit_lists_each_file_with_its_findings(in_repo):
    root = ElementTree.fromstring(junit_xml(_report(BAD)))
    [suite] = root.findall("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {f"{BAD}/app.yaml", f"{BAD}/broken.yaml"}
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    assert len(cases[f"{BAD}/app.yaml"].findall("failure")) == 7
    [broken] = cases[f"{BAD}/broken.yaml"].findall("failure")
    assert broken.get("type") == "error" and broken.get("message").startswith("EKP005 unknown-resource")
    clean = ElementTree.fromstring(junit_xml(_report(GOOD)))
    assert clean.find("testsuite").get("failures") == "0"
    assert clean.find("testsuite/testcase/failure") is None


@pytest.mark.parametrize("member", list(LintFormat))
def test_every_format_is_handled(in_repo, member, capsys):
    write_report(_report(BAD), member)
    assert "EKP104" in capsys.readouterr().out


runner = CliRunner()


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``eks-plan ARGS`` through the console-script entry point (input errors become exit 2)."""
    import sys

    from eks_plan.cli import app as cli_app
    from eks_plan.cli import output

    monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
    monkeypatch.setattr(cli_app._State, "debug", False)
    monkeypatch.setattr(output, "_stdout", None)
    monkeypatch.setattr(output, "_stderr", None)
    code = 0
    try:
        cli_app.main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_exit_codes(in_repo, monkeypatch, capsys):
    assert runner.invoke(app, ["lint", "--no-plan", GOOD]).exit_code == 0
    result = runner.invoke(app, ["lint", "--no-plan", BAD, "-f", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"] == {"error": 3, "warning": 5, "info": 0} and data["suppressed"] == 1
    # only warnings left: exit 0 at the default --fail-on error, 1 with --fail-on warning
    only_warnings = ["lint", "--no-plan", BAD, "--ignore", "EKP0,EKP104,no-matching-pool"]
    assert runner.invoke(app, only_warnings).exit_code == 0
    assert runner.invoke(app, [*only_warnings, "--fail-on", "warning"]).exit_code == 1
    code, _, err = run_main(["lint", "--no-plan", "tests/lint/data/missing"], monkeypatch, capsys)
    assert code == 2 and "tests/lint/data/missing: no such file or directory" in err
    code, _, err = run_main(["lint", "--no-plan", BAD, "--select", "EKP999"], monkeypatch, capsys)
    assert code == 2 and "'EKP999' names no lint rule" in err and "Traceback" not in err


def test_rules_command(in_repo, monkeypatch, capsys):
    result = runner.invoke(app, ["rules", "-o", "json"])
    assert result.exit_code == 0
    rules = json.loads(result.stdout)
    assert [rule["code"] for rule in rules] == sorted(rule["code"] for rule in rules)
    one = runner.invoke(app, ["rules", "missing-requests"])
    assert one.exit_code == 0 and "EKP101 missing-requests" in one.stdout and "Fails:" in one.stdout
    assert run_main(["rules", "EKP999"], monkeypatch, capsys)[0] == 2
