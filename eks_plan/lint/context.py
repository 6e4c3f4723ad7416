"""What every lint rule reads: the loaded manifests, the plan configuration, the located objects,
and (lazily, only for the rules that need them) the instance types the pools allow and the plan.

The manifest loader reduces each object to what the planner needs; some rules need more (an HPA's
metrics, a PDB's ``maxUnavailable`` key, the ``eks-plan.io/ignore`` annotation). Those read the
object itself, re-parsed with positions from the file (:attr:`LintContext.objects`), only for
documents of the kinds eks-plan reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eks_plan.errors import InputError, SourceLocation
from eks_plan.manifests.fields import Field
from eks_plan.manifests.model import WORKLOAD_KINDS, ManifestSet, Workload

if TYPE_CHECKING:
    from eks_plan.config.model import PlanConfig
    from eks_plan.lint.registry import Rule
    from eks_plan.lint.suppress import Suppression
    from eks_plan.network.check import CheckReport
    from eks_plan.planning import SizeResult
    from eks_plan.solver.problem import NodeOption

#: The kinds whose documents lint re-reads with positions.
OBJECT_KINDS = WORKLOAD_KINDS | {"HorizontalPodAutoscaler", "PodDisruptionBudget"}


@dataclass(frozen=True, slots=True)
class ObjectDocument:
    """One Kubernetes object of a manifest file, with its node tree and its line range."""

    kind: str
    namespace: str
    name: str
    root: Field
    first_line: int
    last_line: int

    @property
    def file(self) -> str:
        return self.root.document.filename

    @property
    def key(self) -> str:
        """``Kind/namespace/name``, as :attr:`Workload.key`."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    def contains(self, location: SourceLocation) -> bool:
        return location.file == self.file and self.first_line <= location.line <= self.last_line

    def pod_template(self) -> Field:
        """The pod template of a workload (``spec.template``; a CronJob's is under ``jobTemplate``)."""
        spec = self.root.child("spec")
        if self.kind == "Pod":
            return self.root
        if self.kind == "CronJob":
            return spec.get("jobTemplate", "spec", "template")
        return spec.child("template")


@dataclass(frozen=True, slots=True)
class LintOptions:
    """How one lint run is set up (the ``eks-plan lint`` flags, after the config's ``lint:`` section)."""

    run_plan: bool = True
    time_limit_seconds: float = 30.0
    max_monthly_cost: float | None = None
    workers: int = 2
    min_free_fraction: float = 0.10


@dataclass
class LintContext:
    """Everything rules read; built once per run by :func:`eks_plan.lint.engine.lint_paths`.

    ``input_errors`` are the errors that stopped the loader on a file, with the input rule each
    belongs to (those files are left out of ``manifests``); ``file_paths`` maps the name a file is
    shown by to its path (``None`` for standard input, whose text is in ``texts``).
    """

    config: PlanConfig
    manifests: ManifestSet
    options: LintOptions = field(default_factory=LintOptions)
    file_paths: Mapping[str, Path | None] = field(default_factory=dict)
    input_errors: list[tuple[str, InputError]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    #: The ``eks-plan.io/ignore`` entries, with their use counts, once the other rules have run.
    suppressions: list[Suppression] = field(default_factory=list)
    #: The rules this run selected.
    rules: tuple[Rule, ...] = ()
    _objects: list[ObjectDocument] | None = None
    _lines: dict[str, list[str]] = field(default_factory=dict)
    _node_options: tuple[NodeOption, ...] | None = None
    _size_result: SizeResult | None = None
    _subnet_check: CheckReport | None = None

    # -- files and objects ------------------------------------------------------------------------

    def text(self, file: str) -> str:
        """The text of an input file ("" when it cannot be read)."""
        if file not in self.texts:
            path = self.file_paths.get(file) if file in self.file_paths else Path(file)
            try:
                self.texts[file] = "" if path is None else path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self.texts[file] = ""
        return self.texts[file]

    def line(self, location: SourceLocation) -> str:
        """The source line at a location ("" when unknown)."""
        if location.line <= 0:
            return ""
        lines = self._lines.get(location.file)
        if lines is None:
            lines = self._lines[location.file] = self.text(location.file).splitlines()
        return lines[location.line - 1] if location.line <= len(lines) else ""

    @property
    def objects(self) -> list[ObjectDocument]:
        """Every object of the kinds lint re-reads (:data:`OBJECT_KINDS`), in file order."""
        if self._objects is None:
            self._objects = []
            for file in self.manifests.files:
                if file in self.file_paths or file in self.texts:
                    self._objects.extend(_read_objects(file, self.text(file)))
        return self._objects

    def objects_of_kind(self, *kinds: str) -> Iterator[ObjectDocument]:
        return (item for item in self.objects if item.kind in kinds)

    def object_of(self, workload: Workload) -> ObjectDocument | None:
        """The located object a workload was read from."""
        for item in self.objects:
            if item.key == workload.key and item.contains(workload.source):
                return item
        return None

    # -- what the pools allow ------------------------------------------------------------------------

    @property
    def node_options(self) -> tuple[NodeOption, ...]:
        """Every kind of node the configured pools may buy (type, zone, capacity type), with the
        allocatable left after DaemonSets and add-ons, as the solver sees them."""
        if self._node_options is None:
            from eks_plan.catalog import load_catalog
            from eks_plan.planning import DaemonSetLoad, default_addon_loads, node_options_for_config

            # The DaemonSets as build_loaded_cluster counts them: the EKS add-ons, then the manifests'.
            daemonsets = default_addon_loads(self.config) + tuple(
                DaemonSetLoad(workload.key, workload.pod) for workload in self.manifests.daemonsets
            )
            self._node_options = node_options_for_config(self.config, load_catalog(), daemonsets=daemonsets)
        return self._node_options

    # -- the plan ------------------------------------------------------------------------------------------

    def size(self) -> SizeResult:
        """The solver's plan for these manifests and this config, solved once within
        ``options.time_limit_seconds``. A config the planner refuses (zones outside the region, no
        instance type left) raises :class:`InputError`: linting stops with exit code 2."""
        if self._size_result is None:
            from eks_plan.lint.planrun import solve_for_lint

            self._size_result = solve_for_lint(self)
        return self._size_result

    def subnet_check(self) -> CheckReport | None:
        """The IP check of the plan against ``subnets:`` (``None`` without subnets), run once."""
        if self._subnet_check is None and self.config.subnets:
            from eks_plan.lint.planrun import check_subnets

            self._subnet_check = check_subnets(self)
        return self._subnet_check


def _read_objects(file: str, text: str) -> list[ObjectDocument]:
    from eks_plan.manifests.loader import sniff_kind, split_documents
    from eks_plan.manifests.yaml_source import YamlDocument, parse_yaml_documents

    documents: list[YamlDocument] = []
    try:
        if text.lstrip().startswith(("{", "[")):
            documents = parse_yaml_documents(text, file)
        else:
            for offset, part in split_documents(text):
                kind = sniff_kind(part)
                if kind is not None and kind not in OBJECT_KINDS and not kind.endswith("List"):
                    continue
                documents.extend(parse_yaml_documents(part, file, line_offset=offset, lazy=True))
    except InputError:
        return []  # the loader read this file, so this is JSON YAML refuses: no positions to offer
    found: list[ObjectDocument] = []
    for document in documents:
        _add_object(document, found)
    return found


def _add_object(document: Any, found: list[ObjectDocument]) -> None:
    from eks_plan.manifests.yaml_source import MappingNode, SequenceNode

    root = Field.root(document)
    if type(root.node) is not MappingNode:
        return
    kind = root.child("kind").value
    if not isinstance(kind, str):
        return
    items = root.child("items").node
    if kind.endswith("List") and isinstance(items, SequenceNode):
        for index in range(len(items.value)):
            _add_object(document.at(("items", index)), found)
        return
    if kind not in OBJECT_KINDS:
        return
    metadata = root.child("metadata")
    node = root.node
    assert node is not None  # a mapping, checked above
    # Composed nodes keep where they start, not where they end (the loader's compact nodes): the
    # object's last line is the last line any of its nodes starts on.
    first = node.line + 1 + document.line_offset
    last = _last_line(node) + 1 + document.line_offset
    found.append(
        ObjectDocument(
            kind=kind,
            namespace=_text(metadata.child("namespace").value) or "default",
            name=_text(metadata.child("name").value) or _text(metadata.child("generateName").value),
            root=root,
            first_line=first,
            last_line=max(first, last),
        )
    )


def _last_line(node: Any) -> int:
    """The 0-based line of the last node that starts within ``node`` (itself included)."""
    from eks_plan.manifests.yaml_source import MappingNode, SequenceNode

    last, stack = node.line, [node]
    while stack:
        current = stack.pop()
        last = max(last, current.line)
        if type(current) is MappingNode:
            stack.extend(part for pair in current.value for part in pair)
        elif type(current) is SequenceNode:
            stack.extend(current.value)
    return last


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def sequence_of(values: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: a list in words for messages."""
    if len(values) <= 1:
        return "".join(values)
    return f"{', '.join(values[:-1])} and {values[-1]}"
