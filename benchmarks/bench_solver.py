"""The solver benchmark: eks-plan's plan against its own proven bound and a Karpenter-style packing.

Run from the repository root::

    python benchmarks/bench_solver.py                          # every case, the table on stdout
    python benchmarks/bench_solver.py --markdown docs/benchmarks.md
    python benchmarks/bench_solver.py --cases '1k-*' --time-limit-scale 0.5
    python benchmarks/bench_solver.py --cases 'corpus/*' --output json

Cases (PRODUCT.md §4, issue 5):

* synthetic clusters of :mod:`cluster_generator` (seed 1): 1,000 pods / 50 workloads, 10,000 / 400 and
  100,000 / 3,000, each over Karpenter's default NodePool types (``karpenter-default``: c, m, r,
  generation > 2, amd64, on-demand, us-east-1a-c) and over every current-generation type
  (``all-current``, with GPU workloads);
* every folder of ``../shared/corpus/``, planned as ``eks-plan size <folder>`` plans it with no
  ``eks-plan.yaml`` (default pool, replicas ``max``).

Each solve runs in a fresh ``python`` subprocess (``--solve-case``), so its time and peak memory
(``getrusage(RUSAGE_SELF).ru_maxrss`` of that process: catalogue, problem, model and solve) are the
case's own. The solver gets the time limit of the case's target (10 s, 30 s, 120 s; corpus folders
10 s), 2 workers and seed 0, explicitly. Its plan and the baseline's are both checked by
:func:`eks_plan.solver.verify.verify_plan`. The Karpenter-style packing (:mod:`karpenter_baseline`)
runs in this process over the same node options.

Targets (on a 2-core machine): gap to the bound at most 1% / 2% / 3% within 10 / 30 / 120 s for
1k / 10k / 100k pods, under 4 GiB at 100k; never costlier than the baseline; at least 20% cheaper
than it on the mixed (synthetic) cases.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
# The tree this script is in is what gets measured, not whatever eks-plan is installed (a
# non-editable `pip install .` from an older commit once answered these imports).
sys.path.insert(0, str(REPO_ROOT))

from cluster_generator import ALL_CURRENT, KARPENTER_DEFAULT  # noqa: E402

SEED = 1  # the generator's seed for every synthetic case
SOLVER_SEED = 0
WORKERS = 2
GIB = 2**30
#: Steps of the speed probe (:func:`speed_probe`), about a second of pure Python on this machine.
SPEED_PROBE_STEPS = 10_000_000
#: The best verified plan known for each case, from long runs (``--record-best``): the excess of
#: a plan over it tells plan weakness from bound weakness.
BEST_KNOWN = BENCHMARKS / "best_known.json"
MIXED_SAVING_TARGET = 0.20
CORPUS_INCLUDE = ("*.injected",)


@dataclass(frozen=True, slots=True)
class Case:
    """One benchmark row: what to plan, the solver's time limit and the targets it is held to."""

    name: str
    time_limit_seconds: float
    gap_target: float | None = None
    memory_target_bytes: int | None = None
    mixed: bool = False  # a mixed workload: the plan must be >= 20% cheaper than the baseline
    pods: int = 0
    workloads: int = 0
    instance_types: str = ""
    corpus_folder: str = ""


def synthetic_cases() -> list[Case]:
    sizes = (
        ("1k", 1_000, 50, 10.0, 0.01, None),
        ("10k", 10_000, 400, 30.0, 0.02, None),
        ("100k", 100_000, 3_000, 120.0, 0.03, 4 * GIB),
    )
    return [
        Case(
            f"{label}-{types}",
            seconds,
            gap,
            memory,
            mixed=True,
            pods=pods,
            workloads=workloads,
            instance_types=types,
        )
        for label, pods, workloads, seconds, gap, memory in sizes
        for types in (KARPENTER_DEFAULT, ALL_CURRENT)
    ]


def corpus_cases() -> list[Case]:
    if not CORPUS.is_dir():
        return []
    return [
        Case(f"corpus/{folder.name}", 10.0, corpus_folder=str(folder))
        for folder in sorted(CORPUS.iterdir())
        if folder.is_dir()
    ]


def all_cases() -> list[Case]:
    return synthetic_cases() + corpus_cases()


def build_problem(case: Case) -> Any:
    """The case's :class:`~eks_plan.solver.problem.Problem` (the same in the parent and the child)."""
    if case.corpus_folder:
        return corpus_problem(Path(case.corpus_folder))
    from cluster_generator import generate_problem

    return generate_problem(case.pods, case.workloads, seed=SEED, instance_types=case.instance_types)


def corpus_problem(folder: Path) -> Any:
    """A corpus folder's problem, built as ``eks-plan size <folder>`` builds it (no eks-plan.yaml)."""
    from eks_plan.catalog import load_catalog
    from eks_plan.config import load_config
    from eks_plan.config.checks import validate_zones
    from eks_plan.manifests import ReplicaMode, load_manifests
    from eks_plan.planning import build_loaded_cluster

    config = load_config(None)
    catalog = load_catalog()
    validate_zones(config, catalog.zones(config.region))
    # istio-injected's files end in .yaml.injected; the CLI reads them with --include '*.injected'.
    manifests = load_manifests([folder], include=CORPUS_INCLUDE, replicas=ReplicaMode(config.replicas.value))
    return build_loaded_cluster(manifests, config, catalog).problem


# --- the child: one solve ------------------------------------------------------------------------


def solve_case(case: Case, time_limit_seconds: float, workers: int) -> dict[str, Any]:
    """Build, solve and verify one case in this process; what the parent reads back as JSON."""
    from eks_plan.solver import solve
    from eks_plan.solver.problem import SolveOptions
    from eks_plan.solver.verify import verify_plan

    problem = build_problem(case)
    options = SolveOptions(time_limit_seconds=time_limit_seconds, workers=workers, seed=SOLVER_SEED)
    started = time.perf_counter()
    plan = solve(problem, options)
    seconds = time.perf_counter() - started
    violations = verify_plan(problem, plan)
    return {
        "cost_per_hour": plan.node_cost_per_hour,
        "lower_bound_per_hour": plan.lower_bound_per_hour,
        "gap": plan.gap,
        "status": plan.status,
        "stopped_by": plan.stopped_by,
        "nodes": len(plan.nodes),
        "unschedulable_pods": sum(item.count for item in plan.unschedulable),
        "solve_seconds": seconds,
        "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # Linux: KiB
        "violations": [str(violation) for violation in violations[:10]],
    }


def solve_in_subprocess(case: Case, time_limit_seconds: float, workers: int) -> dict[str, Any]:
    """:func:`solve_case` in a fresh interpreter, so time and memory are the case's own."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--solve-case",
        case.name,
        "--time-limit",
        repr(time_limit_seconds),
        "--workers",
        str(workers),
    ]
    # Generous: the solver must stop at its limit; this only catches a hang.
    timeout = time_limit_seconds * 3 + 300
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s"}
    if completed.returncode != 0:
        last_lines = completed.stderr.strip().splitlines()[-3:]
        return {"error": f"exit {completed.returncode}: {' | '.join(last_lines)}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- the parent: baseline, rows, table -----------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One line of the table (``None``: not measured, e.g. the solve failed)."""

    case: str
    pods: int
    workloads: int
    instance_types: int
    node_options: int
    time_limit_seconds: float
    cost_per_hour: float | None = None
    lower_bound_per_hour: float | None = None
    gap: float | None = None
    nodes: int | None = None
    unschedulable_pods: int | None = None
    solve_seconds: float | None = None
    peak_memory_bytes: int | None = None
    baseline_cost_per_hour: float = 0.0
    baseline_nodes: int = 0
    baseline_unschedulable_pods: int = 0
    baseline_seconds: float = 0.0
    saving: float | None = None
    baseline_over_bound: float | None = None
    targets: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stopped_by: str = ""  # what ended the solve: its work budget, or the wall clock's net
    best_known_per_hour: float | None = None
    excess_over_best: float | None = None


def run_case(case: Case, time_limit_scale: float, workers: int) -> Row:
    from karpenter_baseline import pack

    from eks_plan.solver.verify import verify_plan

    try:
        problem = build_problem(case)
    except Exception as error:  # a case that cannot be built is a row with the reason, not a crash
        row = Row(case.name, 0, 0, 0, 0, case.time_limit_seconds * time_limit_scale)
        row.notes.append(f"could not build the problem: {type(error).__name__}: {error}")
        return row
    row = Row(
        case=case.name,
        pods=sum(group.count for group in problem.pod_groups),
        workloads=len(problem.pod_groups),
        instance_types=len({option.instance_type for option in problem.node_options}),
        node_options=len(problem.node_options),
        time_limit_seconds=case.time_limit_seconds * time_limit_scale,
    )
    baseline = pack(problem)
    row.baseline_cost_per_hour = baseline.cost_per_hour
    row.baseline_nodes = len(baseline.nodes)
    row.baseline_unschedulable_pods = sum(item.count for item in baseline.unschedulable)
    row.baseline_seconds = baseline.seconds
    baseline_violations = verify_plan(problem, baseline.as_plan())
    if baseline_violations:
        row.notes.append(f"baseline breaks {len(baseline_violations)} rules, e.g. {baseline_violations[0]}")
    del problem, baseline

    result = solve_in_subprocess(case, row.time_limit_seconds, workers)
    if "error" in result:
        row.notes.append(f"eks-plan failed: {result['error']}")
        return row
    for name in (
        "cost_per_hour",
        "lower_bound_per_hour",
        "gap",
        "nodes",
        "unschedulable_pods",
        "solve_seconds",
        "peak_memory_bytes",
    ):
        setattr(row, name, result[name])
    if result["violations"]:
        row.notes.append(f"eks-plan plan breaks rules, e.g. {result['violations'][0]}")
    row.stopped_by = str(result.get("stopped_by", ""))
    if row.stopped_by == "wall-clock":
        row.notes.append(
            "the wall clock cut the solve short before its work budget ended: on another run or "
            "machine this row may differ"
        )
    if row.unschedulable_pods != row.baseline_unschedulable_pods:
        row.notes.append(
            f"unschedulable pods: eks-plan {row.unschedulable_pods}, "
            f"baseline {row.baseline_unschedulable_pods}"
        )
    cost = row.cost_per_hour
    assert cost is not None and row.lower_bound_per_hour is not None
    if row.baseline_cost_per_hour > 0:
        row.saving = 1 - cost / row.baseline_cost_per_hour
    if row.lower_bound_per_hour > 0:
        row.baseline_over_bound = row.baseline_cost_per_hour / row.lower_bound_per_hour - 1
    row.targets = evaluate_targets(case, row, verified=not result["violations"])
    best = load_best_known().get(case.name)
    if best is not None and best["unschedulable_pods"] == row.unschedulable_pods:
        row.best_known_per_hour = best["cost_per_hour"]
        if best["cost_per_hour"] > 0:
            row.excess_over_best = cost / best["cost_per_hour"] - 1
    return row


def load_best_known(path: Path = BEST_KNOWN) -> dict[str, dict[str, Any]]:
    """Per case, the best verified plan of a long run: cost, unplaced pods, command, commit, date."""
    if not path.is_file():
        return {}
    loaded: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def current_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT
    ).stdout.strip()


def record_best_known(
    rows: list[Row], command: str, path: Path = BEST_KNOWN, commit: str | None = None
) -> list[str]:
    """Keep each row's plan in ``path`` when it is verified and better than the one known (fewer
    pods unplaced, else cheaper); returns the cases updated. ``commit``: the code's commit when
    the run started (default: now)."""
    known = load_best_known(path)
    commit = commit if commit is not None else current_commit()
    updated = []
    for row in rows:
        if row.cost_per_hour is None or row.targets.get("verified") is not True:
            continue
        old = known.get(row.case)
        if old is not None and (old["unschedulable_pods"], old["cost_per_hour"]) <= (
            row.unschedulable_pods,
            row.cost_per_hour + 1e-9,
        ):
            continue
        known[row.case] = {
            "cost_per_hour": row.cost_per_hour,
            "unschedulable_pods": row.unschedulable_pods,
            "time_limit_seconds": row.time_limit_seconds,
            "command": command,
            "commit": commit or "unknown",
            "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        }
        updated.append(row.case)
    path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return updated


def evaluate_targets(case: Case, row: Row, *, verified: bool) -> dict[str, bool]:
    """Which of the case's targets the row meets (only the targets the case has)."""
    met: dict[str, bool] = {"verified": verified}
    if case.gap_target is not None and row.gap is not None:
        met["gap"] = row.gap <= case.gap_target + 1e-9
    if case.gap_target is not None and row.solve_seconds is not None:
        met["time"] = row.solve_seconds <= case.time_limit_seconds
    if case.memory_target_bytes is not None and row.peak_memory_bytes is not None:
        met["memory"] = row.peak_memory_bytes < case.memory_target_bytes
    same_pods = row.unschedulable_pods == row.baseline_unschedulable_pods
    if row.cost_per_hour is not None and same_pods:
        met["not costlier"] = row.cost_per_hour <= row.baseline_cost_per_hour + 1e-9
        if case.mixed and row.saving is not None:
            met["saving"] = row.saving >= MIXED_SAVING_TARGET
    return met


def _money(value: float | None) -> str:
    """Dollars per hour: cents for big clusters, 4 decimals for the small corpus folders."""
    if value is None:
        return "-"
    return f"{value:,.2f}" if value >= 100 else f"{value:.4f}"


def _percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _mark(row: Row, target: str) -> str:
    if target not in row.targets:
        return ""
    return " ✓" if row.targets[target] else " ✗"


def table_lines(rows: list[Row], cases: dict[str, Case]) -> list[str]:
    """The comparison as a Markdown table (readable as plain text too)."""
    header = (
        "| case | pods | workloads | instance types | eks-plan $/h | proven bound $/h | gap (target) "
        "| baseline $/h | saving vs baseline (target) | baseline over bound | solve s (limit) "
        "| peak memory | unplaced eks-plan / baseline | best known $/h | excess over best known |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in rows:
        case = cases[row.case]
        gap_target = f" (≤{case.gap_target * 100:g}%)" if case.gap_target is not None else ""
        saving_target = " (≥20%)" if case.mixed else " (≥0%)"
        memory_target = " (<4 GiB)" if case.memory_target_bytes else ""
        memory = "-" if row.peak_memory_bytes is None else f"{row.peak_memory_bytes / 2**20:,.0f} MiB"
        seconds = "-" if row.solve_seconds is None else f"{row.solve_seconds:.1f}"
        unplaced = f"{'-' if row.unschedulable_pods is None else row.unschedulable_pods} / "
        unplaced += str(row.baseline_unschedulable_pods)
        saving_mark = _mark(row, "saving") or _mark(row, "not costlier")
        invalid = " ✗ (breaks rules)" if row.targets.get("verified") is False else ""
        lines.append(
            f"| {row.case} | {row.pods:,} | {row.workloads:,} | {row.instance_types} "
            f"| {_money(row.cost_per_hour)}{invalid} "
            f"| {_money(row.lower_bound_per_hour)} "
            f"| {_percent(row.gap, 2)}{gap_target}{_mark(row, 'gap')} "
            f"| {_money(row.baseline_cost_per_hour)} "
            f"| {_percent(row.saving)}{saving_target}{saving_mark} "
            f"| {_percent(row.baseline_over_bound)} "
            f"| {seconds} ({row.time_limit_seconds:g}){_mark(row, 'time')} "
            f"| {memory}{memory_target}{_mark(row, 'memory')} "
            f"| {unplaced} "
            f"| {_money(row.best_known_per_hour)} "
            f"| {_percent(row.excess_over_best, 2)} |"
        )
    return lines


def speed_probe(steps: int = SPEED_PROBE_STEPS) -> float:
    """Seconds a fixed pure-Python loop takes now: the machine's speed at the moment.

    The rows cut by the wall clock depend on it, and it varies on the shared benchmark machine:
    the same loop took 0.73 to 1.33 s within a minute on an idle machine (2026-12-01), and the
    10k all-current case at 30 s gave $514.57/h at 10:35 and $545.24/h at 11:50 on commit 2dd8d37.
    A probe before each synthetic case puts that variation in the report beside the rows.
    """
    start = time.perf_counter()
    sum(i * i for i in range(steps))
    return time.perf_counter() - start


def markdown_document(
    rows: list[Row],
    cases: dict[str, Case],
    command: str,
    scale: float,
    load: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
    speed: dict[str, float] | None = None,
) -> str:
    from importlib.metadata import version

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT
    ).stdout.strip()
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    lines = [
        "# Solver benchmark",
        "",
        "eks-plan's plan for each case against the lower bound the solver proves and against a",
        "Karpenter-style greedy packing of the same pods over the same node options",
        "(`benchmarks/karpenter_baseline.py`). Generated by `benchmarks/bench_solver.py`;",
        "do not edit by hand.",
        "",
        f"- Command: `{command}`",
        f"- Commit: `{commit or 'unknown'}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores, {memory_gib:.0f} GiB, {platform.machine()}, "
        f"Python {platform.python_version()}, OR-Tools {version('ortools')}",
        f"- Solver: `SolveOptions(time_limit_seconds=<limit>, workers={WORKERS}, seed={SOLVER_SEED})`, "
        "one fresh process per case (peak memory is that process's maximum resident set)",
        f"- Synthetic clusters: `benchmarks/cluster_generator.py`, seed {SEED}; `karpenter-default` = "
        "Karpenter's getting-started NodePool types (c, m, r; generation > 2; amd64; on-demand; "
        "us-east-1a-c), `all-current` = every current-generation type, with GPU workloads",
        "- Corpus folders: planned as `eks-plan size <folder>` plans them with no `eks-plan.yaml`",
    ]
    if load is not None:
        lines.append(
            "- Load average (1, 5, 15 min) on the shared machine: "
            + " at the start, ".join(", ".join(f"{value:.1f}" for value in sample) for sample in load)
            + " at the end"
        )
    if speed:
        lines.append(
            f"- Speed probe before each synthetic case (a fixed Python loop of {SPEED_PROBE_STEPS:,} steps, "
            "seconds; lower is faster; the same idle machine has measured 0.73-1.33 s): "
            + ", ".join(f"{name} {seconds:.2f}" for name, seconds in speed.items())
        )
    if scale != 1:
        lines.append(f"- Time limits scaled by {scale:g} (the targets are not)")
    lines += [
        "",
        "Targets (PRODUCT.md §4): gap ≤ 1% / 2% / 3% within 10 / 30 / 120 s for 1k / 10k / 100k pods, "
        "under 4 GiB at 100k; never costlier than the baseline; ≥ 20% cheaper on the mixed (synthetic) "
        'cases. ✓ met, ✗ missed. "Baseline over bound" is how much more the greedy plan costs than '
        'the proven bound. "Best known" is the cheapest verified plan of a long run '
        "(`benchmarks/best_known.json`, with its command, commit and date; `-`: no long run), and "
        '"excess over best known" how much more this plan costs: the part of the gap that is the '
        "plan's (the rest is the bound's).",
        "",
        *table_lines(rows, cases),
    ]
    split = [
        f"- **{row.case}**: gap {_percent(row.gap, 2)} = "
        f"{_percent(1 - row.best_known_per_hour / row.cost_per_hour, 2)} from the plan to the best known + "
        f"{_percent((row.best_known_per_hour - row.lower_bound_per_hour) / row.cost_per_hour, 2)} "
        "from the best known to the bound (shares of the plan's cost, as the gap)"
        for row in rows
        if row.excess_over_best is not None
        and row.best_known_per_hour
        and row.lower_bound_per_hour
        and row.cost_per_hour
    ]
    if split:
        lines += ["", "Where the gap is (plan or bound):", "", *split]
    known = load_best_known()
    if known:
        lines += ["", "Best known plans (`benchmarks/best_known.json`):", ""]
        for name, entry in sorted(known.items()):
            lines.append(
                f"- **{name}**: {_money(entry['cost_per_hour'])} $/h, "
                f"{entry['time_limit_seconds']:g} s limit, `{entry['command']}` at `{entry['commit']}`, "
                f"{entry['date']}"
            )
        missing = sorted(name for name in cases if name not in known and not cases[name].corpus_folder)
        if missing:
            lines.append(f"- no long run: {', '.join(missing)}")
    notes = [f"- **{row.case}**: {note}" for row in rows for note in row.notes]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


def select_cases(patterns: list[str] | None) -> list[Case]:
    cases = all_cases()
    if not patterns:
        return cases
    chosen = [case for case in cases if any(fnmatch.fnmatchcase(case.name, p) for p in patterns)]
    if not chosen:
        names = ", ".join(case.name for case in cases)
        raise SystemExit(f"no case matches {' '.join(patterns)}; the cases are: {names}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="+", metavar="GLOB", help="case names or globs (default: all)")
    parser.add_argument(
        "--time-limit-scale", type=float, default=1.0, help="multiply every time limit (default 1)"
    )
    parser.add_argument("--workers", type=int, default=WORKERS, help="solver workers (default 2)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the report to FILE")
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--record-best",
        action="store_true",
        help=f"keep every verified plan cheaper than the best known in {BEST_KNOWN.name} (long runs)",
    )
    parser.add_argument("--solve-case", help=argparse.SUPPRESS)
    parser.add_argument("--time-limit", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    cases = {case.name: case for case in all_cases()}
    if args.solve_case:
        result = solve_case(cases[args.solve_case], args.time_limit, args.workers)
        print(json.dumps(result))
        return 0
    if args.list:
        for case in cases.values():
            print(case.name)
        return 0

    rows: list[Row] = []
    speed: dict[str, float] = {}
    load_at_start = os.getloadavg()
    commit_at_start = current_commit()
    for case in select_cases(args.cases):
        limit = case.time_limit_seconds * args.time_limit_scale
        if not case.corpus_folder:
            speed[case.name] = speed_probe()
            print(f"{case.name}: speed probe {speed[case.name]:.2f} s", file=sys.stderr)
        print(f"{case.name}: packing the baseline, then solving ({limit:g} s)...", file=sys.stderr)
        row = run_case(case, args.time_limit_scale, args.workers)
        print(
            f"  eks-plan {_money(row.cost_per_hour)} $/h, bound {_money(row.lower_bound_per_hour)}, "
            f"baseline {_money(row.baseline_cost_per_hour)}",
            file=sys.stderr,
        )
        rows.append(row)

    command = "python benchmarks/bench_solver.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.output == "json":
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print("\n".join(table_lines(rows, cases)))
        for row in rows:
            for note in row.notes:
                print(f"{row.case}: {note}")
    if args.record_best:
        updated = record_best_known(rows, command.strip(), commit=commit_at_start)
        print(f"best known plans updated: {', '.join(updated) or 'none'}", file=sys.stderr)
    if args.markdown:
        from eks_plan.cli.output import write_atomically

        write_atomically(
            args.markdown,
            markdown_document(
                rows,
                cases,
                command.strip(),
                args.time_limit_scale,
                (load_at_start, os.getloadavg()),
                speed,
            ),
        )
        print(f"wrote {args.markdown}", file=sys.stderr)
    failed = any(not all(row.targets.values()) or not row.targets for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
