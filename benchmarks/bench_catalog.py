"""Catalogue load time: a fresh Python process per run, median of several runs.

Measures, inside each fresh process:
- ``import``: ``import eks_plan.catalog`` (the package and what it imports);
- ``load``: the first ``load_catalog()`` call (read and parse data/catalog.json, build every
  InstanceType) - the figure the 50 ms target is about;
- ``allocatable``: ``allocatable()`` for every type of the catalogue (what ``eks-plan catalog`` and
  the planner do next).

Run: ``python benchmarks/bench_catalog.py [--runs 15]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import json, time
started = time.perf_counter()
import eks_plan.catalog
from eks_plan.catalog.capacity import NodeSettings, allocatable
imported = time.perf_counter()
catalog = eks_plan.catalog.load_catalog()
loaded = time.perf_counter()
settings = NodeSettings()
for instance_type in catalog:
    allocatable(instance_type, settings)
computed = time.perf_counter()
print(json.dumps({"import": imported - started, "load": loaded - imported,
                  "allocatable": computed - loaded, "types": len(catalog)}))
"""

TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    samples: dict[str, list[float]] = {"import": [], "load": [], "allocatable": []}
    types = 0
    for _ in range(arguments.runs):
        result = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True)
        measured = json.loads(result.stdout)
        types = measured.pop("types")
        for key, seconds in measured.items():
            samples[key].append(seconds * 1000)
    print(f"catalogue: {types} instance types, {arguments.runs} fresh processes (median / min / max, ms)")
    for key, values in samples.items():
        print(f"  {key:12} {statistics.median(values):7.1f} {min(values):7.1f} {max(values):7.1f}")
    load = statistics.median(samples["load"])
    verdict = "meets" if load < TARGET_MS else "MISSES"
    print(f"load_catalog(): median {load:.1f} ms {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
