"""One test per rule, each on a problem where the rule binds and changes the plan."""

from __future__ import annotations

from collections import Counter

from eks_plan.resources import NVIDIA_GPU
from eks_plan.scheduling import Taint, Toleration, TolerationOperator
from eks_plan.scheduling.pod import HostPort
from eks_plan.solver import NodePool, Problem, SolveOptions, solve
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option

FAST = SolveOptions(time_limit_seconds=3.0)
ZONES = ("a", "b", "c")


def solved(problem: Problem):
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    return plan


def small(zone="a", **kw):
    return make_option("m.large", zone=zone, cpu=2000, memory_mib=8192, pods=20, price=0.10, **kw)


def big(zone="a", **kw):
    return make_option("m.xlarge", zone=zone, cpu=4000, memory_mib=16384, pods=40, price=0.20, **kw)


def types(plan) -> Counter[str]:
    return Counter(node.option.instance_type for node in plan.nodes)


def test_cpu_and_memory_decide_the_node_count() -> None:
    problem = Problem((make_group("api", 5, cpu="900m", memory="1Gi"),), (small(),), ("a",))
    assert len(solved(problem).nodes) == 3  # two per node by cpu


def test_gpu_pods_only_on_gpu_nodes_and_others_on_cheap_ones() -> None:
    gpu = make_option("g.xlarge", cpu=4000, memory_mib=16384, pods=20, price=0.5, extra={NVIDIA_GPU: 1})
    problem = Problem(
        (
            make_group("infer", 2, cpu="1", memory="2Gi", extra={NVIDIA_GPU: 1}),
            make_group("web", 4, cpu="900m", memory="1Gi"),
        ),
        (small(), gpu),
        ("a",),
    )
    plan = solved(problem)
    for node in plan.nodes:
        if "Deployment/default/infer" in node.pods:
            assert node.option.instance_type == "g.xlarge"
    assert types(plan)["g.xlarge"] == 2  # one GPU each: the GPU resource binds
    assert plan.unschedulable == ()


def test_max_pods_binds() -> None:
    tiny = make_option("t.small", cpu=8000, memory_mib=32768, pods=3, price=0.1)
    problem = Problem((make_group("sidecar", 7, cpu="10m", memory="16Mi"),), (tiny,), ("a",))
    assert len(solved(problem).nodes) == 3


def test_daemonset_overhead_binds() -> None:
    group = make_group("api", 2, cpu="900m", memory="1Gi")
    without = solved(Problem((group,), (small(),), ("a",)))
    with_overhead = solved(Problem((group,), (small(overhead={"cpu": 300, "pods": 2}),), ("a",)))
    assert len(without.nodes) == 1
    assert len(with_overhead.nodes) == 2


def test_headroom_binds() -> None:
    group = make_group("api", 2, cpu="900m", memory="1Gi")
    assert len(solved(Problem((group,), (small(),), ("a",))).nodes) == 1
    assert len(solved(Problem((group,), (small(),), ("a",), headroom_percent=20)).nodes) == 2


def test_node_selector_picks_the_dearer_type() -> None:
    group = make_group("api", 1, cpu="500m", memory="1Gi", node_selector={"tier": "fast"})
    fast = big(labels={"tier": "fast"})
    plan = solved(Problem((group,), (small(), fast), ("a",)))
    assert types(plan) == Counter({"m.xlarge": 1})


def test_taints_keep_untolerating_pods_off() -> None:
    taint = Taint("dedicated", "batch")
    cheap_tainted = make_option("c.spot", cpu=2000, memory_mib=8192, pods=20, price=0.03, taints=(taint,))
    plain = make_group("web", 1, cpu="500m", memory="1Gi")
    tolerant = make_group(
        "batch",
        1,
        cpu="500m",
        memory="1Gi",
        tolerations=(Toleration("dedicated", TolerationOperator.EXISTS),),
    )
    assert types(solved(Problem((plain,), (small(), cheap_tainted), ("a",)))) == Counter({"m.large": 1})
    assert types(solved(Problem((tolerant,), (small(), cheap_tainted), ("a",)))) == Counter({"c.spot": 1})


def test_hostname_anti_affinity_one_per_node() -> None:
    problem = Problem(
        (make_group("db", 3, cpu="100m", memory="128Mi", anti_affinity_hostname=True),), (small(),), ("a",)
    )
    plan = solved(problem)
    assert len(plan.nodes) == 3


def test_zone_anti_affinity_one_per_zone_and_the_rest_unschedulable() -> None:
    options = tuple(small(zone) for zone in ZONES)
    problem = Problem(
        (make_group("zk", 4, cpu="100m", memory="128Mi", anti_affinity_zone=True),), options, ZONES
    )
    plan = solved(problem)
    assert sorted(node.option.zone for node in plan.nodes) == ["a", "b", "c"]
    (entry,) = plan.unschedulable
    assert entry.count == 1
    assert entry.reasons == ("0/3 zones: 3 node(s) didn't match pod anti-affinity rules",)


def test_zone_spread_balances_zones() -> None:
    options = tuple(small(zone) for zone in ZONES)
    problem = Problem((make_group("web", 6, cpu="100m", memory="128Mi", zone_spread=1),), options, ZONES)
    plan = solved(problem)
    per_zone = Counter()
    for node in plan.nodes:
        per_zone[node.option.zone] += node.pods["Deployment/default/web"]
    assert per_zone == Counter({"a": 2, "b": 2, "c": 2})  # one node would hold all six


def test_hostname_spread_is_balanced_over_every_node() -> None:
    # maxSkew 1 compares each node with the least loaded eligible node: 4 replicas balance 2 + 2
    # on the two nodes the other workload needs anyway (a cap of 1 per node would ask for 4).
    problem = Problem(
        (
            make_group("web", 4, cpu="100m", memory="128Mi", hostname_spread=1),
            make_group("other", 2, cpu="1500m", memory="1Gi"),
        ),
        (small(),),
        ("a",),
    )
    plan = solved(problem)
    assert len(plan.nodes) == 2
    assert sorted(node.pods.get("Deployment/default/web", 0) for node in plan.nodes) == [2, 2]


def test_hostname_spread_needs_more_nodes_beside_a_node_it_cannot_use() -> None:
    # The tainted node is still an eligible hostname for web (taints are ignored for spread) and
    # holds none of it, so no node may hold more than maxSkew = 1: four nodes instead of one.
    taint = Taint("dedicated", "batch")
    tainted = make_option(
        "t.large", cpu=2000, memory_mib=8192, pods=20, price=0.05, taints=(taint,), labels={"role": "batch"}
    )
    batch = make_group(
        "batch",
        1,
        cpu="1500m",
        node_selector={"role": "batch"},
        tolerations=(Toleration("dedicated", TolerationOperator.EXISTS),),
    )
    web = make_group("web", 4, cpu="100m", memory="128Mi", hostname_spread=1)
    plan = solved(Problem((web, batch), (small(), tainted), ("a",)))
    assert all(node.pods.get("Deployment/default/web", 0) <= 1 for node in plan.nodes)
    assert sum(1 for node in plan.nodes if node.option.instance_type == "m.large") == 4


def test_host_ports_conflict() -> None:
    port = (HostPort(9100),)
    first = make_group("exporter", 1, cpu="100m", memory="64Mi")
    second = make_group("agent", 1, cpu="100m", memory="64Mi")
    first = first.__class__(first.key, 2, first.pod.__class__(**{**_fields(first.pod), "host_ports": port}))
    second = second.__class__(
        second.key, 1, second.pod.__class__(**{**_fields(second.pod), "host_ports": port})
    )
    plan = solved(Problem((first, second), (small(),), ("a",)))
    assert len(plan.nodes) == 3


def _fields(pod) -> dict:
    return {name: getattr(pod, name) for name in pod.__slots__}


def test_pool_minimum_and_maximum() -> None:
    group = make_group("web", 1, cpu="100m", memory="128Mi")
    plan = solved(Problem((group,), (small(),), ("a",), pools=(NodePool("default", min_nodes=2),)))
    assert len(plan.nodes) == 2
    anti = make_group("db", 3, cpu="100m", memory="128Mi", anti_affinity_hostname=True)
    plan = solved(Problem((anti,), (small(),), ("a",), pools=(NodePool("default", max_nodes=2),)))
    assert len(plan.nodes) == 2
    (entry,) = plan.unschedulable
    assert entry.count == 1
    assert entry.reasons == ("pool 'default' is at maxNodes 2",)


def test_zone_loss_adds_spare_capacity() -> None:
    options = tuple(small(zone) for zone in ZONES)
    group = make_group("web", 6, cpu="900m", memory="1Gi", zone_spread=1)
    normal = solved(Problem((group,), options, ZONES))
    resilient = solved(Problem((group,), options, ZONES, tolerate_zone_loss=True))
    assert len(normal.nodes) == 3
    assert len(resilient.nodes) > 3
    assert resilient.lower_bound_per_hour <= resilient.node_cost_per_hour
