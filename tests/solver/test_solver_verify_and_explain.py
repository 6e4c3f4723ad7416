"""The verifier catches every kind of broken plan, and unplaceable pods get kube-scheduler's words."""

from __future__ import annotations

import dataclasses

import pytest

from eks_plan.resources import NVIDIA_GPU
from eks_plan.scheduling import Taint
from eks_plan.scheduling.pod import HostPort
from eks_plan.solver import NodePool, Problem, SolveOptions, solve
from eks_plan.solver.plan import Fit, FitCount, Plan, PlannedNode, ReasonCode, UnplacedReason, Unschedulable
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option

FAST = SolveOptions(time_limit_seconds=3.0)
ZONES = ("a", "b", "c")


def option(zone="a", **kw):
    instance_type = kw.pop("instance_type", "m.large")
    fields = {"cpu": 2000, "memory_mib": 8192, "pods": 20, "price": 0.10} | kw
    return make_option(instance_type, zone=zone, **fields)


def plan_of(*nodes: tuple[str, object, dict[str, int]], unschedulable=()) -> Plan:
    planned = tuple(PlannedNode(name, opt, pods) for name, opt, pods in nodes)
    return Plan(planned, tuple(unschedulable), 0.0, 0.0, "test", 0.0)


def rules(problem: Problem, plan: Plan) -> set[str]:
    return {violation.rule for violation in verify_plan(problem, plan)}


WEB = "Deployment/default/web"


def test_valid_plan_passes() -> None:
    problem = Problem((make_group("web", 2, cpu="500m"),), (option(),), ("a",))
    assert verify_plan(problem, plan_of(("n1", option(), {WEB: 2}))) == []


def test_catches_lost_and_duplicated_pods() -> None:
    problem = Problem((make_group("web", 2, cpu="500m"),), (option(),), ("a",))
    assert rules(problem, plan_of(("n1", option(), {WEB: 1}))) == {"pods accounted for"}
    assert rules(problem, plan_of(("n1", option(), {WEB: 3}))) == {"pods accounted for"}
    short = UnplacedReason(ReasonCode.NO_FIT, 1, "instance types", (FitCount(Fit.INSUFFICIENT, 1, "cpu"),))
    listed = Unschedulable(WEB, 1, (short,))
    assert listed.reasons == ("0/1 instance types: 1 Insufficient cpu",)
    assert rules(problem, plan_of(("n1", option(), {WEB: 1}), unschedulable=[listed])) == set()


@pytest.mark.parametrize(
    ("extra", "capacity", "message"),
    [
        ({}, {"cpu": 700}, "Insufficient cpu"),
        ({NVIDIA_GPU: 1}, {"extra": {NVIDIA_GPU: 1}}, "Insufficient nvidia.com/gpu"),
        ({}, {"pods": 1}, "Too many pods"),
    ],
)
def test_catches_resource_overcommit(extra, capacity, message) -> None:
    node = option(**capacity)
    problem = Problem((make_group("web", 2, cpu="400m", extra=extra),), (node,), ("a",))
    violations = verify_plan(problem, plan_of(("n1", node, {WEB: 2})))
    assert [v.rule for v in violations] == ["resources"]
    assert violations[0].node == "n1" and message in violations[0].message


def test_catches_daemonset_overhead_and_headroom() -> None:
    node = option(overhead={"cpu": 500})
    problem = Problem((make_group("web", 2, cpu="800m"),), (node,), ("a",))
    assert rules(problem, plan_of(("n1", node, {WEB: 2}))) == {"resources"}
    plain = option()
    headroom = Problem((make_group("web", 2, cpu="900m"),), (plain,), ("a",), headroom_percent=20)
    assert rules(headroom, plan_of(("n1", plain, {WEB: 2}))) == {"resources"}


def test_catches_selector_and_taint() -> None:
    node = option(taints=(Taint("dedicated", "gpu"),))
    problem = Problem((make_group("web", 1, node_selector={"tier": "fast"}),), (node,), ("a",))
    assert rules(problem, plan_of(("n1", node, {WEB: 1}))) == {"node affinity/selector", "taints"}


def test_catches_anti_affinity_on_hostname_and_zone() -> None:
    a1, a2 = option("a"), option("a", instance_type="m.xlarge")
    host = Problem((make_group("web", 2, anti_affinity_hostname=True),), (a1,), ("a",))
    assert rules(host, plan_of(("n1", a1, {WEB: 2}))) == {"pod anti-affinity"}
    zone = Problem((make_group("web", 2, anti_affinity_zone=True),), (a1, a2), ("a",))
    assert rules(zone, plan_of(("n1", a1, {WEB: 1}), ("n2", a2, {WEB: 1}))) == {"pod anti-affinity"}


def test_catches_zone_and_hostname_spread() -> None:
    a, b = option("a"), option("b")
    zone = Problem((make_group("web", 3, zone_spread=1),), (a, b), ("a", "b"))
    assert rules(zone, plan_of(("n1", a, {WEB: 3}))) == {"topology spread"}
    assert rules(zone, plan_of(("n1", a, {WEB: 2}), ("n2", b, {WEB: 1}))) == set()
    host = Problem((make_group("web", 3, hostname_spread=1),), (a,), ("a",))
    assert rules(host, plan_of(("n1", a, {WEB: 2}), ("n2", a, {WEB: 1}))) == set()
    assert rules(host, plan_of(("n1", a, {WEB: 3}), ("n2", a, {}))) == {"topology spread"}


def test_hostname_spread_counts_other_workloads_pods_on_the_owners_eligible_nodes_only() -> None:
    """podtopologyspread ``filtering.go``: ``calPreFilterState`` counts the pods the selector
    matches (here both workloads' ``tier=front``) on each node that passes the owner's node
    inclusion policy (``nodeAffinityPolicy: Honor`` by default, so the other pool's nodes are no
    domains), and ``Filter`` rejects a node whose count exceeds the least count by more than
    ``maxSkew``. An eligible node holding none of them counts 0."""
    front = {"tier": "front"}
    general = option(labels={"pool": "general"})
    other = option(labels={"pool": "batch"}, pool="batch")
    web = make_group("web", 1, labels=front, node_selector={"pool": "general"}, hostname_spread=1)
    api = make_group("api", 2, labels=front)
    problem = Problem((web, api), (general, other), ("a",))
    api_key = "Deployment/default/api"
    # n1 holds 2 matching pods, the empty general node 0: skew 2.
    assert rules(problem, plan_of(("n1", general, {WEB: 1, api_key: 2}), ("n2", general, {}))) == {
        "topology spread"
    }
    # The batch nodes are no domains of web's, even the empty one: n1 is the only one, skew 0.
    batch_nodes = (("n2", other, {api_key: 1}), ("n3", other, {}))
    assert rules(problem, plan_of(("n1", general, {WEB: 1, api_key: 1}), *batch_nodes)) == set()
    # api's pod on the second general node lifts the least count to 1: skew 1.
    assert (
        rules(problem, plan_of(("n1", general, {WEB: 1, api_key: 1}), ("n2", general, {api_key: 1}))) == set()
    )


def test_catches_host_port_conflict() -> None:
    node = option()
    group = make_group("web", 2, host_ports=(HostPort(80),))
    problem = Problem((group,), (node,), ("a",))
    assert rules(problem, plan_of(("n1", node, {WEB: 2}))) == {"host ports"}


def test_catches_pool_bounds_and_unknown_options() -> None:
    node = option()
    group = make_group("web", 2)
    problem = Problem((group,), (node,), ("a",), pools=(NodePool("default", min_nodes=2, max_nodes=2),))
    assert rules(problem, plan_of(("n1", node, {WEB: 2}))) == {"node pool bounds"}
    assert rules(problem, plan_of(("n1", node, {WEB: 1}), ("n2", node, {WEB: 1}))) == set()
    stranger = option(instance_type="x.huge")
    assert "node option" in rules(problem, plan_of(("n1", stranger, {WEB: 1}), ("n2", node, {WEB: 1})))


def test_catches_pod_affinity() -> None:
    a, b = option("a"), option("b")
    selfish = make_group("web", 2, anti_affinity_zone=True)
    together = dataclasses.replace(
        selfish,
        pod=dataclasses.replace(
            selfish.pod, pod_affinity=selfish.pod.pod_anti_affinity, pod_anti_affinity=()
        ),
    )
    problem = Problem((together,), (a, b), ("a", "b"))
    assert rules(problem, plan_of(("n1", a, {WEB: 1}), ("n2", b, {WEB: 1}))) == {"pod affinity"}
    assert rules(problem, plan_of(("n1", a, {WEB: 1}), ("n2", a, {WEB: 1}))) == set()


def test_catches_zone_loss_shortfall() -> None:
    a, b = option("a"), option("b")
    group = make_group("web", 2, cpu="1500m")
    problem = Problem((group,), (a, b), ("a", "b"), tolerate_zone_loss=True)
    assert rules(problem, plan_of(("n1", a, {WEB: 1}), ("n2", b, {WEB: 1}))) == {"zone loss"}
    spare = plan_of(("n1", a, {WEB: 1}), ("n2", b, {WEB: 1}), ("n3", a, {}), ("n4", b, {}))
    assert rules(problem, spare) == set()


# --- unplaceable pods -----------------------------------------------------------------------


def test_gpu_pod_without_gpu_types_is_explained_in_kube_scheduler_words() -> None:
    options = (
        option(instance_type="m.large"),
        option(instance_type="c.large"),
        option(instance_type="r.large", labels={"tier": "memory"}),
    )
    group = make_group("infer", 2, cpu="1", extra={NVIDIA_GPU: 1})
    excluded = (
        make_option("g5.xlarge", cpu=3920, memory_mib=14000, pods=58, price=1.006, extra={NVIDIA_GPU: 1}),
    )
    problem = Problem((group, make_group("web", 1)), options, ("a",), excluded_options=excluded)
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    (entry,) = plan.unschedulable
    assert entry.workload == "Deployment/default/infer" and entry.count == 2
    assert entry.reasons[0] == "0/3 instance types: 3 Insufficient nvidia.com/gpu"
    assert entry.fixes == (
        "allow instance type g5.xlarge in pool default ($1.0060/hour, the cheapest that fits)",
    )


def test_every_reason_is_counted() -> None:
    gpu_tainted = option(
        instance_type="g.xlarge", extra={NVIDIA_GPU: 1}, taints=(Taint("nvidia.com/gpu", "true"),)
    )
    options = (option(instance_type="m.large"), gpu_tainted, option(instance_type="c.large", pods=0))
    group = make_group("infer", 1, cpu="1", extra={NVIDIA_GPU: 1}, node_selector={"tier": "x"})
    plan = solve(Problem((group,), options, ("a",)), FAST)
    (entry,) = plan.unschedulable
    assert entry.reasons[0] == (
        "0/3 instance types: 2 Insufficient nvidia.com/gpu, 1 Too many pods, "
        "3 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {nvidia.com/gpu: true}"
    )


def test_taint_only_blocker_suggests_a_toleration() -> None:
    tainted = option(instance_type="g.xlarge", taints=(Taint("dedicated", "batch"),))
    plan = solve(Problem((make_group("web", 1),), (tainted,), ("a",)), FAST)
    (entry,) = plan.unschedulable
    assert entry.reasons == ("0/1 instance types: 1 node(s) had untolerated taint {dedicated: batch}",)
    assert entry.fixes == ("add a toleration for {dedicated: batch} (instance type g.xlarge fits otherwise)",)
