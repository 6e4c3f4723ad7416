"""Machine-readable lint reports: JSON, SARIF 2.1.0 (GitHub code scanning), GitHub Actions workflow
commands, and JUnit XML. Each writer is a small function of the :class:`~eks_plan.lint.LintReport`.

SARIF follows what GitHub requires of an upload (``docs/reference-notes/GITHUB-SARIF.md``): one run;
``rules[]`` with short and full descriptions and help; ``results`` present even when empty; URIs
relative to the repository root; 1-based regions with start and end line and column; a
``partialFingerprints.primaryLocationLineHash`` per result; ``problem.severity`` and ``precision``
rather than ``security-severity`` (these are not security rules).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from eks_plan import __version__
from eks_plan.lint.engine import LintReport
from eks_plan.lint.findings import Finding, Severity
from eks_plan.lint.registry import Rule, find_rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/eks-plan/eks-plan"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


# -- JSON ----------------------------------------------------------------------------------------------


def finding_data(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": str(finding.severity),
        "file": finding.location.file,
        "line": finding.location.line,
        "column": finding.location.column,
        "end_column": finding.end_column,
        "subject": finding.subject,
        "message": finding.message,
        "fix": finding.fix,
    }


def lint_data(report: LintReport) -> dict[str, Any]:
    """The report as plain data (``--format json``)."""
    return {
        "files": len(report.files),
        "rules": [registered.code for registered in report.rules],
        "summary": {str(level): report.count(level) for level in Severity},
        "suppressed": report.suppressed,
        "findings": [finding_data(finding) for finding in report.findings],
    }


# -- SARIF ---------------------------------------------------------------------------------------------


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current one) holding ``.git``, else
    ``start`` itself: SARIF URIs are relative to it, as GitHub resolves them."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def artifact_uri(file: str, root: Path) -> str:
    """A repository-relative POSIX path for a file as the user named it (``stdin`` for ``-``)."""
    if file == "-":
        return "stdin"
    path = Path(file).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(file).as_posix()


def _rule_descriptor(registered: Rule) -> dict[str, Any]:
    doc = registered.doc
    full = f"{doc.summary} {doc.details}".strip()
    return {
        "id": registered.code,
        "name": registered.name,
        "shortDescription": {"text": doc.summary[:1024]},
        "fullDescription": {"text": full[:1024]},
        "help": {"text": doc.text(), "markdown": doc.markdown()},
        "defaultConfiguration": {"level": _SARIF_LEVEL[registered.severity]},
        "properties": {
            "tags": ["eks-plan", registered.group],
            "precision": "high",
            "problem.severity": _PROBLEM_SEVERITY[registered.severity],
        },
    }


def _fingerprint(finding: Finding, uri: str, line_text: str, occurrence: int) -> str:
    """A hash of the rule, the file, the object and the offending line's text (not its number), so
    an alert survives lines added above it; ``:N`` tells identical lines apart, as GitHub's does."""
    text = "\0".join((finding.code, uri, finding.subject, " ".join(line_text.split())))
    return f"{hashlib.sha256(text.encode()).hexdigest()[:16]}:{occurrence}"


def sarif_log(report: LintReport, root: Path | None = None) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log GitHub code scanning accepts (``--format sarif``)."""
    root = root or repository_root()
    rules = list(report.rules)
    codes = {registered.code for registered in rules}
    for finding in report.findings:  # a finding of a rule left out of the list cannot happen, but
        if finding.code not in codes:  # SARIF must describe every ruleId it uses
            extra = find_rule(finding.code)
            if extra is not None:
                rules.append(extra)
                codes.add(extra.code)
    index = {registered.code: number for number, registered in enumerate(rules)}
    seen: Counter[str] = Counter()
    results = []
    for finding in report.findings:
        uri = artifact_uri(finding.location.file, root)
        line = max(finding.location.line, 1)
        column = max(finding.location.column, 1)
        end_column = finding.end_column if finding.end_column > column else column + 1
        line_text = report.source_line(finding.location)
        base = _fingerprint(finding, uri, line_text, 0).split(":")[0]
        seen[base] += 1
        message = finding.message + (f" ({finding.subject})" if finding.subject else "")
        if finding.fix:
            message += f". Fix: {finding.fix}"
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": index[finding.code],
                "level": _SARIF_LEVEL[finding.severity],
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {
                                "startLine": line,
                                "startColumn": column,
                                "endLine": line,
                                "endColumn": end_column,
                            },
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": f"{base}:{seen[base]}"},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "eks-plan",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(registered) for registered in rules],
                    }
                },
                "automationDetails": {"id": "eks-plan/lint/"},
                "invocations": [{"executionSuccessful": True, "workingDirectory": {"uri": root.as_uri()}}],
                "results": results,
            }
        ],
    }


# -- GitHub Actions workflow commands ----------------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as actions/toolkit ``escapeData`` does.

    >>> escape_data("50% done\\nnext")
    '50%25 done%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as actions/toolkit ``escapeProperty`` does.

    >>> escape_property("a.yaml: line 1, col 2")
    'a.yaml%3A line 1%2C col 2'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_commands(report: LintReport) -> str:
    """One ``::error``/``::warning``/``::notice`` workflow command per finding (``--format github``).

    GitHub shows at most 10 annotations of each level per step; the log keeps every line.
    """
    lines = []
    for finding in report.findings:
        properties = [("file", finding.location.file)]
        if finding.location.line:
            properties += [("line", str(finding.location.line)), ("endLine", str(finding.location.line))]
            if finding.location.column:
                properties.append(("col", str(finding.location.column)))
                if finding.end_column > finding.location.column:
                    properties.append(("endColumn", str(finding.end_column)))
        properties.append(("title", f"{finding.code} {finding.name}"))
        message = finding.message + (f" ({finding.subject})" if finding.subject else "")
        if finding.fix:
            message += f"\nFix: {finding.fix}"
        joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
        lines.append(f"::{_GITHUB_COMMAND[finding.severity]} {joined}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)


# -- JUnit XML -----------------------------------------------------------------------------------------


def junit_xml(report: LintReport) -> str:
    """JUnit XML (``--format junit``): one test case per linted file, failed with one ``<failure>``
    per finding in it, so CI test views list files and their findings."""
    by_file: dict[str, list[Finding]] = {file: [] for file in report.files}
    for finding in report.findings:
        by_file.setdefault(finding.location.file, []).append(finding)
    failures = sum(1 for findings in by_file.values() if findings)
    suites = ElementTree.Element(
        "testsuites", name="eks-plan lint", tests=str(len(by_file)), failures=str(failures), errors="0"
    )
    suite = ElementTree.SubElement(
        suites, "testsuite", name="eks-plan lint", tests=str(len(by_file)), failures=str(failures), errors="0"
    )
    for file, findings in by_file.items():
        case = ElementTree.SubElement(suite, "testcase", classname="eks-plan.lint", name=file, file=file)
        for finding in findings:
            failure = ElementTree.SubElement(
                case,
                "failure",
                message=f"{finding.code} {finding.name}: {finding.message}",
                type=str(finding.severity),
            )
            failure.text = (
                f"{finding.location}: {finding.code} [{finding.severity}] {finding.name}: {finding.message}"
                + (f" ({finding.subject})" if finding.subject else "")
                + (f"\nfix: {finding.fix}" if finding.fix else "")
            )
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
    )
