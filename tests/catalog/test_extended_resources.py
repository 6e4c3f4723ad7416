"""Extended resources a node advertises: GPUs, Neuron devices and cores, and pod ENIs.

Karpenter's instance type provider (aws/karpenter-provider-aws
``pkg/providers/instancetype/types.go``, ``computeCapacity``) advertises ``nvidia.com/gpu``
(``nvidiaGPUs``), ``amd.com/gpu`` (``amdGPUs``), ``aws.amazon.com/neuron`` (``awsNeuronDevices``:
the Neuron device count), ``aws.amazon.com/neuroncore`` (``awsNeuronCores``: the first device
entry's count x ``CoreInfo.Count``) and ``vpc.amazonaws.com/pod-eni`` (``awsPodENI``: the branch
interfaces of a trunking-compatible type). The published per-type figures are the "Resources"
tables of its instance-types reference page, in ``../shared/reference/karpenter-allocatable-al2023.tsv``.
"""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.capacity import NodeSettings, accelerators, allocatable
from eks_plan.planning import SizeResult, size_cluster
from eks_plan.resources import AMD_GPU, NEURON, NEURON_CORE, NVIDIA_GPU, POD_ENI

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _tsv(name: str) -> dict[str, dict[str, str]]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    with path.open(encoding="utf-8") as file:
        return {row["instance_type"]: row for row in csv.DictReader(file, delimiter="\t")}


def test_device_counts_match_karpenters_published_resources_for_every_type() -> None:
    """Every type of the catalogue that Karpenter's table lists advertises the same nvidia.com/gpu,
    amd.com/gpu, aws.amazon.com/neuron and aws.amazon.com/neuroncore counts (types.go
    ``nvidiaGPUs``/``amdGPUs``/``awsNeuronDevices``/``awsNeuronCores``)."""
    table = _tsv("karpenter-allocatable-al2023.tsv")
    catalog = load_catalog()
    compared = 0
    for name, row in table.items():
        instance_type = catalog.get(name)
        if instance_type is None:
            continue
        devices = accelerators(instance_type)
        expected = {
            NVIDIA_GPU: int(row["nvidia_gpu"]),
            AMD_GPU: int(row["amd_gpu"]),
            NEURON: int(row["neuron"]),
            NEURON_CORE: int(row["neuroncore"]),
        }
        assert {key: devices[key] for key in expected} == expected, name
        compared += 1
    assert compared > 1300


@pytest.mark.parametrize(
    ("name", "neuron", "cores"),
    [("inf1.xlarge", 1, 4), ("inf2.xlarge", 1, 2), ("inf2.48xlarge", 12, 24), ("trn1.32xlarge", 16, 32),
     ("trn2.48xlarge", 16, 128)],
)  # fmt: skip
def test_neuron_cores_are_devices_times_cores_per_device(name: str, neuron: int, cores: int) -> None:
    """types.go ``awsNeuronCores``: Inferentia has 4 NeuronCores a device, Inferentia2 and
    Trainium 2, Trainium2 8 (DescribeInstanceTypes ``NeuronInfo.NeuronDevices[0].CoreInfo.Count``)."""
    node = allocatable(load_catalog().lookup(name), NodeSettings())
    assert node[NEURON] == neuron
    assert node[NEURON_CORE] == cores


def test_pod_eni_only_with_security_groups_for_pods_on_trunking_types() -> None:
    """types.go ``awsPodENI``: ``vpc.amazonaws.com/pod-eni`` = ``BranchInterface`` where
    ``IsTrunkingCompatible`` (the VPC resource controller's limits table, reference
    vpc-limits.tsv), else 0; and only when ENABLE_POD_ENI is on."""
    limits = _tsv("vpc-limits.tsv")
    catalog = load_catalog()
    checked = 0
    for name, row in limits.items():
        instance_type = catalog.get(name)
        if instance_type is None:
            continue
        with_sgp = allocatable(instance_type, NodeSettings(security_groups_for_pods=True))
        expected = int(row["branch_interfaces"]) if row["trunking_compatible"] == "true" else 0
        assert with_sgp[POD_ENI] == expected, name
        assert allocatable(instance_type, NodeSettings())[POD_ENI] == 0
        checked += 1
    assert checked > 1300
    assert allocatable(catalog.lookup("m5.large"), NodeSettings(security_groups_for_pods=True))[POD_ENI] == 9
    assert allocatable(catalog.lookup("t3.large"), NodeSettings(security_groups_for_pods=True))[POD_ENI] == 0


def _size(tmp_path: Path, pool: str, pod_resources: str, cni: str = "") -> SizeResult:
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            region: us-east-1
            zones: [us-east-1a]
            nodePools:
{textwrap.indent(textwrap.dedent(pool), "              ")}
            """
        )
        + cni
    )
    manifest = tmp_path / "app.yaml"
    manifest.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: app, namespace: default}}
            spec:
              replicas: 2
              selector: {{matchLabels: {{app: app}}}}
              template:
                metadata: {{labels: {{app: app}}}}
                spec:
                  containers:
                  - name: c
                    image: c
                    resources: {pod_resources}
            """
        )
    )
    return size_cluster([manifest], config_path=config, time_limit_seconds=5, workers=1)


def test_a_pod_asking_neuroncores_gets_a_type_with_enough_cores(tmp_path: Path) -> None:
    """A pod asking 4 NeuronCores cannot run on inf2.xlarge or inf2.8xlarge (2 cores, one
    Inferentia2 device) and lands on inf2.24xlarge (6 devices, 12 cores): two pods fit one node."""
    result = _size(
        tmp_path,
        "- {name: neuron, nodeStyle: karpenter, instances: {families: [inf2]}}",
        "{requests: {cpu: '1', memory: 4Gi, aws.amazon.com/neuroncore: 4},"
        " limits: {aws.amazon.com/neuroncore: 4}}",
    )
    plan = result.plan
    assert not plan.unschedulable
    assert {node.option.instance_type for node in plan.nodes} == {"inf2.24xlarge"}
    assert len(plan.nodes) == 1


def test_a_gpu_pod_lands_on_a_gpu_type_and_a_pod_eni_pod_needs_security_groups(tmp_path: Path) -> None:
    """nvidia.com/gpu comes only with NVIDIA GPU types; vpc.amazonaws.com/pod-eni only with
    security groups for pods on a trunking-compatible type: without ENABLE_POD_ENI such pods stay
    Pending with the scheduler's "Insufficient vpc.amazonaws.com/pod-eni"."""
    gpu = _size(
        tmp_path,
        "- {name: gpu, nodeStyle: karpenter, instances: {families: [g6, m7i]}}",
        "{requests: {cpu: '1', memory: 4Gi, nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 1}}",
    )
    assert {node.option.instance_type.split(".")[0] for node in gpu.plan.nodes} == {"g6"}

    pool = "- {name: general, nodeStyle: karpenter, instances: {instanceTypes: [m5.large, t3.large]}}"
    eni = (
        "{requests: {cpu: 100m, memory: 128Mi, vpc.amazonaws.com/pod-eni: 1},"
        " limits: {vpc.amazonaws.com/pod-eni: 1}}"
    )
    without = _size(tmp_path, pool, eni)
    [item] = without.plan.unschedulable
    assert "Insufficient vpc.amazonaws.com/pod-eni" in item.reasons[0]
    with_sgp = _size(tmp_path, pool, eni, "cni: {securityGroupsForPods: true}\n")
    assert not with_sgp.plan.unschedulable
    assert {node.option.instance_type for node in with_sgp.plan.nodes} == {"m5.large"}
