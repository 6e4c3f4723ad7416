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
from collections.abc import Mapping

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

#: Set by the AWS cloud provider (cloud-provider-aws) on every EC2 node: the zone's ID.
ZONE_ID = "topology.k8s.aws/zone-id"
#: Karpenter core marks the nodes it launched (kubernetes-sigs/karpenter pkg/apis/v1/labels.go).
KARPENTER_INITIALIZED = "karpenter.sh/initialized"
KARPENTER_REGISTERED = "karpenter.sh/registered"
#: EKS Auto Mode marks its nodes ``compute-type: auto`` (Fargate nodes carry ``fargate``).
EKS_COMPUTE_TYPE = "eks.amazonaws.com/compute-type"

KARPENTER_AWS = "karpenter.k8s.aws/"
#: EKS Auto Mode's instance labels: the same names and values as Karpenter's ``instance-*`` ones,
#: under ``eks.amazonaws.com/`` (EKS User Guide, "Create a Node Pool for EKS Auto Mode").
EKS_INSTANCE = "eks.amazonaws.com/instance-"
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

#: Auto Mode's ``eks.amazonaws.com/instance-*`` labels the planner sets (Karpenter's value formats).
AUTO_MODE_INSTANCE_LABELS = {
    INSTANCE_CATEGORY: EKS_INSTANCE + "category",
    INSTANCE_FAMILY: EKS_INSTANCE + "family",
    INSTANCE_GENERATION: EKS_INSTANCE + "generation",
    INSTANCE_SIZE: EKS_INSTANCE + "size",
    INSTANCE_CPU: EKS_INSTANCE + "cpu",
    INSTANCE_CPU_MANUFACTURER: EKS_INSTANCE + "cpu-manufacturer",
    INSTANCE_MEMORY: EKS_INSTANCE + "memory",
    INSTANCE_HYPERVISOR: EKS_INSTANCE + "hypervisor",
    INSTANCE_NETWORK_BANDWIDTH: EKS_INSTANCE + "network-bandwidth",
    INSTANCE_LOCAL_NVME: EKS_INSTANCE + "local-nvme",
    INSTANCE_GPU_COUNT: EKS_INSTANCE + "gpu-count",
    INSTANCE_GPU_NAME: EKS_INSTANCE + "gpu-name",
    INSTANCE_GPU_MANUFACTURER: EKS_INSTANCE + "gpu-manufacturer",
    INSTANCE_GPU_MEMORY: EKS_INSTANCE + "gpu-memory",
}

#: Every label key the planner puts on a planned node of some node style (pool labels come on top).
WELL_KNOWN_NODE_LABELS = frozenset(
    {
        ARCH, OS, HOSTNAME, INSTANCE_TYPE, ZONE, REGION, ZONE_ID, CAPACITY_TYPE, EKS_CAPACITY_TYPE,
        NODEPOOL, NODEGROUP, KARPENTER_INITIALIZED, KARPENTER_REGISTERED, EKS_COMPUTE_TYPE, BETA_OS,
        BETA_ARCH, BETA_INSTANCE_TYPE, LEGACY_ZONE, LEGACY_REGION,
        INSTANCE_CATEGORY, INSTANCE_FAMILY, INSTANCE_GENERATION, INSTANCE_SIZE, INSTANCE_CPU,
        INSTANCE_CPU_MANUFACTURER, INSTANCE_MEMORY, INSTANCE_HYPERVISOR, INSTANCE_NETWORK_BANDWIDTH,
        INSTANCE_LOCAL_NVME, INSTANCE_GPU_COUNT, INSTANCE_GPU_NAME, INSTANCE_GPU_MANUFACTURER,
        INSTANCE_GPU_MEMORY, INSTANCE_ACCELERATOR_COUNT, INSTANCE_ACCELERATOR_NAME,
        INSTANCE_ACCELERATOR_MANUFACTURER, *AUTO_MODE_INSTANCE_LABELS.values(),
    }
)  # fmt: skip

#: Label keys real EKS nodes carry whose value the plan cannot know (an AMI ID, a launch template, a
#: cluster hash, a NodeClass name): never on planned nodes, and said so when a pod selects on them.
UNKNOWABLE_VALUE_LABELS = {
    "eks.amazonaws.com/nodegroup-image": ("managed-node-group", "the node group's AMI ID"),
    "eks.amazonaws.com/sourceLaunchTemplateId": ("managed-node-group", "the launch template's ID"),
    "eks.amazonaws.com/sourceLaunchTemplateVersion": ("managed-node-group", "the launch template's version"),
    "k8s.io/cloud-provider-aws": (None, "a hash of the cluster name"),
    "karpenter.k8s.aws/ec2nodeclass": ("karpenter", "the EC2NodeClass name"),
    "eks.amazonaws.com/nodeclass": ("auto-mode", "the NodeClass name"),
    KARPENTER_AWS + "instance-ebs-bandwidth": ("karpenter", "the type's EBS bandwidth, not in the catalogue"),
    EKS_INSTANCE + "ebs-bandwidth": ("auto-mode", "the type's EBS bandwidth, not in the catalogue"),
    KARPENTER_AWS + "instance-encryption-in-transit-supported": (
        "karpenter",
        "in-transit encryption support, not in the catalogue",
    ),
    EKS_INSTANCE + "encryption-in-transit-supported": (
        "auto-mode",
        "in-transit encryption support, not in the catalogue",
    ),
    KARPENTER_AWS + "instance-cpu-sustained-clock-speed-mhz": (
        "karpenter",
        "the CPU clock, not in the catalogue",
    ),
}

#: Node styles and what they are called in hints.
STYLE_NAMES = {
    "karpenter": "Karpenter",
    "auto-mode": "EKS Auto Mode",
    "managed-node-group": "managed node group",
    "self-managed": "self-managed",
    "bottlerocket": "self-managed Bottlerocket",
}


def styles_setting(key: str) -> frozenset[str] | None:
    """The node styles whose nodes carry label ``key``; ``None`` when every style's nodes may (the
    kubelet and cloud-provider labels, or a key of no provisioner).

    - ``karpenter.k8s.aws/*``: Karpenter only (aws/karpenter-provider-aws ``pkg/apis/v1/labels.go``);
    - ``karpenter.sh/*``: Karpenter and Auto Mode, which runs Karpenter's NodePools and uses
      ``karpenter.sh/capacity-type`` (kubernetes-sigs/karpenter ``pkg/apis/v1/labels.go``; EKS User
      Guide, Auto Mode supported labels);
    - ``eks.amazonaws.com/compute-type`` and ``eks.amazonaws.com/instance-*``: Auto Mode only;
    - ``eks.amazonaws.com/nodegroup``, ``capacityType``, ``nodegroup-image``,
      ``sourceLaunchTemplate*``: managed node groups only.

    >>> sorted(styles_setting("karpenter.sh/capacity-type")), styles_setting("kubernetes.io/arch")
    (['auto-mode', 'karpenter'], None)
    >>> sorted(styles_setting("eks.amazonaws.com/instance-cpu"))
    ['auto-mode']
    """
    if key.startswith(KARPENTER_AWS):
        return frozenset({"karpenter"})
    if key.startswith("karpenter.sh/"):
        return frozenset({"karpenter", "auto-mode"})
    if key.startswith(EKS_INSTANCE) or key == EKS_COMPUTE_TYPE:
        return frozenset({"auto-mode"})
    if key in (NODEGROUP, EKS_CAPACITY_TYPE) or key.startswith(
        ("eks.amazonaws.com/nodegroup", "eks.amazonaws.com/sourceLaunchTemplate")
    ):
        return frozenset({"managed-node-group"})
    return None


def style_hint(key: str, pools: Mapping[str, str]) -> str | None:
    """Why a selector on ``key`` matches no node of these pools (``{pool name: node style}``) when
    only another node style sets it, e.g. "karpenter.k8s.aws/instance-cpu is set only on Karpenter
    nodes; pool 'general' is managed-node-group"; ``None`` when some pool's style sets it.

    >>> style_hint("karpenter.k8s.aws/instance-cpu", {"general": "managed-node-group"})
    "karpenter.k8s.aws/instance-cpu is set only on Karpenter nodes; pool 'general' is managed-node-group"
    >>> style_hint("karpenter.sh/nodepool", {"a": "auto-mode"}) is None
    True
    """
    styles = styles_setting(key)
    if styles is None or not pools or any(style in styles for style in pools.values()):
        return None
    owners = " or ".join(STYLE_NAMES.get(style, style) for style in sorted(styles))
    described = ", ".join(f"pool '{name}' is {style}" for name, style in sorted(pools.items()))
    return f"{key} is set only on {owners} nodes; {described}"


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
    if key in UNKNOWABLE_VALUE_LABELS:
        style, what = UNKNOWABLE_VALUE_LABELS[key]
        owner = f"{STYLE_NAMES.get(style, style)} nodes" if style else "EKS nodes"
        return f"label '{key}' ({what}) is set on {owner} but its value is not known to the plan"
    for prefix, cloud in FOREIGN_PREFIXES.items():
        if key.startswith(prefix):
            return f"label '{key}' is set only on {cloud} nodes; no EKS node carries it"
    candidates = sorted(WELL_KNOWN_NODE_LABELS | extra_keys)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.85)
    if close:
        return f"unknown label '{key}': did you mean '{close[0]}'?"
    return None
