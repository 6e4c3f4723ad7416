"""Plan rules (EKP4xx): the sized plan itself. These run the solver (bounded by ``--time-limit``)
and the IP check, once per lint run, and are skipped with ``--no-plan``."""

from __future__ import annotations

from collections.abc import Iterator

from eks_plan.errors import SourceLocation
from eks_plan.lint.context import LintContext
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Problem, rule

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def _config_location(context: LintContext, key: str) -> SourceLocation:
    location = context.config.location_of(key)
    if location is not None:
        return location
    if context.config.source:
        return SourceLocation(context.config.source)
    return SourceLocation(context.manifests.files[0] if context.manifests.files else "eks-plan.yaml")


@rule("EKP401", "unschedulable-pods", ERROR, needs_plan=True)
def unschedulable_pods(context: LintContext) -> Iterator[Problem]:
    """Pods that the sized cluster cannot place, with kube-scheduler's reasons and the nearest fix.

    The solver sizes the cluster from the node pools of eks-plan.yaml (as ``eks-plan size`` does);
    pods no node of any allowed kind can take are reported per workload.

    Why: those pods stay Pending in the real cluster too.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: big}
        spec:
          containers: [{name: big, resources: {requests: {cpu: "900", memory: 1Gi}}}]

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: small}
        spec:
          containers: [{name: small, resources: {requests: {cpu: "1", memory: 1Gi}}}]

    Fix: follow the fix printed (a larger instance type, a pool without that taint, fewer
    replicas), or lower the requests.
    """
    result = context.size()
    workloads = {workload.key: workload for workload in context.manifests.workloads}
    for item in result.plan.unschedulable:
        workload = workloads.get(item.workload.split("#")[0])
        location = workload.location_of("replicas") if workload else _config_location(context, "nodePools")
        yield Problem(
            f"{item.count} pod(s) cannot be placed: {'; '.join(item.reasons)}",
            location,
            subject=item.workload,
            fix="; ".join(item.fixes),
        )


def _subnet_problems(context: LintContext, exhausted: bool) -> Iterator[Problem]:
    from eks_plan.network.subnets import Verdict

    report = context.subnet_check()
    if report is None:
        return
    wanted = Verdict.EXHAUSTED if exhausted else Verdict.AT_RISK
    for index, subnet in enumerate(report.subnets):
        worst = None
        for scenario in report.scenarios:
            for usage in scenario.usages:
                if usage.subnet is subnet and (
                    worst is None or usage.verdict.severity > worst[1].verdict.severity
                ):
                    worst = (scenario, usage)
        if worst is None or worst[1].verdict is not wanted:
            continue
        scenario, usage = worst
        state = "runs out of addresses" if exhausted else "is at risk"
        yield Problem(
            f"subnet {subnet.zone} {subnet.cidr} {state} in scenario '{scenario.title}': the cluster holds "
            f"{usage.held} of {usage.capacity.usable} usable addresses ({usage.free} free, "
            f"{usage.min_free_addresses} wanted free)",
            _config_location(context, f"subnets[{index}]"),
            subject=f"subnets[{index}]",
            fix="`eks-plan check-ips` prints the smallest CIDR per zone and the CNI settings that save "
            "addresses",
        )


@rule("EKP402", "subnet-exhausted", ERROR, needs_plan=True)
def subnet_exhausted(context: LintContext) -> Iterator[Problem]:
    """A subnet of eks-plan.yaml runs out of IP addresses in a scenario of the IP check (steady
    state, HPA max, rolling-update surge, pools at max, the loss of a zone), counted as the VPC CNI
    allocates them. Reported at the subnet's line in eks-plan.yaml.

    Why: with no address left, new pods fail to start ("failed to assign an IP address to
    container") and new nodes cannot join.

    Fails:
        subnets:
          - {zone: us-east-1a, cidr: 10.0.0.0/28}

    Passes:
        subnets:
          - {zone: us-east-1a, cidr: 10.0.0.0/20}

    Fix: a larger CIDR (``eks-plan check-ips`` prints the smallest that holds the peak), prefix
    delegation, or custom networking with a secondary CIDR.
    """
    return _subnet_problems(context, exhausted=True)


@rule("EKP403", "subnet-at-risk", WARNING, needs_plan=True)
def subnet_at_risk(context: LintContext) -> Iterator[Problem]:
    """A subnet of eks-plan.yaml keeps less than 10% of its addresses free in some scenario of the
    IP check. Reported at the subnet's line in eks-plan.yaml.

    Why: warm ENIs and prefixes, extra nodes during an upgrade, and growth take the rest.

    Fails:
        subnets:
          - {zone: us-east-1a, cidr: 10.0.0.0/26}

    Passes:
        subnets:
          - {zone: us-east-1a, cidr: 10.0.0.0/20}

    Fix: a larger CIDR, or CNI settings that hold fewer warm addresses (``eks-plan check-ips``
    recommends both with numbers).
    """
    return _subnet_problems(context, exhausted=False)


@rule("EKP404", "over-budget", ERROR, needs_plan=True)
def over_budget(context: LintContext) -> Iterator[Problem]:
    """The plan's monthly cost (nodes, control plane, Fargate) is above ``--max-monthly-cost`` or
    ``budget.maxMonthlyCost`` of eks-plan.yaml.

    Why: a pull request that raises the bill past the budget should say so before it merges.

    Fails:
        budget:
          maxMonthlyCost: 10

    Passes:
        budget:
          maxMonthlyCost: 100000

    Fix: lower requests or replicas, allow cheaper instance types or spot, or raise the budget.
    """
    budget = context.options.max_monthly_cost
    from_flag = budget is not None
    if budget is None:
        budget = context.config.budget.max_monthly_cost
    if budget is None:
        return
    result = context.size()
    planning = result.planning
    per_hour = (
        result.plan.node_cost_per_hour
        + planning.control_plane_per_hour
        + sum(item.price_per_hour * item.count for item in planning.fargate)
    )
    monthly = per_hour * planning.hours_per_month
    if monthly > budget:
        where = "--max-monthly-cost" if from_flag else "budget.maxMonthlyCost"
        yield Problem(
            f"the plan costs {planning.currency} {monthly:,.2f} a month, over the {where} of "
            f"{budget:,.2f} by {monthly - budget:,.2f}",
            _config_location(context, "budget.maxMonthlyCost"),
            fix="lower requests or replicas, allow cheaper instance types, or raise the budget",
        )
