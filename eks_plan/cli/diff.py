"""``eks-plan diff``: the cost of a change to the manifests, node group by node group."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from eks_plan.cli.options import include_option, max_file_size_option, parse_choice, parse_file_size
from eks_plan.cli.output import ExitCode, OutputFormat, print_data, stdout


class DiffFormat(StrEnum):
    """``eks-plan diff -o``: a table, JSON, or a Markdown pull-request comment."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def command(
    sides: list[str] = typer.Argument(
        ...,
        help="BASE HEAD: each a plan file (eks-plan size --plan-out) or manifests; --base-ref: HEAD only.",
    ),
    base_ref: str | None = typer.Option(
        None,
        "--base-ref",
        help="The base is HEAD's manifests as they are at this git ref (e.g. origin/main).",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="eks-plan.yaml for both sides (default: ./eks-plan.yaml if present)."
    ),
    include: list[str] = include_option(),
    time_limit: float = typer.Option(30.0, "--time-limit", min=1, help="Solver seconds per side."),
    workers: int = typer.Option(2, "--workers", min=1, help="Solver threads."),
    seed: int = typer.Option(0, "--seed", help="Solver random seed (the same on both sides)."),
    output: str = typer.Option(
        "table", "--output", "-o", metavar="[table|json|markdown]", help="Report format."
    ),
    fail_above: str | None = typer.Option(
        None,
        "--fail-above",
        help="Exit 1 when the monthly cost rises by more than AMOUNT (100) or PERCENT (5%).",
    ),
    max_file_size: str = max_file_size_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
) -> None:
    """Compare the cost of two versions of a cluster: total $/month before and after, node groups
    added, removed or resized, pods newly unschedulable, free addresses per subnet, and which
    workload changes drive the cost, with each one's share.

    Both sides are sized with the same configuration, catalogue, seed and time limit; identical
    manifests give a zero diff. -o markdown prints a pull-request comment, nothing when nothing
    changed. Exit code 1 when --fail-above is exceeded, 2 for bad input.

    Examples:

    \b
    eks-plan diff base-plan.json head-plan.json
    eks-plan diff --base-ref origin/main -c eks-plan.yaml manifests/ -o markdown > comment.md
    eks-plan diff old/manifests new/manifests -c eks-plan.yaml -o json --fail-above 5%
    """
    from eks_plan.diff import DiffOptions, diff, fail_above_exceeded
    from eks_plan.errors import InputError

    parse_choice(DiffFormat, output, "-o")
    if base_ref is not None and len(sides) != 1:
        raise InputError(
            "with --base-ref give the head only (its manifests are read at the ref for the base)"
        )
    if base_ref is None and len(sides) != 2:
        raise InputError("give BASE and HEAD (plan files or manifests), or --base-ref REF and HEAD")
    if fail_above is not None:  # a bad threshold is an input error before any solving
        fail_above_exceeded({"diffTotalMonthlyCost": "0", "diffPercent": 0.0}, fail_above)
    options = DiffOptions(
        config_path=config,
        include=tuple(include),
        time_limit_seconds=time_limit,
        workers=workers,
        seed=seed,
        max_file_bytes=parse_file_size(max_file_size),
    )
    from eks_plan.cli.progress import RichProgress

    with RichProgress(quiet) as progress:
        if base_ref is not None:
            report = diff([], sides, options, base_ref=base_ref, observer=progress)
        else:
            report = diff([sides[0]], [sides[1]], options, observer=progress)
    if output == "json":
        print_data(report, OutputFormat.JSON)
    elif output == "markdown":
        from eks_plan.report.diff import markdown

        sys.stdout.write(markdown(report))
        sys.stdout.flush()
    else:
        from eks_plan.report.diff import render

        render(report, stdout())
    if fail_above is not None and fail_above_exceeded(report, fail_above):
        raise typer.Exit(ExitCode.FINDINGS)
