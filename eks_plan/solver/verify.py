"""The independent plan verifier: checks a :class:`~eks_plan.solver.plan.Plan` node by node.

Every plan eks-plan prints goes through :func:`verify_plan` first, and so does every plan a test
makes. It shares no code with the model (:mod:`eks_plan.solver.model` and friends): it reads only
the problem, the plan, and the matching methods of the scheduling value types
(:meth:`NodeSelector.matches`, :func:`untolerated`, :meth:`PodAffinityTerm.selects`,
:meth:`LabelSelector.matches`, and for topology spread :func:`spread_counts_node`,
:func:`effective_spread_selector` and :func:`node_has_key`) and :class:`Resources` arithmetic, which
are the specification; the solver asks the same functions, so the two can never disagree on which
nodes and zones are a constraint's domains.

The rules, as kube-scheduler applies them to the final state of the cluster:

- **pods accounted for**: every replica is on exactly one node or listed as unschedulable;
- **resources**: on each node, the summed requests of every resource (cpu, memory,
  ephemeral-storage, hugepages, GPUs and other extended resources, and ``pods``) are at most
  ``option.usable(problem.headroom_percent)``;
- **node selector / required node affinity** against the node's labels (plus its hostname);
- **taints**: no NoSchedule/NoExecute taint the pod does not tolerate;
- **host ports**: no two pods on a node bind the same port and protocol on overlapping addresses,
  and no pod binds a port a DaemonSet pod on the node binds (``option.daemonset_host_ports``;
  nodeports counts every pod on the node);
- **required pod anti-affinity** (hostname and the zone-level keys): no pod shares its domain with
  another pod its term selects (checked for every pod's terms, which covers kube-scheduler's
  symmetric check);
- **required pod affinity** (hostname and the zone-level keys): one pod must match *every* term
  (interpodaffinity ``podMatchesAllAffinityTerms``), so the targets are the workloads every term
  selects and the domain is the node when any term is on hostname, else the zone; every domain
  holding the pod also holds a target from another workload, or, when the targets are only the
  pod's own workload, all of its replicas share one domain (the first replica may start it);
- **topology spread, DoNotSchedule** (hostname and the zone-level keys): for every domain holding
  the pod, ``matching pods there - min over the constraint's domains <= maxSkew``; the domains are
  those of :func:`~eks_plan.scheduling.topology.spread_counts_node` (the solver's definition too):
  the problem's zones where a node option of any pool counts for the constraint, or the plan's
  nodes that count, under ``nodeAffinityPolicy`` and ``nodeTaintsPolicy``; the minimum is 0 with
  fewer domains than ``minDomains``; a node lacking the key of a DoNotSchedule constraint of the
  pod (any key) may not hold it;
- **node pools**: each pool's node count within its ``min_nodes``/``max_nodes``;
- **zone loss** (when ``tolerate_zone_loss``): for each zone, its pods are re-placed onto the
  other zones' nodes first-fit decreasing (pods by cpu, then memory, descending; nodes in plan
  order), honouring every per-node rule above (resources, selector, taints, host ports, hostname
  anti-affinity); any pod left over is a violation. First-fit may miss a packing that exists, so
  this check is, if anything, stricter than the rule. Pods of a zone-bound group (an EBS volume in
  the lost zone) are not re-placed: they wait for their zone (:mod:`eks_plan.storage.planning`).

Example: two 600m pods on a node with 1000m usable::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.plan import Plan, PlannedNode
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> pod = PodSpec("default", (("app", "web"),), Resources({"cpu": 600, "pods": 1}))
    >>> node = NodeOption("default", "m7i.large", "us-east-1a", "on-demand", 0.1,
    ...                   Resources({"cpu": 1000, "pods": 29}))
    >>> problem = Problem((PodGroup("Deployment/default/web", 2, pod),), (node,), ("us-east-1a",))
    >>> plan = Plan((PlannedNode("n1", node, {"Deployment/default/web": 2}),), (), 0.1, 0.1, "test", 0.0)
    >>> for violation in verify_plan(problem, plan):
    ...     print(violation)
    node n1: resources: Insufficient cpu: pods request 1200, the node has 1000 usable (200 short)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eks_plan.resources import CPU, MEMORY, PODS, Resources
from eks_plan.scheduling import LabelSelector, PodAffinityTerm, TopologySpreadConstraint, untolerated
from eks_plan.scheduling.labels import HOSTNAME
from eks_plan.scheduling.pod import HostPort
from eks_plan.scheduling.topology import (
    MODELLED_KEYS,
    ZONE_LEVEL_KEYS,
    effective_spread_selector,
    node_has_key,
    spread_counts_node,
    spread_domain_key,
)
from eks_plan.solver.plan import Plan, PlannedNode
from eks_plan.solver.problem import PodGroup, Problem

_ZONE_KEYS = ZONE_LEVEL_KEYS
_ANY_ADDRESS = ("", "0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which node (or ``None`` for plan-wide rules), which rule, and what is wrong."""

    node: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"node {self.node}" if self.node else "plan"
        return f"{where}: {self.rule}: {self.message}"


class _Index:
    """Plan facts the checks share: groups by key, node labels, which groups a selector selects."""

    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.groups: dict[str, PodGroup] = {group.key: group for group in problem.pod_groups}
        self.nodes = plan.nodes
        self.labels: list[dict[str, str]] = []
        for node in plan.nodes:
            labels = dict(node.option.labels)
            labels.setdefault(HOSTNAME, node.name)
            self.labels.append(labels)
        self._by_label: dict[tuple[str, str], set[str]] = defaultdict(set)
        for group in problem.pod_groups:
            for pair in group.pod.labels:
                self._by_label[pair].add(group.key)
        self._term_cache: dict[PodAffinityTerm, frozenset[str]] = {}
        self._spread_cache: dict[tuple[str, TopologySpreadConstraint], frozenset[str]] = {}
        self._eligible_zones: dict[object, tuple[str, ...]] = {}
        self._eligible_nodes: dict[object, tuple[frozenset[int], int]] = {}
        self._holders: dict[str, list[tuple[int, int]]] | None = None

    def _candidates(self, selector: LabelSelector) -> Iterable[str]:
        """Groups that may match ``selector``: those carrying all its ``matchLabels`` (a shortcut;
        the selector's own ``matches`` decides)."""
        if not selector.match_labels:
            return self.groups
        sets = [self._by_label.get(pair, set()) for pair in selector.match_labels]
        return set.intersection(*sets)

    def selected_by_term(self, term: PodAffinityTerm) -> frozenset[str]:
        """Keys of the groups whose pods ``term`` selects."""
        if term not in self._term_cache:
            self._term_cache[term] = frozenset(
                key
                for key in self._candidates(term.selector)
                if term.selects(self.groups[key].pod.namespace, self.groups[key].pod.labels)
            )
        return self._term_cache[term]

    def selected_by_spread(self, owner: PodGroup, spread: TopologySpreadConstraint) -> frozenset[str]:
        """Keys of the groups ``owner``'s spread constraint counts: same namespace, matching the
        selector plus the ``matchLabelKeys`` values taken from the owner's labels."""
        cache_key = (owner.key, spread)
        if cache_key not in self._spread_cache:
            selector = _spread_selector(owner, spread)
            selected: frozenset[str] = frozenset()
            if selector is not None:
                selected = frozenset(
                    key
                    for key in self._candidates(selector)
                    if self.groups[key].pod.namespace == owner.pod.namespace
                    and selector.matches(self.groups[key].pod.label_map)
                )
            self._spread_cache[cache_key] = selected
        return self._spread_cache[cache_key]

    def eligible_zones(self, group: PodGroup, spread: TopologySpreadConstraint) -> tuple[str, ...]:
        """The problem's zones that are domains of ``group``'s constraint ``spread``: some node
        option of any pool there counts for it (:func:`spread_counts_node`: the node affinity and
        taints policies, the constraints' keys)."""
        pod = group.pod
        keys = tuple(c.topology_key for c in pod.topology_spread if c.binds())
        cache_key = spread_domain_key(spread, pod.node_selector, pod.tolerations, keys)
        if cache_key not in self._eligible_zones:
            self._eligible_zones[cache_key] = tuple(
                zone
                for zone in self.problem.zones
                if any(
                    option.zone == zone
                    and spread_counts_node(
                        spread, pod.node_selector, pod.tolerations, option.labels, option.taints, keys
                    )
                    for option in self.problem.node_options
                )
            )
        return self._eligible_zones[cache_key]

    def eligible_nodes(self, group: PodGroup, spread: TopologySpreadConstraint) -> tuple[frozenset[int], int]:
        """The plan's nodes that are domains of ``group``'s constraint ``spread``, and how many
        domains (distinct node names) they are."""
        pod = group.pod
        keys = tuple(c.topology_key for c in pod.topology_spread if c.binds())
        cache_key = spread_domain_key(spread, pod.node_selector, pod.tolerations, keys)
        if cache_key not in self._eligible_nodes:
            nodes = frozenset(
                i
                for i in range(len(self.nodes))
                if spread_counts_node(
                    spread,
                    pod.node_selector,
                    pod.tolerations,
                    self.labels[i],
                    self.nodes[i].option.taints,
                    keys,
                )
            )
            self._eligible_nodes[cache_key] = (nodes, len({self.nodes[i].name for i in nodes}))
        return self._eligible_nodes[cache_key]

    def holders(self, key: str) -> list[tuple[int, int]]:
        """The nodes holding pods of group ``key``, each with how many."""
        if self._holders is None:
            self._holders = defaultdict(list)
            for i, node in enumerate(self.nodes):
                for held, count in node.pods.items():
                    if count > 0:
                        self._holders[held].append((i, count))
        return self._holders.get(key, [])


def _spread_selector(owner: PodGroup, spread: TopologySpreadConstraint) -> LabelSelector | None:
    return effective_spread_selector(spread, owner.pod.label_map)


def verify_plan(problem: Problem, plan: Plan) -> list[Violation]:
    """Every rule ``plan`` breaks for ``problem``; an empty list means the plan is valid."""
    index = _Index(problem, plan)
    violations = _check_accounting(index, plan)
    if any(v.rule == "unknown workload" for v in violations):
        return violations
    violations += _check_node_options(index)
    for node_index, node in enumerate(plan.nodes):
        violations += _check_node(index, node_index, node)
    by_zone = _pods_by_zone(index)
    for zone, pods in sorted(by_zone.items()):
        violations += _anti_affinity_in_domain(index, zone, pods, hostname=False)
    violations += _check_pod_affinity(index, by_zone)
    violations += _check_spread(index, by_zone)
    violations += _check_pools(index)
    if problem.tolerate_zone_loss:
        violations += _check_zone_loss(index)
    return violations


def _check_accounting(index: _Index, plan: Plan) -> list[Violation]:
    found: list[Violation] = []
    placed: dict[str, int] = defaultdict(int)
    names: set[str] = set()
    for node in plan.nodes:
        if node.name in names:
            found.append(Violation(node.name, "node names", "two nodes share this name"))
        names.add(node.name)
        for key, count in node.pods.items():
            if key not in index.groups:
                found.append(Violation(node.name, "unknown workload", f"{key} is not in the problem"))
            elif count < 0:
                found.append(Violation(node.name, "pods accounted for", f"{count} pods of {key}"))
            placed[key] += count
    for entry in plan.unschedulable:
        if entry.workload not in index.groups:
            found.append(Violation(None, "unknown workload", f"{entry.workload} is not in the problem"))
        placed[entry.workload] += entry.count
        if entry.count > 0 and not entry.reasons:
            found.append(Violation(None, "unschedulable reasons", f"{entry.workload} lists no reason"))
    for group in index.problem.pod_groups:
        if placed[group.key] != group.count:
            found.append(
                Violation(
                    None,
                    "pods accounted for",
                    f"{group.key} has {group.count} replicas but the plan places or lists "
                    f"{placed[group.key]}",
                )
            )
    return found


def _check_node_options(index: _Index) -> list[Violation]:
    by_name: dict[str, list[object]] = defaultdict(list)
    for option in index.problem.node_options:
        by_name[option.name].append(option)
    return [
        Violation(node.name, "node option", f"{node.option.name} is not one of the problem's node options")
        for node in index.nodes
        if not any(
            node.option is known or node.option == known for known in by_name.get(node.option.name, ())
        )
    ]


def _check_node(index: _Index, node_index: int, node: PlannedNode) -> list[Violation]:
    found: list[Violation] = []
    usable = node.option.usable(index.problem.headroom_percent)
    requested = Resources()
    for key, count in node.pods.items():
        requested = requested + index.groups[key].pod.requests * count
    for name, missing in sorted(requested.shortfall(usable).items()):
        what = "Too many pods" if name == PODS else f"Insufficient {name}"
        found.append(
            Violation(
                node.name,
                "resources",
                f"{what}: pods request {requested[name]}, the node has {usable[name]} usable "
                f"({missing} short)",
            )
        )
    labels = index.labels[node_index]
    for key, count in sorted(node.pods.items()):
        if count <= 0:
            continue
        pod = index.groups[key].pod
        if not pod.node_selector.matches(labels):
            found.append(
                Violation(node.name, "node affinity/selector", f"{key} does not match the node's labels")
            )
        blocking = untolerated(node.option.taints, pod.tolerations)
        if blocking:
            found.append(
                Violation(
                    node.name, "taints", f"{key} does not tolerate {', '.join(str(t) for t in blocking)}"
                )
            )
        daemon_ports = [
            (a, b) for a in pod.host_ports for b in node.option.daemonset_host_ports if _ports_overlap(a, b)
        ]
        if daemon_ports:
            port = daemon_ports[0][0]
            found.append(
                Violation(
                    node.name,
                    "host ports",
                    f"{key} binds hostPort {port.port}/{port.protocol}, which a DaemonSet pod there binds",
                )
            )
        for spread in pod.topology_spread:
            if spread.binds() and not node_has_key(spread.topology_key, labels):
                found.append(
                    Violation(
                        node.name,
                        "topology spread",
                        f"{key}: the node has no label {spread.topology_key} (missing required label)",
                    )
                )
    found += _host_port_conflicts(node.name, index, node.pods)
    found += _anti_affinity_in_domain(index, node.name, node.pods, hostname=True)
    return found


def _ports_overlap(first: HostPort, second: HostPort) -> bool:
    if first.port != second.port or first.protocol != second.protocol:
        return False
    return first.host_ip in _ANY_ADDRESS or second.host_ip in _ANY_ADDRESS or first.host_ip == second.host_ip


def _host_port_conflicts(node_name: str, index: _Index, pods: Mapping[str, int]) -> list[Violation]:
    bound: list[tuple[str, HostPort]] = []
    for key, count in sorted(pods.items()):
        for _ in range(min(count, 2)):  # two replicas are enough to show a conflict
            bound.extend((key, port) for port in index.groups[key].pod.host_ports)
    for i, (first_key, first) in enumerate(bound):
        for second_key, second in bound[i + 1 :]:
            if _ports_overlap(first, second):
                return [
                    Violation(
                        node_name,
                        "host ports",
                        f"{first_key} and {second_key} both bind hostPort {first.port}/{first.protocol}",
                    )
                ]
    return []


def _anti_affinity_in_domain(
    index: _Index, domain: str, pods: Mapping[str, int], *, hostname: bool
) -> list[Violation]:
    """Required anti-affinity terms of the pods in one domain (a node or a zone)."""
    found = []
    for key, count in sorted(pods.items()):
        if count <= 0:
            continue
        for term in index.groups[key].pod.pod_anti_affinity:
            if hostname and term.topology_key != HOSTNAME:
                continue
            if not hostname and term.topology_key not in _ZONE_KEYS:
                continue
            selected = index.selected_by_term(term)
            for other in sorted(selected.intersection(pods)):
                others = pods[other] - 1 if other == key else pods[other]
                if others > 0:
                    found.append(
                        Violation(
                            domain if hostname else None,
                            "pod anti-affinity",
                            f"{key} shares {'the node' if hostname else 'zone ' + domain} with "
                            f"{others} pod(s) of {other} that its anti-affinity term selects",
                        )
                    )
    return found


def _pods_by_zone(index: _Index) -> dict[str, dict[str, int]]:
    zones: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for node in index.nodes:
        for key, count in node.pods.items():
            if count > 0:
                zones[node.option.zone][key] += count
    return zones


def _check_pod_affinity(index: _Index, by_zone: Mapping[str, Mapping[str, int]]) -> list[Violation]:
    """Required pod affinity: one pod must match every term (interpodaffinity filtering.go
    ``satisfyPodAffinity``, ``podMatchesAllAffinityTerms``) and share each term's domain, so the
    domain checked is the node when any term is on hostname, else the zone."""
    found: list[Violation] = []
    by_node = {node.name: {k: c for k, c in node.pods.items() if c > 0} for node in index.nodes}
    for group in index.problem.pod_groups:
        terms = [t for t in group.pod.pod_affinity if t.topology_key in MODELLED_KEYS]
        if not terms:
            continue
        selected = frozenset.intersection(*(index.selected_by_term(t) for t in group.pod.pod_affinity))
        hostname = any(t.topology_key == HOSTNAME for t in terms)
        found += _affinity_term(index, group, selected, hostname, by_node if hostname else by_zone)
    return found


def _affinity_term(
    index: _Index,
    group: PodGroup,
    selected: frozenset[str],
    hostname: bool,
    domains: Mapping[str, Mapping[str, int]],
) -> list[Violation]:
    hosting = [name for name, pods in sorted(domains.items()) if pods.get(group.key, 0) > 0]
    if not hosting:
        return []
    others = selected - {group.key}
    others_placed = any(others.intersection(pods) for pods in domains.values())
    if others_placed:
        if group.key in selected and len(hosting) == 1:
            return []  # the first replica may start the domain before the others arrive
        return [
            Violation(
                name if hostname else None,
                "pod affinity",
                f"{group.key} runs in {name} where no pod its affinity term selects runs",
            )
            for name in hosting
            if not others.intersection(domains[name])
        ]
    if group.key not in selected:
        return [Violation(None, "pod affinity", f"{group.key}'s affinity term selects no placed pod")]
    if len(hosting) > 1:
        return [
            Violation(
                None,
                "pod affinity",
                f"{group.key}'s affinity term selects only its own pods, so all must share one "
                f"{'node' if hostname else 'zone'}; they run in {len(hosting)}",
            )
        ]
    return []


def _check_spread(index: _Index, by_zone: Mapping[str, Mapping[str, int]]) -> list[Violation]:
    found: list[Violation] = []
    for group in index.problem.pod_groups:
        for spread in group.pod.topology_spread:
            if not spread.binds():
                continue
            selected = index.selected_by_spread(group, spread)
            if spread.topology_key == HOSTNAME:
                # Only the eligible nodes holding a selected pod are visited (at 100,000 pods,
                # visiting all 10,500 nodes for each of 450 spreads took 14 s); every other
                # eligible node counts 0.
                eligible, domains = index.eligible_nodes(group, spread)
                counts: dict[str, int] = defaultdict(int)
                for key in selected:
                    for i, count in index.holders(key):
                        if i in eligible:
                            counts[index.nodes[i].name] += count
                hosting = {index.nodes[i].name for i, _ in index.holders(group.key) if i in eligible}
            elif spread.topology_key in _ZONE_KEYS:
                counts = {}
                for zone in index.eligible_zones(group, spread):
                    pods = by_zone.get(zone, {})
                    counts[zone] = sum(pods.get(k, 0) for k in selected.intersection(pods))
                hosting = {zone for zone, pods in by_zone.items() if pods.get(group.key, 0) > 0}
                domains = len(counts)
            else:
                continue
            found += _spread_skew(group, spread, counts, hosting, domains)
    return found


def _spread_skew(
    group: PodGroup,
    spread: TopologySpreadConstraint,
    counts: Mapping[str, int],
    hosting: set[str],
    domains: int,
) -> list[Violation]:
    """The violations of ``spread`` by ``group``'s pods: ``counts`` holds the matching pods of
    the eligible domains (those it leaves out hold none), ``domains`` how many there are, and
    ``hosting`` the domains holding the group's own pods."""
    if not domains:
        return []
    minimum = min(counts.values()) if len(counts) == domains else 0
    if spread.min_domains is not None and domains < spread.min_domains:
        minimum = 0
    hostname = spread.topology_key == HOSTNAME
    # A pod outside the eligible domains breaks its node selector, which _check_node reports.
    return [
        Violation(
            name if hostname else None,
            "topology spread",
            f"{group.key}: {counts[name]} matching pods in {name} but the least loaded eligible "
            f"{'node' if hostname else 'zone'} has {minimum} (maxSkew {spread.max_skew})",
        )
        for name in sorted(hosting)
        if name in counts and counts[name] - minimum > spread.max_skew
    ]


def _check_pools(index: _Index) -> list[Violation]:
    counts: dict[str, int] = defaultdict(int)
    for node in index.nodes:
        counts[node.option.pool] += 1
    found = []
    for pool in index.problem.pools:
        count = counts.get(pool.name, 0)
        if count < pool.min_nodes:
            found.append(
                Violation(
                    None, "node pool bounds", f"pool {pool.name} has {count} nodes, min {pool.min_nodes}"
                )
            )
        if pool.max_nodes is not None and count > pool.max_nodes:
            found.append(
                Violation(
                    None, "node pool bounds", f"pool {pool.name} has {count} nodes, max {pool.max_nodes}"
                )
            )
    return found


def _check_zone_loss(index: _Index) -> list[Violation]:
    found: list[Violation] = []
    for zone in index.problem.zones:
        leftover = _replace_lost_zone(index, zone)
        if leftover:
            listed = ", ".join(f"{count} of {key}" for key, count in leftover[:5])
            found.append(
                Violation(
                    None,
                    "zone loss",
                    f"after losing {zone}, the other zones' nodes cannot take "
                    f"{sum(c for _, c in leftover)} of its pods ({listed})",
                )
            )
    return found


def _replace_lost_zone(index: _Index, zone: str) -> list[tuple[str, int]]:
    """First-fit decreasing re-placement of ``zone``'s pods; returns what did not fit."""
    survivors = [i for i, node in enumerate(index.nodes) if node.option.zone != zone]
    headroom = index.problem.headroom_percent
    free: dict[int, dict[str, int]] = {}
    pods_on: dict[int, dict[str, int]] = {}
    for i in survivors:
        node = index.nodes[i]
        pods_on[i] = {k: c for k, c in node.pods.items() if c > 0}
        used = Resources()
        for key, count in pods_on[i].items():
            used = used + index.groups[key].pod.requests * count
        free[i] = dict(node.option.usable(headroom) - used)
    lost: dict[str, int] = defaultdict(int)
    for node in index.nodes:
        if node.option.zone == zone:
            for key, count in node.pods.items():
                if count > 0 and not index.groups[key].zone_bound:  # waits for its EBS volume's zone
                    lost[key] += count
    order = sorted(
        lost,
        key=lambda k: (-index.groups[k].pod.requests[CPU], -index.groups[k].pod.requests[MEMORY], k),
    )
    leftover = []
    for key in order:
        remaining = lost[key]
        requests = index.groups[key].pod.requests
        cpu, memory = requests[CPU], requests[MEMORY]
        for i in survivors:
            if remaining == 0:
                break
            if (cpu > 0 and free[i].get(CPU, 0) < cpu) or (memory > 0 and free[i].get(MEMORY, 0) < memory):
                continue  # no room: the cheap test, before the node's rules (most survivors are full)
            take = min(_how_many_fit(index, key, free[i], pods_on[i], i), remaining)
            if take > 0:
                for name, amount in requests.items():
                    free[i][name] = free[i].get(name, 0) - amount * take
                pods_on[i][key] = pods_on[i].get(key, 0) + take
                remaining -= take
        if remaining:
            leftover.append((key, remaining))
    return leftover


def _how_many_fit(
    index: _Index, key: str, free: Mapping[str, int], pods: Mapping[str, int], node_index: int
) -> int:
    """How many more pods of ``key`` the node takes, honouring every per-node rule."""
    node = index.nodes[node_index]
    pod = index.groups[key].pod
    # Room first: it is the cheap test, and most survivors are full.
    fit = min((free.get(name, 0) // amount for name, amount in pod.requests.items() if amount > 0), default=0)
    if fit <= 0:
        return 0
    if not pod.node_selector.matches(index.labels[node_index]) or untolerated(
        node.option.taints, pod.tolerations
    ):
        return 0
    if _conflicts(index, key, pods):
        return 0
    # A second replica must not conflict with the first (self anti-affinity, a host port).
    return 1 if _conflicts(index, key, {key: 1}) else fit


def _conflicts(index: _Index, key: str, present: Mapping[str, int]) -> bool:
    """Whether a pod of ``key`` may not join a node holding ``present`` (host ports, hostname
    anti-affinity in either direction)."""
    pod = index.groups[key].pod
    for other, count in present.items():
        if count <= 0:
            continue
        other_pod = index.groups[other].pod
        if any(_ports_overlap(a, b) for a in pod.host_ports for b in other_pod.host_ports):
            return True
        if any(
            t.topology_key == HOSTNAME and other in index.selected_by_term(t) for t in pod.pod_anti_affinity
        ):
            return True
        if any(
            t.topology_key == HOSTNAME and key in index.selected_by_term(t)
            for t in other_pod.pod_anti_affinity
        ):
            return True
    return False


def format_violations(violations: Iterable[Violation]) -> str:
    """One violation per line, for error messages."""
    return "\n".join(str(v) for v in violations)
