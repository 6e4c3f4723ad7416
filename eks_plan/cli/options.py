"""Options shared by the commands that read manifests, defined once so they mean the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import typer


def _replica_mode(value: str | None) -> str | None:
    from eks_plan.manifests.model import ReplicaMode

    return choice_callback(ReplicaMode, "--replicas")(value)


def replicas_option(default: str | None = "max") -> Any:
    """``--replicas min|declared|max``: which replica count a workload with an HPA is sized for."""
    return typer.Option(
        default,
        "--replicas",
        metavar="[min|declared|max]",
        callback=_replica_mode,
        help="Replicas of workloads with an HPA: its min, the declared spec.replicas, or its max"
        + (" (default: max)." if default is None else "."),
    )


def include_option() -> Any:
    """``--include GLOB``: more file names to read in directories besides .yaml, .yml and .json."""
    return typer.Option(
        [], "--include", help="Also read files matching this glob in directories (repeatable): '*.injected'."
    )


def max_file_size_option() -> Any:
    """``--max-file-size``: the largest manifest file read, as bytes or a quantity."""
    return typer.Option("16Mi", "--max-file-size", help="Largest file to read: bytes or a quantity (64Mi).")


def parse_file_size(text: str) -> int:
    """Bytes of a ``--max-file-size`` value: ``"64Mi"`` -> 67108864, ``"1000000"`` -> 1000000; a
    negative size is an input error, as in every command.

    >>> parse_file_size("64Mi")
    67108864
    >>> parse_file_size("-1Mi")
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: --max-file-size '-1Mi' is negative (use bytes or e.g. 64Mi)
    """
    from eks_plan.errors import InputError
    from eks_plan.manifests.quantity import QuantityError, canonical_amount

    try:
        size = canonical_amount("memory", text.removesuffix("B"))
    except QuantityError:
        raise InputError(f"--max-file-size {text!r} is not a size", hint="use bytes or e.g. 64Mi") from None
    if size < 0:
        raise InputError(f"--max-file-size {text!r} is negative", hint="use bytes or e.g. 64Mi")
    return size


def time_limit_option() -> Any:
    """``--time-limit``: seconds the solver may search (at least 1; negatives are rejected)."""
    return typer.Option(30.0, "--time-limit", min=1, help="Seconds the solver may search.")


def workers_option() -> Any:
    """``--workers``: solver threads."""
    return typer.Option(2, "--workers", min=1, help="Solver threads.")


def seed_option() -> Any:
    """``--seed``: the solver's random seed."""
    return typer.Option(0, "--seed", help="Solver random seed (the same seed gives the same plan).")


def quiet_option() -> Any:
    """``--quiet``/``-q``: no progress on stderr."""
    return typer.Option(False, "--quiet", "-q", help="No progress on stderr.")


E = TypeVar("E", bound=Enum)


def _not_one_of(enum: type[Enum], value: str) -> str:
    return f"'{value}' is not one of {', '.join(str(member.value) for member in enum)}"


def parse_choice(enum: type[E], value: str, flag: str) -> E:
    """The member of ``enum`` whose value is ``value``, or an input error naming the flag and every
    value it takes: the one way every command turns a flag's text into an enum (as a Typer
    callback, :func:`choice_callback`).

    >>> from eks_plan.catalog.capacity import NodeStyle
    >>> parse_choice(NodeStyle, "karpenter", "--node-style")
    <NodeStyle.KARPENTER: 'karpenter'>
    >>> parse_choice(NodeStyle, "eks", "--node-style")
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: --node-style 'eks' is not one of self-managed, managed-node-group, auto-mode, karpenter, bottlerocket
    """  # noqa: E501
    from eks_plan.errors import InputError

    try:
        return enum(value)
    except ValueError:
        raise InputError(f"{flag} {_not_one_of(enum, value)}") from None


def choice_callback(enum: type[Enum], flag: str) -> Callable[[str | None], str | None]:
    """A Typer option callback that accepts only ``enum``'s values (a usage error otherwise, with the
    same words as :func:`parse_choice`)."""

    def check(value: str | None) -> str | None:
        if value is not None:
            try:
                enum(value)
            except ValueError:
                raise typer.BadParameter(_not_one_of(enum, value), param_hint=flag) from None
        return value

    return check
