"""YAML documents that remember where every key came from.

PyYAML's ``safe_load`` returns plain objects and forgets positions; kube-linter-style findings need
``deploy/web.yaml:41:13``. This module composes the node tree with libyaml's C parser (the pure
Python one when libyaml is missing), builds plain ``dict``/``list``/``str``/``int`` data from it
itself, and keeps the node tree so :meth:`YamlDocument.location` can answer "where is
``spec.replicas``?" on demand. Positions therefore cost nothing until someone asks for one.

Building the data here rather than with ``SafeConstructor`` is what lets the reader:

* accept YAML 1.1 oddities real CRDs carry (a bare ``=`` is ``tag:yaml.org,2002:value``, on which
  ``SafeLoader`` raises), reading them as strings;
* keep timestamps as the strings they were written as, so data stays JSON-serialisable;
* refuse alias bombs (a few lines whose aliases expand to billions of nodes) and recursive aliases;
* spot an unrendered Helm template: ``replicas: {{ .Values.replicas }}`` is valid YAML (a flow
  mapping whose key is a flow mapping), so it is caught from the node tree, while ``{{`` inside a
  string (Prometheus alert text, Grafana JSON in a ConfigMap) is left alone.

Example::

    >>> text = "kind: Deployment\\nspec:\\n  replicas: 3\\n  template:\\n    spec:\\n      containers:\\n" \\
    ...        "      - name: web\\n        resources: {requests: {cpu: 250m}}\\n"
    >>> [document] = parse_yaml_documents(text, "web.yaml")
    >>> document.data["spec"]["replicas"]
    3
    >>> str(document.location(("spec", "replicas")))
    'web.yaml:3:3'
    >>> path = ("spec", "template", "spec", "containers", 0, "resources", "requests", "cpu")
    >>> str(document.location(path))
    'web.yaml:8:32'
    >>> str(document.location(("spec", "template", "spec", "containers", 0, "resources", "limits")))
    'web.yaml:8:9'
"""

from __future__ import annotations

import os
import re
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
import yaml.composer
import yaml.nodes

from eks_plan.errors import DUPLICATE_KEY, INVALID_YAML, UNRENDERED_TEMPLATE, InputError, SourceLocation

#: The default cap on one input file; ``--max-file-size`` raises it. The largest real manifest in
#: the shared corpus (Argo CD's install.yaml, mostly CRDs) is 1.9 MB.
DEFAULT_MAX_FILE_BYTES = 16 * 2**20

#: How far aliases may expand a document beyond its own size before it counts as an alias bomb.
#: Real manifests use a handful of anchors; a "billion laughs" expands by many orders of magnitude.
ALIAS_EXPANSION_ALLOWANCE = 100_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_BOOL_VALUES = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}

PathElement = str | int
YamlPath = tuple[PathElement, ...]

#: Python refuses to convert integer text longer than this (``sys.get_int_max_str_digits``).
_INT_MAX_DIGITS = 4300


class ScalarNode:
    """A composed scalar: its tag, its text and where it starts (0-based line and column).

    These three classes stand in for PyYAML's nodes while a document is composed
    (:func:`_compact_nodes`). PyYAML's carry an instance dict and two ``Mark`` objects (start and
    end) each, about 330 bytes a node before the text; these keep only what positions need, about
    70, which is what lets a manifest load in a few times its own size (``benchmarks/
    bench_loader_memory.py``). Short scalar texts (keys, images, label values) are interned, so a
    key repeated in every container is stored once.
    """

    __slots__ = ("column", "line", "tag", "value")

    def __init__(
        self, tag: str, value: str, start_mark: Any = None, end_mark: Any = None, style: Any = None
    ) -> None:
        self.tag = tag
        self.value = sys.intern(value) if len(value) < 48 else value
        self.line = -1 if start_mark is None else start_mark.line
        self.column = 0 if start_mark is None else start_mark.column

    @property
    def end_mark(self) -> None:
        return None

    @end_mark.setter
    def end_mark(self, _: Any) -> None:
        """The composer sets it; no position after a node's start is ever reported."""


class SequenceNode:
    """A composed sequence: its items and where it starts (see :class:`ScalarNode`)."""

    __slots__ = ("column", "flow_style", "line", "tag", "value")

    def __init__(
        self, tag: str, value: list[Any], start_mark: Any = None, end_mark: Any = None, flow_style: Any = None
    ) -> None:
        self.tag = tag
        self.value = value
        self.line = -1 if start_mark is None else start_mark.line
        self.column = 0 if start_mark is None else start_mark.column
        self.flow_style = flow_style

    end_mark = ScalarNode.end_mark


class MappingNode:
    """A composed mapping: its ``(key, value)`` node pairs, where it starts (with the text index,
    for the Helm-template check of a flow mapping), and the key index built on first lookup
    (:func:`mapping_entry`)."""

    __slots__ = ("column", "flow_style", "index", "keys", "line", "merges", "tag", "value")

    def __init__(
        self,
        tag: str,
        value: list[tuple[Any, Any]],
        start_mark: Any = None,
        end_mark: Any = None,
        flow_style: Any = None,
    ) -> None:
        self.tag = tag
        self.value = value
        self.line = -1 if start_mark is None else start_mark.line
        self.column = 0 if start_mark is None else start_mark.column
        self.index = -1 if start_mark is None else start_mark.index
        self.flow_style = flow_style
        self.keys: dict[str, tuple[Node, Node]] | None = None
        self.merges: list[Node] = []

    end_mark = ScalarNode.end_mark


Node = ScalarNode | SequenceNode | MappingNode

_NODE_CLASSES = {"ScalarNode": ScalarNode, "SequenceNode": SequenceNode, "MappingNode": MappingNode}
_COMPOSING = threading.RLock()


@contextmanager
def _compact_nodes() -> Iterator[None]:
    """Make the composers (libyaml's and PyYAML's) build the compact nodes above.

    Both look the node classes up as globals of their module at each node, so they are swapped
    there for the duration of a parse, under a lock, and put back.
    """
    modules = [yaml.composer]
    c_module = sys.modules.get("yaml._yaml")
    if c_module is not None:
        modules.append(c_module)
    with _COMPOSING:
        saved = [(module, {name: getattr(module, name) for name in _NODE_CLASSES}) for module in modules]
        try:
            for module in modules:
                for name, cls in _NODE_CLASSES.items():
                    setattr(module, name, cls)
            yield
        finally:
            for module, originals in saved:
                for name, cls in originals.items():
                    setattr(module, name, cls)


def _from_yaml_node(node: yaml.nodes.Node) -> Node:
    """A compact node tree (without positions) from a PyYAML one (the representer's)."""
    if isinstance(node, yaml.nodes.ScalarNode):
        return ScalarNode(node.tag, node.value)
    if isinstance(node, yaml.nodes.SequenceNode):
        return SequenceNode(node.tag, [_from_yaml_node(item) for item in node.value])
    return MappingNode(node.tag, [(_from_yaml_node(k), _from_yaml_node(v)) for k, v in node.value])


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HAS_LIBYAML: bool = _BaseLoader is not yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The C (or Python) safe loader with implicit tags resolved lazily.

    The C composer calls the Python resolver once per scalar, and the stock resolver tries a list
    of regular expressions each time. Here a plain scalar only gets the marker tag :data:`PLAIN`;
    :func:`scalar_value` resolves it (memoised) when the value is read, so the thousands of
    scalars of a manifest that the planner never reads cost almost nothing.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return PLAIN if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP

    # No path-dependent resolvers are registered, so there is nothing to track. The composer
    # calls these two once per node each; builtins that ignore their arguments cost a third of
    # a Python method call (a slice of (parent, index) is made and dropped).
    descend_resolver = slice
    ascend_resolver = tuple


#: A YAML anchor definition (``&name`` then a space or a line end), as opposed to prose ("A & B",
#: "&&", "&amp;"): only a text with one can hold an alias bomb.
ANCHOR = re.compile(r"&[A-Za-z0-9_.-]+[ \t\r\n]")

#: The tag of a plain (unquoted, untagged) scalar whose YAML 1.1 type is not resolved yet.
PLAIN = "tag:eks-plan,2024:plain"
_RESOLVER = yaml.resolver.Resolver()
_PLAIN_TAGS: dict[str, str] = {}


def resolve_plain(value: str) -> str:
    """The YAML 1.1 tag of a plain scalar (``3`` int, ``yes`` bool, ``=`` value, ``~`` null...)."""
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(yaml.nodes.ScalarNode, value, (True, False))
        if len(_PLAIN_TAGS) < 100_000 and len(value) < 200:  # a bounded, process-wide memo
            _PLAIN_TAGS[value] = tag
    return tag


def scalar_value(node: ScalarNode) -> Any:
    """The plain Python value of a scalar node.

    Timestamps stay the strings they were written as, ``=`` (YAML 1.1 "value") is a string, and
    so is any explicitly tagged scalar (``!!binary``, custom tags): Kubernetes reads strings.
    """
    tag = node.tag
    value = node.value
    if tag == PLAIN:
        tag = resolve_plain(value)
    if tag == _STR:
        return value
    if tag == _INT:
        return _yaml11_int(value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOL_VALUES[value.lower()]
    if tag == _FLOAT:
        return _yaml11_float(value)
    return value


def is_merge_key(node: Node) -> bool:
    """True for the ``<<`` key of a YAML merge (``<<: *defaults``)."""
    return type(node) is ScalarNode and (node.tag == _MERGE or (node.tag == PLAIN and node.value == "<<"))


_UNBUILT: Any = object()


class YamlDocument:
    """One YAML document (or a part of one): its node tree for positions, and its plain data.

    ``data`` is built from the node tree the first time it is read (see :func:`parse_yaml_documents`
    for when errors such as an alias bomb are raised). ``line_offset`` is added to every line the
    node tree reports, for documents parsed out of a larger file one at a time. A document made
    from data alone (:meth:`from_data`, for JSON that YAML refuses) has positions without lines.
    """

    __slots__ = ("_data", "filename", "line_offset", "node", "text")

    def __init__(
        self,
        data: Any = _UNBUILT,
        filename: str = "",
        node: Node | None = None,
        line_offset: int = 0,
        text: str = "",
    ) -> None:
        self._data = data
        self.filename = filename
        self.node = node
        self.line_offset = line_offset
        self.text = text  # the text the node tree's marks index into

    @classmethod
    def from_data(cls, data: Any, filename: str) -> YamlDocument:
        """A document of plain data (no positions), with a node tree so it reads like any other."""
        node = _from_yaml_node(yaml.representer.SafeRepresenter().represent_data(data))
        return cls(data, filename, node)

    @property
    def data(self) -> Any:
        if self._data is _UNBUILT:
            self._data = None if self.node is None else self.build(self.node)
        return self._data

    def build(self, node: Node) -> Any:
        """Plain data of one node of this document (alias bombs and templates are refused)."""
        return _Builder(self.text, self.filename, self.line_offset).build(node)

    def __repr__(self) -> str:
        return f"YamlDocument({self.start})"

    @property
    def start(self) -> SourceLocation:
        """Where the document (or sub-document) starts."""
        return self.mark(self.node) if self.node is not None else SourceLocation(self.filename)

    def location(self, path: Sequence[PathElement]) -> SourceLocation:
        """The position of the key (or sequence item) at ``path``, or of the deepest ancestor found.

        A mapping key is located at the key itself (``replicas`` of ``replicas: 3``), a sequence
        item at its first character; a path that leaves the document stops at the last node found.
        """
        node = self.node
        if node is None:
            return SourceLocation(self.filename)
        found = node
        mark_node: Node = node
        for element in path:
            if type(found) is MappingNode:
                pair = mapping_entry(found, str(element))
                if pair is None:
                    break
                mark_node, found = pair
            elif type(found) is SequenceNode and isinstance(element, int):
                if not -len(found.value) <= element < len(found.value):
                    break
                found = found.value[element]
                mark_node = found
            else:
                break
        return self.mark(mark_node)

    def at(self, path: Sequence[PathElement]) -> YamlDocument:
        """The sub-document at ``path`` (a ``kind: List`` item, say), keeping positions.

        Raises ``KeyError`` when ``path`` is not in the document.
        """
        node = self.node
        for element in path:
            if type(node) is MappingNode and (pair := mapping_entry(node, str(element))) is not None:
                node = pair[1]
            elif (
                isinstance(node, SequenceNode)
                and isinstance(element, int)
                and -len(node.value) <= element < len(node.value)
            ):
                node = node.value[element]
            else:
                raise KeyError(tuple(path))
        return YamlDocument(_UNBUILT, self.filename, node, self.line_offset, self.text)

    def mark(self, node: Node) -> SourceLocation:
        """The position of a node of this document (file only when it has none)."""
        if node.line < 0:
            return SourceLocation(self.filename)
        return SourceLocation(self.filename, node.line + 1 + self.line_offset, node.column + 1)


def mapping_entry(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    """The ``(key node, value node)`` of ``key`` in a mapping node, looking into ``<<`` merges
    when the mapping itself lacks it (documents with a repeated key are refused when parsed)."""
    # An index of the mapping's scalar keys, kept on the node itself: the loader looks up several
    # keys of most mappings it visits, and most lookups are misses (optional fields).
    index = node.keys
    if index is None:
        index = {}
        for entry in node.value:
            key_node = entry[0]
            if type(key_node) is ScalarNode and not (key_node.value == "<<" and is_merge_key(key_node)):
                index[key_node.value] = entry
        node.keys = index
        node.merges = [v for k, v in node.value if k.value == "<<" and is_merge_key(k)]
    found = index.get(key)
    if found is not None:
        return found
    for value_node in node.merges:
        sources = [value_node] if type(value_node) is MappingNode else getattr(value_node, "value", [])
        for source in sources:
            if type(source) is MappingNode and (merged := mapping_entry(source, key)) is not None:
                return merged
    return None


def decode_text(data: bytes, filename: str) -> str:
    """Bytes of a manifest or config file as text: UTF-8 (a BOM is allowed), else an InputError
    naming the line and column of the first byte that is not UTF-8.

    >>> decode_text(b"a: 1\\nb: caf\\xe9\\n", "x.yaml")
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: x.yaml:2:7: the file is not UTF-8 text: byte 0xe9 is not valid UTF-8 \
(save the file as UTF-8; Kubernetes manifests must be UTF-8)
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        start = error.start
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        raise InputError(
            f"the file is not UTF-8 text: byte 0x{data[start]:02x} is not valid UTF-8",
            SourceLocation(filename, line, column),
            hint="save the file as UTF-8; Kubernetes manifests must be UTF-8",
            code=INVALID_YAML,
        ) from None


def read_text_file(path: Path, display_name: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    """The text of a file, refusing one larger than ``max_bytes``, unreadable, or not UTF-8.

    ``display_name`` is how messages name the file (the path as the user wrote it).
    """
    refuse_special_file(path, display_name)
    try:
        with open(path, "rb") as handle:
            # A regular file's size is known: refuse it unread, else read it in one go. Pipes and
            # devices report 0, so read at most one byte past the cap to find out.
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise _too_large(display_name, max_bytes)
            data = handle.read() if size else handle.read(max_bytes + 1)
    except IsADirectoryError:
        raise InputError("is a directory, not a file", SourceLocation(display_name)) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(
            f"cannot read the file: {reason}",
            SourceLocation(display_name),
            hint="check that it exists and that you have permission to read it",
        ) from None
    if len(data) > max_bytes:
        raise _too_large(display_name, max_bytes)
    return decode_text(data, display_name)


def special_file_kind(path: Path | str) -> str | None:
    """What a path is when it is a FIFO, a socket or a device (``"a FIFO"``...), else ``None``.

    Opening a FIFO blocks until something writes to it, and a device may never end: eks-plan
    reads only regular files (and standard input, given as ``-``).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # reading it reports the problem
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return None


def refuse_special_file(
    path: Path | str,
    display_name: str,
    hint: str = "pass a file, or send the data to standard input and pass - instead",
) -> None:
    """Raise an :class:`InputError` naming ``path`` when it is a FIFO, a socket or a device."""
    kind = special_file_kind(path)
    if kind is not None:
        raise InputError(f"is {kind}, not a regular file", SourceLocation(display_name), hint=hint)


def _too_large(display_name: str, max_bytes: int) -> InputError:
    return InputError(
        f"the file is larger than the {_human_bytes(max_bytes)} limit",
        SourceLocation(display_name),
        hint="raise the limit with --max-file-size if this file is really meant to be read",
    )


def _human_bytes(amount: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if amount >= size and amount % size == 0:
            return f"{amount // size} {unit}"
    return f"{amount} bytes"


def parse_yaml_documents(
    text: str, filename: str, *, line_offset: int = 0, lazy: bool = False
) -> list[YamlDocument]:
    """Every non-empty document of a YAML (or JSON) text, with positions.

    ``filename`` names the file in positions and messages; ``line_offset`` is the number of lines
    of the file before ``text`` when ``text`` is a part of it. Empty documents (a trailing ``---``,
    a comment-only file) are left out. Raises :class:`InputError` for malformed YAML, an
    unrendered template, an alias bomb or a recursive alias.

    With ``lazy``, each document's ``data`` is built only when first read, so a reader that walks
    the node tree for the few fields it needs (the manifest loader) never pays for the rest; the
    template and alias-bomb checks then run on the text and the node tree up front instead.

    >>> [d.data for d in parse_yaml_documents("a: 1\\n---\\n---\\nb: [x, =]\\n", "f.yaml")]
    [{'a': 1}, {'b': ['x', '=']}]
    >>> try:
    ...     parse_yaml_documents("a: [1, 2\\nb: 3\\n", "f.yaml")
    ... except InputError as error:
    ...     print(error.location, error.hint)
    f.yaml:2:2 while parsing a flow sequence that starts at line 1; fix the YAML syntax at that position
    """
    loader = _Loader(text)
    documents: list[YamlDocument] = []
    try:
        while True:
            with _compact_nodes():
                node = loader.get_node() if loader.check_node() else _END
            if node is _END:
                break
            if node is None:
                continue
            _check_keys_and_numbers(node, filename, line_offset)
            if type(node) is ScalarNode and scalar_value(node) is None:
                continue
            document = YamlDocument(_UNBUILT, filename, node, line_offset, text)
            if not lazy:
                document.data  # noqa: B018 - build now, so errors are raised here
            elif "&" in text and ANCHOR.search(text):  # aliases could make a bomb or a loop
                _Builder(text, filename, line_offset).check_aliases(node)
            documents.append(document)
        if lazy and "{{" in text and (template_line := find_template_line(text)) is not None:
            raise template_error(filename, template_line + 1 + line_offset)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, text, filename, line_offset) from None
    except yaml.YAMLError as error:  # ReaderError: a character YAML does not allow
        position = getattr(error, "position", 0)
        character = getattr(error, "character", "")
        raise InputError(
            f"malformed YAML: character {character!r} is not allowed in YAML",
            _location_of_index(text, position, filename, line_offset),
            hint="remove the control character or save the file as UTF-8 text",
            code=INVALID_YAML,
        ) from None
    except RecursionError:
        raise InputError(
            "the YAML is nested too deeply to be a Kubernetes manifest",
            SourceLocation(filename, line_offset + 1),
            code=INVALID_YAML,
        ) from None
    finally:
        loader.dispose()
    return documents


_END: Any = object()


def _check_keys_and_numbers(root: Node, filename: str, line_offset: int) -> None:
    """Refuse a mapping with a repeated key, and an integer too long to convert, anywhere in a
    composed document.

    The API server decodes manifests strictly: ``kubectl apply`` refuses a repeated key
    (``json: duplicate field "replicas"`` from sigs.k8s.io/json's strict decoder, which the
    apiserver's ``serializer/json`` uses for ``fieldValidation=Strict``), where PyYAML would
    quietly keep the last value. An integer of more than 4,300 digits is beyond any field
    Kubernetes has (int64, or a quantity capped at 2**63 - 1), and Python will not convert it.
    """
    stack: list[Node] = [root]
    seen: set[int] = set()  # aliases share nodes: visit each once
    while stack:
        node = stack.pop()
        if type(node) is ScalarNode:
            if len(node.value) > _INT_MAX_DIGITS and node.tag == PLAIN and resolve_plain(node.value) == _INT:
                raise InputError(
                    f"a number of {len(node.value):,} digits is too large to be read",
                    SourceLocation(filename, node.line + 1 + line_offset, node.column + 1),
                    hint="Kubernetes integers stop at 2**63 - 1, and no count or size eks-plan reads "
                    "comes near; fix the value",
                )
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is SequenceNode:
            stack.extend(node.value)
            continue
        assert isinstance(node, MappingNode)
        keys: dict[str, ScalarNode] = {}
        for key_node, value_node in node.value:
            stack.append(value_node)
            if type(key_node) is not ScalarNode:
                stack.append(key_node)
                continue
            first = keys.get(key_node.value)
            if first is not None and not (key_node.value == "<<" and is_merge_key(key_node)):
                raise InputError(
                    f"duplicate key {key_node.value!r} (first at line {first.line + 1 + line_offset}): "
                    "a key may appear once in a mapping, and kubectl's strict decoding refuses it too",
                    SourceLocation(filename, key_node.line + 1 + line_offset, key_node.column + 1),
                    hint="remove one of the two, or merge them",
                    code=DUPLICATE_KEY,
                )
            keys[key_node.value] = key_node


def check_syntax(text: str) -> bool:
    """True when libyaml parses ``text`` without error (no data is built; C speed).

    Without libyaml, this answers True and leaves the checking to :func:`parse_yaml_documents`.

    >>> check_syntax("a: [1, 2]"), check_syntax("a: [1, 2") or not HAS_LIBYAML
    (True, False)
    """
    raw_parse = getattr(_Loader(text), "raw_parse", None)
    if raw_parse is None:
        return True
    try:
        raw_parse()
    except yaml.YAMLError:
        return False
    return True


def _location_of_index(text: str, index: int, filename: str, line_offset: int) -> SourceLocation:
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return SourceLocation(filename, line + 1 + line_offset, column + 1)


#: A ``{{`` where YAML expects a key, a value or a list item (not inside a string).
_TEMPLATE_LINE = re.compile(r"[ \t]*(?:-[ \t]+)*(?:[^'\"#\s{][^'\"#]*?:[ \t]+)?\{\{")
_BLOCK_SCALAR_HEADER = re.compile(r"(?:^|[:\-][ \t]|^---[ \t])[ \t]*[|>][0-9+\-]*[ \t]*(?:#.*)?$")


def find_template_line(text: str) -> int | None:
    """The 0-based line of the first ``{{`` that sits where YAML structure is, or ``None``.

    This is the text-only test used where parsing is not possible (the text is not valid YAML) or
    not wanted (a skipped document). ``{{`` counts as structure when it starts a key, a value or a
    list item outside a block scalar (``|``/``>``); inside a string, or after other text in a plain
    scalar (Prometheus alert descriptions), it is payload.

    >>> find_template_line("spec:\\n  replicas: {{ .Values.replicas }}\\n")
    1
    >>> find_template_line("data:\\n  tmpl: |\\n    {{ define \\"x\\" }}\\n  m: 'a {{ $value }}'\\n") is None
    True
    >>> find_template_line("rules:\\n- description: Pod {{ $labels.pod }} is down\\n") is None
    True
    """
    start = 0
    while True:
        found = text.find("{{", start)
        if found < 0:
            return None
        line_start = text.rfind("\n", 0, found) + 1
        line_end = text.find("\n", found)
        line_end = len(text) if line_end < 0 else line_end
        if _TEMPLATE_LINE.match(text, line_start, line_end) and not _inside_block_scalar(text, line_start):
            return text.count("\n", 0, line_start)
        start = line_end


def _inside_block_scalar(text: str, line_start: int) -> bool:
    """True when the line starting at ``line_start`` is content of a ``|`` or ``>`` block scalar.

    Walks back through less-indented lines (the line's ancestors) until one is a block scalar
    header or the top level is reached.
    """
    line_end = text.find("\n", line_start)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    threshold = len(line) - len(line.lstrip(" "))
    end = line_start - 1
    while end > 0 and threshold > 0:
        begin = text.rfind("\n", 0, end) + 1
        previous = text[begin:end]
        end = begin - 1
        stripped = previous.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(previous) - len(stripped)
        if indent >= threshold:
            continue
        if _BLOCK_SCALAR_HEADER.search(previous.rstrip()):
            return True
        threshold = indent
    return False


def template_error(filename: str, line: int) -> InputError:
    return InputError(
        "this looks like an unrendered Helm template: '{{ ... }}' is not Kubernetes YAML",
        SourceLocation(filename, line),
        hint="render it first, e.g. `helm template my-release ./chart > rendered.yaml`, "
        "and pass the rendered file",
        code=UNRENDERED_TEMPLATE,
    )


def _syntax_error(error: yaml.MarkedYAMLError, text: str, filename: str, line_offset: int) -> InputError:
    template_line = find_template_line(text)
    if template_line is not None:
        return template_error(filename, template_line + 1 + line_offset)
    mark = error.problem_mark or error.context_mark
    location = (
        SourceLocation(filename, mark.line + 1 + line_offset, mark.column + 1)
        if mark is not None
        else SourceLocation(filename, line_offset + 1)
    )
    problem = (error.problem or "invalid YAML").strip()
    context = ""
    if error.context and error.context_mark is not None:
        context = f"{error.context} that starts at line {error.context_mark.line + 1 + line_offset}; "
    return InputError(
        f"malformed YAML: {problem}",
        location,
        hint=f"{context}fix the YAML syntax at that position",
        code=INVALID_YAML,
    )


class _Builder:
    """Builds plain data from one composed node tree (see the module docstring for why)."""

    __slots__ = ("_built", "_filename", "_in_progress", "_line_offset", "_nodes", "_sizes", "_text")

    def __init__(self, text: str, filename: str, line_offset: int) -> None:
        self._text = text
        self._filename = filename
        self._line_offset = line_offset
        self._built: dict[int, Any] = {}
        self._in_progress: set[int] = set()
        self._nodes = 0
        self._sizes: dict[int, int] | None = None

    def build(self, root: Node) -> Any:
        data = self._build(root)
        if self._sizes is not None:
            self._check_expansion(root)
        return data

    def check_aliases(self, root: Node) -> None:
        """Refuse a recursive alias or an alias bomb without building any data."""
        self._sizes = {}
        self._count_distinct(root, set())
        self._check_expansion(root)

    def _count_distinct(self, node: Node, path: set[int]) -> None:
        key = id(node)
        if key in path:
            raise InputError(
                "a YAML alias refers to a node that contains it (a recursive alias)",
                self._where(node),
                hint="Kubernetes manifests cannot be recursive; remove the alias",
                code=INVALID_YAML,
            )
        if key in self._built:
            return
        self._built[key] = None
        self._nodes += 1
        if isinstance(node, ScalarNode):
            return
        path.add(key)
        children = node.value if isinstance(node, SequenceNode) else [n for pair in node.value for n in pair]
        for child in children:
            self._count_distinct(child, path)
        path.discard(key)

    def _where(self, node: Node) -> SourceLocation:
        if node.line < 0:
            return SourceLocation(self._filename)
        return SourceLocation(self._filename, node.line + 1 + self._line_offset, node.column + 1)

    def _build(self, node: Node) -> Any:
        if type(node) is ScalarNode:
            self._nodes += 1
            return scalar_value(node)
        key = id(node)
        if key in self._built:  # an alias: share the object, measure the expansion later
            if key in self._in_progress:
                raise InputError(
                    "a YAML alias refers to a node that contains it (a recursive alias)",
                    self._where(node),
                    hint="Kubernetes manifests cannot be recursive; remove the alias",
                    code=INVALID_YAML,
                )
            if self._sizes is None:
                self._sizes = {}
            return self._built[key]
        self._nodes += 1
        self._in_progress.add(key)
        result: Any
        if type(node) is SequenceNode:
            result = []
            self._built[key] = result
            build = self._build
            result.extend(build(item) for item in node.value)
        elif type(node) is MappingNode:
            result = {}
            self._built[key] = result
            self._fill_mapping(node, result)
        else:  # pragma: no cover - composers produce only the three node kinds
            raise TypeError(node)
        self._in_progress.discard(key)
        return result

    def _fill_mapping(self, node: MappingNode, result: dict[Any, Any]) -> None:
        if node.flow_style and self._text and node.index >= 0 and self._text.startswith("{{", node.index):
            raise template_error(self._filename, node.line + 1 + self._line_offset)
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise InputError(
                    "a mapping key is itself a mapping or a list, which Kubernetes does not accept",
                    self._where(key_node),
                    hint="quote the key or fix the indentation",
                    code=INVALID_YAML,
                )
            if is_merge_key(key_node):
                merged.update(self._merge_sources(value_node))
                continue
            self._nodes += 1
            result[scalar_value(key_node)] = self._build(value_node)
        for merged_key, merged_value in merged.items():
            result.setdefault(merged_key, merged_value)

    def _merge_sources(self, node: Node) -> dict[Any, Any]:
        """The keys a ``<<: *anchor`` (or ``<<: [*a, *b]``) merge brings in; earlier sources win."""
        sources = [node] if type(node) is MappingNode else getattr(node, "value", None)
        if not isinstance(sources, list) or not all(type(s) is MappingNode for s in sources):
            raise InputError("a '<<' merge key needs a mapping or a list of mappings", self._where(node))
        merged: dict[Any, Any] = {}
        for source in reversed(sources):
            merged.update(self._build(source))
        return merged

    def _check_expansion(self, root: Node) -> None:
        expanded = self._expanded_size(root)
        if expanded > self._nodes + ALIAS_EXPANSION_ALLOWANCE:
            raise InputError(
                f"YAML aliases expand this document to {expanded:,} nodes from {self._nodes:,} "
                "(an alias bomb)",
                self._where(root),
                hint="remove the nested anchors and aliases; Kubernetes rejects such documents too",
            )

    def _expanded_size(self, node: Node) -> int:
        """Nodes the document would have with every alias copied out (memoised over the DAG)."""
        assert self._sizes is not None
        key = id(node)
        size = self._sizes.get(key)
        if size is None:
            if type(node) is SequenceNode:
                size = 1 + sum(self._expanded_size(item) for item in node.value)
            elif type(node) is MappingNode:
                size = 1 + sum(self._expanded_size(k) + self._expanded_size(v) for k, v in node.value)
            else:
                size = 1
            self._sizes[key] = size
        return size


def _yaml11_int(text: str) -> int:
    """A YAML 1.1 integer as PyYAML reads it (``0x1f``, ``0o17``/``017``, ``1_000``, ``1:30``)."""
    value = text.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value.startswith("0o"):
        return sign * int(value[2:], 8)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


def _yaml11_float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value[0] == "-" else 1.0
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    if ":" in value:
        total = 0.0
        for part in value.split(":"):
            total = total * 60 + float(part)
        return sign * total
    return sign * float(value)
