"""A Karpenter-style greedy packer: the baseline eks-plan's solver is measured against.

It packs a :class:`~eks_plan.solver.problem.Problem` the way Karpenter's provisioning scheduler does
(kubernetes-sigs/karpenter ``pkg/controllers/provisioning/scheduling``: ``queue.go``, ``scheduler.go``,
``nodeclaim.go``, ``topologygroup.go``), over the same node options the solver gets:

1. Pods are queued by cpu, then memory, descending (``byCPUAndMemoryDescending``); the replicas of one
   workload are next to each other (ties keep the problem's order).
2. Each pod goes to the first open node, in order of fewest pods first (``sort.Slice`` by pod count
   before every pod; ties here by creation order), whose remaining node options still take it: every
   option that is compatible with all its pods (node selector and affinity, taints) and whose usable
   capacity (allocatable less DaemonSet overhead and headroom, ``NodeOption.usable``, with the
   ``pods`` slots) holds the node's pods plus this one. The node keeps only those options.
3. When no open node takes it, a new node starts with every option of the first pool that takes it
   (Karpenter tries NodePools in weight order; here in the order the pools first appear among the
   options) and keeps the ones that fit.
4. Pods that fail are queued again and retried while a pass over the queue places anything (Karpenter's
   ``Queue`` stops when a whole cycle makes no progress); what is left is unschedulable.
5. At the end each node takes its cheapest remaining option (EC2 Fleet's lowest-price allocation).

The hard rules are the ones the solver honours, so the comparison is fair:

* required pod anti-affinity and host ports on hostname: no two conflicting pods on one node;
* hostname spread (``DoNotSchedule``): at most ``maxSkew`` matching pods per node (Karpenter counts a
  node it could still create as an empty domain, so the minimum is 0);
* zone spread (``DoNotSchedule``): the pod takes the zone with the fewest matching pods among the
  node's zones whose skew stays within ``maxSkew`` (``nextDomainTopologySpread``; ties by zone order);
  ``minDomains`` above the number of eligible zones makes the global minimum 0;
* required pod affinity on zone or hostname: where matching pods already run, or anywhere for the
  first pod of a self-selecting group; required anti-affinity on zone: not in a zone that has a
  conflicting pod;
* a pod that any zone rule counts fixes its node's zone when it lands, so the counts are exact;
* node-pool ``max_nodes``. Pool ``min_nodes`` and ``tolerate_zone_loss`` are not modelled (Karpenter
  has neither), and preferred rules are ignored.

Example: three 1-vCPU pods over a 2-vCPU and a 4-vCPU type. Karpenter opens one node for the first
pod keeping both types, adds the other two to it (only the 4-vCPU type still fits 3 pods) and buys
the 4-vCPU type::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> web = PodGroup("Deployment/default/web", 3,
    ...                PodSpec("default", (("app", "web"),), Resources({"cpu": 1000, "pods": 1})))
    >>> def option(name, cpu, price):
    ...     return NodeOption("default", name, "us-east-1a", "on-demand", price,
    ...                       Resources({"cpu": cpu, "pods": 29}))
    >>> problem = Problem((web,), (option("m7i.large", 1930, 0.1008), option("m7i.xlarge", 3920, 0.2016)),
    ...                   zones=("us-east-1a",))
    >>> plan = pack(problem)
    >>> [(node.option.instance_type, dict(node.pods)) for node in plan.nodes]
    [('m7i.xlarge', {'Deployment/default/web': 3})]
    >>> plan.cost_per_hour
    0.2016
"""

from __future__ import annotations

import heapq
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from eks_plan.scheduling import LabelSelector, WhenUnsatisfiable, untolerated
from eks_plan.scheduling.pod import HostPort, PodSpec
from eks_plan.scheduling.topology import HOSTNAME, LEGACY_ZONE, ZONE, PodAffinityTerm
from eks_plan.solver.plan import Plan, PlannedNode, ReasonCode, UnplacedReason, Unschedulable
from eks_plan.solver.problem import NodeOption, Problem

_ZONE_KEYS = (ZONE, LEGACY_ZONE)


@dataclass(frozen=True, slots=True)
class BaselinePlan:
    """The greedy packing: concrete nodes, what did not fit, the cost and how long packing took."""

    nodes: tuple[PlannedNode, ...]
    unschedulable: tuple[Unschedulable, ...]
    cost_per_hour: float
    seconds: float

    def as_plan(self) -> Plan:
        """The packing as a :class:`Plan`, for the verifier. A greedy packing proves no bound: 0."""
        return Plan(
            nodes=self.nodes,
            unschedulable=self.unschedulable,
            node_cost_per_hour=self.cost_per_hour,
            lower_bound_per_hour=0.0,
            status="baseline",
            solve_seconds=self.seconds,
        )

    def node_counts(self) -> Counter[str]:
        """How many nodes of each option name, e.g. ``{"default/m7i.large/us-east-1a/on-demand": 3}``."""
        return Counter(node.option.name for node in self.nodes)


@dataclass(slots=True)
class _Rules:
    """One workload's hard rules, resolved to the indices of the groups each rule is about."""

    host_conflicts: frozenset[int]  # groups that may not share a node with this one (either way)
    zone_conflicts: frozenset[int]  # groups that may not share a zone with this one (either way)
    host_spreads: tuple[tuple[int, frozenset[int], bool], ...]  # (max skew, matched, self-selecting)
    zone_spreads: tuple[tuple[int, frozenset[int], bool, int | None], ...]  # ... and minDomains
    host_affinities: tuple[tuple[frozenset[int], bool], ...]  # (matched groups, self-selecting)
    zone_affinities: tuple[tuple[frozenset[int], bool], ...]
    zone_counted: bool = False  # some zone rule (its own or another group's) counts this group


@dataclass(slots=True)
class _Node:
    index: int
    pool: int
    options: np.ndarray  # indices of the options this node may still become
    used: np.ndarray  # summed requests of its pods, one entry per resource
    free_max: tuple[int, ...] = ()  # per resource, the most any remaining option still has free
    zones: frozenset[int] = frozenset()
    pods: int = 0
    counts: dict[int, int] = field(default_factory=dict)


class _Packer:
    """The packing state: option arrays, open nodes, per-zone counts."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.groups = problem.pod_groups
        options = problem.node_options
        zones = list(problem.zones)
        for option in options:
            if option.zone not in zones:
                zones.append(option.zone)
        self.zone_names = zones
        self.zone_index = {zone: index for index, zone in enumerate(zones)}
        pool_order = list(dict.fromkeys(option.pool for option in options))
        self.pool_names = pool_order
        self.pool_max = [problem.pool(name).max_nodes for name in pool_order]
        self.pool_nodes = [0] * len(pool_order)

        self.resources = sorted({name for group in self.groups for name in group.pod.requests})
        self.requests = [
            np.array([group.pod.requests[name] for name in self.resources], dtype=np.int64)
            for group in self.groups
        ]
        usable = [option.usable(problem.headroom_percent) for option in options]
        self.usable = np.array(
            [[capacity[name] for name in self.resources] for capacity in usable], dtype=np.int64
        ).reshape(len(options), len(self.resources))
        self.price = np.array([option.price_per_hour for option in options], dtype=np.float64)
        self.option_zone = np.array([self.zone_index[option.zone] for option in options], dtype=np.int64)
        self.option_pool = np.array([pool_order.index(option.pool) for option in options], dtype=np.int64)
        self._placement_masks: dict[tuple[object, object], np.ndarray] = {}
        self.compatible = [self._compatible_mask(group.pod, options) for group in self.groups]
        self._labels = [dict(group.pod.labels) for group in self.groups]
        self._by_label: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, labels in enumerate(self._labels):
            for pair in labels.items():
                self._by_label[pair].append(index)
        self.rules = self._all_rules()
        self.eligible_zones = [
            frozenset(int(zone) for zone in np.unique(self.option_zone[mask])) for mask in self.compatible
        ]

        self.nodes: list[_Node] = []
        self.zone_counts: list[Counter[int]] = [Counter() for _ in zones]  # zone -> group -> pods
        self.host_totals: Counter[int] = Counter()  # group -> pods placed anywhere

    # --- setup -------------------------------------------------------------------------------------

    def _compatible_mask(self, pod: PodSpec, options: Sequence[NodeOption]) -> np.ndarray:
        """Options whose labels the pod selects and whose taints it tolerates, that take one pod."""
        key = (pod.node_selector, pod.tolerations)
        labels_and_taints = self._placement_masks.get(key)
        if labels_and_taints is None:
            labels_and_taints = np.array(
                [
                    pod.node_selector.matches(option.labels)
                    and not untolerated(option.taints, pod.tolerations)
                    for option in options
                ],
                dtype=bool,
            )
            self._placement_masks[key] = labels_and_taints
        requests = np.array([pod.requests[name] for name in self.resources], dtype=np.int64)
        return labels_and_taints & (self.usable >= requests).all(axis=1)

    def _matching(self, selector: LabelSelector, namespaces: frozenset[str] | None) -> frozenset[int]:
        """Groups whose pod labels ``selector`` matches, in ``namespaces`` (``None``: any namespace).

        Groups are looked up through their first ``matchLabels`` pair when there is one, so that
        thousands of workloads do not cost a full scan per rule.
        """
        candidates: Iterable[int] = range(len(self.groups))
        if selector.match_labels:
            candidates = self._by_label.get(selector.match_labels[0], ())
        return frozenset(
            other
            for other in candidates
            if (namespaces is None or self.groups[other].pod.namespace in namespaces)
            and selector.matches(self._labels[other])
        )

    def _term_matches(self, term: PodAffinityTerm) -> frozenset[int]:
        return self._matching(term.selector, None if term.all_namespaces else term.namespaces)

    def _all_rules(self) -> list[_Rules]:
        """Every group's hard rules, with anti-affinity made symmetric (kube-scheduler also keeps a pod
        away from nodes or zones whose pods' anti-affinity terms select it)."""
        count = len(self.groups)
        host_conflicts: list[set[int]] = [set() for _ in range(count)]
        zone_conflicts: list[set[int]] = [set() for _ in range(count)]
        for index, group in enumerate(self.groups):
            for term in group.pod.pod_anti_affinity:
                conflicts = (
                    host_conflicts
                    if term.topology_key == HOSTNAME
                    else zone_conflicts
                    if term.topology_key in _ZONE_KEYS
                    else None
                )
                if conflicts is None:
                    continue  # other topology keys are outside the model (the solver reports them)
                for other in self._term_matches(term):
                    conflicts[index].add(other)
                    conflicts[other].add(index)
        by_port: dict[HostPort, list[int]] = defaultdict(list)
        for index, group in enumerate(self.groups):
            for port in set(group.pod.host_ports):
                by_port[port].append(index)
        for sharing in by_port.values():
            for index in sharing:
                host_conflicts[index].update(sharing)
        return [
            self._rules(index, frozenset(host_conflicts[index]), frozenset(zone_conflicts[index]))
            for index in range(count)
        ]

    def _rules(self, index: int, host_conflicts: frozenset[int], zone_conflicts: frozenset[int]) -> _Rules:
        pod = self.groups[index].pod
        host_spreads, zone_spreads = [], []
        for spread in pod.topology_spread:
            if spread.when_unsatisfiable is not WhenUnsatisfiable.DO_NOT_SCHEDULE:
                continue
            # Spread counts pods of the pod's own namespace; a nil selector counts none.
            matched = (
                self._matching(spread.selector, frozenset({pod.namespace}))
                if spread.selector is not None
                else frozenset()
            )
            if spread.topology_key == HOSTNAME:
                host_spreads.append((spread.max_skew, matched, index in matched))
            elif spread.topology_key in _ZONE_KEYS:
                zone_spreads.append((spread.max_skew, matched, index in matched, spread.min_domains))
        host_affinities, zone_affinities = [], []
        for term in pod.pod_affinity:
            matched = self._term_matches(term)
            if term.topology_key == HOSTNAME:
                host_affinities.append((matched, index in matched))
            elif term.topology_key in _ZONE_KEYS:
                zone_affinities.append((matched, index in matched))
        return _Rules(
            host_conflicts,
            zone_conflicts,
            tuple(host_spreads),
            tuple(zone_spreads),
            tuple(host_affinities),
            tuple(zone_affinities),
        )

    def mark_zone_counted(self) -> None:
        """Flag every group some zone rule counts: its pods fix their node's zone when they land."""
        for rules in self.rules:
            counted = set(rules.zone_conflicts)
            for _skew, matched, _self, _min in rules.zone_spreads:
                counted |= matched
            for matched, _self in rules.zone_affinities:
                counted |= matched
            for other in counted:
                self.rules[other].zone_counted = True
        for index, rules in enumerate(self.rules):
            if rules.zone_conflicts or rules.zone_spreads or rules.zone_affinities:
                self.rules[index].zone_counted = True

    # --- rules -------------------------------------------------------------------------------------

    def _host_allows(self, node: _Node | None, group: int) -> bool:
        """Hostname rules for one more pod of ``group`` on ``node`` (``None``: a new, empty node)."""
        rules = self.rules[group]
        counts = node.counts if node is not None else {}
        if any(counts.get(other) for other in rules.host_conflicts):
            return False
        for skew, matched, self_selecting in rules.host_spreads:
            if sum(counts.get(other, 0) for other in matched) + self_selecting > skew:
                return False
        for matched, self_selecting in rules.host_affinities:
            placed = sum(self.host_totals[other] for other in matched)
            if placed == 0:
                if not self_selecting:
                    return False
            elif not any(counts.get(other) for other in matched):
                return False
        return True

    def _zones_allowed(self, group: int, zones: frozenset[int] | range) -> list[int]:
        """The zones among ``zones`` that zone rules leave for one more pod of ``group``, best first."""
        rules = self.rules[group]
        allowed = sorted(zones)
        if rules.zone_conflicts:
            allowed = [z for z in allowed if not any(self.zone_counts[z][o] for o in rules.zone_conflicts)]
        for matched, self_selecting in rules.zone_affinities:
            with_pods = [z for z in allowed if any(self.zone_counts[z][o] for o in matched)]
            anywhere = any(self.zone_counts[z][o] for z in range(len(self.zone_names)) for o in matched)
            if anywhere:
                allowed = with_pods
            elif not self_selecting:
                return []
        preference: dict[int, list[int]] = {zone: [] for zone in allowed}
        for skew, matched, self_selecting, min_domains in rules.zone_spreads:
            eligible = self.eligible_zones[group]
            counts = {z: sum(self.zone_counts[z][o] for o in matched) for z in eligible}
            floor = min(counts.values(), default=0)
            if min_domains is not None and len(eligible) < min_domains:
                floor = 0
            allowed = [z for z in allowed if z in counts and counts[z] + self_selecting - floor <= skew]
            for zone in allowed:
                preference[zone].append(counts[zone])
        # Karpenter narrows the node to the allowed domain with the fewest matching pods.
        return sorted(allowed, key=lambda zone: (preference[zone], zone))

    # --- packing -----------------------------------------------------------------------------------

    def _try(self, node: _Node, group: int) -> bool:
        """Add one pod of ``group`` to ``node`` if its remaining options still take it."""
        if not self._host_allows(node, group):
            return False
        request = self.requests[group]
        if any(int(r) > f for r, f in zip(request, node.free_max, strict=True)):
            return False
        options = node.options
        used = node.used + request
        mask = self.compatible[group][options] & (self.usable[options] >= used).all(axis=1)
        return self._commit(node, group, options[mask], used)

    def _commit(self, node: _Node, group: int, options: np.ndarray, used: np.ndarray) -> bool:
        """Narrow ``options`` by the zone rules and, if any remain, place the pod on ``node``."""
        if options.size == 0:
            return False
        rules = self.rules[group]
        if rules.zone_counted:
            zones = frozenset(int(zone) for zone in np.unique(self.option_zone[options]))
            allowed = self._zones_allowed(group, zones)
            if not allowed:
                return False
            zone = allowed[0]  # the pod fixes the node's zone, so the zone counts stay exact
            options = options[self.option_zone[options] == zone]
            self.zone_counts[zone][group] += 1
        node.options = options
        node.used = used
        node.free_max = tuple(int(v) for v in (self.usable[options] - used).max(axis=0))
        node.zones = frozenset(int(zone) for zone in np.unique(self.option_zone[options]))
        node.pods += 1
        node.counts[group] = node.counts.get(group, 0) + 1
        self.host_totals[group] += 1
        return True

    def _new_node(self, group: int) -> _Node | None:
        """A new node for one pod of ``group``, from the first pool that takes it."""
        if not self._host_allows(None, group):
            return None
        request = self.requests[group]
        for pool in range(len(self.pool_names)):
            limit = self.pool_max[pool]
            if limit is not None and self.pool_nodes[pool] >= limit:
                continue
            options = np.flatnonzero(self.compatible[group] & (self.option_pool == pool))
            node = _Node(len(self.nodes), pool, options, np.zeros(len(self.resources), dtype=np.int64))
            if self._commit(node, group, options, request.copy()):
                self.pool_nodes[pool] += 1
                self.nodes.append(node)
                return node
        return None

    def place_run(self, group: int, count: int) -> int:
        """Place up to ``count`` pods of ``group``, one at a time; returns how many did not fit.

        Open nodes wait in heaps keyed by (pods, creation order), Karpenter's fewest-pods-first
        order, one heap per set of zones the nodes may still be in. Each pod takes the first node
        from the heaps whose zones its zone rules allow now (those change as pods land). A node that
        refuses a pod of this group for room or hostname rules refuses the rest too (room only
        shrinks, counts only grow), so it leaves the heaps for this run.
        """
        buckets: dict[frozenset[int], list[tuple[int, int]]] = defaultdict(list)
        for node in self.nodes:
            buckets[node.zones].append((node.pods, node.index))
        for heap in buckets.values():
            heapq.heapify(heap)
        zone_rules = self.rules[group].zone_counted
        all_zones = range(len(self.zone_names))
        failed = 0
        for _ in range(count):
            allowed = frozenset(self._zones_allowed(group, all_zones)) if zone_rules else None
            placed = False
            while True:
                candidates = [
                    (heap[0], zones)
                    for zones, heap in buckets.items()
                    if heap and (allowed is None or zones & allowed)
                ]
                if not candidates:
                    break
                (_pods, index), zones = min(candidates)
                heapq.heappop(buckets[zones])
                node = self.nodes[index]
                if self._try(node, group):
                    heapq.heappush(buckets[node.zones], (node.pods, node.index))
                    placed = True
                    break
            if not placed:
                opened = self._new_node(group)
                if opened is None:
                    failed += 1
                    continue
                heapq.heappush(buckets[opened.zones], (opened.pods, opened.index))
        return failed

    def finish(self, seconds: float, unplaced: dict[int, int]) -> BaselinePlan:
        options = self.problem.node_options
        planned = []
        for node in self.nodes:
            # Cheapest remaining option; ties go to the earlier option (stable argmin).
            choice = int(node.options[np.argmin(self.price[node.options])])
            pods = {self.groups[group].key: count for group, count in sorted(node.counts.items())}
            planned.append(PlannedNode(f"baseline-{node.index + 1}", options[choice], pods))
        unschedulable = tuple(
            Unschedulable(
                self.groups[group].key, count, (UnplacedReason(ReasonCode.NOTE, text=self._reason(group)),)
            )
            for group, count in sorted(unplaced.items())
            if count
        )
        cost = round(sum(node.option.price_per_hour for node in planned), 6)
        return BaselinePlan(tuple(planned), unschedulable, cost, seconds)

    def _reason(self, group: int) -> str:
        if not self.compatible[group].any():
            return f"0/{len(self.problem.node_options)} node options take one pod of this workload"
        return "no node the greedy packing opened or could open satisfies the workload's rules"


def pack(problem: Problem) -> BaselinePlan:
    """Pack ``problem`` greedily as Karpenter does (see the module docstring) and price the nodes."""
    started = time.perf_counter()
    packer = _Packer(problem)
    packer.mark_zone_counted()

    def order(index: int) -> tuple[int, int, int]:
        requests = problem.pod_groups[index].pod.requests
        return (-requests["cpu"], -requests["memory"], index)

    queue: list[tuple[int, int]] = [
        (index, group.count)
        for index, group in sorted(enumerate(problem.pod_groups), key=lambda p: order(p[0]))
    ]
    queue = [(index, count) for index, count in queue if count > 0]
    unplaced: dict[int, int] = defaultdict(int)
    while queue:
        retry: list[tuple[int, int]] = []
        progress = False
        for index, count in queue:
            failed = packer.place_run(index, count)
            progress |= failed < count
            if failed:
                retry.append((index, failed))
        if not progress:
            for index, count in retry:
                unplaced[index] += count
            break
        queue = retry
    return packer.finish(time.perf_counter() - started, dict(unplaced))
