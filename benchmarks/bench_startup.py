"""How fast ``eks-plan --help`` starts, as a ratio to a bare ``python -c pass``.

Both run as fresh processes of the same interpreter, alternately, ``--runs`` times each; the
report gives the medians and their ratio (target: at most 4x). ``eks-plan`` is run by calling the
console script's entry point (``eks_plan.cli.app:main``) from ``python -c``, so the figure
measures Python start-up and imports, not the shell or the PATH lookup.

Usage::

    python benchmarks/bench_startup.py            # 15 runs of each
    python benchmarks/bench_startup.py --runs 30 --importtime

``--importtime`` also prints the ten slowest imports of one ``eks-plan --help`` (``python -X
importtime``), to see what dominates when the ratio is too high.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_RATIO = 4.0
HELP = [
    sys.executable,
    "-c",
    "import sys; sys.argv = ['eks-plan', '--help']; from eks_plan.cli.app import main; main()",
]
BARE = [sys.executable, "-c", "pass"]


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def slowest_imports(count: int = 10) -> list[tuple[int, str]]:
    """``(cumulative microseconds, module)`` of the slowest imports of one ``eks-plan --help``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *HELP[1:]], capture_output=True, text=True, check=True
    )
    rows = []
    for line in result.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[1].strip().isdigit():
            continue
        rows.append((int(fields[1]), fields[2].strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command")
    parser.add_argument("--importtime", action="store_true", help="print the slowest imports")
    arguments = parser.parse_args()
    wall_time(HELP)  # warm the file cache and the .pyc files
    wall_time(BARE)
    help_times, bare_times = [], []
    for _ in range(arguments.runs):
        help_times.append(wall_time(HELP))
        bare_times.append(wall_time(BARE))
    help_median, bare_median = statistics.median(help_times), statistics.median(bare_times)
    ratio = help_median / bare_median
    print(f"python -c pass:     {bare_median * 1000:.1f} ms (median of {arguments.runs})")
    print(f"eks-plan --help:    {help_median * 1000:.1f} ms (median of {arguments.runs})")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"ratio:              {ratio:.2f}x   (target <= {TARGET_RATIO:.0f}x: {verdict})")
    if arguments.importtime:
        print("slowest imports (cumulative):")
        for microseconds, name in slowest_imports():
            print(f"  {microseconds / 1000:8.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
