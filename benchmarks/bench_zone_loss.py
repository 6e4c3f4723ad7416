"""The solver on the synthetic benchmark cases with ``tolerate_zone_loss``: what the spare nodes
for a lost zone cost, and how far the plan is from the proven bound.

The cases are :mod:`bench_solver`'s synthetic ones (same generator, seed and time limits) with
the zone-loss rule on; each is solved in this process, one after the other, and verified.
No target is set for these rows: they measure the spares (``add_zone_loss_spares``) and the
stages that pack the pods before them.

    python benchmarks/bench_zone_loss.py                   # 1k and 10k, both instance-type sets
    python benchmarks/bench_zone_loss.py --cases '1k-*' --work 10   # deterministic work budget
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_solver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="1k-*,10k-*", help="comma-separated name patterns")
    parser.add_argument(
        "--work", type=float, default=None, help="deterministic work limit (default: the time limit)"
    )
    args = parser.parse_args(argv)

    from eks_plan.solver import solve
    from eks_plan.solver.problem import SolveOptions
    from eks_plan.solver.verify import verify_plan

    patterns = args.cases.split(",")
    cases = [c for c in bench_solver.synthetic_cases() if any(fnmatch.fnmatch(c.name, p) for p in patterns)]
    print("| case | $/h | bound $/h | gap | nodes | empty nodes | their $/h | solve s (limit) | stopped by |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        problem = dataclasses.replace(bench_solver.build_problem(case), tolerate_zone_loss=True)
        options = SolveOptions(
            time_limit_seconds=case.time_limit_seconds,
            work_limit=args.work,
            workers=bench_solver.WORKERS,
            seed=bench_solver.SOLVER_SEED,
        )
        started = time.perf_counter()
        plan = solve(problem, options)
        seconds = time.perf_counter() - started
        # Empty nodes: the spares, and any node a pool's minimum adds. solve() verifies the plan
        # (it raises on a violation); the check is repeated here so that a row means a valid plan.
        assert not verify_plan(problem, plan), case.name
        spares = [node for node in plan.nodes if not node.pods]
        gap = plan.node_cost_per_hour / plan.lower_bound_per_hour - 1 if plan.lower_bound_per_hour else 0.0
        print(
            f"| {case.name} | {plan.node_cost_per_hour:,.4f} | {plan.lower_bound_per_hour:,.4f} | {gap:.2%} "
            f"| {len(plan.nodes):,} | {len(spares):,} | {sum(n.option.price_per_hour for n in spares):,.4f} "
            f"| {seconds:.1f} ({case.time_limit_seconds:g}) | {plan.stopped_by} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
