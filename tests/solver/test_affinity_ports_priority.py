"""Required pod affinity with several terms, host ports against DaemonSet pods, priority when pool
limits cap capacity, and pools too small: each rule from kube-scheduler's source, on problems where
two workloads interact. Every plan here passes the independent verifier.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eks_plan.report.reasons import AFFINITY, HOST_PORTS
from eks_plan.scheduling import (
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    PodAffinityTerm,
    Taint,
    Toleration,
    TolerationOperator,
)
from eks_plan.scheduling.labels import HOSTNAME, ZONE
from eks_plan.scheduling.pod import HostPort
from eks_plan.solver import NodePool, Problem, SolveOptions, solve
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option

FAST = SolveOptions(time_limit_seconds=2.0, workers=1)
ZONES = ("a", "b", "c")


def node(zone: str = "a", *, pool: str = "default", price: float = 0.1, **kw):
    return make_option(
        "m.large", zone=zone, pool=pool, cpu=4000, memory_mib=16384, pods=40, price=price, **kw
    )


def solved(problem: Problem):
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    return plan


def pinned(name: str, count: int, zone: str, labels: dict[str, str], **kw):
    group = make_group(name, count, cpu="100m", memory="64Mi", labels=labels, **kw)
    selector = NodeSelector(NodeSelectorTerm.from_node_selector({ZONE: zone}))
    return replace(group, pod=replace(group.pod, node_selector=selector))


def term(key: str, **labels: str) -> PodAffinityTerm:
    return PodAffinityTerm(LabelSelector(tuple(sorted(labels.items()))), key, frozenset({"default"}))


def with_affinity(group, *terms: PodAffinityTerm):
    return replace(group, pod=replace(group.pod, pod_affinity=terms))


def pending(plan, key: str) -> int:
    return sum(entry.count for entry in plan.unschedulable if entry.workload == key)


# --- required pod affinity: one pod must match every term ---------------------------------------


def test_one_pod_must_match_every_affinity_term_across_topology_keys() -> None:
    """interpodaffinity filtering.go ``updateWithAffinityTerms`` counts only existing pods for which
    ``podMatchesAllAffinityTerms`` holds, and ``satisfyPodAffinity`` needs such a pod in every term's
    domain. The worker's hostname term selects app=cache and its zone term tier=memory: cache (zone
    a) and memory (zone a) each match one term only, so the worker must share a node with 'both'
    (app=cache, tier=memory, zone c), never the cache node in zone a."""
    cache = pinned("cache", 1, "a", {"app": "cache", "tier": "disk"})
    memory = pinned("memory", 1, "a", {"app": "other", "tier": "memory"})
    both = pinned("both", 1, "c", {"app": "cache", "tier": "memory"})
    worker = with_affinity(
        make_group("worker", 2, cpu="100m", memory="64Mi"),
        term(HOSTNAME, app="cache"),
        term(ZONE, tier="memory"),
    )
    problem = Problem((cache, memory, both, worker), tuple(node(z) for z in ZONES), ZONES)
    plan = solved(problem)
    assert plan.unschedulable == ()
    for planned in plan.nodes:
        if planned.pods.get("Deployment/default/worker"):
            assert planned.pods.get("Deployment/default/both", 0) > 0


def test_no_pod_matching_every_term_leaves_the_pod_pending() -> None:
    """interpodaffinity filtering.go ``satisfyPodAffinity``: with no pod matching all terms and the
    pod not matching them itself, every node fails with "node(s) didn't match pod affinity rules"."""
    cache = pinned("cache", 1, "a", {"app": "cache"})
    memory = pinned("memory", 1, "b", {"tier": "memory"})
    worker = with_affinity(
        make_group("worker", 2, cpu="100m", memory="64Mi"), term(ZONE, app="cache"), term(ZONE, tier="memory")
    )
    plan = solved(Problem((cache, memory, worker), tuple(node(z) for z in ZONES), ZONES))
    assert pending(plan, "Deployment/default/worker") == 2
    (entry,) = [e for e in plan.unschedulable if e.workload == "Deployment/default/worker"]
    assert any(AFFINITY in reason for reason in entry.reasons)


def test_the_first_pod_matching_all_its_own_terms_may_start_the_domain() -> None:
    """interpodaffinity filtering.go ``satisfyPodAffinity``: when no existing pod matches the terms
    but the incoming pod matches all of them itself (``podMatchesAllAffinityTerms(terms, pod)``),
    it may land; every later replica must join it. Both terms select the group's own labels."""
    group = make_group("etcd", 3, cpu="100m", memory="64Mi", labels={"app": "etcd", "tier": "db"})
    group = with_affinity(group, term(HOSTNAME, app="etcd"), term(ZONE, tier="db"))
    plan = solved(Problem((group,), tuple(node(z) for z in ZONES), ZONES))
    assert plan.unschedulable == ()
    assert [n.pods for n in plan.nodes if n.pods] == [{"Deployment/default/etcd": 3}]


def test_the_self_affinity_exception_needs_every_term_to_match_the_pod() -> None:
    """``podMatchesAllAffinityTerms`` must hold for the pod itself: a second term it does not match
    (tier=cache) and no other pod matching both leaves it Pending."""
    group = make_group("etcd", 2, cpu="100m", memory="64Mi", labels={"app": "etcd", "tier": "db"})
    group = with_affinity(group, term(HOSTNAME, app="etcd"), term(HOSTNAME, tier="cache"))
    plan = solved(Problem((group,), (node(),), ("a",)))
    assert pending(plan, "Deployment/default/etcd") == 2


# --- host ports: DaemonSet pods on the node bind them too ---------------------------------------


def test_a_daemonset_host_port_keeps_pods_binding_it_off_the_node() -> None:
    """nodeports ``fitsPorts`` checks the pod's host ports against every pod on the node
    (``nodeInfo.UsedPorts``), DaemonSet pods included. node-exporter binds 9100 on the untainted
    pool (zones a, b) only; the tainted pool in zone c runs no such DaemonSet, so a pod binding 9100
    and tolerating the taint lands there, and one that does not tolerate it stays Pending."""
    port = (HostPort(9100),)
    plain = tuple(replace(node(z), daemonset_host_ports=port) for z in ("a", "b"))
    tainted = node("c", pool="edge", taints=(Taint("dedicated", "edge"),))
    tolerant = make_group(
        "probe",
        1,
        cpu="100m",
        memory="64Mi",
        tolerations=(Toleration("dedicated", TolerationOperator.EXISTS),),
        host_ports=port,
    )
    strict = make_group("scraper", 1, cpu="100m", memory="64Mi", host_ports=port)
    problem = Problem((tolerant, strict), (*plain, tainted), ZONES, (NodePool("default"), NodePool("edge")))
    plan = solved(problem)
    assert [n.option.zone for n in plan.nodes if "Deployment/default/probe" in n.pods] == ["c"]
    (entry,) = plan.unschedulable
    assert entry.workload == "Deployment/default/scraper"
    assert any(HOST_PORTS in reason for reason in entry.reasons)


@pytest.mark.parametrize(
    "style", ["karpenter", "managed-node-group", "self-managed", "auto-mode", "bottlerocket"]
)
def test_daemonset_host_ports_reach_the_node_options_from_manifests(tmp_path: Path, style: str) -> None:
    """End to end, for every node style: a hostNetwork DaemonSet (node-exporter, hostPort defaults
    to containerPort 9100) and a Deployment binding hostPort 9100: the Deployment cannot run on any
    node the DaemonSet runs on, so it is reported with the nodeports reason."""
    from eks_plan.planning import size_cluster

    (tmp_path / "apps.yaml").write_text(
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: node-exporter}\nspec:\n"
        "  selector: {matchLabels: {app: ne}}\n  template:\n    metadata: {labels: {app: ne}}\n"
        "    spec:\n      hostNetwork: true\n"
        "      containers: [{name: ne, image: x, ports: [{containerPort: 9100}],"
        " resources: {requests: {cpu: 50m, memory: 64Mi}}}]\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: scraper}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: s}}\n  template:\n    metadata: {labels: {app: s}}\n"
        "    spec:\n      containers: [{name: s, image: x, ports: [{containerPort: 80, hostPort: 9100}],"
        " resources: {requests: {cpu: 100m, memory: 64Mi}}}]\n"
    )
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        "region: us-east-1\nzones: [us-east-1a]\nnodePools:\n  - name: general\n"
        f"    nodeStyle: {style}\n    instances: {{instanceTypes: [m7i.large]}}\n"
    )
    result = size_cluster([tmp_path / "apps.yaml"], config_path=config, time_limit_seconds=1.0, workers=1)
    assert all(o.daemonset_host_ports == (HostPort(9100),) for o in result.planning.problem.node_options)
    (entry,) = result.plan.unschedulable
    assert entry.workload == "Deployment/default/scraper"
    assert any(HOST_PORTS in reason for reason in entry.reasons)


# --- priority and pool limits --------------------------------------------------------------------


def test_when_pool_limits_bind_the_lowest_priority_pods_stay_pending() -> None:
    """kube-scheduler's DefaultPreemption (``pkg/scheduler/framework/plugins/defaultpreemption``,
    ``SelectVictimsOnNode``) evicts lower-priority pods for a higher-priority one, so when a pool
    at maxNodes 1 holds 4 of 6 pods, the 2 Pending are the priority-0 batch pods, though the batch
    workload comes first."""
    batch = make_group("batch", 3, cpu="900m", memory="1Gi")
    api = make_group("api", 3, cpu="900m", memory="1Gi")
    api = replace(api, pod=replace(api.pod, priority=1000, priority_class_name="critical"))
    problem = Problem((batch, api), (node(),), ("a",), (NodePool("default", max_nodes=1),))
    plan = solved(problem)
    assert [n.pods.get("Deployment/default/api", 0) for n in plan.nodes] == [3]
    (entry,) = plan.unschedulable
    assert (entry.workload, entry.count) == ("Deployment/default/batch", 2)
    assert entry.reasons == ("pool 'default' is at maxNodes 1",)


def test_a_pool_too_small_lists_the_pods_that_do_not_fit_with_the_reason() -> None:
    """Karpenter's NodePool ``limits`` / a node group's maxSize cap the nodes: 5 pods that each need
    a node (hostname anti-affinity, interpodaffinity ``satisfyPodAntiAffinity``) in a pool of
    maxNodes 2 leave 3 Pending with "pool 'general' is at maxNodes 2" and a fix."""
    group = make_group("db", 5, cpu="100m", memory="64Mi", anti_affinity_hostname=True)
    problem = Problem((group,), (node(pool="general"),), ("a",), (NodePool("general", max_nodes=2),))
    plan = solved(problem)
    assert len(plan.nodes) == 2
    (entry,) = plan.unschedulable
    assert entry.count == 3
    assert entry.reasons == ("pool 'general' is at maxNodes 2",)
    assert any("maxNodes" in fix for fix in entry.fixes)


def test_a_pool_too_small_under_zone_spread_exits_1_not_3(tmp_path: Path) -> None:
    """The pool cap leaves a zone short of what the zone split asked; podtopologyspread
    (``filtering.go`` ``Filter``) then rejects the owner's pods that would exceed maxSkew over
    the emptier zone, so they are listed too, and ``size`` exits 1 (findings), never 3."""
    from eks_plan.cli.app import app

    (tmp_path / "apps.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 9\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone,"
        " whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]\n"
        "      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution:"
        " [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}}]}}\n"
        "      containers: [{name: web, image: x, resources: {requests: {cpu: 100m, memory: 64Mi}}}]\n"
    )
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        "region: us-east-1\nzones: [us-east-1a, us-east-1b, us-east-1c]\nnodePools:\n  - name: general\n"
        "    instances: {instanceTypes: [m7i.large]}\n    maxNodes: 2\n"
    )
    result = CliRunner().invoke(
        app, ["size", str(tmp_path / "apps.yaml"), "-c", str(config), "--time-limit", "1", "-o", "json"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert "pool 'general' is at maxNodes 2" in result.output
