"""How much memory eks-plan takes to load manifests: peak RSS per MB of input.

Copies every folder of ``../shared/corpus`` (all of its files, CRDs and all) into a temporary
directory as many times as it takes to pass ``--megabytes`` of input (50 by default), then loads
it with :func:`eks_plan.manifests.load_manifests` in a fresh Python process and reports the
input size, that process's peak resident memory (with its forked helper's added, when loading
is shared) and their ratio. With ``--single-file``, the copies are concatenated into one YAML
stream instead (up to ``--megabytes``; the file-size cap is raised to match), which is the worst
case for a loader that holds a whole file's documents at once. With ``--workloads-only`` the file
keeps only the corpus documents the planner parses (Deployments, StatefulSets, HPAs...; no CRDs,
which are counted unparsed), the worst case per byte.

Positions are kept as in any run (every workload's and request's ``file:line:column``): the
loaded manifests are asked for the source of every workload before the process measures itself.
The target is a peak of at most 20x the input.

Usage::

    python benchmarks/bench_loader_memory.py                    # 50 MB of corpus copies
    python benchmarks/bench_loader_memory.py --megabytes 15 --single-file --workloads-only
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_RATIO = 20.0

#: The fresh process: import eks-plan (its baseline RSS is measured first and reported), load the
#: input, touch every workload's source position, and report peak RSS of itself and its children.
_CHILD = r"""
import json, resource, sys
from eks_plan.manifests import ReplicaMode, load_manifests

def peak_mib(who):
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB

baseline = peak_mib(resource.RUSAGE_SELF)
path, max_bytes = sys.argv[1], int(sys.argv[2])
manifests = load_manifests([path], include=["*.injected"], replicas=ReplicaMode.DECLARED,
                           max_file_bytes=max_bytes)
sources = [str(workload.source) for workload in manifests.workloads]
assert all(":" in source for source in sources), "a workload lost its position"
print(json.dumps({
    "documents": manifests.documents, "workloads": len(manifests.workloads),
    "baseline_mib": baseline, "self_mib": peak_mib(resource.RUSAGE_SELF),
    "children_mib": peak_mib(resource.RUSAGE_CHILDREN),
}))
"""


def replicate(corpus: Path, destination: Path, megabytes: float) -> int:
    """Copy the corpus folders into ``destination/copy-N/`` until they pass ``megabytes``;
    return the bytes copied."""
    total = 0
    number = 0
    while total < megabytes * 1e6:
        target = destination / f"copy-{number:03d}"
        shutil.copytree(corpus, target, ignore=shutil.ignore_patterns("*.md", "*.tsv"))
        total += sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
        number += 1
    return total


def concatenate(corpus: Path, destination: Path, megabytes: float, workloads_only: bool) -> int:
    """One multi-document YAML file of corpus files, repeated until it passes ``megabytes``."""
    from eks_plan.manifests.loader import READ_KINDS, sniff_kind, split_documents

    parts = []
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and (path.suffix in (".yaml", ".yml") or path.name.endswith(".injected")):
            text = path.read_text(encoding="utf-8")
            if text.lstrip().startswith(("{", "[")):
                continue
            for _, part in split_documents(text):
                if workloads_only and sniff_kind(part) not in READ_KINDS:
                    continue
                body = part.removeprefix("---").lstrip("\n")
                if body.strip():
                    parts.append(body if body.endswith("\n") else body + "\n")
    chunk = "---\n".join(parts)
    written = 0
    with open(destination, "w", encoding="utf-8") as handle:
        while written < megabytes * 1e6:
            handle.write(chunk if written == 0 else "---\n" + chunk)
            written += len(chunk.encode("utf-8")) + 4
    return destination.stat().st_size


def _shape(arguments: argparse.Namespace) -> str:
    if not arguments.single_file:
        return "corpus copies"
    return "one file, workload documents only" if arguments.workloads_only else "one file"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0, help="input size (MB, 10^6 bytes)")
    parser.add_argument("--single-file", action="store_true", help="one concatenated YAML file")
    parser.add_argument(
        "--workloads-only", action="store_true", help="with --single-file: only documents the planner parses"
    )
    arguments = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"the shared corpus is missing: expected it at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="eks-plan-bench-memory-") as temporary:
        root = Path(temporary)
        if arguments.single_file:
            target = root / "all.yaml"
            size = concatenate(CORPUS, target, arguments.megabytes, arguments.workloads_only)
        else:
            target = root / "corpus"
            size = replicate(CORPUS, target, arguments.megabytes)
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD, str(target), str(size + 1)],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            print(completed.stderr, file=sys.stderr)
            return 1
        figures = json.loads(completed.stdout)
    size_mb = size / 2**20
    peak = figures["self_mib"] + figures["children_mib"]
    ratio = peak / size_mb
    print(f"input:              {size_mb:.1f} MiB ({_shape(arguments)})")
    print(f"documents:          {figures['documents']} ({figures['workloads']} workloads)")
    print(f"baseline RSS:       {figures['baseline_mib']:.0f} MiB (Python and eks-plan imported)")
    mine, helper = figures["self_mib"], figures["children_mib"]
    print(f"peak RSS:           {peak:.0f} MiB (this process {mine:.0f}, helper {helper:.0f})")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"peak / input:       {ratio:.1f}x   (target <= {TARGET_RATIO:.0f}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
