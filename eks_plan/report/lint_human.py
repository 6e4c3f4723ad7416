"""The human lint report: findings grouped by file, each with the offending line and a caret under
the key (as ruff prints them), then a one-line summary. Rich is imported only here, lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eks_plan.lint.engine import LintReport
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Rule

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_lint(report: LintReport, console: Console) -> None:
    """Print every finding with its source line, then the counts."""
    from rich.markup import escape

    current_file = None
    for finding in report.findings:
        location = finding.location
        if location.file != current_file:
            if current_file is not None:
                console.print()
            console.print(f"[bold underline]{escape(location.file)}[/]")
            current_file = location.file
        where = f"{location.line}:{location.column}" if location.line else "-"
        style = _STYLE[finding.severity]
        subject = f" [dim]({escape(finding.subject)})[/]" if finding.subject else ""
        console.print(
            f"  [bold]{where}[/] [{style}]{finding.severity}[/] [bold]{finding.code}[/] "
            f"{finding.name}: {escape(finding.message)}{subject}",
            soft_wrap=True,
        )
        line = report.source_line(location)
        if line:
            gutter = str(location.line)
            console.print(f"    [blue]{gutter} |[/] {escape(line)}", soft_wrap=True)
            if location.column:
                width = max(finding.end_column - location.column, 1)
                pad = " " * (len(gutter) + 1)
                console.print(f"    [blue]{pad}|[/] {' ' * (location.column - 1)}[{style}]{'^' * width}[/]")
        if finding.fix:
            console.print(f"    [green]fix:[/] {escape(finding.fix)}", soft_wrap=True)
    if report.findings:
        console.print()
    counts = ", ".join(f"{report.count(level)} {level}" for level in Severity)
    total = len(report.findings)
    suppressed = f"; {report.suppressed} suppressed" if report.suppressed else ""
    files = len(report.files)
    console.print(
        f"{total} finding{'s' if total != 1 else ''} ({counts}) in {files} file{'s' if files != 1 else ''}"
        f"{suppressed}; {len(report.rules)} rules",
        soft_wrap=True,
    )


def render_rules(rules: list[Rule], console: Console) -> None:
    """``eks-plan rules``: one line per rule."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("code", "name", "severity", "group", "what it reports"):
        table.add_column(column, overflow="fold")
    for registered in rules:
        plan = " (runs the solver)" if registered.needs_plan else ""
        table.add_row(
            registered.code,
            registered.name,
            f"[{_STYLE[registered.severity]}]{registered.severity}[/]",
            registered.group,
            escape(registered.doc.summary) + plan,
        )
    console.print(table)


def render_rule(registered: Rule, console: Console) -> None:
    """``eks-plan rules CODE``: the whole documentation of one rule."""
    from rich.markup import escape

    doc = registered.doc
    console.print(f"[bold]{registered.code} {registered.name}[/] ({registered.severity}, {registered.group})")
    console.print()
    console.print(escape(doc.summary), soft_wrap=True)
    if doc.details:
        console.print()
        console.print(escape(doc.details), soft_wrap=True)
    console.print()
    console.print(f"[bold]Why:[/] {escape(doc.why)}", soft_wrap=True)
    for title, example in (("Fails", doc.fails), ("Passes", doc.passes)):
        console.print()
        console.print(f"[bold]{title}:[/]")
        for line in example.splitlines():
            console.print(f"    {escape(line)}", soft_wrap=True, highlight=False)
    console.print()
    console.print(f"[bold]Fix:[/] {escape(doc.fix)}", soft_wrap=True)
    if registered.load_codes:
        console.print()
        console.print(f"Loader warning code: {', '.join(registered.load_codes)}")
