"""``eks-plan diff``: what a change to the manifests does to the cluster's cost, node by node.

Each side is a plan file (``eks-plan size --plan-out``) or manifests, which are sized here with the
same configuration, catalogue, seed and time limit on both sides. When both sides are manifests
whose solver problems are identical (same pods, same rules, same node options), the head reuses
the base's plan: the same input is the same plan, so an unchanged pull request shows a zero diff
every time, whatever the machine's speed.

**Which workload changes drive the cost** (both sides manifests): a change is one workload (or
DaemonSet) added, removed, or with different replicas or pod spec. Each change's share is its
Shapley value over the optimum of the solver's linear relaxation (the LP behind the proven lower
bound, :func:`eks_plan.solver.bound.lp_bound`): the average, over orders of applying the changes to
the base, of what the change adds to the relaxation's cost. Why this: the LP is solved exactly and
deterministically in a fraction of a second, unlike a time-limited integer search whose noise (a
few percent) would swamp a small change; Shapley values add up exactly to the relaxation's change
and do not depend on an arbitrary order; and interactions (two workloads sharing a node) are split
evenly rather than given to whichever came first. With up to :data:`EXACT_CHANGES` changes every
subset is solved; beyond that, :data:`SAMPLED_PERMUTATIONS` seeded orders (each with its reverse)
are averaged, which still adds up exactly. What the relaxation cannot see (whole nodes, zone
balance, the search's gap) is reported as one remainder, never spread over the workloads. Fargate
pods are priced per pod, so their cost change is given to their workload directly.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eks_plan.errors import InputError, SourceLocation
from eks_plan.plan.document import PlanDocument, PlanNodeGroup, PlanRequests

if TYPE_CHECKING:
    from eks_plan.catalog import Catalog
    from eks_plan.config.model import PlanConfig
    from eks_plan.manifests import ManifestSet, Workload
    from eks_plan.planning import LoadedCluster
    from eks_plan.solver.plan import SolveObserver

#: Up to this many changes, the Shapley values are exact (every subset's LP is solved).
EXACT_CHANGES = 6
#: Beyond that: this many seeded orders of the changes, each also taken in reverse.
SAMPLED_PERMUTATIONS = 4


@dataclass
class Side:
    """One side of the diff: its plan document, and for manifests what was sized."""

    label: str
    document: PlanDocument | None
    manifests: ManifestSet | None = None
    planning: LoadedCluster | None = None


@dataclass(frozen=True)
class DiffOptions:
    """How both sides are sized: the same for both, as a fair comparison needs."""

    config_path: str | Path | None = None
    include: tuple[str, ...] = ()
    time_limit_seconds: float = 30.0
    workers: int = 2
    seed: int = 0
    max_file_bytes: int | None = None


@dataclass
class _Context:
    config: PlanConfig
    catalog: Catalog
    options: DiffOptions
    observer: SolveObserver | None = None
    temporary: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)


def read_plan_document(path: Path) -> PlanDocument | None:
    """The plan document in ``path``, or ``None`` when the file is not a plan (a manifest); a file
    that looks like a plan but breaks the plan schema is an input error naming the key."""
    if path.suffix != ".json" or not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON: {error.msg}", SourceLocation(str(path), error.lineno, error.colno)
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the file: {error}", SourceLocation(str(path))) from None
    if isinstance(document, dict) and "node_groups" in document and "nodes" in document:
        from eks_plan.plan import validate_plan

        validate_plan(document, str(path))
        return PlanDocument.from_dict(document)
    return None


def checkout_ref(ref: str, paths: Sequence[str], into: Path) -> list[str]:
    """The ``paths`` as they are at git ``ref`` (``git archive``), extracted under ``into``; the
    returned paths point into ``into``. Errors name the ref and what to do."""
    result: list[str] = []
    for given in paths:
        path = Path(given).resolve()
        start = path if path.is_dir() else path.parent
        top = _git(["rev-parse", "--show-toplevel"], start, ref).strip()
        relative = path.relative_to(Path(top).resolve()).as_posix() if path != Path(top).resolve() else "."
        archive = into / f"{len(result)}.tar"
        _git(["archive", "--format=tar", f"--output={archive}", ref, "--", relative], Path(top), ref)
        target = into / str(len(result))
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        result.append(str(target / relative))
    return result


def _git(arguments: list[str], cwd: Path, ref: str) -> str:
    try:
        run = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        raise InputError(f"--base-ref needs git: {error.strerror}") from None
    if run.returncode != 0:
        message = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "git failed"
        raise InputError(
            f"--base-ref {ref}: {message}",
            hint="give a ref of the repository the manifests are in (e.g. origin/main)",
        )
    return run.stdout


def _load(paths: Sequence[str], context: _Context) -> tuple[ManifestSet, LoadedCluster]:
    from eks_plan.manifests import load_manifests
    from eks_plan.planning import build_loaded_cluster

    options: dict[str, Any] = {"include": context.options.include, "replicas": context.config.replicas}
    if context.options.max_file_bytes is not None:
        options["max_file_bytes"] = context.options.max_file_bytes
    manifests = load_manifests(list(paths), **options)
    return manifests, build_loaded_cluster(manifests, context.config, context.catalog)


def _solve(planning: LoadedCluster, context: _Context) -> Any:
    from eks_plan.solver import solve
    from eks_plan.solver.problem import SolveOptions

    if not planning.problem.node_options:
        raise InputError(
            "no instance type is left after the node pools' filters",
            context.config.location_of("nodePools"),
            hint="widen nodePools[].instances or check the region",
        )
    options = context.options
    solve_options = SolveOptions(
        time_limit_seconds=options.time_limit_seconds, workers=options.workers, seed=options.seed
    )
    if context.observer is not None:
        return solve(planning.problem, solve_options, context.observer)
    return solve(planning.problem, solve_options)


def diff(
    base: Sequence[str],
    head: Sequence[str],
    options: DiffOptions = DiffOptions(),
    *,
    base_ref: str | None = None,
    observer: SolveObserver | None = None,
) -> dict[str, Any]:
    """Size both sides (or read their plan files) and compare them: the report as plain data."""
    from eks_plan.catalog import load_catalog
    from eks_plan.config import load_config
    from eks_plan.config.checks import validate_zones
    from eks_plan.plan.build import build_plan_document

    config = load_config(options.config_path)
    catalog = load_catalog()
    validate_zones(config, catalog.zones(config.region))
    context = _Context(config, catalog, options, observer)
    with tempfile.TemporaryDirectory(prefix="eks-plan-diff-") as scratch:
        if base_ref is not None:
            base = checkout_ref(base_ref, head, Path(scratch))
        sides: list[Side] = []
        loaded: list[tuple[ManifestSet, LoadedCluster] | None] = []
        for label, paths in (("base", base), ("head", head)):
            document = read_plan_document(Path(paths[0])) if len(paths) == 1 else None
            if document is not None:
                sides.append(Side(f"{label}: {paths[0]}", document))
                loaded.append(None)
            else:
                loaded.append(_load(paths, context))
                sides.append(Side(f"{label}: {' '.join(map(str, paths))}", None))
        plans: list[Any] = [None, None]
        for index, item in enumerate(loaded):
            if item is None:
                continue
            manifests, planning = item
            other = loaded[1 - index]
            if (
                index == 1
                and other is not None
                and other[1].problem == planning.problem
                and plans[0] is not None
            ):
                plans[1] = plans[0]  # the same problem: the same plan (see the module docstring)
            else:
                if observer is not None:
                    observer.on_phase(f"sizing the {('base', 'head')[index]}")
                plans[index] = _solve(planning, context)
            sides[index].document = build_plan_document(plans[index], planning, config)
            sides[index].manifests, sides[index].planning = manifests, planning
        if base_ref is not None:
            sides[0].label = f"base: {base_ref}"
        return compare(sides[0], sides[1], context)


# --- comparison -------------------------------------------------------------------------------


def _money(value: float) -> str:
    """Infracost writes decimals as strings: ``"1361.3075"``."""
    return f"{value:.4f}"


def _group_key(row: PlanNodeGroup) -> tuple[str, str, str, str]:
    return (row.pool, row.instance_type, row.zone, row.capacity_type)


def _plan(side: Side) -> PlanDocument:
    assert side.document is not None, "every side is sized or read before the comparison"
    return side.document


def compare(base: Side, head: Side, context: _Context | None = None) -> dict[str, Any]:
    """The diff report of two sides (see the README for its fields)."""
    past, now = _plan(base), _plan(head)
    hours = float((now.cost_per_month or 0) / now.cost_per_hour) if now.cost_per_hour else 730.0
    past_hour, now_hour = float(past.cost_per_hour or 0), float(now.cost_per_hour or 0)
    past_month, now_month = float(past.cost_per_month or 0), float(now.cost_per_month or 0)
    change = now_month - past_month
    percent = (change / past_month * 100) if past_month else (0.0 if not change else None)

    groups = _node_group_changes(past, now)
    workloads = _workload_changes(base, head)
    unschedulable = _unschedulable_changes(past, now)
    attribution = _attribution(base, head, workloads, hours, context)
    subnets = _subnet_headroom(past, now, context) if context is not None else []
    changed = bool(
        abs(change) >= 0.005
        or any(group["status"] != "unchanged" for group in groups)
        or workloads
        or unschedulable["new"]
        or unschedulable["resolved"]
    )
    return {
        "currency": now.currency or "USD",
        "base": base.label,
        "head": head.label,
        "pastTotalHourlyCost": _money(past_hour),
        "totalHourlyCost": _money(now_hour),
        "diffTotalHourlyCost": _money(now_hour - past_hour),
        "pastTotalMonthlyCost": _money(past_month),
        "totalMonthlyCost": _money(now_month),
        "diffTotalMonthlyCost": _money(change),
        "diffPercent": None if percent is None else round(percent, 2),
        "changed": changed,
        "nodeGroups": groups,
        "workloads": workloads,
        "attribution": attribution,
        "unschedulable": unschedulable,
        "subnets": subnets,
    }


def _node_group_changes(base: PlanDocument, head: PlanDocument) -> list[dict[str, Any]]:
    before = {_group_key(row): row for row in base.node_groups or ()}
    after = {_group_key(row): row for row in head.node_groups or ()}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        past_count, count = (old.count if old else 0), (new.count if new else 0)
        past_cost = float((old.cost_per_month if old else None) or 0.0)
        cost = float((new.cost_per_month if new else None) or 0.0)
        status = (
            "added"
            if old is None
            else "removed"
            if new is None
            else "resized"
            if count != past_count
            else "unchanged"
        )
        rows.append(
            {
                "name": " · ".join(key),
                "pool": key[0],
                "instanceType": key[1],
                "zone": key[2],
                "capacityType": key[3],
                "pastCount": past_count,
                "count": count,
                "status": status,
                "pastMonthlyCost": _money(past_cost),
                "monthlyCost": _money(cost),
                "diffMonthlyCost": _money(cost - past_cost),
            }
        )
    return rows


def _describe_requests(before: PlanRequests, after: PlanRequests) -> list[str]:
    words = []
    for key, name, scale, unit in (
        ("cpu_millicores", "cpu", 1, "m"),
        ("memory_bytes", "memory", 2**20, "Mi"),
        ("gpus", "nvidia.com/gpu", 1, ""),
    ):
        old, new = getattr(before, key) or 0, getattr(after, key) or 0
        if old != new:
            words.append(f"{name} {old // scale}{unit} → {new // scale}{unit} per pod")
    return words


def _workload_changes(base: Side, head: Side) -> list[dict[str, Any]]:
    """Workloads (and DaemonSets, for manifest sides) that differ, with what changed in words."""
    before = dict(_plan(base).workloads)
    after = dict(_plan(head).workloads)
    specs_before = _specs(base)
    specs_after = _specs(head)
    keys = sorted(set(before) | set(after) | set(specs_before) | set(specs_after))
    changes = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        words: list[str] = []
        if old is None and new is None:  # a DaemonSet (manifest sides only) or a Fargate-only key
            spec_old, spec_new = specs_before.get(key), specs_after.get(key)
            if spec_old == spec_new:
                continue
            words = (
                ["added"] if spec_old is None else ["removed"] if spec_new is None else ["pod spec changed"]
            )
        elif old is None:
            assert new is not None
            words = [f"added ({_pods(new.replicas)})"]
        elif new is None:
            words = [f"removed ({_pods(old.replicas)})"]
        else:
            if old.replicas != new.replicas:
                words.append(f"replicas {old.replicas} → {new.replicas} ({new.replicas_reason or ''})")
            words += _describe_requests(old.requests, new.requests)
            spec_old, spec_new = specs_before.get(key), specs_after.get(key)
            if not words and spec_old is not None and spec_new is not None and spec_old != spec_new:
                words.append("placement rules changed (selectors, affinity, tolerations or spread)")
        if words:
            changes.append({"name": key, "changes": words})
    return changes


def _pods(count: int) -> str:
    return f"{count} pod" if count == 1 else f"{count} pods"


def _specs(side: Side) -> dict[str, Any]:
    """Workload key -> what of it matters to the plan (kind, replicas, pod), for manifest sides."""
    if side.manifests is None:
        return {}
    return {w.key: (w.kind, w.replicas, w.pod) for w in side.manifests.workloads}


def _unschedulable_changes(base: PlanDocument, head: PlanDocument) -> dict[str, list[dict[str, Any]]]:
    before = Counter({item.workload: item.count for item in base.all_unschedulable})
    after = Counter({item.workload: item.count for item in head.all_unschedulable})
    reasons = {item.workload: list(item.reasons or ()) for item in head.all_unschedulable}
    new = [
        {"workload": key, "pastCount": before[key], "count": after[key], "reasons": reasons.get(key, [])}
        for key in sorted(after)
        if after[key] > before[key]
    ]
    resolved = [
        {"workload": key, "pastCount": before[key], "count": after[key]}
        for key in sorted(before)
        if after[key] < before[key]
    ]
    return {"new": new, "resolved": resolved}


# --- attribution ------------------------------------------------------------------------------


def _attribution(
    base: Side, head: Side, changes: list[dict[str, Any]], hours: float, context: _Context | None
) -> dict[str, Any]:
    past, now = _plan(base), _plan(head)
    node_change = (float(now.node_cost_per_hour or 0) - float(past.node_cost_per_hour or 0)) * hours
    if not changes:
        return {
            "method": "none",
            "why": "no workload changed",
            "unattributedMonthlyCost": _money(node_change),
        }
    if base.manifests is None or head.manifests is None or context is None:
        return {
            "method": "none",
            "why": "attribution needs manifests on both sides (a plan file has no pod specs to re-solve)",
            "unattributedMonthlyCost": _money(node_change),
        }
    keys = [change["name"] for change in changes]
    values, lp_before, lp_after, exact = shapley_lp(base.manifests, head.manifests, keys, context)
    fargate = _fargate_by_workload(past, now)
    volumes = _volumes_by_workload(past, now)
    for change in changes:
        share = values.get(change["name"], 0.0) * hours + fargate.get(change["name"], 0.0) * hours
        share += volumes.get(change["name"], 0.0)
        change["diffMonthlyCost"] = _money(share)
    total = (float(now.cost_per_hour or 0) - float(past.cost_per_hour or 0)) * hours
    for change in changes:
        change["share"] = (
            round(float(change["diffMonthlyCost"]) / total * 100, 1) if abs(total) >= 0.005 else None
        )
    return {
        "method": "shapley-lp" if exact else "shapley-lp-sampled",
        "why": (
            "each change's Shapley value over the optimum of the solver's linear relaxation"
            + ("" if exact else f" ({SAMPLED_PERMUTATIONS} seeded orders and their reverses)")
            + "; Fargate pods priced directly"
            + ("; persistent volumes priced directly" if volumes else "")
        ),
        "relaxationPastMonthlyCost": _money(lp_before * hours),
        "relaxationMonthlyCost": _money(lp_after * hours),
        "unattributedMonthlyCost": _money(node_change - (lp_after - lp_before) * hours),
    }


def _volumes_by_workload(base: PlanDocument, head: PlanDocument) -> dict[str, float]:
    """Per workload, the change of its persistent volumes' cost per month (priced per volume, so
    exactly its own; ``storage.volumes`` of the plans)."""
    change: dict[str, float] = {}
    for sign, document in ((-1, base), (1, head)):
        for volume in (document.storage or {}).get("volumes", []):
            cost = volume.get("cost_per_month")
            if cost:
                change[volume["workload"]] = change.get(volume["workload"], 0.0) + sign * float(cost)
    return {key: value for key, value in change.items() if abs(value) >= 0.005}


def _fargate_by_workload(base: PlanDocument, head: PlanDocument) -> dict[str, float]:
    """Per workload, the change of its Fargate cost per hour (a per-pod price: exactly its own)."""
    change: dict[str, float] = {}
    for sign, document in ((-1, base), (1, head)):
        for pod in document.fargate.pods if document.fargate else ():
            change[pod.workload] = (
                change.get(pod.workload, 0.0) + sign * (pod.price_per_hour or 0) * pod.count
            )
    return change


def shapley_lp(
    base: ManifestSet, head: ManifestSet, keys: Sequence[str], context: _Context
) -> tuple[dict[str, float], float, float, bool]:
    """Shapley values ($/hour) of the changed workloads ``keys`` over the LP relaxation's optimum,
    the optimum before and after, and whether the values are exact (see the module docstring)."""
    before = {w.key: w for w in base.workloads}
    after = {w.key: w for w in head.workloads}
    order = list(dict.fromkeys([w.key for w in base.workloads] + [w.key for w in head.workloads]))
    value = _lp_value_function(base, before, after, order, context)
    n = len(keys)
    shares = dict.fromkeys(keys, 0.0)
    exact = n <= EXACT_CHANGES
    if exact:
        from math import factorial

        weights = [factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)]
        for key in keys:
            others = [other for other in keys if other != key]
            for size in range(n):
                for subset in itertools.combinations(others, size):
                    applied = frozenset(subset)
                    shares[key] += weights[size] * (value(applied | {key}) - value(applied))
    else:
        rng = random.Random(context.options.seed)
        orders: list[list[str]] = []
        for _ in range(SAMPLED_PERMUTATIONS):
            permutation = list(keys)
            rng.shuffle(permutation)
            orders += [permutation, permutation[::-1]]
        for permutation in orders:
            done: frozenset[str] = frozenset()
            for key in permutation:
                shares[key] += (value(done | {key}) - value(done)) / len(orders)
                done = done | {key}
    return shares, value(frozenset()), value(frozenset(keys)), exact


def _lp_value_function(
    base: ManifestSet,
    before: Mapping[str, Workload],
    after: Mapping[str, Workload],
    order: Sequence[str],
    context: _Context,
) -> Callable[[frozenset[str]], float]:
    """f(changes applied) = the LP optimum ($/hour) of the base with those workloads as in the head."""
    from eks_plan.manifests import ManifestSet
    from eks_plan.planning import build_loaded_cluster
    from eks_plan.solver.bound import lp_bound
    from eks_plan.solver.compat import compile_problem
    from eks_plan.solver.problem import PodGroup
    from eks_plan.solver.solve import _structural_limits

    cache: dict[frozenset[str], float] = {}
    base_planning = build_loaded_cluster(base, context.config, context.catalog)
    daemonsets_change = any(
        (before.get(key) or after.get(key)).is_daemonset  # type: ignore[union-attr]
        for key in order
        if before.get(key) != after.get(key)
    )
    duplicates = len(order) != len(base.workloads) and any(
        sum(1 for w in base.workloads if w.key == key) > 1 for key in order
    )

    def on_fargate(workload: Workload) -> bool:
        labels = workload.pod.label_map
        return any(profile.matches(workload.namespace, labels) for profile in context.config.fargate_profiles)

    def value(applied: frozenset[str]) -> float:
        if applied in cache:
            return cache[applied]
        chosen = [(after if key in applied else before).get(key) for key in order]
        workloads = tuple(w for w in chosen if w is not None)
        if daemonsets_change or duplicates:
            manifests = ManifestSet(workloads=workloads, replica_mode=base.replica_mode)
            problem = build_loaded_cluster(manifests, context.config, context.catalog).problem
        else:
            groups = tuple(
                PodGroup(w.key, w.replicas, w.pod)
                for w in workloads
                if not w.is_daemonset and w.replicas > 0 and not on_fargate(w)
            )
            problem = replace(base_planning.problem, pod_groups=groups)
        if not any(group.count for group in problem.pod_groups):
            cache[applied] = 0.0
            return 0.0
        compiled = compile_problem(problem)
        placeable, _ = _structural_limits(compiled)
        # Third argument positional: the LP's time (or, in later solvers, deterministic work) limit.
        result = lp_bound(compiled, placeable, max(1.0, context.options.time_limit_seconds / 10))
        cache[applied] = float(result.objective if result.converged else result.bound)
        return cache[applied]

    return value


# --- IP headroom ------------------------------------------------------------------------------


def _subnet_headroom(base: PlanDocument, head: PlanDocument, context: _Context) -> list[dict[str, Any]]:
    """Free addresses per configured subnet at steady state, before and after (ipamd's rules, as
    ``eks-plan check-ips`` counts them); empty without ``subnets:`` in the configuration."""
    from eks_plan.network.check import check_ips, validate_inputs
    from eks_plan.network.inputs import subnets_from_config
    from eks_plan.network.ipamd import NodeNetworkLimits
    from eks_plan.network.plan_input import plan_to_cluster

    subnets = subnets_from_config(context.config)
    if not subnets:
        return []
    catalog = context.catalog

    def limits_of(name: str, node_max_pods: int) -> NodeNetworkLimits:
        return NodeNetworkLimits.of(catalog.lookup(name), node_max_pods)

    free: list[dict[str, dict[str, Any]]] = []
    for document in (base, head):
        cluster, plan_cni = plan_to_cluster(document, limits_of, "plan")
        cni = plan_cni or context.config.cni
        validate_inputs(cluster, subnets, cni, catalog.zones(cluster.region))
        report: dict[str, Any] = check_ips(cluster, subnets, cni).as_dict()
        steady = next(s for s in report["scenarios"] if s["scenario"] == "steady")
        free.append({_subnet_name(u["subnet"]): u for u in steady["subnets"]})
    rows = []
    for name in sorted(set(free[0]) | set(free[1])):
        old, new = free[0].get(name), free[1].get(name)
        usage = new or old
        assert usage is not None
        rows.append(
            {
                "subnet": name,
                "zone": usage["subnet"]["zone"],
                "cidr": usage["subnet"]["cidr"],
                "usable": usage["subnet"]["usable"],
                "pastHeld": None if old is None else old["held"]["total"],
                "held": None if new is None else new["held"]["total"],
                "pastFree": None if old is None else old["free"],
                "free": None if new is None else new["free"],
                "verdict": None if new is None else new["verdict"],
            }
        )
    return rows


def _subnet_name(subnet: Mapping[str, Any]) -> str:
    return str(subnet.get("subnet_id") or f"{subnet['zone']} {subnet['cidr']}")


def fail_above_exceeded(report: Mapping[str, Any], threshold: str) -> bool:
    """``--fail-above 100`` ($/month) or ``--fail-above 5%``: whether the cost rose by more."""
    text = threshold.strip()
    try:
        if text.endswith("%"):
            limit = float(text[:-1])
            percent = report["diffPercent"]
            rise = float(report["diffTotalMonthlyCost"])
            return rise > 0 and (percent is None or percent > limit)
        return float(report["diffTotalMonthlyCost"]) > float(text.lstrip("$"))
    except ValueError:
        raise InputError(
            f"--fail-above {threshold!r} is not an amount or a percent", hint="use e.g. 100 or 5%"
        ) from None
