"""The node's attachable EBS volume count as the EBS CSI driver reports it (CSINode allocatable.count).

Source: kubernetes-sigs/aws-ebs-csi-driver ``pkg/driver/node.go`` ``getVolumesLimit`` (called from
``NodeGetInfo``) with ``pkg/cloud/limits/volume_limits.go`` ``GetVolumeLimits`` (earlier
``pkg/cloud/volume_limits.go``): ``limit − (launch EBS volumes + root) − (ENIs − 1 on shared types)``,
floor 1; Xen types 39 dedicated, Nitro types missing from the table 27 shared. The worked counts are the
table of the reference notes (EBS-AND-PR-COST.md part 1a), from EC2 DescribeInstanceTypes via moto.
"""

from __future__ import annotations

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.network.ipamd import CniSettings
from eks_plan.storage.attach import attachable_volumes, attachment_limit, planned_enis, volume_slots

#: type -> (limit, kind, [1 ENI, 2 ENIs, all ENIs]) from the notes' worked-examples table.
WORKED = {
    "m5.large": (27, "shared", [26, 25, 24]),
    "m5.24xlarge": (27, "shared", [26, 25, 12]),
    "m7i.large": (32, "dedicated", [31, 31, 31]),
    "c6gd.xlarge": (26, "shared", [25, 24, 22]),
    "r5d.4xlarge": (25, "shared", [24, 23, 17]),
    "g5.xlarge": (25, "shared", [24, 23, 21]),
    "p4d.24xlarge": (28, "dedicated", [27, 27, 27]),
    "t3.medium": (27, "shared", [26, 25, 24]),
}


@pytest.mark.parametrize("name", sorted(WORKED))
def test_worked_attachment_counts_with_one_two_and_all_enis(name: str) -> None:
    """EBS-AND-PR-COST.md part 1a, "Worked examples": getVolumesLimit with the root volume only, at 1
    ENI (a fresh node), 2 ENIs (the CNI's warm ENI) and every ENI the type has (all network cards)."""
    instance_type = load_catalog().lookup(name)
    limit, kind, expected = WORKED[name]
    assert attachment_limit(instance_type) == (limit, kind)
    enis = [1, 2, instance_type.max_enis_all_cards]
    assert [attachable_volumes(limit, kind, enis=count) for count in enis] == expected


@pytest.mark.parametrize(
    ("name", "enis", "expected"),
    [
        ("t2.medium", 1, 38),  # Xen: 39 dedicated - root
        ("m5d.large", 3, 23),  # 26 - 1 - 2
        ("m7i.48xlarge", 1, 127),
        ("g4dn.xlarge", 1, 24),
        ("g4dn.12xlarge", 1, 21),
        ("t3.xlarge", 40, 1),  # the floor: never below 1
        ("d3en.12xlarge", 1, 2),
    ],
)
def test_the_drivers_own_unit_test_cases(name: str, enis: int, expected: int) -> None:
    """aws-ebs-csi-driver ``pkg/driver/node_test.go`` ``TestGetVolumesLimit`` (as listed in the notes,
    part 1a), on the catalogue's EC2 facts."""
    limit, kind = attachment_limit(load_catalog().lookup(name))
    assert attachable_volumes(limit, kind, enis=enis) == expected


def test_every_catalogue_type_has_an_attachment_limit_from_the_reference_data() -> None:
    """ebs-attachments.tsv and its supplement cover every type the catalogue keeps (none falls back to
    the driver's default without the data saying so)."""
    catalog = load_catalog()
    missing = [t.name for t in catalog if t.ebs_attachments is None]
    assert missing == []
    kinds = {t.ebs_attachment_kind for t in catalog}
    assert kinds == {"shared", "dedicated"}


def test_planned_enis_follow_the_cni_mode_and_prefix_delegation_frees_slots() -> None:
    """The ENIs the node carries when full (ipamd replayed at maxPods, warm ENI included): m5.large in
    secondary-IP mode at 29 pods fills all 3 ENIs (24 volume slots); with prefix delegation 110 pods
    fit in 7 /28 prefixes + 1 warm on the primary ENI (26 slots). Dedicated types do not care."""
    catalog = load_catalog()
    m5 = catalog.lookup("m5.large")
    assert planned_enis(m5, CniSettings(), 29) == 3
    assert planned_enis(m5, CniSettings(mode="prefix-delegation"), 110) == 1
    assert volume_slots(m5, CniSettings(), 29).attachable == 24
    assert volume_slots(m5, CniSettings(mode="prefix-delegation"), 110).attachable == 26
    # Security groups for pods: the trunk ENI takes a slot too.
    assert planned_enis(m5, CniSettings(mode="prefix-delegation", security_groups_for_pods=True), 110) == 2
    m7i = catalog.lookup("m7i.large")
    assert volume_slots(m7i, CniSettings(), 29).attachable == 31
    # Bottlerocket's second launch volume costs one slot more.
    assert volume_slots(m5, CniSettings(), 29, launch_volumes=2).attachable == 23
