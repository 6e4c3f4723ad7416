"""``eks-plan explore``: a what-if session (a Textual screen in a terminal, line mode or batch otherwise)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from eks_plan.cli.options import (
    include_option,
    max_file_size_option,
    parse_file_size,
    quiet_option,
    seed_option,
)
from eks_plan.cli.output import ExitCode, OutputFormat, check_writable, print_data, stderr

if TYPE_CHECKING:
    from eks_plan.explore.session import PlanRecord, Session


def command(
    paths: list[str] = typer.Argument(..., help="Manifest files or directories."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Plan configuration (eks-plan.yaml); default ./eks-plan.yaml if present."
    ),
    include: list[str] = include_option(),
    set_: list[str] = typer.Option(
        [],
        "--set",
        metavar="KNOB=VALUE",
        help="Batch what-if: solve, apply these knobs, solve again and print the comparison (repeatable).",
    ),
    script: Path | None = typer.Option(
        None, "--script", help="Run the line-mode commands in this file (set, solve, diff, undo, save, quit)."
    ),
    lines: bool = typer.Option(
        False, "--lines", help="Line mode even in a terminal (commands on standard input)."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--output", "-o", help="Format of the --set comparison."
    ),
    plan_out: Path | None = typer.Option(
        None, "--plan-out", help="With --set: write the new plan's JSON here."
    ),
    config_out: Path | None = typer.Option(
        None, "--config-out", help="With --set: write the eks-plan.yaml that reproduces the new plan here."
    ),
    export_out: Path | None = typer.Option(
        None,
        "--export",
        help="With --set: export the new plan (*.tf Terraform, *karpenter*.yaml Karpenter, *.yaml eksctl).",
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", min=1, help="Seconds each solve may search."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Solver threads (default: one less than the cores)."
    ),
    seed: int = seed_option(),
    max_file_size: str = max_file_size_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Explore what-ifs: change a knob (families, arch, spot, zones, headroom, CNI mode, subnets, ...),
    re-solve, and compare the plan with the previous and the first one.

    In a terminal it opens a full-screen session (F5 solves, Esc cancels, ctrl+z undoes, ctrl+s saves,
    F1 or ? helps, q twice quits). When standard input is not a terminal, or with --script or --lines,
    it reads commands a line at a time (help lists them); with --set it runs one what-if and prints
    the comparison. Exit code 1 when the last plan leaves pods unschedulable, 2 for bad input or a
    command that fails (naming its line).

    Examples:

    \b
    eks-plan explore -c samples/shop/eks-plan.yaml samples/shop/manifests/
    eks-plan explore manifests/ --set spot-discount=0.65 --set general.capacity=spot -o json
    printf 'set headroom 20\\nsolve\\nsave plan.json\\n' | eks-plan explore manifests/
    """
    from eks_plan.explore.session import Session

    for path, flag in ((plan_out, "--plan-out"), (config_out, "--config-out"), (export_out, "--export")):
        if path is not None:
            check_writable(path, flag)
    if (plan_out or config_out or export_out) and not set_:
        from eks_plan.errors import InputError

        raise InputError(
            "--plan-out, --config-out and --export go with --set", hint="in a session: save PATH, export PATH"
        )
    session = Session.open(
        paths,
        config_path=config,
        include=include,
        time_limit_seconds=time_limit,
        workers=workers,
        seed=seed,
        max_file_bytes=parse_file_size(max_file_size),
    )
    if set_:
        _batch(session, set_, output, (plan_out, config_out, export_out), quiet)
    elif script is not None or lines or not (sys.stdin.isatty() and sys.stdout.isatty()):
        _line_mode(session, script, quiet)
    else:
        from eks_plan.explore.tui import run_tui

        run_tui(session)
        return
    record = session.current_record
    if record is not None and record.summary.pods_unschedulable:
        raise typer.Exit(ExitCode.FINDINGS)


def _solver(quiet: bool):  # type: ignore[no-untyped-def]
    """Solve a session's pending edits with progress on stderr and Ctrl-C cancelling the solve."""
    from eks_plan.cli.interrupt import run_cancellable
    from eks_plan.cli.size import RichProgress

    def solve(session: Session) -> PlanRecord:
        request = session.prepare()
        if not quiet:
            stderr().print(f"solving plan #{len(session.history) + 1}", markup=False, highlight=False)
        with RichProgress(quiet) as progress:
            record = run_cancellable(lambda cancel: session.run(request, progress, cancel))
        return session.commit(record)

    return solve


def _batch(
    session: Session,
    assignments: list[str],
    output: OutputFormat,
    outputs: tuple[Path | None, Path | None, Path | None],
    quiet: bool,
) -> None:
    from eks_plan.errors import InputError
    from eks_plan.explore import text

    pairs = []
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals:
            raise InputError(f"--set {assignment}: not KNOB=VALUE", hint="e.g. --set headroom=20")
        pairs.append((name, value))
    try:  # refused before any solve: the edits are checked together on the starting configuration
        session.validate(_edited(session.data, pairs))
    except InputError as error:
        shown = " ".join(f"--set {assignment}" for assignment in assignments)
        raise InputError(f"{shown}: {error.message}", hint=error.hint) from None
    solve = _solver(quiet)
    solve(session)
    session.set_many(pairs)
    solve(session)
    plan_out, config_out, export_out = outputs
    if export_out is not None:
        session.export(export_out)  # first: the export refuses some plans (no nodes, bad labels)
    if plan_out is not None:
        session.save_plan(plan_out)
    if config_out is not None:
        session.save_config(config_out)
    if output is OutputFormat.TABLE:
        record = session.current_record
        assert record is not None
        sys.stdout.write("\n".join([*text.plan_lines(record), "", *text.comparison_lines(session)]) + "\n")
    else:
        print_data(session.comparison(), output)


def _edited(data: dict, pairs: list[tuple[str, str]]) -> dict:  # type: ignore[type-arg]
    from eks_plan.explore.knobs import apply_knob

    for name, value in pairs:
        data = apply_knob(data, name, value)
    return data


def _line_mode(session: Session, script: Path | None, quiet: bool) -> None:
    from eks_plan.errors import InputError, SourceLocation
    from eks_plan.explore.lines import LineMode

    commands: Iterable[str]
    if script is not None:
        try:
            commands = script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the script: {error}", SourceLocation(str(script))) from None
        source = str(script)
    else:
        commands = sys.stdin
        source = "<stdin>"
    mode = LineMode(session, sys.stdout, _solver(quiet))
    mode.solve()
    mode.run(_echoed(commands), source)
    if session.pending:
        stderr().print(
            f"note: {len(session.pending)} pending edit(s) were not solved (end with solve)",
            markup=False,
            highlight=False,
        )


def _echoed(stream: Iterable[str]) -> Iterator[str]:
    """Lines of ``stream``, each echoed to stdout after a prompt, so a transcript reads as a session."""
    for line in stream:
        if line.strip() and not line.lstrip().startswith("#"):
            sys.stdout.write(f"explore> {line.rstrip()}\n")
        yield line
