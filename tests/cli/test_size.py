"""`eks-plan size` end to end: the sample shop, the plan file, exit codes, and every corpus folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, REPO_ROOT

from eks_plan.planning import plan_cluster
from eks_plan.solver.verify import verify_plan

SHOP = REPO_ROOT / "samples" / "shop"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eks_plan.cli.app", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def shop_json(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict, Path, subprocess.CompletedProcess[str]]:
    plan_file = tmp_path_factory.mktemp("plan") / "plan.json"
    run = run_cli(
        "size", str(SHOP / "manifests"), "-c", str(SHOP / "eks-plan.yaml"),
        "--time-limit", "10", "-o", "json", "--plan-out", str(plan_file),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout), plan_file, run


def test_sample_plan_places_every_pod_with_the_documented_json_shape(shop_json) -> None:
    data, _, _ = shop_json
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


def test_gpu_pods_only_on_the_tainted_gpu_pool_and_nothing_else_there(shop_json) -> None:
    data, _, _ = shop_json
    for node in data["nodes"]:
        on_gpu_pool = node["pool"] == "gpu"
        has_recommender = "Deployment/shop/recommender" in node["pods"]
        assert not has_recommender or on_gpu_pool
        assert not on_gpu_pool or set(node["pods"]) <= {"Deployment/shop/recommender"}


def test_plan_out_is_the_json_report(shop_json) -> None:
    data, plan_file, _ = shop_json
    assert json.loads(plan_file.read_text()) == data


def test_table_output_summarises_the_plan(tmp_path: Path) -> None:
    run = run_cli("size", str(SHOP / "manifests"), "-c", str(SHOP / "eks-plan.yaml"), "--time-limit", "5")
    assert run.returncode == 0, run.stderr
    first = run.stdout.splitlines()[0]
    assert "nodes in 3 zones for 50 pods" in first and "/hour" in first
    for title in ("Node groups", "Utilisation", "Cost bound", "Where each workload landed"):
        assert title in run.stdout


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
def test_bad_input_exits_2_with_one_message_and_writes_no_plan(tmp_path: Path, args, message) -> None:
    plan_file = tmp_path / "plan.json"
    args = [arg.replace("{shop}", str(SHOP / "manifests")) for arg in args]
    run = run_cli("size", *args, "--plan-out", str(plan_file), "--quiet")
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert not plan_file.exists()


CORPUS_FOLDERS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


@pytest.mark.parametrize("folder", CORPUS_FOLDERS)
def test_every_corpus_folder_plans_and_verifies(folder: str) -> None:
    include = ("*.injected",) if folder == "istio-injected" else ()
    result = plan_cluster([CORPUS / folder], include=include, time_limit_seconds=5)
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


def test_a_plan_file_that_cannot_be_written_is_an_input_error(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "plan.json"
    run = run_cli("size", str(SHOP / "manifests"), "-c", str(SHOP / "eks-plan.yaml"), "--time-limit", "2",
                  "-q", "--plan-out", str(target))  # fmt: skip
    assert run.returncode == 2
    assert f"{target}: cannot write the file" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""


def test_warnings_with_brackets_are_printed_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "[bold]prod"
    folder.mkdir()
    (folder / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec:\n  containers: [{name: c, image: x}]\n"
    )
    run = run_cli("size", str(folder), "--time-limit", "2", "-q")
    assert run.returncode == 0, run.stderr
    assert "[bold]prod" in run.stderr


def test_fargate_prices_what_it_can_run_and_reports_what_it_cannot(tmp_path: Path) -> None:
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
    run = run_cli("size", str(tmp_path / "apps.yaml"), "-c", str(config), "-q", "--time-limit", "2",
                  "-o", "json")  # fmt: skip
    assert run.returncode == 1, run.stderr
    data = json.loads(run.stdout)
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
