"""Snapshot what `size` and `check-ips` print on the sample and every corpus folder, to compare two trees.

The byte-identical check behind a refactoring (issue 11): run it on the tree before and after, then
``diff -r BEFORE AFTER``. Each case writes stdout, stderr and the exit code of one command; the
``solve_seconds`` value and the table's seconds (wall time) are blanked, and the folders' paths
(this tree's, SRC_ROOT's, OUT_DIR's), nothing else. The solver is deterministic given its
work budget, so every run gets a wall-clock net 20 times its ``--time-limit`` (the work budget stays
``--time-limit`` deterministic seconds): a busy machine cannot cut a stage short, and each JSON plan
is checked to say ``"stopped_by": "work-limit"``.

Usage: ``python scripts/output_snapshot.py SRC_ROOT OUT_DIR [FOLDER...]``, then ``diff -r``
(SRC_ROOT: the tree whose
``eks_plan`` runs; the corpus is read from ``../shared/corpus`` next to this tree's parent, or
``$EKS_PLAN_CORPUS``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("EKS_PLAN_CORPUS", HERE.parent / "shared" / "corpus"))
SAMPLE = HERE / "samples" / "shop"
TIME_LIMIT = "2"

#: Runs the CLI with the wall-clock safety net widened (work budget unchanged).
RUNNER = """
import sys
import eks_plan.solver.budget as budget
original = budget.SolveBudget.__init__
def widened(self, time_limit, work=None, cancel=None):
    original(self, 20 * time_limit, time_limit if work is None else work, cancel)
budget.SolveBudget.__init__ = widened
from eks_plan.cli.app import main
sys.argv = ["eks-plan", *sys.argv[1:]]
main()
"""

SECONDS = re.compile(r'("solve_seconds": )[0-9.]+')
#: The table's "(feasible, 3.9 s)" after the cost bound.
TABLE_SECONDS = re.compile(r"(\((?:optimal|feasible), )[0-9.]+ s\)")


def normalise(text: str, src: Path, out: Path) -> str:
    """Blank wall time and the two folders' names (the rest must be equal byte for byte)."""
    text = TABLE_SECONDS.sub(r"\g<1>N s)", SECONDS.sub(r"\g<1>0", text))
    return text.replace(str(out), "OUT").replace(str(src), "SRC").replace(str(HERE), "SRC")


def run(src: Path, out: Path, name: str, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, env=env, cwd=src
    )
    stdout = normalise(done.stdout, src, out)
    stderr = normalise(done.stderr, src, out)
    (out / f"{name}.out").write_text(stdout)
    (out / f"{name}.err").write_text(stderr)
    (out / f"{name}.rc").write_text(f"{done.returncode}\n")
    return stdout


def main() -> None:
    src, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    wanted = set(sys.argv[3:])
    out.mkdir(parents=True, exist_ok=True)
    cases: list[tuple[str, list[str]]] = [
        ("sample", ["-c", str(SAMPLE / "eks-plan.yaml"), str(SAMPLE / "manifests")])
    ]
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        include = ["--include", "*.injected"] if folder.name == "istio-injected" else []
        cases.append((folder.name, [str(folder), *include]))
    common = ["--time-limit", TIME_LIMIT, "--workers", "2", "--seed", "0", "-q"]
    for name, args in cases:
        if wanted and name not in wanted:
            continue
        plan = out / f"{name}.plan.json"
        stdout = run(
            src, out, f"{name}.size.json", ["size", *args, *common, "-o", "json", "--plan-out", str(plan)]
        )
        try:
            stopped = json.loads(stdout).get("stopped_by")
        except ValueError:
            stopped = "no JSON"
        if stopped != "work-limit":
            print(f"{name}: stopped_by {stopped}", file=sys.stderr)
        run(src, out, f"{name}.size.table", ["size", *args, *common])
        run(src, out, f"{name}.check-ips.table", ["check-ips", *args, *common])
        config = ["-c", str(SAMPLE / "eks-plan.yaml")] if name == "sample" else []
        if plan.exists():
            run(
                src,
                out,
                f"{name}.check-ips-plan.json",
                ["check-ips", "--plan", str(plan), *config, "-o", "json"],
            )
            run(src, out, f"{name}.check-ips-plan.table", ["check-ips", "--plan", str(plan), *config])
        if plan.exists():
            plan.write_text(normalise(plan.read_text(), src, out))
        print(name, file=sys.stderr)


if __name__ == "__main__":
    main()
