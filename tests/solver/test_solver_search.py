"""The integer bound with whole nodes per zone, and the neighbourhood search over concrete nodes."""

from __future__ import annotations

import pytest

from eks_plan.solver import Problem, SolveOptions, solve
from eks_plan.solver.bound import integer_zone_bound, lp_bound
from eks_plan.solver.compat import compile_problem
from eks_plan.solver.lns import LnsNode, improve_nodes
from eks_plan.solver.plan import Plan, PlannedNode
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option
from tests.solver.brute import brute_force_optimum

FAST = SolveOptions(time_limit_seconds=3.0)
ZONES = ("a", "b", "c")


def _c7i(zones=ZONES):
    return tuple(
        make_option("c7i.large", zone=z, cpu=1930, memory_mib=3000, pods=29, price=0.0893) for z in zones
    )


def test_zone_spread_bound_counts_a_whole_node_in_every_zone() -> None:
    # 6 pods spread over 3 zones: 2 per zone, so 3 nodes; the LP buys 1.9 nodes' worth.
    problem = Problem((make_group("web", 6, cpu="600m", memory="256Mi", zone_spread=1),), _c7i(), ZONES)
    compiled = compile_problem(problem)
    optimum = brute_force_optimum(problem, max_nodes=3)
    assert optimum == pytest.approx(3 * 0.0893)
    assert lp_bound(compiled, [6]).bound < 0.2
    whole = integer_zone_bound(compiled, [6], time_limit=2.0)
    assert whole <= optimum + 1e-9
    assert whole == pytest.approx(optimum, rel=1e-5)
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    assert plan.gap == pytest.approx(0.0, abs=1e-5)


class _ProgressRecorder:
    """A solve observer that keeps each progress report's (best cost, bound)."""

    def __init__(self) -> None:
        self.reports: list[tuple[float | None, float]] = []

    def on_phase(self, message: str) -> None:
        return None

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
        self.reports.append((best_cost, bound))


def test_progress_keeps_the_whole_node_bound_once_it_beats_the_lp() -> None:
    """The case above: the LP proves under $0.2/h, the integer bound $0.2679/h. Every report after
    that carries the better bound, the packings' and the per-class models' too, which know only
    the LP's (``solve._Run``): the bound a user watches never falls back."""
    problem = Problem((make_group("web", 6, cpu="600m", memory="256Mi", zone_spread=1),), _c7i(), ZONES)
    recorder = _ProgressRecorder()
    plan = solve(problem, FAST, recorder)
    bounds = [bound for _, bound in recorder.reports]
    assert bounds[0] < 0.2
    whole = next(i for i, bound in enumerate(bounds) if bound > 0.2)
    assert any(cost is not None for cost, _ in recorder.reports[whole:])  # plans reported after it
    assert bounds[whole:] == sorted(bounds[whole:])
    assert bounds[-1] == pytest.approx(plan.lower_bound_per_hour)


def test_zone_spread_with_skew_2_leaves_one_zone_nearly_empty() -> None:
    # maxSkew 2: 4 pods may split 2/2/0 (skew 2), so two nodes do; the bound must not ask for a
    # node in the third zone.
    options = _c7i()
    problem = Problem((make_group("web", 4, cpu="600m", memory="256Mi", zone_spread=2),), options, ZONES)
    optimum = brute_force_optimum(problem, max_nodes=3)
    whole = integer_zone_bound(compile_problem(problem), [4], time_limit=2.0)
    assert whole <= optimum + 1e-9
    assert optimum == pytest.approx(2 * 0.0893)


def test_zone_anti_affinity_bound_allows_one_pod_per_zone() -> None:
    options = tuple(
        o
        for z in ("a", "b")
        for o in (
            make_option("m.large", zone=z, cpu=2000, memory_mib=8192, pods=20, price=0.10),
            make_option("m.xlarge", zone=z, cpu=4000, memory_mib=16384, pods=20, price=0.20),
        )
    )
    problem = Problem(
        (make_group("db", 2, cpu="900m", memory="1Gi", anti_affinity_zone=True),), options, ("a", "b")
    )
    optimum = brute_force_optimum(problem, max_nodes=2)
    whole = integer_zone_bound(compile_problem(problem), [2], time_limit=2.0)
    assert whole == pytest.approx(optimum, rel=1e-5)  # one m.large per zone, not one shared node


def test_integer_bound_steps_aside_for_zone_loss() -> None:
    problem = Problem(
        (make_group("web", 2, cpu="900m"),), _c7i(("a", "b")), ("a", "b"), tolerate_zone_loss=True
    )
    assert integer_zone_bound(compile_problem(problem), [2], time_limit=1.0) == 0.0


def test_search_merges_half_empty_nodes() -> None:
    options = tuple(
        o
        for z in ("a", "b")
        for o in (
            make_option("m.large", zone=z, cpu=2000, memory_mib=8192, pods=20, price=0.10),
            make_option("m.xlarge", zone=z, cpu=4000, memory_mib=16384, pods=20, price=0.20),
        )
    )
    problem = Problem(
        (
            make_group("web", 4, cpu="900m", memory="1Gi"),
            make_group("db", 2, cpu="500m", anti_affinity_hostname=True),
        ),
        options,
        ("a", "b"),
    )
    compiled = compile_problem(problem)
    xlarge_a, large_b = 1, 2
    start = [
        LnsNode(xlarge_a, 0, {0: 1, 1: 1}),
        LnsNode(xlarge_a, 0, {0: 1, 1: 1}),
        LnsNode(large_b, 1, {0: 1}),
        LnsNode(large_b, 1, {0: 1}),
    ]
    better = improve_nodes(compiled, start, budget=3.0, deadline=float("inf"))
    # db needs two nodes (anti-affinity), each m.large takes 1 web + 1 db (1.4 cpu), and the last
    # two web pods share a third m.large (1.8 cpu of 2): $0.30 instead of $0.60.
    assert sorted(compiled.options[n.option].instance_type for n in better) == ["m.large"] * 3
    assert sorted(n.pods.get(1, 0) for n in better) == [0, 1, 1]
    assert sum(n.pods.get(0, 0) for n in better) == 4


def test_search_keeps_zone_bound_pods_in_their_zone() -> None:
    options = tuple(
        make_option("m.large", zone=z, cpu=2000, memory_mib=8192, pods=20, price=0.10) for z in ("a", "b")
    )
    problem = Problem((make_group("web", 2, cpu="900m", memory="1Gi", zone_spread=1),), options, ("a", "b"))
    compiled = compile_problem(problem)
    start = [LnsNode(0, 0, {0: 1}), LnsNode(1, 1, {0: 1})]
    better = improve_nodes(compiled, start, budget=2.0, deadline=float("inf"))
    # One node would hold both (1.8 cpu) but break the zone spread: nothing moves.
    assert sorted((n.zone, n.pods[0]) for n in better) == [(0, 1), (1, 1)]


def test_search_respects_pool_maximum() -> None:
    from eks_plan.solver.problem import NodePool

    options = (
        make_option("m.large", zone="a", cpu=2000, memory_mib=8192, pods=20, price=0.10, pool="small"),
        make_option("m.xlarge", zone="a", cpu=4000, memory_mib=16384, pods=20, price=0.15, pool="big"),
    )
    problem = Problem(
        (make_group("web", 4, cpu="900m"),), options, ("a",), pools=(NodePool("big", max_nodes=0),)
    )
    compiled = compile_problem(problem)
    start = [LnsNode(0, 0, {0: 2}), LnsNode(0, 0, {0: 2})]
    better = improve_nodes(compiled, start, budget=2.0, deadline=float("inf"))
    assert sorted(n.option for n in better) == [0, 0]  # the cheaper big node is not allowed


def test_search_balances_hostname_spread_instead_of_capping_it() -> None:
    # maxSkew 1 over every node: 6 replicas may share nodes as long as every node holds its share.
    options = (
        make_option("m.large", zone="a", cpu=2000, memory_mib=8192, pods=20, price=0.10),
        make_option("m.xlarge", zone="a", cpu=4000, memory_mib=16384, pods=20, price=0.20),
    )
    problem = Problem((make_group("web", 6, cpu="600m", memory="256Mi", hostname_spread=1),), options, ("a",))
    optimum = brute_force_optimum(problem, max_nodes=2)
    assert optimum == pytest.approx(0.20)  # 3 + 3 on two m.large, or 6 on one m.xlarge
    plan = solve(problem, FAST)
    assert verify_plan(problem, plan) == []
    assert plan.node_cost_per_hour == pytest.approx(optimum)


def test_search_keeps_a_raised_spread_within_its_skew() -> None:
    # Two nodes hold 3 replicas each (least 3, maxSkew 1). Moving the batch pods to a small node
    # of their own is cheaper but leaves an eligible node with no replica (skew 3): not allowed.
    options = (
        make_option("m.xlarge", zone="a", cpu=4000, memory_mib=16384, pods=20, price=0.20),
        make_option("m.large", zone="a", cpu=2000, memory_mib=8192, pods=20, price=0.08),
        make_option("m.small", zone="a", cpu=1200, memory_mib=4096, pods=20, price=0.03),
    )
    groups = (
        make_group("web", 6, cpu="600m", memory="256Mi", hostname_spread=1),
        make_group("batch", 2, cpu="1", memory="256Mi"),
    )
    problem = Problem(groups, options, ("a",))
    compiled = compile_problem(problem)
    start = [LnsNode(0, 0, {0: 3, 1: 1}), LnsNode(0, 0, {0: 3, 1: 1})]
    better = improve_nodes(compiled, start, budget=3.0, deadline=float("inf"))
    cost = sum(options[n.option].price_per_hour for n in better)
    assert cost < 0.40  # the search did move
    keys = [g.key for g in groups]
    nodes = tuple(
        PlannedNode(f"n{i}", options[n.option], {keys[g]: c for g, c in n.pods.items()})
        for i, n in enumerate(better)
    )
    assert verify_plan(problem, Plan(nodes, (), cost, 0.0, "search", 0.0)) == []


@pytest.mark.parametrize(("left", "starts"), [(30.0, True), (19.0, True), (17.0, False), (5.0, False)])
def test_a_per_class_model_starts_only_with_a_tenth_of_the_limit_left(
    monkeypatch: pytest.MonkeyPatch, left: float, starts: bool
) -> None:
    """Building a per-class model is outside the wall time its solve gets, so it starts only with
    a tenth of the time limit left beyond the verifier's reserve (120 s: 0.3 + 6 + 12 = 18.3 s),
    and a model it skips is recorded as cut (the plan then says ``stopped_by: wall-clock``)."""
    from eks_plan.solver.budget import SolveBudget
    from eks_plan.solver.solve import _model_has_time

    budget = SolveBudget(120.0, 120.0)
    monkeypatch.setattr(budget, "left", lambda: left)
    assert _model_has_time(budget, "choosing node counts per zone") is starts
    assert (budget.stopped_by == "wall-clock") is not starts
