"""The benchmark runner's bookkeeping: the cases it runs and how it scores a row against its targets."""

from __future__ import annotations

import bench_solver
import pytest
from bench_solver import CORPUS, Case, Row, all_cases, evaluate_targets, select_cases, table_lines


def test_every_corpus_folder_is_one_case_in_folder_order() -> None:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: expected it at {CORPUS}")
    folders = sorted(path for path in CORPUS.iterdir() if path.is_dir())
    cases = bench_solver.corpus_cases()
    assert [case.name for case in cases] == [f"corpus/{folder.name}" for folder in folders]
    assert [case.corpus_folder for case in cases] == [str(folder) for folder in folders]


def test_case_names_are_unique_so_a_glob_picks_each_case_once() -> None:
    names = [case.name for case in all_cases()]
    assert len(names) == len(set(names))


def test_cases_are_chosen_by_glob_in_table_order() -> None:
    cases = all_cases()
    assert select_cases(None) == select_cases([]) == cases
    hundred_k = select_cases(["100k-*"])
    assert hundred_k and hundred_k == [case for case in cases if case.name.startswith("100k-")]
    first_corpus = next(case for case in cases if case.corpus_folder)
    # Two patterns: the union, in the order of all_cases (not of the patterns).
    chosen = select_cases([first_corpus.name, "1k-*"])
    assert chosen == [case for case in cases if case.name.startswith("1k-") or case is first_corpus]
    assert chosen[-1] == first_corpus
    with pytest.raises(SystemExit) as no_match:
        select_cases(["nothing-*"])
    message = str(no_match.value)
    assert message.startswith("no case matches nothing-*") and all(case.name in message for case in cases)


def row(**fields: object) -> Row:
    values: dict[str, object] = {
        "case": "10k-karpenter-default",
        "pods": 10_000,
        "workloads": 400,
        "instance_types": 714,
        "node_options": 2142,
        "time_limit_seconds": 30.0,
        "cost_per_hour": 80.0,
        "lower_bound_per_hour": 79.0,
        "gap": 1 / 80,
        "unschedulable_pods": 0,
        "solve_seconds": 29.5,
        "peak_memory_bytes": 2**30,
        "baseline_cost_per_hour": 100.0,
        "saving": 0.2,
    }
    values.update(fields)
    return Row(**values)  # type: ignore[arg-type]


TEN_K = Case("10k-karpenter-default", 30.0, 0.02, None, mixed=True, pods=10_000, workloads=400)


def test_a_row_that_meets_every_target() -> None:
    assert evaluate_targets(TEN_K, row(), verified=True) == {
        "verified": True,
        "gap": True,
        "time": True,
        "not costlier": True,
        "saving": True,
    }


def test_each_missed_target_is_reported() -> None:
    missed = evaluate_targets(
        TEN_K, row(gap=0.03, solve_seconds=31.0, cost_per_hour=85.0, saving=0.15), verified=False
    )
    assert missed == {"verified": False, "gap": False, "time": False, "not costlier": True, "saving": False}
    dearer = evaluate_targets(TEN_K, row(cost_per_hour=101.0, saving=-0.01), verified=True)
    assert dearer["not costlier"] is False


def test_costs_are_not_compared_when_the_plans_place_different_pods() -> None:
    targets = evaluate_targets(TEN_K, row(unschedulable_pods=3), verified=True)
    assert "not costlier" not in targets and "saving" not in targets


def test_table_has_one_line_per_row_with_the_marks() -> None:
    scored = row()
    scored.targets = evaluate_targets(TEN_K, scored, verified=True)
    header, rule, line = table_lines([scored], {TEN_K.name: TEN_K})
    assert header.count("|") == rule.count("|") == line.count("|")
    assert "| 80.0000 | 79.0000 | 1.25% (≤2%) ✓ | 100.00 | 20.0% (≥20%) ✓ |" in line


@pytest.mark.parametrize(("stopped_by", "noted"), [("work-limit", False), ("wall-clock", True)])
def test_a_solve_the_wall_clock_cut_short_is_noted_under_the_table(
    monkeypatch: pytest.MonkeyPatch, stopped_by: str, noted: bool
) -> None:
    """Its figures may differ from run to run, so the row says so; a solve its work budget ended
    is not noted."""
    case = next(case for case in all_cases() if case.corpus_folder)

    def solved(case: Case, limit: float, workers: int) -> dict[str, object]:
        return {
            "cost_per_hour": 1.0,
            "lower_bound_per_hour": 1.0,
            "gap": 0.0,
            "nodes": 1,
            "unschedulable_pods": 0,
            "solve_seconds": 1.0,
            "peak_memory_bytes": 2**20,
            "violations": [],
            "stopped_by": stopped_by,
        }

    monkeypatch.setattr(bench_solver, "solve_in_subprocess", solved)
    result = bench_solver.run_case(case, 1.0, 2)
    assert result.stopped_by == stopped_by
    assert any("wall clock cut the solve short" in note for note in result.notes) is noted
