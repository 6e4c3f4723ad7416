"""Report tables at 80 and 120 columns lose no value (issue 10): golden files of every command's table,
rendered in-process into a recording Rich console of that width.

A pipe, a file or a CI log is 80 columns wide; Rich used to cut values to "…" or crop columns there.
Each test renders a command's human output, checks that no value is cut, and compares it with
``tests/golden/honest/<name>-<width>.txt``. After a deliberate change of a report, regenerate the
files with ``EKS_PLAN_UPDATE_GOLDEN=1 python -m pytest tests/cli/test_golden_tables.py`` and review
the diff. Timing values are zeroed before rendering so the files do not depend on the machine.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from rich.console import Console
from typer.testing import CliRunner

from eks_plan.cli import output
from eks_plan.cli.app import app

GOLDEN = Path(__file__).parents[1] / "golden" / "honest"
UPDATE = os.environ.get("EKS_PLAN_UPDATE_GOLDEN") == "1"
WIDTHS = (80, 120)
SHOP = REPO_ROOT / "samples" / "shop"
PLAN_FIXTURE = Path(__file__).parents[1] / "network" / "fixtures" / "plan-small.json"
# Long names and a long reason, so that cells must wrap at 80 columns.
SMALL_SHOP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: storefront-web-frontend-with-a-long-name, namespace: retail-production}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: 500m, memory: 1Gi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: orders-database, namespace: retail-production}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: db
          image: postgres
          resources: {requests: {cpu: "1", memory: 4Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gpu-inference, namespace: retail-production}
spec:
  replicas: 1
  selector: {matchLabels: {app: gpu}}
  template:
    metadata: {labels: {app: gpu}}
    spec:
      containers:
        - name: model
          image: vllm
          resources: {limits: {nvidia.com/gpu: 1}, requests: {cpu: "2", memory: 8Gi}}
"""


def record(width: int, terminal: bool = False) -> Console:
    """A console that keeps what is printed, ``width`` columns wide, without colour codes."""
    return Console(
        record=True,
        width=width,
        file=io.StringIO(),
        force_terminal=terminal,
        color_system=None,
        highlight=False,
    )


@pytest.fixture
def report_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Console]]:
    """Installs a recording console as the commands' stdout: ``holder["console"]`` once set."""
    holder: dict[str, Console] = {}

    def recording() -> Console:
        return holder["console"]

    monkeypatch.setattr(output, "stdout", recording)
    for module in ("catalog", "check_ips", "schema", "workloads", "size"):
        monkeypatch.setattr(f"eks_plan.cli.{module}.stdout", recording, raising=False)
    yield holder


def rendered(holder: dict[str, Console], args: list[str], width: int, terminal: bool = False) -> str:
    holder["console"] = record(width, terminal)
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    return holder["console"].export_text(styles=False)


def check_golden(name: str, width: int, text: str) -> None:
    """No value cut, no line wider than the console, and the same text as the golden file."""
    lines = [line.rstrip() for line in text.splitlines()]
    assert "…" not in text, f"{name} at {width} columns cuts a value"
    assert max(map(len, lines), default=0) <= width, f"{name} is wider than {width} columns"
    path = GOLDEN / f"{name}-{width}.txt"
    normalised = "\n".join(lines) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(normalised, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with EKS_PLAN_UPDATE_GOLDEN=1 to write it"
    assert normalised == path.read_text(encoding="utf-8"), f"{path} differs: see the module docstring"


@pytest.mark.parametrize("width", WIDTHS)
def test_catalog_list_in_a_terminal(report_console: dict[str, Console], width: int) -> None:
    text = rendered(report_console, ["catalog", "--family", "g6", "--family", "m7gd"], width, terminal=True)
    for name in ("g6.xlarge", "g6.48xlarge", "m7gd.16xlarge", "8x l4"):
        assert name in text
    check_golden("catalog", width, text)


def test_catalog_list_in_a_pipe_keeps_one_type_a_line(report_console: dict[str, Console]) -> None:
    """A pipe or file gets the whole table, one instance type a line (for grep), not an 80-column cut."""
    text = rendered(report_console, ["catalog", "--family", "g6"], 80)
    assert "…" not in text
    row = next(line for line in text.splitlines() if "g6.48xlarge" in line)
    assert "8x l4" in row and "$" in row


@pytest.mark.parametrize("width", WIDTHS)
def test_catalog_detail(report_console: dict[str, Console], width: int) -> None:
    check_golden(
        "catalog-detail", width, rendered(report_console, ["catalog", "g6.xlarge"], width, terminal=True)
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_workloads(report_console: dict[str, Console], width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths are printed as given: relative ones keep the golden file independent of the checkout.
    monkeypatch.chdir(REPO_ROOT)
    text = rendered(report_console, ["workloads", "samples/shop/manifests"], width)
    assert "rebuild-index" in text and "completions 8" in text
    check_golden("workloads", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_ips_plan(
    report_console: dict[str, Console], width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PLAN_FIXTURE.parent)
    args = ["check-ips", "--plan", PLAN_FIXTURE.name, "--subnet", "us-east-1a=10.0.0.0/26",
            "--subnet", "us-east-1b=10.0.0.64/26"]  # fmt: skip
    text = rendered(report_console, args, width)
    assert "10.0.0.64/26" in text
    check_golden("check-ips", width, text)


@pytest.mark.parametrize("width", WIDTHS)
def test_schema_table(report_console: dict[str, Console], width: int) -> None:
    text = rendered(report_console, ["schema", "-o", "table"], width)
    assert "nodePools[].maxNodes" in text and "spotPriceFile" in text
    check_golden("schema", width, text)


def hand_made_plan(problem, options, observer):  # type: ignore[no-untyped-def]
    """Stands in for the solver: a fixed plan of the small shop, so that the golden files show the
    report's layout and do not depend on how far the search gets on a busy machine. Two m6i.2xlarge
    nodes in zones a and b, the GPU pods unplaced with a long reason, one preferred rule broken."""
    from eks_plan.report.reasons import notes_of
    from eks_plan.solver.plan import Plan, PlannedNode, SoftRuleOutcome, Unschedulable

    def option(zone: str):  # type: ignore[no-untyped-def]
        return next(o for o in problem.node_options if o.instance_type == "m6i.2xlarge" and o.zone == zone)

    keys = [group.key for group in problem.pod_groups]
    web, db, gpu = (next(key for key in keys if name in key) for name in ("storefront", "orders", "gpu"))
    nodes = (
        PlannedNode("default-us-east-1a-m6i.2xlarge-1", option("us-east-1a"), {web: 2, db: 1}),
        PlannedNode("default-us-east-1b-m6i.2xlarge-1", option("us-east-1b"), {web: 1, db: 1}),
    )
    cost = sum(node.option.price_per_hour for node in nodes)
    missing = Unschedulable(
        gpu,
        1,
        notes_of(
            ["0/231 instance types: 231 Insufficient nvidia.com/gpu (the pool allows no GPU instance type)"]
        ),
        ("allow instance type g6.xlarge in pool default ($0.8048/hour, the cheapest that fits)",),
    )
    spread = SoftRuleOutcome(
        web, "topologySpreadConstraint kubernetes.io/hostname maxSkew 1 (ScheduleAnyway)", False, "skew 1"
    )
    return Plan(nodes, (missing,), cost, cost * 0.9, "feasible", 0.0, (spread,))


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The small shop through `size_cluster` with the hand-made plan in place of the solver's."""
    from eks_plan.plan.document import PlanDocument
    from eks_plan.planning import size_cluster
    from eks_plan.report.size import plan_file_data

    folder = tmp_path_factory.mktemp("small-shop")
    (folder / "shop.yaml").write_text(SMALL_SHOP)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("eks_plan.solver.solve", hand_made_plan)
        result = size_cluster([folder / "shop.yaml"], time_limit_seconds=1)
    data = plan_file_data(result.plan, result.planning)
    for workload in data["workloads"].values():
        workload["source"] = workload["source"].replace(str(folder), "manifests")
    return PlanDocument.from_dict(data), result


@pytest.mark.parametrize("width", WIDTHS)
def test_size(small_plan, width: int) -> None:  # type: ignore[no-untyped-def]
    from eks_plan.report.size import render_plan

    data, _result = small_plan
    console = record(width)
    render_plan(data, console)
    text = console.export_text(styles=False)
    assert "Deployment/retail-production/storefront-web-frontend-with-a-long-name" in "".join(text.split())
    assert "g6.xlarge" in text and "cheapest" in text
    check_golden("size", width, text)


def test_a_table_too_wide_to_wrap_is_stacked_whole() -> None:
    """Two columns of unbreakable values wider than the console together: every value still
    printed whole, each row as a block of ``header: value`` lines."""
    from rich.table import Table

    from eks_plan.report.layout import print_table

    table = Table(title="pairs")
    table.add_column("name", no_wrap=True)
    table.add_column("address", no_wrap=True)
    table.add_row("a-rather-long-unbreakable-name", "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0abc")
    console = record(40)
    print_table(console, table)
    lines = [line.rstrip() for line in console.export_text(styles=False).splitlines()]
    assert lines[:2] == ["pairs", "a-rather-long-unbreakable-name"]
    assert lines[2].startswith("  address: arn:aws:ec2:")
    # The value folds under itself, whole: its pieces join back to the address.
    pieces = [lines[2].removeprefix("  address: ")] + [line.strip() for line in lines[3:]]
    assert "".join(pieces) == "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0abc"
    assert all(len(line) <= 40 for line in lines)
