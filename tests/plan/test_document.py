"""The typed plan document: its JSON round trip, its schema, and the file `size --plan-out` writes.

``PlanDocument.to_json`` must write what ``size -o json`` and ``--plan-out`` always wrote (byte for
byte: ``scripts/output_snapshot.py`` compares whole runs on the sample and the corpus), and
``from_json(to_json(d)) == d`` for every document, including ones no solver would write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eks_plan.errors import InputError
from eks_plan.plan import plan_problems
from eks_plan.plan.document import (
    PlanDocument,
    PlanFargate,
    PlanFargatePods,
    PlanNode,
    PlanNodeGroup,
    PlanPool,
    PlanRequests,
    PlanResources,
    PlanSoftRule,
    PlanSubnet,
    PlanTaint,
    PlanUnschedulable,
    PlanWorkload,
)

TESTS = Path(__file__).resolve().parents[1]
#: Plans written by plan_file_data through tests/export/make_plans.py (one per corpus folder).
WRITTEN_PLANS = sorted((TESTS / "export" / "fixtures").glob("*.plan.json"))


@pytest.mark.parametrize("path", WRITTEN_PLANS, ids=lambda path: path.name)
def test_a_written_plan_reads_into_the_document_and_back_unchanged(path: Path) -> None:
    text = path.read_text()
    document = PlanDocument.from_json(text, path.name)
    assert document.to_dict() == json.loads(text)
    assert json.dumps(document.to_dict(), indent=1) + "\n" == text  # same keys, same order
    assert PlanDocument.from_json(document.to_json()) == document


def test_a_hand_written_plan_keeps_what_it_says() -> None:
    """A hand-written plan (no DaemonSet overhead gpus, no pools' export keys) reads and round-trips;
    keys it leaves out stay out, and a workload's missing max_surge becomes the file's null."""
    text = (TESTS / "network" / "fixtures" / "plan-small.json").read_text()
    document = PlanDocument.from_json(text)
    assert PlanDocument.from_json(document.to_json()) == document
    data = document.to_dict()
    assert "node_groups" not in data and "version" not in data
    assert plan_problems(data) == []


def test_an_invalid_plan_is_an_input_error_naming_the_key() -> None:
    with pytest.raises(InputError, match=r"plan.json: invalid plan: nodes\[0\].allocatable: missing"):
        PlanDocument.from_json(
            json.dumps(
                {
                    "region": "us-east-1",
                    "workloads": {},
                    "nodes": [
                        {
                            "name": "n",
                            "instance_type": "m5.large",
                            "zone": "us-east-1a",
                            "daemonset_overhead": {"cpu_millicores": 0, "memory_bytes": 0, "pods": 0},
                            "vpc_ip_pods": 0,
                            "security_group_pods": 0,
                            "pods": {},
                        }
                    ],
                }
            ),
            "plan.json",
        )


def test_a_pool_writes_its_export_keys_together() -> None:
    """A pool's maxPods is written (null when unset) exactly when the plan carries its config."""
    bare = PlanPool(name="general", min_nodes=0, max_nodes=None)
    assert bare.max_pods is None
    assert PlanDocument(region="r", nodes=(), workloads={}, pools=(bare,)).to_dict()["pools"] == [
        {"name": "general", "min_nodes": 0, "max_nodes": None}
    ]
    full = PlanPool("gpu", 0, 4, "karpenter", ("spot",), ("us-east-1a",), {}, (), None)
    assert PlanDocument(region="r", nodes=(), workloads={}, pools=(full,)).to_dict()["pools"][0] == {
        "name": "gpu",
        "min_nodes": 0,
        "max_nodes": 4,
        "node_style": "karpenter",
        "capacity_types": ["spot"],
        "zones": ["us-east-1a"],
        "labels": {},
        "taints": [],
        "max_pods": None,
    }


# Generated documents: any values of the right types, None where a key may be absent.
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-./", min_size=1, max_size=12)
counts = st.integers(min_value=0, max_value=10**6)
prices = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


resources = st.builds(PlanResources, counts, counts, counts, maybe(counts))
nodes = st.builds(
    PlanNode,
    name=names,
    instance_type=names,
    zone=names,
    allocatable=resources,
    daemonset_overhead=resources,
    vpc_ip_pods=counts,
    security_group_pods=counts,
    pods=st.dictionaries(names, counts, max_size=3),
    pool=maybe(names),
    capacity_type=maybe(st.sampled_from(["on-demand", "spot"])),
    price_per_hour=maybe(prices),
)
workloads = st.builds(
    PlanWorkload,
    kind=names,
    replicas=counts,
    requests=st.builds(PlanRequests, counts, counts, maybe(counts)),
    replicas_reason=maybe(names),
    host_network=maybe(st.booleans()),
    max_surge=maybe(counts),
    hpa_max_replicas=maybe(counts),
    source=maybe(names),
)
node_groups = st.builds(
    PlanNodeGroup,
    names,
    names,
    names,
    st.sampled_from(["on-demand", "spot"]),
    counts,
    maybe(prices),
    maybe(prices),
    maybe(names),
    maybe(counts),
    maybe(counts),
    maybe(counts),
    maybe(counts),
)
taints = st.builds(PlanTaint, names, st.sampled_from(["NoSchedule", "NoExecute"]), maybe(names))
pools = st.builds(PlanPool, names, maybe(counts), maybe(counts)) | st.builds(
    PlanPool,
    names,
    maybe(counts),
    maybe(counts),
    names,
    maybe(st.tuples(names)),
    maybe(st.tuples(names)),
    maybe(st.dictionaries(names, names, max_size=2)),
    maybe(st.lists(taints, max_size=2).map(tuple)),
    maybe(counts),
)
documents = st.builds(
    PlanDocument,
    region=names,
    nodes=st.lists(nodes, max_size=3).map(tuple),
    workloads=st.dictionaries(names, workloads, max_size=3),
    version=maybe(st.just(1)),
    zones=maybe(st.lists(names, max_size=3).map(tuple)),
    cost_per_hour=maybe(prices),
    gap=maybe(prices),
    status=maybe(st.sampled_from(["optimal", "feasible"])),
    node_groups=maybe(st.lists(node_groups, max_size=2).map(tuple)),
    fargate=maybe(
        st.builds(
            PlanFargate,
            st.lists(st.builds(PlanFargatePods, names, counts, maybe(names)), max_size=2).map(tuple),
        )
    ),
    pools=maybe(st.lists(pools, max_size=2).map(tuple)),
    cni=maybe(st.fixed_dictionaries({"mode": st.just("secondary-ip"), "warm_eni_target": maybe(counts)})),
    max_pods=maybe(st.dictionaries(names, counts, max_size=2)),
    unschedulable=maybe(
        st.lists(
            st.builds(PlanUnschedulable, names, counts, maybe(st.tuples(names)), maybe(st.tuples(names))),
            max_size=2,
        ).map(tuple)
    ),
    soft_rules_not_honoured=maybe(st.lists(st.builds(PlanSoftRule, names, names, maybe(names))).map(tuple)),
    notes=maybe(st.lists(names, max_size=2).map(tuple)),
    headroom_percent=maybe(prices),
    subnets=maybe(st.lists(st.builds(PlanSubnet, names, names, maybe(names)), max_size=2).map(tuple)),
)


@settings(max_examples=60, deadline=None)
@given(documents)
def test_every_document_round_trips_through_its_json(document: PlanDocument) -> None:
    assert PlanDocument.from_dict(json.loads(document.to_json())) == document


def test_the_file_size_plan_out_writes_is_a_valid_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`size --plan-out` writes the document's JSON, version 1, valid against plan.schema.json, and
    the same text `-o json` prints; reading it back gives the same document."""
    from eks_plan.cli.app import main

    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
        "  template:\n    spec:\n      containers:\n"
        "      - {name: c, image: x, resources: {requests: {cpu: 500m, memory: 1Gi}}}\n"
    )
    (tmp_path / "eks-plan.yaml").write_text(
        "region: us-east-1\nzones: [us-east-1a]\nnodePools:\n- name: general\n"
        "  nodeStyle: managed-node-group\n  instances: {families: [m6i]}\n"
        "subnets:\n- {zone: us-east-1a, cidr: 10.0.0.0/24}\n"
    )
    plan_file = tmp_path / "plan.json"
    argv = ["eks-plan", "size", str(tmp_path / "app.yaml"), "-c", str(tmp_path / "eks-plan.yaml"),
            "--time-limit", "1", "-q", "-o", "json", "--plan-out", str(plan_file)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code in (0, None)
    printed = capsys.readouterr().out
    text = plan_file.read_text()
    assert text == printed
    data = json.loads(text)
    assert data["version"] == 1 and plan_problems(data) == []
    document = PlanDocument.from_json(text, str(plan_file))
    assert document.to_json() == text
    assert document.pools and document.pools[0].node_style == "managed-node-group"
    assert document.subnets == (PlanSubnet("us-east-1a", "10.0.0.0/24", "nodes"),)
