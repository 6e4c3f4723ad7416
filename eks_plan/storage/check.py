"""``check-ips``'s volume-slot warning: on a shared-limit type, the ENIs the VPC CNI attaches take
EBS volume slots, so a node whose planned EBS volumes exceed the slots its ENIs leave will see
``AttachmentLimitExceeded`` / "node(s) exceed max volume count" (EBSCSI ``docs/faq.md``; issues #1163,
#2064).

Per node of a plan document: the ENIs ipamd holds with the pods the plan puts there (the warm ENI
included, :func:`eks_plan.network.ipamd.node_addresses`) under the CNI settings being checked, plus the
trunk ENI and, under custom networking, the primary ENI; the EBS CSI driver's count at those ENIs
(:func:`eks_plan.storage.attach.attachable_volumes`) against the node's EBS volumes in the plan.
``size`` plans with the ENIs at maxPods, so its plans pass under their own CNI settings; the warning
catches a plan checked under other settings (secondary IP instead of prefix delegation, a higher warm
target) or a plan file edited by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eks_plan.storage.attach import SHARED, attachable_volumes, attachment_limit

if TYPE_CHECKING:
    from eks_plan.catalog import Catalog
    from eks_plan.network.ipamd import CniSettings


@dataclass(frozen=True, slots=True)
class VolumeSlotWarning:
    """A node whose ENIs leave fewer EBS volume slots than its planned volumes."""

    node: str
    instance_type: str
    enis: int
    attachable: int
    ebs_volumes: int

    def message(self) -> str:
        return (
            f"node {self.node} ({self.instance_type}, shared EBS/ENI limit): the CNI attaches "
            f"{self.enis} ENI(s), "
            f"which leave {self.attachable} EBS volume slot(s) for its {self.ebs_volumes} planned volumes; "
            "pods past the limit stay Pending (node(s) exceed max volume count): use prefix delegation, a "
            "dedicated-limit type (Gen7+), or size the plan under these CNI settings"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "node": self.node,
            "instance_type": self.instance_type,
            "enis": self.enis,
            "attachable_volumes": self.attachable,
            "ebs_volumes": self.ebs_volumes,
            "message": self.message(),
        }


def volume_slot_warnings(
    plan: Mapping[str, Any], cni: CniSettings, catalog: Catalog
) -> list[VolumeSlotWarning]:
    """The warnings for a plan document (:func:`eks_plan.report.size.plan_file_data`) under ``cni``."""
    from eks_plan.network.ipamd import NodeNetworkLimits, node_addresses

    storage = plan.get("storage") or {}
    volumes = {node["node"]: int(node.get("ebs_volumes", 0)) for node in storage.get("nodes", [])}
    max_pods = plan.get("max_pods", {})
    warnings = []
    for node in plan.get("nodes", []):
        used = volumes.get(node.get("name", ""), 0)
        instance_type = catalog.get(node.get("instance_type", ""))
        if not used or instance_type is None:
            continue
        limit, kind = attachment_limit(instance_type)
        if kind != SHARED:
            continue
        security_group_pods = int(node.get("security_group_pods", 0))
        pool_pods = max(int(node.get("vpc_ip_pods", 0)) - security_group_pods, 0)
        node_max_pods = int(max_pods.get(instance_type.name) or node.get("allocatable", {}).get("pods") or 1)
        held = node_addresses(
            NodeNetworkLimits.of(instance_type, max(node_max_pods, 1)), cni, pool_pods, security_group_pods
        )
        enis = held.enis + int(cni.custom_networking and not cni.ipv6) + int(held.trunk_eni)
        attachable = attachable_volumes(limit, kind, enis=max(enis, 1))
        if attachable < used:
            warnings.append(VolumeSlotWarning(node["name"], instance_type.name, enis, attachable, used))
    return warnings
