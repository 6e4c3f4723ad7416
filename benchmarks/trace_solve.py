"""Where a solve's wall time goes: each phase the solver announces, timed, and each better plan.

The benchmark's synthetic rows are cut by the wall clock on the 2-core machine, and where the cut
falls decides the plan: at 1,000 pods the pattern stage needs about 7 wall seconds, and when the
cut came before its integer master the solve kept first-fit's plan ($47.54/h against $45.06/h).
This script solves one synthetic case of ``bench_solver.py`` in this process with an observer
that records when each phase starts and each improvement of the plan, and prints them, so that
such a cut shows at once. Phases are the solver's own messages (``SolveObserver.on_phase``), so
the pattern stage's batches show one by one.

Run from the repository root (a trace measures wall time: run it on an otherwise idle machine)::

    python benchmarks/trace_solve.py 1k-karpenter-default                # the case's limit, 10 s
    python benchmarks/trace_solve.py 10k-all-current --work 30 --time-limit 900   # work only
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(BENCHMARKS.parent))  # this tree's eks_plan, not an installed one

from bench_solver import SOLVER_SEED, WORKERS, all_cases, build_problem  # noqa: E402

from eks_plan.solver import solve  # noqa: E402
from eks_plan.solver.plan import Plan  # noqa: E402
from eks_plan.solver.problem import Problem, SolveOptions  # noqa: E402


@dataclass
class PhaseTimer:
    """A solve observer that keeps each phase with its wall seconds and each better plan.

    ``phases`` holds ``(message, seconds)`` of the phases that ended, in order (:meth:`finish`
    ends the last one). ``progress`` holds ``(elapsed seconds, cost or None, bound)`` as reported.
    """

    clock: float = field(default_factory=time.perf_counter)
    phases: list[tuple[str, float]] = field(default_factory=list)
    progress: list[tuple[float, float | None, float]] = field(default_factory=list)
    _open: tuple[str, float] | None = None

    def on_phase(self, message: str) -> None:
        self.finish()
        self._open = (message, time.perf_counter())

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
        self.progress.append((elapsed_seconds, best_cost, bound))

    def finish(self) -> None:
        """End the phase in progress, if any, at the present moment."""
        if self._open is not None:
            message, started = self._open
            self.phases.append((message, time.perf_counter() - started))
            self._open = None


def trace(problem: Problem, options: SolveOptions) -> tuple[Plan, PhaseTimer, float]:
    """Solve ``problem`` with a :class:`PhaseTimer`; the plan, the timer and the total seconds."""
    timer = PhaseTimer()
    plan = solve(problem, options, timer)
    timer.finish()
    return plan, timer, time.perf_counter() - timer.clock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    synthetic = [case for case in all_cases() if not case.corpus_folder]
    parser.add_argument("case", choices=[case.name for case in synthetic], help="a synthetic case")
    parser.add_argument("--time-limit", type=float, help="wall seconds (default: the case's limit)")
    parser.add_argument("--work", type=float, help="deterministic work (default: the time limit)")
    parser.add_argument("--seed", type=int, default=SOLVER_SEED)
    args = parser.parse_args()

    case = next(case for case in synthetic if case.name == args.case)
    problem = build_problem(case)
    limit = args.time_limit if args.time_limit is not None else case.time_limit_seconds
    options = SolveOptions(time_limit_seconds=limit, work_limit=args.work, workers=WORKERS, seed=args.seed)
    plan, timer, total = trace(problem, options)
    for message, seconds in timer.phases:
        print(f"{seconds:7.2f} s  {message}")
    print("improvements (elapsed s, $/h, bound $/h):")
    for elapsed, cost, bound in timer.progress:
        print(f"  {elapsed:7.2f}  {'-' if cost is None else f'{cost:.4f}'}  {bound:.4f}")
    print(
        f"plan ${plan.node_cost_per_hour:.4f}/h, bound ${plan.lower_bound_per_hour:.4f}/h, "
        f"stopped by {plan.stopped_by}, {total:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
