"""The ``eks-plan`` command: one Typer app, one module per sub-command.

Start-up must stay fast (``eks-plan --help`` is measured by ``benchmarks/bench_startup.py``): command
modules import the library lazily inside the command function, and OR-Tools only when solving.
"""

from __future__ import annotations

import sys

import typer

from eks_plan import __version__
from eks_plan.cli import catalog, check_ips, lint, rules, schema, size, workloads
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
    _State.debug = debug


# Sub-commands: each module defines one function named `command`; keep this list sorted by name.
app.command("catalog", short_help="Look up instance types: allocatable, max pods, price.")(catalog.command)
app.command("check-ips", short_help="Will the subnets hold the cluster's IPs at peak?")(check_ips.command)
app.command("lint", short_help="Lint manifests for CI: requests, placement, resilience, plan.")(lint.command)
app.command("rules", short_help="List the lint rules, or show one rule's documentation.")(rules.command)
app.command("schema", short_help="Print or validate the JSON Schema of eks-plan.yaml.")(schema.command)
app.command("size", short_help="Instance types, nodes per zone, pod placement and cost.")(size.command)
app.command("workloads", short_help="What the planner read: pods, requests, DaemonSets.")(workloads.command)


def main() -> None:
    """Console-script entry point: runs the app and turns input errors into exit code 2."""
    from eks_plan.errors import EksPlanError, InputError

    try:
        app()
    except InputError as error:
        if _State.debug:
            raise
        from rich.markup import escape

        stderr().print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(ExitCode.INPUT_ERROR)
    except EksPlanError as error:
        if _State.debug:
            raise
        stderr().print(
            f"internal error: {error}\nThis is a bug in eks-plan: run again with --debug and report it.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(ExitCode.INTERNAL_ERROR)
    except KeyboardInterrupt:
        stderr().print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
