"""A generated family of small problems: random workloads with random topology spread, pod
affinity and anti-affinity, node selectors, tolerations, host ports and priorities, over random
pools (zones, taints, labels, DaemonSet host ports, min/max nodes). Every plan must pass the
independent verifier, and ``size`` would exit 0 (all placed) or 1 (pods listed as unschedulable,
each with a reason), never 3 (the solver raising).

Plus the independent check that ``size``'s plans for every corpus folder and the sample pass the
verifier and that ``check-ips --plan`` addresses every pod of the sample's plan.

Hypothesis runs derandomized, without an example database, on a bounded number of examples, so
the same examples run every time in a few seconds.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CORPUS, REPO_ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eks_plan.resources import Resources
from eks_plan.scheduling import (
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    PodAffinityTerm,
    Taint,
    Toleration,
    TolerationOperator,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)
from eks_plan.scheduling.labels import HOSTNAME, ZONE
from eks_plan.scheduling.pod import HostPort, PodSpec
from eks_plan.scheduling.topology import ZONE_ID, NodeInclusionPolicy
from eks_plan.solver import NodePool, Plan, Problem, SolveOptions, solve
from eks_plan.solver.bound import lp_bound
from eks_plan.solver.budget import SolveBudget
from eks_plan.solver.compat import compile_problem
from eks_plan.solver.problem import PodGroup
from eks_plan.solver.solve import (
    Placement,
    _build,
    _greedy_decision,
    _round_lp,
    _structural_limits,
    _to_plan,
)
from eks_plan.solver.verify import verify_plan
from tests.builders import make_option

ZONES = ("a", "b", "c")
POOL_LABEL = "example.com/pool"
RACK = "example.com/rack"
TYPES = {  # name: (cpu millicores, memory MiB, pods, $/hour)
    "s.large": (2000, 4096, 10, 0.05),
    "m.xlarge": (4000, 16384, 20, 0.12),
}
APPS = ("web", "api", "db", "cache")
TIERS = ("front", "back")


@st.composite
def pools(draw: st.DrawFn) -> tuple[tuple[NodePool, ...], tuple, tuple[str, ...]]:
    """1 to 3 pools, each in some zones, maybe tainted, maybe rack-labelled, maybe with a
    DaemonSet binding a host port, with optional min/max nodes."""
    zones = ZONES[: draw(st.integers(2, 3))]
    count = draw(st.integers(1, 3))
    node_pools, options = [], []
    for p in range(count):
        name = f"p{p}"
        pool_zones = draw(st.lists(st.sampled_from(zones), min_size=1, max_size=len(zones), unique=True))
        tainted = p > 0 and draw(st.booleans())
        racked = draw(st.booleans())
        ports = (HostPort(9100),) if draw(st.integers(0, 4)) == 0 else ()
        types = draw(st.lists(st.sampled_from(sorted(TYPES)), min_size=1, max_size=2, unique=True))
        max_nodes = draw(st.one_of(st.none(), st.integers(1, 6)))
        min_nodes = draw(st.integers(0, min(1, max_nodes or 1)))
        node_pools.append(NodePool(name, min_nodes, max_nodes))
        for zone in sorted(pool_zones):
            for type_name in types:
                cpu, memory, pods, price = TYPES[type_name]
                labels = {POOL_LABEL: name, **({RACK: f"r-{zone}"} if racked else {})}
                option = make_option(
                    type_name,
                    zone=zone,
                    pool=name,
                    cpu=cpu,
                    memory_mib=memory,
                    pods=pods,
                    price=price,
                    labels=labels,
                    taints=(Taint("dedicated", name),) if tainted else (),
                )
                options.append(replace(option, daemonset_host_ports=ports))
    return tuple(node_pools), tuple(options), zones


def selector(draw: st.DrawFn) -> LabelSelector:
    if draw(st.booleans()):
        return LabelSelector((("app", draw(st.sampled_from(APPS))),))
    return LabelSelector((("tier", draw(st.sampled_from(TIERS))),))


@st.composite
def workload(draw: st.DrawFn, index: int, pool_names: tuple[str, ...]) -> PodGroup:
    """One Deployment with random rules (at most two of each kind)."""
    app = APPS[index]
    labels = {"app": app, "tier": draw(st.sampled_from(TIERS)), "pod-template-hash": f"h{index}"}
    keys = st.sampled_from((ZONE, ZONE, HOSTNAME, HOSTNAME, ZONE_ID, RACK))
    spreads = tuple(
        TopologySpreadConstraint(
            max_skew=draw(st.integers(1, 2)),
            topology_key=draw(keys),
            when_unsatisfiable=draw(st.sampled_from(list(WhenUnsatisfiable))),
            selector=selector(draw),
            min_domains=draw(st.one_of(st.none(), st.integers(1, 4))),
            match_label_keys=("pod-template-hash",) if draw(st.booleans()) else (),
            node_affinity_policy=draw(st.sampled_from(list(NodeInclusionPolicy))),
            node_taints_policy=draw(st.sampled_from(list(NodeInclusionPolicy))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    term_keys = st.sampled_from((ZONE, HOSTNAME, ZONE_ID, RACK))
    affinity = tuple(
        PodAffinityTerm(selector(draw), draw(term_keys), frozenset({"default"}))
        for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 2)) == 0 else 0)
    )
    anti = tuple(
        PodAffinityTerm(selector(draw), draw(term_keys), frozenset({"default"}))
        for _ in range(draw(st.integers(0, 1)))
    )
    node_selector = NodeSelector()
    if draw(st.integers(0, 3)) == 0:
        node_selector = NodeSelector(
            NodeSelectorTerm.from_node_selector({POOL_LABEL: draw(st.sampled_from(pool_names))})
        )
    tolerations = (Toleration("dedicated", TolerationOperator.EXISTS),) if draw(st.booleans()) else ()
    pod = PodSpec(
        namespace="default",
        labels=tuple(sorted(labels.items())),
        requests=Resources(
            {
                "cpu": draw(st.sampled_from((100, 250, 500, 1500))),
                "memory": draw(st.sampled_from((64, 512, 2048))) * 2**20,
                "pods": 1,
            }
        ),
        node_selector=node_selector,
        tolerations=tolerations,
        pod_affinity=affinity,
        pod_anti_affinity=anti,
        topology_spread=spreads,
        host_ports=(HostPort(9100),) if draw(st.integers(0, 5)) == 0 else (),
        priority=draw(st.sampled_from((0, 0, 100))),
    )
    return PodGroup(f"Deployment/default/{app}", draw(st.integers(1, 5)), pod)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    node_pools, options, zones = draw(pools())
    names = tuple(pool.name for pool in node_pools)
    groups = tuple(draw(workload(i, names)) for i in range(draw(st.integers(1, 3))))
    return Problem(groups, options, zones, node_pools)


#: The same examples every run, in a few seconds: derandomized, no example database, bounded.
REPEATABLE = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@REPEATABLE
@given(problems())
def test_random_problems_give_verified_plans_and_exit_0_or_1(problem: Problem) -> None:
    """Whatever the rules, ``solve`` returns (``size`` would not exit 3), the plan passes the
    independent verifier, every replica is placed or listed, and every listed pod has a reason
    (``size`` exits 1 exactly when some are listed)."""
    plan = solve(problem, SolveOptions(time_limit_seconds=0.3, workers=1))
    _assert_verified_and_every_replica_placed_or_listed(problem, plan)


@REPEATABLE
@pytest.mark.parametrize("placement", ["balanced", "cuts"])
@given(problem=problems(), scale=st.integers(4, 12))
def test_a_decision_placed_node_by_node_in_proportion_is_verified(
    placement: Placement, problem: Problem, scale: int
) -> None:
    """``Packer.place_sampled`` lays each zone's pods of a class over whole nodes, an even share
    of every group per node, and places the rest first-fit: on the same random rules (replicas
    scaled up, so that the blocks fill whole nodes), its plan passes the independent verifier
    and every replica is placed or listed with a reason. ``solve`` raises on a candidate that
    breaks a rule, so this is what keeps the candidate safe to offer."""
    scaled = tuple(replace(group, count=group.count * scale) for group in problem.pod_groups)
    problem = replace(problem, pod_groups=scaled)
    compiled = compile_problem(problem)
    placeable, set_aside = _structural_limits(compiled)
    lp = lp_bound(compiled, placeable, 1.0)
    decision = _round_lp(lp, placeable) if lp.pods else _greedy_decision(compiled, placeable)
    candidate = _build(compiled, decision, placeable, placement, placement=placement)
    packer = candidate.packer
    for g in range(len(compiled.groups)):  # fits(first=) asks of the last nodes only, the same way
        for first in range(0, len(packer.nodes), 3):
            assert packer.fits(g, first=first).tolist() == packer.fits(g)[first:].tolist()
    plan = _to_plan(compiled, candidate, set_aside, 0.0, SolveBudget(10.0, 10.0))
    _assert_verified_and_every_replica_placed_or_listed(problem, plan)


def _assert_verified_and_every_replica_placed_or_listed(problem: Problem, plan: Plan) -> None:
    """The plan passes the independent verifier, every replica is on a node or listed, and every
    listed pod has a reason."""
    assert verify_plan(problem, plan) == []
    placed = {group.key: 0 for group in problem.pod_groups}
    for node in plan.nodes:
        for key, count in node.pods.items():
            placed[key] += count
    for entry in plan.unschedulable:
        assert entry.count > 0 and entry.reasons
        placed[entry.workload] += entry.count
    assert placed == {group.key: group.count for group in problem.pod_groups}


FOLDERS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
#: Pools in different zones, one of them tainted and alone in its zone: a layout where
#: nodeTaintsPolicy decides the zone domains (tests/cli/test_size.py runs the default layout).
LAYOUT = """\
region: us-east-1
zones: [us-east-1a, us-east-1b, us-east-1c]
nodePools:
  - name: general
    nodeStyle: managed-node-group
    zones: [us-east-1a, us-east-1b]
    instances: {families: [m7i, c7i, r7i, g6]}
  - name: spare
    nodeStyle: karpenter
    zones: [us-east-1c]
    instances: {families: [m7i]}
    taints: [{key: dedicated, value: spare, effect: NoSchedule}]
    maxNodes: 3
"""


@pytest.mark.parametrize("folder", FOLDERS)
def test_size_plans_for_every_corpus_folder_pass_the_verifier(folder: str, tmp_path: Path) -> None:
    """``size`` on each corpus folder, with pools in different zones and a tainted pool alone in
    one zone: the plan passes the verifier and every replica is placed or listed with a reason."""
    from eks_plan.planning import size_cluster

    config = tmp_path / "eks-plan.yaml"
    config.write_text(LAYOUT)
    include = ("*.injected",) if folder == "istio-injected" else ()
    result = size_cluster(
        [CORPUS / folder], config_path=config, include=include, time_limit_seconds=0.5, workers=1
    )
    problem = result.planning.problem
    assert verify_plan(problem, result.plan) == []
    placed = sum(sum(node.pods.values()) for node in result.plan.nodes)
    listed = sum(entry.count for entry in result.plan.unschedulable)
    assert placed + listed == sum(group.count for group in problem.pod_groups)
    assert all(entry.reasons for entry in result.plan.unschedulable)


def test_the_samples_plan_passes_the_verifier_and_check_ips_addresses_every_pod(tmp_path: Path) -> None:
    """The sample shop's plan from ``size`` passes the verifier, and ``check-ips --plan`` on it finds
    an address for every pod in every scenario."""
    import json

    from typer.testing import CliRunner

    from eks_plan.cli.app import app

    shop = REPO_ROOT / "samples" / "shop"
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    sized = runner.invoke(
        app,
        ["size", str(shop / "manifests"), "-c", str(shop / "eks-plan.yaml"), "--time-limit", "1", "-q",
         "--plan-out", str(plan_file), "-o", "json"],
    )  # fmt: skip
    assert sized.exit_code == 0, sized.output
    checked = runner.invoke(
        app, ["check-ips", "--plan", str(plan_file), "-c", str(shop / "eks-plan.yaml"), "-o", "json"]
    )
    assert checked.exit_code in (0, 1), checked.output
    report = json.loads(checked.stdout)
    assert all(scenario["pods_without_address"] == 0 for scenario in report["scenarios"])
