"""Sizing and the IP check for the plan rules: the same solver and address accounting as
``eks-plan size`` and ``eks-plan check-ips``, on the manifests lint already loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eks_plan.errors import InputError

if TYPE_CHECKING:
    from eks_plan.lint.context import LintContext
    from eks_plan.network.check import CheckReport
    from eks_plan.planning import SizeResult


def solve_for_lint(context: LintContext) -> SizeResult:
    """The plan for the context's manifests and config, within ``options.time_limit_seconds``
    (the front half of :func:`eks_plan.planning.size_cluster`, without loading again)."""
    from eks_plan.catalog import load_catalog
    from eks_plan.config.checks import validate_zones
    from eks_plan.planning import SizeResult, build_loaded_cluster
    from eks_plan.solver import solve
    from eks_plan.solver.problem import SolveOptions

    config = context.config
    catalog = load_catalog()
    validate_zones(config, catalog.zones(config.region))
    planning = build_loaded_cluster(context.manifests, config, catalog)
    if not planning.problem.node_options:
        raise InputError(
            f"no instance type is left after the node pools' filters in {config.region}",
            config.location_of("nodePools"),
            hint="widen nodePools[].instances or check the region",
        )
    options = SolveOptions(
        time_limit_seconds=context.options.time_limit_seconds, workers=context.options.workers
    )
    plan = solve(planning.problem, options)
    warnings = tuple(str(warning) for warning in context.manifests.warnings)
    return SizeResult(plan, planning, context.manifests, config, warnings)


def check_subnets(context: LintContext) -> CheckReport | None:
    """The IP check of the plan against ``subnets:`` of eks-plan.yaml (``None`` without subnets)."""
    if not context.config.subnets:
        return None
    result = context.size()
    from eks_plan.catalog import load_catalog
    from eks_plan.network.check import check_ips, validate_inputs
    from eks_plan.network.inputs import subnets_from_config
    from eks_plan.network.ipamd import NodeNetworkLimits
    from eks_plan.network.plan_input import plan_to_cluster
    from eks_plan.plan.build import build_plan_document

    catalog = load_catalog()

    def limits_of(name: str, node_max_pods: int) -> NodeNetworkLimits:
        return NodeNetworkLimits.of(catalog.lookup(name), node_max_pods)

    document = build_plan_document(result.plan, result.planning)
    cluster, plan_cni = plan_to_cluster(document, limits_of, source="the plan")
    cni = plan_cni or context.config.cni
    subnets = subnets_from_config(context.config)
    validate_inputs(cluster, subnets, cni, catalog.zones(context.config.region))
    return check_ips(cluster, subnets, cni, context.options.min_free_fraction)
