"""The labels a node of an instance type carries, as kubelet, the EKS AMIs and Karpenter set them.

Value formats follow Karpenter's (``pkg/providers/instancetype/types.go``): memory in MiB, network
bandwidth in Mbps, local NVMe in GiB, GPU memory per GPU in MiB, lower-case names; GPU, accelerator
and NVMe labels only on types that have them.

Example::

    >>> from eks_plan.catalog import load_catalog
    >>> labels = node_labels(load_catalog().lookup("m5.large"), region="us-east-1",
    ...                      zone="us-east-1a", capacity_type="spot")
    >>> labels["kubernetes.io/arch"], labels["karpenter.sh/capacity-type"]
    ('amd64', 'spot')
    >>> labels["eks.amazonaws.com/capacityType"]
    'SPOT'
    >>> labels["karpenter.k8s.aws/instance-memory"], labels["karpenter.k8s.aws/instance-family"]
    ('8192', 'm5')
"""

from __future__ import annotations

from collections.abc import Mapping

from eks_plan.catalog.instance_type import InstanceType
from eks_plan.errors import InputError
from eks_plan.scheduling import labels as well_known

CAPACITY_TYPES = {"on-demand": "ON_DEMAND", "spot": "SPOT"}


def node_labels(
    instance_type: InstanceType,
    *,
    region: str,
    zone: str,
    capacity_type: str,
    pool_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every well-known label of a node of ``instance_type`` in ``zone``; ``pool_labels`` (a node
    group's or NodePool's own labels) come on top and win.

    ``capacity_type`` is Karpenter's ``on-demand`` or ``spot``; the managed-node-group spelling
    (``ON_DEMAND``/``SPOT``) goes on ``eks.amazonaws.com/capacityType``.
    """
    if capacity_type not in CAPACITY_TYPES:
        raise InputError(f"unknown capacity type '{capacity_type}'", hint="use on-demand or spot")
    t = instance_type
    labels = {
        well_known.ARCH: t.arch,
        well_known.BETA_ARCH: t.arch,
        well_known.OS: "linux",
        well_known.BETA_OS: "linux",
        well_known.INSTANCE_TYPE: t.name,
        well_known.BETA_INSTANCE_TYPE: t.name,
        well_known.ZONE: zone,
        well_known.LEGACY_ZONE: zone,
        well_known.REGION: region,
        well_known.LEGACY_REGION: region,
        well_known.CAPACITY_TYPE: capacity_type,
        well_known.EKS_CAPACITY_TYPE: CAPACITY_TYPES[capacity_type],
        well_known.INSTANCE_CATEGORY: t.category,
        well_known.INSTANCE_FAMILY: t.family,
        well_known.INSTANCE_SIZE: t.size,
        well_known.INSTANCE_CPU: str(t.vcpus),
        well_known.INSTANCE_MEMORY: str(t.memory_mib),
        # Karpenter sets the empty string for bare metal, whose hypervisor EC2 reports as empty.
        well_known.INSTANCE_HYPERVISOR: t.hypervisor,
    }
    if t.generation is not None:
        labels[well_known.INSTANCE_GENERATION] = str(t.generation)
    if t.cpu_manufacturer:
        labels[well_known.INSTANCE_CPU_MANUFACTURER] = t.cpu_manufacturer
    if t.network_bandwidth_mbps:
        labels[well_known.INSTANCE_NETWORK_BANDWIDTH] = str(t.network_bandwidth_mbps)
    if t.local_nvme_gib:
        labels[well_known.INSTANCE_LOCAL_NVME] = str(t.local_nvme_gib)
    if t.gpu_count or t.gpu_name:  # g6f/gr6f carry a fraction of an L4: count 0, name l4
        labels[well_known.INSTANCE_GPU_COUNT] = str(t.gpu_count)
        if t.gpu_name:
            labels[well_known.INSTANCE_GPU_NAME] = t.gpu_name
        if t.gpu_manufacturer:
            labels[well_known.INSTANCE_GPU_MANUFACTURER] = t.gpu_manufacturer
        if t.gpu_memory_mib:
            labels[well_known.INSTANCE_GPU_MEMORY] = str(t.gpu_memory_mib)
    if t.accelerator_count:
        labels[well_known.INSTANCE_ACCELERATOR_COUNT] = str(t.accelerator_count)
        if t.accelerator_name:
            labels[well_known.INSTANCE_ACCELERATOR_NAME] = t.accelerator_name
        if t.accelerator_manufacturer:
            labels[well_known.INSTANCE_ACCELERATOR_MANUFACTURER] = t.accelerator_manufacturer
    labels.update(pool_labels or {})
    return labels
