"""The labels a node of an instance type carries, by node style, as kubelet, the AWS cloud provider,
EKS managed node groups, Karpenter and EKS Auto Mode set them.

Every node (kubelet and cloud-provider-aws): ``kubernetes.io/arch``, ``kubernetes.io/os``,
``node.kubernetes.io/instance-type``, ``topology.kubernetes.io/zone`` and ``region``, their
``beta.kubernetes.io`` / ``failure-domain.beta.kubernetes.io`` twins, and ``topology.k8s.aws/zone-id``
(``kubernetes.io/hostname`` is each node's own, handled by the solver). A real managed node group
node shows exactly these plus its ``eks.amazonaws.com/*`` labels (aws-samples/eks-workshop-v2
``website/docs/troubleshooting/dns/2-check-coredns.md``, a node's ``metadata.labels`` dump). Then:

- ``managed-node-group``: ``eks.amazonaws.com/nodegroup`` (the pool) and
  ``eks.amazonaws.com/capacityType`` (``ON_DEMAND``/``SPOT``) ("Amazon EKS adds Kubernetes labels to
  managed node group instances... prefixed with eks.amazonaws.com", EKS User Guide);
- ``karpenter``: ``karpenter.sh/nodepool``, ``karpenter.sh/capacity-type``,
  ``karpenter.sh/initialized`` and ``registered`` (kubernetes-sigs/karpenter ``pkg/apis/v1/labels.go``)
  and the ``karpenter.k8s.aws/instance-*`` labels (aws/karpenter-provider-aws ``pkg/apis/v1/labels.go``,
  values from ``pkg/providers/instancetype/types.go`` ``computeRequirements``: memory in MiB, network
  bandwidth in Mbps, local NVMe in GiB, GPU memory per GPU in MiB, lower-case names; GPU,
  accelerator and NVMe labels only on types that have them);
- ``auto-mode``: ``eks.amazonaws.com/compute-type: auto``, ``karpenter.sh/nodepool`` and
  ``karpenter.sh/capacity-type``, and the ``eks.amazonaws.com/instance-*`` labels of the EKS User
  Guide's "EKS Auto Mode Supported Labels" table (Karpenter's values, EKS's names; no accelerator
  labels there);
- ``self-managed`` and ``bottlerocket``: nothing more; the pool's own labels come on top for all.

Labels whose value the plan cannot know (an AMI ID, a launch template, a NodeClass name, EBS
bandwidth) are not set; :data:`eks_plan.scheduling.labels.UNKNOWABLE_VALUE_LABELS` names them.

Example::

    >>> from eks_plan.catalog import load_catalog
    >>> m5 = load_catalog().lookup("m5.large")
    >>> labels = node_labels(m5, region="us-east-1", zone="us-east-1a", capacity_type="spot",
    ...                      node_style="karpenter", pool="general", zone_id="use1-az6")
    >>> labels["kubernetes.io/arch"], labels["karpenter.sh/capacity-type"], labels["topology.k8s.aws/zone-id"]
    ('amd64', 'spot', 'use1-az6')
    >>> labels["karpenter.k8s.aws/instance-memory"], "eks.amazonaws.com/capacityType" in labels
    ('8192', False)
    >>> mng = node_labels(m5, region="us-east-1", zone="us-east-1a", capacity_type="spot",
    ...                   node_style="managed-node-group", pool="general")
    >>> mng["eks.amazonaws.com/capacityType"], mng["eks.amazonaws.com/nodegroup"]
    ('SPOT', 'general')
    >>> "karpenter.sh/nodepool" in mng, "karpenter.k8s.aws/instance-cpu" in mng
    (False, False)
"""

from __future__ import annotations

from collections.abc import Mapping

from eks_plan.catalog.instance_type import InstanceType
from eks_plan.catalog.pricing import CapacityType
from eks_plan.scheduling import labels as well_known


def node_labels(
    instance_type: InstanceType,
    *,
    region: str,
    zone: str,
    capacity_type: str,
    node_style: str = "karpenter",
    pool: str | None = None,
    zone_id: str | None = None,
    pool_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The labels of a node of ``instance_type`` in ``zone`` of a pool of ``node_style``;
    ``pool_labels`` (a node group's or NodePool's own labels) come on top and win.

    ``capacity_type`` is Karpenter's ``on-demand`` or ``spot``; the managed-node-group spelling
    (``ON_DEMAND``/``SPOT``) goes on ``eks.amazonaws.com/capacityType``. ``pool`` names the node group
    or NodePool. ``zone_id`` is the zone's ID (``use1-az6``); without one the label carries the zone
    name, which still gives one value per zone.
    """
    capacity = CapacityType.parse(capacity_type)
    capacity_type = str(capacity)
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
        well_known.ZONE_ID: zone_id or zone,
    }
    style = str(node_style)
    if style == "managed-node-group":
        labels[well_known.EKS_CAPACITY_TYPE] = capacity.eks_label
        if pool:
            labels[well_known.NODEGROUP] = pool
    elif style == "karpenter":
        labels[well_known.CAPACITY_TYPE] = capacity_type
        labels[well_known.KARPENTER_INITIALIZED] = "true"
        labels[well_known.KARPENTER_REGISTERED] = "true"
        if pool:
            labels[well_known.NODEPOOL] = pool
        labels.update(instance_labels(t))
    elif style == "auto-mode":
        labels[well_known.EKS_COMPUTE_TYPE] = "auto"
        labels[well_known.CAPACITY_TYPE] = capacity_type
        if pool:
            labels[well_known.NODEPOOL] = pool
        labels.update(
            {
                well_known.AUTO_MODE_INSTANCE_LABELS[key]: value
                for key, value in instance_labels(t).items()
                if key in well_known.AUTO_MODE_INSTANCE_LABELS
            }
        )
    labels.update(pool_labels or {})
    return labels


def instance_labels(instance_type: InstanceType) -> dict[str, str]:
    """Karpenter's ``karpenter.k8s.aws/instance-*`` labels of a type (``computeRequirements``).

    >>> from eks_plan.catalog import load_catalog
    >>> instance_labels(load_catalog().lookup("m5.large"))["karpenter.k8s.aws/instance-family"]
    'm5'
    """
    t = instance_type
    labels = {
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
    return labels
