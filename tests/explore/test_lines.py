"""`eks-plan explore` without a terminal: line mode on standard input or --script, and --set batch.

Driven through the console-script entry point with a piped standard input, as CI would run it.
"""

from __future__ import annotations

import json
from pathlib import Path

from eks_plan.cli.output import ExitCode


def args_for(folder: Path, *extra: str) -> list[str]:
    return [
        "explore",
        str(folder / "manifests"),
        "-c",
        str(folder / "eks-plan.yaml"),
        "--time-limit",
        "5",
        "--workers",
        "1",
        "-q",
        *extra,
    ]


def test_piped_commands_run_a_session(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    script = "\n".join(
        [
            "# a what-if: spot at 60% off, then more headroom",
            "set spot-discount 0.6",
            "set general.capacity=spot",
            "knobs",
            "solve",
            "set headroom 20",
            "solve",
            "diff",
            "undo",
            "history",
            f"save plan {tiny / 'plan.json'}",
            f"save {tiny / 'what-if.yaml'}",
            "quit",
            "solve",  # after quit: never runs
        ]
    )
    run = cli(args_for(tiny), script)
    assert run.code == ExitCode.OK, run.err
    out = run.out
    assert out.startswith("plan #1\n")
    assert "explore> set spot-discount 0.6\npending: spot-discount=0.6" in out
    assert "*general.capacity    spot" in out and "(plan: on-demand)" in out
    assert "plan #2 from #1: spot-discount=0.6, general.capacity=spot" in out
    assert "plan #3 from #2: headroom=20" in out
    assert "vs #2 (prev)" in out and "vs #1 (first)" in out
    assert "knobs vs #2 (previous): headroom 0 -> 20" in out
    assert "vs #1 (previous and first)" in out  # plan #2's previous is the first plan: one column
    assert "back to plan #2 from #1" in out
    assert "> plan #2 from #1" in out  # history marks the current plan
    assert "plan #4" not in out
    plan = json.loads((tiny / "plan.json").read_text())
    assert {group["capacity_type"] for group in plan["node_groups"]} == {"spot"}
    assert "capacityTypes:\n  - spot" in (tiny / "what-if.yaml").read_text()


def test_a_script_stops_at_its_first_error_naming_the_line(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    script = tiny / "what-if.txt"
    script.write_text("set headroom 20\n\nset headroom lots\nsolve\n")
    run = cli(args_for(tiny, "--script", str(script)))
    assert run.code == ExitCode.INPUT_ERROR
    assert "Traceback" not in run.err
    assert (
        f"error: {script}:3: set headroom lots: headroomPercent: 'lots' is a string, expected a number"
        in run.message
    )
    assert "plan #2" not in run.out


def test_unknown_commands_and_export_say_what_to_do(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(args_for(tiny), "slove\n")
    assert run.code == ExitCode.INPUT_ERROR
    assert "<stdin>:1: slove: unknown command 'slove' (did you mean 'solve'?)" in run.message
    run = cli(args_for(tiny), "export plan.md\n")
    assert run.code == ExitCode.INPUT_ERROR
    assert "export plan.md: cannot tell the export target from the file name plan.md" in run.message


def test_exports_are_those_of_eks_plan_export(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """`export` in a session writes what `eks-plan export --to TARGET` writes for the same plan."""
    from eks_plan.export import export_text

    script = "\n".join(
        [
            f"export karpenter {tiny / 'pools.yaml'}",
            f"export {tiny / 'main.tf'}",
            f"export {tiny / 'cluster.yaml'}",
            f"save {tiny / 'plan.json'}",
        ]
    )
    run = cli(args_for(tiny), script)
    assert run.code == ExitCode.OK, run.err
    assert f"exported the plan for terraform to {tiny / 'main.tf'}" in run.out
    plan = json.loads((tiny / "plan.json").read_text())
    for name, target in (("pools.yaml", "karpenter"), ("main.tf", "terraform"), ("cluster.yaml", "eksctl")):
        assert (tiny / name).read_text() == export_text(plan, target), name


def test_help_lists_commands_and_knobs(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(args_for(tiny), "help\n")
    assert run.code == ExitCode.OK
    for word in (
        "set KNOB VALUE",
        "solve",
        "diff",
        "undo",
        "save PATH",
        "export [TO] PATH",
        "quit",
        "[POOL.]families",
        "spot-discount",
        "zone-loss",
        "warm-prefix-target",
        "subnets",
    ):
        assert word in run.out, word


def test_set_batch_prints_the_comparison_as_json(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(
        args_for(
            tiny,
            "--set",
            "headroom=20",
            "--set",
            "subnets=us-east-1a=10.0.0.0/25 us-east-1b=10.0.1.0/24",
            "-o",
            "json",
            "--config-out",
            str(tiny / "new.yaml"),
        )
    )
    assert run.code == ExitCode.OK, run.err
    data = json.loads(run.out)
    assert data["current"]["plan"] == 2 and data["previous"]["plan"] == 1
    assert data["previous"]["knobs_changed"]["headroom"] == ["0", "20"]
    assert "us-east-1a 10.0.0.0/25" in data["current"]["ip_headroom"]
    # The /25 keeps fewer free addresses than the /24 it replaces.
    assert (
        data["current"]["ip_headroom"]["us-east-1a 10.0.0.0/25"]
        < data["first"]["ip_headroom"]["us-east-1a 10.0.0.0/24"]
    )
    assert (tiny / "new.yaml").exists()


def test_set_batch_refuses_a_bad_value_before_solving(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(args_for(tiny, "--set", "replicas=most"))
    assert run.code == ExitCode.INPUT_ERROR
    assert "--set replicas=most: replicas:" in run.message
    assert "plan #1" not in run.out
    run = cli(args_for(tiny, "--set", "headroom"))
    assert "--set headroom: not KNOB=VALUE" in run.message


def test_set_batch_checks_the_edits_together(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Spot capacity needs a spot price: given together, the order of the two --set does not matter."""
    run = cli(args_for(tiny, "--set", "capacity=spot", "--set", "spot-discount=0.6", "-o", "json"))
    assert run.code == ExitCode.OK, run.err
    assert json.loads(run.out)["previous"]["knobs_changed"]["general.capacity"] == ["on-demand", "spot"]


def test_unschedulable_pods_end_with_exit_1(tiny: Path, cli) -> None:  # type: ignore[no-untyped-def]
    run = cli(args_for(tiny, "--set", "max-nodes=1", "--set", "families=m6i", "--set", "headroom=50"))
    assert run.code == ExitCode.FINDINGS, run.err
    assert "unschedulable: Deployment/shop/web" in run.out
