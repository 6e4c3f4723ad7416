"""Pods per node limited by VPC addresses, not only by the kubelet's maxPods.

ipamd (aws/amazon-vpc-cni-k8s ``pkg/ipamd/ipamd.go``) attaches at most ``maxENI`` ENIs
(``hasRoomForEni``: ``maxENI - unmanagedENI - trunkEni``) with ``A - 1`` secondary addresses (or
/28 prefixes) each; a pod beyond them gets no address, whatever maxPods says. ``size`` models this
as a per-node ``vpc-ip-pods`` capacity (only pods that are not hostNetwork and not on a branch ENI
use it) that the solver, the packing and the verifier share; ``check-ips --plan`` replays ipamd on
the plan and must find every pod addressed.
"""

from __future__ import annotations

import ipaddress
import json
import textwrap
from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.capacity import CniMode, NodeSettings, NodeStyle, eni_max_pods, pod_addresses
from eks_plan.network.check import check_ips
from eks_plan.network.ipamd import CniSettings, NodeNetworkLimits, eni_slots_for_pods, node_addresses
from eks_plan.network.plan_input import plan_to_cluster
from eks_plan.network.subnets import Subnet, SubnetRole, Verdict
from eks_plan.planning import size_cluster
from eks_plan.report.size import plan_file_data
from eks_plan.resources import VPC_IP_PODS
from eks_plan.solver.verify import verify_plan


def _limits_of(name: str, max_pods: int) -> NodeNetworkLimits:
    return NodeNetworkLimits.of(load_catalog().lookup(name), max_pods)


def test_addresses_are_the_eni_formula_without_the_two_host_network_pods_for_every_type() -> None:
    """misc/eni-max-pods.txt (aws/amazon-vpc-cni-k8s) is ``E x (A - 1) + 2``, the +2 being the
    hostNetwork aws-node and kube-proxy: ipamd addresses exactly ``E x (A - 1)`` pods."""
    catalog = load_catalog()
    checked = 0
    for instance_type in catalog:
        assert pod_addresses(instance_type, NodeSettings()) == eni_max_pods(instance_type) - 2
        checked += 1
    assert checked > 1000


MODES = [
    ("m5.large", CniSettings()),
    ("m5.large", CniSettings(CniMode.CUSTOM_NETWORKING)),
    ("m5.large", CniSettings(security_groups_for_pods=True)),
    ("m5.large", CniSettings(CniMode.CUSTOM_NETWORKING, security_groups_for_pods=True)),
    ("t3.large", CniSettings(security_groups_for_pods=True)),
    ("m5.large", CniSettings(max_eni=2)),
    ("m5.large", CniSettings(CniMode.PREFIX_DELEGATION)),
    ("c5.xlarge", CniSettings(warm_ip_target=2, minimum_ip_target=5)),
]


@pytest.mark.parametrize(("name", "cni"), MODES, ids=lambda v: v if isinstance(v, str) else v.mode.value)
def test_planner_capacity_is_where_ipamd_stops_addressing(name: str, cni: CniSettings) -> None:
    """The planner's per-node capacity (catalog ``pod_addresses``) equals what the ipamd replay
    (``node_addresses``, ``isDatastorePoolTooLow``/``increaseDatastorePool``/``hasRoomForEni``)
    can address with maxPods far above it: ``N`` pods all get an address, pod ``N + 1`` does not."""
    instance_type = load_catalog().lookup(name)
    settings = NodeSettings(
        cni_mode=cni.mode,
        max_pods=1000,
        max_eni=cni.max_eni,
        security_groups_for_pods=cni.security_groups_for_pods,
    )
    capacity = pod_addresses(instance_type, settings)
    assert capacity is not None
    limits = NodeNetworkLimits.of(instance_type, 1000)
    unit = 16 if cni.prefix_delegation else 1
    assert capacity == eni_slots_for_pods(limits, cni) * limits.slots_per_eni * unit
    assert node_addresses(limits, cni, capacity).pods_without_address == 0
    assert node_addresses(limits, cni, capacity + 1).pods_without_address == 1


def test_security_groups_for_pods_reserve_no_trunk_slot_on_t3() -> None:
    """``hasRoomForEni`` reserves a slot for the trunk ENI only where one can come: since
    aws/amazon-vpc-cni-k8s PR #3250 (issue #3094) not on a type that is not trunking-compatible.
    t3.large (E=3, A=12) keeps 3 ENIs and 33 addresses; m5.large (trunking) keeps 2 and 18, and its
    trunk ENI takes one more address in the node subnet."""
    t3 = _limits_of("t3.large", 35)
    m5 = _limits_of("m5.large", 29)
    sgp = CniSettings(security_groups_for_pods=True)
    assert not t3.trunking_compatible and m5.trunking_compatible
    assert eni_slots_for_pods(t3, sgp) == 3
    assert eni_slots_for_pods(m5, sgp) == 2
    t3_held = node_addresses(t3, sgp, 33)
    assert t3_held.pods_without_address == 0 and not t3_held.trunk_eni
    assert t3_held.node_subnet.total == 3 * 12
    m5_held = node_addresses(m5, sgp, 18, security_group_pods=2)
    assert m5_held.pods_without_address == 0 and m5_held.trunk_eni and m5_held.branch_enis == 2
    assert m5_held.node_subnet.total == 2 * 10 + 1 + 2


def _write(tmp_path: Path, config: str, manifests: str) -> tuple[Path, Path]:
    config_path = tmp_path / "eks-plan.yaml"
    config_path.write_text(textwrap.dedent(config))
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "app.yaml").write_text(textwrap.dedent(manifests))
    return config_path, folder


def _deployment(name: str, replicas: int, *, host_network: bool = False, cpu: str = "10m") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      hostNetwork: {str(host_network).lower()}
      containers:
      - {{name: c, image: c, resources: {{requests: {{cpu: {cpu}, memory: 16Mi}}}}}}
---
"""


POOL = """\
region: us-east-1
zones: [us-east-1a]
nodePools:
  - name: general
    nodeStyle: {style}
    maxPods: 110
    instances: {{instanceTypes: [m5.large]}}
cni: {{mode: {mode}}}
"""


@pytest.mark.parametrize(
    ("style", "mode", "addresses"),
    [
        ("managed-node-group", "secondary-ip", 27),
        ("karpenter", "custom-networking", 18),
    ],
)
def test_size_never_plans_more_vpc_pods_than_addresses_and_check_ips_addresses_all(
    tmp_path: Path, style: str, mode: str, addresses: int
) -> None:
    """A pool with ``maxPods: 110`` on m5.large: 60 tiny VPC-IP pods need ceil(60 / 27) = 3 nodes
    (secondary IP; custom networking leaves the primary ENI out: 18 a node, 4 nodes), not one;
    hostNetwork pods (a second workload) need no address and fill the remaining pod slots. The
    plan passes the independent verifier, and check-ips on its JSON finds every pod addressed."""
    config, folder = _write(
        tmp_path,
        POOL.format(style=style, mode=mode),
        _deployment("web", 60) + _deployment("agent", 20, host_network=True, cpu="1m"),
    )
    result = size_cluster([folder], config_path=config, time_limit_seconds=5, workers=1)
    plan, planning = result.plan, result.planning
    assert not plan.unschedulable
    assert verify_plan(planning.problem, plan) == []
    web = next(g for g in planning.problem.pod_groups if g.key.endswith("/web"))
    agent = next(g for g in planning.problem.pod_groups if g.key.endswith("/agent"))
    assert web.pod.requests[VPC_IP_PODS] == 1 and agent.pod.requests[VPC_IP_PODS] == 0
    data = plan_file_data(plan, planning)
    assert len(data["nodes"]) == -(-60 // addresses)
    assert all(node["vpc_ip_pods"] <= addresses for node in data["nodes"])
    assert sum(node["pods"].get("Deployment/default/agent", 0) for node in data["nodes"]) == 20

    cluster, cni = plan_to_cluster(json.loads(json.dumps(data)), _limits_of, "plan")
    assert cni is not None
    subnets = [Subnet("us-east-1a", ipaddress.IPv4Network("10.0.0.0/20"))]
    if cni.custom_networking:
        subnets.append(Subnet("us-east-1a", ipaddress.IPv4Network("100.64.0.0/20"), roles=_pods_role()))
    report = check_ips(cluster, subnets, cni)
    steady = report.scenarios[0]
    assert steady.key == "steady" and steady.pods_without_address == 0
    assert steady.verdict is Verdict.OK


def _pods_role() -> frozenset[SubnetRole]:
    return frozenset({SubnetRole.PODS})


def test_without_binding_addresses_the_problem_has_no_extra_resource(tmp_path: Path) -> None:
    """Karpenter's own maxPods (the ENI formula, 29 on m5.large) never exceeds the addresses plus
    the two hostNetwork add-ons, so the capacity would decide nothing and is left out (the solver
    keeps its usual resources)."""
    config, folder = _write(
        tmp_path,
        POOL.format(style="karpenter", mode="secondary-ip").replace("    maxPods: 110\n", ""),
        _deployment("web", 10),
    )
    result = size_cluster([folder], config_path=config, time_limit_seconds=5, workers=1)
    assert all(VPC_IP_PODS not in g.pod.requests for g in result.planning.problem.pod_groups)


def test_check_ips_verdict_is_not_ok_when_pods_get_no_address() -> None:
    """A hand-made plan with 40 VPC pods on an m5.large whose maxPods is 110: ipamd addresses 27
    (3 ENIs x 9), so 13 pods stay in ContainerCreating. The subnet has room, yet the scenario's
    verdict (and the report's) is not ok, and the note says why."""
    document = {
        "region": "us-east-1",
        "zones": ["us-east-1a"],
        "nodes": [
            {
                "name": "n1",
                "pool": "general",
                "instance_type": "m5.large",
                "zone": "us-east-1a",
                "allocatable": {"cpu_millicores": 1930, "memory_bytes": 7 * 2**30, "pods": 110},
                "vpc_ip_pods": 40,
                "pods": {"Deployment/default/web": 40},
            }
        ],
        "workloads": {"Deployment/default/web": {"kind": "Deployment", "replicas": 40}},
        "cni": {"mode": "secondary-ip"},
    }
    cluster, cni = plan_to_cluster(document, _limits_of)
    import ipaddress

    report = check_ips(
        cluster, [Subnet("us-east-1a", ipaddress.IPv4Network("10.0.0.0/20"))], cni or CniSettings()
    )
    steady = report.scenarios[0]
    assert steady.pods_without_address == 13
    assert all(usage.verdict is Verdict.OK for usage in steady.usages)
    assert steady.verdict is not Verdict.OK
    assert report.verdict is not Verdict.OK
    assert any("no address" in note for note in steady.notes)


def test_node_styles_cap_max_pods_but_not_addresses() -> None:
    """Every node style's maxPods next to the address limit for m5.large: managed node groups and
    Auto Mode cap maxPods at 110 (above the formula, so equal to it here), and an explicit maxPods
    of 110 on any style leaves the addresses at 27 (DOMAIN.md §1.3; ipamd ``hasRoomForEni``)."""
    m5 = load_catalog().lookup("m5.large")
    for style in NodeStyle:
        settings = NodeSettings(node_style=style, max_pods=110)
        assert pod_addresses(m5, settings) == 27
    assert pod_addresses(m5, NodeSettings(CniMode.PREFIX_DELEGATION, max_pods=110)) == 432
