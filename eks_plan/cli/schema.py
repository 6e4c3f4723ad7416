"""``eks-plan schema``: print the JSON Schema of ``eks-plan.yaml``, or check a file against it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from eks_plan.cli.output import OutputFormat, print_data, stderr, stdout


def command(
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "-o",
            "--output",
            help="json (default): the schema as JSON; yaml: as YAML; table: one row per key. "
            "With --validate: print the effective configuration (defaults filled in).",
        ),
    ] = None,
    validate: Annotated[
        Path | None,
        typer.Option(
            "--validate",
            metavar="FILE",
            help="Check FILE against the schema and the plan rules instead of printing the schema; "
            "exit 0 when valid, 2 with every problem (file:line: key path) when not.",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema (Draft 2020-12) of the plan configuration eks-plan.yaml, or validate a file.

    Editors that read JSON Schema (VS Code's YAML extension) complete and check eks-plan.yaml with it.

    Examples:

    \b
    eks-plan schema > eks-plan.schema.json
    eks-plan schema -o table    (every key with its type, default and description)
    eks-plan schema --validate eks-plan.yaml    (exit 0 when valid, 2 with file:line messages)
    eks-plan schema --validate eks-plan.yaml -o yaml    (the effective configuration)
    """
    from eks_plan.config import config_schema, load_config

    if validate is not None:
        config = load_config(validate)
        console = stderr()
        console.print(f"{validate}: valid", highlight=False)
        for note in config.defaults_applied:
            console.print(f"  default: {note}", highlight=False, soft_wrap=True)
        if output is not None:
            if output is OutputFormat.TABLE:
                print_data(config.to_dict(), OutputFormat.YAML)
            else:
                print_data(config.to_dict(), output)
        return
    schema = config_schema()
    if output is OutputFormat.TABLE:
        _print_table(schema)
        return
    print_data(schema, output or OutputFormat.JSON)


def _print_table(schema: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from eks_plan.report.layout import print_table

    table = Table(title="eks-plan.yaml keys", title_justify="left", show_lines=False)
    table.add_column("key", no_wrap=True)
    table.add_column("type", max_width=28, overflow="fold")
    table.add_column("default", max_width=16, overflow="fold")
    table.add_column("description", ratio=1, min_width=30)
    for key_path, node in _walk(schema, schema, ""):
        default = node.get("default")
        cells = (
            key_path,
            _type_text(schema, node),
            "" if default is None else _json(default),
            node.get("description", ""),
        )
        table.add_row(*(Text(cell) for cell in cells))
    print_table(stdout(), table)


def _walk(schema: dict[str, Any], node: dict[str, Any], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """(key path, resolved sub-schema) for every named key, depth first, in schema order."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for key, child in node.get("properties", {}).items():
        resolved = _resolve(schema, child)
        path = f"{prefix}.{key}" if prefix else key
        rows.append((path, resolved))
        if "properties" in resolved:
            rows.extend(_walk(schema, resolved, path))
        items = resolved.get("items")
        if isinstance(items, dict):
            item = _resolve(schema, items)
            if "properties" in item:
                rows.extend(_walk(schema, item, f"{path}[]"))
    return rows


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A sub-schema with a local ``$ref`` merged in (the referencing node's keys win)."""
    reference = node.get("$ref")
    if not reference:
        return node
    target: Any = schema
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    merged = dict(_resolve(schema, target))
    merged.update({key: value for key, value in node.items() if key != "$ref"})
    return merged


def _type_text(schema: dict[str, Any], node: dict[str, Any]) -> str:
    if "enum" in node:
        return " | ".join(str(value) for value in node["enum"])
    if "const" in node:
        return str(node["const"])
    kind = node.get("type", "")
    if kind == "array" and isinstance(node.get("items"), dict):
        item = _resolve(schema, node["items"])
        inner = " | ".join(str(v) for v in item["enum"]) if "enum" in item else item.get("type", "object")
        return f"list of {inner}"
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
