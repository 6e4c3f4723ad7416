"""Well-known node labels an EKS node carries, and hints for label keys that no EKS node has.

The keys are the ones kubelet, the EKS AMIs, managed node groups and Karpenter put on a node, so a
manifest written for any of them selects the same planned nodes. :func:`node_labels` in the
catalogue fills them in for one instance type, zone and capacity type.

Example::

    >>> label_key_hint("kubernetes.io/arc")
    "unknown label 'kubernetes.io/arc': did you mean 'kubernetes.io/arch'?"
    >>> label_key_hint("cloud.google.com/gke-accelerator")
    "label 'cloud.google.com/gke-accelerator' is set only on GKE nodes; no EKS node carries it"
    >>> label_key_hint("app.example.com/tier") is None      # a custom label: no opinion
    True
"""

from __future__ import annotations

import difflib

ARCH = "kubernetes.io/arch"
OS = "kubernetes.io/os"
HOSTNAME = "kubernetes.io/hostname"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
CAPACITY_TYPE = "karpenter.sh/capacity-type"  # values: on-demand, spot
EKS_CAPACITY_TYPE = "eks.amazonaws.com/capacityType"  # values: ON_DEMAND, SPOT
NODEPOOL = "karpenter.sh/nodepool"
NODEGROUP = "eks.amazonaws.com/nodegroup"

# Deprecated aliases that kubelet still sets on every node (sock-shop selects on the first).
BETA_OS = "beta.kubernetes.io/os"
BETA_ARCH = "beta.kubernetes.io/arch"
BETA_INSTANCE_TYPE = "beta.kubernetes.io/instance-type"
LEGACY_ZONE = "failure-domain.beta.kubernetes.io/zone"
LEGACY_REGION = "failure-domain.beta.kubernetes.io/region"

KARPENTER_AWS = "karpenter.k8s.aws/"
INSTANCE_CATEGORY = KARPENTER_AWS + "instance-category"
INSTANCE_FAMILY = KARPENTER_AWS + "instance-family"
INSTANCE_GENERATION = KARPENTER_AWS + "instance-generation"
INSTANCE_SIZE = KARPENTER_AWS + "instance-size"
INSTANCE_CPU = KARPENTER_AWS + "instance-cpu"
INSTANCE_CPU_MANUFACTURER = KARPENTER_AWS + "instance-cpu-manufacturer"
INSTANCE_MEMORY = KARPENTER_AWS + "instance-memory"
INSTANCE_HYPERVISOR = KARPENTER_AWS + "instance-hypervisor"
INSTANCE_NETWORK_BANDWIDTH = KARPENTER_AWS + "instance-network-bandwidth"
INSTANCE_LOCAL_NVME = KARPENTER_AWS + "instance-local-nvme"
INSTANCE_GPU_COUNT = KARPENTER_AWS + "instance-gpu-count"
INSTANCE_GPU_NAME = KARPENTER_AWS + "instance-gpu-name"
INSTANCE_GPU_MANUFACTURER = KARPENTER_AWS + "instance-gpu-manufacturer"
INSTANCE_GPU_MEMORY = KARPENTER_AWS + "instance-gpu-memory"
INSTANCE_ACCELERATOR_COUNT = KARPENTER_AWS + "instance-accelerator-count"
INSTANCE_ACCELERATOR_NAME = KARPENTER_AWS + "instance-accelerator-name"
INSTANCE_ACCELERATOR_MANUFACTURER = KARPENTER_AWS + "instance-accelerator-manufacturer"

#: Every label key the planner puts on a planned node (pool labels come on top).
WELL_KNOWN_NODE_LABELS = frozenset(
    {
        ARCH, OS, HOSTNAME, INSTANCE_TYPE, ZONE, REGION, CAPACITY_TYPE, EKS_CAPACITY_TYPE, NODEPOOL,
        NODEGROUP, BETA_OS, BETA_ARCH, BETA_INSTANCE_TYPE, LEGACY_ZONE, LEGACY_REGION,
        INSTANCE_CATEGORY, INSTANCE_FAMILY, INSTANCE_GENERATION, INSTANCE_SIZE, INSTANCE_CPU,
        INSTANCE_CPU_MANUFACTURER, INSTANCE_MEMORY, INSTANCE_HYPERVISOR, INSTANCE_NETWORK_BANDWIDTH,
        INSTANCE_LOCAL_NVME, INSTANCE_GPU_COUNT, INSTANCE_GPU_NAME, INSTANCE_GPU_MANUFACTURER,
        INSTANCE_GPU_MEMORY, INSTANCE_ACCELERATOR_COUNT, INSTANCE_ACCELERATOR_NAME,
        INSTANCE_ACCELERATOR_MANUFACTURER,
    }
)  # fmt: skip

#: Label prefixes of other clouds' node labels; a selector on them matches no EKS node.
FOREIGN_PREFIXES = {
    "cloud.google.com/": "GKE",
    "node.gke.io/": "GKE",
    "kubernetes.azure.com/": "AKS",
    "agentpool": "AKS",
}


def label_key_hint(key: str, extra_keys: frozenset[str] = frozenset()) -> str | None:
    """A one-line hint for a node label key that looks wrong, or ``None`` when it looks fine.

    ``extra_keys`` are keys the user's own node pools define; they are never flagged.
    """
    if key in WELL_KNOWN_NODE_LABELS or key in extra_keys:
        return None
    for prefix, cloud in FOREIGN_PREFIXES.items():
        if key.startswith(prefix):
            return f"label '{key}' is set only on {cloud} nodes; no EKS node carries it"
    candidates = sorted(WELL_KNOWN_NODE_LABELS | extra_keys)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.85)
    if close:
        return f"unknown label '{key}': did you mean '{close[0]}'?"
    return None
