"""The CLI never lies (issue 10, "Honest output"): every answer is whole and true, every bad input is
exit 2 with one message and no traceback, and the same option means the same thing in every command.

Most tests run ``eks_plan.cli.app.main`` in-process (the entry point, so exit codes and messages are
the real ones); only the closed-pipe tests need a subprocess, since they test a stream.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from eks_plan.cli.app import EXIT_BROKEN_PIPE, main, split_debug
from eks_plan.cli.output import ExitCode
from eks_plan.errors import InputError

SHOP = REPO_ROOT / "samples" / "shop"
PLAN_FIXTURE = Path(__file__).parents[1] / "network" / "fixtures" / "plan-small.json"
ONE_POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: 500m, memory: 512Mi}}
"""
ONE_ZONE_SUBNET = ["--subnet", "us-east-1a=10.0.0.0/24"]


class Run:
    """What one in-process run of ``eks-plan`` printed and how it ended."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err
        self.message = " ".join(err.split())  # Rich wraps messages: compare with spaces collapsed


def eks_plan(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the console-script entry point with ``args``, as a shell would."""
    monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main()
    captured = capsys.readouterr()
    code = ended.value.code
    return Run(code if isinstance(code, int) else 1, captured.out, captured.err)


def input_error(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Run ``args``, check it is exit 2 with one message and no traceback, and return the message."""
    run = eks_plan(args, capsys, monkeypatch)
    assert run.code == ExitCode.INPUT_ERROR, (run.code, run.err)
    assert "Traceback" not in run.err
    assert run.err.count("error:") == 1, run.err
    return run.message


@pytest.fixture
def one_pod(tmp_path: Path) -> Path:
    path = tmp_path / "web.yaml"
    path.write_text(ONE_POD)
    return path


@pytest.fixture(scope="module")
def one_pod_plan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The plan file `size --plan-out` writes for one pod (a small, fast solve), read once."""
    from typer.testing import CliRunner

    from eks_plan.cli.app import app

    folder = tmp_path_factory.mktemp("one-pod")
    (folder / "web.yaml").write_text(ONE_POD)
    plan_file = folder / "plan.json"
    result = CliRunner().invoke(
        app,
        [
            "size",
            str(folder / "web.yaml"),
            "--time-limit",
            "2",
            "-q",
            "-o",
            "json",
            "--plan-out",
            str(plan_file),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(plan_file.read_text())
    assert document == json.loads(result.stdout)
    return document


# --- check-ips: recommendations, markup, the plan file ----------------------------------------------


def test_a_zone_needing_more_than_a_slash_16_is_a_structured_recommendation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 full m5.24xlarge nodes hold 60,000 addresses in one zone: more than a /16 with 10% free.
    The recommendation says so with null values, never a sentence where a CIDR belongs."""
    run = eks_plan(
        ["check-ips", "--nodes", "us-east-1a:m5.24xlarge=200", *ONE_ZONE_SUBNET, "-o", "json"],
        capsys,
        monkeypatch,
    )
    assert run.code == ExitCode.FINDINGS, run.err
    recommendations = {item["kind"]: item for item in json.loads(run.out)["recommendations"]}
    assert recommendations["subnet-size"]["smallest_prefix_length"] is None
    custom = recommendations["custom-networking"]
    assert custom["secondary_cidr"] is None and custom["secondary_cidr_fits_vpc"] is False
    assert custom["pod_subnets"]["us-east-1a"]["cidr"] is None
    assert custom["pod_subnets"]["us-east-1a"]["prefix_length"] is None
    assert custom["pod_subnets"]["us-east-1a"]["peak_addresses"] == 60_000
    assert "more than a /16" in custom["summary"]


def test_at_risk_rows_render_their_markup_in_the_help_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command from `check-ips --help`: its reasons print as text, without Rich's tags."""
    example = ["check-ips", "--nodes", "us-east-1a:m6i.large=12", "--pods-per-node", "20", *ONE_ZONE_SUBNET]
    run = eks_plan(example, capsys, monkeypatch)
    assert run.code == ExitCode.FINDINGS
    assert "InsufficientFreeAddressesInSubnet" in run.out
    assert "[/]" not in run.out and "[bold" not in run.out and "[yellow" not in run.out


def test_a_plan_without_nodes_or_workloads_is_exit_2_naming_the_key_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = json.loads(PLAN_FIXTURE.read_text())
    for key in ("nodes", "workloads"):
        broken = tmp_path / f"no-{key}.json"
        broken.write_text(json.dumps({name: value for name, value in plan.items() if name != key}))
        message = input_error(["check-ips", "--plan", str(broken), *ONE_ZONE_SUBNET], capsys, monkeypatch)
        assert f"{broken}: invalid plan: {key}: missing" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda plan: plan["nodes"][0].update(vpc_ip_pods=-1), "nodes[0].vpc_ip_pods: -1 is less than"),
        (lambda plan: plan["nodes"][1].pop("allocatable"), "nodes[1].allocatable: missing"),
        (lambda plan: plan["nodes"][0].update(zone=None), "nodes[0].zone: must be a string, not null"),
        (lambda plan: plan.update(nodez=[]), "the plan: unknown key nodez"),
        (
            lambda plan: plan["workloads"]["Deployment/shop/web"].update(replicas="8"),
            "replicas: must be an integer",
        ),
        (lambda plan: plan.update(version=2), "version: version 2 is not one this eks-plan reads"),
    ],
)
def test_a_bad_plan_file_names_the_key_path(
    change, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    plan = json.loads(PLAN_FIXTURE.read_text())
    change(plan)
    broken = tmp_path / "plan.json"
    broken.write_text(json.dumps(plan))
    message = input_error(["check-ips", "--plan", str(broken), *ONE_ZONE_SUBNET], capsys, monkeypatch)
    assert named in message and str(broken) in message


def test_a_plan_file_without_a_version_is_read_as_version_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "version" not in json.loads(PLAN_FIXTURE.read_text())
    args = ["check-ips", "--plan", str(PLAN_FIXTURE), "--subnet", "us-east-1a=10.0.0.0/24",
            "--subnet", "us-east-1b=10.0.1.0/24", "-o", "json"]  # fmt: skip
    run = eks_plan(args, capsys, monkeypatch)
    assert run.code == ExitCode.OK, run.err
    assert json.loads(run.out)["verdict"] == "ok"


def test_what_size_plan_out_writes_validates_against_the_shipped_schema(one_pod_plan: dict) -> None:
    from jsonschema import Draft202012Validator

    from eks_plan.plan import PLAN_VERSION, plan_problems, plan_schema

    schema = plan_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert one_pod_plan["version"] == PLAN_VERSION
    assert plan_problems(one_pod_plan) == []
    # Every key size writes is described, so the schema is the file's whole documentation.
    assert set(one_pod_plan) <= set(schema["properties"])
    assert set(one_pod_plan["nodes"][0]) <= set(schema["properties"]["nodes"]["items"]["properties"])


def test_the_schema_ships_inside_the_package() -> None:
    from importlib import resources

    assert resources.files("eks_plan.plan").joinpath("plan.schema.json").is_file()


# --- size: counts, status, the plan file --------------------------------------------------------


def one_node_solver(bound_below_cost: float):  # type: ignore[no-untyped-def]
    """A stand-in for the solver: the one pod on one m6i.large in the first zone, with the lower
    bound ``bound_below_cost`` $/hour under the plan's cost (so the status does not depend on how far
    a real search gets on a busy machine)."""
    from eks_plan.solver.plan import Plan, PlannedNode

    def solve(problem, options, observer):  # type: ignore[no-untyped-def]
        option = next(o for o in problem.node_options if o.instance_type == "m6i.large")
        node = PlannedNode("default-m6i.large-1", option, {problem.pod_groups[0].key: 1})
        cost = option.price_per_hour
        return Plan((node,), (), cost, cost - bound_below_cost, "feasible", 0.0)

    return solve


@pytest.mark.parametrize(
    ("bound_below_cost", "status", "words"),
    [
        (0.0, "optimal", "optimal: equal to the proven lower bound"),
        (0.004, "optimal", "optimal: equal to the proven lower bound"),
        (0.01, "feasible", "of the proven lower bound"),
    ],
)
def test_one_node_in_one_zone_and_optimal_at_the_bound(
    bound_below_cost: float,
    status: str,
    words: str,
    one_pod: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default plan allows three zones; one pod on one node uses one of them. A plan within half
    a cent an hour of the proven bound equals it at the cent rounding of every cost: optimal."""
    monkeypatch.setattr("eks_plan.solver.solve", one_node_solver(bound_below_cost))
    run = eks_plan(["size", str(one_pod), "-q"], capsys, monkeypatch)
    assert run.code == ExitCode.OK, run.err
    summary = " ".join(run.out.split())
    assert summary.startswith("1 node in 1 zone for 1 pod: ")
    assert words in summary and "Total per hour: 1 node $" in summary
    run = eks_plan(["size", str(one_pod), "-q", "-o", "json"], capsys, monkeypatch)
    assert json.loads(run.out)["status"] == status


def test_cni_keys_in_the_json_are_snake_case(one_pod_plan: dict) -> None:
    """cni keys are snake_case like the rest of the JSON (and like check-ips)."""
    assert one_pod_plan["cni"] == {
        "mode": "secondary-ip",
        "warm_eni_target": 1,
        "warm_prefix_target": 1,
        "security_groups_for_pods": False,
    }


def test_plan_out_into_a_missing_directory_fails_before_solving(
    one_pod: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("size solved before checking --plan-out")

    monkeypatch.setattr("eks_plan.planning.size_cluster", must_not_solve)
    target = tmp_path / "missing" / "plan.json"
    message = input_error(["size", str(one_pod), "--plan-out", str(target)], capsys, monkeypatch)
    assert f"{target}: cannot write the file (--plan-out): the directory" in message
    assert not target.parent.exists()


# --- regions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["catalog", "--region", "us-esat-1"],
        ["size", "{one_pod}", "--region", "us-esat-1"],
        ["check-ips", "--nodes", "m5.large=3", "--region", "us-esat-1", "--subnet", "us-esat-1a=10.0.0.0/24"],
        ["check-ips", "--plan", str(PLAN_FIXTURE), "--region", "us-esat-1"],
    ],
)
def test_an_unknown_region_is_exit_2_with_a_did_you_mean(
    args: list[str],
    one_pod: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = [arg.format(one_pod=one_pod) for arg in args]
    message = input_error(args, capsys, monkeypatch)
    assert "unknown region 'us-esat-1' (did you mean 'us-east-1'?)" in message


@pytest.mark.parametrize(
    "command", [["schema", "--validate", "{config}"], ["size", "{one_pod}", "-c", "{config}"]]
)
def test_an_unknown_region_in_the_config_file_names_its_line(
    command: list[str],
    one_pod: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "eks-plan.yaml"
    config.write_text("# the plan\nregion: us-esat-1\n")
    args = [arg.format(config=config, one_pod=one_pod) for arg in command]
    message = input_error(args, capsys, monkeypatch)
    assert f"{config}:2:1: region: unknown region 'us-esat-1' (did you mean 'us-east-1'?)" in message


# --- closed pipes, --debug, internal errors ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["catalog", "--family", "m7i"],
        ["catalog", "--family", "m7i", "-o", "json"],
        ["workloads", str(SHOP / "manifests")],
        ["check-ips", "--nodes", "us-east-1a:m5.large=10", *ONE_ZONE_SUBNET],
    ],
)
def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(args: list[str]) -> None:
    """`eks-plan ... | head`: the reader is gone before the report is written. The shell's convention
    for a process ended by SIGPIPE is 128 + 13; no traceback, no message, not the findings code."""
    process = subprocess.Popen(
        [sys.executable, "-m", "eks_plan.cli.app", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader closes the pipe at once
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait() == EXIT_BROKEN_PIPE == 141
    assert err == ""


def test_debug_may_stand_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --debug an input error is raised with its traceback instead of the one-line message."""
    for args in (
        ["--debug", "catalog", "--region", "us-esat-1"],
        ["catalog", "--region", "us-esat-1", "--debug"],
    ):
        monkeypatch.setattr(sys, "argv", ["eks-plan", *args])
        with pytest.raises(InputError, match="unknown region"):
            main()
    assert split_debug(["workloads", "--", "--debug"]) == (["workloads", "--", "--debug"], False)


def test_an_internal_error_is_exit_3_and_says_how_to_use_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("the catalogue facts are inconsistent")

    monkeypatch.setattr("eks_plan.report.catalog.info_data", broken)
    run = eks_plan(["catalog", "--info"], capsys, monkeypatch)
    assert run.code == ExitCode.INTERNAL_ERROR
    assert "Traceback" not in run.err
    assert "internal error: RuntimeError: the catalogue facts are inconsistent" in run.message
    assert "eks-plan --debug catalog" in run.message


# --- the same option means the same thing everywhere ----------------------------------------------


def test_check_ips_sizing_manifests_takes_the_options_of_size(
    one_pod: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["check-ips", str(one_pod), "--replicas", "declared", "--time-limit", "2", "--workers", "1",
            "--seed", "7", "-q", "--max-file-size", "1Mi", *ONE_ZONE_SUBNET,
            "--subnet", "us-east-1b=10.0.1.0/24", "--subnet", "us-east-1c=10.0.2.0/24",
            "-o", "json"]  # fmt: skip
    run = eks_plan(args, capsys, monkeypatch)
    assert run.code == ExitCode.OK, run.err
    assert run.err == ""  # -q: no progress
    assert json.loads(run.out)["scenarios"][0]["nodes"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["size", "{one_pod}", "--time-limit", "-1"], "--time-limit"),
        (["check-ips", "{one_pod}", "--time-limit", "-1"], "--time-limit"),
        (["size", "{one_pod}", "--max-file-size", "-1Mi"], "--max-file-size '-1Mi' is negative"),
        (["workloads", "{one_pod}", "--max-file-size", "-1Mi"], "--max-file-size '-1Mi' is negative"),
        (["check-ips", "{one_pod}", "--max-file-size", "-1Mi"], "--max-file-size '-1Mi' is negative"),
        (["check-ips", "--nodes", "m5.large=1", "--replicas", "max"], "--replicas applies to manifests"),
    ],
)
def test_negative_limits_are_rejected_everywhere(
    args: list[str],
    message: str,
    one_pod: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = eks_plan([arg.format(one_pod=one_pod) for arg in args], capsys, monkeypatch)
    assert run.code == ExitCode.INPUT_ERROR, run.err
    assert message in run.message and "Traceback" not in run.err


def test_cni_flags_follow_the_rules_of_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """VPC CNI README feature matrix, IPv6 row: WARM_IP_TARGET and MINIMUM_IP_TARGET are not
    supported; the config file and the flags reject them with one rule
    (eks_plan.config.checks.cni_rule_problems)."""
    config = tmp_path / "eks-plan.yaml"
    config.write_text("cni: {mode: ipv6, warmIpTarget: 3}\n")
    from_file = input_error(["schema", "--validate", str(config)], capsys, monkeypatch)
    from_flags = input_error(
        ["check-ips", "--nodes", "us-east-1a:m5.large=1", *ONE_ZONE_SUBNET, "--cni-mode", "ipv6",
         "--warm-ip-target", "3"],
        capsys,
        monkeypatch,
    )  # fmt: skip
    assert "warmIpTarget is not supported in IPv6 clusters" in from_file
    assert "--warm-ip-target is not supported in IPv6 clusters" in from_flags


def test_check_ips_reports_cni_in_the_same_spelling_as_size(
    one_pod_plan: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(one_pod_plan))
    zone = one_pod_plan["nodes"][0]["zone"]
    run = eks_plan(
        ["check-ips", "--plan", str(plan_file), "--subnet", f"{zone}=10.0.0.0/24", "-o", "json"],
        capsys,
        monkeypatch,
    )
    assert run.code == ExitCode.OK, run.err
    checked = json.loads(run.out)["cni"]
    assert set(checked) <= set(one_pod_plan["cni"]) | {"max_eni"}
    assert all(key == key.lower() for key in checked)
