"""Bounded work on any input, in the library: hostile numbers, repeated keys, FIFOs, big counts.

Each case is one :class:`InputError` naming the file and line (the CLI turns it into exit code 2;
``tests/cli/test_bounded_cli.py`` checks that end), and none may hang or take gigabytes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from eks_plan.errors import InputError, SourceLocation
from eks_plan.manifests import load_manifests
from eks_plan.manifests.quantity import canonical_amount, parse_quantity
from eks_plan.manifests.yaml_source import YamlDocument, parse_yaml_documents
from eks_plan.network.check import (
    ClusterNetwork,
    FargatePods,
    build_scenarios,
    hand_written_nodes,
    requests_of,
)
from eks_plan.network.ipamd import NodeNetworkLimits

HUGE = "9" * 5000  # past the 4,300 digits Python converts from text


def deployment(replicas: str = "2", cpu: str = "100m", extra: str = "") -> str:
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: web}\n"
        "spec:\n"
        f"  replicas: {replicas}\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: app\n"
        f"        resources: {{requests: {{cpu: {cpu}, memory: 1Gi}}}}\n" + extra
    )


def load_error(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "web.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_manifests([path])
    assert caught.value.location is not None and caught.value.location.file == str(path)
    return caught.value


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cpu", ["1e308", "8Ei", f"'{HUGE}'", f"1e{HUGE}", "9223372036854775807"])
def test_a_request_past_the_quantity_cap_names_its_line(tmp_path: Path, cpu: str) -> None:
    """apimachinery's Quantity caps every value at 2**63 - 1 (``maxAllowed`` in
    pkg/api/resource/amount.go) and kube-scheduler counts cpu in int64 millicores
    (framework.Resource.MilliCPU): such a request is a mistake, never silently a huge number."""
    error = load_error(tmp_path, deployment(cpu=cpu))
    assert error.location is not None and error.location.line == 10
    assert "larger than the largest quantity Kubernetes holds" in error.message
    assert len(str(error)) < 400  # the value is shortened, not printed in full


def test_a_5000_digit_integer_is_refused_where_it_is(tmp_path: Path) -> None:
    error = load_error(tmp_path, deployment(replicas=HUGE))
    assert error.location is not None and (error.location.line, error.location.column) == (5, 13)
    assert "5,000 digits" in error.message


def test_replicas_past_int32_are_refused_as_the_api_server_does(tmp_path: Path) -> None:
    """``DeploymentSpec.Replicas`` is an ``*int32`` (k8s.io/api apps/v1 types.go)."""
    error = load_error(tmp_path, deployment(replicas="3000000000"))
    assert error.location is not None and error.location.line == 5
    assert "spec.replicas must be at most 2,147,483,647" in error.message


def test_quantities_of_any_length_parse_exactly() -> None:
    """Past 60 significant digits the value is rounded up at the 60th: the nano rounding and the
    cap give the same answer as the exact value would."""
    assert parse_quantity("0." + "0" * 70 + "1") == parse_quantity("1n")
    assert parse_quantity("1" + "0" * 5000) == 2**63 - 1
    assert parse_quantity(f"1e-{HUGE}") == parse_quantity("1n")
    assert parse_quantity("1." + "0" * 70 + "1") == parse_quantity("1.000000001")
    assert canonical_amount("cpu", "0." + "0" * 80 + "5") == 1
    assert parse_quantity("0" * 5000) == 0


def test_negative_requests_stay_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, deployment(cpu="-1"))
    assert error.location is not None and error.location.line == 10
    assert "must not be negative" in error.message


# --- repeated keys -----------------------------------------------------------------------------


def test_a_repeated_key_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    """``kubectl apply`` decodes strictly and refuses ``duplicate field "replicas"`` rather than
    keeping the last value (sigs.k8s.io/json UnmarshalStrict, used by the apiserver's
    serializer for fieldValidation=Strict)."""
    text = deployment(replicas="2").replace("  template:\n", "  replicas: 5\n  template:\n")
    error = load_error(tmp_path, text)
    assert error.location == SourceLocation(str(tmp_path / "web.yaml"), 6, 3)
    assert "duplicate key 'replicas' (first at line 5)" in error.message


def test_a_repeated_key_deep_in_a_document_is_found_too() -> None:
    text = "kind: Deployment\nspec:\n  template:\n    metadata:\n      labels: {a: x, a: y}\n"
    with pytest.raises(InputError) as caught:
        parse_yaml_documents(text, "d.yaml", lazy=True)
    assert caught.value.location == SourceLocation("d.yaml", 5, 22)
    assert "first at line 5" in caught.value.message


def test_merge_keys_and_aliases_are_not_repeated_keys() -> None:
    text = "base: &b {cpu: 1}\none: {<<: *b, memory: 2}\ntwo: {<<: *b}\n"
    [document] = parse_yaml_documents(text, "m.yaml")
    assert document.data["one"] == {"cpu": 1, "memory": 2}
    assert str(document.location(("two",))) == "m.yaml:3:1"


def test_positions_survive_the_compact_node_tree() -> None:
    """The loader keeps a position per node (line and column only): every key read still has its
    file:line:column, and data made from JSON that YAML refused reads the same way."""
    [document] = parse_yaml_documents(deployment(), "web.yaml", lazy=True)
    path = ("spec", "template", "spec", "containers", 0, "resources", "requests", "memory")
    assert str(document.location(path)) == "web.yaml:10:43"
    from_json = YamlDocument.from_data({"kind": "Pod", "spec": {"a": [1]}}, "p.json")
    assert from_json.data == {"kind": "Pod", "spec": {"a": [1]}}
    assert str(from_json.location(("spec", "a"))) == "p.json"


# --- FIFOs -------------------------------------------------------------------------------------


@contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A FIFO with a writer standing by: if eks-plan wrongly opened it, it would read an empty
    file and the test fail, rather than the test run hang."""
    os.mkfifo(path)

    def write_nothing() -> None:
        with open(path, "wb"):
            pass

    writer = threading.Thread(target=write_nothing, daemon=True)
    writer.start()
    try:
        yield path
    finally:
        # Release the writer if nothing read the FIFO.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        writer.join(timeout=5)
        os.close(descriptor)


def test_a_fifo_in_a_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(deployment())
    (tmp_path / "other").mkdir()
    with fifo(tmp_path / "other" / "pipe.yaml"), pytest.raises(InputError) as caught:
        load_manifests([tmp_path])
    assert caught.value.location == SourceLocation(os.path.join(str(tmp_path), "other", "pipe.yaml"))
    assert "FIFO" in caught.value.message


def test_a_fifo_named_directly_is_an_error_naming_it(tmp_path: Path) -> None:
    with fifo(tmp_path / "pipe.yaml") as path, pytest.raises(InputError) as caught:
        load_manifests([path])
    assert caught.value.location == SourceLocation(str(path))
    assert "is a FIFO (named pipe), not a regular file" in caught.value.message


def test_a_fifo_not_named_like_a_manifest_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(deployment())
    os.mkfifo(tmp_path / "control")  # never opened: nothing writes to it
    assert [w.name for w in load_manifests([tmp_path]).workloads] == ["web"]


# --- check-ips scenarios place pods in bulk ----------------------------------------------------


def test_scenarios_place_many_pods_per_node_not_per_pod() -> None:
    """20,000 extra pods at HPA max fill new nodes as a pod-by-pod first fit would: 27 pods per
    m6i.large (29 max pods, 2 host-network add-ons), round-robin over the two zones."""
    limits = NodeNetworkLimits(default_card_enis=3, ipv4_per_eni=10, max_pods=29)
    nodes_a, workload = hand_written_nodes("us-east-1a", "m6i.large", 1, limits, 27)
    nodes_b, _ = hand_written_nodes("us-east-1b", "m6i.large", 1, limits, 27)
    workload = replace(workload, replicas=54, hpa_max_replicas=20_054, requests=requests_of(0, 0))
    cluster = ClusterNetwork(
        region="us-east-1",
        zones=("us-east-1a", "us-east-1b"),
        nodes=(*nodes_a, *nodes_b),
        workloads={workload.key: workload},
        fargate=(FargatePods("Deployment/default/f", 100_001, None),),
    )
    scenarios = {state.key: state for state in build_scenarios(cluster, ["us-east-1a", "us-east-1b"])}
    hpa = scenarios["hpa-max"]
    # 10,000 extra pods per zone on full nodes: ceil(10,000 / 27) = 371 new nodes in each.
    assert hpa.added_nodes == 2 * 371
    assert sum(node.pool_pods for node in hpa.nodes) == 20_054
    assert hpa.unplaced_pods == 0
    assert dict(scenarios["steady"].fargate) == {"us-east-1a": 50_001, "us-east-1b": 50_000}
    lost = scenarios["zone-loss:us-east-1a"]
    assert dict(lost.fargate) == {"us-east-1b": 100_001}


# --- JSON with tabs (which YAML refuses) is read as strictly ------------------------------------


@pytest.mark.parametrize(
    ("value", "where", "fragment"),
    [
        ('2, "replicas": 3', (3, 26), "duplicate key 'replicas' (first at line 3)"),
        (HUGE, (3, 23), "a number of 5,000 digits"),
    ],
)
def test_tab_indented_json_keeps_lines_and_strictness(
    tmp_path: Path, value: str, where: tuple[int, int], fragment: str
) -> None:
    text = (
        '{\n\t"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},\n'
        f'\t"spec": {{"replicas": {value}, "template": {{"spec": {{"containers": [{{"name": "a"}}]}}}}}}}}\n'
    )
    path = tmp_path / "web.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_manifests([path])
    assert caught.value.location == SourceLocation(str(path), *where)
    assert fragment in caught.value.message
    path.write_text(text.replace(value, "4"))
    assert [w.replicas for w in load_manifests([path]).workloads] == [4]


@pytest.mark.parametrize("surge", [f"'{HUGE}%'", "'99999999999%'", "3000000000"])
def test_a_max_surge_past_int32_is_refused(tmp_path: Path, surge: str) -> None:
    """``maxSurge`` is an IntOrString whose integer (or percentage) the API holds in 32 bits."""
    text = deployment().replace(
        "  template:\n", f"  strategy: {{rollingUpdate: {{maxSurge: {surge}}}}}\n  template:\n"
    )
    error = load_error(tmp_path, text)
    assert error.location is not None and error.location.line == 6
    assert "maxSurge must be at most 2,147,483,647" in error.message and len(str(error)) < 400


def test_size_caps_name_the_first_workload_past_the_limit(tmp_path: Path) -> None:
    """More workloads than the solver's tables are sized for is refused before any solving."""
    from eks_plan.limits import MAX_WORKLOADS
    from eks_plan.planning import check_size_caps
    from eks_plan.solver.problem import PodGroup

    path = tmp_path / "web.yaml"
    path.write_text(deployment())
    [workload] = load_manifests([path]).workloads
    keys = [f"Deployment/default/w{index}" for index in range(MAX_WORKLOADS + 1)]
    groups = [PodGroup(key, 1, workload.pod) for key in keys]
    check_size_caps(groups[:MAX_WORKLOADS], (), dict.fromkeys(keys, workload))
    with pytest.raises(InputError) as caught:
        check_size_caps(groups, (), dict.fromkeys(keys, workload))
    assert caught.value.location == workload.source
    assert f"Deployment/default/w{MAX_WORKLOADS} is the first past the limit" in caught.value.message
