"""`eks-plan diff`: totals in Infracost's field names, node-group and workload changes, a sound
attribution that adds up, zero diffs for identical manifests, --fail-above, --base-ref, and the
Markdown comment against golden files (regenerate with EKS_PLAN_UPDATE_GOLDEN=1).

Fixtures (tests/diff/fixtures): a two-zone config with one pool of m6i.large/m6i.xlarge, small
enough that every solve is optimal in well under a second; base/ and head/ differ by a replica
change (web 4 -> 8), a request change (api 1 -> 2 cpu), a removal (batch) and an addition (search);
base.plan.json and head.plan.json are `eks-plan size --plan-out` of the two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT

from eks_plan import diff as diff_module
from eks_plan.diff import DiffOptions, diff, fail_above_exceeded
from eks_plan.errors import InputError
from eks_plan.report.diff import COMMENT_MARKER, headline, markdown

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = REPO_ROOT / "tests" / "golden" / "diff"
CONFIG = FIXTURES / "eks-plan.yaml"
OPTIONS = DiffOptions(
    config_path=CONFIG, time_limit_seconds=10, workers=1
)  # optimal long before: stops early


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("EKS_PLAN_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def manifests_report() -> dict[str, Any]:
    return diff([str(FIXTURES / "base")], [str(FIXTURES / "head")], OPTIONS)


def test_totals_use_infracosts_names_and_add_up(manifests_report: dict[str, Any]) -> None:
    report = manifests_report
    past, now = float(report["pastTotalMonthlyCost"]), float(report["totalMonthlyCost"])
    assert float(report["diffTotalMonthlyCost"]) == pytest.approx(now - past, abs=1e-3)
    assert report["diffPercent"] == pytest.approx((now - past) / past * 100, abs=0.01)
    assert all(isinstance(report[key], str) for key in ("pastTotalMonthlyCost", "totalMonthlyCost"))
    # Node groups: the change of every group adds up to the node cost change (control plane is fixed).
    groups = sum(float(group["diffMonthlyCost"]) for group in report["nodeGroups"])
    assert groups == pytest.approx(now - past, abs=1e-3)
    assert {group["status"] for group in report["nodeGroups"]} <= {"added", "removed", "resized", "unchanged"}


def test_workload_changes_are_named_and_shares_add_up_to_the_change(manifests_report: dict[str, Any]) -> None:
    """Shapley values over the LP relaxation add up exactly to the relaxation's change; with the
    remainder (whole nodes) they add up to the plan's change."""
    report = manifests_report
    changes = {item["name"]: item["changes"] for item in report["workloads"]}
    assert changes == {
        "Deployment/shop/api": ["cpu 1000m → 2000m per pod"],
        "Deployment/shop/batch": ["removed (2 pods)"],
        "Deployment/shop/search": ["added (1 pod)"],
        "Deployment/shop/web": ["replicas 4 → 8 (declared 8)"],
    }
    attribution = report["attribution"]
    assert attribution["method"] == "shapley-lp"
    shares = {item["name"]: float(item["diffMonthlyCost"]) for item in report["workloads"]}
    relaxation = float(attribution["relaxationMonthlyCost"]) - float(attribution["relaxationPastMonthlyCost"])
    assert sum(shares.values()) == pytest.approx(relaxation, abs=0.01)
    total = sum(shares.values()) + float(attribution["unattributedMonthlyCost"])
    assert total == pytest.approx(float(report["diffTotalMonthlyCost"]), abs=0.01)
    assert shares["Deployment/shop/batch"] < 0 < shares["Deployment/shop/search"]
    assert shares["Deployment/shop/web"] > 0 and shares["Deployment/shop/api"] > 0


def test_sampled_shapley_values_also_add_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond EXACT_CHANGES the values come from seeded orders; each order telescopes, so their
    average still adds up to the relaxation's change exactly."""
    monkeypatch.setattr(diff_module, "EXACT_CHANGES", 1)
    report = diff([str(FIXTURES / "base")], [str(FIXTURES / "head")], OPTIONS)
    attribution = report["attribution"]
    assert attribution["method"] == "shapley-lp-sampled"
    relaxation = float(attribution["relaxationMonthlyCost"]) - float(attribution["relaxationPastMonthlyCost"])
    assert sum(float(item["diffMonthlyCost"]) for item in report["workloads"]) == pytest.approx(
        relaxation, abs=0.01
    )


def test_identical_manifests_give_a_zero_diff_and_no_comment(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(FIXTURES / "head", copy)
    report = diff([str(FIXTURES / "head")], [str(copy)], OPTIONS)
    assert report["diffTotalMonthlyCost"] == "0.0000"
    assert report["changed"] is False
    assert report["workloads"] == []
    assert all(group["status"] == "unchanged" for group in report["nodeGroups"])
    assert markdown(report) == ""
    assert headline(report) == "Monthly cost does not change"


def test_markdown_comment_matches_the_golden_file(manifests_report: dict[str, Any]) -> None:
    text = markdown(manifests_report)
    assert text.startswith(COMMENT_MARKER)
    check_golden("manifests.md", text)


def test_plan_files_diff_without_attribution_matches_the_golden_file() -> None:
    report = diff([str(FIXTURES / "base.plan.json")], [str(FIXTURES / "head.plan.json")], OPTIONS)
    assert report["attribution"]["method"] == "none"
    assert "needs manifests on both sides" in report["attribution"]["why"]
    assert [item["name"] for item in report["workloads"]] == [
        "Deployment/shop/api", "Deployment/shop/batch", "Deployment/shop/search", "Deployment/shop/web",
    ]  # fmt: skip
    check_golden("plan-files.md", markdown(report))


def test_fail_above_takes_an_amount_or_a_percent() -> None:
    report = {"diffTotalMonthlyCost": "70.0800", "diffPercent": 19.83}
    assert fail_above_exceeded(report, "50") and not fail_above_exceeded(report, "100")
    assert fail_above_exceeded(report, "10%") and not fail_above_exceeded(report, "20%")
    assert not fail_above_exceeded({"diffTotalMonthlyCost": "-70.0000", "diffPercent": -19.8}, "5%")
    with pytest.raises(InputError, match="not an amount or a percent"):
        fail_above_exceeded(report, "lots")


def run_main(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """``eks-plan ARGS`` as the console script runs it, in this process: (exit code, stdout, stderr)."""
    from eks_plan.cli.app import main

    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), captured.out, captured.err


def test_cli_json_and_fail_above_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, head = str(FIXTURES / "base.plan.json"), str(FIXTURES / "head.plan.json")
    code, out, err = run_main(
        ["diff", base, head, "-c", str(CONFIG), "-o", "json", "--fail-above", "5%"], capsys, monkeypatch
    )
    assert code == 1, err
    data = json.loads(out)
    assert set(data) >= {"pastTotalMonthlyCost", "totalMonthlyCost", "diffTotalMonthlyCost", "nodeGroups"}
    code, out, err = run_main(
        ["diff", base, head, "-c", str(CONFIG), "-o", "markdown", "--fail-above", "100"], capsys, monkeypatch
    )
    assert code == 0 and out.startswith(COMMENT_MARKER), err
    code, _, err = run_main(["diff", base, "-c", str(CONFIG)], capsys, monkeypatch)
    assert code == 2 and "give BASE and HEAD" in err


def test_base_ref_reads_the_manifests_of_a_git_ref(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "base", repo / "manifests")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    shutil.copy(FIXTURES / "head" / "apps.yaml", repo / "manifests" / "apps.yaml")
    report = diff([], [str(repo / "manifests")], OPTIONS, base_ref="HEAD")
    assert report["base"] == "base: HEAD"
    assert [item["name"] for item in report["workloads"]] == [
        "Deployment/shop/api", "Deployment/shop/batch", "Deployment/shop/search", "Deployment/shop/web",
    ]  # fmt: skip
    with pytest.raises(InputError, match="--base-ref no-such-ref"):
        diff([], [str(repo / "manifests")], OPTIONS, base_ref="no-such-ref")
