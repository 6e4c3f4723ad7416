"""The ``eks-plan`` command: one Typer app, one module per sub-command.

Start-up must stay fast (``eks-plan --help`` is measured by ``benchmarks/bench_startup.py``): command
modules import the library lazily inside the command function, and OR-Tools only when solving.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Any

import typer
import typer.core
import typer.main

from eks_plan import __version__
from eks_plan.cli import catalog, check_ips, diff, explore, export, init, lint, rules, schema, size, workloads
from eks_plan.cli.output import ExitCode, stderr

app = typer.Typer(
    name="eks-plan",
    help=(
        "Plan Amazon EKS clusters from Kubernetes manifests: instance types, nodes per zone, cost, "
        "subnet IP addresses, and the pods that will not schedule.\n\n"
        "Examples:\n\n"
        "\b\n"
        "eks-plan workloads samples/shop/manifests/\n"
        "eks-plan size -c samples/shop/eks-plan.yaml samples/shop/manifests/\n"
        "eks-plan check-ips -c samples/shop/eks-plan.yaml samples/shop/manifests/\n"
        "eks-plan catalog --family 'm7*' --arch arm64\n"
        "eks-plan lint -c samples/shop/eks-plan.yaml samples/shop/manifests/"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: Typer's Rich help imports rich.markdown and markdown_it (~170 ms), which
    # would more than double start-up (benchmarks/bench_startup.py); tables stay Rich.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _State:
    debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eks-plan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    _State.debug = _State.debug or debug


# Sub-commands: each module defines one function named `command`; keep this list sorted by name.
app.command("catalog", short_help="Look up instance types: allocatable, max pods, price.")(catalog.command)
app.command("check-ips", short_help="Will the subnets hold the cluster's IPs at peak?")(check_ips.command)
app.command("diff", short_help="What a change to the manifests costs, by node group.")(diff.command)
app.command("explore", short_help="What-if session: change knobs, re-solve, compare plans.")(explore.command)
app.command("export", short_help="Write a plan as eksctl, Karpenter or Terraform config.")(export.command)
app.command("init", short_help="Write a commented eks-plan.yaml from a few questions.")(init.command)
app.command("lint", short_help="Lint manifests for CI: requests, placement, resilience, plan.")(lint.command)
app.command("rules", short_help="List the lint rules, or show one rule's documentation.")(rules.command)
app.command("schema", short_help="Print or validate the JSON Schema of eks-plan.yaml.")(schema.command)
app.command("size", short_help="Instance types, nodes per zone, pod placement and cost.")(size.command)
app.command("workloads", short_help="What the planner read: pods, requests, DaemonSets.")(workloads.command)


#: The shell's exit status for a process ended by SIGPIPE (128 + 13): a reader such as ``head`` closed
#: the pipe. Every command ends with it, quietly, when its standard output is closed early.
EXIT_BROKEN_PIPE = 141


class _PipeClosed(Exception):
    """Standard output was closed by its reader. Not an :class:`OSError`, so that click does not turn it
    into its own exit code 1 (the findings code) on the way out."""


class _Group(typer.core.TyperGroup):
    """The root command: turns a write to a closed standard output into :class:`_PipeClosed`."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _PipeClosed() from None


app.info.cls = _Group


@cache
def click_command() -> _Group:
    """The click command Typer builds from :data:`app`, built once per process.

    ``app(...)`` would build it again on every call: Typer reads every command's signature and
    evaluates its type hints, about 20 ms on this 2-core machine. A process that runs the CLI once
    pays that once either way; one that calls :func:`main` many times (the test suite runs it in
    process about 190 times) pays it once instead of every time. A run leaves nothing in the command
    (click makes a fresh context per call), and ``app``'s commands are all registered at import.
    Typer's ``app(...)`` also installs its exception hook, which with ``pretty_exceptions_enable=False``
    only hands every exception to Python's own, so calling the click command prints the same.
    """
    command = typer.main.get_command(app)
    assert isinstance(command, _Group)  # app.info.cls
    return command


def split_debug(args: list[str]) -> tuple[list[str], bool]:
    """``args`` without ``--debug``, and whether it was given: ``--debug`` is a global flag that may
    stand before or after the sub-command (up to a ``--`` that ends the options).

    >>> split_debug(["size", "m/", "--debug", "--", "--debug"])
    (['size', 'm/', '--', '--debug'], True)
    """
    end = args.index("--") if "--" in args else len(args)
    kept = [arg for arg in args[:end] if arg != "--debug"]
    return kept + args[end:], len(kept) < end


def _silence_stdout() -> None:
    """Point standard output at /dev/null so that the interpreter's last flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file (a test's capture): nothing is flushed to a pipe at exit
    finally:
        os.close(devnull)


def main() -> None:
    """Console-script entry point: runs the app and turns input errors into exit code 2, bugs into
    exit code 3, and a closed standard output into the shell's SIGPIPE status 141."""
    from eks_plan.errors import EksPlanError, InputError

    args, debug = split_debug(sys.argv[1:])
    _State.debug = debug
    code: int | str | None
    try:
        try:
            click_command()(args=args, prog_name="eks-plan")
            code = ExitCode.OK
        except SystemExit as exit:
            code = exit.code
        sys.stdout.flush()
    except (_PipeClosed, BrokenPipeError):
        _silence_stdout()
        sys.exit(EXIT_BROKEN_PIPE)
    except InputError as error:
        if _State.debug:
            raise
        from rich.markup import escape

        stderr().print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(ExitCode.INPUT_ERROR)
    except KeyboardInterrupt:
        stderr().print("interrupted")
        sys.exit(130)
    except Exception as error:
        if _State.debug:
            raise
        what = str(error) if isinstance(error, EksPlanError) else f"{type(error).__name__}: {error}"
        stderr().print(
            f"internal error: {what}\nThis is a bug in eks-plan: run the same command again with --debug "
            f"(e.g. eks-plan --debug {' '.join(args[:1]) or 'COMMAND'} ...) to see the traceback, and "
            "report it with that output.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(ExitCode.INTERNAL_ERROR)
    sys.exit(code)


if __name__ == "__main__":
    main()
