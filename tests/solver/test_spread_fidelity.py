"""Topology spread as kube-scheduler's podtopologyspread plugin filters, on problems where two
workloads interact, with each pool layout (a tainted pool in one zone only, pools in different
zones) and, end to end, with every node style.

The specification is kubernetes/kubernetes ``pkg/scheduler/framework/plugins/podtopologyspread``:
``filtering.go`` (``calPreFilterState`` counts the matching pods of every node that carries all the
constraints' keys and passes ``matchNodeInclusionPolicies``; ``Filter`` rejects a node when
``matchNum + selfMatchNum - minMatchNum > maxSkew``, or when it lacks the key:
``ErrReasonNodeLabelNotMatch``; ``minMatchNum`` is 0 with fewer domains than ``minDomains``) and
``common.go`` (``filterTopologySpreadConstraints`` merges ``matchLabelKeys`` values from the pod's
own labels; ``matchNodeInclusionPolicies``: ``nodeAffinityPolicy`` default Honor,
``nodeTaintsPolicy`` default Ignore). Every plan here also passes the independent verifier.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from eks_plan.report.reasons import SPREAD, SPREAD_LABEL
from eks_plan.scheduling import (
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    Operator,
    Requirement,
    Taint,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)
from eks_plan.scheduling.labels import HOSTNAME, ZONE
from eks_plan.scheduling.topology import ZONE_ID, NodeInclusionPolicy
from eks_plan.solver import NodePool, Problem, SolveOptions, solve
from eks_plan.solver.compat import compile_problem
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option

FAST = SolveOptions(time_limit_seconds=2.0, workers=1)
ZONES = ("a", "b", "c")
WEB = LabelSelector(match_labels=(("tier", "web"),))


def node(zone: str, *, pool: str = "default", price: float = 0.1, **kw):
    return make_option(
        "m.large", zone=zone, pool=pool, cpu=4000, memory_mib=16384, pods=40, price=price, **kw
    )


def spread(
    key: str = ZONE,
    skew: int = 1,
    selector: LabelSelector | None = WEB,
    **kw,
) -> TopologySpreadConstraint:
    return TopologySpreadConstraint(skew, key, WhenUnsatisfiable.DO_NOT_SCHEDULE, selector, **kw)


def group(name: str, count: int, *constraints: TopologySpreadConstraint, labels=None, **kw):
    base = make_group(
        name, count, cpu="100m", memory="64Mi", labels=labels or {"app": name, "tier": "web"}, **kw
    )
    return replace(base, pod=replace(base.pod, topology_spread=constraints))


def solved(problem: Problem):
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    return plan


def per_zone(plan, key: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for planned in plan.nodes:
        counts[planned.option.zone] += planned.pods.get(key, 0)
    return +counts


def pending(plan, key: str) -> int:
    return sum(entry.count for entry in plan.unschedulable if entry.workload == key)


def test_a_workload_without_a_constraint_is_not_capped_by_anothers_selector() -> None:
    """filtering.go ``Filter``: only the pod being scheduled is filtered by its own constraints;
    ``calPreFilterState``/``countPodsMatchSelector`` merely count other workloads' pods. The
    agents (no constraint, counted by web's hostname spread) share one node; web's pods avoid it."""
    web = group("web", 2, spread(HOSTNAME))
    agent = group("agent", 6)
    problem = Problem((web, agent), (node("a"),), ("a",))
    plan = solved(problem)
    assert plan.unschedulable == ()
    holding_agents = [n for n in plan.nodes if n.pods.get("Deployment/default/agent")]
    assert len(holding_agents) == 1 and holding_agents[0].pods["Deployment/default/agent"] == 6
    assert all("Deployment/default/web" not in n.pods for n in holding_agents)


def test_other_workloads_pods_in_a_zone_keep_the_owner_out_of_it() -> None:
    """filtering.go ``Filter``: ``matchNum`` counts every pod of the namespace the selector matches.
    Cache pods pinned to zone a (4 of them, tier=web) make zone a's count 4; web (maxSkew 1) then
    fits only in b and c, and the cache pods are all placed (they declare nothing)."""
    pinned = NodeSelector(NodeSelectorTerm.from_node_selector({ZONE: "a"}))
    cache = make_group("cache", 4, cpu="100m", memory="64Mi", labels={"app": "cache", "tier": "web"})
    cache = replace(cache, pod=replace(cache.pod, node_selector=pinned))
    web = group("web", 4, spread())
    problem = Problem((web, cache), tuple(node(z) for z in ZONES), ZONES)
    plan = solved(problem)
    assert per_zone(plan, "Deployment/default/cache") == {"a": 4}
    web_zones = per_zone(plan, "Deployment/default/web")
    assert "a" not in web_zones and sum(web_zones.values()) == 4
    assert plan.unschedulable == ()


def test_match_label_keys_pod_template_hash_scopes_the_constraint_to_one_deployment() -> None:
    """common.go ``filterTopologySpreadConstraints``: ``matchLabelKeys`` adds ``key in (value)``
    from the pod's own labels. Blue and green share app=web; blue's 3 pods are pinned to zone a.
    With ``[pod-template-hash]`` (on every Deployment pod) green counts only its own pods and lands
    1/1/1; without it, blue's pods make zone a's count 3 and green stays out of a."""
    selector = LabelSelector(match_labels=(("app", "web"),))
    scoped = spread(selector=selector, match_label_keys=("pod-template-hash",))
    shared = spread(selector=selector)
    pinned = NodeSelector(NodeSelectorTerm.from_node_selector({ZONE: "a"}))
    blue = group("blue", 3, labels={"app": "web", "pod-template-hash": "5d8f9"})
    blue = replace(blue, pod=replace(blue.pod, node_selector=pinned))
    for constraint, expected in ((scoped, {"a": 1, "b": 1, "c": 1}), (shared, {"b": 2, "c": 1})):
        green = group("green", 3, constraint, labels={"app": "web", "pod-template-hash": "7c4b2"})
        plan = solved(Problem((blue, green), tuple(node(z) for z in ZONES), ZONES))
        zones = per_zone(plan, "Deployment/default/green")
        assert zones == expected or (constraint is shared and "a" not in zones and sum(zones.values()) == 3)
        assert plan.unschedulable == ()


def test_deployment_pods_carry_a_pod_template_hash_unique_per_deployment(tmp_path: Path) -> None:
    """kubernetes ``pkg/controller/deployment/sync.go`` ``getNewReplicaSet`` labels every pod with
    ``pod-template-hash`` (``DefaultDeploymentUniqueLabelKey``); StatefulSet pods get none."""
    from eks_plan.manifests import load_manifests

    documents = []
    for kind, name in (("Deployment", "blue"), ("Deployment", "green"), ("StatefulSet", "db")):
        documents.append(
            f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n  replicas: 1\n"
            "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
            "    spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 100m}}}]}\n"
        )
    (tmp_path / "w.yaml").write_text("---\n".join(documents))
    loaded = {w.name: w.pod.label_map for w in load_manifests([tmp_path]).pods_to_place}
    assert loaded["blue"]["pod-template-hash"] != loaded["green"]["pod-template-hash"]
    assert "pod-template-hash" not in loaded["db"]
    assert loaded["blue"]["app"] == "web"


def test_tainted_pool_in_one_zone_is_a_domain_under_the_default_taints_policy() -> None:
    """common.go ``matchNodeInclusionPolicies``: with ``nodeTaintsPolicy: Ignore`` (the default)
    a node the pod does not tolerate still counts, so zone c (only a tainted pool) holds the global
    minimum at 0 and each of a and b takes at most maxSkew=1 pod; the rest stay Pending with the
    scheduler's reason. With ``Honor``, zone c is no domain and all 6 land 3/3."""
    options = (node("a"), node("b"), node("c", pool="gpu", taints=(Taint("dedicated", "gpu"),)))
    pools = (NodePool("default"), NodePool("gpu"))
    ignore = solved(Problem((group("web", 6, spread()),), options, ZONES, pools))
    assert per_zone(ignore, "Deployment/default/web") == {"a": 1, "b": 1}
    (entry,) = ignore.unschedulable
    assert entry.count == 4 and any(SPREAD in reason for reason in entry.reasons)
    honour = spread(node_taints_policy=NodeInclusionPolicy.HONOR)
    plan = solved(Problem((group("web", 6, honour),), options, ZONES, pools))
    assert per_zone(plan, "Deployment/default/web") == {"a": 3, "b": 3}
    assert plan.unschedulable == ()


def test_node_affinity_policy_decides_whether_unselected_zones_are_domains() -> None:
    """common.go ``matchNodeInclusionPolicies``: ``nodeAffinityPolicy: Honor`` (default) counts only
    nodes the pod's required affinity matches (zones a, b: 3/3); ``Ignore`` counts zone c too,
    where the pod cannot go, so its count stays 0 and a and b take one pod each."""
    in_ab = NodeSelector(terms=(NodeSelectorTerm((Requirement(ZONE, Operator.IN, ("a", "b")),)),))
    options = tuple(node(z) for z in ZONES)
    for policy, expected, left in (
        (NodeInclusionPolicy.HONOR, {"a": 3, "b": 3}, 0),
        (NodeInclusionPolicy.IGNORE, {"a": 1, "b": 1}, 4),
    ):
        web = group("web", 6, spread(node_affinity_policy=policy))
        web = replace(web, pod=replace(web.pod, node_selector=in_ab))
        plan = solved(Problem((web,), options, ZONES))
        assert per_zone(plan, "Deployment/default/web") == expected
        assert pending(plan, "Deployment/default/web") == left


def test_min_domains_above_the_zone_count_holds_the_minimum_at_zero() -> None:
    """filtering.go ``minMatchNum``: with fewer domains (3 zones) than ``minDomains`` (5), the
    global minimum is 0, so each zone holds at most maxSkew (2) pods: 6 of 10 land."""
    plan = solved(
        Problem((group("web", 10, spread(skew=2, min_domains=5)),), tuple(node(z) for z in ZONES), ZONES)
    )
    assert per_zone(plan, "Deployment/default/web") == {"a": 2, "b": 2, "c": 2}
    assert pending(plan, "Deployment/default/web") == 4


def test_a_topology_key_no_node_carries_leaves_the_pod_pending_with_the_reason() -> None:
    """filtering.go ``Filter``: a node without the constraint's key fails with
    ``ErrReasonNodeLabelNotMatch`` ("... (missing required label)"); a pool whose nodes carry the
    key (pools in different zones) takes the pods, the other never does."""
    rack = "example.com/rack"
    options = (node("a", pool="plain", price=0.05), node("b", pool="racked", labels={rack: "r1"}))
    web = group("web", 3, spread(rack, skew=5))
    problem = Problem((web,), options, ("a", "b"), (NodePool("plain"), NodePool("racked")))
    plan = solved(problem)
    assert {n.option.pool for n in plan.nodes} == {"racked"}
    assert plan.unschedulable == ()
    assert any(rack in note for note in plan.notes)  # the skew on that key is reported, not modelled
    nowhere = solved(Problem((web,), options[:1], ("a",)))
    (entry,) = nowhere.unschedulable
    assert entry.count == 3 and SPREAD_LABEL in entry.reasons[0]


def test_zone_id_is_a_zone_level_key() -> None:
    """``topology.k8s.aws/zone-id`` is set on every EKS node, one value per zone, so a spread on it
    spreads over zones as ``topology.kubernetes.io/zone`` does (even where an option's label map
    does not spell it out)."""
    plan = solved(Problem((group("web", 6, spread(ZONE_ID)),), tuple(node(z) for z in ZONES), ZONES))
    assert per_zone(plan, "Deployment/default/web") == {"a": 2, "b": 2, "c": 2}
    assert plan.unschedulable == ()


def test_two_owners_counting_each_other_over_pools_in_different_zones() -> None:
    """Two workloads whose zone spreads (maxSkew 1) count each other's pods (both tier=web): the
    api may only use pool 'east' (zones a, b), the web pool 'all' (a, b, c). The plan satisfies both
    owners' filters at once (the verifier checks each against the shared counts)."""
    options = (
        node("a", pool="east"),
        node("b", pool="east"),
        *(node(z, pool="all", price=0.12) for z in ZONES),
    )
    east = NodeSelector(NodeSelectorTerm.from_node_selector({"eks.example/pool": "east"}))
    options = tuple(replace(o, labels={**o.labels, "eks.example/pool": o.pool}) for o in options)
    api = group("api", 4, spread())
    api = replace(api, pod=replace(api.pod, node_selector=east))
    web = group("web", 5, spread())
    problem = Problem((api, web), options, ZONES, (NodePool("east"), NodePool("all")))
    plan = solved(problem)
    placed = per_zone(plan, "Deployment/default/api") + per_zone(plan, "Deployment/default/web")
    assert sum(placed.values()) + sum(e.count for e in plan.unschedulable) == 9
    assert set(per_zone(plan, "Deployment/default/api")) <= {"a", "b"}


def test_the_solver_and_the_verifier_share_the_eligible_zones() -> None:
    """The solver's eligible zones for a constraint are exactly the zones whose node options pass
    ``spread_counts_node`` (the verifier's definition), tainted pools included."""
    options = (node("a"), node("b"), node("c", pool="gpu", taints=(Taint("dedicated", "gpu"),)))
    compiled = compile_problem(Problem((group("web", 3, spread()),), options, ZONES))
    assert [compiled.zones[z] for z in compiled.spreads[0].eligible_zones] == ["a", "b", "c"]
    honour = spread(node_taints_policy=NodeInclusionPolicy.HONOR)
    compiled = compile_problem(Problem((group("web", 3, honour),), options, ZONES))
    assert [compiled.zones[z] for z in compiled.spreads[0].eligible_zones] == ["a", "b"]


SPREAD_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule,
           labelSelector: {matchLabels: {tier: front}}, matchLabelKeys: [pod-template-hash]}
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
           labelSelector: {matchLabels: {tier: front}}, nodeTaintsPolicy: Honor}
      containers: [{name: web, image: x, resources: {requests: {cpu: 250m, memory: 256Mi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge, tier: front}}
    spec:
      containers: [{name: edge, image: x, resources: {requests: {cpu: 250m, memory: 256Mi}}}]
"""


@pytest.mark.parametrize(
    "style", ["karpenter", "managed-node-group", "self-managed", "auto-mode", "bottlerocket"]
)
def test_every_node_style_plans_spread_workloads_that_verify(tmp_path: Path, style: str) -> None:
    """End to end through the loader and the catalogue, for each node style: the spread workload
    (zone spread scoped to its Deployment by ``pod-template-hash``; hostname spread counting the
    edge pods too) and the edge workload it counts (never capped) are all placed in a plan the
    verifier accepts."""
    from eks_plan.planning import size_cluster

    (tmp_path / "apps.yaml").write_text(SPREAD_MANIFEST)
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        "region: us-east-1\nzones: [us-east-1a, us-east-1b, us-east-1c]\n"
        f"nodePools:\n  - name: general\n    nodeStyle: {style}\n"
        "    instances: {instanceTypes: [m7i.large, m7i.xlarge]}\n"
    )
    result = size_cluster([tmp_path / "apps.yaml"], config_path=config, time_limit_seconds=2.0, workers=1)
    assert verify_plan(result.planning.problem, result.plan) == []
    assert result.plan.unschedulable == ()
    zones = per_zone(result.plan, "Deployment/shop/web")
    assert sorted(zones.values()) == [2, 2, 2]
