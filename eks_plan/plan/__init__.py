"""The plan document: what ``eks-plan size --plan-out plan.json`` writes and ``check-ips --plan`` reads.

The document is :class:`eks_plan.plan.document.PlanDocument`, built once from the solver's result
(:func:`eks_plan.plan.build.build_plan_document`); its JSON's shape is fixed by the JSON Schema
(Draft 2020-12) shipped beside this module, ``plan.schema.json``, which the README documents and
``size --plan-out`` is tested against.

>>> document = {"region": "us-east-1", "nodes": [], "workloads": {}}
>>> plan_problems(document)
[]
>>> plan_problems({"region": "us-east-1", "nodes": [{"name": "n"}]})[:2]
['nodes[0].allocatable: missing', 'nodes[0].daemonset_overhead: missing']
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from eks_plan.errors import InputError, SourceLocation

#: The plan file format's version written today; a file without ``version`` is version 1.
PLAN_VERSION = 1
#: How many schema problems one error message lists before "and N more".
_SHOWN_PROBLEMS = 5


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("eks_plan.plan").joinpath("plan.schema.json").read_text(encoding="utf-8")


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of the plan file, as shipped in the package (a fresh copy)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(plan_schema())


def plan_problems(document: Any) -> list[str]:
    """Every way ``document`` breaks the plan schema, one line each naming the key path, in path
    order (empty when the document is a valid plan)."""
    from eks_plan.config.loader import format_key_path

    problems = set()
    for error in _validator().iter_errors(document):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            # One problem per missing key, named by its own path: nodes[0].instance_type.
            for key in error.validator_value:
                if key not in error.instance:
                    problems.add(((*map(str, path), key), f"{format_key_path((*path, key))}: missing"))
            continue
        where = format_key_path(path) or "the plan"
        problems.add((tuple(map(str, path)), f"{where}: {_describe(error)}"))
    return [message for _, message in sorted(problems)]


def validate_plan(document: Any, source: str) -> None:
    """Raise :class:`InputError` naming ``source`` and the key paths when ``document`` is not a plan
    file of a version this eks-plan reads."""
    problems = plan_problems(document)
    if not problems:
        return
    more = len(problems) - _SHOWN_PROBLEMS
    message = "; ".join(problems[:_SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
    raise InputError(
        f"invalid plan: {message}",
        SourceLocation(source),
        hint="write it with `eks-plan size ... --plan-out plan.json`",
    )


def _describe(error: Any) -> str:
    """A schema error in words: the missing key, the unknown key, or what the value must be."""
    validator, instance = error.validator, error.instance
    if validator == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        unknown = sorted(key for key in instance if key not in known)
        return f"unknown key {', '.join(unknown)}"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be {'an' if expected[0] in 'aeiou' else 'a'} {expected}, not {json.dumps(instance)}"
    if validator == "const" and error.absolute_path and error.absolute_path[-1] == "version":
        return (
            f"version {json.dumps(instance)} is not one this eks-plan reads (it reads version "
            f"{PLAN_VERSION}): write the plan again with this eks-plan"
        )
    if validator in ("enum", "const"):
        return f"{json.dumps(instance)[:60]}: {error.message}"
    return str(error.message)
