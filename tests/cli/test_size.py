"""`eks-plan size` end to end: the sample shop, the plan file, exit codes, and every corpus folder.

The shop is solved once per session (``shop_size`` in conftest.py) and the tests that only read
its plan share it; subprocesses are kept for what only a real process shows (exit codes, the two
streams, no traceback). The human report is compared with golden files in test_golden_output.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, SHOP, SHOP_GROUP, SHOP_TIME_LIMIT, SizeRun
from typer.testing import CliRunner

from eks_plan.planning import size_cluster
from eks_plan.solver.verify import verify_plan

BARE_POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec:\n  containers: [{name: c, image: x}]\n"


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The console script's ``main()`` run in process: exit code, stdout, stderr."""
    from eks_plan.cli.app import main

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["eks-plan", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), captured.out, captured.err


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eks_plan.cli.app", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@SHOP_GROUP
def test_sample_plan_places_every_pod_with_the_documented_json_shape(shop_size: SizeRun) -> None:
    data = shop_size.data()
    assert data["unschedulable"] == []
    for key in ("cost_per_hour", "node_cost_per_hour", "lower_bound_per_hour", "gap"):
        assert isinstance(data[key], float)
    assert 0 <= data["lower_bound_per_hour"] <= data["node_cost_per_hour"]
    storage = data["storage"]["cost_per_hour"]  # the sample's volumes: $74.40 a month
    assert data["cost_per_hour"] == pytest.approx(data["node_cost_per_hour"] + 0.10 + storage, abs=1e-6)
    node = data["nodes"][0]
    assert set(node) >= {"instance_type", "zone", "capacity_type", "price_per_hour", "allocatable",
                         "daemonset_overhead", "pods"}  # fmt: skip
    assert set(node["allocatable"]) == {"cpu_millicores", "memory_bytes", "pods", "gpus"}
    gpu_nodes = [node for node in data["nodes"] if node["pool"] == "gpu"]
    assert gpu_nodes and all(node["allocatable"]["gpus"] == 1 for node in gpu_nodes)
    # Every replica lands somewhere: HPA targets at max (frontend 24, catalog 12), the CronJob's 4.
    placed: dict[str, int] = {}
    for node in data["nodes"]:
        for key, count in node["pods"].items():
            placed[key] = placed.get(key, 0) + count
    assert placed == {key: workload["replicas"] for key, workload in data["workloads"].items()}
    assert data["workloads"]["Deployment/shop/frontend"]["replicas"] == 24
    assert data["workloads"]["CronJob/shop/rebuild-index"]["replicas"] == 4
    requests = data["workloads"]["Deployment/shop/recommender"]["requests"]
    assert requests == {"cpu_millicores": 3000, "memory_bytes": 12 * 2**30, "gpus": 1}
    # fluent-bit (100m) and the EKS add-ons (50m + 100m) sit on every node.
    assert all(node["daemonset_overhead"]["cpu_millicores"] == 250 for node in data["nodes"])


@SHOP_GROUP
def test_gpu_pods_only_on_the_tainted_gpu_pool_and_nothing_else_there(shop_size: SizeRun) -> None:
    data = shop_size.data()
    for node in data["nodes"]:
        on_gpu_pool = node["pool"] == "gpu"
        has_recommender = "Deployment/shop/recommender" in node["pods"]
        assert not has_recommender or on_gpu_pool
        assert not on_gpu_pool or set(node["pods"]) <= {"Deployment/shop/recommender"}


@SHOP_GROUP
def test_plan_out_is_the_json_report(shop_size: SizeRun) -> None:
    assert json.loads(shop_size.plan_file.read_text()) == shop_size.data()


@SHOP_GROUP
def test_table_output_summarises_the_plan(reuse_shop_plan: SizeRun) -> None:
    """The command's table output of the session's shop plan (the same plan, not solved again)."""
    from eks_plan.cli.app import app

    run = CliRunner().invoke(
        app,
        ["size", str(SHOP / "manifests"), "-c", str(SHOP / "eks-plan.yaml"), "--time-limit", SHOP_TIME_LIMIT],
    )
    assert run.exit_code == 0, (run.output, run.exception)
    first = run.stdout.splitlines()[0]
    assert "nodes in 3 zones for 50 pods" in first and "/hour" in first
    for title in ("Node groups", "Utilisation", "Cost bound", "Where each workload landed"):
        assert title in run.stdout
    assert f"{reuse_shop_plan.data()['cost_per_hour']:.4f}/hour" in first


def test_a_pod_no_instance_type_holds_exits_1_with_the_reason(tmp_path: Path) -> None:
    manifest = tmp_path / "huge.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers:\n"
        "  - name: c\n    image: x\n    resources: {requests: {cpu: '900', memory: 1Gi}}\n"
    )
    plan_file = tmp_path / "plan.json"
    run = run_cli("size", str(manifest), "--time-limit", "5", "-o", "json", "--plan-out", str(plan_file))
    assert run.returncode == 1, run.stderr
    data = json.loads(run.stdout)
    [item] = data["unschedulable"]
    assert item["workload"] == "Pod/default/huge" and item["count"] == 1
    assert any("Insufficient cpu" in reason for reason in item["reasons"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing-dir/"], "missing-dir/: no such file or directory"),
        (["{shop}", "-c", "missing.yaml"], "missing.yaml: the plan configuration file does not exist"),
        (["{shop}", "--replicas", "most"], "'most' is not one of min, declared, max"),
        (["{shop}", "--headroom", "-20"], "--headroom"),
        (["{shop}", "--time-limit", "0"], "--time-limit"),
        (["{shop}", "--zone", "eu-west-1a"], "eu-west-1a"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_no_plan(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    args = [arg.replace("{shop}", str(SHOP / "manifests")) for arg in args]
    code, out, err = run_main(capsys, "size", *args, "--plan-out", str(plan_file), "--quiet")
    assert code == 2 and out == ""
    assert message in err
    assert "Traceback" not in err
    assert not plan_file.exists()


def test_bad_input_exits_2_from_the_process_with_the_message_on_stderr(tmp_path: Path) -> None:
    """What only a real process shows: its exit status, the two streams, no traceback printed."""
    plan_file = tmp_path / "plan.json"
    run = run_cli("size", "missing-dir/", "--plan-out", str(plan_file), "--quiet", cwd=tmp_path)
    assert run.returncode == 2
    [message] = run.stderr.splitlines()
    assert message.startswith("error: missing-dir/: no such file or directory")
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert not plan_file.exists()


CORPUS_FOLDERS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


@pytest.mark.parametrize("folder", CORPUS_FOLDERS)
def test_every_corpus_folder_plans_and_verifies(folder: str) -> None:
    include = ("*.injected",) if folder == "istio-injected" else ()
    result = size_cluster([CORPUS / folder], include=include, time_limit_seconds=0.5, workers=1)
    assert verify_plan(result.planning.problem, result.plan) == []
    placed = sum(sum(node.pods.values()) for node in result.plan.nodes)
    unplaced = sum(item.count for item in result.plan.unschedulable)
    assert placed + unplaced == sum(group.count for group in result.planning.problem.pod_groups)
    assert result.plan.lower_bound_per_hour <= result.plan.node_cost_per_hour + 1e-9
    if folder == "argo-cd-ha":
        # redis-ha-server and haproxy: 3 replicas each with required anti-affinity on hostname.
        assert len(result.plan.nodes) >= 3
        assert not result.plan.unschedulable
    if folder == "gke-gpu-mix":
        # GKE's accelerator label is on no EKS node: the GPU servers cannot be placed, and say why.
        assert result.plan.unschedulable
        assert all(
            any("node affinity/selector" in reason for reason in item.reasons)
            for item in result.plan.unschedulable
        )


def test_a_plan_file_that_cannot_be_written_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no eks-plan.yaml here
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(BARE_POD)
    target = tmp_path / "no-such-dir" / "plan.json"
    args = (str(manifest), "--time-limit", "2", "-q", "--plan-out", str(target))
    code, out, err = run_main(capsys, "size", *args)
    assert code == 2
    assert f"{target}: cannot write the file" in err and "Traceback" not in err
    assert out == ""


def test_warnings_with_brackets_are_printed_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "[bold]prod"
    folder.mkdir()
    (folder / "pod.yaml").write_text(BARE_POD)
    code, _, err = run_main(capsys, "size", str(folder), "--time-limit", "2", "-q")
    assert code == 0, err
    assert "[bold]prod" in err


def test_fargate_prices_what_it_can_run_and_reports_what_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "apps.yaml").write_text(
        """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: batch}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: c, image: x, resources: {requests: {cpu: "1", memory: 8Gi, ephemeral-storage: 30G}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gpu, namespace: batch}
spec:
  template:
    metadata: {labels: {app: gpu}}
    spec:
      containers:
      - {name: c, image: x, resources: {limits: {nvidia.com/gpu: 1, cpu: "1", memory: 1Gi}}}
"""
    )
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        "fargateProfiles:\n  - name: batch\n    selectors: [{namespace: batch}]\n"
        "pricing: {hoursPerMonth: 100}\n"
    )
    code, out, err = run_main(capsys, "size", str(tmp_path / "apps.yaml"), "-c", str(config), "-q",
                              "--time-limit", "2", "-o", "json")  # fmt: skip
    assert code == 1, err
    data = json.loads(out)
    # 1 vCPU / 8 GiB -> 2 vCPU / 9 GB (DOMAIN.md §4) = $0.120965, plus 10 GB of storage above the 20 GB
    # included at $0.000111 per GB-hour.
    [api] = data["fargate"]["pods"]
    assert (api["vcpu"], api["memory_gb"]) == (2.0, 9.0)
    assert api["price_per_hour"] == pytest.approx(0.120965 + 10 * 0.000111)
    [gpu] = data["unschedulable"]
    assert gpu["workload"] == "Deployment/batch/gpu"
    assert "Fargate runs no nvidia.com/gpu" in gpu["reasons"][0]
    assert data["nodes"] == []
    assert data["cost_per_hour"] == pytest.approx(0.10 + 3 * api["price_per_hour"])
    assert data["cost_per_month"] == pytest.approx(data["cost_per_hour"] * 100, abs=1e-4)
