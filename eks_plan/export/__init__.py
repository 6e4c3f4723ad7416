"""Exports of a plan to the tools that create clusters: eksctl, Karpenter and Terraform.

Each exporter reads the plan document (``eks-plan size --plan-out``) through
:class:`~eks_plan.export.view.PlanView` and returns text: eksctl ``ClusterConfig`` YAML, Karpenter
``NodePool``/``EC2NodeClass`` YAML (one multi-document stream), or Terraform HCL / ``.tf.json``.
Before returning, every document is checked against the rules its tool applies beyond its JSON
Schema (eksctl's ``validation.go``, Karpenter's CEL rules): a pool label that Karpenter forbids is
an input error, anything else would be a bug here.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from eks_plan.errors import EksPlanError, InputError, SourceLocation
from eks_plan.export.view import PlanView
from eks_plan.plan.document import PlanDocument

DEFAULT_CLUSTER_NAME = "eks-plan"


class ExportTarget(StrEnum):
    """What ``eks-plan export --to`` writes."""

    EKSCTL = "eksctl"
    KARPENTER = "karpenter"
    TERRAFORM = "terraform"


class TerraformFormat(StrEnum):
    """``--format`` of the Terraform export: HCL (``.tf``) or Terraform's JSON syntax (``.tf.json``)."""

    HCL = "hcl"
    JSON = "json"


def export_documents(plan: PlanView, target: ExportTarget, cluster: str) -> list[dict[str, Any]]:
    """The exported objects as plain data (for the Terraform target, the ``.tf.json`` document)."""
    if target is ExportTarget.EKSCTL:
        from eks_plan.export.eksctl import cross_field_problems, eksctl_config

        document = eksctl_config(plan, cluster)
        problems = cross_field_problems(document)
        if problems:
            raise EksPlanError("the eksctl export breaks eksctl's rules: " + "; ".join(problems))
        return [document]
    if target is ExportTarget.KARPENTER:
        from eks_plan.export.karpenter import cel_problems, karpenter_objects

        documents = karpenter_objects(plan, cluster)
        problems = [
            f"{doc['kind']}/{doc['metadata']['name']}: {p}" for doc in documents for p in cel_problems(doc)
        ]
        if problems:
            raise InputError(
                "the Karpenter export would be rejected: " + "; ".join(problems),
                SourceLocation(plan.source),
                hint="rename the pool labels in eks-plan.yaml",
            )
        return documents
    from eks_plan.export.terraform import terraform_json

    return [terraform_json(plan)]


def export_text(
    document: Any,
    target: ExportTarget | str,
    *,
    cluster: str | None = None,
    terraform_format: TerraformFormat | str = TerraformFormat.HCL,
    source: str = "plan",
) -> str:
    """The export of a plan (a :class:`PlanDocument`, or parsed JSON) as the text to write."""
    target = ExportTarget(target)
    plan = (
        PlanView.of(document, source)
        if isinstance(document, PlanDocument)
        else PlanView.from_json(document, source)
    )
    if not plan.node_groups:
        raise InputError(
            "the plan has no nodes to export", SourceLocation(source), hint="size a cluster with pods first"
        )
    cluster = cluster or DEFAULT_CLUSTER_NAME
    _check_cluster_name(cluster)
    if target is ExportTarget.TERRAFORM and TerraformFormat(terraform_format) is TerraformFormat.HCL:
        from eks_plan.export.terraform import terraform_hcl

        return terraform_hcl(plan, cluster)
    documents = export_documents(plan, target, cluster)
    if target is ExportTarget.TERRAFORM:
        return json.dumps(documents[0], indent=2) + "\n"
    import yaml

    header = f"# eks-plan export for cluster {cluster} ({plan.region}): {target.value}\n"
    return header + yaml.safe_dump_all(
        documents, sort_keys=False, default_flow_style=False, explicit_start=True
    )


def _check_cluster_name(name: str) -> None:
    import re

    # EKS cluster names: 1-100 characters, a letter or digit first, then letters, digits, - and _.
    if not re.fullmatch(r"[0-9A-Za-z][A-Za-z0-9\-_]{0,99}", name):
        raise InputError(
            f"'{name}' is not a valid EKS cluster name",
            hint="use 1-100 letters, digits, hyphens and underscores, starting with a letter or digit",
        )
