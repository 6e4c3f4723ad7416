"""`eks-plan catalog`: filters on real types, one type in full, --info, JSON shape, bad flags."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eks_plan.catalog import load_catalog
from eks_plan.cli.app import app
from eks_plan.cli.output import ExitCode

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["catalog", *args])


def rows(*args: str) -> list[dict]:
    result = run(*args, "-o", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_family_glob_arch_and_vcpus() -> None:
    found = rows("--family", "m7*", "--arch", "arm64", "--vcpus", "4")
    assert [row["name"] for row in found] == ["m7g.xlarge", "m7gd.xlarge"]  # sorted by price
    first = found[0]
    assert first == {
        "name": "m7g.xlarge",
        "vcpus": 4,
        "memory_mib": 16384,
        "arch": "arm64",
        "gpu_count": 0,
        "gpu_name": None,
        "allocatable_cpu_millicores": 3920,
        "allocatable_memory_mib": 14103,
        "max_pods": 58,
        "price_per_hour": 0.1632,
        "currency": "USD",
        "price_per_allocatable_vcpu": round(0.1632 / 3.92, 6),
        "price_per_allocatable_gib": round(0.1632 / (14103 / 1024), 6),
    }


def test_memory_range_generation_sort_and_limit() -> None:
    found = rows(
        "--memory-min",
        "16",
        "--memory-max",
        "32",
        "--generation",
        "current",
        "--vcpus-min",
        "4",
        "--vcpus-max",
        "8",
        "--sort",
        "price-per-vcpu",
        "--limit",
        "5",
    )
    assert len(found) == 5
    assert all(16 * 1024 <= row["memory_mib"] <= 32 * 1024 and 4 <= row["vcpus"] <= 8 for row in found)
    per_vcpu = [row["price_per_allocatable_vcpu"] for row in found]
    assert per_vcpu == sorted(per_vcpu)
    # m5 is a previous generation in AWS's data, so it is filtered out.
    assert not any(row["name"].startswith("m5.") for row in found)
    assert any(row["name"].startswith("m5.") for row in rows("--family", "m5", "--generation", "previous"))


def test_gpus_region_and_zone() -> None:
    found = rows("--gpus", "1", "--gpu-name", "l4", "--region", "us-west-2", "--zone", "us-west-2b")
    assert found and all(row["name"].startswith(("g6.", "gr6.")) and row["gpu_count"] == 1 for row in found)
    # m5.large is not offered in us-east-1e.
    assert run("--family", "m5", "--vcpus", "2", "--zone", "us-east-1e").exit_code != 0
    assert rows("--family", "m5", "--vcpus", "2", "--zone", "us-east-1f")[0]["name"] == "m5.large"
    assert "m5.large" in [
        row["name"] for row in rows("--family", "m5*", "--vcpus", "2", "--zone", "us-east-1a")
    ]


def test_max_price_and_descending_sort() -> None:
    found = rows("--family", "c7i", "--max-price", "0.5", "--sort", "vcpus", "--desc")
    assert all(row["price_per_hour"] <= 0.5 for row in found)
    assert [row["vcpus"] for row in found] == sorted((row["vcpus"] for row in found), reverse=True)


def test_cni_mode_and_node_style_columns() -> None:
    [m5] = rows(
        "--family",
        "m5",
        "--vcpus",
        "2",
        "--cni-mode",
        "prefix-delegation",
        "--node-style",
        "managed-node-group",
    )
    assert (m5["name"], m5["max_pods"], m5["allocatable_memory_mib"]) == ("m5.large", 110, 6903)
    [m5_24] = rows("--family", "m5.24xlarge", "--node-style", "auto-mode")
    assert m5_24["max_pods"] == 110


def test_table_output() -> None:
    result = run("--family", "m7i", "--vcpus", "2")
    assert result.exit_code == 0
    assert "m7i.large" in result.stdout and "1930m" in result.stdout and "$0.1008" in result.stdout


def test_one_type_in_full() -> None:
    result = run("m5.large")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for expected in (
        "prefix-delegation",
        "434",
        "custom-networking",
        "290",
        "memory: 7577Mi - 574Mi kube-reserved (11 x 29 pods + 255) - 100Mi eviction = 6903Mi",
        "cpu: 2000m - 70m kube-reserved = 1930m",
        "9 branch ENIs",
    ):
        assert expected in text
    detail = json.loads(run("p4d.24xlarge", "-o", "json").stdout)
    assert detail["max_pods_by_mode"]["secondary-ip"]["managed-node-group"] == 250
    assert detail["allocatable"]["nvidia.com/gpu"] == 8
    assert detail["network"]["max_enis_all_cards"] == 60


def test_info() -> None:
    result = run("--info")
    assert result.exit_code == 0
    assert "7f27b4e85d3157418ab84eb04a3c91da7cb8fbba" in result.stdout and "moto" in result.stdout
    info = json.loads(run("--info", "-o", "json").stdout)
    assert info["instance_types"] == len(load_catalog())


def test_fallback_price_warning_goes_to_stderr() -> None:
    result = run("--family", "m5", "--vcpus", "2", "--region", "eu-west-1", "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["price_per_hour"] == 0.096
    assert "no bundled prices for eu-west-1" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["m7i.lage"], "unknown instance type 'm7i.lage' (did you mean 'm7i.large'?)"),
        (["--region", "eu-wst-1"], "unknown region 'eu-wst-1' (did you mean 'eu-west-1'?)"),
        (["--zone", "us-west-2a"], "zone 'us-west-2a' is not in region us-east-1"),
        (
            ["--region", "us-gov-west-1", "--zone", "us-east-1a"],
            "zone 'us-east-1a' is not in region us-gov-west-1",
        ),
        (["--vcpus", "3", "--family", "m7i"], "no instance type matches these filters"),
        (["--max-price", "0.0001"], "no instance type matches these filters"),
        (["--cni-mode", "calico"], "--cni-mode 'calico' is not one of secondary-ip"),
        (["--node-style", "eksctl"], "--node-style 'eksctl' is not one of"),
        (["--arch", "sparc"], "unknown architecture 'sparc'"),
        (["--generation", "next"], "generation 'next' is not current or previous"),
        (["--sort", "colour"], "--sort 'colour' is not a column"),
        (["--vcpus-min", "8", "--vcpus-max", "4"], "the vCPU minimum 8 is above the maximum 4"),
        (["--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_bad_flags_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from eks_plan.cli.app import main

    with pytest.raises(SystemExit) as exit_info:
        import sys

        sys.argv = ["eks-plan", "catalog", *args]
        main()
    assert exit_info.value.code == ExitCode.INPUT_ERROR
    captured = capsys.readouterr()
    assert message in " ".join(captured.err.split())
    assert "Traceback" not in captured.err


def test_arch_aliases_and_name_globs_list_what_a_pool_of_the_same_filter_may_use() -> None:
    from eks_plan.catalog import load_catalog
    from eks_plan.catalog.filters import InstanceFilter
    from eks_plan.config import build_config

    listed = {row["name"] for row in rows("--family", "c7g.*large", "--arch", "aarch64")}
    pool = {"name": "arm", "instances": {"families": ["c7g.*large"], "arch": ["aarch64"]}}
    instances: InstanceFilter = build_config({"nodePools": [pool]}, source=None).node_pools[0].instances
    allowed = {t.name for t in load_catalog() if t.offered_in("us-east-1") and instances.accepts_type(t)}
    assert listed == allowed and "c7g.2xlarge" in listed and "c7g.medium" not in listed
    assert rows("--family", "m5", "--vcpus", "2", "--arch", "x86_64") == rows(
        "--family", "m5", "--vcpus", "2", "--arch", "amd64"
    )


def test_zone_names_in_a_region_without_zone_data() -> None:
    assert rows("--family", "m5", "--vcpus", "2", "--region", "us-gov-east-1", "--zone", "us-gov-east-1b")
    nameless = run("--family", "m5", "--region", "us-gov-east-1", "--zone", "us-gov-east-1").exception
    assert (
        str(nameless)
        == "zone 'us-gov-east-1' is not in region us-gov-east-1 (zones look like us-gov-east-1a)"
    )
