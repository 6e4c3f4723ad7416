"""`eks-plan workloads`: the corpus totals through the JSON output, every format, and bad input (exit 2)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from eks_plan.cli import app as cli_app
from eks_plan.cli import output
from eks_plan.cli.output import ExitCode
from tests.conftest import CORPUS
from tests.manifests.test_bad_input import BAD_INPUTS, DEPLOYMENT, make_bad_input
from tests.manifests.test_corpus import EXPECTED, include_for

Runner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """``cli(*args, stdin=b"")`` runs ``eks-plan ARGS`` in this process through the console-script
    entry point and returns ``(exit code, stdout, stderr)``."""

    def run(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        monkeypatch.setattr(cli_app._State, "debug", False)
        # Fresh consoles, so each run sees this test's streams and terminal width.
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


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_corpus_totals_in_json(folder: str, cli: Runner) -> None:
    includes = [arg for glob in include_for(folder) for arg in ("--include", glob)]
    code, out, _ = cli(
        "workloads", str(CORPUS / folder), *includes, "--replicas", "declared", "-o", "json",
    )  # fmt: skip
    assert code == ExitCode.OK
    data = json.loads(out)
    assert data["totals"] == EXPECTED[folder]
    assert all(type(value) is int for value in data["totals"].values())
    assert data["totals"]["pods"] == sum(row["replicas"] for row in data["workloads"])
    assert data["totals"]["daemonsets"] == len(data["daemonsets"])


def test_json_and_yaml_carry_the_same_data(cli: Runner) -> None:
    folder = str(CORPUS / "gke-gpu-mix")
    _, as_json, _ = cli("workloads", folder, "-o", "json")
    _, as_yaml, _ = cli("workloads", folder, "-o", "yaml")
    data = json.loads(as_json)
    assert yaml.safe_load(as_yaml) == data
    assert data["replica_mode"] == "max"
    job = next(row for row in data["workloads"] if row["kind"] == "Job")
    assert job["replicas_reason"] == "Job parallelism 2, completions 2, suspended"
    assert job["pod_requests"] == {"nvidia.com/gpu": 2, "pods": 1}
    assert {w["code"] for w in data["warnings"]} >= {"label-hint", "suspended", "no-requests"}
    assert data["ignored_kinds"] == {"ClusterQueue": 1, "LocalQueue": 1, "ResourceFlavor": 1, "Service": 3}


def test_table_output(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no path wraps, wherever the corpus lives
    code, out, err = cli(
        "workloads", str(CORPUS / "istio-injected"), "--include", "*.injected", "--replicas", "declared",
    )  # fmt: skip
    assert code == ExitCode.OK and err == ""
    assert "Deployment default/hello" in out
    assert "CronJob one run" in out
    assert "all DaemonSets, per node" in out
    assert "istio-injected/statefulset.yaml.injected:1:1" in out
    assert "requests no cpu or memory" in out  # warnings
    assert (
        out.rstrip()
        .splitlines()[-1]
        .startswith("9 workloads (2 DaemonSets): 21 pods to place requesting 2.1 cores and 2.6Gi memory")
    )


def test_replica_modes_and_stdin(cli: Runner) -> None:
    hpa = (
        "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
        "spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 6}\n"
    )
    pods = {}
    for mode in ("min", "declared", "max"):
        code, out, _ = cli(
            "workloads", "-", "--replicas", mode, "-o", "json", stdin=(DEPLOYMENT + hpa).encode(),
        )  # fmt: skip
        assert code == ExitCode.OK
        pods[mode] = json.loads(out)["totals"]["pods"]
    assert pods == {"min": 2, "declared": 1, "max": 6}


def test_bad_replica_mode_is_a_usage_error(cli: Runner) -> None:
    code, _, err = cli("workloads", "-", "--replicas", "most")
    assert code == 2 and "min, declared, max" in err


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_exits_2_with_one_message(case: str, tmp_path: Path, cli: Runner) -> None:
    path, fragment = make_bad_input(case, tmp_path)
    code, out, err = cli("workloads", str(path), "-o", "json")
    assert code == ExitCode.INPUT_ERROR
    assert out == ""
    assert err.startswith("error: ") and fragment in err
    assert str(tmp_path) in err.replace("\n", "")
    assert "Traceback" not in err


def test_max_file_size_flag(tmp_path: Path, cli: Runner) -> None:
    path, _ = make_bad_input("too-large", tmp_path)
    code, out, _ = cli(
        "workloads",
        str(path),
        "--max-file-size",
        "32Mi",
        "-o",
        "json",
    )
    assert code == ExitCode.OK and json.loads(out)["totals"]["workloads"] == 1
    code, _, err = cli("workloads", str(path), "--max-file-size", "big")
    assert code == ExitCode.INPUT_ERROR and "--max-file-size" in err


def test_help_has_examples(cli: Runner) -> None:
    code, out, _ = cli("workloads", "--help")
    assert code == 0
    assert "eks-plan workloads samples/shop/" in out
    assert "helm template my-app ./chart | eks-plan workloads -" in out


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """The installed console script, end to end: bad input is one line on stderr and exit code 2."""
    path, _ = make_bad_input("alias-bomb", tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "from eks_plan.cli.app import main; main()", "workloads", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == ExitCode.INPUT_ERROR
    assert result.stdout == ""
    assert "alias bomb" in result.stderr and "Traceback" not in result.stderr
