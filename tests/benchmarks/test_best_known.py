"""The benchmark's best known plans: recorded from long runs only when verified and cheaper, and
shown beside each row with the plan's excess over them."""

from __future__ import annotations

import json
from pathlib import Path

import bench_solver
from bench_solver import Case, Row, load_best_known, markdown_document, record_best_known

ONE_K = Case("1k-karpenter-default", 10.0, 0.01, None, mixed=True, pods=1_000, workloads=50)


def _row(cost: float, *, verified: bool = True, unplaced: int = 0) -> Row:
    row = Row("1k-karpenter-default", 1_000, 50, 714, 2142, 300.0)
    row.cost_per_hour = cost
    row.lower_bound_per_hour = 40.0
    row.gap = 1 - 40.0 / cost
    row.unschedulable_pods = unplaced
    row.targets = {"verified": verified}
    return row


def test_only_verified_better_plans_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "best.json"
    assert record_best_known([_row(45.0)], "long run 1", path) == ["1k-karpenter-default"]
    assert record_best_known([_row(46.0)], "long run 2", path) == []
    assert record_best_known([_row(44.0, verified=False)], "long run 3", path) == []
    assert record_best_known([_row(44.5)], "long run 4", path) == ["1k-karpenter-default"]
    entry = load_best_known(path)["1k-karpenter-default"]
    assert (entry["cost_per_hour"], entry["command"], entry["time_limit_seconds"]) == (
        44.5,
        "long run 4",
        300.0,
    )
    # Fewer pods placed is no better plan, however cheap.
    assert record_best_known([_row(30.0, unplaced=3)], "long run 5", path) == []
    assert json.loads(path.read_text())["1k-karpenter-default"]["unschedulable_pods"] == 0


def test_the_report_splits_the_gap_between_plan_and_bound(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "best.json"
    record_best_known([_row(44.0)], "python benchmarks/bench_solver.py --time-limit-scale 30", path)
    monkeypatch.setattr(bench_solver, "BEST_KNOWN", path)
    monkeypatch.setattr(bench_solver.load_best_known, "__defaults__", (path,))
    row = _row(46.2)
    row.best_known_per_hour = 44.0
    row.excess_over_best = 46.2 / 44.0 - 1
    text = markdown_document([row], {ONE_K.name: ONE_K}, "python benchmarks/bench_solver.py", 1.0)
    assert "| best known $/h | excess over best known |" in text
    assert "| 44.0000 | 5.00% |" in text
    # gap 1 - 40/46.2 = 13.42% = (46.2 - 44) / 46.2 + (44 - 40) / 46.2
    assert (
        "gap 13.42% = 4.76% from the plan to the best known + 8.66% from the best known to the bound" in text
    )
    assert "--time-limit-scale 30" in text


def test_the_report_shows_the_speed_probe_before_each_synthetic_case() -> None:
    text = markdown_document(
        [_row(46.2)],
        {ONE_K.name: ONE_K},
        "python benchmarks/bench_solver.py",
        1.0,
        speed={ONE_K.name: 0.9251},
    )
    assert "- Speed probe before each synthetic case" in text
    assert f"{ONE_K.name} 0.93" in text
