"""``eks-plan workloads``: show what the planner understood from a set of manifests."""

from __future__ import annotations

import typer

from eks_plan.cli.options import include_option, max_file_size_option, parse_file_size, replicas_option
from eks_plan.cli.output import OutputFormat, print_data, stderr, stdout

#: Show a progress line on stderr when at least this many files are read (and stderr is a terminal).
_PROGRESS_FROM_FILES = 50


def command(
    paths: list[str] = typer.Argument(..., help="Manifest files or directories, or - for standard input."),
    include: list[str] = include_option(),
    replicas: str = replicas_option(),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--output", "-o", help="Report format."),
    max_file_size: str = max_file_size_option(),
) -> None:
    """Show the workloads the planner reads from manifests: replicas and why, per-pod requests
    (init containers and native sidecars counted as kube-scheduler counts them), DaemonSet
    overhead per node, ignored kinds, and warnings such as containers without requests.

    Examples:

    \b
    eks-plan workloads samples/shop/manifests/
    eks-plan workloads deploy/ --include '*.yaml.injected' --replicas declared -o json
    helm template my-app ./chart | eks-plan workloads - -o yaml
    kubectl get deploy,sts,ds,job,cronjob,hpa -A -o yaml | eks-plan workloads -
    """
    from eks_plan.manifests import ReplicaMode, load_manifests
    from eks_plan.report.workloads import render_workloads, workloads_data

    max_bytes = parse_file_size(max_file_size)
    console = stderr()
    status = None

    def progress(done: int, total: int, current: str) -> None:
        nonlocal status
        if total < _PROGRESS_FROM_FILES or not console.is_terminal:
            return
        if status is None:
            status = console.status("")
            status.start()
        status.update(f"reading manifests: {done}/{total} files {current}")

    try:
        manifests = load_manifests(
            paths,
            include=include,
            replicas=ReplicaMode(replicas),
            max_file_bytes=max_bytes,
            progress=progress,
        )
    finally:
        if status is not None:
            status.stop()
    data = workloads_data(manifests)
    if output is OutputFormat.TABLE:
        render_workloads(data, stdout())
    else:
        print_data(data, output)
