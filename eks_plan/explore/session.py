"""A what-if session: one set of manifests, a configuration edited knob by knob, and every plan solved.

This is the whole of ``eks-plan explore`` without a user interface: the Textual screen, the line mode
and ``explore --set`` all drive the same :class:`Session`, so each of them does exactly what the
others do. Nothing here imports Rich or Textual.

How it works:

- The configuration is kept *as the file holds it* (``eks-plan.yaml``'s own keys). A knob edit
  (:mod:`eks_plan.explore.knobs`) changes that data and stays *pending* until the next solve; every
  edit is validated at once by the configuration loader (:func:`eks_plan.config.build_config`) and
  the catalogue's zones, so a bad value is refused with the loader's own message and the session
  keeps its last good state.
- :meth:`Session.solve` (or :meth:`prepare` / :meth:`run` / :meth:`commit`, which the TUI splits
  across a worker thread and its UI thread) builds the solver's problem exactly as ``eks-plan size``
  does (:func:`eks_plan.planning.build_loaded_cluster`), solves it with one solver worker less than
  the machine has cores, and keeps the plan, its configuration and the knobs that produced it in the
  history. A :class:`~eks_plan.solver.budget.CancelToken` stops a solve from another thread.
- Each plan is compared with the plan it was made from and with the first plan: nodes, $/month, pods
  placed and unschedulable, and, when subnets are configured, the fewest free addresses each subnet
  keeps over ``check-ips``'s scenarios (the IP headroom).
- :meth:`undo` drops the pending edits, or else returns to the plan the current one was made from;
  :meth:`reopen` makes any plan of the history current. :meth:`save_plan` writes the same JSON as
  ``size --plan-out``; :meth:`save_config` writes an ``eks-plan.yaml`` that reproduces the plan.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eks_plan.errors import InputError, SourceLocation
from eks_plan.explore.knobs import Data, apply_knob, knob_values, split_name

if TYPE_CHECKING:
    from eks_plan.catalog import Catalog
    from eks_plan.config.model import PlanConfig
    from eks_plan.manifests import ManifestSet
    from eks_plan.planning import LoadedCluster
    from eks_plan.solver.budget import CancelToken
    from eks_plan.solver.plan import Plan, SolveObserver


def default_workers() -> int:
    """Solver threads in a session: one less than the cores (at least one), so the UI keeps one."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True)
class Summary:
    """The figures a plan is compared on."""

    nodes: int
    cost_per_month: float
    cost_per_hour: float
    pods_placed: int
    pods_unschedulable: int
    gap: float
    status: str
    #: Per subnet (zone and CIDR), the fewest usable addresses it keeps free over check-ips's
    #: scenarios (steady state, growth to pool maximums, a lost zone); empty without subnets.
    ip_headroom: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes,
            "cost_per_month": self.cost_per_month,
            "cost_per_hour": self.cost_per_hour,
            "pods_placed": self.pods_placed,
            "pods_unschedulable": self.pods_unschedulable,
            "gap": self.gap,
            "status": self.status,
            "ip_headroom": dict(self.ip_headroom),
        }


@dataclass(frozen=True)
class PlanRecord:
    """One plan of the history: its number (1 is the first), the plan it was made from, the knob
    edits made since that plan, the configuration (file-shaped) and the plan document."""

    number: int
    parent: int | None
    edits: tuple[tuple[str, str], ...]
    data: Data
    knobs: Mapping[str, str]
    document: Mapping[str, Any]
    summary: Summary
    ip_note: str = ""
    plan: Plan | None = field(default=None, compare=False, repr=False)
    planning: LoadedCluster | None = field(default=None, compare=False, repr=False)

    @property
    def title(self) -> str:
        edits = ", ".join(f"{name}={value}" for name, value in self.edits)
        origin = f" from #{self.parent}" if self.parent is not None else ""
        return f"plan #{self.number}{origin}" + (f": {edits}" if edits else "")


@dataclass(frozen=True)
class SolveRequest:
    """A snapshot of what to solve: the edited configuration and the edits, taken on the UI thread."""

    data: Data
    config: PlanConfig
    edits: tuple[tuple[str, str], ...]
    parent: int | None


def _delta(current: Summary, other: Summary) -> dict[str, Any]:
    subnets = sorted(set(current.ip_headroom) | set(other.ip_headroom))
    return {
        "nodes": current.nodes - other.nodes,
        "cost_per_month": round(current.cost_per_month - other.cost_per_month, 2),
        "cost_per_month_percent": (
            round(100 * (current.cost_per_month - other.cost_per_month) / other.cost_per_month, 2)
            if other.cost_per_month
            else None
        ),
        "pods_placed": current.pods_placed - other.pods_placed,
        "pods_unschedulable": current.pods_unschedulable - other.pods_unschedulable,
        "ip_headroom": {
            subnet: current.ip_headroom[subnet] - other.ip_headroom[subnet]
            for subnet in subnets
            if subnet in current.ip_headroom and subnet in other.ip_headroom
        },
    }


def knob_changes(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, list[str]]:
    """Knobs whose value differs, as ``{knob: [before, after]}``."""
    return {
        name: [before.get(name, "-"), after.get(name, "-")]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


class Session:
    """A what-if session over one set of manifests (see the module docstring).

    Build it with :meth:`open`; the constructor takes already-loaded parts for tests.
    """

    def __init__(
        self,
        paths: Sequence[str],
        data: Data,
        catalog: Catalog,
        *,
        include: Sequence[str] = (),
        time_limit_seconds: float = 30.0,
        workers: int | None = None,
        seed: int = 0,
        max_file_bytes: int | None = None,
        base_dir: Path | None = None,
        config_source: str | None = None,
    ) -> None:
        self.paths = tuple(paths)
        self.include = tuple(include)
        self.time_limit_seconds = time_limit_seconds
        self.workers = workers or default_workers()
        self.seed = seed
        self.max_file_bytes = max_file_bytes
        self.catalog = catalog
        self.base_dir = base_dir or Path(".")
        self.config_source = config_source
        self.history: list[PlanRecord] = []
        self.current: int | None = None  # index into history
        self.pending: list[tuple[str, str]] = []
        self.saved = True  # no plan yet that is not on disk
        self._base_data = copy.deepcopy(data)
        self._pending_data = copy.deepcopy(data)
        self._manifests: dict[str, ManifestSet] = {}
        self._lock = threading.Lock()
        self.validate(self._base_data)  # the starting point must itself be valid

    # --- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        paths: Sequence[str],
        *,
        config_path: str | Path | None = None,
        include: Sequence[str] = (),
        time_limit_seconds: float = 30.0,
        workers: int | None = None,
        seed: int = 0,
        max_file_bytes: int | None = None,
    ) -> Session:
        """A session on these manifests and this ``eks-plan.yaml`` (``None``: ./eks-plan.yaml if
        present, else the defaults). The file is loaded (and refused) exactly as ``eks-plan size``
        loads it; manifests are read from files and directories (standard input is for commands)."""
        from eks_plan.catalog import load_catalog
        from eks_plan.config import find_config_file, load_config

        if any(str(path) == "-" for path in paths):
            raise InputError(
                "explore reads manifests from files or directories, not '-'",
                hint="write them to a file first (helm template ... > rendered.yaml); "
                "standard input carries explore's commands",
            )
        if not paths:
            raise InputError(
                "explore needs manifest files or directories", hint="eks-plan explore manifests/"
            )
        config = load_config(config_path)  # every problem of the file, with file:line
        path = Path(config_path) if config_path is not None else find_config_file()
        data = _file_data(path) if path is not None else {}
        base_dir = path.parent if path is not None else Path(".")
        data = _materialised(data, config, base_dir)
        return cls(
            [str(p) for p in paths],
            data,
            load_catalog(),
            include=include,
            time_limit_seconds=time_limit_seconds,
            workers=workers,
            seed=seed,
            max_file_bytes=max_file_bytes,
            base_dir=base_dir,
            config_source=config.source,
        )

    # --- knobs ---------------------------------------------------------------------------------

    def validate(self, data: Data) -> PlanConfig:
        """The configuration of ``data``, checked by the loader's rules and the catalogue's zones; an
        :class:`InputError` (the loader's message) when it breaks one."""
        from eks_plan.config import build_config, validate_zones

        config = build_config(data, source=None, base_dir=self.base_dir)
        validate_zones(config, self.catalog.zones(config.region))
        return config

    @property
    def data(self) -> Data:
        """The configuration with the pending edits (file-shaped; a copy)."""
        return copy.deepcopy(self._pending_data)

    @property
    def current_record(self) -> PlanRecord | None:
        return None if self.current is None else self.history[self.current]

    def knob_values(self, pending: bool = True) -> dict[str, str]:
        """Every knob's value, with the pending edits (or as the current plan had them)."""
        if pending or self.current_record is None:
            return knob_values(self._pending_data)
        return dict(self.current_record.knobs)

    def pending_knobs(self) -> dict[str, list[str]]:
        """Knobs the pending edits change, ``{knob: [current plan's value, pending value]}``."""
        return knob_changes(self.knob_values(pending=False), self.knob_values(pending=True))

    def set(self, name: str, value: str) -> None:
        """Set ``[POOL.]KNOB`` to ``value`` as a pending edit; refused (InputError, the loader's
        message, nothing changed) when the edited configuration breaks a rule."""
        split_name(name)  # unknown knob: its own message
        edited = apply_knob(self._pending_data, name, value)
        self.validate(edited)
        self._pending_data = edited
        self.pending.append((name.strip(), value.strip()))

    def set_many(self, assignments: Sequence[tuple[str, str]]) -> None:
        """Set several knobs at once, validated together (so their order does not matter: spot
        capacity and its spot discount may come in either order); nothing changes if refused."""
        edited = self._pending_data
        for name, value in assignments:
            split_name(name)
            edited = apply_knob(edited, name, value)
        self.validate(edited)
        self._pending_data = edited
        self.pending.extend((name.strip(), value.strip()) for name, value in assignments)

    # --- solving -------------------------------------------------------------------------------

    def prepare(self) -> SolveRequest:
        """What the next solve will solve (the pending edits on the current plan's configuration)."""
        config = self.validate(self._pending_data)
        parent = self.current_record.number if self.current_record is not None else None
        return SolveRequest(copy.deepcopy(self._pending_data), config, tuple(self.pending), parent)

    def _manifests_for(self, config: PlanConfig) -> ManifestSet:
        from eks_plan.manifests import load_manifests

        key = str(config.replicas)
        with self._lock:
            if key not in self._manifests:
                options: dict[str, Any] = {"include": self.include, "replicas": config.replicas}
                if self.max_file_bytes is not None:
                    options["max_file_bytes"] = self.max_file_bytes
                self._manifests[key] = load_manifests(list(self.paths), **options)
            return self._manifests[key]

    def run(
        self, request: SolveRequest, observer: SolveObserver | None = None, cancel: CancelToken | None = None
    ) -> PlanRecord:
        """Solve a request and return its record, numbered as the next plan; the session itself is
        not changed (call :meth:`commit`), so this may run in a worker thread. Raises
        :class:`~eks_plan.solver.budget.Cancelled` when ``cancel`` is cancelled."""
        from eks_plan.planning import build_loaded_cluster
        from eks_plan.report.size import plan_file_data
        from eks_plan.solver import solve
        from eks_plan.solver.plan import NullObserver
        from eks_plan.solver.problem import SolveOptions

        observer = observer or NullObserver()
        config = request.config
        observer.on_phase("loading manifests")
        manifests = self._manifests_for(config)
        if cancel is not None:
            cancel.raise_if_cancelled()
        observer.on_phase("building the model")
        planning = build_loaded_cluster(manifests, config, self.catalog)
        if not planning.problem.node_options:
            raise InputError(
                f"no instance type is left after the node pools' filters in {config.region} "
                f"({', '.join(config.zones)})",
                hint="widen families, categories or arch",
            )
        plan = solve(
            planning.problem,
            SolveOptions(
                time_limit_seconds=self.time_limit_seconds,
                workers=self.workers,
                seed=self.seed,
                cancel=cancel,
            ),
            observer,
        )
        document = plan_file_data(plan, planning, config)
        headroom, ip_note = self._ip_headroom(document, config)
        summary = _summary(document, headroom)
        return PlanRecord(
            number=len(self.history) + 1,
            parent=request.parent,
            edits=request.edits,
            data=request.data,
            knobs=knob_values(request.data),
            document=document,
            summary=summary,
            ip_note=ip_note,
            plan=plan,
            planning=planning,
        )

    def commit(self, record: PlanRecord) -> PlanRecord:
        """Add a solved plan to the history and make it current. The edits it was solved with are
        done; edits made while it was solving (the TUI allows them) stay pending on top of it."""
        record = _renumbered(record, len(self.history) + 1)
        done = list(record.edits)
        later = self.pending[len(done) :] if self.pending[: len(done)] == done else []
        data = copy.deepcopy(record.data)
        kept = []
        for name, value in later:
            try:
                edited = apply_knob(data, name, value)
                self.validate(edited)
            except InputError:
                continue  # no longer valid on the new plan's configuration
            data = edited
            kept.append((name, value))
        self.history.append(record)
        self.current = len(self.history) - 1
        self._pending_data = data
        self.pending = kept
        self.saved = False
        return record

    def solve(self, observer: SolveObserver | None = None, cancel: CancelToken | None = None) -> PlanRecord:
        """Solve with the pending edits and make the plan current (all three steps in this thread)."""
        return self.commit(self.run(self.prepare(), observer, cancel))

    def _ip_headroom(self, document: Mapping[str, Any], config: PlanConfig) -> tuple[dict[str, int], str]:
        """Per subnet, the fewest free addresses over check-ips's scenarios, or why it is unknown."""
        if not config.subnets:
            return {}, ""
        from eks_plan.network.check import check_ips, validate_inputs
        from eks_plan.network.inputs import subnets_from_config
        from eks_plan.network.ipamd import NodeNetworkLimits
        from eks_plan.network.plan_input import plan_to_cluster

        def limits_of(name: str, node_max_pods: int) -> NodeNetworkLimits:
            return NodeNetworkLimits.of(self.catalog.lookup(name), node_max_pods)

        try:
            cluster, plan_cni = plan_to_cluster(dict(document), limits_of, source="the plan")
            cni = plan_cni or config.cni.ipamd_settings()
            subnets = subnets_from_config(config)
            validate_inputs(cluster, subnets, cni, self.catalog.zones(config.region))
            report = check_ips(cluster, subnets, cni)
        except InputError as error:
            return {}, f"IP headroom not computed: {error}"
        headroom: dict[str, int] = {}
        for scenario in report.scenarios:
            for usage in scenario.usages:
                label = usage.subnet.label
                headroom[label] = min(headroom.get(label, usage.free), usage.free)
        return headroom, ""

    # --- history -------------------------------------------------------------------------------

    def record(self, number: int) -> PlanRecord:
        """Plan ``number`` of the history (1 is the first)."""
        if not 1 <= number <= len(self.history):
            raise InputError(
                f"there is no plan #{number}",
                hint=f"plans #1 to #{len(self.history)}" if self.history else "solve first",
            )
        return self.history[number - 1]

    def undo(self) -> str:
        """Drop the pending edits if there are any, else return to the plan the current one was made
        from (its knobs become the current ones). Says what it did."""
        if self.pending:
            count = len(self.pending)
            self.pending = []
            record = self.current_record
            self._pending_data = copy.deepcopy(record.data if record else self._base_data)
            return f"dropped {count} pending edit{'s' if count != 1 else ''}"
        record = self.current_record
        if record is None or record.parent is None:
            raise InputError("nothing to undo", hint="this is the first plan")
        return self.reopen(record.parent, verb="back to")

    def reopen(self, number: int, verb: str = "reopened") -> str:
        """Make plan ``number`` current again (pending edits are dropped)."""
        record = self.record(number)
        self.current = number - 1
        self.pending = []
        self._pending_data = copy.deepcopy(record.data)
        return f"{verb} {record.title}"

    def comparison(self) -> dict[str, Any]:
        """The current plan against the plan it was made from and against the first plan: each
        plan's figures, the differences, and the knobs that differ (plain data for ``-o json``)."""
        record = self.current_record
        if record is None:
            raise InputError("no plan yet", hint="solve first")
        result: dict[str, Any] = {
            "current": {
                "plan": record.number,
                "edits": [list(edit) for edit in record.edits],
                **record.summary.as_dict(),
            },
        }
        if record.ip_note:
            result["current"]["ip_note"] = record.ip_note
        for key, number in (("previous", record.parent), ("first", 1 if self.history else None)):
            if number is None:
                result[key] = None
                continue
            other = self.record(number)
            result[key] = {
                "plan": other.number,
                **other.summary.as_dict(),
                "change": _delta(record.summary, other.summary),
                "knobs_changed": knob_changes(other.knobs, record.knobs),
            }
        return result

    # --- saving --------------------------------------------------------------------------------

    def save_plan(self, path: str | Path) -> Path:
        """Write the current plan as ``size --plan-out`` writes it (JSON, atomically)."""
        record = self._need_plan()
        path = Path(path)
        write_atomically(path, json.dumps(record.document, indent=2, sort_keys=False) + "\n")
        self.saved = True
        return path

    def config_text(self) -> str:
        """The current plan's configuration as a commented ``eks-plan.yaml`` that reproduces it."""
        import yaml

        record = self._need_plan()
        lines = [
            "# eks-plan.yaml written by `eks-plan explore`: the configuration of "
            + record.title.replace("\n", " "),
            f"# Reproduce the plan: eks-plan size -c THIS_FILE {' '.join(self.paths)} {self.solver_flags}",
            "# Check it: eks-plan schema --validate THIS_FILE; every key: eks-plan schema -o table",
        ]
        body = yaml.safe_dump(
            dict(record.data), sort_keys=False, default_flow_style=False, allow_unicode=True
        )
        return "\n".join(lines) + "\n" + body

    def save_config(self, path: str | Path) -> Path:
        """Write :meth:`config_text` atomically."""
        path = Path(path)
        write_atomically(path, self.config_text())
        self.saved = True
        return path

    def export_text(
        self, target: str, cluster: str | None = None, terraform_format: str | None = None
    ) -> str:
        """The current plan exported as ``eks-plan export --to TARGET`` exports it (eksctl, karpenter
        or terraform; Terraform as HCL, or ``json`` for ``.tf.json``)."""
        from eks_plan.export import ExportTarget, TerraformFormat, export_text

        record = self._need_plan()
        try:
            chosen = ExportTarget(target)
        except ValueError:
            raise InputError(
                f"cannot export to '{target}'", hint=f"use one of {', '.join(t.value for t in ExportTarget)}"
            ) from None
        return export_text(
            dict(record.document),
            chosen,
            cluster=cluster,
            terraform_format=TerraformFormat(terraform_format or TerraformFormat.HCL),
            source=f"plan #{record.number}",
        )

    def export(
        self, path: str | Path, target: str | None = None, cluster: str | None = None
    ) -> tuple[Path, str]:
        """Write the current plan's export atomically; the target comes from ``target`` or the file
        name (``*.tf`` / ``*.tf.json`` Terraform, ``*karpenter*`` Karpenter, other ``.yaml`` eksctl).
        Returns the path and the target used."""
        path = Path(path)
        name = path.name.lower()
        terraform_format = "json" if name.endswith(".tf.json") else None
        if target is None:
            if name.endswith((".tf", ".tf.json")):
                target = "terraform"
            elif "karpenter" in name and name.endswith((".yaml", ".yml")):
                target = "karpenter"
            elif name.endswith((".yaml", ".yml")):
                target = "eksctl"
            else:
                raise InputError(
                    f"cannot tell the export target from the file name {path.name}",
                    hint="export eksctl|karpenter|terraform PATH, or a file *.tf, *karpenter*.yaml, *.yaml",
                )
        write_atomically(path, self.export_text(target, cluster, terraform_format))
        return path, target

    @property
    def solver_flags(self) -> str:
        """The ``eks-plan size`` flags that solve as this session does (the same plan needs them)."""
        return f"--time-limit {self.time_limit_seconds:g} --workers {self.workers} --seed {self.seed}"

    def _need_plan(self) -> PlanRecord:
        record = self.current_record
        if record is None:
            raise InputError("no plan yet", hint="solve first")
        return record


def _renumbered(record: PlanRecord, number: int) -> PlanRecord:
    if record.number == number:
        return record
    import dataclasses

    return dataclasses.replace(record, number=number)


def _summary(document: Mapping[str, Any], headroom: Mapping[str, int]) -> Summary:
    workloads = document.get("workloads", {})
    node_pods = sum(
        count
        for node in document.get("nodes", [])
        for key, count in node.get("pods", {}).items()
        if workloads.get(key, {}).get("kind") != "DaemonSet"
    )
    fargate_pods = sum(item["count"] for item in document.get("fargate", {}).get("pods", []))
    return Summary(
        nodes=int(document["node_count"]),
        cost_per_month=float(document["cost_per_month"]),
        cost_per_hour=float(document["cost_per_hour"]),
        pods_placed=node_pods + fargate_pods,
        pods_unschedulable=sum(item["count"] for item in document.get("unschedulable", [])),
        gap=float(document["gap"]),
        status=str(document["status"]),
        ip_headroom=dict(sorted(headroom.items())),
    )


def _file_data(path: Path) -> Data:
    """The plain data of an ``eks-plan.yaml`` that :func:`load_config` has already accepted."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return dict(data) if isinstance(data, dict) else {}


def _materialised(data: Data, config: PlanConfig, base_dir: Path) -> Data:
    """The file's data with what knobs edit made explicit: the node pools (the default pool when the
    file has none) and an absolute spot price file (so a saved copy works from any directory)."""
    data = copy.deepcopy(data)
    if "nodePools" not in data:
        data["nodePools"] = config.to_dict()["nodePools"]
    spot_file = data.get("pricing", {}).get("spotPriceFile")
    if spot_file:
        data["pricing"]["spotPriceFile"] = str((base_dir / spot_file).resolve())
    return data


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (:func:`eks_plan.files.write_atomically`), after
    saying plainly when the path is a directory or its directory does not exist."""
    from eks_plan.files import write_atomically as write

    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError("cannot write the file: it is a directory", SourceLocation(str(path)))
    if not directory.is_dir():
        raise InputError(
            f"cannot write the file: the directory {directory} does not exist",
            SourceLocation(str(path)),
            hint=f"create it: mkdir -p {directory}",
        )
    write(path, text)
