"""``eks-plan size``: cost-optimal node groups and pod placement for a set of manifests."""

from __future__ import annotations

from pathlib import Path

import typer

from eks_plan.cli.options import (
    choice_callback,
    include_option,
    max_file_size_option,
    parse_file_size,
    quiet_option,
    replicas_option,
    seed_option,
    time_limit_option,
    workers_option,
)
from eks_plan.cli.output import (
    ExitCode,
    OutputFormat,
    check_writable,
    print_data,
    stderr,
    stdout,
    write_atomically,
)
from eks_plan.cli.progress import RichProgress
from eks_plan.export import ExportTarget


def command(
    paths: list[str] = typer.Argument(..., help="Manifest files or directories, or - for standard input."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Plan configuration (eks-plan.yaml); default ./eks-plan.yaml if present."
    ),
    include: list[str] = include_option(),
    replicas: str | None = replicas_option(default=None),
    region: str | None = typer.Option(None, "--region", help="AWS region (overrides the config)."),
    zones: list[str] = typer.Option([], "--zone", help="Availability zone (repeatable)."),
    headroom: float | None = typer.Option(
        None, "--headroom", min=0, max=90, help="Percent of each node's cpu and memory to keep free (0-90)."
    ),
    tolerate_zone_loss: bool | None = typer.Option(
        None,
        "--tolerate-zone-loss/--no-tolerate-zone-loss",
        help="Keep room to re-place the pods of any one lost zone.",
    ),
    time_limit: float = time_limit_option(),
    workers: int = workers_option(),
    seed: int = seed_option(),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--output", "-o", help="Report format."),
    plan_out: Path | None = typer.Option(
        None, "--plan-out", help="Also write the plan as JSON to this file (for eks-plan check-ips --plan)."
    ),
    export: str | None = typer.Option(
        None,
        "--export",
        metavar="[eksctl|karpenter|terraform]",
        help="Also export the plan (needs --export-out).",
    ),
    export_out: Path | None = typer.Option(
        None, "--export-out", help="File for --export (Terraform: .tf.json gives JSON, else HCL)."
    ),
    max_file_size: str = max_file_size_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Size a cluster: instance types, nodes per zone, where every pod lands and what it costs.

    Solves with OR-Tools CP-SAT for the lowest hourly cost, proves a lower bound on that cost, checks
    the plan node by node, and lists every pod that cannot be placed with the reasons. Exit code 1
    when any pod cannot be placed, 2 for bad input.

    Examples:

    \b
    eks-plan size -c samples/shop/eks-plan.yaml samples/shop/manifests/
    eks-plan size manifests/ -c eks-plan.yaml --tolerate-zone-loss --headroom 10
    helm template my-release ./chart | eks-plan size - -o json --plan-out plan.json
    eks-plan size manifests/ -c eks-plan.yaml --export karpenter --export-out karpenter.yaml
    """
    from eks_plan.planning import PlanningOverrides, size_cluster

    if (export is None) != (export_out is None):
        raise typer.BadParameter("--export and --export-out go together", param_hint="--export")
    choice_callback(ExportTarget, "--export")(export)
    if plan_out is not None:
        check_writable(plan_out, "--plan-out")
    if export_out is not None:
        check_writable(export_out, "--export-out")

    overrides = PlanningOverrides(
        region=region,
        zones=tuple(zones),
        replicas=replicas,
        headroom_percent=headroom,
        tolerate_zone_loss=tolerate_zone_loss,
    )
    from eks_plan.cli.interrupt import run_cancellable

    max_file_bytes = parse_file_size(max_file_size)
    with RichProgress(quiet) as progress:
        result = run_cancellable(
            lambda cancel: size_cluster(
                paths,
                config_path=config,
                include=tuple(include),
                overrides=overrides,
                time_limit_seconds=time_limit,
                workers=workers,
                seed=seed,
                max_file_bytes=max_file_bytes,
                observer=progress,
                cancel=cancel,
            )
        )
    from eks_plan.plan.build import build_plan_document
    from eks_plan.report.size import render_plan

    document = build_plan_document(result.plan, result.planning, result.config)
    data = document.to_dict()
    if export is not None and export_out is not None:
        from eks_plan.cli.export import terraform_format_for
        from eks_plan.export import export_text

        exported = export_text(document, export, terraform_format=terraform_format_for(export_out, None))
    if plan_out is not None:
        write_atomically(plan_out, document.to_json())
    if export is not None and export_out is not None:
        write_atomically(export_out, exported)
    from rich.markup import escape

    for warning in result.warnings:
        stderr().print(f"[yellow]warning:[/] {escape(warning)}")
    if output is OutputFormat.TABLE:
        render_plan(document, stdout())
    else:
        print_data(data, output)
    if document.all_unschedulable:
        raise typer.Exit(ExitCode.FINDINGS)
