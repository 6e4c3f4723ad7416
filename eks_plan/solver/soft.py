"""Preferred rules (ScheduleAnyway spread, preferred node and pod affinity): did the plan keep them?

They never change feasibility, so the plan reports each one with whether it held, for the report's
"soft rules" section. The solver keeps them where that costs nothing (zone balance comes from the
packer's even zone split); this module only reads the finished plan.

Example: a ScheduleAnyway zone spread kept by a 1/1 split::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling import LabelSelector, TopologySpreadConstraint, WhenUnsatisfiable
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.plan import Plan, PlannedNode
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> spread = TopologySpreadConstraint(1, "topology.kubernetes.io/zone", WhenUnsatisfiable.SCHEDULE_ANYWAY,
    ...                                   LabelSelector((("app", "web"),)))
    >>> pod = PodSpec("default", (("app", "web"),), Resources({"cpu": 100, "pods": 1}),
    ...               topology_spread=(spread,))
    >>> a, b = (NodeOption("default", "m7i.large", z, "on-demand", 0.1, Resources({"cpu": 1000, "pods": 9}),
    ...                    labels={"topology.kubernetes.io/zone": z}) for z in ("a", "b"))
    >>> problem = Problem((PodGroup("Deployment/default/web", 2, pod),), (a, b), ("a", "b"))
    >>> plan = Plan((PlannedNode("n1", a, {"Deployment/default/web": 1}),
    ...              PlannedNode("n2", b, {"Deployment/default/web": 1})), (), 0.2, 0.2, "optimal", 0.0)
    >>> [(o.rule, o.honoured) for o in soft_rule_outcomes(problem, plan)]
    [('topologySpreadConstraint topology.kubernetes.io/zone maxSkew 1 (ScheduleAnyway)', True)]
"""

from __future__ import annotations

from collections import defaultdict

from eks_plan.scheduling.labels import HOSTNAME
from eks_plan.scheduling.topology import ZONE_LEVEL_KEYS, WhenUnsatisfiable, effective_spread_selector
from eks_plan.solver.plan import Plan, SoftRuleOutcome
from eks_plan.solver.problem import Problem


def soft_rule_outcomes(problem: Problem, plan: Plan) -> list[SoftRuleOutcome]:
    """One outcome per preferred rule of every placed workload."""
    groups = {group.key: group for group in problem.pod_groups}
    node_domains: dict[str, dict[str, int]] = {}
    zone_domains: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hosting_nodes: dict[str, list[int]] = defaultdict(list)
    for i, node in enumerate(plan.nodes):
        node_domains[node.name] = dict(node.pods)
        for key, count in node.pods.items():
            if count > 0:
                zone_domains[node.option.zone][key] += count
                hosting_nodes[key].append(i)
    outcomes: list[SoftRuleOutcome] = []
    for group in problem.pod_groups:
        if not hosting_nodes.get(group.key):
            continue
        pod = group.pod
        for spread in pod.topology_spread:
            selector = effective_spread_selector(spread, pod.label_map)
            if spread.when_unsatisfiable is not WhenUnsatisfiable.SCHEDULE_ANYWAY or selector is None:
                continue
            if spread.topology_key == HOSTNAME:
                domains = node_domains
            elif spread.topology_key in ZONE_LEVEL_KEYS:
                domains = {zone: zone_domains.get(zone, {}) for zone in problem.zones}
            else:
                continue
            counts = {
                name: sum(
                    c
                    for k, c in pods.items()
                    if groups[k].pod.namespace == pod.namespace and selector.matches(groups[k].pod.label_map)
                )
                for name, pods in domains.items()
            }
            skew = max(counts.values()) - min(counts.values()) if counts else 0
            outcomes.append(
                SoftRuleOutcome(
                    group.key,
                    f"topologySpreadConstraint {spread.topology_key} maxSkew {spread.max_skew} "
                    "(ScheduleAnyway)",
                    skew <= spread.max_skew,
                    f"skew {skew}",
                )
            )
        for preferred in pod.preferred_node_terms:
            kept = sum(
                plan.nodes[i].pods[group.key]
                for i in hosting_nodes[group.key]
                if preferred.term.matches(plan.nodes[i].option.labels)
            )
            outcomes.append(
                SoftRuleOutcome(
                    group.key,
                    f"preferred node affinity (weight {preferred.weight})",
                    kept == group.count,
                    f"{kept}/{group.count} pods on preferred nodes",
                )
            )
        for weighted, anti in [(w, True) for w in pod.preferred_pod_anti_affinity] + [
            (w, False) for w in pod.preferred_pod_affinity
        ]:
            term = weighted.term
            if term.topology_key == HOSTNAME:
                domains = node_domains
            elif term.topology_key in ZONE_LEVEL_KEYS:
                domains = zone_domains
            else:
                continue
            broken = 0
            for pods in domains.values():
                mine = pods.get(group.key, 0)
                if mine <= 0:
                    continue
                others = sum(
                    c - (1 if k == group.key else 0)
                    for k, c in pods.items()
                    if c > 0 and term.selects(groups[k].pod.namespace, groups[k].pod.labels)
                )
                if (anti and others > 0) or (not anti and others <= 0):
                    broken += 1
            kind = "anti-affinity" if anti else "affinity"
            outcomes.append(
                SoftRuleOutcome(
                    group.key,
                    f"preferred pod {kind} on {term.topology_key} (weight {weighted.weight})",
                    broken == 0,
                    f"{broken} domain(s) where it does not hold" if broken else "",
                )
            )
    return outcomes
