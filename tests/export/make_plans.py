"""Write the plan fixtures the export tests read: one plan per corpus folder, as
``eks-plan size FOLDER --plan-out`` writes it with the default configuration.

Run from the repository root after a change to the plan file's shape:
``python tests/export/make_plans.py`` (about 15 s). The tests solve the sample live, so a plan key
the exporters need and these files lack shows up there first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from eks_plan.planning import size_cluster
    from eks_plan.report.size import plan_file_data

    for folder in sorted(path for path in CORPUS.iterdir() if path.is_dir()):
        include = ("*.injected",) if folder.name == "istio-injected" else ()
        result = size_cluster([str(folder)], include=include, time_limit_seconds=2, workers=1)
        data = plan_file_data(result.plan, result.planning, result.config)
        for workload in data["workloads"].values():  # paths relative to the corpus, not this machine
            workload["source"] = (
                str(Path(workload["source"]).relative_to(CORPUS.parent))
                if workload["source"].startswith(str(CORPUS))
                else workload["source"]
            )
        (FIXTURES / f"{folder.name}.plan.json").write_text(json.dumps(data, indent=1) + "\n")
        print(folder.name, data["node_count"], "nodes")


if __name__ == "__main__":
    main()
