"""How long ``eks-plan lint`` takes over every folder of the shared corpus.

First every folder is linted in one process with ``--no-plan`` (the loader, every rule but the plan
rules, suppressions: the target is under 2 s for all folders together on the project's 2-core
machine). Then two passes lint each folder in a fresh process, as CI runs it (``python -m
eks_plan.cli.app lint FOLDER``), with the default configuration:

* ``--no-plan``: interpreter start-up, imports and the catalogue load included;
* with the plan rules, at ``--time-limit`` (default 30 s, the CLI default).

The time reported per folder is the wall-clock time of the whole process (interpreter start-up,
imports, loading, rules, output), and the number of findings it printed. Usage::

    python benchmarks/bench_lint.py                 # both passes
    python benchmarks/bench_lint.py --no-plan-only  # the fast pass only
    python benchmarks/bench_lint.py --time-limit 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
INCLUDES = {"istio-injected": ["*.injected"]}


def lint_folder(folder: Path, plan: bool, time_limit: float) -> tuple[float, int, int]:
    """``(seconds, exit code, findings)`` of one ``eks-plan lint`` process over ``folder``."""
    command = [sys.executable, "-m", "eks_plan.cli.app", "lint", str(folder), "--format", "json"]
    for glob in INCLUDES.get(folder.name, []):
        command += ["--include", glob]
    command += ["--time-limit", str(time_limit)] if plan else ["--no-plan"]
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=REPO_ROOT, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{folder.name}: exit {done.returncode}\n{done.stderr}")
    return seconds, done.returncode, len(json.loads(done.stdout)["findings"])


def lint_in_process(folder: Path) -> tuple[float, int]:
    """``(seconds, findings)`` of :func:`eks_plan.lint.engine.lint_paths` over ``folder`` in this
    process: the loader, the rules and the suppressions, without interpreter start-up."""
    from eks_plan.lint.context import LintOptions
    from eks_plan.lint.engine import lint_paths

    started = time.perf_counter()
    report = lint_paths(
        [str(folder)], include=INCLUDES.get(folder.name, []), options=LintOptions(run_plan=False)
    )
    return time.perf_counter() - started, len(report.findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-plan-only", action="store_true", help="skip the pass with the plan rules")
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="solver seconds per folder (plan pass)"
    )
    arguments = parser.parse_args()
    folders = sorted(path for path in CORPUS.iterdir() if path.is_dir())
    sys.path.insert(0, str(REPO_ROOT))
    from eks_plan.catalog import load_catalog

    load_catalog()  # once per process, as in any run; not part of linting a folder
    print("eks-plan lint --no-plan, in one process (loader, rules, suppressions)")
    total = 0.0
    for folder in folders:
        seconds, findings = lint_in_process(folder)
        total += seconds
        print(f"  {folder.name:<22} {seconds:7.3f} s  {findings:3d} findings")
    print(f"  {'total':<22} {total:7.3f} s over {len(folders)} folders\n")
    passes = [False] if arguments.no_plan_only else [False, True]
    for plan in passes:
        title = f"with plan rules (--time-limit {arguments.time_limit:g})" if plan else "--no-plan"
        print(f"eks-plan lint {title}")
        total = 0.0
        for folder in folders:
            seconds, code, findings = lint_folder(folder, plan, arguments.time_limit)
            total += seconds
            print(f"  {folder.name:<22} {seconds:7.2f} s  exit {code}  {findings:3d} findings")
        print(f"  {'total':<22} {total:7.2f} s over {len(folders)} folders\n")


if __name__ == "__main__":
    main()
