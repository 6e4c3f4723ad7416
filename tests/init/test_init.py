"""`eks-plan init` through the CLI: scripted answers, flags, --no-input, --output -, --force, early EOF,
and a GPU pool suggested from manifests. Every file written is checked by `eks-plan schema --validate`."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import yaml

from eks_plan.cli.output import ExitCode

GPU_TOLERATING = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: infer, namespace: ml}
spec:
  replicas: 1
  selector: {matchLabels: {app: infer}}
  template:
    metadata: {labels: {app: infer}}
    spec:
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      containers:
        - name: infer
          image: model
          resources: {limits: {nvidia.com/gpu: 1}, requests: {cpu: "2", memory: 8Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ml}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: 500m, memory: 1Gi}}
"""


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err
        self.message = " ".join(err.split())


@pytest.fixture
def init(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``init(args, stdin="")``: run `eks-plan init` in-process in tmp_path with a piped stdin."""
    from eks_plan.cli.app import main

    monkeypatch.chdir(tmp_path)

    def run(args: list[str], stdin: str = "") -> Run:
        monkeypatch.setattr(sys, "argv", ["eks-plan", "init", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        with pytest.raises(SystemExit) as ended:
            main()
        captured = capsys.readouterr()
        code = ended.value.code
        return Run(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run


def validate(path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """`eks-plan schema --validate PATH` must pass (exit 0)."""
    from eks_plan.cli.app import main

    monkeypatch.setattr(sys, "argv", ["eks-plan", "schema", "--validate", str(path)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main()
    out = capsys.readouterr()
    assert ended.value.code == ExitCode.OK, out
    return out.out + out.err


def test_no_input_writes_a_valid_commented_file(init, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = init(["--no-input"])
    assert run.code == ExitCode.OK, run.err
    path = tmp_path / "eks-plan.yaml"
    text = path.read_text()
    assert "# The AWS region: instance types and prices are the region's." in text
    assert "capacityTypes: [on-demand]  # on-demand and/or spot" in text
    data = yaml.safe_load(text)
    assert data["region"] == "us-east-1" and data["zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert data["nodePools"][0]["instances"] == {"categories": ["c", "m", "r"], "arch": ["amd64"]}
    assert "valid" in validate(path, capsys, monkeypatch)


def test_scripted_answers_with_a_refused_answer_asked_again(
    init, tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    answers = [
        "eu-west-1",  # region
        "eu-west-1a,eu-west-1b",  # zones
        "web",  # pool name
        "karpenter",  # node style
        "m7g,c7g",  # families (so no categories question)
        "arm64",  # arch
        "spot,on-demand",  # capacity
        "1.5",  # spot discount: refused by the schema (below 1) and asked again
        "0.6",
        "12",  # max nodes
        "prefix-delegation",  # cni
        "10.1.0.0/22",  # subnet in eu-west-1a
        "",  # none in eu-west-1b (Enter keeps the default)
        "20",  # headroom
        "yes",  # zone loss
        "4000",  # budget
    ]
    run = init(["--output", "-"], "\n".join(answers) + "\n")
    assert run.code == ExitCode.OK, run.err
    assert "pricing.spotDiscount: 1.5 is greater than or equal to the maximum of 1" in run.message
    assert "try again" in run.message
    assert "AWS region (us-east-1): eu-west-1" in run.err  # prompts and echoed answers on stderr
    data = yaml.safe_load(run.out)  # stdout holds only the file
    pool = data["nodePools"][0]
    assert pool["name"] == "web" and pool["nodeStyle"] == "karpenter" and pool["maxNodes"] == 12
    assert pool["instances"] == {"families": ["m7g", "c7g"], "arch": ["arm64"]}
    assert pool["capacityTypes"] == ["spot", "on-demand"] and data["pricing"] == {"spotDiscount": 0.6}
    assert data["subnets"] == [{"zone": "eu-west-1a", "cidr": "10.1.0.0/22"}]
    assert data["cni"] == {"mode": "prefix-delegation"}
    assert data["headroomPercent"] == 20 and data["tolerateZoneLoss"] is True
    assert data["budget"] == {"maxMonthlyCost": 4000}
    out = tmp_path / "written.yaml"
    out.write_text(run.out)
    validate(out, capsys, monkeypatch)


def test_stdin_ending_early_names_the_next_flag(init, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = init([], "eu-west-1\n\n")
    assert run.code == ExitCode.INPUT_ERROR
    assert "standard input ended before 'Name of the general node pool' was answered" in run.message
    assert "pass --pool-name, or --no-input to take the defaults" in run.message
    assert not (tmp_path / "eks-plan.yaml").exists()
    run = init(["--region", "eu-west-1", "--zones", "eu-west-1a", "--pool-name", "x"], "")
    assert "pass --node-style" in run.message
    run = init(["--no-input", "--capacity", "spot"])
    assert run.code == ExitCode.INPUT_ERROR
    assert "spot capacity needs a spot price" in run.message and "pass --spot-discount" in run.message


def test_bad_flags_get_the_configs_message(init) -> None:  # type: ignore[no-untyped-def]
    run = init(["--no-input", "--region", "us-east-9"])
    assert run.code == ExitCode.INPUT_ERROR and "--region us-east-9:" in run.message
    run = init(["--no-input", "--headroom", "95"])
    assert "--headroom 95: headroomPercent: 95 is greater than the maximum of 90" in run.message
    run = init(["--no-input", "--zones", "us-east-1a,us-west-2a"])
    assert "--zones us-east-1a,us-west-2a:" in run.message and "us-west-2a" in run.message
    run = init(["--no-input", "--subnet", "us-east-1a"])
    assert "--subnet us-east-1a: not ZONE=CIDR" in run.message


def test_an_existing_file_is_kept_without_force(init, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eks-plan.yaml"
    path.write_text("region: eu-west-1\n")
    run = init(["--no-input"])
    assert (
        run.code == ExitCode.INPUT_ERROR
        and "eks-plan.yaml exists; not overwritten (pass --force" in run.message
    )
    assert path.read_text() == "region: eu-west-1\n"
    run = init(["--no-input", "--force", "--region", "eu-central-1"])
    assert run.code == ExitCode.OK
    assert yaml.safe_load(path.read_text())["region"] == "eu-central-1"


def test_gpu_pods_get_a_tainted_gpu_pool_they_tolerate(init, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A pod lands on a tainted node only if one of its tolerations tolerates the taint (kube-scheduler
    TaintToleration.Filter in pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go,
    via v1helper.TolerationsTolerateTaint); the pool's taint keeps the web pods off GPU nodes and the
    planned cluster places every pod, the GPU pod on the GPU pool."""
    from eks_plan.planning import size_cluster

    manifests = tmp_path / "apps.yaml"
    manifests.write_text(GPU_TOLERATING)
    run = init(
        [str(manifests), "--no-input", "--zones", "us-east-1a", "--families", "m7i", "--output", "gpu.yaml"]
    )
    assert run.code == ExitCode.OK, run.err
    data = yaml.safe_load((tmp_path / "gpu.yaml").read_text())
    general, gpu = data["nodePools"]
    assert general["instances"]["gpus"] == {"max": 0}
    assert gpu["name"] == "gpu" and gpu["instances"] == {"gpus": {"min": 1}}
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    result = size_cluster([manifests], config_path=tmp_path / "gpu.yaml", time_limit_seconds=5, workers=1)
    assert not result.plan.unschedulable
    pools = {key: node.option.pool for node in result.plan.nodes for key in node.pods}
    assert pools == {"Deployment/ml/infer": "gpu", "Deployment/ml/web": "general"}


def test_gpu_pods_without_the_toleration_get_an_untainted_pool_and_a_note(init, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    manifests = tmp_path / "apps.yaml"
    manifests.write_text(
        GPU_TOLERATING.replace(
            "      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n", ""
        )
    )
    run = init([str(manifests), "--no-input", "--output", "-"])
    assert run.code == ExitCode.OK, run.err
    data = yaml.safe_load(run.out)
    assert "taints" not in data["nodePools"][1]
    assert "# Note: the GPU pool is not tainted" in run.out
    run = init([str(manifests), "--no-input", "--no-gpu-pool", "--output", "-"])
    assert len(yaml.safe_load(run.out)["nodePools"]) == 1
