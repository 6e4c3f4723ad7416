"""The solver's view of a problem: arrays of requests and capacities, which group may use which
node option, and the rules that tie groups together.

Built once per solve (:func:`compile_problem`), it is what the bound, the model, the packer and the
explanations read. It is deliberately separate from :mod:`eks_plan.solver.verify`, which re-derives
every rule on its own from the problem.

Node options are collapsed into *classes*: the options of one pool, instance type and capacity
type that differ only in zone (same price, usable capacity, taints and non-zone labels). Zones are
symmetric in price within a region, so the bound and the model decide per class and the packer
splits over zones; a group whose selector names a zone keeps a per-zone ``allowed`` mask.

Example: a 3-replica group and one option class with room for 3 such pods per node::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> pod = PodSpec("shop", (("app", "web"),), Resources({"cpu": 600, "memory": 2**30, "pods": 1}))
    >>> node = Resources({"cpu": 1930, "memory": 6903 * 2**20, "pods": 29})
    >>> options = tuple(NodeOption("default", "m7i.large", zone, "on-demand", 0.1008, node)
    ...                 for zone in ("us-east-1a", "us-east-1b"))
    >>> problem = Problem((PodGroup("Deployment/shop/web", 3, pod),), options, ("us-east-1a", "us-east-1b"))
    >>> compiled = compile_problem(problem)
    >>> len(compiled.classes), int(compiled.fit_alone[0, 0])   # 3 x 600m <= 1930m
    (1, 3)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eks_plan.resources import CPU, MEMORY, PODS
from eks_plan.scheduling import LabelSelector, PodAffinityTerm, TopologySpreadConstraint, untolerated
from eks_plan.scheduling.labels import HOSTNAME
from eks_plan.scheduling.pod import HostPort, PodSpec
from eks_plan.scheduling.topology import (
    MODELLED_KEYS,
    ZONE_LEVEL_KEYS,
    effective_spread_selector,
    node_has_key,
    spread_counts_node,
    spread_domain_key,
)
from eks_plan.solver.problem import NodeOption, PodGroup, Problem

ZONE_KEYS = ZONE_LEVEL_KEYS
UNLIMITED = 1 << 40


@dataclass(slots=True)
class OptionClass:
    """Node options that differ only in zone: one instance type of one pool and capacity type."""

    index: int
    options: list[int]  # option indices, in problem order
    zones: list[int]  # zone index of each option
    price: float
    pool: str
    instance_type: str


@dataclass(slots=True)
class Spread:
    """A DoNotSchedule topology spread constraint of group ``owner``, with the groups whose pods it
    counts (``members``: every workload of the namespace its selector matches, the owner only if its
    own labels match). It binds only the owner's pods (podtopologyspread filters the pod that
    declares it); the members' pods only raise the counts. ``eligible_zones`` are the zones that are
    domains of the constraint (:func:`~eks_plan.scheduling.topology.spread_counts_node` over every
    node option of every pool)."""

    owner: int
    max_skew: int
    hostname: bool
    members: frozenset[int]
    min_domains: int | None
    eligible_zones: tuple[int, ...] = ()
    constraint: TopologySpreadConstraint | None = None

    def min_count(self, counts: Iterable[int]) -> int:
        """The global minimum the filter compares with: 0 when there are fewer domains than
        ``minDomains`` (``preFilterState.minMatchNum``), else the least count over the domains."""
        values = list(counts)
        if not values or (self.min_domains is not None and len(values) < self.min_domains):
            return 0
        return min(values)


@dataclass(slots=True)
class CompiledProblem:
    """Arrays and relations of one problem. Group ``g``, option ``o``, class ``c``, resource ``r``.

    ``requests[g, r]`` and ``usable[o, r]`` are in canonical units (usable after DaemonSets and
    headroom); ``allowed[g, o]`` says a lone pod of ``g`` may run on an empty node of ``o``
    (selector, taints, resources); ``fit_alone[g, o]`` is how many pods of ``g`` an empty node of
    ``o`` holds by resources alone; ``rule_cap[g]`` the most pods of ``g`` one node may hold by
    rule (1 for self anti-affinity on hostname or a hostPort, ``maxSkew`` for hostname spread).
    """

    problem: Problem
    groups: list[PodGroup]
    options: list[NodeOption]
    zones: list[str]
    resources: list[str]
    requests: np.ndarray
    usable: np.ndarray
    allowed: np.ndarray
    fit_alone: np.ndarray
    classes: list[OptionClass]
    class_of: np.ndarray
    rule_cap: np.ndarray
    rule_cap_is_hard: np.ndarray  # True where rule_cap also binds every real plan (used by the bound)
    conflicts: list[frozenset[int]]  # groups that may not share a node with g (not g itself)
    spreads: list[Spread]
    spreads_counting: list[list[int]]  # spread indices whose members include g
    spreads_owned: list[list[int]]  # spread indices that bind g (g declares them)
    zone_anti_self: np.ndarray  # bool: at most one pod per zone
    zone_conflicts: list[frozenset[int]]
    zone_affinity: list[frozenset[int] | None]  # None: no zone affinity; else the target groups
    host_affinity: list[frozenset[int] | None]
    zone_constrained: np.ndarray
    option_zone: np.ndarray
    unsupported: list[list[str]] = field(default_factory=list)

    def class_allowed(self) -> np.ndarray:
        """``[g, c]``: group ``g`` may use some option of class ``c``."""
        result = np.zeros((len(self.groups), len(self.classes)), dtype=bool)
        for option_class in self.classes:
            result[:, option_class.index] = self.allowed[:, option_class.options].any(axis=1)
        return result

    def class_usable(self) -> np.ndarray:
        return self.usable[[c.options[0] for c in self.classes]]

    def class_fit(self) -> np.ndarray:
        return self.fit_alone[:, [c.options[0] for c in self.classes]]


def compile_problem(problem: Problem) -> CompiledProblem:
    """The compatibility pre-pass and the rule relations of ``problem``.

    In order: the arrays (zones, resources, requests, capacities, which group may use which
    option, option classes), the pairwise rules (host ports, pod (anti-)affinity), the preferred
    rules the planner does not model, the topology spreads, and which groups zone rules touch.
    """
    groups = list(problem.pod_groups)
    options = list(problem.node_options)
    zones = list(problem.zones)
    for option in options:
        if option.zone not in zones:
            zones.append(option.zone)
    zone_index = {zone: i for i, zone in enumerate(zones)}
    resources = _resource_names(groups)
    requests = np.array([[g.pod.requests[r] for r in resources] for g in groups], dtype=np.int64).reshape(
        len(groups), len(resources)
    )
    usable_vectors = [o.usable(problem.headroom_percent) for o in options]
    usable = np.array([[u[r] for r in resources] for u in usable_vectors], dtype=np.int64).reshape(
        len(options), len(resources)
    )
    placement = _placement_allowed(groups, options)
    _spread_keys_allowed(groups, options, placement)
    fit_alone = _fit_alone(requests, usable)
    allowed = placement & (fit_alone > 0)
    option_zone = np.array([zone_index[o.zone] for o in options], dtype=np.int64)
    classes, class_of = _classes(options, usable_vectors, option_zone)

    selector_index = _SelectorIndex(groups)
    rules = _pair_rules(groups, selector_index)
    _unmodelled_preferences(groups, rules)
    spreads, spreads_counting, spreads_owned = _spreads(
        problem, options, zones, option_zone, selector_index, rules
    )
    zone_constrained = _zone_constrained(rules, spreads)

    return CompiledProblem(
        problem=problem,
        groups=groups,
        options=options,
        zones=zones,
        resources=resources,
        requests=requests,
        usable=usable,
        allowed=allowed,
        fit_alone=fit_alone,
        classes=classes,
        class_of=class_of,
        rule_cap=rules.rule_cap,
        rule_cap_is_hard=rules.rule_cap_is_hard,
        conflicts=[frozenset(c) for c in rules.conflicts],
        spreads=spreads,
        spreads_counting=spreads_counting,
        spreads_owned=spreads_owned,
        zone_anti_self=rules.zone_anti_self,
        zone_conflicts=[frozenset(c) for c in rules.zone_conflicts],
        zone_affinity=rules.zone_affinity,
        host_affinity=rules.host_affinity,
        zone_constrained=zone_constrained,
        option_zone=option_zone,
        unsupported=rules.unsupported,
    )


@dataclass(slots=True)
class _GroupRules:
    """The per-group rule relations while :func:`compile_problem` builds them (see
    :class:`CompiledProblem` for each field); ``unsupported`` collects, in order, the rules the
    planner does not model."""

    rule_cap: np.ndarray
    rule_cap_is_hard: np.ndarray
    conflicts: list[set[int]]
    zone_conflicts: list[set[int]]
    zone_anti_self: np.ndarray
    zone_affinity: list[frozenset[int] | None]
    host_affinity: list[frozenset[int] | None]
    unsupported: list[list[str]]

    @classmethod
    def empty(cls, n: int) -> _GroupRules:
        return cls(
            rule_cap=np.full(n, UNLIMITED, dtype=np.int64),
            rule_cap_is_hard=np.zeros(n, dtype=bool),
            conflicts=[set() for _ in range(n)],
            zone_conflicts=[set() for _ in range(n)],
            zone_anti_self=np.zeros(n, dtype=bool),
            zone_affinity=[None] * n,
            host_affinity=[None] * n,
            unsupported=[[] for _ in range(n)],
        )


def _pair_rules(groups: list[PodGroup], selector_index: _SelectorIndex) -> _GroupRules:
    """Host ports and required pod (anti-)affinity: per-node caps, conflicts, affinity targets."""
    rules = _GroupRules.empty(len(groups))
    rule_cap, conflicts, unsupported = rules.rule_cap, rules.conflicts, rules.unsupported
    with_ports = [g for g, group in enumerate(groups) if group.pod.host_ports]
    for g, group in enumerate(groups):
        pod = group.pod
        if _conflicting_ports(pod, pod):
            rule_cap[g] = 1
            rules.rule_cap_is_hard[g] = True
        if pod.host_ports:
            for h in with_ports:
                if h != g and _conflicting_ports(pod, groups[h].pod):
                    conflicts[g].add(h)
                    conflicts[h].add(g)
        for term in pod.pod_anti_affinity:
            selected = selector_index.by_term(term)
            if term.topology_key == HOSTNAME:
                if g in selected:
                    rule_cap[g] = 1
                    rules.rule_cap_is_hard[g] = True
                for h in selected - {g}:
                    conflicts[g].add(h)
                    conflicts[h].add(g)
            elif term.topology_key in ZONE_KEYS:
                if g in selected:
                    rules.zone_anti_self[g] = True
                for h in selected - {g}:
                    rules.zone_conflicts[g].add(h)
                    rules.zone_conflicts[h].add(g)
            else:
                unsupported[g].append(f"anti-affinity topology key {term.topology_key}")
        # One existing pod must match every required affinity term (interpodaffinity
        # filtering.go satisfyPodAffinity / podMatchesAllAffinityTerms): the targets are the groups
        # every term selects, and they must share each term's domain, the node when a term is on
        # hostname (which also puts them in the same zone).
        modelled = [t for t in pod.pod_affinity if t.topology_key in MODELLED_KEYS]
        for term in pod.pod_affinity:
            if term.topology_key not in MODELLED_KEYS:
                unsupported[g].append(f"affinity topology key {term.topology_key}")
        if modelled:
            every = pod.pod_affinity  # the target must match every term, whatever its key
            targets = frozenset.intersection(*(frozenset(selector_index.by_term(t)) for t in every))
            if any(t.topology_key == HOSTNAME for t in modelled):
                rules.host_affinity[g] = targets
            if any(t.topology_key in ZONE_KEYS for t in modelled):
                rules.zone_affinity[g] = targets
    return rules


def _unmodelled_preferences(groups: list[PodGroup], rules: _GroupRules) -> None:
    """Preferred rules on keys the planner does not model are reported, never silently dropped."""
    for g, group in enumerate(groups):
        for constraint in group.pod.topology_spread:
            if not constraint.binds() and constraint.topology_key not in MODELLED_KEYS:
                rules.unsupported[g].append(f"topology spread key {constraint.topology_key} (ScheduleAnyway)")
        for weighted in (*group.pod.preferred_pod_affinity, *group.pod.preferred_pod_anti_affinity):
            if weighted.term.topology_key not in MODELLED_KEYS:
                rules.unsupported[g].append(
                    f"preferred pod (anti-)affinity topology key {weighted.term.topology_key}"
                )


def _spreads(
    problem: Problem,
    options: list[NodeOption],
    zones: list[str],
    option_zone: np.ndarray,
    selector_index: _SelectorIndex,
    rules: _GroupRules,
) -> tuple[list[Spread], list[list[int]], list[list[int]]]:
    """Every binding topology spread, with the groups it counts and binds; a hostname spread also
    caps its owner's pods per node at ``maxSkew`` (in ``rules.rule_cap``)."""
    groups = problem.pod_groups
    n = len(groups)
    spreads: list[Spread] = []
    spreads_counting: list[list[int]] = [[] for _ in range(n)]
    spreads_owned: list[list[int]] = [[] for _ in range(n)]
    eligible_zone_cache: dict[object, tuple[int, ...]] = {}
    for g, group in enumerate(groups):
        binding = [c for c in group.pod.topology_spread if c.binds()]
        keys = tuple(sorted({c.topology_key for c in binding}))
        for constraint in binding:
            hostname = constraint.topology_key == HOSTNAME
            if not hostname and constraint.topology_key not in ZONE_KEYS:
                rules.unsupported[g].append(f"topology spread key {constraint.topology_key}")
                continue
            members = selector_index.by_spread(group, constraint)
            if not members:
                continue
            cache_key = spread_domain_key(constraint, group.pod.node_selector, group.pod.tolerations, keys)
            if cache_key not in eligible_zone_cache:
                eligible_zone_cache[cache_key] = tuple(
                    sorted(
                        {
                            int(option_zone[o])
                            for o, option in enumerate(options)
                            if zones[int(option_zone[o])] in problem.zones
                            and spread_counts_node(
                                constraint,
                                group.pod.node_selector,
                                group.pod.tolerations,
                                option.labels,
                                option.taints,
                                keys,
                            )
                        }
                    )
                )
            spread = Spread(g, constraint.max_skew, hostname, members, constraint.min_domains)
            spread.eligible_zones = eligible_zone_cache[cache_key]
            spread.constraint = constraint
            index = len(spreads)
            spreads.append(spread)
            spreads_owned[g].append(index)
            for member in sorted(members):
                spreads_counting[member].append(index)
            if hostname and g in members:
                # The owner's own pods on a node count against its skew; other members are never
                # capped by it (the packer keeps them off the owner's full nodes instead).
                rules.rule_cap[g] = min(int(rules.rule_cap[g]), constraint.max_skew)
    return spreads, spreads_counting, spreads_owned


def _zone_constrained(rules: _GroupRules, spreads: list[Spread]) -> np.ndarray:
    """``[g]``: some zone rule (zone anti-affinity, zone affinity either way, a zone spread)
    touches group ``g``."""
    n = len(rules.unsupported)
    zone_constrained = np.zeros(n, dtype=bool)
    for g in range(n):
        if rules.zone_anti_self[g] or rules.zone_conflicts[g] or rules.zone_affinity[g] is not None:
            zone_constrained[g] = True
    for spread in spreads:
        if not spread.hostname:
            for member in spread.members:
                zone_constrained[member] = True
    for g in range(n):
        affinity_targets = rules.zone_affinity[g]
        if affinity_targets is not None:
            for target in affinity_targets:
                zone_constrained[target] = True
    return zone_constrained


def _resource_names(groups: Iterable[PodGroup]) -> list[str]:
    """Every resource some pod requests, cpu, memory and pods first, then by name."""
    names = {PODS, CPU, MEMORY}
    for group in groups:
        names.update(name for name, amount in group.pod.requests.items() if amount > 0)
    first = [CPU, MEMORY, PODS]
    return first + sorted(names - set(first))


def _placement_allowed(groups: list[PodGroup], options: list[NodeOption]) -> np.ndarray:
    """``[g, o]``: node selector, required node affinity and taints allow ``g`` on ``o``.

    Groups with the same selector and tolerations share one row, and options with the same labels
    and taints share one column, so a big problem costs a few thousand label matches.
    """
    result = np.zeros((len(groups), len(options)), dtype=bool)
    option_keys: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for o, option in enumerate(options):
        option_keys[
            (tuple(sorted(option.labels.items())), option.taints, option.daemonset_host_ports)
        ].append(o)
    group_keys: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for g, group in enumerate(groups):
        group_keys[(group.pod.node_selector, group.pod.tolerations, group.pod.host_ports)].append(g)
    for (selector, tolerations, ports), group_rows in group_keys.items():
        for (labels, taints, daemon_ports), option_columns in option_keys.items():
            label_map = dict(labels)
            if (
                selector.matches(label_map)
                and not untolerated(taints, tolerations)
                and not ports_conflict(ports, daemon_ports)
            ):
                result[np.ix_(group_rows, option_columns)] = True
    return result


def _spread_keys_allowed(groups: list[PodGroup], options: list[NodeOption], placement: np.ndarray) -> None:
    """Clear ``placement[g, o]`` where the node lacks a topology key of one of ``g``'s DoNotSchedule
    spread constraints: podtopologyspread's Filter rejects such a node
    (``ErrReasonNodeLabelNotMatch``, "missing required label")."""
    carried: dict[str, np.ndarray] = {}
    for g, group in enumerate(groups):
        keys = {c.topology_key for c in group.pod.topology_spread if c.binds()} - set(MODELLED_KEYS)
        for key in sorted(keys):
            if key not in carried:
                carried[key] = np.array([node_has_key(key, option.labels) for option in options], dtype=bool)
            placement[g] &= carried[key]


def _fit_alone(requests: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """``[g, o]``: pods of ``g`` that fit an empty node of ``o`` by every resource (0 if none)."""
    groups, options = requests.shape[0], usable.shape[0]
    fit = np.full((groups, options), UNLIMITED, dtype=np.int64)
    for r in range(requests.shape[1]):
        asked = requests[:, r]
        rows = asked > 0
        if not rows.any():
            continue
        capacity = np.maximum(usable[:, r], -1)
        per = np.where(capacity[None, :] >= 0, capacity[None, :] // np.maximum(asked[rows, None], 1), 0)
        fit[rows] = np.minimum(fit[rows], per)
    return np.maximum(fit, 0)


def _classes(
    options: list[NodeOption], usable_vectors: Sequence[object], option_zone: np.ndarray
) -> tuple[list[OptionClass], np.ndarray]:
    zone_labels = set(ZONE_KEYS) | {"topology.k8s.aws/zone-id"}
    keyed: dict[tuple[object, ...], OptionClass] = {}
    class_of = np.zeros(len(options), dtype=np.int64)
    classes: list[OptionClass] = []
    for o, option in enumerate(options):
        labels = tuple(sorted((k, v) for k, v in option.labels.items() if k not in zone_labels))
        key = (
            option.pool,
            option.instance_type,
            option.capacity_type,
            option.price_per_hour,
            usable_vectors[o],
            option.taints,
            labels,
        )
        option_class = keyed.get(key)
        if option_class is None or int(option_zone[o]) in option_class.zones:
            option_class = OptionClass(
                len(classes), [], [], option.price_per_hour, option.pool, option.instance_type
            )
            classes.append(option_class)
            keyed[key] = option_class
        option_class.options.append(o)
        option_class.zones.append(int(option_zone[o]))
        class_of[o] = option_class.index
    return classes, class_of


def _conflicting_ports(first: PodSpec, second: PodSpec) -> bool:
    return ports_conflict(first.host_ports, second.host_ports)


def ports_conflict(first: Iterable[HostPort], second: Iterable[HostPort]) -> bool:
    """Whether two sets of host ports overlap: the same port and protocol on the same address, or
    on any address (nodeports ``fitsPorts``: an empty, ``0.0.0.0`` or ``::`` hostIP binds them all)."""
    any_address = ("", "0.0.0.0", "::")
    second = tuple(second)
    for a in first:
        for b in second:
            same_address = a.host_ip in any_address or b.host_ip in any_address or a.host_ip == b.host_ip
            if a.port == b.port and a.protocol == b.protocol and same_address:
                return True
    return False


class _SelectorIndex:
    """Which groups a pod-affinity term or a spread constraint selects, via a label index."""

    def __init__(self, groups: list[PodGroup]) -> None:
        self.groups = groups
        self.by_pair: dict[tuple[str, str], set[int]] = defaultdict(set)
        for g, group in enumerate(groups):
            for pair in group.pod.labels:
                self.by_pair[pair].add(g)

    def _candidates(self, selector: LabelSelector) -> Iterable[int]:
        if not selector.match_labels:
            return range(len(self.groups))
        return set.intersection(*(self.by_pair.get(pair, set()) for pair in selector.match_labels))

    def by_term(self, term: PodAffinityTerm) -> set[int]:
        return {
            g
            for g in self._candidates(term.selector)
            if term.selects(self.groups[g].pod.namespace, self.groups[g].pod.labels)
        }

    def by_spread(self, owner: PodGroup, constraint: TopologySpreadConstraint) -> frozenset[int]:
        selector = effective_spread_selector(constraint, owner.pod.label_map)
        if selector is None:
            return frozenset()
        return frozenset(
            g
            for g in self._candidates(selector)
            if self.groups[g].pod.namespace == owner.pod.namespace
            and selector.matches(self.groups[g].pod.label_map)
        )
