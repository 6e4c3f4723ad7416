"""How many EBS volumes a node can attach: the count the EBS CSI driver reports as its CSINode
``allocatable.count``, which kube-scheduler's NodeVolumeLimits filter enforces.

The driver (kubernetes-sigs/aws-ebs-csi-driver ``pkg/driver/node.go`` ``getVolumesLimit``, with
``pkg/cloud/limits/volume_limits.go`` ``GetVolumeLimits``; v1.53.0 and later)::

    (limit, kind) = (39, dedicated) for Xen types; else EC2's MaximumEbsAttachments and
                    AttachmentLimitType; else (27, shared) for a Nitro type its table lacks
    available     = limit - (EBS volumes at launch: the root volume + any extra ones)
    if kind == shared: available -= ENIs attached - 1   # the primary ENI is already netted out
    count         = max(available, 1)                   # below 1 Kubernetes would read "no limit"

EC2's ``MaximumEbsAttachments`` already leaves out the primary ENI, NVMe instance-store disks and GPUs
on shared types (c6gd.xlarge: 27 - 1 NVMe = 26), so nothing else is subtracted.

Which ENI count to plan with: the VPC CNI attaches ENIs after boot as pods arrive, plus a warm one
(``WARM_ENI_TARGET=1``); since Kubernetes 1.34 kubelet re-reads the driver's count every 10 s, so a
node's volume slots shrink as its ENIs attach. eks-plan therefore plans with the ENIs ipamd holds when
the node is full, i.e. carries its maxPods pods that need a VPC address (:func:`planned_enis`,
replaying ipamd with :func:`eks_plan.network.ipamd.node_addresses`), plus the trunk ENI of security
groups for pods and the primary ENI under custom networking: the count that is still true at peak.
The "fresh node" count (1 ENI) is shown beside it as the optimistic bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eks_plan.catalog import InstanceType
    from eks_plan.network.ipamd import CniSettings

#: The per-node resource the planner adds when pods attach EBS volumes: one unit per EBS volume.
#: Named after the in-tree scheduler's old node resource for the same limit; like ``vpc-ip-pods`` it
#: has no domain, so no manifest can request it.
EBS_VOLUMES = "attachable-volumes-aws-ebs"
#: kube-scheduler's reason (``nodevolumelimits`` ``ErrReasonMaxVolumeCountExceeded``).
MAX_VOLUME_COUNT_REASON = "node(s) exceed max volume count"
#: The fix for a pod that attaches more EBS volumes than any allowed node can (EBSCSI ``docs/faq.md``
#: mitigations).
VOLUME_COUNT_FIX = (
    "attach fewer EBS volumes per pod, or allow a type with more volume slots: a dedicated-limit type "
    "(Gen7+ such as m7i, c7i, r7i: 32 and up), or on shared-limit types fewer ENIs (prefix delegation)"
)
#: What the driver assumes for Xen types (``nonNitroInstanceTypes``: 39, treated as dedicated).
XEN_LIMIT = 39
#: A Nitro type the driver's generated table lacks: 27 shared (since v1.51.2 / v1.52.1 / v1.53.0).
DEFAULT_NITRO_LIMIT = 27
SHARED = "shared"
DEDICATED = "dedicated"


def attachment_limit(instance_type: InstanceType) -> tuple[int, str]:
    """``(limit, kind)`` as the driver's ``GetVolumeLimits`` gives it.

    >>> from eks_plan.catalog import load_catalog
    >>> catalog = load_catalog()
    >>> attachment_limit(catalog.lookup("m5.large")), attachment_limit(catalog.lookup("m7i.large"))
    ((27, 'shared'), (32, 'dedicated'))
    >>> attachment_limit(catalog.lookup("t2.medium"))   # Xen: the driver says 39 dedicated
    (39, 'dedicated')
    """
    if instance_type.hypervisor == "xen":
        return XEN_LIMIT, DEDICATED
    if instance_type.ebs_attachments is None or instance_type.ebs_attachment_kind is None:
        return DEFAULT_NITRO_LIMIT, SHARED
    return instance_type.ebs_attachments, instance_type.ebs_attachment_kind


def attachable_volumes(limit: int, kind: str, *, enis: int, launch_volumes: int = 1) -> int:
    """The driver's count for a node with ``enis`` ENIs attached and ``launch_volumes`` EBS volumes
    at launch (the root volume, plus extra block devices of the launch template).

    >>> attachable_volumes(27, "shared", enis=1), attachable_volumes(27, "shared", enis=3)
    (26, 24)
    >>> attachable_volumes(32, "dedicated", enis=3)
    31
    >>> attachable_volumes(27, "shared", enis=40)   # the floor
    1
    """
    available = limit - launch_volumes
    if kind == SHARED:
        available -= enis - 1
    return max(available, 1)


def planned_enis(instance_type: InstanceType, settings: CniSettings, max_pods: int) -> int:
    """ENIs the node carries at peak: those ipamd holds with ``max_pods`` pods needing an address
    (the warm ENI included), plus the trunk ENI (security groups for pods) and, under custom
    networking, the primary ENI that carries no pods. IPv6: the primary ENI only.

    >>> from eks_plan.catalog import load_catalog
    >>> from eks_plan.network.ipamd import CniSettings
    >>> m5 = load_catalog().lookup("m5.large")
    >>> planned_enis(m5, CniSettings(), 29), planned_enis(m5, CniSettings(mode="prefix-delegation"), 110)
    (3, 1)
    """
    from eks_plan.network.ipamd import NodeNetworkLimits, node_addresses

    limits = NodeNetworkLimits.of(instance_type, max(max_pods, 1))
    held = node_addresses(limits, settings, max(max_pods, 0))
    enis = held.enis + int(settings.custom_networking and not settings.ipv6) + int(held.trunk_eni)
    return max(enis, 1)


def launch_volumes(node_style: str) -> int:
    """EBS volumes a node has at launch: the root volume, and on Bottlerocket its data volume too
    (``/dev/xvda`` and ``/dev/xvdb``: Karpenter's EC2NodeClass docs, aws/karpenter-provider-aws
    ``website/content/en/docs/concepts/nodeclasses.md``), each one slot fewer for pods' volumes.

    >>> launch_volumes("managed-node-group"), launch_volumes("bottlerocket")
    (1, 2)
    """
    return 2 if str(node_style) == "bottlerocket" else 1


@dataclass(frozen=True, slots=True)
class VolumeSlots:
    """A node's EBS volume slots: the limit, its kind, the ENIs assumed and the resulting counts."""

    instance_type: str
    limit: int
    kind: str
    launch_volumes: int
    planned_enis: int
    max_enis: int
    attachable: int
    fresh_node: int

    def at_enis(self, enis: int) -> int:
        """The count with ``enis`` ENIs attached."""
        return attachable_volumes(self.limit, self.kind, enis=enis, launch_volumes=self.launch_volumes)

    def as_dict(self) -> dict[str, object]:
        return {
            "limit": self.limit,
            "kind": self.kind,
            "launch_volumes": self.launch_volumes,
            "planned_enis": self.planned_enis,
            "attachable_volumes": self.attachable,
            "fresh_node_attachable_volumes": self.fresh_node,
        }


def volume_slots(
    instance_type: InstanceType, settings: CniSettings, max_pods: int, *, launch_volumes: int = 1
) -> VolumeSlots:
    """The node's slots under these CNI settings and maxPods (see the module docstring).

    >>> from eks_plan.catalog import load_catalog
    >>> from eks_plan.network.ipamd import CniSettings
    >>> slots = volume_slots(load_catalog().lookup("m5.large"), CniSettings(), 29)
    >>> slots.planned_enis, slots.attachable, slots.fresh_node
    (3, 24, 26)
    """
    limit, kind = attachment_limit(instance_type)
    enis = planned_enis(instance_type, settings, max_pods)
    return VolumeSlots(
        instance_type=instance_type.name,
        limit=limit,
        kind=kind,
        launch_volumes=launch_volumes,
        planned_enis=enis,
        max_enis=instance_type.max_enis_all_cards,
        attachable=attachable_volumes(limit, kind, enis=enis, launch_volumes=launch_volumes),
        fresh_node=attachable_volumes(limit, kind, enis=1, launch_volumes=launch_volumes),
    )
