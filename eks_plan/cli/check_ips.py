"""``eks-plan check-ips``: will the subnets hold the cluster's IP addresses at peak?"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from eks_plan.cli.options import (
    include_option,
    max_file_size_option,
    parse_choice,
    parse_file_size,
    quiet_option,
    replicas_option,
    seed_option,
    time_limit_option,
    workers_option,
)
from eks_plan.cli.output import ExitCode, OutputFormat, print_data, stdout

if TYPE_CHECKING:
    from eks_plan.plan.document import PlanDocument

CNI_MODES = "secondary-ip, prefix-delegation, custom-networking, custom-networking-prefix, ipv6"


class FailOn(StrEnum):
    """``check-ips --fail-on``: the verdict (or worse) that makes the exit code 1."""

    EXHAUSTED = "exhausted"
    AT_RISK = "at-risk"


def command(
    paths: list[str] = typer.Argument(
        None, help="Manifests to size in place with `eks-plan size` first (files, directories or -)."
    ),
    include: list[str] = include_option(),
    replicas: str | None = replicas_option(default=None),
    time_limit: float = time_limit_option(),
    workers: int = workers_option(),
    seed: int = seed_option(),
    quiet: bool = quiet_option(),
    max_file_size: str = max_file_size_option(),
    plan: Path | None = typer.Option(None, "--plan", help="A plan written by `eks-plan size --plan-out`."),
    nodes: list[str] = typer.Option(
        [], "--nodes", help="Nodes by hand, repeatable: [ZONE:]TYPE=COUNT, e.g. us-east-1a:m6i.large=12."
    ),
    pods_per_node: int | None = typer.Option(
        None, "--pods-per-node", min=0, help="VPC-IP pods on each --nodes node (default: a full node)."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="eks-plan.yaml (default: ./eks-plan.yaml if present)."
    ),
    region: str | None = typer.Option(None, "--region", help="AWS region (default: the plan's or config's)."),
    subnet: list[str] = typer.Option(
        [], "--subnet", help="Subnet, repeatable: ZONE=CIDR[:ROLE,...], roles nodes (default), pods, cluster."
    ),
    vpc_id: str | None = typer.Option(
        None, "--vpc-id", help="Read the VPC's subnets live from AWS (needs eks-plan[aws])."
    ),
    cni_mode: str | None = typer.Option(None, "--cni-mode", help=f"VPC CNI mode: {CNI_MODES}."),
    warm_eni_target: int | None = typer.Option(None, "--warm-eni-target", min=0, help="WARM_ENI_TARGET."),
    warm_ip_target: int | None = typer.Option(None, "--warm-ip-target", min=0, help="WARM_IP_TARGET."),
    minimum_ip_target: int | None = typer.Option(
        None, "--minimum-ip-target", min=0, help="MINIMUM_IP_TARGET."
    ),
    warm_prefix_target: int | None = typer.Option(
        None, "--warm-prefix-target", min=0, help="WARM_PREFIX_TARGET (prefix delegation)."
    ),
    max_eni: int | None = typer.Option(None, "--max-eni", min=1, help="MAX_ENI."),
    security_groups_for_pods: bool | None = typer.Option(
        None, "--security-groups-for-pods/--no-security-groups-for-pods", help="ENABLE_POD_ENI."
    ),
    node_style: str = typer.Option(
        "managed-node-group",
        "--node-style",
        help="Who sets maxPods of --nodes nodes: self-managed, managed-node-group, auto-mode, karpenter, "
        "bottlerocket.",
    ),
    max_pods: int | None = typer.Option(None, "--max-pods", min=1, help="An explicit maxPods for --nodes."),
    min_free: float = typer.Option(
        10.0, "--min-free", min=0, max=100, help="Percent of usable addresses that must stay free."
    ),
    fail_on: str = typer.Option(
        "exhausted", "--fail-on", help="Exit 1 at this verdict or worse: exhausted or at-risk."
    ),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--output", "-o", help="table, json or yaml."),
) -> None:
    """Check that the subnets hold the cluster's IP addresses under the VPC CNI, at steady state
    and at peak: HPA max, rolling-update surge, node pools at max size, and the loss of each zone.

    Addresses per node follow ipamd exactly (warm ENI/IP/prefix targets, prefix delegation with
    aligned /28 blocks, custom networking, security groups for pods, MAX_ENI, IPv6, Fargate).
    Exit code 1 when a subnet is exhausted in any scenario (or at risk, with --fail-on at-risk),
    2 for bad input.

    Examples:

    \b
    eks-plan check-ips -c samples/shop/eks-plan.yaml samples/shop/manifests/
    eks-plan check-ips --plan plan.json --config eks-plan.yaml
    eks-plan check-ips --nodes us-east-1a:m6i.large=12 --pods-per-node 20 --subnet us-east-1a=10.0.0.0/24
    eks-plan check-ips --nodes m6i.xlarge=30 --config eks-plan.yaml --cni-mode prefix-delegation
    eks-plan check-ips --nodes us-east-1a:m5.large=10 --subnet us-east-1a=10.0.0.0/24:nodes,cluster
    eks-plan check-ips --plan plan.json --vpc-id vpc-0abc123 --region eu-west-1 --fail-on at-risk -o json
    """
    from eks_plan.errors import InputError

    threshold = parse_choice(FailOn, fail_on, "--fail-on")
    if sum(1 for given in (paths, plan, nodes) if given) > 1:
        raise InputError("give nodes one way: manifests to size, --plan, or --nodes")
    plan_document = None
    if paths:
        plan_document = _size_in_place(
            paths,
            config,
            include,
            region=region,
            replicas=replicas,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            quiet=quiet,
            max_file_bytes=parse_file_size(max_file_size),
        )
    elif replicas is not None:
        raise InputError("--replicas applies to manifests sized in place only")
    elif plan is None and not nodes:
        raise InputError(
            "no nodes to check", hint="give --plan plan.json or --nodes ZONE:TYPE=COUNT (repeatable)"
        )
    if pods_per_node is not None and not nodes:
        raise InputError("--pods-per-node applies to --nodes only")

    from eks_plan.catalog.capacity import NodeStyle
    from eks_plan.network.run import check_cluster_ips

    report = check_cluster_ips(
        plan_file=plan,
        plan_document=plan_document,
        nodes=nodes,
        pods_per_node=pods_per_node,
        config_path=config,
        region=region,
        subnet_flags=subnet,
        vpc_id=vpc_id,
        cni_mode=cni_mode,
        cni_flags={
            "warm_eni_target": warm_eni_target,
            "warm_ip_target": warm_ip_target,
            "minimum_ip_target": minimum_ip_target,
            "warm_prefix_target": warm_prefix_target,
            "max_eni": max_eni,
            "security_groups_for_pods": security_groups_for_pods,
        },
        node_style=parse_choice(NodeStyle, node_style, "--node-style"),
        max_pods=max_pods,
        min_free=min_free / 100,
    )
    data = report.as_dict()
    volume_warnings = _volume_warnings(plan, plan_document, report.cni)
    if volume_warnings:
        data["volume_slot_warnings"] = [warning.as_dict() for warning in volume_warnings]
    if output is OutputFormat.TABLE:
        from eks_plan.report.check_ips import render

        render(data, stdout())
        for warning in volume_warnings:
            stdout().print(f"warning: {warning.message()}", style="yellow", markup=False)
    else:
        print_data(data, output)

    from eks_plan.network.subnets import Verdict

    verdict = Verdict.AT_RISK if threshold is FailOn.AT_RISK else Verdict.EXHAUSTED
    if report.verdict.severity >= verdict.severity or report.pods_without_address:
        raise typer.Exit(ExitCode.FINDINGS)


def _volume_warnings(plan: Path | None, plan_document: PlanDocument | None, cni):  # type: ignore[no-untyped-def]
    """Nodes whose ENIs leave fewer EBS volume slots than their planned volumes (shared-limit types)."""
    import json

    from eks_plan.catalog import load_catalog
    from eks_plan.storage.check import volume_slot_warnings

    if plan_document is not None:
        data = plan_document.to_dict()
    elif plan is not None:  # already read and validated by check_cluster_ips
        data = json.loads(plan.read_text(encoding="utf-8"))
    else:
        return []
    return volume_slot_warnings(data, cni, load_catalog())


def _size_in_place(
    paths: list[str],
    config: Path | None,
    include: list[str],
    *,
    region: str | None,
    replicas: str | None,
    time_limit: float,
    workers: int,
    seed: int,
    quiet: bool,
    max_file_bytes: int,
) -> PlanDocument:
    """Size the manifests as `eks-plan size` does, with the same options, and return the plan document
    it would write (in memory: no file, no JSON)."""
    from eks_plan.cli.interrupt import run_cancellable
    from eks_plan.cli.progress import RichProgress
    from eks_plan.plan.build import build_plan_document
    from eks_plan.planning import PlanningOverrides, size_cluster

    with RichProgress(quiet=quiet) as progress:
        result = run_cancellable(
            lambda cancel: size_cluster(
                paths,
                config_path=config,
                include=tuple(include),
                overrides=PlanningOverrides(region=region, replicas=replicas),
                time_limit_seconds=time_limit,
                workers=workers,
                seed=seed,
                max_file_bytes=max_file_bytes,
                observer=progress,
                cancel=cancel,
            )
        )
    return build_plan_document(result.plan, result.planning)
