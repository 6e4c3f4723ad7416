"""Every folder of the real-world corpus loads with exactly the totals of its EXPECTED.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_plan.manifests import ManifestSet, ReplicaMode, load_manifests
from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU
from tests.conftest import CORPUS

TOTAL_FIELDS = ("workloads", "daemonsets", "pods", "cpu_millicores", "memory_bytes", "gpus")


def expected_totals() -> dict[str, dict[str, int]]:
    """The table of ``EXPECTED.md``, read in place: folder -> totals."""
    rows: dict[str, dict[str, int]] = {}
    header: list[str] | None = None
    for line in (CORPUS / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == "folder":
            header = cells
            continue
        assert header is not None
        rows[cells[0]] = {name: int(value) for name, value in zip(header[1:], cells[1:], strict=True)}
    return rows


EXPECTED = expected_totals()


def include_for(folder: str) -> list[str]:
    return ["*.injected"] if folder == "istio-injected" else []


def totals(manifests: ManifestSet) -> dict[str, int]:
    requests = manifests.total_requests()
    return {
        "workloads": len(manifests.workloads),
        "daemonsets": len(manifests.daemonsets),
        "pods": manifests.total_pods,
        "cpu_millicores": requests[CPU],
        "memory_bytes": requests[MEMORY],
        "gpus": requests[NVIDIA_GPU],
    }


def test_expected_table_covers_every_folder() -> None:
    folders = {path.name for path in CORPUS.iterdir() if path.is_dir()}
    assert set(EXPECTED) == folders
    assert all(set(row) == set(TOTAL_FIELDS) for row in EXPECTED.values())


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_corpus_folder_totals(folder: str) -> None:
    manifests = load_manifests([CORPUS / folder], include=include_for(folder), replicas=ReplicaMode.DECLARED)
    assert totals(manifests) == EXPECTED[folder]


def test_istio_folder_needs_include_and_says_so() -> None:
    from eks_plan.errors import InputError

    with pytest.raises(InputError) as caught:
        load_manifests([CORPUS / "istio-injected"])
    assert "--include" in (caught.value.hint or "")


def test_whole_corpus_at_once_is_the_sum_of_its_folders() -> None:
    manifests = load_manifests([CORPUS], include=["*.injected"], replicas=ReplicaMode.DECLARED)
    expected = {name: sum(row[name] for row in EXPECTED.values()) for name in TOTAL_FIELDS}
    assert totals(manifests) == expected


def test_istio_pods_request_100m_not_200m() -> None:
    manifests = load_manifests([CORPUS / "istio-injected"], include=["*.injected"])
    by_file = {Path(w.source.file).name: w for w in manifests.workloads}
    assert by_file["hello.yaml.injected"].pod.requests[CPU] == 100  # istio-init, then the sidecar
    assert by_file["init-no-intercept-no-native-sidecar.yaml.injected"].pod.requests[CPU] == 100
    assert by_file["daemonset-old-version.yaml.injected"].pod.requests[CPU] == 100  # proxy as regular


def test_kube_prometheus_reads_nested_folders_and_braces() -> None:
    manifests = load_manifests([CORPUS / "kube-prometheus"])
    assert any("/setup/" in file for file in manifests.files)
    assert manifests.ignored_kinds["CustomResourceDefinition"] == 10
    assert manifests.ignored_kinds["PrometheusRule"] == 8
    assert len(manifests.pdbs) == 3
    node_exporter = next(w for w in manifests.daemonsets if w.name == "node-exporter")
    assert node_exporter.pod.host_network
    assert node_exporter.pod.priority_class_name == "system-cluster-critical"
    assert node_exporter.pod.priority == 2_000_000_000
    operator = sorted(w.message.split(" runs ")[0] for w in manifests.warnings if w.code == "operator-pods")
    assert operator == ["1 Alertmanager object", "1 Prometheus object"]


def test_gke_gpu_mix_warns_about_gke_only_labels() -> None:
    manifests = load_manifests([CORPUS / "gke-gpu-mix"], replicas=ReplicaMode.DECLARED)
    hints = [w for w in manifests.warnings if w.code == "label-hint"]
    assert any("cloud.google.com/gke-accelerator" in w.message for w in hints)
    job = next(w for w in manifests.workloads if w.kind == "Job")
    assert job.suspended and job.replicas == 2
    assert "suspended" in job.replicas_reason
    assert any(w.code == "suspended" for w in manifests.warnings)
    assert {pc.name: pc.value for pc in manifests.priority_classes}
    assert {w.pod.priority for w in manifests.workloads} <= {pc.value for pc in manifests.priority_classes}


def test_karpenter_workloads_spread_and_decimal_memory() -> None:
    manifests = load_manifests([CORPUS / "karpenter-workloads"], replicas=ReplicaMode.DECLARED)
    spread = [w for w in manifests.workloads if w.pod.topology_spread]
    assert {c.topology_key for w in spread for c in w.pod.topology_spread} == {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    }
    inflate = next(w for w in manifests.workloads if w.name == "inflate")
    assert inflate.replicas == 1 and inflate.replicas_reason == "declared 1 (default)"
    assert inflate.pod.requests[MEMORY] % 1_000_000 == 0  # 256M is decimal
