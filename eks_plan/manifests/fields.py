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
from typing import Any

from eks_plan.errors import INVALID_QUANTITY, InputError, SourceLocation
from eks_plan.manifests.quantity import MAX_QUANTITY, QuantityError, canonical_amount, shown
from eks_plan.manifests.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlDocument,
    is_merge_key,
    mapping_entry,
    scalar_value,
)

_UNREAD: Any = object()

#: The largest value of an ``int32`` field of the Kubernetes API.
INT32_MAX = 2**31 - 1


class Field:
    """A node of a document, with the way it was reached, read as a typed value.

    ``value`` is the plain Python value (``None`` when the field is absent or null); mappings and
    lists are walked node by node (:meth:`child`, :meth:`items`, :meth:`sequence`) without
    building the rest of the document, which keeps loading large manifests fast.
    """

    __slots__ = ("_value", "document", "element", "key_node", "node", "parent")

    def __init__(
        self,
        document: YamlDocument,
        node: Node | None,
        key_node: Node | None = None,
        parent: Field | None = None,
        element: str | int | None = None,
    ) -> None:
        self.document = document
        self.node = node
        self.key_node = key_node
        self.parent = parent
        self.element = element
        self._value: Any = _UNREAD

    @classmethod
    def root(cls, document: YamlDocument) -> Field:
        return cls(document, document.node)

    @property
    def value(self) -> Any:
        if self._value is _UNREAD:
            node = self.node
            if node is None:
                self._value = None
            elif type(node) is ScalarNode:
                self._value = scalar_value(node)
            else:
                self._value = self.document.build(node)
        return self._value

    @property
    def present(self) -> bool:
        return self.node is not None and (type(self.node) is not ScalarNode or self.value is not None)

    @property
    def path(self) -> tuple[str | int, ...]:
        elements: list[str | int] = []
        field: Field | None = self
        while field is not None and field.element is not None:
            elements.append(field.element)
            field = field.parent
        return tuple(reversed(elements))

    @property
    def name(self) -> str:
        """The dotted field path, as ``kubectl explain`` writes it: ``spec.containers[0].image``."""
        text = ""
        for element in self.path:
            text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
        return text or "(document)"

    @property
    def location(self) -> SourceLocation:
        """Where the key of this field is (a list item: the item; an absent field: its parent)."""
        field: Field | None = self
        while field is not None:
            if field.key_node is not None:
                return self.document.mark(field.key_node)
            if field.node is not None:
                return self.document.mark(field.node)
            field = field.parent
        return self.document.start

    def child(self, key: str) -> Field:
        node = self.node
        if type(node) is MappingNode:
            entry = mapping_entry(node, key)
            if entry is not None:
                return Field(self.document, entry[1], entry[0], self, key)
        return Field(self.document, None, None, self, key)

    def get(self, *keys: str) -> Field:
        """The field at a relative path of keys (``field.get("spec", "template")``)."""
        found = self
        for key in keys:
            found = found.child(key)
        return found

    def error(self, message: str, hint: str | None = None, code: str | None = None) -> InputError:
        """An input error naming this field and its line (``code``: the lint rule it belongs to)."""
        return InputError(f"{self.name} {message}", self.location, hint=hint, code=code)

    def _is_null(self) -> bool:
        return self.node is None or (type(self.node) is ScalarNode and self.value is None)

    def items(self) -> Iterator[tuple[str, Field]]:
        """``(key, field)`` pairs of a mapping field, in order (none when absent)."""
        if self._is_null():
            return
        node = self.node
        if not isinstance(node, MappingNode):
            raise self.error(f"must be a mapping, not {_describe(self.value)}")
        seen: dict[str, None] = {}
        for key_node, _ in node.value:
            if type(key_node) is ScalarNode and not is_merge_key(key_node):
                seen[str(scalar_value(key_node))] = None
        for key_node, value_node in node.value:
            if is_merge_key(key_node):
                for source in [value_node] if type(value_node) is MappingNode else value_node.value:
                    for merged_key, _ in getattr(source, "value", []):
                        seen.setdefault(str(scalar_value(merged_key)), None)
        for key in seen:
            yield key, self.child(key)

    def sequence(self) -> Iterator[Field]:
        """The items of a list field (none when absent)."""
        if self._is_null():
            return
        node = self.node
        if not isinstance(node, SequenceNode):
            raise self.error(f"must be a list, not {_describe(self.value)}")
        for index, item in enumerate(node.value):
            yield Field(self.document, item, None, self, index)

    def integer(self, default: int | None = None, minimum: int | None = 0, maximum: int = INT32_MAX) -> int:
        """An integer field; every one the planner reads is an ``int32`` in the Kubernetes API
        (replicas, parallelism, maxSkew, ports, priorities), so larger values are refused as the
        API server refuses them."""
        value = self.value
        if value is None:
            if default is None:
                raise self.error("is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"must be an integer, not {_describe(value)}", hint=_template_hint(value))
        if minimum is not None and value < minimum:
            raise self.error(f"must be at least {minimum}, not {value}")
        if value > maximum:
            raise self.error(
                f"must be at most {maximum:,}, not {value:,}",
                hint="the Kubernetes API holds this field as a 32-bit integer",
            )
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
            return self.integer()  # an int32, as the API server reads the integer of an IntOrString
        if isinstance(value, str):
            text = value.strip()
            number = text[:-1] if text.endswith("%") else text
            if number.isdigit() and number.isascii():
                if len(number.lstrip("0")) > 10 or int(number) > INT32_MAX:
                    percent = "%" if number != text else ""
                    raise self.error(
                        f"must be at most {INT32_MAX:,}{percent}, not {_describe(value)}",
                        hint="the Kubernetes API holds this number as a 32-bit integer",
                    )
                return text if number != text else int(text)
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
                    code=INVALID_QUANTITY,
                ) from None
            if amount < 0:
                raise entry.error(f"must not be negative, not {shown(entry.value)}", code=INVALID_QUANTITY)
            if amount >= MAX_QUANTITY:
                # The API server would silently cap it (``maxAllowed`` in apimachinery's
                # pkg/api/resource/amount.go), and kube-scheduler counts requests in int64
                # (framework.Resource MilliCPU, Memory): no real request is that large.
                raise entry.error(
                    f"is larger than the largest quantity Kubernetes holds, not {shown(entry.value)}",
                    hint="Kubernetes caps quantities at 2**63 - 1, in millicores for cpu; fix the value",
                )
            amounts[resource] = amount
            locations[resource] = entry.location
        return amounts, locations


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return shown(value)


def _template_hint(value: Any) -> str | None:
    if isinstance(value, str) and "{{" in value:
        return "this looks like an unrendered Helm template; run `helm template` first"
    return None
