"""Checks the export tests share: the targets' JSON Schemas, and Terraform's type system for the
module's ``eks_managed_node_groups`` variable, read from ../shared/reference.

Terraform types are parsed from the module's own ``variables.tf`` (root ``eks_managed_node_groups``)
with python-hcl2, and values are checked as Terraform converts them for a variable of that type
(``map(object({...}))``: every attribute of the object type, ``optional(T)`` may be absent, no
attribute the type does not declare).
"""

from __future__ import annotations

import functools
import json
import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
from conftest import REFERENCE

SCHEMAS = REFERENCE / "schemas"
TERRAFORM = REFERENCE / "terraform-aws-eks"
EKSCTL_SCHEMA_NAME = "eksctl-clusterconfig-v1alpha5.schema.json"


@functools.cache
def validator(name: str) -> Any:
    """A jsonschema validator for a schema under ../shared/reference/schemas (by relative path)."""
    schema = json.loads((SCHEMAS / name).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(document)
    ]


def karpenter_schema(kind: str) -> str:
    return {
        "NodePool": "karpenter-v1.14.1/nodepool.v1.strict.schema.json",
        "EC2NodeClass": "karpenter-v1.14.1/ec2nodeclass.v1.strict.schema.json",
    }[kind]


# --- Terraform types --------------------------------------------------------------------------


def parse_type(text: str) -> Any:
    """A Terraform type expression as nested tuples: ``("string",)``, ``("list", T)``, ``("map", T)``,
    ``("object", {name: (T, optional)})``, ``("optional", T)``."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[(){}=,\[\]]|\"[^\"]*\"|-?\d+", text)
    position = 0

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = tokens[position]
        position += 1
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected!r}, got {token!r} in {text[:80]}")
        return token

    def skip_value() -> None:  # a default value of optional(T, default)
        depth = 0
        while True:
            token = tokens[position]
            if token in "({[":
                depth += 1
            elif token in ")}]":
                if depth == 0:
                    return
                depth -= 1
            elif token == "," and depth == 0:
                return
            take()

    def parse() -> Any:
        name = take()
        if name in ("string", "number", "bool", "any"):
            return (name,)
        take("(")
        if name == "object":
            take("{")
            fields: dict[str, Any] = {}
            while tokens[position] != "}":
                field = take()
                take("=")
                field_type = parse()
                optional = field_type[0] == "optional"
                fields[field] = (field_type[1] if optional else field_type, optional)
                if tokens[position] == ",":
                    take(",")
            take("}")
            take(")")
            return ("object", fields)
        inner = parse()
        if name == "optional" and tokens[position] == ",":
            take(",")
            skip_value()
        take(")")
        return (name, inner)

    result = parse()
    return result


@functools.cache
def node_groups_type() -> Any:
    """The root module's ``eks_managed_node_groups`` type (map(object({...})))."""
    import hcl2

    with (TERRAFORM / "root-variables.tf").open() as handle:
        variables = hcl2.load(handle)["variable"]
    for block in variables:
        for name, body in block.items():
            if name.strip('"') == "eks_managed_node_groups":
                return parse_type(body["type"].removeprefix("${").removesuffix("}"))
    raise AssertionError("eks_managed_node_groups is not in root-variables.tf")


def hcl_value(value: Any) -> Any:
    """python-hcl2 (v8) keeps quotes on strings and keys: strip them, recursively."""
    if isinstance(value, str):
        heredoc = re.fullmatch(r'"<<(-?)([A-Z]+)\n(.*)\n\s*\2"', value, re.DOTALL)
        if heredoc:  # python-hcl2 v8 keeps a heredoc as written: <<-EOT strips the common indent
            body = heredoc.group(3) + "\n"
            return textwrap.dedent(body) if heredoc.group(1) else body
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return json.loads(value)
        return value
    if isinstance(value, list):
        return [hcl_value(item) for item in value]
    if isinstance(value, Mapping):
        return {hcl_value(key): hcl_value(item) for key, item in value.items() if key != "__is_block__"}
    return value


def type_errors(value: Any, tf_type: Any, path: str, references: Mapping[str, Any]) -> list[str]:
    """Where ``value`` does not convert to ``tf_type``. A ``${...}`` expression is checked by the
    type its reference has in ``references`` (``var.x["k"]`` -> the element type of ``var.x``)."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        match = re.fullmatch(r"\$\{var\.([A-Za-z_][A-Za-z0-9_]*)\[\"[^\"]+\"\]\}", value)
        if not match or match.group(1) not in references:
            return [f"{path}: unknown reference {value}"]
        declared = references[match.group(1)]
        if declared[0] != "map" or declared[1] != tf_type:
            return [f"{path}: {value} has type {declared}, not {tf_type}"]
        return []
    kind = tf_type[0]
    if kind == "string":
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not a string"]
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a bool"]
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        return [
            e
            for i, item in enumerate(value)
            for e in type_errors(item, tf_type[1], f"{path}[{i}]", references)
        ]
    if kind == "map":
        if not isinstance(value, Mapping):
            return [f"{path}: {value!r} is not a map"]
        return [
            e for k, item in value.items() for e in type_errors(item, tf_type[1], f"{path}.{k}", references)
        ]
    if kind == "object":
        if not isinstance(value, Mapping):
            return [f"{path}: {value!r} is not an object"]
        errors = [
            f"{path}: attribute '{k}' is not in the module's type" for k in value if k not in tf_type[1]
        ]
        for field, (field_type, optional) in tf_type[1].items():
            if field in value:
                errors += type_errors(value[field], field_type, f"{path}.{field}", references)
            elif not optional:
                errors.append(f"{path}: required attribute '{field}' is missing")
        return errors
    raise AssertionError(f"type {tf_type} not handled")


def terraform_problems(variables: Mapping[str, Any], node_groups: Any) -> list[str]:
    """Type problems of an exported ``eks_managed_node_groups`` value; ``variables`` maps variable
    names to their declared type text."""
    references = {name: parse_type(text) for name, text in variables.items()}
    return type_errors(node_groups, node_groups_type(), "eks_managed_node_groups", references)


def read_hcl_export(text: str) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """(variable name -> type text, variable name -> default, node groups) of an HCL export."""
    import hcl2

    parsed = hcl2.loads(text)
    types: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    for block in parsed.get("variable", []):
        for name, body in block.items():
            types[name.strip('"')] = body["type"].removeprefix("${").removesuffix("}")
            if "default" in body:
                defaults[name.strip('"')] = hcl_value(body["default"])
    (locals_block,) = parsed["locals"]
    return types, defaults, hcl_value(locals_block["eks_managed_node_groups"])


def read_json_export(text: str) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    document = json.loads(text)
    types = {name: body["type"] for name, body in document["variable"].items()}
    defaults = {name: body["default"] for name, body in document["variable"].items() if "default" in body}
    return types, defaults, document["locals"]["eks_managed_node_groups"]


def plan_rows(plan: Mapping[str, Any]) -> dict[tuple[str, str, str, str], int]:
    """(pool, instance type, zone, capacity type) -> nodes, counted from the plan's nodes."""
    rows: dict[tuple[str, str, str, str], int] = {}
    for node in plan["nodes"]:
        key = (node["pool"], node["instance_type"], node["zone"], node["capacity_type"])
        rows[key] = rows.get(key, 0) + 1
    return rows


def fixture_path(name: str) -> Path:
    return Path(__file__).resolve().parent / "fixtures" / name
