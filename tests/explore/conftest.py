"""A tiny cluster for the explore tests: one Deployment of four 1-vCPU pods, two zones, two subnets,
three instance families. A solve takes well under a second, so a test can solve several times."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: "1", memory: 2Gi}}
"""

CONFIG = """\
region: us-east-1
zones: [us-east-1a, us-east-1b]
nodePools:
  - name: general
    instances:
      families: [m6i, c6i, m7g]
      vcpus: {max: 8}
    maxNodes: 10
subnets:
  - {zone: us-east-1a, cidr: 10.0.0.0/24}
  - {zone: us-east-1b, cidr: 10.0.1.0/24}
"""

#: Solver seconds per solve in these tests: the tiny problem is proven optimal long before.
TIME_LIMIT = 5.0


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A folder holding manifests/web.yaml and eks-plan.yaml."""
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "web.yaml").write_text(WEB)
    (tmp_path / "eks-plan.yaml").write_text(CONFIG)
    return tmp_path


def open_session(folder: Path, config: Path | None = None):  # type: ignore[no-untyped-def]
    """A session on the tiny cluster (or another config file), one solver worker."""
    from eks_plan.explore.session import Session

    return Session.open(
        [str(folder / "manifests")],
        config_path=config or folder / "eks-plan.yaml",
        time_limit_seconds=TIME_LIMIT,
        workers=1,
    )


class Run:
    """What one in-process run of ``eks-plan`` printed and how it ended."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err
        self.message = " ".join(err.split())


def run_cli(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> Run:
    """Run the console-script entry point with ``args`` and ``stdin`` (a pipe, not a terminal)."""
    from eks_plan.cli.app import main

    monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main()
    captured = capsys.readouterr()
    code = ended.value.code
    return Run(code if isinstance(code, int) else 1, captured.out, captured.err)


@pytest.fixture
def session_of():  # type: ignore[no-untyped-def]
    """``session_of(folder, config=None)``: open a session on a tiny folder."""
    return open_session


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``cli(args, stdin="")``: run eks-plan in-process with a piped standard input."""

    def run(args: list[str], stdin: str = "") -> Run:
        return run_cli(args, capsys, monkeypatch, stdin)

    return run
