"""Options shared by the commands that read manifests, defined once so they mean the same everywhere."""

from __future__ import annotations

from typing import Any

import typer

REPLICA_MODES = ("min", "declared", "max")


def _replica_mode(value: str | None) -> str | None:
    if value is not None and value not in REPLICA_MODES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(REPLICA_MODES)}")
    return value


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
    """Bytes of a ``--max-file-size`` value: ``"64Mi"`` -> 67108864, ``"1000000"`` -> 1000000."""
    from eks_plan.errors import InputError
    from eks_plan.manifests.quantity import QuantityError, canonical_amount

    try:
        return canonical_amount("memory", text.removesuffix("B"))
    except QuantityError:
        raise InputError(f"--max-file-size {text!r} is not a size", hint="use bytes or e.g. 64Mi") from None
