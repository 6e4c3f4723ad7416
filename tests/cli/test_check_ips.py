"""`eks-plan check-ips`: hand nodes, a plan, eks-plan.yaml, live subnets (moto), exit codes, bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import SHOP, SHOP_GROUP, SHOP_TIME_LIMIT, SizeRun
from typer.testing import CliRunner

from eks_plan.cli.app import app
from eks_plan.cli.output import ExitCode

runner = CliRunner()
PLAN = Path(__file__).parents[1] / "network" / "fixtures" / "plan-small.json"
THREE_ZONES = [
    "--subnet", "us-east-1a=10.0.0.0/24:nodes,cluster",
    "--subnet", "us-east-1b=10.0.1.0/24",
    "--subnet", "us-east-1c=10.0.2.0/24",
]  # fmt: skip


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check-ips", *args])


def report(*args: str, exit_code: int = 0) -> dict:
    result = run(*args, "-o", "json")
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def test_hand_nodes_fit_and_exit_0() -> None:
    data = report("--nodes", "m5.large=6", "--pods-per-node", "10", *THREE_ZONES)
    assert data["verdict"] == "ok"
    assert data["cni"] == {
        "mode": "secondary-ip",
        "warm_eni_target": 1,
        "max_eni": None,
        "security_groups_for_pods": False,
    }
    steady = data["scenarios"][0]
    assert steady["scenario"] == "steady" and steady["nodes"] == 6
    # m5.large nodes spread 2 per zone; 10 pods hold 3 ENIs of 10 addresses; zone a adds 6 for EKS.
    held = {row["subnet"]["zone"]: row["held"]["total"] for row in steady["subnets"]}
    assert held == {"us-east-1a": 66, "us-east-1b": 60, "us-east-1c": 60}
    assert [s["scenario"] for s in data["scenarios"]] == [
        "steady",
        "hpa-max",
        "surge",
        "pools-at-max",
        "zone-loss:us-east-1a",
        "zone-loss:us-east-1b",
        "zone-loss:us-east-1c",
    ]
    assert {r["kind"] for r in data["recommendations"]} >= {"subnet-size", "ip-targets", "prefix-delegation"}


def test_exhausted_subnet_exits_1_and_at_risk_only_with_fail_on() -> None:
    exhausted = report("--nodes", "us-east-1a:m5.large=9", "--subnet", "us-east-1a=10.0.0.0/24", exit_code=1)
    assert exhausted["verdict"] == "exhausted"
    # 8 full m5.large hold 240 of 251: at risk, not exhausted.
    args = ("--nodes", "us-east-1a:m5.large=8", "--subnet", "us-east-1a=10.0.0.0/24")
    assert report(*args)["verdict"] == "at-risk"
    assert report(*args, "--fail-on", "at-risk", exit_code=1)["verdict"] == "at-risk"
    assert report(*args, "--min-free", "0")["verdict"] == "ok"


def test_plan_file_table_output() -> None:
    result = run(
        "--plan", str(PLAN), "--subnet", "us-east-1a=10.0.0.0/26", "--subnet", "us-east-1b=10.0.0.64/26"
    )
    assert result.exit_code == ExitCode.FINDINGS, result.output
    text = " ".join(result.stdout.split())
    for expected in (
        "steady state",
        "HPA max",
        "rolling-update surge",
        "node pools at max size",
        "zone us-east-1a lost",
    ):
        assert expected in text
    assert "EXHAUSTED" in text and "InsufficientFreeAddressesInSubnet" in text
    assert "Recommendations" in text and "MINIMUM_IP_TARGET=5 WARM_IP_TARGET=2" in text


def test_yaml_output_matches_json() -> None:
    args = ("--plan", str(PLAN), "--subnet", "us-east-1a=10.0.0.0/24", "--subnet", "us-east-1b=10.0.1.0/24")
    as_json = report(*args)
    result = run(*args, "-o", "yaml")
    assert yaml.safe_load(result.stdout) == as_json


def test_cni_flags_override_the_plan() -> None:
    args = ("--plan", str(PLAN), "--subnet", "us-east-1a=10.0.0.0/24", "--subnet", "us-east-1b=10.0.1.0/24")
    data = report(*args, "--cni-mode", "prefix-delegation", "--warm-prefix-target", "2")
    assert data["cni"]["mode"] == "prefix-delegation" and data["cni"]["warm_prefix_target"] == 2
    steady = data["scenarios"][0]
    # 5 pool pods with 2 warm prefixes would want 3, but the plan's maxPods of 29 stops ipamd at
    # 2 prefixes (32 addresses >= 29).
    prefixes = {row["subnet"]["zone"]: row["held"]["prefixes"] for row in steady["subnets"]}
    assert prefixes == {"us-east-1a": 2, "us-east-1b": 2}


def test_config_file_subnets_and_cni(tmp_path: Path) -> None:
    config = tmp_path / "eks-plan.yaml"
    config.write_text(
        "region: us-east-1\n"
        "zones: [us-east-1a, us-east-1b]\n"
        "cni:\n  mode: secondary-ip\n  minimumIpTarget: 12\n  warmIpTarget: 2\n"
        "subnets:\n"
        "  - {zone: us-east-1a, cidr: 10.0.0.0/24}\n"
        "  - {zone: us-east-1b, cidr: 10.0.1.0/24}\n"
        "  - {zone: us-east-1a, cidr: 10.0.9.0/28, role: cluster}\n"
    )
    data = report("--config", str(config), "--nodes", "m5.large=4", "--pods-per-node", "10")
    assert data["cni"]["minimum_ip_target"] == 12 and data["cni"]["warm_ip_target"] == 2
    steady = data["scenarios"][0]
    held = {row["subnet"]["cidr"]: row["held"]["total"] for row in steady["subnets"]}
    # max(10 + 2, 12) = 12 secondary addresses on 2 ENIs: 14 a node, 2 nodes a zone.
    assert held == {"10.0.0.0/24": 28, "10.0.1.0/24": 28, "10.0.9.0/28": 6}


def test_live_subnets_from_moto() -> None:
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1b")
        # One address in use in every other /28 block of the first subnet: prefixes fragment.
        for block in range(2, 15, 2):
            ec2.create_network_interface(SubnetId=a["SubnetId"], PrivateIpAddress=f"10.0.0.{16 * block + 5}")
        result = run(
            "--vpc-id", vpc, "--nodes", "us-east-1a:m5.large=1", "--nodes", "us-east-1b:m5.large=1",
            "--pods-per-node", "27", "--cni-mode", "prefix-delegation", "--max-pods", "110", "-o", "json",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    subnets = {row["cidr"]: row for row in data["subnets"]}
    assert subnets["10.0.0.0/24"]["in_use"] == 7 and subnets["10.0.0.0/24"]["subnet_id"] == a["SubnetId"]
    steady = data["scenarios"][0]["subnets"]
    usage = next(row for row in steady if row["subnet"]["cidr"] == "10.0.0.0/24")
    # 27 pods + 1 warm prefix: 3 prefixes; 7 aligned blocks are free, 4 remain.
    assert (usage["held"]["prefixes"], usage["free_prefix_blocks"]) == (3, 4)


def run_main(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    from eks_plan.cli.app import main

    monkeypatch.setattr(sys, "argv", ["eks-plan", "check-ips", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == ExitCode.INPUT_ERROR
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return " ".join(err.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--subnet", "us-east-1a=10.0.0.300/24"],
            "--subnet us-east-1a=10.0.0.300/24: '10.0.0.300/24' is not",
        ),
        (["--subnet", "us-east-1a=10.0.0.1/24"], "did you mean 10.0.0.0/24?"),
        (["--subnet", "us-east-1a=10.0.0.0/20", "--subnet", "us-east-1a=10.0.4.0/24"], "overlaps subnet"),
        (["--subnet", "eu-west-1a=10.0.0.0/24"], "zone eu-west-1a is not in region us-east-1"),
        (
            ["--subnet", "us-east-1b=10.0.0.0/24"],
            "zone us-east-1a has 2 node(s) but no subnet with role nodes",
        ),
        (
            ["--subnet", "us-east-1a=10.0.0.0/29", "--cni-mode", "prefix-delegation"],
            "a /29 is not a valid subnet",
        ),
        (
            ["--subnet", "us-east-1a=10.0.0.0/27", "--cni-mode", "prefix-delegation"],
            "cannot hold a single aligned /28",
        ),
        (["--subnet", "us-east-1a=10.0.0.0/24:pod"], "roles are nodes, pods and cluster"),
        (["--subnet", "us-east-1a=10.0.0.0/24", "--cni-mode", "fast"], "--cni-mode fast: not a VPC CNI mode"),
        (["--subnet", "us-east-1a=10.0.0.0/24", "--pods-per-node", "40"], "more than maxPods 29 of m5.large"),
    ],
)
def test_bad_input_exits_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parent)  # no eks-plan.yaml here
    assert message in run_main(["--nodes", "us-east-1a:m5.large=2", *args], capsys, monkeypatch)


def test_input_errors_without_nodes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).parent)
    assert "no nodes to check" in run_main(["--subnet", "us-east-1a=10.0.0.0/24"], capsys, monkeypatch)
    assert "manifests/: no such file or directory" in run_main(["manifests/"], capsys, monkeypatch)
    assert "no subnets to check" in run_main(["--nodes", "us-east-1a:m5.large=1"], capsys, monkeypatch)


@SHOP_GROUP
def test_manifests_are_sized_in_place_then_checked(reuse_shop_plan: SizeRun) -> None:
    """`check-ips MANIFESTS` sizes them as `size` does and checks the plan `size --plan-out` writes.

    ``size_cluster`` returns the session's shop plan (solved once, by `size`); the report is the one
    `check-ips --plan` gives for that plan's file, but for where the plan came from.
    """
    args = ("-c", str(SHOP / "eks-plan.yaml"), "--time-limit", SHOP_TIME_LIMIT)
    in_place = report(str(SHOP / "manifests"), *args)
    assert in_place["source"] == "the manifests, sized in place"
    steady = next(s for s in in_place["scenarios"] if s["scenario"] == "steady")
    assert steady["nodes"] == reuse_shop_plan.data()["node_count"] >= 5
    zones = {usage["subnet"]["zone"] for usage in steady["subnets"]}
    assert zones == {"us-east-1a", "us-east-1b", "us-east-1c"}
    from_file = report("--plan", str(reuse_shop_plan.plan_file), *args)
    assert from_file["source"] != in_place["source"]
    assert {**from_file, "source": None} == {**in_place, "source": None}


def test_warm_prefix_target_zero_without_ip_targets_is_rejected(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--nodes", "us-east-1a:m5.large=1", "--subnet", "us-east-1a=10.0.0.0/24",
            "--cni-mode", "prefix-delegation", "--warm-prefix-target", "0"]  # fmt: skip
    assert "--warm-prefix-target 0 needs" in run_main(args, capsys, monkeypatch)
