"""Reading manifests from files, directories and standard input into a :class:`ManifestSet`.

The pipeline, one file at a time:

1. find the files: a directory is read recursively (``.yaml``, ``.yml``, ``.json`` and any
   ``--include`` glob), following symbolic links but refusing a link that loops back to a parent;
2. read the text (size cap, UTF-8) and cut it into documents at ``---`` lines;
3. look at each document's top-level ``kind:`` line. Documents of kinds the planner does not read
   (CRDs, ConfigMaps, Services, custom resources) are counted by kind without being parsed: on the
   shared corpus, CRDs are 80% of the bytes and parsing them would make loading ten times slower.
   They are still checked for an unrendered Helm template. Everything else (and any document whose
   kind cannot be seen that way) is parsed with positions (:mod:`eks_plan.manifests.yaml_source`);
4. flatten ``kind: List`` (and any ``*List``), skip controller-owned objects, and read workloads,
   HPAs, PDBs, LimitRanges, PriorityClasses, RuntimeClasses and Namespaces;
5. read every workload against those (:mod:`eks_plan.manifests.workloads`).

From :data:`PARALLEL_MIN_FILES` files on, steps 2-4 and then step 5 run in two processes
(:class:`_Helper`), and their results are put back in file order.

The trade-off of step 3: a skipped document up to 64 KiB (Services, ConfigMaps, RBAC) is still
checked for YAML syntax by libyaml (about a millisecond per 60 KiB), for an unrendered template and
for anchors (parsed then, in case of an alias bomb); a larger one (a CRD, a dashboard) is only
counted, so a mistake inside it goes unreported, as it has no effect on the plan.
"""

from __future__ import annotations

import copyreg
import fnmatch
import gc
import io
import json
import multiprocessing
import os
import pickle
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

from eks_plan.errors import INVALID_YAML, InputError, SourceLocation
from eks_plan.manifests.fields import Field
from eks_plan.manifests.model import (
    WORKLOAD_KINDS,
    HorizontalPodAutoscaler,
    LimitRange,
    LoadWarning,
    ManifestSet,
    PodDisruptionBudget,
    PriorityClass,
    ReplicaMode,
    RuntimeClass,
    Workload,
)
from eks_plan.manifests.objects import (
    read_hpa,
    read_limit_range,
    read_pdb,
    read_priority_class,
    read_runtime_class,
)
from eks_plan.manifests.pods import PodContext
from eks_plan.manifests.workloads import read_workload
from eks_plan.manifests.yaml_source import (
    ANCHOR,
    DEFAULT_MAX_FILE_BYTES,
    MappingNode,
    SequenceNode,
    YamlDocument,
    check_syntax,
    decode_text,
    find_template_line,
    parse_yaml_documents,
    read_text_file,
    refuse_special_file,
    template_error,
)
from eks_plan.storage.model import PersistentVolumeClaim, StorageClass

#: File name endings read from directories without ``--include``.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

#: Kinds whose documents are parsed; every other kind is counted and ignored.
READ_KINDS = WORKLOAD_KINDS | {
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "LimitRange",
    "PriorityClass",
    "RuntimeClass",
    "Namespace",
    "PersistentVolumeClaim",
    "StorageClass",
}

#: Custom resources whose operator creates pods the manifests do not show, and who creates them.
OPERATOR_KINDS = {
    "Prometheus": "the Prometheus Operator",
    "Alertmanager": "the Prometheus Operator",
    "ThanosRuler": "the Prometheus Operator",
    "Rollout": "Argo Rollouts",
    "ScaledJob": "KEDA",
    "Elasticsearch": "the Elastic operator (ECK)",
    "Kafka": "Strimzi",
    "SparkApplication": "the Spark operator",
}

#: ``progress(files_done, files_total, current_file)``: how the CLI shows progress on big inputs.
ProgressFunction = Callable[[int, int, str], None]

_KIND_VALUE = re.compile(r"""kind:[ \t]*(["']?)([A-Za-z][A-Za-z0-9]*)\1[ \t]*(?:#.*)?$""")
#: Documents of ignored kinds up to this size are still checked for YAML syntax errors (by
#: libyaml alone, which costs about a millisecond per 60 KiB); larger ones (CRDs, dashboards)
#: are only counted.
VALIDATE_IGNORED_BYTES = 64 * 2**10


#: From this many files on, loading is shared with a second process (on a machine with two or
#: more cores, where ``fork`` exists): below it the fork costs more than it saves.
PARALLEL_MIN_FILES = 64


@dataclass(frozen=True, slots=True)
class _Input:
    display: str  # as messages name it
    path: Path | None  # None for standard input


def load_manifests(
    paths: Sequence[str | Path],
    *,
    include: Sequence[str] = (),
    replicas: ReplicaMode = ReplicaMode.MAX,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    stdin: TextIO | None = None,
    progress: ProgressFunction | None = None,
    parallel_min_files: int = PARALLEL_MIN_FILES,
) -> ManifestSet:
    """Load every manifest under ``paths`` (files, directories, ``-`` for standard input).

    ``include`` adds file-name globs read from directories (``*.injected``); ``replicas`` picks
    the HPA bound to plan for; ``max_file_bytes`` caps each file. Raises :class:`InputError` for
    anything the user must fix (the CLI exits with code 2).

    With ``parallel_min_files`` files or more (and no standard input), a forked helper process
    shares the reading (:class:`_Helper`): on the corpus replicated to 10,260 documents that
    takes about 2.0 s instead of 2.8 s on two cores. The result, its warnings and the error
    raised, if any, are the same as when the files are read one after the other.
    """
    if not paths:
        raise InputError("no manifests given", hint="pass files, directories, or - for standard input")
    # Loading keeps the node trees of every workload document alive until all files are read
    # (a LimitRange in the last file changes a Deployment in the first), and the cyclic garbage
    # collector would rescan that growing heap again and again: ten thousand documents load three
    # times slower with it on. The loader creates no reference cycles, so nothing is lost.
    collector_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(paths, tuple(include), replicas, max_file_bytes, stdin, progress, parallel_min_files)
    finally:
        if collector_was_enabled:
            gc.enable()


def _load(
    paths: Sequence[str | Path],
    include: tuple[str, ...],
    replicas: ReplicaMode,
    max_file_bytes: int,
    stdin: TextIO | None,
    progress: ProgressFunction | None,
    parallel_min_files: int,
) -> ManifestSet:
    inputs, skipped_files = _find_inputs(paths, include)
    if _can_fork() and len(inputs) >= max(parallel_min_files, 2) and all(s.path is not None for s in inputs):
        try:
            with _Helper(inputs, max_file_bytes) as helper:
                collector = helper.add_files(progress)
                _check_not_empty(collector, paths, inputs, skipped_files)
                return collector.finish(replicas, tuple(s.display for s in inputs), helper.read_workloads)
        except _HelperFailed:
            # Anything but an InputError in the helper is a bug: reading serially reproduces it
            # with its own traceback.
            pass
    collector = _add_files(inputs, max_file_bytes, stdin, progress, len(inputs))
    if progress is not None and inputs:
        progress(len(inputs), len(inputs), "")
    _check_not_empty(collector, paths, inputs, skipped_files)
    return collector.finish(replicas, tuple(source.display for source in inputs))


def _add_files(
    inputs: Sequence[_Input],
    max_file_bytes: int,
    stdin: TextIO | None,
    progress: ProgressFunction | None,
    total: int,
    done_before: int = 0,
) -> _Collector:
    collector = _Collector()
    for number, source in enumerate(inputs, start=done_before):
        if progress is not None:
            progress(number, total, source.display)
        text = _read(source, max_file_bytes, stdin)
        collector.add_file(source.display, text)
    return collector


def _check_not_empty(
    collector: _Collector, paths: Sequence[str | Path], inputs: list[_Input], skipped_files: int
) -> None:
    if collector.documents == 0:
        shown = ", ".join(str(path) for path in paths)
        not_objects = [w for w in collector.warnings if w.code == "not-an-object"]
        if not_objects:
            # The input parsed, so "empty" would mislead: say what the first document was instead.
            others = f" (and {len(not_objects) - 1} more such document(s))" if len(not_objects) > 1 else ""
            raise InputError(
                f"no Kubernetes objects found in {shown}: {not_objects[0].message.removesuffix('; skipped')}"
                + others,
                not_objects[0].location,
                hint="a manifest is a mapping with apiVersion, kind and metadata, e.g. the output of "
                "`kubectl get -o yaml` or `helm template`",
            )
        what = "no Kubernetes objects found" if inputs else "no manifest files found"
        hint = "pass YAML or JSON manifests"
        if skipped_files:
            hint = (
                f"{skipped_files} file(s) were skipped because their names do not end in "
                f"{', '.join(MANIFEST_SUFFIXES)}; add e.g. --include '*.injected' to read them"
            )
        raise InputError(f"{what} in {shown} (empty input)", SourceLocation(str(paths[0])), hint=hint)


def _not_an_object(root: Field) -> str:
    """What a document that is not a Kubernetes object holds, in words, for a warning or an error.

    >>> from eks_plan.manifests.yaml_source import parse_yaml_documents
    >>> documents = parse_yaml_documents("- 1\\n- 2\\n---\\nhello\\n---\\n[1, x]\\n---\\na: 1\\n", "x")
    >>> for document in documents:
    ...     print(_not_an_object(Field.root(document)))
    this document is a list of numbers, not a Kubernetes object with apiVersion/kind
    this document is a string ('hello'), not a Kubernetes object with apiVersion/kind
    this document is a list of numbers and strings, not a Kubernetes object with apiVersion/kind
    this document is a mapping without kind, not a Kubernetes object with apiVersion/kind
    """
    node = root.node
    if type(node) is MappingNode:
        what = "a mapping without kind"
    elif type(node) is SequenceNode:
        kinds = {_value_kind(Field(root.document, item).value) for item in node.value}
        if not kinds:
            what = "an empty list"
        elif len(kinds) == 1:
            what = f"a list of {kinds.pop()}s"
        else:
            *first, last = sorted(f"{kind}s" for kind in kinds)
            what = f"a list of {', '.join(first)} and {last}"
    else:
        value = root.value
        shown = repr(value if not isinstance(value, str) or len(value) <= 40 else value[:37] + "...")
        what = f"{_value_kind_with_article(value)} ({shown})"
    return f"this document is {what}, not a Kubernetes object with apiVersion/kind"


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return "null" if value is None else type(value).__name__


def _value_kind_with_article(value: Any) -> str:
    kind = _value_kind(value)
    return kind if kind == "null" else f"a {kind}"


def _find_inputs(paths: Sequence[str | Path], include: tuple[str, ...]) -> tuple[list[_Input], int]:
    inputs: list[_Input] = []
    skipped = 0
    seen_stdin = False
    for raw in paths:
        text = str(raw)
        if text == "-":
            if not seen_stdin:
                inputs.append(_Input("-", None))
                seen_stdin = True
            continue
        path = Path(text)
        if path.is_dir():
            found, skipped_here = _walk(path, text, include)
            inputs.extend(found)
            skipped += skipped_here
        elif path.exists() or path.is_symlink():
            refuse_special_file(path, text)
            inputs.append(_Input(text, path))
        else:
            raise InputError(
                "no such file or directory",
                SourceLocation(text),
                hint="check the path (use - for standard input)",
            )
    return inputs, skipped


def _walk(top: Path, display: str, include: tuple[str, ...]) -> tuple[list[_Input], int]:
    """Files under a directory, sorted, following links; a link back to an ancestor is an error."""
    found: list[_Input] = []
    skipped = 0
    visited: set[tuple[int, int]] = set()

    def visit(directory: Path, shown: str, ancestors: tuple[tuple[int, int], ...]) -> None:
        nonlocal skipped
        try:
            status = directory.stat()
        except OSError as error:
            raise InputError(f"cannot read the directory: {error.strerror}", SourceLocation(shown)) from None
        identity = (status.st_dev, status.st_ino)
        if identity in ancestors:
            raise InputError(
                "directory symlink loop: this link leads back to a directory that contains it",
                SourceLocation(shown),
                hint="remove the link or pass the directories you mean one by one",
            )
        if identity in visited:  # reached twice through links: read it once
            return
        visited.add(identity)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            raise InputError(
                f"cannot read the directory: {error.strerror}",
                SourceLocation(shown),
                hint="check that you have permission to read it",
            ) from None
        for entry in entries:
            entry_shown = os.path.join(shown, entry.name)
            if entry.is_dir(follow_symlinks=True):
                if not entry.name.startswith("."):  # .git, .github, editor folders
                    visit(Path(entry.path), entry_shown, (*ancestors, identity))
                continue
            if entry.name.endswith(MANIFEST_SUFFIXES) or any(fnmatch.fnmatch(entry.name, g) for g in include):
                # A FIFO, socket or device would block or never end: refused before any reading.
                refuse_special_file(
                    entry.path, entry_shown, hint="remove it from the directory, or pass the files one by one"
                )
                found.append(_Input(entry_shown, Path(entry.path)))
            elif entry.is_file(follow_symlinks=True):
                skipped += 1

    visit(top, display, ())
    return found, skipped


def _read(source: _Input, max_file_bytes: int, stdin: TextIO | None) -> str:
    if source.path is not None:
        return read_text_file(source.path, source.display, max_file_bytes)
    stream = stdin if stdin is not None else sys.stdin
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        data = buffer.read(max_file_bytes + 1)
        too_big = len(data) > max_file_bytes
        text = "" if too_big else decode_text(data, "-")
    else:
        text = stream.read(max_file_bytes + 1)
        too_big = len(text) > max_file_bytes
    if too_big:
        raise InputError(
            f"standard input is larger than the {max_file_bytes} byte limit",
            SourceLocation("-"),
            hint="raise the limit with --max-file-size",
        )
    return text


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """``(line_offset, text)`` of each ``---``-separated part of a YAML stream.

    A ``---`` at the start of a line always starts a document: inside a block scalar it would be
    indented, and YAML forbids it at column 0 inside a quoted one.

    >>> [(offset, part) for offset, part in split_documents("a: 1\\n---\\nb: 2\\n--- # c\\n")]
    [(0, 'a: 1\\n'), (1, '---\\nb: 2\\n'), (3, '--- # c\\n')]
    """
    start = 0
    line = 0
    search = 0
    while True:
        found = text.find("\n---", search)
        if found < 0:
            break
        after = found + 4
        search = after
        if after < len(text) and text[after] not in " \t\r\n":
            continue  # a line such as ----- or ---foo is not a marker
        yield line, text[start : found + 1]
        line += text.count("\n", start, found + 1)
        start = found + 1
    yield line, text[start:]


def sniff_kind(document: str) -> str | None:
    """The ``kind`` of a document from its one top-level ``kind:`` line, without parsing it.

    ``None`` when it cannot be told that way (no such line, several, or an unusual value): the
    document is then parsed. Documents over :data:`VALIDATE_IGNORED_BYTES` are trusted to have
    one ``kind`` (the first is taken) rather than scanned to the end.

    >>> sniff_kind("apiVersion: v1\\nkind: \\"Service\\"  # front\\nmetadata: {}\\n")
    'Service'
    >>> sniff_kind("kind: A\\nkind: B\\n") is None
    True
    """
    if len(document) <= VALIDATE_IGNORED_BYTES:  # a big one (a CRD) is not scanned twice
        count = document.count("\nkind:") + document.startswith("kind:")
        if count != 1:
            return None
    start = 0 if document.startswith("kind:") else document.find("\nkind:") + 1
    end = document.find("\n", start)
    match = _KIND_VALUE.match(document[start : len(document) if end < 0 else end].rstrip("\r"))
    return match.group(2) if match else None


def _typed_list_item_count(document: str) -> int | None:
    """The number of items of a block-style ``items:`` list at the top level, or ``None``.

    Items start at the indentation of the first one; deeper lines (block scalars, nested keys)
    cannot start with that indentation followed by ``- ``.
    """
    if document.count("\nitems:") + document.startswith("items:") != 1:
        return None
    start = 0 if document.startswith("items:") else document.find("\nitems:") + 1
    header_end = document.find("\n", start)
    if header_end < 0 or document[start + len("items:") : header_end].strip() not in ("", "[]"):
        return None
    if document[start + len("items:") : header_end].strip() == "[]":
        return 0
    first_end = document.find("\n", header_end + 1)
    first = document[header_end + 1 : len(document) if first_end < 0 else first_end]
    stripped = first.lstrip(" ")
    if not stripped.startswith("- "):
        return None
    marker = "\n" + first[: len(first) - len(stripped)] + "- "
    return document.count(marker, header_end)


class _Collector:
    """Accumulates what every file contributes, then builds the :class:`ManifestSet`."""

    def __init__(self) -> None:
        self.documents = 0
        self.ignored: Counter[str] = Counter()
        self.first_ignored: dict[str, SourceLocation] = {}
        self.owned: list[tuple[str, SourceLocation]] = []
        self.workload_objects: list[tuple[Field, str, str]] = []
        #: Namespaces of the workloads of the collectors merged into this one (read elsewhere).
        self.merged_workload_namespaces: list[str] = []
        self.hpas: list[HorizontalPodAutoscaler] = []
        self.pdbs: list[PodDisruptionBudget] = []
        self.limit_ranges: list[LimitRange] = []
        self.priority_classes: list[PriorityClass] = []
        self.runtime_classes: list[RuntimeClass] = []
        self.namespace_labels: dict[str, dict[str, str]] = {}
        self.warnings: list[LoadWarning] = []
        self.persistent_volume_claims: list[PersistentVolumeClaim] = []
        self.storage_classes: list[StorageClass] = []

    def warn(self, code: str, message: str, location: SourceLocation) -> None:
        self.warnings.append(LoadWarning(code, message, location))

    def _note_ignored(self, kind: str, where: SourceLocation | str, line_offset: int = 0) -> None:
        """Remember where an operator-managed kind first appears (for its warning)."""
        if kind in OPERATOR_KINDS and kind not in self.first_ignored:
            location = where if isinstance(where, SourceLocation) else SourceLocation(where, line_offset + 1)
            self.first_ignored[kind] = location

    # -- reading files -------------------------------------------------------------------------

    def add_file(self, display: str, text: str) -> None:
        stripped = text.lstrip()
        if stripped.startswith(("{", "[")):
            documents = _parse_json_or_yaml(text, display)
        else:
            documents = self._parse_yaml_stream(text, display)
        for document in documents:
            self._add_document(document)

    def _parse_yaml_stream(self, text: str, display: str) -> list[YamlDocument]:
        documents: list[YamlDocument] = []
        ignored: Counter[str] = Counter()
        for line_offset, part in split_documents(text):
            kind = sniff_kind(part)
            if kind is not None and kind not in READ_KINDS:
                item_kind = kind[:-4] if kind.endswith("List") else None
                if item_kind is None or (item_kind and item_kind not in READ_KINDS):
                    items = 1 if item_kind is None else _typed_list_item_count(part)
                    if items is not None and len(part) > VALIDATE_IGNORED_BYTES:
                        ignored[item_kind or kind] += items  # a CRD or a dashboard: only counted
                        self._note_ignored(item_kind or kind, display, line_offset)
                        continue
                    # A YAML anchor could hide an alias bomb: such a document is parsed after all.
                    if items is not None and not ("&" in part and ANCHOR.search(part)):
                        template_line = find_template_line(part) if "{{" in part else None
                        if template_line is not None:
                            raise template_error(display, template_line + 1 + line_offset)
                        if not check_syntax(part):
                            parse_yaml_documents(part, display, line_offset=line_offset)  # the error
                        ignored[item_kind or kind] += items
                        self._note_ignored(item_kind or kind, display, line_offset)
                        continue
            try:
                documents.extend(parse_yaml_documents(part, display, line_offset=line_offset, lazy=True))
            except InputError as error:
                if not error.message.startswith("malformed YAML"):
                    raise
                # A part that fails alone (a %YAML directive before ---, say) may parse as a whole:
                # the whole stream decides, and its error is the one to report.
                return self._parse_whole(text, display)
        self.ignored.update(ignored)
        self.documents += sum(ignored.values())
        return documents

    def _parse_whole(self, text: str, display: str) -> list[YamlDocument]:
        return parse_yaml_documents(text, display, lazy=True)

    def _add_document(self, document: YamlDocument) -> None:
        root = Field.root(document)
        if type(root.node) is not MappingNode:
            self.warn("not-an-object", f"{_not_an_object(root)}; skipped", document.start)
            return
        kind = root.child("kind").value
        if not isinstance(kind, str) or not kind:
            self.warn("not-an-object", f"{_not_an_object(root)}; skipped", document.start)
            return
        items = root.child("items").node
        if kind.endswith("List") and isinstance(items, SequenceNode):
            for index in range(len(items.value)):
                self._add_document(document.at(("items", index)))
            return
        self.documents += 1
        if kind not in READ_KINDS:
            self.ignored[kind] += 1
            self._note_ignored(kind, document.start)
            return
        metadata = root.child("metadata")
        namespace = metadata.child("namespace").string() or "default"
        if kind in WORKLOAD_KINDS:
            owner = _controller_owner(metadata)
            if owner is not None:
                self.owned.append(
                    (f"{kind}/{namespace}/{_name(metadata)} (owned by {owner})", document.start)
                )
                return
            self.workload_objects.append((root, kind, namespace))
        elif kind == "HorizontalPodAutoscaler":
            self.hpas.append(read_hpa(root, namespace))
        elif kind == "PodDisruptionBudget":
            self.pdbs.append(read_pdb(root, namespace))
        elif kind == "LimitRange":
            self.limit_ranges.append(read_limit_range(root, namespace))
        elif kind == "PriorityClass":
            self.priority_classes.append(read_priority_class(root))
        elif kind == "RuntimeClass":
            self.runtime_classes.append(read_runtime_class(root))
        elif kind == "PersistentVolumeClaim":
            from eks_plan.storage.manifests import read_persistent_volume_claim

            self.persistent_volume_claims.append(read_persistent_volume_claim(root, namespace))
        elif kind == "StorageClass":
            from eks_plan.storage.manifests import read_storage_class

            self.storage_classes.append(read_storage_class(root))
        elif kind == "Namespace":
            labels = {key: value.string() for key, value in metadata.child("labels").items()}
            self.namespace_labels[_name(metadata)] = labels

    # -- building the result -------------------------------------------------------------------

    def merge(self, later: _Collector) -> None:
        """Add what a collector of the files after this one's saw (its workloads are not kept)."""
        self.documents += later.documents
        self.ignored.update(later.ignored)
        for kind, location in later.first_ignored.items():
            self.first_ignored.setdefault(kind, location)
        self.owned.extend(later.owned)
        self.merged_workload_namespaces.extend(namespace for _, _, namespace in later.workload_objects)
        self.merged_workload_namespaces.extend(later.merged_workload_namespaces)
        self.hpas.extend(later.hpas)
        self.pdbs.extend(later.pdbs)
        self.limit_ranges.extend(later.limit_ranges)
        self.priority_classes.extend(later.priority_classes)
        self.runtime_classes.extend(later.runtime_classes)
        self.namespace_labels.update(later.namespace_labels)
        self.warnings.extend(later.warnings)
        self.persistent_volume_claims.extend(later.persistent_volume_claims)
        self.storage_classes.extend(later.storage_classes)

    def finish(
        self, mode: ReplicaMode, files: tuple[str, ...], read_workloads: _WorkloadReader | None = None
    ) -> ManifestSet:
        """Read every workload against the cluster-wide objects and build the result.

        ``read_workloads`` reads them where they are when they were collected elsewhere
        (:meth:`_Helper.read_workloads`); by default, they are this collector's own.
        """
        namespace_labels: dict[str, dict[str, str]] = {}
        for _, _, namespace in self.workload_objects:
            namespace_labels.setdefault(namespace, {})
        for namespace in self.merged_workload_namespaces:
            namespace_labels.setdefault(namespace, {})
        for name, labels in self.namespace_labels.items():
            namespace_labels[name] = dict(labels)
        for name, labels in namespace_labels.items():
            labels.setdefault("kubernetes.io/metadata.name", name)
        limit_ranges: dict[str, list[LimitRange]] = defaultdict(list)
        for limit_range in self.limit_ranges:
            limit_ranges[limit_range.namespace].append(limit_range)
        context = PodContext(
            limit_ranges=limit_ranges,
            runtime_classes={rc.name: rc for rc in self.runtime_classes},
            priority_classes={pc.name: pc for pc in self.priority_classes},
            namespace_labels=namespace_labels,
        )
        hpas: dict[str, list[HorizontalPodAutoscaler]] = defaultdict(list)
        for hpa in self.hpas:
            hpas[hpa.target_key].append(hpa)

        if read_workloads is None:
            read = _read_workloads(self.workload_objects, context, hpas, mode)
        else:
            read = read_workloads(context, hpas, mode)
        workloads: list[Workload] = []
        first_seen: dict[str, SourceLocation] = {}
        for workload, emitted in read:
            self.warnings.extend(emitted)
            if workload.key in first_seen:
                self.warn(
                    "duplicate",
                    f"{workload.key} is defined again (first at {first_seen[workload.key]}); "
                    "both are counted",
                    workload.source,
                )
            else:
                first_seen[workload.key] = workload.source
            workloads.append(workload)
        for target_key, targets in hpas.items():
            if target_key not in first_seen:
                self.warn(
                    "hpa-target-missing",
                    f"HPA {targets[0].namespace}/{targets[0].name} scales {target_key}, "
                    "which is not in the manifests",
                    targets[0].source,
                )
        for kind, location in self.first_ignored.items():
            count = self.ignored[kind]
            objects = f"{count} {kind} object{'s run' if count > 1 else ' runs'}"
            self.warn(
                "operator-pods",
                f"{objects} pods through {OPERATOR_KINDS[kind]}; "
                "eks-plan does not count them (add their pods as workloads, or size with headroom)",
                location,
            )
        if self.owned:
            described, location = self.owned[0]
            more = f" and {len(self.owned) - 1} more" if len(self.owned) > 1 else ""
            self.warn(
                "owned-skipped",
                f"skipped {len(self.owned)} object(s) owned by a controller, so their pods are not "
                f"counted twice: {described}{more}",
                location,
            )
        return ManifestSet(
            workloads=tuple(workloads),
            replica_mode=mode,
            hpas=tuple(self.hpas),
            pdbs=tuple(self.pdbs),
            priority_classes=tuple(self.priority_classes),
            runtime_classes=tuple(self.runtime_classes),
            limit_ranges=tuple(self.limit_ranges),
            ignored_kinds=MappingProxyType(dict(sorted(self.ignored.items()))),
            owned_skipped=len(self.owned),
            warnings=tuple(dict.fromkeys(self.warnings)),
            documents=self.documents,
            files=files,
            persistent_volume_claims=tuple(self.persistent_volume_claims),
            storage_classes=tuple(self.storage_classes),
        )


def _name(metadata: Field) -> str:
    return metadata.child("name").string() or metadata.child("generateName").string()


def _controller_owner(metadata: Field) -> str | None:
    """``Kind/name`` of the controller that owns an object, or ``None``."""
    for reference in metadata.child("ownerReferences").sequence():
        if reference.child("controller").value is True:
            return f"{reference.child('kind').string()}/{reference.child('name').string()}"
    return None


def _parse_json_or_yaml(text: str, display: str) -> list[YamlDocument]:
    """A JSON file: parsed as YAML for positions, or by ``json`` where YAML refuses it.

    JSON allows tabs between tokens where YAML does not; a tab cannot sit inside a JSON string, so
    such a file is read as YAML with each tab made a space (lines and columns unchanged). Repeated
    keys and numbers too long to read are errors with their line either way.
    """
    try:
        return parse_yaml_documents(text, display, lazy=True)
    except InputError as yaml_error:
        if not yaml_error.message.startswith("malformed YAML"):
            raise  # a repeated key, a huge number, an alias bomb: JSON would not make it right
        if "\t" in text:
            try:
                return parse_yaml_documents(text.replace("\t", " "), display, lazy=True)
            except InputError as error:
                if not error.message.startswith("malformed YAML"):
                    raise
        try:
            data: Any = json.loads(text, object_pairs_hook=_strict_json_object, parse_int=_json_int)
        except _JsonProblem as problem:
            raise InputError(problem.message, SourceLocation(display), hint=problem.hint) from None
        except json.JSONDecodeError as error:
            if display.endswith(".json"):
                raise InputError(
                    f"malformed JSON: {error.msg}",
                    SourceLocation(display, error.lineno, error.colno),
                    hint="fix the JSON syntax at that position",
                    code=INVALID_YAML,
                ) from None
            raise yaml_error from None
        return [YamlDocument.from_data(data, display)] if data is not None else []


class _JsonProblem(ValueError):
    """A JSON value the strict reading refuses (found by the ``json`` module, without a line)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _strict_json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonProblem(
                f"duplicate key {key!r}: a key may appear once in an object, and kubectl's strict "
                "decoding refuses it too",
                "remove one of the two",
            )
        result[key] = value
    return result


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 4000:
        raise _JsonProblem(f"a number of {len(digits):,} digits is too large to be read", "fix the value")
    return int(digits)


def _read_workloads(
    objects: list[tuple[Field, str, str]],
    context: PodContext,
    hpas: dict[str, list[HorizontalPodAutoscaler]],
    mode: ReplicaMode,
) -> list[tuple[Workload, list[LoadWarning]]]:
    """Each workload with the warnings reading it gave, in order."""
    read: list[tuple[Workload, list[LoadWarning]]] = []
    for root, kind, namespace in objects:
        emitted: list[LoadWarning] = []

        def warn(
            code: str, message: str, location: SourceLocation, emitted: list[LoadWarning] = emitted
        ) -> None:
            emitted.append(LoadWarning(code, message, location))

        read.append((read_workload(root, kind, namespace, context, hpas, mode, warn), emitted))
    return read


def _can_fork() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


class _HelperFailed(Exception):
    """The helper process failed other than with an :class:`InputError`: load serially instead."""


_ReadWorkloads = list[tuple[Workload, list[LoadWarning]]]
_WorkloadReader = Callable[
    [PodContext, dict[str, list[HorizontalPodAutoscaler]], ReplicaMode], _ReadWorkloads
]
#: ``(chunk number, message, location, hint)`` of an :class:`InputError` met in that chunk.
_ChunkError = tuple[int, str, SourceLocation | None, str | None, str | None]


def _dumps(value: object) -> bytes:
    """Pickle, with the read-only mappings of the model (``MappingProxyType``) as dicts."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[MappingProxyType] = _reduce_mapping_proxy
    pickler.dump(value)
    return buffer.getvalue()


def _reduce_mapping_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _mapping_proxy, (dict(proxy),)


def _mapping_proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _chunk_error(number: int, error: InputError) -> _ChunkError:
    if type(error) is not InputError:  # a subclass would not come back as itself
        raise error
    return (number, error.message, error.location, error.hint, error.code)


def _raise_first(errors: list[_ChunkError]) -> None:
    if errors:
        _, message, location, hint, code = min(errors, key=lambda error: error[0])
        raise InputError(message, location, hint=hint, code=code)


class _Chunks:
    """The files cut into numbered chunks that two processes take in turn from a shared counter.

    Taking chunks rather than a fixed half each keeps both processes busy to the end when one
    is slowed down (other programs on the machine). The first two chunks are dealt out before
    the counter starts (chunk :data:`PARENT_FIRST` to this process, :data:`HELPER_FIRST` to the
    helper), so each process reads at least one chunk however the two are scheduled: which
    process reads which later chunk depends on timing, but never what is read. A process that
    meets an error takes no more and makes the other stop too: every chunk before it was taken
    already, so the first error in file order is among those the two processes report.
    """

    PARENT_FIRST = 0
    HELPER_FIRST = 1

    def __init__(self, inputs: Sequence[_Input], context: Any) -> None:
        size = max(1, min(32, len(inputs) // 64))
        self.inputs = inputs
        self.chunks = [inputs[start : start + size] for start in range(0, len(inputs), size)]
        self.starts = list(range(0, len(inputs), size))
        # There are always two chunks or more: the helper is started for two files or more.
        self.counter = context.Value("l", min(2, len(self.chunks)))

    def _take(self) -> int | None:
        with self.counter.get_lock():
            number: int = self.counter.value
            if number >= len(self.chunks):
                return None
            self.counter.value = number + 1
        return number

    def _stop(self) -> None:
        with self.counter.get_lock():
            self.counter.value = len(self.chunks)

    def add_files(
        self, max_file_bytes: int, progress: ProgressFunction | None, first: int
    ) -> tuple[list[tuple[int, _Collector]], list[_ChunkError]]:
        """Read chunk ``first`` (this process's own), then chunks from the counter until none is
        left: ``(number, collector)`` of each, and the error met."""
        done: list[tuple[int, _Collector]] = []
        number: int | None = first if first < len(self.chunks) else self._take()
        while number is not None:
            try:
                chunk = self.chunks[number]
                collector = _add_files(
                    chunk, max_file_bytes, None, progress, len(self.inputs), self.starts[number]
                )
            except InputError as error:
                self._stop()
                return done, [_chunk_error(number, error)]
            done.append((number, collector))
            number = self._take()
        return done, []


def _read_chunk_workloads(
    chunks: list[tuple[int, list[tuple[Field, str, str]]]],
    context: PodContext,
    hpas: dict[str, list[HorizontalPodAutoscaler]],
    mode: ReplicaMode,
) -> tuple[list[tuple[int, _ReadWorkloads]], list[_ChunkError]]:
    done: list[tuple[int, _ReadWorkloads]] = []
    for number, objects in chunks:
        try:
            done.append((number, _read_workloads(objects, context, hpas, mode)))
        except InputError as error:
            return done, [_chunk_error(number, error)]
    return done, []


class _Helper:
    """A forked process that loads files alongside this one, in two steps.

    1. Both processes read and compose chunks of files (:class:`_Chunks`). The helper sends
       back its collectors without their workload documents (their node trees stay there); the
       parent merges all of them in file order and builds the cluster-wide context
       (LimitRanges, HPAs, classes, namespaces).
    2. Given that context, each process reads the workloads of its own chunks; the helper sends
       each back with its warnings, and the parent puts them in file order.

    An :class:`InputError` in the helper is sent back and raised here as it was, so the first
    error in file order is the one reported, as when the files are read one after the other.
    """

    def __init__(self, inputs: Sequence[_Input], max_file_bytes: int) -> None:
        context = multiprocessing.get_context("fork")
        self._chunks = _Chunks(inputs, context)
        self._max_file_bytes = max_file_bytes
        self._objects: list[tuple[int, list[tuple[Field, str, str]]]] = []
        self._connection, child_connection = context.Pipe()
        self._process = context.Process(target=self._main, args=(child_connection,), daemon=True)
        self._process.start()
        child_connection.close()

    def __enter__(self) -> _Helper:
        return self

    def __exit__(self, *_: object) -> None:
        self._objects = []
        self._connection.close()  # the helper, if still waiting, sees EOF and exits
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _receive(self) -> Any:
        try:
            status, *payload = pickle.loads(self._connection.recv_bytes())
        except (EOFError, OSError):
            raise _HelperFailed from None
        if status != "ok":
            raise _HelperFailed
        return payload[0]

    def add_files(self, progress: ProgressFunction | None) -> _Collector:
        """Read this process's share of the files and merge everything in file order."""
        mine, errors = self._chunks.add_files(self._max_file_bytes, progress, _Chunks.PARENT_FIRST)
        theirs, their_errors = self._receive()
        _raise_first(errors + their_errors)
        if progress is not None:
            total = len(self._chunks.inputs)
            progress(total, total, "")
        merged = _Collector()
        for _, collector in sorted(mine + theirs, key=lambda numbered: numbered[0]):
            merged.merge(collector)
        self._objects = [(number, collector.workload_objects) for number, collector in mine]
        return merged

    def read_workloads(
        self, context: PodContext, hpas: dict[str, list[HorizontalPodAutoscaler]], mode: ReplicaMode
    ) -> _ReadWorkloads:
        """Every workload with its warnings, in file order, read in both processes."""
        self._connection.send_bytes(_dumps((context, dict(hpas), mode)))
        mine, errors = _read_chunk_workloads(self._objects, context, hpas, mode)
        self._objects = []  # free the node trees while the helper still works
        theirs, their_errors = self._receive()
        _raise_first(errors + their_errors)
        read: _ReadWorkloads = []
        for _, chunk in sorted(mine + theirs, key=lambda numbered: numbered[0]):
            read.extend(chunk)
        return read

    def _main(self, connection: Connection) -> None:
        """The helper's side; each reply is ``("ok", (results, errors))`` or ``("failed",)``."""
        reply: tuple[Any, ...]
        try:
            done, errors = self._chunks.add_files(self._max_file_bytes, None, _Chunks.HELPER_FIRST)
            kept = [(number, collector.workload_objects) for number, collector in done]
            for _, collector in done:
                collector.merged_workload_namespaces = [
                    namespace for _, _, namespace in collector.workload_objects
                ]
                collector.workload_objects = []
            connection.send_bytes(_dumps(("ok", (done, errors))))
            try:
                context, hpas, mode = pickle.loads(connection.recv_bytes())
                reply = ("ok", _read_chunk_workloads(kept, context, hpas, mode))
            except (EOFError, OSError):
                reply = ()  # the parent stopped (an error in its files): nothing to send
        except Exception:
            reply = ("failed",)
        try:
            if not reply:
                return
            try:
                message = _dumps(reply)
            except Exception:  # an unpicklable value: the parent reads serially
                message = _dumps(("failed",))
            connection.send_bytes(message)
        except OSError:
            pass  # the parent is gone
        finally:
            connection.close()
            # Exit now, without flushing standard streams a thread of the parent (a progress
            # display) may have held locked at the fork: nothing here writes to them.
            os._exit(0)
