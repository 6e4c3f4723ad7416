"""benchmarks/trace_solve.py: the phase timer that shows where a solve's wall time goes."""

from __future__ import annotations

from trace_solve import PhaseTimer, trace

from eks_plan.resources import Resources
from eks_plan.scheduling.pod import PodSpec
from eks_plan.solver.problem import NodeOption, PodGroup, Problem, SolveOptions


def test_the_timer_keeps_every_phase_in_order_with_its_seconds() -> None:
    pod = PodSpec("shop", (("app", "web"),), Resources({"cpu": 500, "pods": 1}))
    node = NodeOption("default", "m.large", "a", "on-demand", 0.1, Resources({"cpu": 2000, "pods": 29}))
    problem = Problem((PodGroup("Deployment/shop/web", 3, pod),), (node,), ("a",))

    plan, timer, total = trace(problem, SolveOptions(time_limit_seconds=30, work_limit=0.5, seed=0))

    names = [name for name, _ in timer.phases]
    assert names[0] == "matching workloads to node options"
    assert names[-1] == "verifying the plan node by node"
    assert all(seconds >= 0 for _, seconds in timer.phases)
    assert sum(seconds for _, seconds in timer.phases) <= total
    assert timer.progress[-1][1] == plan.node_cost_per_hour  # the last report is the plan's cost
    assert round(plan.node_cost_per_hour, 4) == 0.1  # three 500m pods on one 2-cpu node


def test_finish_ends_only_the_phase_in_progress() -> None:
    timer = PhaseTimer()
    timer.finish()
    assert timer.phases == []
    timer.on_phase("first")
    timer.on_phase("second")
    timer.finish()
    timer.finish()
    assert [name for name, _ in timer.phases] == ["first", "second"]
