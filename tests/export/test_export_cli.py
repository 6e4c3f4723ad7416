"""`eks-plan export` and `eks-plan size --export` end to end (in process, through the console
script's ``main``): stdout, --out, exit codes, messages."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLAN = FIXTURES / "karpenter-workloads.plan.json"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``eks-plan ARGS`` as the console script does, in this process."""
    from eks_plan.cli.app import main

    def run(*args: str) -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        code = exit_info.value.code
        return Run(code if isinstance(code, int) else 0 if code is None else 1, captured.out, captured.err)

    return run


def test_export_prints_to_stdout_and_writes_out_files(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = run_cli("export", str(PLAN), "--to", "eksctl", "--name", "demo")
    assert run.returncode == 0, run.stderr
    (document,) = list(yaml.safe_load_all(run.stdout))
    assert document["metadata"] == {"name": "demo", "region": "us-east-1"}
    out = tmp_path / "groups.tf.json"
    run = run_cli("export", str(PLAN), "--to", "terraform", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert "eks_managed_node_groups" in json.loads(out.read_text())["locals"]  # .json suffix: JSON syntax
    assert "no --name given" in run.stderr


def test_bad_plans_exit_2_with_one_message_and_leave_out_untouched(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cluster.yaml"
    out.write_text("keep me\n")
    broken = tmp_path / "broken.json"
    broken.write_text('{"region": "us-east-1",\n  "zones": [}\n')
    run = run_cli("export", str(broken), "--to", "eksctl", "--out", str(out))
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {broken}:2:")
    assert "Traceback" not in run.stderr
    old = json.loads(PLAN.read_text())
    for pool in old["pools"]:
        del pool["taints"]
    old_file = tmp_path / "old.json"
    old_file.write_text(json.dumps(old))
    run = run_cli("export", str(old_file), "--to", "karpenter", "--out", str(out))
    assert run.returncode == 2
    assert "has no 'taints'" in run.stderr and "older eks-plan" in run.stderr
    assert out.read_text() == "keep me\n"
    run = run_cli("export", str(PLAN), "--to", "pulumi")
    assert run.returncode == 2 and "'pulumi' is not one of eksctl, karpenter, terraform" in run.stderr


def test_size_exports_the_plan_it_prints(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "karpenter.yaml"
    plan_file = tmp_path / "plan.json"
    run = run_cli(
        "size", str(CORPUS / "online-boutique"), "--time-limit", "1", "--workers", "1", "-q", "-o", "json",
        "--plan-out", str(plan_file), "--export", "karpenter", "--export-out", str(out),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert json.loads(plan_file.read_text()) == plan
    documents = list(yaml.safe_load_all(out.read_text()))
    (pool,) = [d for d in documents if d["kind"] == "NodePool"]
    (types,) = [
        r["values"]
        for r in pool["spec"]["template"]["spec"]["requirements"]
        if r["key"].endswith("instance-type")
    ]
    assert types == sorted({group["instance_type"] for group in plan["node_groups"]})
    run = run_cli("size", str(CORPUS / "online-boutique"), "--export", "eksctl")
    assert run.returncode == 2 and "--export and --export-out go together" in run.stderr
