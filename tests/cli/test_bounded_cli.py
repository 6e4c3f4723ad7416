"""Bounded work on any input, through the command line: each hostile input is exit code 2 with one
message naming the file and line (or the flag) and the cap, no traceback, and no ``--plan-out``.

The commands run in this process through the console-script entry point; every case stops before
any solving, so none takes long.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from eks_plan.cli import app as cli_app
from eks_plan.cli import output
from eks_plan.cli.output import ExitCode
from eks_plan.limits import MAX_NODES, MAX_PODS

Runner = Callable[..., tuple[int, str, str]]
PLAN = Path(__file__).resolve().parents[1] / "network" / "fixtures" / "plan-small.json"
HUGE = "9" * 5000


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """``cli(*args)`` runs ``eks-plan ARGS`` here and returns ``(exit code, stdout, stderr)``."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
        monkeypatch.setattr(cli_app._State, "debug", False)
        monkeypatch.setattr(output, "_stdout", None)
        monkeypatch.setattr(output, "_stderr", None)
        code = 0
        try:
            cli_app.main()
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def manifest(tmp_path: Path, replicas: str = "2", cpu: str = "100m") -> Path:
    path = tmp_path / "web.yaml"
    path.write_text(
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "spec:\n"
        f"  replicas: {replicas}\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: app\n"
        f"        resources: {{requests: {{cpu: {cpu}, memory: 1Gi}}}}\n"
    )
    return path


def one_error(code: int, out: str, err: str, where: str) -> str:
    """The one error line of a refused run, checked for exit code 2, its place and no traceback."""
    assert code == ExitCode.INPUT_ERROR, err
    assert "Traceback" not in err and out == ""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert errors[0].startswith(f"error: {where}"), errors[0]
    return errors[0]


def size_refuses(cli: Runner, tmp_path: Path, *args: str) -> str:
    plan_out = tmp_path / "out" / "plan.json"
    plan_out.parent.mkdir()
    code, out, err = cli("size", *args, "--time-limit", "1", "-q", "--plan-out", str(plan_out))
    assert not plan_out.exists() and os.listdir(plan_out.parent) == []
    return "\n".join([str(code), out, err])


@pytest.mark.parametrize("command", ["size", "workloads"])
def test_a_billion_replicas(cli: Runner, tmp_path: Path, command: str) -> None:
    path = manifest(tmp_path, replicas="1000000000")
    if command == "workloads":  # it only counts: a billion pods is a number, not a billion objects
        code, out, _ = cli("workloads", str(path), "-o", "json")
        assert code == ExitCode.OK and json.loads(out)["totals"]["pods"] == 1_000_000_000
        return
    plan_out = tmp_path / "plan.json"
    code, out, err = cli("size", str(path), "--time-limit", "1", "-q", "--plan-out", str(plan_out))
    message = one_error(code, out, err, f"{path}:5:3: ")
    assert f"({MAX_PODS:,}" in message and "1,000,000,000 pods to place" in message
    assert not plan_out.exists()


def test_more_nodes_than_a_plan_holds(cli: Runner, tmp_path: Path) -> None:
    """20,000 pods of 150 cores each need 20,000 nodes or more whatever the instance types."""
    path = manifest(tmp_path, replicas="20000", cpu="150")
    plan_out = tmp_path / "plan.json"
    code, out, err = cli("size", str(path), "--time-limit", "1", "-q", "--plan-out", str(plan_out))
    message = one_error(code, out, err, f"{path}:5:3: ")
    assert f"more than eks-plan sizes in one plan ({MAX_NODES:,}" in message
    assert not plan_out.exists()


@pytest.mark.parametrize(
    ("replicas", "cpu", "line", "fragment"),
    [
        ("2", "1e308", 10, "larger than the largest quantity Kubernetes holds"),
        ("2", f"'{HUGE}'", 10, "larger than the largest quantity Kubernetes holds"),
        (HUGE, "100m", 5, "a number of 5,000 digits"),
        ("3000000000", "100m", 5, "must be at most 2,147,483,647"),
        ("-1", "100m", 5, "must be at least 0"),
        ("2", "-100m", 10, "must not be negative"),
    ],
)
def test_hostile_numbers_in_manifests(
    cli: Runner, tmp_path: Path, replicas: str, cpu: str, line: int, fragment: str
) -> None:
    path = manifest(tmp_path, replicas=replicas, cpu=cpu)
    for command in ("workloads", "size"):
        args = [command, str(path)] + (["--time-limit", "1", "-q"] if command == "size" else [])
        message = one_error(*cli(*args), f"{path}:{line}:")
        assert fragment in message
        assert len(message) < 400


def test_a_repeated_key_in_a_manifest(cli: Runner, tmp_path: Path) -> None:
    path = manifest(tmp_path)
    path.write_text(path.read_text().replace("  template:\n", "  replicas: 9\n  template:\n"))
    message = one_error(*cli("workloads", str(path)), f"{path}:6:3: ")
    assert "duplicate key 'replicas' (first at line 5)" in message


@pytest.mark.parametrize(
    ("config", "where", "fragment"),
    [
        ("region: us-east-1\nregion: us-west-2\n", ":2:1: ", "duplicate key 'region' (first at line 1)"),
        (f"region: us-east-1\nheadroomPercent: {HUGE}\n", ":2:18: ", "a number of 5,000 digits"),
        ("headroomPercent: .nan\n", ":1:1: ", "headroomPercent: nan is not a usable number"),
        ("pricing: {savingsPlanDiscount: .nan}\n", ":1:11: ", "pricing.savingsPlanDiscount: nan is not"),
        (
            "addons:\n  - name: big\n    requests: {cpu: 1e308}\n",
            ":3:16: ",
            "addons[0].requests.cpu: '1e308' is larger than the largest quantity",
        ),
    ],
)
def test_hostile_config_files(cli: Runner, tmp_path: Path, config: str, where: str, fragment: str) -> None:
    config_path = tmp_path / "eks-plan.yaml"
    config_path.write_text(config)
    message = one_error(*cli("schema", "--validate", str(config_path)), f"{config_path}{where}")
    assert fragment in message
    refused = size_refuses(cli, tmp_path, "-c", str(config_path), str(manifest(tmp_path)))
    assert refused.startswith("2\n") and fragment in refused and "Traceback" not in refused


def test_check_ips_refuses_a_million_nodes_by_hand(cli: Runner) -> None:
    message = one_error(
        *cli("check-ips", "--nodes", "m5.large=1000000", "--subnet", "us-east-1a=10.0.0.0/16"),
        "--nodes m5.large=1000000: ",
    )
    assert f"more than eks-plan checks at once ({MAX_NODES:,})" in message
    message = one_error(
        *cli("check-ips", "--nodes", f"m5.large={HUGE}", "--subnet", "us-east-1a=10.0.0.0/16"), "--nodes "
    )
    assert len(message) < 300


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        ('"hpa_max_replicas": 12', '"hpa_max_replicas": 1000000000', 38, "hpa_max_replicas is 1,000,000,000"),
        ('"max_nodes": 6', '"max_nodes": 1000000000', 50, "pools[0].max_nodes is 1,000,000,000"),
        ('"hpa_max_replicas": 12', f'"hpa_max_replicas": {HUGE}', 38, "a number of 5,000 digits"),
    ],
)
def test_check_ips_refuses_a_plan_past_the_caps(
    cli: Runner, tmp_path: Path, old: str, new: str, line: int, fragment: str
) -> None:
    plan = tmp_path / "plan.json"
    text = PLAN.read_text()
    assert old in text
    plan.write_text(text.replace(old, new))
    subnets = ["--subnet", "us-east-1a=10.0.0.0/24", "--subnet", "us-east-1b=10.0.1.0/24"]
    message = one_error(*cli("check-ips", "--plan", str(plan), *subnets), f"{plan}:{line}:")
    assert fragment in message


def test_fifos_are_refused_by_name(cli: Runner, tmp_path: Path) -> None:
    """Opening a FIFO blocks until something writes to it: named directly, in a directory, as
    the config or as the plan, it is refused before anything is read (a writer stands by, so a
    regression reads an empty file and fails here instead of hanging)."""
    directory = tmp_path / "manifests"
    directory.mkdir()
    manifest(directory)
    pipe = directory / "pipe.yaml"
    os.mkfifo(pipe)

    def write_nothing() -> None:
        with open(pipe, "wb"):
            pass

    writer = threading.Thread(target=write_nothing, daemon=True)
    writer.start()
    try:
        for args in (
            ["workloads", str(directory)],
            ["workloads", str(pipe)],
            ["size", "-c", str(pipe), str(directory / "web.yaml"), "--time-limit", "1", "-q"],
            ["check-ips", "--plan", str(pipe), "--subnet", "us-east-1a=10.0.0.0/24"],
        ):
            message = one_error(*cli(*args), f"{pipe}: ")
            assert "is a FIFO (named pipe), not a regular file" in message
    finally:
        descriptor = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
        writer.join(timeout=5)
        os.close(descriptor)


def test_a_count_from_an_hpa_names_the_hpa(cli: Runner, tmp_path: Path) -> None:
    path = manifest(tmp_path)
    hpa = tmp_path / "hpa.yaml"
    hpa.write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n"
        "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
        "  minReplicas: 2\n  maxReplicas: 2000000000\n"
    )
    message = one_error(*cli("size", str(path), str(hpa), "--time-limit", "1", "-q"), f"{hpa}:1:1: ")
    assert "(HPA web max 2000000000)" in message


def test_an_infinite_time_limit(cli: Runner, tmp_path: Path) -> None:
    """``--time-limit 1e999`` parses as a float infinity; it is refused, not a crash."""
    message = one_error(*cli("size", str(manifest(tmp_path)), "--time-limit", "1e999", "-q"), "")
    assert "finite number of seconds" in message
