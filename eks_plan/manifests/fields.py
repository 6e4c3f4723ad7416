"""Typed, located access to the fields of a manifest: one wrong type is one clear error.

A :class:`Field` is a value in a document together with its path, so reading
``spec.template.spec.containers[0].resources.requests.cpu`` can say exactly where a bad value is.

Example::

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> [document] = parse_yaml_documents("spec:\\n  replicas: three\\n", "web.yaml")
    >>> spec = Field.root(document).child("spec")
    >>> spec.child("replicas").integer(default=1)
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: web.yaml:2:3: spec.replicas must be an integer, not 'three'
    >>> spec.child("paused").boolean(default=False), spec.child("replicas").name
    (False, 'spec.replicas')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eks_plan.errors import InputError, SourceLocation
from eks_plan.manifests.quantity import QuantityError, canonical_amount
from eks_plan.manifests.yaml_source import YamlDocument


@dataclass(frozen=True, slots=True)
class Field:
    """A value at ``path`` in ``document`` (``value`` is ``None`` when the field is absent)."""

    document: YamlDocument
    path: tuple[str | int, ...]
    value: Any

    @classmethod
    def root(cls, document: YamlDocument) -> Field:
        return cls(document, (), document.data)

    @property
    def present(self) -> bool:
        return self.value is not None

    @property
    def name(self) -> str:
        """The dotted field path, as ``kubectl explain`` writes it: ``spec.containers[0].image``."""
        text = ""
        for element in self.path:
            text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
        return text or "(document)"

    @property
    def location(self) -> SourceLocation:
        return self.document.location(self.path)

    def child(self, key: str) -> Field:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Field(self.document, (*self.path, key), value)

    def get(self, *keys: str) -> Field:
        """The field at a relative path of keys (``field.get("spec", "template")``)."""
        found = self
        for key in keys:
            found = found.child(key)
        return found

    def error(self, message: str, hint: str | None = None) -> InputError:
        return InputError(f"{self.name} {message}", self.location, hint=hint)

    def mapping(self) -> dict[str, Any]:
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise self.error(f"must be a mapping, not {_describe(self.value)}")
        return self.value

    def items(self) -> Iterator[tuple[str, Field]]:
        """``(key, field)`` pairs of a mapping field (none when absent)."""
        for key in self.mapping():
            yield str(key), self.child(key)

    def sequence(self) -> Iterator[Field]:
        """The items of a list field (none when absent)."""
        if self.value is None:
            return
        if not isinstance(self.value, list):
            raise self.error(f"must be a list, not {_describe(self.value)}")
        for index, item in enumerate(self.value):
            yield Field(self.document, (*self.path, index), item)

    def integer(self, default: int | None = None, minimum: int | None = 0) -> int:
        value = self.value
        if value is None:
            if default is None:
                raise self.error("is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"must be an integer, not {_describe(value)}", hint=_template_hint(value))
        if minimum is not None and value < minimum:
            raise self.error(f"must be at least {minimum}, not {value}")
        return value

    def optional_integer(self, minimum: int | None = 0) -> int | None:
        return None if self.value is None else self.integer(minimum=minimum)

    def string(self, default: str = "") -> str:
        value = self.value
        if value is None:
            return default
        if isinstance(value, dict | list):
            raise self.error(f"must be a string, not {_describe(value)}")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def boolean(self, default: bool = False) -> bool:
        value = self.value
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f"must be true or false, not {_describe(value)}")
        return value

    def int_or_percent(self) -> int | str | None:
        """An ``IntOrString`` such as ``maxSurge: 25%`` (ints stay ints, ``"25%"`` stays a string)."""
        value = self.value
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.endswith("%") and text[:-1].isdigit():
                return text
            if text.isdigit():
                return int(text)
        raise self.error(f"must be a number or a percentage such as 25%, not {_describe(value)}")

    def resources(self) -> tuple[dict[str, int], dict[str, SourceLocation]]:
        """A ``requests``/``limits``/``overhead`` map in canonical units, with each key's location.

        Raises an :class:`InputError` naming the field for an invalid or negative quantity.
        """
        amounts: dict[str, int] = {}
        locations: dict[str, SourceLocation] = {}
        for resource, entry in self.items():
            try:
                amount = canonical_amount(resource, entry.value)
            except QuantityError as error:
                raise entry.error(
                    f"is not a valid quantity: {error}",
                    hint=_template_hint(entry.value) or "use e.g. 500m or 2 for cpu, 512Mi or 2Gi for memory",
                ) from None
            if amount < 0:
                raise entry.error(f"must not be negative, not {entry.value!r}")
            amounts[resource] = amount
            locations[resource] = entry.location
        return amounts, locations


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _template_hint(value: Any) -> str | None:
    if isinstance(value, str) and "{{" in value:
        return "this looks like an unrendered Helm template; run `helm template` first"
    return None
