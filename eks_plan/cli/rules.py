"""``eks-plan rules [CODE]``: the lint rules and their documentation."""

from __future__ import annotations

import typer

from eks_plan.cli.output import OutputFormat, print_data, stdout


def command(
    code: str | None = typer.Argument(None, help="A rule code (EKP101) or name (missing-requests)."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--output", "-o", help="Report format."),
) -> None:
    """List the lint rules of `eks-plan lint`, or print one rule's documentation: what it checks,
    why it matters, a failing and a passing example, and the fix.

    Examples:

    \b
    eks-plan rules
    eks-plan rules EKP101
    eks-plan rules missing-requests -o json
    """
    from eks_plan.errors import InputError
    from eks_plan.lint.registry import all_rules, find_rule
    from eks_plan.report.lint_human import render_rule, render_rules

    if code is None:
        rules = all_rules()
        if output is OutputFormat.TABLE:
            render_rules(rules, stdout())
        else:
            print_data([registered.to_dict() for registered in rules], output)
        return
    registered = find_rule(code)
    if registered is None:
        raise InputError(f"no lint rule is called '{code}'", hint="`eks-plan rules` lists them")
    if output is OutputFormat.TABLE:
        render_rule(registered, stdout())
    else:
        print_data(registered.to_dict(), output)
