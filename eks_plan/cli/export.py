"""``eks-plan export``: a plan as eksctl, Karpenter or Terraform configuration."""

from __future__ import annotations

from pathlib import Path

import typer

from eks_plan.cli.options import choice_callback
from eks_plan.cli.output import stderr, write_atomically
from eks_plan.export import ExportTarget, TerraformFormat


def read_plan_document(path: Path) -> object:
    """The parsed plan file, or an input error naming the file (and line for bad JSON)."""
    from eks_plan.plan.files import read_plan_json

    return read_plan_json(path)[1]


def terraform_format_for(path: Path | None, given: str | None) -> str:
    """``--format`` if given, else ``json`` for an ``--out`` ending in ``.tf.json``, else ``hcl``."""
    if given is not None:
        return given
    return "json" if path is not None and path.name.endswith(".json") else "hcl"


def command(
    plan: Path = typer.Argument(..., help="A plan written by `eks-plan size --plan-out plan.json`."),
    to: str = typer.Option(
        ...,
        "--to",
        metavar="[eksctl|karpenter|terraform]",
        callback=choice_callback(ExportTarget, "--to"),
        help="What to write.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write to this file (atomically, only on success) instead of standard output."
    ),
    name: str | None = typer.Option(
        None, "--name", help="Cluster name (eksctl metadata, Karpenter discovery tags); default eks-plan."
    ),
    format_: str | None = typer.Option(
        None,
        "--format",
        metavar="[hcl|json]",
        callback=choice_callback(TerraformFormat, "--format"),
        help="Terraform only: HCL (default) or .tf.json (the default when --out ends in .json).",
    ),
) -> None:
    """Write a plan as eksctl ClusterConfig, Karpenter NodePools or Terraform node groups.

    eksctl and Terraform get one managed node group per (pool, instance type, zone, capacity type),
    which reproduces the plan's node counts exactly; Karpenter gets a NodePool and EC2NodeClass per
    pool that admit the plan's instance types. Exit code 2 for a bad or old plan file.

    Examples:

    \b
    eks-plan size -c eks-plan.yaml manifests/ --plan-out plan.json
    eks-plan export plan.json --to eksctl --name shop > cluster.yaml
    eks-plan export plan.json --to karpenter --name shop --out karpenter.yaml
    eks-plan export plan.json --to terraform --out node-groups.tf.json
    """
    from eks_plan.errors import InputError
    from eks_plan.export import export_text

    if format_ is not None and to != "terraform":
        raise InputError("--format applies to --to terraform only")
    text = export_text(
        read_plan_document(plan),
        to,
        cluster=name,
        terraform_format=terraform_format_for(out, format_),
        source=str(plan),
    )
    if name is None:
        stderr().print("note: no --name given: the cluster is called 'eks-plan'", markup=False)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(out, text)
