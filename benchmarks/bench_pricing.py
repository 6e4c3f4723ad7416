"""How close the pattern master's pricings come to the exact node values, and at what cost.

Column generation (:mod:`eks_plan.solver.patterns`) prices each node option with a knapsack
over the workload groups valued at the master's duals. This script takes one batch of a
synthetic case (the rows a batch master of the solve gets), runs its column generation with the
greedy pricing alone until no greedy column prices out (or ``--work`` is spent), and then, at
those duals, compares for every option:

* the greedy fills (:meth:`_Pricer.price`'s knapsacks);
* the rounded linear relaxations (:meth:`_Pricer.rounded`), over all options and over those
  whose surrogate bound prices out (what the solve runs);
* the exact value (CP-SAT, :meth:`_Pricer.exact`, one knapsack per option).

It prints, as shares of each option's price, how far each pricing's best node falls below the
exact value (mean and max), how many options each prices out (negative reduced cost), how far the
relaxation and the surrogate bound sit above the exact value, and the wall time of each.

Run from the repository root, on an otherwise idle machine (it measures wall time)::

    python benchmarks/bench_pricing.py                                  # 10k-all-current, batch 0
    python benchmarks/bench_pricing.py --case 10k-karpenter-default --batch 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(BENCHMARKS.parent))  # this tree's eks_plan, not an installed one

from bench_solver import all_cases, build_problem  # noqa: E402

from eks_plan.solver import patterns  # noqa: E402
from eks_plan.solver.budget import SolveBudget  # noqa: E402
from eks_plan.solver.compat import compile_problem  # noqa: E402
from eks_plan.solver.lns import _useful_options  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="10k-all-current", help="a synthetic case of bench_solver.py")
    parser.add_argument("--batch", type=int, default=0, help="which batch of the case's rows (0 first)")
    parser.add_argument("--work", type=float, default=200.0, help="most work of the greedy column generation")
    parser.add_argument("--exact-work", type=float, default=0.2, help="deterministic s per exact knapsack")
    args = parser.parse_args()

    cases = {case.name: case for case in all_cases()}
    if args.case not in cases or cases[args.case].corpus_folder:
        parser.error(f"--case must be a synthetic case: {', '.join(n for n in cases if '/' not in n)}")
    problem = build_problem(cases[args.case])
    compiled = compile_problem(problem)
    rows = patterns.build_rows(compiled, [group.count for group in problem.pod_groups])
    zone_of = patterns.free_zones(compiled, rows)
    batches = patterns.batch_rows_of(compiled, rows, patterns.BATCH_ROWS, zone_of)
    if not 0 <= args.batch < len(batches):
        parser.error(f"--batch must be from 0 to {len(batches) - 1}")
    sub = patterns._sub_rows(compiled, rows, batches[args.batch], zone_of)

    budget = SolveBudget(10_000.0, 10_000.0)
    # Greedy pricing alone: no stronger pricing at its end, so the duals are where it stops.
    patterns.EXACT_OPTIONS = 0
    started = time.perf_counter()
    master, result = patterns.column_generation(
        compiled, sub, [], args.work, budget, useful=_useful_options(compiled), homogeneous=True
    )
    print(
        f"{args.case}, batch {args.batch} of {len(batches)}: {len(sub.keys)} rows, "
        f"greedy column generation LP ${result.lp_value:,.2f}/h, converged {result.converged}, "
        f"{result.work:.2f} deterministic s, {time.perf_counter() - started:.1f} s"
    )
    pricer = master.pricer
    value = pricer.values(master.duals)
    price = pricer.prices
    count = len(pricer.options)

    started = time.perf_counter()
    exact = np.array([pricer.exact(i, value, budget, args.exact_work, 600.0)[0] for i in range(count)])
    exact_seconds = time.perf_counter() - started

    started = time.perf_counter()
    greedy = pricer._greedy(value, [value / size for size in pricer.sizes])
    greedy_seconds = time.perf_counter() - started
    greedy_worth = (greedy * value[None, :, :]).sum(axis=2).max(axis=0)

    started = time.perf_counter()
    contents, relaxed = pricer.rounded(value, np.arange(count), 600.0)
    rounded_seconds = time.perf_counter() - started
    rounded_worth = (contents * value[None, :, :]).sum(axis=2).max(axis=0)

    surrogate = pricer.upper_values(value)
    by_resource = pricer.upper_values(value, mixed=False)
    candidates = np.flatnonzero(surrogate - price > patterns.EPSILON * np.maximum(price, 1.0))
    started = time.perf_counter()
    pricer.rounded(value, candidates, 600.0)
    candidate_seconds = time.perf_counter() - started

    def row(name: str, worth: np.ndarray, seconds: float) -> None:
        below = (exact - worth) / price
        out = int((price - worth < -patterns.EPSILON * np.maximum(price, 1.0)).sum())
        print(
            f"  {name:<34} below exact: mean {below.mean():6.2%}, max {below.max():6.2%}; "
            f"prices out {out:>3} options; {seconds * 1000:8.1f} ms"
        )

    print(f"at the greedy's last duals, {count} options:")
    row("greedy fills", greedy_worth, greedy_seconds)
    row("rounded relaxations (all options)", rounded_worth, rounded_seconds)
    row("exact (CP-SAT)", exact, exact_seconds)
    print(
        f"  rounded relaxations over the {len(candidates)} options whose surrogate bound prices out: "
        f"{candidate_seconds * 1000:.1f} ms"
    )
    bounds = {"relaxation": relaxed, "surrogate bound": surrogate, "bound by resource": by_resource}
    for name, bound in bounds.items():
        above = (bound - exact) / price
        print(f"  {name:<18} above exact: mean {above.mean():6.2%}, min {above.min():7.4%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
