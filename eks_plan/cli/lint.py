"""``eks-plan lint``: the CI step that fails a pull request before a change breaks capacity."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from eks_plan.cli.options import include_option, max_file_size_option, parse_file_size
from eks_plan.cli.output import ExitCode, stdout


class LintFormat(StrEnum):
    """``--format`` values; every member is handled by :func:`write_report`."""

    HUMAN = "human"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    JUNIT = "junit"


class FailOn(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def command(
    paths: list[str] = typer.Argument(..., help="Manifest files or directories, or - for standard input."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Plan configuration (eks-plan.yaml); default ./eks-plan.yaml if present."
    ),
    output_format: LintFormat = typer.Option(LintFormat.HUMAN, "--format", "-f", help="Report format."),
    fail_on: FailOn = typer.Option(
        FailOn.ERROR, "--fail-on", help="Exit 1 when a finding is at or above this severity."
    ),
    select: list[str] = typer.Option(
        [],
        "--select",
        help="Run only these rules: codes, prefixes (EKP1) or names (repeatable, or a,b).",
    ),
    ignore: list[str] = typer.Option([], "--ignore", help="Skip these rules (codes, prefixes or names)."),
    max_monthly_cost: float | None = typer.Option(
        None,
        "--max-monthly-cost",
        min=0,
        help="Budget of the plan rules in $/month (overrides budget:).",
    ),
    time_limit: float = typer.Option(
        30.0, "--time-limit", min=0.1, help="Seconds the plan rules may solve for."
    ),
    no_plan: bool = typer.Option(False, "--no-plan", help="Skip the plan rules (no solver, no IP check)."),
    sarif_file: Path | None = typer.Option(
        None, "--sarif-file", help="Also write the findings as SARIF to this file (one run, two reports)."
    ),
    include: list[str] = include_option(),
    max_file_size: str = max_file_size_option(),
) -> None:
    """Check manifests against the rules of `eks-plan rules`: requests and limits, placement against
    the node pools, zone spread and disruption budgets, and (unless --no-plan) the sized plan itself:
    pods that cannot be placed, subnets that run out of addresses, cost over budget. Every finding
    points at the file, line and column of the offending key. Exit 0 clean, 1 findings at or above
    --fail-on, 2 bad input that stops linting.

    Suppress a finding with the annotation `eks-plan.io/ignore: EKP301,single-zone-risk # reason` on
    the object or its pod template, or in the `lint:` section of eks-plan.yaml.

    Examples:

    \b
    eks-plan lint -c samples/shop/eks-plan.yaml samples/shop/manifests/
    eks-plan lint deploy/ --no-plan --format github
    eks-plan lint deploy/ --format sarif > eks-plan.sarif
    eks-plan lint deploy/ --format github --sarif-file eks-plan.sarif
    eks-plan lint deploy/ --select EKP1,EKP3 --fail-on warning
    """
    from eks_plan.lint.context import LintOptions
    from eks_plan.lint.engine import lint_paths
    from eks_plan.lint.findings import Severity

    options = LintOptions(
        run_plan=not no_plan,
        time_limit_seconds=time_limit,
        max_monthly_cost=max_monthly_cost,
    )
    report = lint_paths(
        paths,
        config_path=config,
        include=include,
        select=_split(select),
        ignore=_split(ignore),
        options=options,
        max_file_bytes=parse_file_size(max_file_size),
    )
    if sarif_file is not None:
        import json

        from eks_plan.cli.output import write_atomically
        from eks_plan.report.lint_formats import sarif_log

        write_atomically(sarif_file, json.dumps(sarif_log(report), indent=2) + "\n")
    write_report(report, output_format)
    if report.fails(Severity(fail_on.value)):
        raise typer.Exit(ExitCode.FINDINGS)


def write_report(report: object, output_format: LintFormat) -> None:
    """Write the report to standard output in the chosen format."""
    import json

    from eks_plan.lint.engine import LintReport
    from eks_plan.report import lint_formats

    assert isinstance(report, LintReport)
    if output_format is LintFormat.HUMAN:
        from eks_plan.report.lint_human import render_lint

        render_lint(report, stdout())
        return
    if output_format is LintFormat.JSON:
        text = json.dumps(lint_formats.lint_data(report), indent=2) + "\n"
    elif output_format is LintFormat.SARIF:
        text = json.dumps(lint_formats.sarif_log(report), indent=2) + "\n"
    elif output_format is LintFormat.GITHUB:
        text = lint_formats.github_commands(report)
    elif output_format is LintFormat.JUNIT:
        text = lint_formats.junit_xml(report)
    else:  # pragma: no cover - every member is handled above (tests check it)
        raise AssertionError(output_format)
    sys.stdout.write(text)
    sys.stdout.flush()
