"""The bound of a big problem is solved over merged groups whose requests are rounded DOWN
(``bound._merge_groups``); Farley's correction prices the merged LP's duals at the real requests
(``bound._farley_on_real_requests``). Both must stay below every plan (the brute-force optimum
on tiny problems, the solver's verified plan on bigger ones); the correction must never lose to
the merged LP and must win back what the rounding took off. (It may pass the real LP's value: it
also counts the per-node limit of pods that fit a node, which that LP leaves out.)"""

from __future__ import annotations

import random

import pytest

from eks_plan.solver import SolveOptions, bound, solve
from eks_plan.solver.compat import compile_problem
from eks_plan.solver.problem import Problem
from eks_plan.solver.verify import verify_plan
from tests.builders import make_group, make_option
from tests.solver.brute import brute_force_optimum


def _bounds(problem: Problem, monkeypatch: pytest.MonkeyPatch) -> tuple[float, float, float]:
    """(the merged LP's own value, the corrected bound, the real LP's optimum)."""
    compiled = compile_problem(problem)
    pods = [group.count for group in problem.pod_groups]
    real = bound.lp_bound(compiled, pods).bound  # few columns: every one in the LP, no merging
    with monkeypatch.context() as patched:
        # Force the merged path at the coarsest rounding (4 significant bits).
        patched.setattr(bound, "FULL_COLUMNS", 0)
        merged_only = {}

        def record(compiled, pods, merged, budget):  # type: ignore[no-untyped-def]
            merged_only["value"] = merged.bound
            return original(compiled, pods, merged, budget)

        original = bound._farley_on_real_requests
        patched.setattr(bound, "_farley_on_real_requests", record)
        corrected = bound.lp_bound(compiled, pods).bound
    return merged_only["value"], corrected, real


def test_the_worked_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """10 pods of 1,000m and 10 of 1,001m on nodes of 4,000m at $1/h. The real LP needs
    20,010m / 4,000m = 5.0025 nodes. Rounded to 4 bits both requests are 960m: 4.8 nodes, and a
    millicore costs the merged LP $1/4,000. At that price the real pods are worth $0.25 and
    $0.25025, no node holds more than its $1 of them (rho = 1): every plan costs at least
    10 x 0.25 + 10 x 0.25025 = $5.0025/h."""
    node = make_option("x.large", cpu=4000, memory_mib=100_000, pods=99, price=1.0)
    problem = Problem(
        (
            make_group("a", 10, cpu="1000m", memory="1Mi"),
            make_group("b", 10, cpu="1001m", memory="1Mi"),
        ),
        (node,),
        ("us-east-1a",),
    )
    merged_value, corrected, real = _bounds(problem, monkeypatch)
    assert merged_value == pytest.approx(4.8, rel=1e-5)
    assert corrected == pytest.approx(5.0025, rel=1e-5)
    assert real == pytest.approx(5.0025, rel=1e-5)


def _random_problem(rng: random.Random) -> Problem:
    """Groups in pairs whose requests differ by less than the rounding, so they merge."""
    groups = []
    for i in range(rng.randint(1, 4)):
        cpu, memory = rng.choice((512, 1024, 1536, 3072)), rng.choice((1024, 2048, 6144))
        hostname = rng.random() < 0.2
        for twin in "ab":
            groups.append(
                make_group(
                    f"g{i}{twin}",
                    rng.randint(1, 12),
                    cpu=f"{cpu + rng.randint(0, 60)}m",
                    memory=f"{memory + rng.randint(0, 60)}Mi",
                    anti_affinity_hostname=hostname,
                )
            )
    options = tuple(
        make_option(
            f"t{j}.large",
            cpu=rng.choice((2000, 4000, 8000, 16000)),
            memory_mib=rng.choice((4096, 8192, 16384, 32768)),
            pods=rng.choice((8, 29, 58)),
            price=round(rng.uniform(0.05, 1.0), 4),
        )
        for j in range(rng.randint(0, 4))
    )
    # One type every group fits, so that every case is a real check.
    roomy = make_option(
        "x.4xlarge", cpu=16000, memory_mib=32768, pods=58, price=round(rng.uniform(0.5, 1.5), 4)
    )
    return Problem(tuple(groups), (*options, roomy), ("us-east-1a",))


@pytest.mark.parametrize("seed", range(12))
def test_the_corrected_bound_is_below_a_verified_plan_and_above_the_merged_lp(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the solver's verified plan (so below the optimum's cost, whatever the plan), and
    never below the merged LP's value."""
    problem = _random_problem(random.Random(seed))
    merged_value, corrected, _ = _bounds(problem, monkeypatch)
    plan = solve(problem, SolveOptions(time_limit_seconds=5.0, work_limit=0.3))
    assert verify_plan(problem, plan) == [] and plan.unschedulable == ()
    assert corrected <= plan.node_cost_per_hour + 1e-9
    assert corrected >= merged_value - 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_the_corrected_bound_is_below_the_brute_force_optimum(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workloads of 1-2 pods whose requests merge, two node types: every plan is tried."""
    rng = random.Random(100 + seed)
    cpu = rng.choice((512, 1024, 1536))
    groups = tuple(
        make_group(f"g{twin}", rng.randint(1, 2), cpu=f"{cpu + rng.randint(0, 60)}m", memory="1Gi")
        for twin in "ab"
    )
    options = (
        make_option("s.large", cpu=2000, memory_mib=8192, pods=29, price=round(rng.uniform(0.05, 0.2), 4)),
        make_option("b.large", cpu=4000, memory_mib=16384, pods=29, price=round(rng.uniform(0.1, 0.4), 4)),
    )
    problem = Problem(groups, options, ("us-east-1a",))
    merged_value, corrected, _ = _bounds(problem, monkeypatch)
    assert merged_value - 1e-9 <= corrected <= brute_force_optimum(problem, max_nodes=4) + 1e-9
