"""Human output of ``size`` and ``check-ips`` at 80 and 120 columns, against golden files.

Rendered in process with the reports' own functions on a recording Rich console. The size plan is
of a small input (tests/golden/inputs/small) that the solver proves optimal with one worker in
well under a second, so the plan is the same on every run and machine; its one timing field
(solve seconds) is rendered as 0.0. See tests/golden_files.py to regenerate the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from golden_files import GOLDEN, WIDTHS, assert_golden, render_text

SMALL = GOLDEN / "inputs" / "small"
REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN_SMALL = "tests/network/fixtures/plan-small.json"  # relative: the report names the file


@pytest.fixture(scope="module")
def small_plan() -> tuple[dict[str, Any], Any]:
    from eks_plan.planning import size_cluster
    from eks_plan.report.size import plan_file_data

    result = size_cluster(
        [SMALL / "manifests.yaml"], config_path=SMALL / "eks-plan.yaml", time_limit_seconds=30, workers=1
    )
    data = plan_file_data(result.plan, result.planning)
    # The golden file is only the same on every run if the plan is the proven optimum.
    assert data["lower_bound_per_hour"] == pytest.approx(data["node_cost_per_hour"], abs=1e-9), data
    data["solve_seconds"] = 0.0
    return data, result


@pytest.mark.parametrize("width", WIDTHS)
def test_size_report(small_plan: tuple[dict[str, Any], Any], width: int) -> None:
    from eks_plan.plan.document import PlanDocument
    from eks_plan.report.size import render_plan

    data, _ = small_plan

    document = PlanDocument.from_dict(data)
    text = render_text(lambda console: render_plan(document, console), width)
    assert_golden(f"size-small-{width}.txt", text)


@pytest.fixture(autouse=True)
def in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths, so the reports name files the same on every machine; no eks-plan.yaml here."""
    monkeypatch.chdir(REPO_ROOT)
    assert not (REPO_ROOT / "eks-plan.yaml").exists()


def check_ips_report(*flags: str) -> dict[str, Any]:
    from typer.testing import CliRunner

    from eks_plan.cli.app import app

    run = CliRunner().invoke(app, ["check-ips", *flags, "-o", "json"])
    assert run.exit_code in (0, 1), run.output
    data: dict[str, Any] = json.loads(run.stdout)
    return data


@pytest.mark.parametrize("width", WIDTHS)
def test_check_ips_report_of_an_exhausted_plan(width: int) -> None:
    """The plan fixture in two /26 subnets: zone a is exhausted at peak, with recommendations."""
    from eks_plan.report.check_ips import render

    data = check_ips_report(
        "--plan", PLAN_SMALL, "--subnet", "us-east-1a=10.0.0.0/26", "--subnet", "us-east-1b=10.0.0.64/26"
    )
    assert data["verdict"] == "exhausted"
    text = render_text(lambda console: render(data, console), width)
    assert_golden(f"check-ips-plan-small-{width}.txt", text)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_ips_report_of_hand_written_nodes(width: int) -> None:
    from eks_plan.report.check_ips import render

    data = check_ips_report(
        "--nodes", "m5.large=6", "--pods-per-node", "10",
        "--subnet", "us-east-1a=10.0.0.0/24:nodes,cluster", "--subnet", "us-east-1b=10.0.1.0/24",
        "--subnet", "us-east-1c=10.0.2.0/24",
    )  # fmt: skip
    assert data["verdict"] == "ok"
    text = render_text(lambda console: render(data, console), width)
    assert_golden(f"check-ips-nodes-{width}.txt", text)
