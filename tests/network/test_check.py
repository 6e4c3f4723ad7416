"""Peak scenarios, verdicts, recommendations and input validation of the IP check."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.capacity import CniMode
from eks_plan.errors import InputError
from eks_plan.network.check import (
    ClusterNetwork,
    FargatePods,
    check_ips,
    hand_written_nodes,
    validate_inputs,
)
from eks_plan.network.ipamd import CniSettings, NodeNetworkLimits
from eks_plan.network.plan_input import read_plan_file
from eks_plan.network.subnets import Subnet, SubnetRole, Verdict

FIXTURES = Path(__file__).parent / "fixtures"
M5_LARGE = NodeNetworkLimits(
    default_card_enis=3, ipv4_per_eni=10, max_pods=29, branch_interfaces=9, trunking_compatible=True
)
NODES = frozenset({SubnetRole.NODES})


def catalogue_limits(name: str, max_pods: int) -> NodeNetworkLimits:
    return NodeNetworkLimits.of(load_catalog().lookup(name), max_pods)


def subnet(zone: str, cidr: str, *roles: SubnetRole) -> Subnet:
    return Subnet(zone, ipaddress.ip_network(cidr), frozenset(roles) or NODES)


def hand_cluster(
    nodes_per_zone: dict[str, int], pods_per_node: int | None = None, **fields: object
) -> ClusterNetwork:
    nodes = []
    workload = None
    for zone, count in nodes_per_zone.items():
        made, workload = hand_written_nodes(zone, "m5.large", count, M5_LARGE, pods_per_node)
        nodes += made
    assert workload is not None
    return ClusterNetwork(
        region="us-east-1",
        zones=tuple(nodes_per_zone),
        nodes=tuple(nodes),
        workloads={workload.key: workload},
        **fields,  # type: ignore[arg-type]
    )


def scenario(report, key):  # type: ignore[no-untyped-def]
    return next(result for result in report.scenarios if result.key == key)


def held(result, zone: str) -> int:  # type: ignore[no-untyped-def]
    return next(usage.held for usage in result.usages if usage.subnet.zone == zone)


def test_only_the_zone_loss_scenario_exhausts_a_subnet() -> None:
    # 3 full m5.large per zone (27 pods, 3 ENIs = 30 addresses each) in /25s (123 usable, 13 must stay free).
    cluster = hand_cluster({"us-east-1a": 3, "us-east-1b": 3, "us-east-1c": 3})
    subnets = [
        subnet("us-east-1a", "10.0.0.0/25"),
        subnet("us-east-1b", "10.0.0.128/25"),
        subnet("us-east-1c", "10.0.1.0/25"),
    ]
    report = check_ips(cluster, subnets, CniSettings())
    verdicts = {result.key: result.verdict for result in report.scenarios}
    exhausted = {key for key, verdict in verdicts.items() if verdict is Verdict.EXHAUSTED}
    assert exhausted == {"zone-loss:us-east-1a", "zone-loss:us-east-1b", "zone-loss:us-east-1c"}
    assert verdicts["steady"] is Verdict.OK
    lost_a = scenario(report, "zone-loss:us-east-1a")
    # 81 pods move: 41 to b, 40 to c; surviving nodes are full, so b gets 2 new nodes (27 + 14 pods).
    assert lost_a.added_nodes == 4
    assert held(lost_a, "us-east-1b") == 90 + 30 + 30
    assert held(lost_a, "us-east-1c") == 90 + 30 + 30
    assert all(usage.subnet.zone != "us-east-1a" for usage in lost_a.usages)
    assert report.verdict is Verdict.EXHAUSTED
    sizes = {
        r.details["zone"]: r.details["smallest_prefix_length"]
        for r in report.recommendations
        if r.kind == "subnet-size"
    }
    assert sizes == {"us-east-1a": 24, "us-east-1b": 24, "us-east-1c": 24}


def test_plan_scenarios_from_the_fixture() -> None:
    cluster, cni = read_plan_file(FIXTURES / "plan-small.json", catalogue_limits)
    assert cni == CniSettings()
    a_node = cluster.nodes[0]
    assert (a_node.pool_pods, a_node.daemonset_pool_pods, a_node.limits.default_card_enis) == (5, 1, 3)
    subnets = [
        subnet("us-east-1a", "10.0.0.0/26", SubnetRole.NODES, SubnetRole.CLUSTER),
        subnet("us-east-1b", "10.0.0.64/26"),
    ]
    report = check_ips(cluster, subnets, cni)
    steady, hpa, surge = (scenario(report, key) for key in ("steady", "hpa-max", "surge"))
    # 5 pool pods: 2 ENIs = 20 addresses a node; Fargate spreads 3 pods a, b, a;
    # zone a is also a cluster subnet (+6).
    assert (held(steady, "us-east-1a"), held(steady, "us-east-1b")) == (20 + 2 + 6, 20 + 1)
    # HPA max adds 4 web pods: the nodes' cpu is full, so each zone gets a new node with 2 web pods.
    assert (hpa.added_nodes, held(hpa, "us-east-1a"), held(hpa, "us-east-1b")) == (2, 48, 41)
    # Surge: 1 web pod per zone on new nodes, and the Fargate Deployment's surge pod in zone a.
    assert (surge.added_nodes, surge.fargate_pods, held(surge, "us-east-1a")) == (2, 4, 49)
    pools = scenario(report, "pools-at-max")
    assert (pools.nodes, pools.verdict) == (6, Verdict.EXHAUSTED)
    assert held(pools, "us-east-1a") == 3 * 20 + 2 + 6
    lost_a = scenario(report, "zone-loss:us-east-1a")
    assert (lost_a.added_nodes, held(lost_a, "us-east-1b")) == (1, 20 + 20 + 3)
    kinds = [recommendation.kind for recommendation in report.recommendations]
    assert kinds == ["subnet-size", "subnet-size", "ip-targets", "prefix-delegation", "custom-networking"]
    targets = report.recommendations[2].details
    assert (targets["minimum_ip_target"], targets["warm_ip_target"]) == (5, 2)
    # pools-at-max with MIT=5/WIT=2: planned nodes hold 7 + 1, DaemonSet-only nodes 5 + 1.
    assert targets["peak_addresses"] == (8 + 6 + 6 + 2 + 6) + (8 + 6 + 6 + 1)
    assert targets["addresses_saved"] == 129 - 49


def test_custom_networking_recommendation_sizes_the_pod_subnets() -> None:
    cluster = hand_cluster({"us-east-1a": 10, "us-east-1b": 10}, pods_per_node=18)
    subnets = [subnet("us-east-1a", "10.0.0.0/24"), subnet("us-east-1b", "10.0.1.0/24")]
    report = check_ips(cluster, subnets, CniSettings())
    custom = next(r for r in report.recommendations if r.kind == "custom-networking")
    # Node subnets keep 1 address a node; 18 pods need 2 pod ENIs + a warm one: 3 × 10 = 30 a node.
    assert custom.details["node_subnet_peak"] < custom.details["node_subnet_peak_now"]
    pod_subnets = custom.details["pod_subnets"]
    assert set(pod_subnets) == {"us-east-1a", "us-east-1b"}
    assert all(
        ipaddress.ip_network(entry["cidr"]).subnet_of(ipaddress.ip_network("100.64.0.0/10"))
        for entry in pod_subnets.values()
    )


def test_custom_networking_check_uses_pod_subnets() -> None:
    cluster = hand_cluster({"us-east-1a": 2}, pods_per_node=10)
    subnets = [subnet("us-east-1a", "10.0.0.0/28"), subnet("us-east-1a", "100.64.0.0/26", SubnetRole.PODS)]
    report = check_ips(cluster, subnets, CniSettings(CniMode.CUSTOM_NETWORKING))
    steady = scenario(report, "steady")
    by_cidr = {str(usage.subnet.cidr): usage.held for usage in steady.usages}
    assert by_cidr == {"10.0.0.0/28": 2, "100.64.0.0/26": 2 * 20}


def test_pods_beyond_the_node_addresses_are_reported() -> None:
    cluster = hand_cluster({"us-east-1a": 1}, pods_per_node=27)
    report = check_ips(cluster, [subnet("us-east-1a", "10.0.0.0/24")], CniSettings(max_eni=2))
    assert report.pods_without_address == 27 - 18


def test_fargate_pods_take_one_address_each_in_their_zone() -> None:
    cluster = hand_cluster(
        {"us-east-1a": 1}, pods_per_node=0, fargate=(FargatePods("Job/x/y", 7, "us-east-1b"),)
    )
    subnets = [subnet("us-east-1a", "10.0.0.0/24"), subnet("us-east-1b", "10.0.1.0/24")]
    report = check_ips(cluster, subnets, CniSettings())
    assert held(scenario(report, "steady"), "us-east-1b") == 7
    assert held(scenario(report, "zone-loss:us-east-1b"), "us-east-1a") == 10 + 7


@pytest.mark.parametrize(
    ("subnets", "cni", "message"),
    [
        ([subnet("us-west-2a", "10.0.0.0/24")], CniSettings(), "zone us-west-2a is not in region us-east-1"),
        ([subnet("us-east-1a", "10.0.0.0/29")], CniSettings(), "a /29 is not a valid subnet"),
        (
            [subnet("us-east-1a", "10.0.0.0/29")],
            CniSettings(CniMode.PREFIX_DELEGATION),
            "prefix delegation needs aligned /28 prefixes",
        ),
        (
            [subnet("us-east-1a", "10.0.0.0/27")],
            CniSettings(CniMode.PREFIX_DELEGATION),
            "cannot hold a single aligned /28",
        ),
        (
            [subnet("us-east-1a", "10.0.0.0/20"), subnet("us-east-1b", "10.0.8.0/24")],
            CniSettings(),
            "overlaps",
        ),
        ([subnet("us-east-1b", "10.0.0.0/24")], CniSettings(), "zone us-east-1a has 2 node(s) but no subnet"),
        ([subnet("us-east-1a", "10.0.0.0/24")], CniSettings(CniMode.CUSTOM_NETWORKING), "custom networking"),
        ([], CniSettings(), "no subnets"),
    ],
)
def test_bad_input_is_one_clear_error(subnets: list[Subnet], cni: CniSettings, message: str) -> None:
    cluster = hand_cluster({"us-east-1a": 2})
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_inputs(cluster, subnets, cni, load_catalog().zones("us-east-1"))


def test_plan_reader_rejects_a_malformed_plan(tmp_path: Path) -> None:
    broken = tmp_path / "plan.json"
    broken.write_text('{"region": "us-east-1", "nodes": [{"name": "n", "zone": "us-east-1a"}]}')
    with pytest.raises(InputError, match=r"nodes\[0\]\.instance_type"):
        read_plan_file(broken, catalogue_limits)
    broken.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON plan"):
        read_plan_file(broken, catalogue_limits)
