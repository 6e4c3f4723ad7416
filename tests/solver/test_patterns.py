"""Pattern-based packing (:mod:`eks_plan.solver.patterns`): the column-generation bound against the
brute-force optimum, every priced pattern against the independent verifier's per-node rules, and
determinism of each stage.

The per-node rules are kube-scheduler's filters, which the verifier re-derives from the problem:
NodeResourcesFit (``pkg/scheduler/framework/plugins/noderesources/fit.go``, ``fitsRequest``: every
requested resource, the pod count included, within allocatable), NodePorts
(``plugins/nodeports/node_ports.go``, ``fitsPorts``), InterPodAffinity's required anti-affinity
(``plugins/interpodaffinity/filtering.go``, ``satisfyExistingPodsAntiAffinity``) and
PodTopologySpread on ``kubernetes.io/hostname`` (``plugins/podtopologyspread/filtering.go``,
``Filter``: matching pods on the node minus the least on any eligible node at most ``maxSkew``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from eks_plan.scheduling.pod import HostPort
from eks_plan.solver import Problem, SolveOptions, patterns, solve
from eks_plan.solver.bound import lp_bound
from eks_plan.solver.budget import SolveBudget
from eks_plan.solver.compat import CompiledProblem, compile_problem
from eks_plan.solver.patterns import (
    build_rows,
    column_generation,
    farley_bound,
    improve_with_patterns,
    node_accepts,
)
from eks_plan.solver.plan import Plan, PlannedNode
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option
from tests.solver.brute import TINY_CASES, brute_force_optimum, node_mix


def _duals_of_the_master(problem: Problem) -> np.ndarray:
    compiled = compile_problem(problem)
    placeable = [group.count for group in problem.pod_groups]
    result = improve_with_patterns(compiled, placeable, [], work=1.0)
    assert result is not None and result.group_duals is not None
    return result.group_duals


@pytest.fixture(autouse=True)
def _tiny_problems_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stage skips problems under :data:`~eks_plan.solver.patterns.MIN_PODS` pods in a solve;
    these tests run it on tiny ones."""
    monkeypatch.setattr(patterns, "MIN_PODS", 0)


@pytest.mark.parametrize("name", sorted(TINY_CASES))
def test_column_generation_bound_never_exceeds_the_brute_force_optimum(name: str) -> None:
    """Farley's bound from the pattern master's duals is at most the optimum the verifier-driven
    brute force finds, and not trivial; from the class LP's duals it is at most the optimum too
    (0 where that LP's one-pod-per-node rows, not its demand rows, carry the duals)."""
    problem = Problem(TINY_CASES[name], node_mix(), ("a",))
    optimum = brute_force_optimum(problem, max_nodes=4)
    compiled = compile_problem(problem)
    placeable = [group.count for group in problem.pod_groups]
    budget = SolveBudget(60.0, 5.0)
    from_patterns = farley_bound(compiled, placeable, _duals_of_the_master(problem), 1.0, budget)
    from_classes = farley_bound(compiled, placeable, lp_bound(compiled, placeable).duals, 1.0, budget)
    assert 0 < from_patterns <= optimum + 1e-9
    assert 0 <= from_classes <= optimum + 1e-9


def test_farley_bound_holds_for_any_duals() -> None:
    """Any non-negative duals give a valid bound, however far they are from the master's."""
    problem = Problem(TINY_CASES["mixed"], node_mix(), ("a",))
    optimum = brute_force_optimum(problem, max_nodes=4)
    compiled = compile_problem(problem)
    for duals in ([1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [0.01, 0.2]):
        bound = farley_bound(compiled, [2, 2], np.array(duals), 1.0, SolveBudget(60.0, 5.0))
        assert 0 < bound <= optimum + 1e-9


def _rule_problem() -> Problem:
    """Every per-node rule the pricing must keep: max pods, DaemonSet overhead, an extended
    resource, hostname anti-affinity, hostname spread, host ports, a conflict between groups."""
    gpu = {"nvidia.com/gpu": 1}
    port = (HostPort(9100),)
    exporter = make_group("exporter", 4, cpu="100m", memory="128Mi", host_ports=port)
    agent = make_group("agent", 3, cpu="100m", memory="128Mi", host_ports=port)
    groups = (
        make_group("api", 9, cpu="300m", memory="512Mi", hostname_spread=2),
        make_group("db", 3, cpu="500m", memory="2Gi", anti_affinity_hostname=True),
        make_group("small", 12, cpu="50m", memory="64Mi"),
        make_group("train", 3, cpu="1", memory="2Gi", extra=gpu),
        exporter,
        agent,
    )
    overhead = {"cpu": 150, "memory": 256 * 2**20, "pods": 2}
    options = (
        make_option("c.large", cpu=2000, memory_mib=4096, pods=8, price=0.085, overhead=overhead),
        make_option("m.xlarge", cpu=4000, memory_mib=16384, pods=12, price=0.2, overhead=overhead),
        make_option("g.xlarge", cpu=4000, memory_mib=16384, pods=10, price=0.5, extra={"nvidia.com/gpu": 2}),
    )
    return Problem(groups, options, ("us-east-1a",))


def test_every_priced_pattern_passes_the_verifiers_per_node_rules() -> None:
    """Each column the pricing generates is one node the verifier accepts: alone in a plan with
    an empty node of its type beside it (so the hostname spread sees a node with none of the
    pods), no rule but the plan-wide pod count is broken."""
    problem = _rule_problem()
    compiled = compile_problem(problem)
    placeable = [group.count for group in problem.pod_groups]
    rows = build_rows(compiled, placeable)
    _, result = column_generation(compiled, rows, [], 2.0, SolveBudget(60.0, 2.0))
    assert len(result.patterns) > 5
    seen_rules = set()
    for pattern in result.patterns:
        option = problem.node_options[pattern.option]
        pods = {compiled.groups[g].key: count for g, count in pattern.pods}
        nodes = (PlannedNode("pattern", option, pods), PlannedNode("empty", option, {}))
        plan = Plan(nodes, (), 2 * option.price_per_hour, 0.0, "feasible", 0.0)
        broken = [v for v in verify_plan(problem, plan) if v.rule != "pods accounted for"]
        assert broken == [], (pattern, broken)
        assert node_accepts(compiled, pattern.option, pattern.as_dict())
        seen_rules.update(g for g, _ in pattern.pods)
    assert len(seen_rules) == len(problem.pod_groups)  # every group was priced into some node


def _rule_pricer() -> tuple[Problem, CompiledProblem, patterns._Pricer, np.ndarray]:
    """The rule problem's pricer and its values at duals that value every group."""
    problem = _rule_problem()
    compiled = compile_problem(problem)
    rows = build_rows(compiled, [group.count for group in problem.pod_groups])
    pricer = patterns._Pricer(compiled, rows)
    duals = np.array([0.02, 0.05, 0.004, 0.3, 0.01, 0.012])[: len(rows.keys)]
    return problem, compiled, pricer, pricer.values(duals)


def _assert_the_verifier_takes_the_node(
    problem: Problem, compiled: CompiledProblem, o: int, pods: dict[int, int]
) -> None:
    """One node of option ``o`` holding ``pods`` (per group) breaks no per-node rule of the
    verifier (a plan of it and an empty node: the pods left out are not its business)."""
    option = problem.node_options[o]
    held = {compiled.groups[g].key: count for g, count in pods.items()}
    nodes = (PlannedNode("pattern", option, held), PlannedNode("empty", option, {}))
    plan = Plan(nodes, (), 2 * option.price_per_hour, 0.0, "feasible", 0.0)
    assert [v for v in verify_plan(problem, plan) if v.rule != "pods accounted for"] == []


def test_exact_pricing_keeps_every_rule_and_beats_the_greedy_knapsacks() -> None:
    """For every option, at duals that value every group: the exact knapsack's node passes the
    verifier's per-node rules, holds at least the value of the best greedy fill, and at most the
    fractional upper bound the master ranks options by."""
    problem, compiled, pricer, value = _rule_pricer()
    greedy = pricer._greedy(value, [value / size for size in pricer.sizes])
    greedy_worth = (greedy * value[None, :, :]).sum(axis=2).max(axis=0)
    upper = pricer.upper_values(value)
    budget = SolveBudget(60.0, 10.0)
    for index, o in enumerate(pricer.options.tolist()):
        worth, pattern, _ = pricer.exact(index, value, budget, 1.0, 60.0)
        assert pattern is not None and pattern.option == o
        column = {int(g): j for j, g in enumerate(pricer.groups)}
        assert worth == pytest.approx(sum(value[index, column[g]] * count for g, count in pattern.pods))
        assert greedy_worth[index] - 1e-6 <= worth <= upper[index] + 1e-6
        assert node_accepts(compiled, o, pattern.as_dict())
        _assert_the_verifier_takes_the_node(problem, compiled, o, pattern.as_dict())


def test_rounded_relaxations_keep_every_rule_and_sit_between_the_bounds() -> None:
    """For every option, at duals that value every group: each node the rounded relaxation gives
    (:meth:`_Pricer.rounded`, every density order) passes :func:`node_accepts`, the best one
    passes the verifier's per-node rules and is worth at most the exact knapsack's node; the
    relaxation's value lies between the exact value and the surrogate bound, which is at most the
    bound by each resource alone."""
    problem, compiled, pricer, value = _rule_pricer()
    everything = np.arange(len(pricer.options))
    contents, relaxed = pricer.rounded(value, everything, 60.0)
    surrogate = pricer.upper_values(value)
    by_resource = pricer.upper_values(value, mixed=False)
    budget = SolveBudget(60.0, 10.0)
    for index, o in enumerate(pricer.options.tolist()):
        for content in contents[:, index]:
            assert node_accepts(compiled, o, {int(pricer.groups[j]): int(c) for j, c in enumerate(content)})
        worth = (contents[:, index] * value[index]).sum(axis=1)
        exact, _, _ = pricer.exact(index, value, budget, 1.0, 60.0)
        assert worth.max() <= exact + 1e-6
        assert exact - 1e-6 <= relaxed[index] <= surrogate[index] + 1e-6 <= by_resource[index] + 2e-6
        best = contents[int(np.argmax(worth)), index]
        pods = {int(pricer.groups[j]): int(c) for j, c in enumerate(best) if c}
        _assert_the_verifier_takes_the_node(problem, compiled, o, pods)
    assert (relaxed < by_resource - 1e-6).any()  # the relaxation is tighter somewhere


def test_rounded_relaxations_keep_a_hostname_spread_over_several_groups() -> None:
    """Two groups whose pods share the labels one hostname spread selects (maxSkew 2): a node
    holds at most 2 of their pods together, so the relaxation's row for the spread must hold the
    rounded node to 2 (kube-scheduler's PodTopologySpread counts every pod its selector matches,
    ``plugins/podtopologyspread/filtering.go``, ``Filter``)."""
    shared = {"app": "shared"}
    groups = (
        make_group("front", 6, cpu="100m", memory="128Mi", labels=shared, hostname_spread=2),
        make_group("back", 6, cpu="100m", memory="128Mi", labels=shared, hostname_spread=2),
    )
    option = make_option("m.xlarge", cpu=4000, memory_mib=16384, pods=30, price=0.2)
    problem = Problem(groups, (option,), ("us-east-1a",))
    compiled = compile_problem(problem)
    rows = build_rows(compiled, [6, 6])
    pricer = patterns._Pricer(compiled, rows)
    assert pricer.spread_caps.tolist() == [2, 2]  # each group's spread selects both groups
    value = pricer.values(np.array([0.05, 0.06])[: len(rows.keys)])
    contents, relaxed = pricer.rounded(value, np.arange(len(pricer.options)), 60.0)
    assert relaxed[0] == pytest.approx(2 * 0.06)
    for content in contents[:, 0]:
        assert content.sum() == 2
        pods = {int(g): int(c) for g, c in zip(pricer.groups, content, strict=True)}
        assert node_accepts(compiled, int(pricer.options[0]), pods)


def test_node_accepts_rejects_what_the_verifier_rejects() -> None:
    """The pricing's check refuses a node over max pods, two pods of a one-per-node group, two
    groups sharing a host port, and more hostname-spread pods than maxSkew."""
    problem = _rule_problem()
    compiled = compile_problem(problem)
    key = {group.key.split("/")[-1]: g for g, group in enumerate(problem.pod_groups)}
    assert node_accepts(compiled, 1, {key["small"]: 10})
    assert not node_accepts(compiled, 1, {key["small"]: 11})  # 12 pods - 2 DaemonSet pods
    assert not node_accepts(compiled, 1, {key["db"]: 2})
    assert not node_accepts(compiled, 1, {key["exporter"]: 1, key["agent"]: 1})
    assert not node_accepts(compiled, 1, {key["api"]: 3})
    assert not node_accepts(compiled, 0, {key["train"]: 1})  # no GPU on c.large


def test_each_stage_is_deterministic() -> None:
    """Column generation, the dives and the integer master, and the bound give the same answer
    twice."""
    problem = _rule_problem()
    compiled = compile_problem(problem)
    placeable = [group.count for group in problem.pod_groups]
    rows = build_rows(compiled, placeable)
    first = column_generation(compiled, rows, [], 1.0, SolveBudget(60.0, 1.0))[1]
    second = column_generation(compiled, rows, [], 1.0, SolveBudget(60.0, 1.0))[1]
    assert first.patterns == second.patterns
    assert first.lp_value == second.lp_value
    rounding = [
        column_generation(compiled, rows, [], 1.0, SolveBudget(60.0, 1.0), round_first=True)[1]
        for _ in range(2)
    ]
    assert rounding[0].patterns == rounding[1].patterns
    assert rounding[0].lp_value == rounding[1].lp_value
    runs = [improve_with_patterns(compiled, placeable, [], work=1.0) for _ in range(2)]
    assert runs[0] is not None and runs[1] is not None
    assert runs[0].nodes == runs[1].nodes
    assert np.array_equal(runs[0].group_duals, runs[1].group_duals)
    bounds = [
        farley_bound(compiled, placeable, runs[0].group_duals, 1.0, SolveBudget(60.0, 1.0)) for _ in range(2)
    ]
    assert bounds[0] == bounds[1] > 0


class _SlowMachine(SolveBudget):
    """A budget whose clock runs ``seconds_per_lp`` further at every LP solve of a master: a
    machine far slower than the work assumes, without waiting for it."""

    def __init__(self, time_limit: float, work: float, seconds_per_lp: float) -> None:
        super().__init__(time_limit, work)
        self.seconds_per_lp = seconds_per_lp
        self.slowed = 0.0

    def elapsed(self) -> float:
        return super().elapsed() + self.slowed


def test_on_a_slow_machine_the_integer_master_still_gets_its_part_of_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Column generation and the dives stop at their parts of the stage's wall time, not at its
    end: where every LP solve takes a quarter of the clock, the integer master still runs, with
    its part of the clock less at most one LP solve, and the stage is recorded as cut by the
    clock. (Run in turn, the parts before it spent the whole clock and it never ran.) On a
    clock long enough, nothing is cut."""
    problem = _rule_problem()
    compiled = compile_problem(problem)
    placeable = [group.count for group in problem.pod_groups]
    rows = build_rows(compiled, placeable)
    # The stage starts from the incumbent's nodes (here the stage's own plan on a normal clock).
    unhurried = improve_with_patterns(compiled, placeable, [], work=1.0)
    assert unhurried is not None and unhurried.nodes is not None
    start = patterns._patterns_of(compiled, unhurried.nodes)
    budget = _SlowMachine(100.0, 10.0, seconds_per_lp=25.0)
    real_glop, real_integer_master = patterns._Master._run_glop, patterns.integer_master
    walls: list[float] = []

    def slow_glop(self: patterns._Master, iterations: int) -> int:
        budget.slowed += budget.seconds_per_lp
        return real_glop(self, iterations)

    def integer_master(*args: Any, **kwargs: Any) -> Any:
        walls.append(kwargs["wall"])
        return real_integer_master(*args, **kwargs)

    monkeypatch.setattr(patterns._Master, "_run_glop", slow_glop)
    monkeypatch.setattr(patterns, "integer_master", integer_master)
    nodes, _, _ = patterns._pack_rows(compiled, rows, start, 10.0, budget, 0, 0.0, None)
    integer_part = 100.0 * (1 - patterns.CG_SHARE - patterns.DIVE_SHARE)
    assert len(walls) == 1 and walls[0] >= integer_part - budget.seconds_per_lp
    assert budget.cut == [patterns.PATTERN_STAGE]
    assert nodes is not None and patterns._places_exactly(compiled, rows, nodes)
    budget = _SlowMachine(100.0, 10.0, seconds_per_lp=0.0)
    patterns._pack_rows(compiled, rows, start, 10.0, budget, 0, 0.0, None)
    assert budget.cut == []


def test_solve_uses_the_patterns_and_every_plan_is_verified() -> None:
    """The whole solve with the pattern stage (on this small problem too): a verified plan
    placing every pod, no dearer than the pattern stage's own nodes, the same twice."""
    problem = _rule_problem()
    options = SolveOptions(time_limit_seconds=5.0, work_limit=2.0)
    plans = [solve(problem, options) for _ in range(2)]
    assert verify_plan(problem, plans[0]) == []
    assert plans[0].unschedulable == ()
    assert plans[0].nodes == plans[1].nodes
    compiled = compile_problem(problem)
    placeable = [group.count for group in problem.pod_groups]
    staged = improve_with_patterns(compiled, placeable, [], work=1.0)
    assert staged is not None and staged.nodes is not None
    assert plans[0].node_cost_per_hour <= sum(
        problem.node_options[o].price_per_hour for o, _, _ in staged.nodes
    )
