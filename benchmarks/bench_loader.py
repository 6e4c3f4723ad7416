"""How fast eks-plan loads manifests: documents per second on the shared corpus, replicated.

Copies every folder of ``../shared/corpus`` (all of its files, CRDs and all) into a temporary
directory as many times as it takes to pass ``--documents`` Kubernetes objects (10,000 by
default), then times :func:`eks_plan.manifests.load_manifests` on that directory, which is what
``eks-plan workloads DIR`` does before printing. The target is at least 5,000 documents/s.

Usage::

    python benchmarks/bench_loader.py                  # 10,000+ documents, best of 3 runs
    python benchmarks/bench_loader.py --documents 50000 --runs 1 --profile

``--profile`` prints the 25 most expensive functions of the last run (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from eks_plan.manifests import ReplicaMode, load_manifests

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_DOCUMENTS_PER_SECOND = 5000


def replicate(corpus: Path, destination: Path, minimum_documents: int) -> tuple[int, int]:
    """Copy the corpus folders into ``destination/copy-N/`` until they hold ``minimum_documents``
    objects; return (copies, documents)."""
    single = load_manifests([corpus], include=["*.injected"], replicas=ReplicaMode.DECLARED).documents
    copies = -(-minimum_documents // single)
    for number in range(copies):
        shutil.copytree(
            corpus, destination / f"copy-{number:03d}", ignore=shutil.ignore_patterns("*.md", "*.tsv")
        )
    return copies, copies * single


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000, help="at least this many documents")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (the best is reported)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of the last run")
    arguments = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"the shared corpus is missing: expected it at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="eks-plan-bench-") as temporary:
        root = Path(temporary)
        copies, expected = replicate(CORPUS, root, arguments.documents)
        size = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
        load_manifests([root], include=["*.injected"])  # warm the page cache and imports
        timings = []
        profiler = cProfile.Profile() if arguments.profile else None
        for run in range(arguments.runs):
            if profiler is not None and run == arguments.runs - 1:
                profiler.enable()
            started = time.perf_counter()
            manifests = load_manifests([root], include=["*.injected"])
            timings.append(time.perf_counter() - started)
            if profiler is not None:
                profiler.disable()
        if manifests.documents != expected:
            print(f"loaded {manifests.documents} documents, expected {expected}", file=sys.stderr)
            return 1
        best = min(timings)
        rate = manifests.documents / best
        print(f"corpus copies:      {copies} ({len(manifests.files)} files, {size / 2**20:.1f} MiB)")
        print(f"documents:          {manifests.documents}")
        print(f"workloads:          {len(manifests.workloads)}")
        print(f"seconds (best):     {best:.3f}   (median {statistics.median(timings):.3f} of {len(timings)})")
        print(
            f"documents/second:   {rate:,.0f}   (target >= {TARGET_DOCUMENTS_PER_SECOND:,}: "
            f"{'met' if rate >= TARGET_DOCUMENTS_PER_SECOND else 'NOT met'})"
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
