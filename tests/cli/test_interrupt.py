"""Ctrl-C during a solve: it stops well before the time limit, prints nothing on stdout, writes no
plan file, and exits 130 with one line on stderr; the library's cancellation token, which the CLI
sets from its SIGINT handler, stops a solve running in another thread."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from eks_plan.planning import size_cluster
from eks_plan.solver import Cancelled, CancelToken

SHOP = REPO_ROOT / "samples" / "shop"
#: Far longer than any test may take: the solve would use most of it (its work budget is as long).
TIME_LIMIT = 600
#: A progress line printed once the solver runs CP-SAT (the integer bound, seconds of work).
SOLVING = "proving a lower bound with whole nodes per zone (CP-SAT)"


def _interrupt_once_solving(args: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """Start the CLI, wait for the solving progress line on stderr, send one SIGINT; return the
    finished process and the seconds it ran."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "eks_plan.cli.app", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    try:
        for line in process.stderr:  # ends when the process closes stderr
            seen.append(line)
            if SOLVING in line:
                process.send_signal(signal.SIGINT)
                break
        else:
            pytest.fail("the solve never started:\n" + "".join(seen))
        stdout, rest = process.communicate(timeout=TIME_LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    ran = time.monotonic() - started
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, "".join(seen) + rest), ran


@pytest.mark.parametrize("command", ["size", "check-ips"])
def test_ctrl_c_during_the_solve_exits_130_with_nothing_printed_and_no_plan_file(
    command: str, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    args = [command, str(SHOP / "manifests"), "-c", str(SHOP / "eks-plan.yaml")]
    args += ["--time-limit", str(TIME_LIMIT), "-o", "json"]
    if command == "size":
        args += ["--plan-out", str(plan_file)]
    run, seconds = _interrupt_once_solving(args)
    assert run.returncode == 130, run.stderr
    assert run.stdout == ""
    assert not plan_file.exists()
    assert run.stderr.splitlines()[-1] == "interrupted"
    assert "Traceback" not in run.stderr
    assert seconds < TIME_LIMIT


def test_cancelling_the_token_from_another_thread_stops_the_solve() -> None:
    token = CancelToken()

    class CancelWhenSolving:
        """Cancels from a helper thread once CP-SAT runs, as an interactive front end would."""

        def __init__(self) -> None:
            self.helper: threading.Thread | None = None

        def on_phase(self, message: str) -> None:
            if message == SOLVING and self.helper is None:
                self.helper = threading.Thread(target=token.cancel)
                self.helper.start()

        def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
            return None

    observer = CancelWhenSolving()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        size_cluster(
            [str(SHOP / "manifests")],
            config_path=SHOP / "eks-plan.yaml",
            time_limit_seconds=TIME_LIMIT,
            observer=observer,
            cancel=token,
        )
    assert observer.helper is not None
    observer.helper.join()
    assert time.monotonic() - started < TIME_LIMIT


def test_a_token_cancelled_before_the_solve_stops_it_before_any_work() -> None:
    token = CancelToken()
    token.cancel()
    phases: list[str] = []

    class Phases:
        def on_phase(self, message: str) -> None:
            phases.append(message)

        def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
            return None

    with pytest.raises(Cancelled):
        size_cluster(
            [str(SHOP / "manifests")], config_path=SHOP / "eks-plan.yaml", observer=Phases(), cancel=token
        )
    assert phases == ["loading manifests"]
