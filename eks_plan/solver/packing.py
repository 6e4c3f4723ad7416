"""From per-class pod counts to concrete nodes: the zone split and the first-fit-decreasing packer.

The bound and the model decide how many pods of each group go to each option class (an instance
type of a pool, all zones together). This module turns such a decision into nodes a verifier can
check:

1. **Zone split** (:func:`split_zones`): groups tied to zones by a rule (zone spread, zone
   anti-affinity or affinity, or counted by another group's zone spread) get per-zone counts by
   water-filling: each pod goes to the allowed zone with the fewest pods that the spread
   constraints counting it see, so every zone spread ends with a skew of at most 1. Free groups
   keep no zone: the packer may put them in any zone, which is how they fill the partly used
   nodes that the zone split leaves.
2. **Packing** (:class:`Packer`): portions are placed zone-bound first, then free, each sorted by
   size (largest dominant share first, first-fit decreasing); each portion fills the open nodes
   (with ``own_class_first``, those of its own class first: the decision balanced each class's
   mix of cpu- and memory-heavy pods, and at 100,000 pods this packs the LP's decision 2.3%
   cheaper, though not every decision), in order, honouring resources, host ports, hostname
   anti-affinity and the hostname spread caps, and opens new nodes when the open ones are full.
   A portion that cannot open a node (pool at its maximum, no option in the zone) spills to the
   cheapest other class allowed. :meth:`Packer.place_sampled` places a decision the other way
   round, node by node: each node takes an even share of every group of its zone and class, so
   that each node, not only the class in total, holds the LP's mix (at 10,000 and 100,000 pods
   2.5-10% cheaper than first-fit decreasing on the LP's decision).

Example: 5 pods of 600m on nodes that take 3 each become two nodes, 3 + 2::

    >>> from eks_plan.resources import Resources
    >>> from eks_plan.scheduling.pod import PodSpec
    >>> from eks_plan.solver.compat import compile_problem
    >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
    >>> pod = PodSpec("shop", (("app", "web"),), Resources({"cpu": 600, "pods": 1}))
    >>> node = NodeOption("default", "m7i.large", "a", "on-demand", 0.1, Resources({"cpu": 1930, "pods": 29}))
    >>> compiled = compile_problem(Problem((PodGroup("Deployment/shop/web", 5, pod),), (node,), ("a",)))
    >>> packer = Packer(compiled)
    >>> packer.place_all({0: {0: 5}}, [5])
    >>> [sorted(n.pods.values()) for n in packer.nodes]
    [[3], [2]]
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eks_plan.solver.compat import UNLIMITED, CompiledProblem, Spread
from eks_plan.solver.plan import Fit, FitCount, ReasonCode, UnplacedReason

#: The step of :meth:`Packer.place_sampled`'s per-group phases (which group's share of a block
#: rounds up), 1 / golden ratio: successive multiples spread evenly over [0, 1) whatever their
#: number.
GOLDEN_PHASE = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(slots=True)
class Node:
    """A node being filled: its option, zone, what is still free, and what runs on it."""

    option: int
    class_index: int
    zone: int
    free: np.ndarray  # a row of the packer's free-capacity array
    pods: dict[int, int] = field(default_factory=dict)
    spread_counts: dict[int, int] = field(default_factory=dict)
    index: int = 0


@dataclass(slots=True)
class Portion:
    group: int
    class_index: int
    zone: int | None  # None: any zone the group may use
    count: int


class _FlatClasses:
    """Every option of every class, in class order, as arrays (for :meth:`Packer.cheapest_class`)."""

    def __init__(self, compiled: CompiledProblem) -> None:
        classes = compiled.classes
        self.pools = sorted({option_class.pool for option_class in classes})
        pool_index = {pool: i for i, pool in enumerate(self.pools)}
        sizes = [len(option_class.options) for option_class in classes]
        self.options = np.array([o for c in classes for o in c.options], dtype=np.int64)
        self.zones = np.array([z for c in classes for z in c.zones], dtype=np.int64)
        self.class_index = np.repeat(np.array([c.index for c in classes], dtype=np.int64), sizes)
        self.price = np.repeat(np.array([c.price for c in classes], dtype=np.float64), sizes)
        self.pool_of = np.repeat(np.array([pool_index[c.pool] for c in classes], dtype=np.int64), sizes)


class Packer:
    """First-fit decreasing placement of per-class pod counts onto concrete nodes."""

    def __init__(
        self, compiled: CompiledProblem, own_class_first: bool = False, by_priority: bool = False
    ) -> None:
        self.compiled = compiled
        self.own_class_first = own_class_first
        # With by_priority, higher-priority pods are placed first, so that when pool limits leave
        # pods Pending they are the lowest-priority ones, as preemption would leave them.
        self.by_priority = by_priority
        self.nodes: list[Node] = []
        self.by_class: dict[int, list[int]] = defaultdict(list)
        #: Open nodes per class and zone, kept as nodes open, close and change class, so that
        #: choosing the zone of the next node costs the same on the 5,000th node as on the first.
        self.class_zone_counts: dict[int, Counter[int]] = defaultdict(Counter)
        self.pool_counts: dict[str, int] = defaultdict(int)
        self.unplaced: dict[int, int] = defaultdict(int)
        self.unplaced_why: dict[int, UnplacedReason] = {}
        self.pool_max = {p.name: p.max_nodes for p in compiled.problem.pools if p.max_nodes is not None}
        self._usable = compiled.usable.astype(np.float64)
        self._shares: dict[int, np.ndarray] = {}
        self._flat_classes = _FlatClasses(compiled)
        self._host_hard = [
            target is not None and target != frozenset({g}) for g, target in enumerate(compiled.host_affinity)
        ]
        # Node facts as arrays, so that "how many pods of g fit each node" is one numpy expression.
        rows = 1024
        self._free = np.zeros((rows, len(compiled.resources)), dtype=np.int64)
        self._option = np.zeros(rows, dtype=np.int64)
        self._zone = np.zeros(rows, dtype=np.int64)
        self._pod_total = np.zeros(rows, dtype=np.int64)
        self.group_nodes: dict[int, dict[int, int]] = defaultdict(dict)
        self._spread_nodes: dict[int, np.ndarray] = {}

    # --- public -------------------------------------------------------------------------------

    def place_all(self, per_class: Mapping[int, Mapping[int, int]], placeable: Sequence[int]) -> None:
        """Place ``per_class[g][c]`` pods of each group ``g`` on class ``c``.

        ``placeable[g]`` is the number of pods of ``g`` to place; counts missing from
        ``per_class`` go to the group's cheapest class.
        """
        self.place_portions(self._decision_portions(per_class, placeable))

    def place_sampled(
        self, per_class: Mapping[int, Mapping[int, int]], placeable: Sequence[int], balanced: bool = True
    ) -> None:
        """Place a decision as :meth:`place_all` does, but node by node in proportion: each zone's
        pods of each class are laid over the whole nodes they fill, every node taking an even
        share of every group (:meth:`_even_share`: with ``balanced``, a group's odd pods go to
        the nodes with the most room for them; without, each group is cut at evenly spaced
        points), and what is left is placed first-fit.

        Why: the LP's decision balances each class's cpu- and memory-heavy pods only in total.
        First-fit decreasing places the biggest pods first, so its first nodes run out of memory
        with cpu idle and its last ones run out of pod slots; an even share of every group gives
        each node the class's own mix. Measured on the LP's decision of the benchmark's synthetic
        clusters (``benchmarks/cluster_generator.py``), first-fit decreasing -> evenly spaced
        cuts -> balanced:

        - 10,000 pods on Karpenter's default types (LP: 111 m5a.24xlarge and 9 c6a.48xlarge
          nodes, $524.62/h): $569.66/h -> $545.35/h -> $538.26/h, and $530.94/h with the
          capped pods moved (:meth:`_move_capped_surplus`), where 30 s of pattern packing and
          search after first-fit had reached $555-559/h;
        - 100,000 pods there (LP $4,536.29/h): $5,114.19/h (own class first: $5,083.86/h) ->
          $4,728.75/h -> $4,617.57/h -> $4,600.52/h, below the cheapest plan 300 s solves had
          found ($4,835.66/h);
        - over every current type, whose classes are small nodes of a few pods each: 10,000 pods
          $571.49/h -> $539.93/h -> $531.49/h -> $542.29/h, 100,000 pods $5,029.31/h ->
          $4,898.41/h (moved: $4,901.47/h) -> $4,978.79/h (the one case where the cuts win, so
          the solver tries both);
        - 1,000 pods, where a class's pods fill few nodes: dearer ($47.74/h -> $50.80/h ->
          $51.32/h on Karpenter's default types), so these are candidates among the others.

        Whole nodes only: a block's last, partly filled node goes to first-fit with the rest
        (opening it as a whole node too, to be trimmed later, measured $550.07/h at 10,000 pods
        against $545.35/h with the cuts).

        Example: 6 pods of 1 cpu and 6 of 2 GiB on nodes of 4 cpu, 9 GiB and 6 pod slots take two
        nodes, each 3 + 3 (first-fit decreasing fills the first node with four 1 cpu pods, which
        leaves its slots idle, and needs three)::

            >>> from eks_plan.resources import Resources
            >>> from eks_plan.scheduling.pod import PodSpec
            >>> from eks_plan.solver.compat import compile_problem
            >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
            >>> cpu = PodSpec("shop", (("app", "cpu"),), Resources({"cpu": 1000, "memory": 2**28, "pods": 1}))
            >>> mem = PodSpec("shop", (("app", "mem"),), Resources({"cpu": 100, "memory": 2**31, "pods": 1}))
            >>> room = Resources({"cpu": 4000, "memory": 9 * 2**30, "pods": 6})
            >>> node = NodeOption("default", "x", "a", "on-demand", 1.0, room)
            >>> groups = (PodGroup("Deployment/shop/cpu", 6, cpu), PodGroup("Deployment/shop/mem", 6, mem))
            >>> compiled = compile_problem(Problem(groups, (node,), ("a",)))
            >>> packer = Packer(compiled)
            >>> packer.place_sampled({0: {0: 6}, 1: {0: 6}}, [6, 6])
            >>> [sorted(n.pods.items()) for n in packer.nodes]
            [[(0, 3), (1, 3)], [(0, 3), (1, 3)]]
            >>> packer = Packer(compiled)
            >>> packer.place_all({0: {0: 6}, 1: {0: 6}}, [6, 6])
            >>> [sorted(n.pods.items()) for n in packer.nodes]
            [[(0, 4)], [(0, 2), (1, 4)], [(1, 2)]]
        """
        if self.by_priority:
            # Pools too small for every pod: the pods left Pending must be the lowest-priority
            # ones, which only placing by priority, one portion after another, keeps.
            self.place_all(per_class, placeable)
            return
        compiled = self.compiled
        problem_zones = [z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones]
        blocks: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
        rest: list[Portion] = []
        portions = self._ordered(self._decision_portions(per_class, placeable))
        free: set[int] = set()  # groups of no zone rule: what is left of them may go to any zone
        rank: dict[int, int] = {}  # each group's place in the order of the portions
        for portion in portions:
            g, c = portion.group, portion.class_index
            rank.setdefault(g, len(rank))
            candidates = [portion.zone] if portion.zone is not None else problem_zones
            zones = [z for z in candidates if self._option_in(g, c, z) is not None]
            if compiled.host_affinity[g] is not None or not zones:
                # Pod affinity on hostname (to others, or all replicas on one node): first-fit
                # follows it, an even share over nodes would not.
                rest.append(portion)
                continue
            if portion.zone is None:
                free.add(g)
            for k, z in enumerate(zones):  # a free group's pods, evenly over the zones
                share = portion.count // len(zones) + (k < portion.count % len(zones))
                if share:
                    blocks[(z, c)][g] = blocks[(z, c)].get(g, 0) + share
        self._move_capped_surplus(blocks, rank)
        for (z, c), counts in blocks.items():  # in the order of their first portion
            left = self._lay_over_whole_nodes(z, c, counts, balanced)
            rest += [Portion(p.group, p.class_index, None, p.count) if p.group in free else p for p in left]
        self.place_portions(rest)

    def _move_capped_surplus(
        self, blocks: dict[tuple[int, int], dict[int, int]], rank: Mapping[int, int]
    ) -> None:
        """Move the pods of a group with a per-node cap (hostname anti-affinity, a hostPort, a
        hostname spread) that a block's whole nodes cannot hold (more than cap x nodes) to the
        zone's other blocks with room under the cap, the one with the most first; then order
        each block's groups as the portions were (``rank``).

        Why: the LP counts one-per-node pods against all the nodes a group may use, not per
        class, so its decision may put 12 such pods on a class of 3 nodes in a zone while the
        zone's other class has 35. Left so, the 9 go to first-fit, find the big nodes full and
        open a small node each. Measured on the LP's decision (balanced shares, with the capped
        groups' shares whole as :meth:`_even_share` takes them): 10,000 pods on Karpenter's
        default types $538.26/h -> $530.94/h (173 -> 124 nodes), 100,000 pods $4,617.57/h ->
        $4,600.52/h; over every current type, where the nodes are small and few pods are
        capped, $531.49/h -> $542.29/h at 10,000 pods (the pattern stage's $510-525/h wins
        there) and, in cuts, $4,898.41/h -> $4,901.47/h at 100,000."""
        compiled = self.compiled
        whole = {key: math.floor(self._worth(key, counts)[1] + 1e-9) for key, counts in blocks.items()}
        by_zone: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for key in blocks:
            by_zone[key[0]].append(key)
        for zone, keys in by_zone.items():
            groups = sorted({g for key in keys for g in blocks[key]}, key=lambda g: rank[g])
            for g in groups:
                cap = int(compiled.rule_cap[g])
                if cap >= UNLIMITED:
                    continue
                for key in keys:
                    surplus = blocks[key].get(g, 0) - cap * whole[key]
                    if surplus <= 0:
                        continue
                    others = [o for o in keys if o != key and self._option_in(g, o[1], zone) is not None]
                    others.sort(key=lambda o: -(cap * whole[o] - blocks[o].get(g, 0)))
                    for other in others:
                        move = min(surplus, cap * whole[other] - blocks[other].get(g, 0))
                        if move <= 0:
                            break
                        blocks[key][g] -= move
                        blocks[other][g] = blocks[other].get(g, 0) + move
                        surplus -= move
        for key, counts in list(blocks.items()):
            kept = {g: n for g, n in sorted(counts.items(), key=lambda item: rank[item[0]]) if n > 0}
            if kept:
                blocks[key] = kept
            else:
                del blocks[key]  # every pod moved on: no node to open

    def _worth(self, key: tuple[int, int], counts: Mapping[int, int]) -> tuple[int, float]:
        """The option of block ``key`` (zone, class) and how many of its nodes ``counts`` fill,
        by the busiest resource (0 when a pod needs a resource the option lacks)."""
        zone, class_index = key
        compiled = self.compiled
        option = next(o for o in (self._option_in(g, class_index, zone) for g in counts) if o is not None)
        requests = compiled.requests[list(counts)]
        load = (requests * np.array(list(counts.values()))[:, None]).sum(axis=0)
        usable = compiled.usable[option]
        if (load[usable <= 0] > 0).any():
            return option, 0.0
        return option, float(max((load[usable > 0] / usable[usable > 0]).max(initial=0.0), 0.0))

    def _lay_over_whole_nodes(
        self, zone: int, class_index: int, counts: Mapping[int, int], balanced: bool
    ) -> list[Portion]:
        """Open the whole nodes that ``counts`` (pods per group, in placement order) fill in
        ``zone`` on ``class_index`` (the floor of their worth in nodes of the busiest resource),
        give each its even share of every group (:meth:`_even_share`), as many as the node's
        rules take; return what is left as portions."""
        compiled = self.compiled
        option, worth = self._worth((zone, class_index), counts)
        indices: list[int] = []
        pool = compiled.options[option].pool
        while len(indices) < math.floor(worth + 1e-9) and self._pool_has_room(pool):
            indices.append(self.open_node(option).index)
        left: list[Portion] = []
        for k, (g, count) in enumerate(counts.items()):
            if indices:
                takes = np.minimum(
                    self._even_share(g, count, indices, worth, (k * GOLDEN_PHASE) % 1.0, balanced),
                    self.fits(g, zone, first=indices[0]),
                )
                for index in np.flatnonzero(takes).tolist():
                    self._put(g, self.nodes[indices[index]], int(takes[index]))
                count -= int(takes.sum())
            if count > 0:
                left.append(Portion(g, class_index, zone, count))
        while indices and self.nodes[-1].index == indices.pop() and not self.nodes[-1].pods:
            self._close_last()  # a node the pods' rules left empty (the block's last ones)
        return left

    def _even_share(
        self, g: int, count: int, indices: Sequence[int], worth: float, phase: float, balanced: bool
    ) -> np.ndarray:
        """How many of ``count`` pods of ``g`` each of the block's nodes (``indices``, opened in
        a row) should take: the block's ``len(indices)`` of its ``worth`` nodes' share, the same
        number on each, and the odd pods on the nodes with the most room for them (the
        dot-product rule of vector bin packing: the node's free share of each resource times the
        pod's share of it), so that a node short of memory gets the cpu-heavy pods. ``phase``
        (different for each group) rounds the share up for some groups and down for others.

        Measured against cutting each group at evenly spaced points instead (each node the pods
        between ``n * j / worth`` and ``n * (j + 1) / worth``), on the LP's decision: 10,000 pods
        on Karpenter's default types $545.35/h -> $538.26/h, every current type $539.93/h ->
        $531.49/h, 100,000 pods on Karpenter's default types $4,728.75/h -> $4,617.57/h. Ranking
        the nodes instead by how many more of the pod fit, or by the busiest resource after it,
        gave $542.75/h and $542.89/h at 10,000 pods ($4,591.36/h and $4,596.32/h at 100,000)."""
        nodes = len(indices)
        if not balanced:
            edges = np.floor(count * np.arange(nodes + 1) / worth + phase).astype(np.int64)
            return np.diff(edges)
        total = min(count, math.floor(count * nodes / worth + phase))
        cap = int(self.compiled.rule_cap[g])
        if cap < UNLIMITED:
            # Pods that need nodes of their own go whole onto the block's nodes as far as the cap
            # lets them (_move_capped_surplus moved most of the rest away): rounded down by the
            # block's worth, one would be left for a node of its own.
            total = min(count, cap * nodes)
        share = np.full(nodes, total // nodes, dtype=np.int64)
        odd = total % nodes
        if odd:
            usable = np.maximum(self.compiled.usable[self._option[indices[0]]], 1)
            room = self._free[indices[0] : indices[0] + nodes] / usable
            score = room @ (self.compiled.requests[g] / usable)
            share[np.argsort(-score, kind="stable")[:odd]] += 1
        return share

    def _option_in(self, g: int, class_index: int, zone: int) -> int | None:
        """The option of ``class_index`` in ``zone`` that ``g`` may use (``None``: none)."""
        option_class = self.compiled.classes[class_index]
        for o, z in zip(option_class.options, option_class.zones, strict=True):
            if z == zone and self.compiled.allowed[g, o]:
                return o
        return None

    def _decision_portions(
        self, per_class: Mapping[int, Mapping[int, int]], placeable: Sequence[int]
    ) -> list[Portion]:
        """A decision as portions: each group's pods per class, matched with its zone split when a
        zone rule binds it; counts missing from ``per_class`` go to the group's cheapest class,
        and pods the zone rules leave no zone for are given up."""
        compiled = self.compiled
        totals = {g: sum(per_class.get(g, {}).values()) for g in range(len(compiled.groups))}
        for g, count in enumerate(placeable):
            if totals[g] != count:
                cheapest = self.cheapest_class(g, None)
                if cheapest is None:
                    self._give_up(g, count, NO_OPTION)
                    continue
                fixed = dict(per_class.get(g, {}))
                difference = count - totals[g]
                fixed[cheapest] = fixed.get(cheapest, 0) + difference
                if fixed[cheapest] < 0:
                    fixed = {cheapest: count}
                per_class = {**per_class, g: fixed}
        why: dict[int, UnplacedReason | None] = {}
        zone_counts, zone_unplaced = split_zones(compiled, placeable, why)
        for g, count in zone_unplaced.items():
            self._give_up(g, count, why.get(g) or zone_rules_reason(compiled))
        portions: list[Portion] = []
        for g in range(len(compiled.groups)):
            classes = {c: n for c, n in sorted(per_class.get(g, {}).items()) if n > 0}
            if g in zone_counts:
                portions += _zone_portions(compiled, g, classes, zone_counts[g])
            else:
                portions += [Portion(g, c, None, n) for c, n in classes.items()]
        return portions

    def place_zoned(
        self, per_class_zone: Mapping[int, Mapping[tuple[int, int], int]], placeable: Sequence[int]
    ) -> None:
        """Place ``per_class_zone[g][c, z]`` pods of each group ``g`` on class ``c`` in zone ``z``.

        The decision of the zone-indexed model (:func:`~eks_plan.solver.model.zoned_decisions`):
        its zone-bound groups already follow :func:`split_zones`, whose leftovers are given up
        here as in :meth:`place_all`; missing pods go to the group's cheapest class, any zone.
        """
        compiled = self.compiled
        why: dict[int, UnplacedReason | None] = {}
        _, zone_unplaced = split_zones(compiled, placeable, why)
        portions: list[Portion] = []
        for g in range(len(compiled.groups)):
            count = placeable[g] - zone_unplaced.get(g, 0)
            self._give_up(g, zone_unplaced.get(g, 0), why.get(g) or zone_rules_reason(compiled))
            decided = per_class_zone.get(g, {})
            for (c, z), n in sorted(decided.items()):
                if n > 0:
                    portions.append(Portion(g, c, z, n))
            missing = count - sum(decided.values())
            if missing > 0:
                cheapest = self.cheapest_class(g, None)
                if cheapest is None:
                    self._give_up(g, missing, NO_OPTION)
                else:
                    portions.append(Portion(g, cheapest, None, missing))
        self.place_portions(portions)

    def place_portions(self, portions: Sequence[Portion]) -> None:
        """Place each portion (``count`` pods of ``group`` on its class, in its zone; another
        class when that one has no room left), the biggest pods first, as :meth:`place_all`
        places a decision's."""
        for portion in self._ordered(list(portions)):
            self._place(portion)

    def cheapest_class(self, g: int, zone: int | None, exclude: frozenset[int] = frozenset()) -> int | None:
        """The class with the lowest price per pod of ``g`` (dominant share of a node), in ``zone``.

        Each class is priced by its first option (in class order) that ``g`` may use in ``zone``;
        the first class of the lowest price wins. Computed over every option at once with numpy
        (one pass in Python per group would cost groups x options steps).
        """
        flat = self._flat_classes
        mask = self.compiled.allowed[g, flat.options]
        if zone is not None:
            mask &= flat.zones == zone
        pool_full = [not self._pool_has_room(pool) for pool in flat.pools]
        if any(pool_full):
            mask &= ~np.array(pool_full, dtype=bool)[flat.pool_of]
        if exclude:
            mask &= ~np.isin(flat.class_index, np.fromiter(exclude, dtype=np.int64))
        positions = np.flatnonzero(mask)
        if len(positions) == 0:
            return None
        classes = flat.class_index[positions]
        first = positions[np.r_[True, classes[1:] != classes[:-1]]]  # each class's first usable option
        costs = flat.price[first] * np.maximum(self._share(g)[flat.options[first]], 1e-9)
        return int(flat.class_index[first[int(np.argmin(costs))]])

    def cost(self) -> float:
        return sum(self.compiled.options[node.option].price_per_hour for node in self.nodes)

    # --- placement ----------------------------------------------------------------------------

    def _ordered(self, portions: list[Portion]) -> list[Portion]:
        def size(portion: Portion) -> float:
            option = self.compiled.classes[portion.class_index].options[0]
            return float(self._share(portion.group)[option])

        return sorted(
            portions,
            key=lambda p: (
                -self.compiled.groups[p.group].pod.priority if self.by_priority else 0,
                self._host_hard[p.group],
                self.compiled.rule_cap[p.group] >= UNLIMITED,
                p.zone is None,
                -size(p),
                p.group,
                p.class_index,
                p.zone or 0,
            ),
        )

    def _place(self, portion: Portion) -> None:
        compiled = self.compiled
        g = portion.group
        remaining = portion.count
        if self._host_hard[g]:
            targets = compiled.host_affinity[g] or frozenset()
            with_targets = np.zeros(len(self.nodes), dtype=bool)
            for t in targets:
                if t != g:
                    with_targets[list(self.group_nodes.get(t, {}))] = True
            remaining = self._fill(g, portion.zone, remaining, with_targets)
            if remaining:
                self._give_up(g, remaining, UnplacedReason(ReasonCode.POD_AFFINITY))
            return
        if self.own_class_first and self.nodes:
            # The decision's mix is balanced per class (cpu-heavy pods on compute types, memory-heavy
            # on memory types): fill the portion's own class first, so that other classes' pods do
            # not take the room the decision meant for this one.
            own = np.zeros(len(self.nodes), dtype=bool)
            own[self.by_class.get(portion.class_index, [])] = True
            remaining = self._fill(g, portion.zone, remaining, own)
        remaining = self._fill(g, portion.zone, remaining)
        tried = {portion.class_index}
        class_index: int | None = portion.class_index
        while remaining > 0 and class_index is not None:
            remaining = self._open(g, class_index, portion.zone, remaining)
            if remaining > 0:
                class_index = self.cheapest_class(g, portion.zone, frozenset(tried))
                if class_index is not None:
                    tried.add(class_index)
        if remaining > 0:
            self._give_up(g, remaining, self._pool_limit_reason(g) or NO_OPTION)

    def _pool_limit_reason(self, g: int) -> UnplacedReason | None:
        """The pools ``g`` may use that are full, with their maxNodes (``None``: none is full)."""
        pools = sorted({self.compiled.options[o].pool for o in np.flatnonzero(self.compiled.allowed[g])})
        full = tuple((p, self.pool_max[p]) for p in pools if not self._pool_has_room(p))
        return UnplacedReason(ReasonCode.POOL_FULL, pools=full) if full else None

    def fits(self, g: int, zone: int | None = None, first: int = 0) -> np.ndarray:
        """How many more pods of ``g`` fit each node (resources, selector, taints, host ports,
        hostname anti-affinity, hostname spread caps, self hostname affinity); with ``first``,
        only the nodes from that index on (what :meth:`place_sampled` just opened: at 100,000
        pods over every current type, 16,000 nodes, asking of all took most of its 9 s)."""
        compiled = self.compiled
        count = len(self.nodes)
        if count <= first:
            return np.zeros(0, dtype=np.int64)
        fit = np.maximum(_room(compiled, g, self._free[first:count], UNLIMITED), 0)
        fit[~compiled.allowed[g, self._option[first:count]]] = 0
        if zone is not None:
            fit[self._zone[first:count] != zone] = 0
        mine = self.group_nodes.get(g, {})
        cap = int(compiled.rule_cap[g])
        if cap < UNLIMITED:
            fit = np.minimum(fit, cap)
            for i, n in mine.items():
                if i >= first:
                    fit[i - first] = min(fit[i - first], cap - n)
        for s in compiled.spreads_owned[g]:
            spread = compiled.spreads[s]
            if spread.hostname and s in self._spread_nodes:
                # The pods its selector counts on a node, less the least count of any node (0
                # or more), may not exceed maxSkew once a pod of g lands there.
                counted = self._spread_nodes[s][first:count]
                if g in spread.members:
                    fit = np.minimum(fit, spread.max_skew - counted)
                else:
                    fit[counted > spread.max_skew] = 0
        for s in compiled.spreads_counting[g]:
            spread = compiled.spreads[s]
            if spread.hostname and spread.owner != g and s in self._spread_nodes:
                # Another workload's constraint counts g: g is not bound by it, but must not push
                # a node that already holds the owner's pods past the owner's skew.
                owner_nodes = np.zeros(count - first, dtype=bool)
                owner_nodes[[i - first for i in self.group_nodes.get(spread.owner, {}) if i >= first]] = True
                limited = np.maximum(spread.max_skew - self._spread_nodes[s][first:count], 0)
                fit = np.where(owner_nodes, np.minimum(fit, limited), fit)
        for other in compiled.conflicts[g]:
            for i in self.group_nodes.get(other, {}):
                if i >= first:
                    fit[i - first] = 0
        if compiled.host_affinity[g] == frozenset({g}):
            # All replicas share one node: one already holding them, or an empty one.
            holding = np.zeros(count - first, dtype=bool)
            holding[[i - first for i in mine if i >= first]] = True
            fit[(self._pod_total[first:count] > 0) & ~holding] = 0
        return np.maximum(fit, 0)

    def how_many(self, g: int, node: Node) -> int:
        """How many more pods of ``g`` fit ``node``."""
        return int(self.fits(g)[self.nodes.index(node)])

    def _fill(self, g: int, zone: int | None, remaining: int, only: np.ndarray | None = None) -> int:
        """First fit over the open nodes, in the order they were opened."""
        if remaining <= 0 or not self.nodes:
            return remaining
        fit = self.fits(g, zone)
        if only is not None:
            fit = np.where(only, fit, 0)
        if self.compiled.host_affinity[g] == frozenset({g}):
            fit = np.where(fit >= remaining, fit, 0)
        fit = np.minimum(fit, remaining)
        cumulative = np.cumsum(fit)
        if cumulative[-1] == 0:
            return remaining
        last = int(np.searchsorted(cumulative, remaining))
        last = min(last, len(fit) - 1)
        before = int(cumulative[last - 1]) if last > 0 else 0
        takes = fit[: last + 1].copy()
        takes[last] = min(int(takes[last]), remaining - before)
        for i in np.flatnonzero(takes):
            self._put(g, self.nodes[int(i)], int(takes[i]))
            remaining -= int(takes[i])
        return remaining

    def _put(self, g: int, node: Node, count: int) -> None:
        index = node.index
        self._free[index] -= self.compiled.requests[g] * count
        self._pod_total[index] += count
        node.pods[g] = node.pods.get(g, 0) + count
        self.group_nodes[g][index] = node.pods[g]
        for s in self.compiled.spreads_counting[g]:
            if self.compiled.spreads[s].hostname:
                node.spread_counts[s] = node.spread_counts.get(s, 0) + count
                if s not in self._spread_nodes:
                    self._spread_nodes[s] = np.zeros(len(self._free), dtype=np.int64)
                self._spread_nodes[s][index] += count

    def _open(self, g: int, class_index: int, zone: int | None, remaining: int) -> int:
        """Open nodes of ``class_index`` for ``g`` until ``remaining`` pods are placed or none can open.

        How many pods of ``g`` a fresh node of an option takes depends on nothing else (its room,
        the option's labels, and caps that count only that node's own pods), so it is computed
        once per option and the pods of further such nodes are put without scanning every open
        node again: opening 5,000 nodes costs 5,000 steps, not 5,000 times the nodes open. A
        group whose replicas must share one node takes all of them or none, so it is filled the
        long way.
        """
        fresh_fit: dict[int, int] = {}
        together = self.compiled.host_affinity[g] == frozenset({g})
        while remaining > 0:
            option = self._option_to_open(g, class_index, zone)
            if option is None:
                return remaining
            node = self.open_node(option)
            known = fresh_fit.get(option)
            if known is not None:
                take = min(known, remaining)
                self._put(g, node, take)
                remaining -= take
                continue
            left = self._fill(g, None, remaining, self._only(node.index))
            if left == remaining:
                self._close_last()
                return remaining
            if left > 0 and not together:  # the node took all it could: a full fresh node's worth
                fresh_fit[option] = remaining - left
            remaining = left
        return remaining

    def _only(self, index: int) -> np.ndarray:
        mask = np.zeros(len(self.nodes), dtype=bool)
        mask[index] = True
        return mask

    def _option_to_open(self, g: int, class_index: int, zone: int | None) -> int | None:
        option_class = self.compiled.classes[class_index]
        if not self._pool_has_room(option_class.pool):
            return None
        choices = [
            (o, z)
            for o, z in zip(option_class.options, option_class.zones, strict=True)
            if self.compiled.allowed[g, o] and (zone is None or z == zone)
        ]
        if not choices:
            return None
        if len(choices) == 1:
            return choices[0][0]
        per_zone = self.class_zone_counts[class_index]
        return min(choices, key=lambda choice: (per_zone[choice[1]], choice[1]))[0]

    def open_node(self, option: int) -> Node:
        compiled = self.compiled
        index = len(self.nodes)
        if index == len(self._free):
            self._grow()
        class_index = int(compiled.class_of[option])
        self._free[index] = compiled.usable[option]
        self._option[index] = option
        self._zone[index] = int(compiled.option_zone[option])
        self._pod_total[index] = 0
        node = Node(option, class_index, int(compiled.option_zone[option]), self._free[index], index=index)
        self.by_class[class_index].append(index)
        self.class_zone_counts[class_index][node.zone] += 1
        self.nodes.append(node)
        self.pool_counts[compiled.options[option].pool] += 1
        return node

    def _grow(self) -> None:
        rows = len(self._free) * 2
        self._free = np.concatenate([self._free, np.zeros_like(self._free)])
        self._option = np.concatenate([self._option, np.zeros_like(self._option)])
        self._zone = np.concatenate([self._zone, np.zeros_like(self._zone)])
        self._pod_total = np.concatenate([self._pod_total, np.zeros_like(self._pod_total)])
        for s, counts in self._spread_nodes.items():
            self._spread_nodes[s] = np.concatenate([counts, np.zeros(rows - len(counts), dtype=np.int64)])
        for node in self.nodes:
            node.free = self._free[node.index]

    def _close_last(self) -> None:
        node = self.nodes.pop()
        self.by_class[node.class_index].pop()
        self.class_zone_counts[node.class_index][node.zone] -= 1
        self.pool_counts[self.compiled.options[node.option].pool] -= 1

    def downsize(self) -> None:
        """Give every node the cheapest option of its pool and zone that still holds its pods
        (Karpenter's last step too): the packing fills nodes first, then this trims them."""
        compiled = self.compiled
        by_pool_zone: dict[tuple[str, int], Any] = {}  # lists of options, then arrays of them
        for o, option in enumerate(compiled.options):
            key = (option.pool, int(compiled.option_zone[o]))
            by_pool_zone.setdefault(key, []).append(o)
        prices = np.array([option.price_per_hour for option in compiled.options])
        for key, members in list(by_pool_zone.items()):
            members_array = np.array(members, dtype=np.int64)
            by_pool_zone[key] = members_array[np.argsort(prices[members_array], kind="stable")]
        for node in self.nodes:
            if not node.pods:
                continue
            current = node.option
            candidates = by_pool_zone[(compiled.options[current].pool, node.zone)]
            used = compiled.usable[current] - self._free[node.index]
            fits = (compiled.usable[candidates] >= used[None, :]).all(axis=1)
            for g in node.pods:
                fits &= compiled.allowed[g, candidates]
            cheaper = candidates[fits & (prices[candidates] < prices[current] - 1e-12)]
            if len(cheaper) == 0:
                continue
            best = int(cheaper[0])
            self.by_class[node.class_index].remove(node.index)
            self.class_zone_counts[node.class_index][node.zone] -= 1
            node.option = best
            node.class_index = int(compiled.class_of[best])
            self.by_class[node.class_index].append(node.index)
            self.class_zone_counts[node.class_index][node.zone] += 1
            self._option[node.index] = best
            self._free[node.index] = compiled.usable[best] - used

    def _share(self, g: int) -> np.ndarray:
        """``[O]``: one pod of ``g``'s dominant share of each option's usable capacity (0 where the
        option has none of a resource), computed the first time a group asks: a packing reads it
        for the groups it places, and the whole ``[G, O]`` table cost 0.4 s at 100,000 pods over
        every current type (3,000 groups x 3,708 options), on every packer made."""
        share = self._shares.get(g)
        if share is None:
            usable = self._usable
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(usable > 0, self.compiled.requests[g][None, :] / usable, 0.0)
            share = ratio.max(axis=1, initial=0.0)
            self._shares[g] = share
        return share

    def _pool_has_room(self, pool: str) -> bool:
        limit = self.pool_max.get(pool)
        return limit is None or self.pool_counts[pool] < limit

    def _give_up(self, g: int, count: int, why: UnplacedReason) -> None:
        if count > 0:
            self.unplaced[g] += count
            self.unplaced_why.setdefault(g, why)


def _zone_portions(
    compiled: CompiledProblem, g: int, classes: Mapping[int, int], zones: np.ndarray
) -> list[Portion]:
    """Match a zone-bound group's per-zone counts with its per-class counts (classes that have an
    option in the zone first)."""
    left = dict(classes)
    need = {z: int(n) for z, n in enumerate(zones) if n > 0}
    portions: list[Portion] = []
    for prefer_present in (True, False):
        for z in sorted(need):
            for c in sorted(left):
                if need[z] == 0:
                    break
                if left[c] == 0:
                    continue
                present = z in compiled.classes[c].zones
                if prefer_present and not present:
                    continue
                take = min(left[c], need[z])
                portions.append(Portion(g, c, z, take))
                left[c] -= take
                need[z] -= take
    return portions


def _spread_admits(spread: Spread, totals: np.ndarray, zone: int, g: int) -> bool:
    """podtopologyspread's Filter for one more pod of ``g`` in ``zone``: the pods the constraint
    counts there, plus 1 if ``g`` matches its own selector, less the global minimum over the
    constraint's domains (0 with fewer domains than ``minDomains``), is at most ``maxSkew``."""
    if zone not in spread.eligible_zones:
        return False
    minimum = spread.min_count(int(totals[z]) for z in spread.eligible_zones)
    return int(totals[zone]) + (1 if g in spread.members else 0) - minimum <= spread.max_skew


def _zone_reason(
    compiled: CompiledProblem,
    g: int,
    candidates: Sequence[int],
    counts: np.ndarray,
    per_zone_cap: int,
    owned: list[int],
) -> UnplacedReason | None:
    """Why no zone takes another pod of ``g``: every zone fails one filter (``None``: unknown)."""
    zones = len([z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones])
    if not candidates:
        fit = Fit.AFFINITY if compiled.zone_affinity[g] is not None else Fit.ANTI_AFFINITY
        return _none_of(zones, "zones", fit)
    if per_zone_cap == 1 and all(counts[z] >= 1 for z in candidates):
        return _none_of(zones, "zones", Fit.ANTI_AFFINITY)
    if owned:
        return _none_of(zones, "zones", Fit.SPREAD)
    return None


def _none_of(total: int, unit: str, fit: Fit) -> UnplacedReason:
    """``0/<total> <unit>: <total> <fit>``: every candidate fails the same filter."""
    return UnplacedReason(ReasonCode.NO_FIT, total, unit, (FitCount(fit, total),))


def zone_rules_reason(compiled: CompiledProblem) -> UnplacedReason:
    """No zone takes the pod, by anti-affinity, spread or affinity."""
    return UnplacedReason(ReasonCode.ZONE_RULES, len(compiled.problem.zones))


#: No node option is left for the pod.
NO_OPTION = UnplacedReason(ReasonCode.NO_OPTION)


def split_zones(
    compiled: CompiledProblem, placeable: Sequence[int], why: dict[int, UnplacedReason | None] | None = None
) -> tuple[dict[int, np.ndarray], dict[int, int]]:
    """Per-zone pod counts of every zone-bound group, and pods the zone rules leave no zone for
    (with kube-scheduler's reason in ``why``, when given).

    Groups are split in index order, the groups no zone spread binds first (their pods only raise
    the counts others' constraints see, as pods that were already running), except that the targets
    of a zone affinity go before the groups that follow them. A pod of a group that a zone spread
    binds goes only where that constraint's filter admits it (:func:`_spread_admits`).
    """
    zones_in_problem = [z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones]
    zone_count = len(compiled.zones)
    allowed_zones = np.zeros((len(compiled.groups), zone_count), dtype=bool)
    for o in range(len(compiled.options)):
        allowed_zones[:, compiled.option_zone[o]] |= compiled.allowed[:, o]
    spread_totals = [np.zeros(zone_count, dtype=np.int64) for _ in compiled.spreads]
    load = np.zeros(zone_count, dtype=np.int64)
    result: dict[int, np.ndarray] = {}
    unplaced: dict[int, int] = {}
    order = _dependency_order(compiled)
    for g in order:
        if not compiled.zone_constrained[g]:
            continue
        counts = np.zeros(zone_count, dtype=np.int64)
        candidates = [z for z in zones_in_problem if allowed_zones[g, z]]
        for other in compiled.zone_conflicts[g]:
            if other in result:
                candidates = [z for z in candidates if result[other][z] == 0]
        targets = compiled.zone_affinity[g]
        if targets is not None:
            others = [t for t in targets if t != g and t in result]
            if others:
                candidates = [z for z in candidates if any(result[t][z] > 0 for t in others)]
            elif g in targets and candidates:
                best = min(candidates, key=lambda z: (load[z], z))
                candidates = [best]
            else:
                candidates = []
        per_zone_cap = 1 if compiled.zone_anti_self[g] else UNLIMITED
        zone_spreads = [s for s in compiled.spreads_counting[g] if not compiled.spreads[s].hostname]
        owned = [s for s in compiled.spreads_owned[g] if not compiled.spreads[s].hostname]
        remaining = placeable[g]
        while remaining > 0:
            best_zone = None
            best_key: tuple[int, ...] | None = None
            for z in candidates:
                if counts[z] >= per_zone_cap:
                    continue
                if not all(_spread_admits(compiled.spreads[s], spread_totals[s], z, g) for s in owned):
                    continue
                pressure = max((int(spread_totals[s][z]) for s in zone_spreads), default=0)
                key = (pressure, int(load[z]), z)
                if best_key is None or key < best_key:
                    best_key, best_zone = key, z
            if best_zone is None:
                unplaced[g] = remaining
                if why is not None:
                    why[g] = _zone_reason(compiled, g, candidates, counts, per_zone_cap, owned)
                break
            # Place a batch at once when no spread counts this group (affinity only).
            batch = 1 if zone_spreads or per_zone_cap == 1 else remaining
            counts[best_zone] += batch
            load[best_zone] += batch
            for s in zone_spreads:
                spread_totals[s][best_zone] += batch
            remaining -= batch
        result[g] = counts
    return result, unplaced


def _dependency_order(compiled: CompiledProblem) -> list[int]:
    """Groups in index order, zone-affinity targets before the groups that need them."""
    order: list[int] = []
    seen: set[int] = set()

    def visit(g: int, depth: int = 0) -> None:
        if g in seen:
            return
        seen.add(g)
        targets = compiled.zone_affinity[g]
        if targets is not None and depth < 50:
            for t in sorted(targets):
                if t != g:
                    visit(t, depth + 1)
        order.append(g)

    bound = [any(not compiled.spreads[s].hostname for s in owned) for owned in compiled.spreads_owned]
    for g in sorted(range(len(compiled.groups)), key=lambda g: (bound[g], g)):
        visit(g)
    return order


def _loss_order(compiled: CompiledProblem, groups: Iterable[int]) -> list[int]:
    """``groups`` in the order the zone-loss check re-places them: cpu, then memory, descending,
    then workload key."""
    keys = [group.key for group in compiled.groups]
    requests = compiled.requests
    return sorted(groups, key=lambda g: (-int(requests[g, 0]), -int(requests[g, 1]), keys[g]))


def _room(compiled: CompiledProblem, g: int, free: np.ndarray, limit: int) -> np.ndarray:
    """Pods of ``g`` each row of ``free`` (room per resource) holds, at most ``limit``."""
    requests = compiled.requests[g].astype(np.int64)
    positive = requests > 0
    fit = np.full(len(free), limit, dtype=np.int64)
    if positive.any():
        fit = np.minimum(fit, (free[:, positive] // requests[positive]).min(axis=1))
    return fit


def _first_fit(fit: np.ndarray, count: int) -> np.ndarray:
    """What each row takes of ``count`` pods, first-fit in row order, when it holds ``fit``."""
    return np.clip(count - (np.cumsum(fit) - fit), 0, fit)


def zone_loss_leftover(compiled: CompiledProblem, nodes: Sequence[Node]) -> dict[int, dict[int, int]]:
    """For each zone, the pods that do not fit the other zones' spare room when it is lost.

    The same rule as the verifier's, on the packer's own data: the lost zone's pods, sorted by
    cpu then memory (descending, then workload key), go first-fit to the surviving nodes in
    plan order, honouring resources, node selector and taints, host ports and hostname
    anti-affinity. Each workload's first-fit is one pass over arrays of the survivors (a loop
    over them took 3.2 s a call at 10,000 pods).
    """
    if not nodes:
        return {}
    problem_zones = [z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones]
    node_zone = np.array([node.zone for node in nodes], dtype=np.int64)
    node_free = np.array([node.free for node in nodes], dtype=np.int64).reshape(len(nodes), -1)
    result: dict[int, dict[int, int]] = {}
    for zone in problem_zones:
        lost: dict[int, int] = defaultdict(int)
        for node in nodes:
            if node.zone == zone:
                for g, count in node.pods.items():
                    if count > 0 and not compiled.groups[g].zone_bound:  # waits for its EBS volume's zone
                        lost[g] += count
        if not lost:
            continue
        rows = np.flatnonzero(node_zone != zone)
        free = node_free[rows].copy()
        options = np.array([nodes[i].option for i in rows.tolist()], dtype=np.int64)
        # Pods per survivor of the groups a rule counts: those with one pod per node, and those
        # another lost group may not share a node with.
        counted = {g for g in lost if compiled.rule_cap_is_hard[g]}
        counted |= {other for g in lost for other in compiled.conflicts[g]}
        on_node = {g: np.zeros(len(rows), dtype=np.int64) for g in counted}
        for k, i in enumerate(rows.tolist()):
            for g, count in nodes[i].pods.items():
                if g in on_node:
                    on_node[g][k] += count
        leftover: dict[int, int] = {}
        for g in _loss_order(compiled, lost):
            requests = compiled.requests[g].astype(np.int64)
            fit = _room(compiled, g, free, lost[g])
            fit[~compiled.allowed[g, options]] = 0
            for other in compiled.conflicts[g]:
                fit[on_node[other] > 0] = 0  # a pod there, as the verifier counts (a 0 entry is none)
            if compiled.rule_cap_is_hard[g]:
                fit = np.minimum(fit, 1 - on_node[g])
            take = _first_fit(np.maximum(fit, 0), lost[g])
            free -= take[:, None] * requests[None, :]
            if g in on_node:
                on_node[g] += take
            if int(take.sum()) < lost[g]:
                leftover[g] = lost[g] - int(take.sum())
        if leftover:
            result[zone] = leftover
    return result


#: Most rounds of :func:`add_zone_loss_spares` (each buys spares for one lost zone's leftover).
SPARE_ROUNDS = 200


def add_zone_loss_spares(
    compiled: CompiledProblem, packer: Packer, nodes: list[Node]
) -> dict[int, dict[int, int]]:
    """Append empty spare nodes to ``nodes`` (in place) until the loss of any one zone leaves no
    pod without a node (:func:`zone_loss_leftover`, the verifier's rule); return what is still
    left over (``{}`` unless some spare could not be bought).

    One lost zone at a time, the one with the most cpu left over first: the spares it buys stand
    in the other zones and serve their losses too, so the leftovers are measured again after
    each. The lost zone's leftover pods are packed together (:func:`_spare_fill`) onto spares
    in the surviving zone with the least capacity (usable cpu of its nodes), so that spares
    spread over the zones that will need them. A zone whose leftover no spare can take (its
    pools at their maximum) is left for the verifier to report, and the others still get theirs.
    Measured at 1,000 pods on Karpenter's default types (work 10, the packer's plan): buying
    every zone's leftover at once, one group's pods per spare, took 264 spares and the plan to
    $113.91/h against a bound of $66.26/h.

    Example: three zones of one 3-pod node each (3 x 1 cpu on 3 usable), every zone's pods need
    room in the other two: one spare node in each of two zones holds them, whichever zone goes::

        >>> from eks_plan.resources import Resources
        >>> from eks_plan.scheduling.pod import PodSpec
        >>> from eks_plan.solver.compat import compile_problem
        >>> from eks_plan.solver.problem import NodeOption, PodGroup, Problem
        >>> pod = PodSpec("shop", (("app", "web"),), Resources({"cpu": 1000, "pods": 1}))
        >>> options = tuple(NodeOption("default", "m.xl", z, "on-demand", 0.2,
        ...                            Resources({"cpu": 3000, "pods": 29})) for z in "abc")
        >>> problem = Problem((PodGroup("Deployment/shop/web", 9, pod),), options, ("a", "b", "c"),
        ...                   tolerate_zone_loss=True)
        >>> compiled = compile_problem(problem)
        >>> packer = Packer(compiled)
        >>> nodes = [packer.open_node(o) for o in range(3)]
        >>> for node in nodes:
        ...     packer._put(0, node, 3)
        >>> add_zone_loss_spares(compiled, packer, nodes), zone_loss_leftover(compiled, nodes)
        ({}, {})
        >>> sorted(compiled.zones[node.zone] for node in nodes[3:])
        ['a', 'b']

    Two spares is the least: each zone's loss needs 3 cpu free elsewhere, and one spare (3 cpu)
    stands in one zone, whose own loss then leaves the other zones with none.
    """
    from eks_plan.solver.lns import _useful_options

    useful = _useful_options(compiled)
    worth = _standalone_worth(compiled)
    cpu = compiled.requests[:, 0]
    given_up: set[int] = set()
    leftover = zone_loss_leftover(compiled, nodes)
    for _ in range(SPARE_ROUNDS):
        open_zones = sorted(z for z in leftover if z not in given_up)
        if not open_zones:
            break
        lost = max(open_zones, key=lambda z: sum(int(cpu[g]) * n for g, n in leftover[z].items()))
        added = _spares_for_lost_zone(compiled, packer, nodes, lost, leftover[lost], useful, worth)
        if not added:
            given_up.add(lost)  # no spare can hold them (pools at their maximum): the verifier says so
            continue
        nodes.extend(added)
        leftover = zone_loss_leftover(compiled, nodes)
    return leftover


class _Spares:
    """The spares opened for one lost zone, each with the room and the groups that the
    verifier's first-fit will give it (simulated here: the spares themselves stay empty)."""

    def __init__(self, compiled: CompiledProblem, packer: Packer) -> None:
        self.compiled = compiled
        self.packer = packer
        self.nodes: list[Node] = []
        self.options: list[int] = []
        self.free = np.zeros((0, compiled.requests.shape[1]), dtype=np.int64)
        self.held: list[set[int]] = []

    def open(self, option: int) -> int:
        self.nodes.append(self.packer.open_node(option))
        self.options.append(option)
        self.free = np.vstack([self.free, self.compiled.usable[option].astype(np.int64)[None, :]])
        self.held.append(set())
        return len(self.nodes) - 1

    def first_fit(self, g: int, count: int, spares: Sequence[int]) -> np.ndarray:
        """Pods of ``g`` (``count`` of them) that each of ``spares`` takes, first-fit in their
        order under the zone-loss check's per-node rules; the spares' room is taken."""
        compiled = self.compiled
        requests = compiled.requests[g].astype(np.int64)
        rows = np.array(spares, dtype=np.int64)
        fit = _room(compiled, g, self.free[rows], 1 if compiled.rule_cap_is_hard[g] else count)
        fit[~compiled.allowed[g, np.array(self.options, dtype=np.int64)[rows]]] = 0
        if compiled.conflicts[g]:
            for k in np.flatnonzero(fit).tolist():
                if self.held[int(rows[k])] & compiled.conflicts[g]:
                    fit[k] = 0
        take = _first_fit(fit, count)
        for k in np.flatnonzero(take).tolist():
            self.free[rows[k]] -= take[k] * requests
            self.held[rows[k]].add(g)
        return take


def _spares_for_lost_zone(
    compiled: CompiledProblem,
    packer: Packer,
    nodes: Sequence[Node],
    lost: int,
    pods: Mapping[int, int],
    useful: Mapping[int, Sequence[int]],
    worth: np.ndarray,
) -> list[Node]:
    """Spare nodes in the zones other than ``lost`` that hold ``pods`` (group -> count), the pods
    the other nodes cannot take when ``lost`` goes.

    The spares follow every other node in the plan, so the verifier's first-fit (pods by cpu,
    then memory, descending) brings these pods to them in that order; they are filled here by
    the same first-fit (:class:`_Spares`), so that what is bought is what the check will use.
    When a pod fits no spare, new ones open: the option of :func:`_spare_fill` for the pods
    still to come, in the surviving zone with the least capacity (usable cpu, the spares
    counted), so that spares spread over the zones whose losses they also serve; as many nodes
    of its type as the group still needs at that fill, each in the zone of least capacity then
    where that type may hold it. A group no spare can take is left over (the check reports it)."""
    survivors = sorted(z for z in useful if z != lost)
    cpu = {z: 0 for z in survivors}
    for node in nodes:
        if node.zone in cpu:
            cpu[node.zone] += int(compiled.usable[node.option, 0])
    same_type = {
        (compiled.options[o].pool, compiled.options[o].instance_type, compiled.options[o].capacity_type, z): o
        for z in survivors
        for o in useful[z]
    }
    order = _loss_order(compiled, (g for g, n in pods.items() if n > 0))
    remaining = {g: pods[g] for g in order}
    spares = _Spares(compiled, packer)
    for i, g in enumerate(order):
        remaining[g] -= int(spares.first_fit(g, remaining[g], range(len(spares.nodes))).sum())
        while remaining[g] > 0:
            choice = None
            for zone in sorted(survivors, key=lambda z: (cpu[z], z)):
                candidates = [
                    o
                    for o in useful[zone]
                    if compiled.allowed[g, o] and packer._pool_has_room(compiled.options[o].pool)
                ]
                choice = _spare_fill(compiled, candidates, order[i:], remaining, worth)
                if choice is not None:
                    break
            if choice is None:
                break  # no spare can take it (pools at their maximum): the check reports it
            spec = compiled.options[choice[0]]
            kind = (spec.pool, spec.instance_type, spec.capacity_type)
            opened = []
            for _ in range(max(1, remaining[g] // choice[1][g])):
                if not packer._pool_has_room(spec.pool):
                    break
                allowed = [
                    z
                    for z in survivors
                    if (*kind, z) in same_type and compiled.allowed[g, same_type[(*kind, z)]]
                ]
                zone = min(allowed, key=lambda z: (cpu[z], z))
                option = same_type[(*kind, zone)]
                opened.append(spares.open(option))
                cpu[zone] += int(compiled.usable[option, 0])
            placed = int(spares.first_fit(g, remaining[g], opened).sum())
            remaining[g] -= placed
            if placed == 0:
                break  # cannot happen (each spare opened may hold g); a guard against looping
    return spares.nodes


def _standalone_worth(compiled: CompiledProblem) -> np.ndarray:
    """Per group, the least price per pod of a node that holds its pods alone (rule caps kept):
    what a spare's pods are worth, so that a spare holding more of them per dollar wins."""
    prices = np.array([option.price_per_hour for option in compiled.options])
    per_node = np.where(
        compiled.rule_cap_is_hard[:, None], np.minimum(compiled.fit_alone, 1), compiled.fit_alone
    ).astype(np.float64)
    per_pod = np.where(compiled.allowed & (per_node > 0), prices[None, :] / np.maximum(per_node, 1.0), np.inf)
    worth = per_pod.min(axis=1, initial=np.inf)
    return np.where(np.isfinite(worth), worth, 0.0)


#: Groups :func:`_spare_fill` fills one node from, at most: its work stays bounded where a lost
#: zone leaves thousands of groups over (100,000 pods: 1,419 fills over ~1,300 groups each took
#: 96 of a 124 s spare search); one node holds 26 groups on average at 10,000 pods.
FILL_LOOKAHEAD = 64


def _spare_fill(
    compiled: CompiledProblem,
    candidates: Sequence[int],
    order: Sequence[int],
    remaining: Mapping[int, int],
    worth: np.ndarray,
) -> tuple[int, dict[int, int]] | None:
    """The candidate option whose one node, filled first-fit from ``remaining`` in ``order`` (the
    verifier's: cpu, then memory, descending; its first :data:`FILL_LOOKAHEAD` groups) under the
    per-node rules of the zone-loss check (resources, selector and taints, conflicts, one pod per
    node where the cap is hard), holds the most :func:`_standalone_worth` per dollar, with that
    fill; None when none takes a pod. Vectorised over the candidates."""
    if not candidates:
        return None
    options = np.array(candidates, dtype=np.int64)
    free = compiled.usable[options].astype(np.int64)
    order = [g for g in order if remaining[g] > 0][:FILL_LOOKAHEAD]
    column = {g: j for j, g in enumerate(order)}
    taken = np.zeros((len(options), len(order)), dtype=np.int64)
    value = np.zeros(len(options))
    for j, g in enumerate(order):
        requests = compiled.requests[g].astype(np.int64)
        fit = _room(compiled, g, free, 1 if compiled.rule_cap_is_hard[g] else remaining[g])
        fit[~compiled.allowed[g, options]] = 0
        for other in compiled.conflicts[g]:
            if other in column:
                fit[taken[:, column[other]] > 0] = 0
        free -= fit[:, None] * requests[None, :]
        taken[:, j] = fit
        value += fit * worth[g]
    prices = np.array([compiled.options[o].price_per_hour for o in candidates])
    ratio = np.where(taken.any(axis=1), value / np.maximum(prices, 1e-12), -np.inf)
    best = int(np.argmax(ratio))
    if not np.isfinite(ratio[best]):
        return None
    return int(options[best]), {g: int(taken[best, j]) for j, g in enumerate(order) if taken[best, j]}


def enforce_rules(compiled: CompiledProblem, packer: Packer, nodes: Sequence[Node]) -> set[int]:
    """Take off ``nodes`` the pods kube-scheduler would leave Pending in the packed state, and
    record them in ``packer.unplaced`` with the scheduler's reason.

    The zone split admits every pod a zone spread binds, but the packer may then place fewer pods
    in a zone than the split asked (a pool at its ``maxNodes``, a full zone), which lowers a zone's
    count and can leave another zone more than ``maxSkew`` above it; a pod-affinity target may go
    unplaced the same way. This pass checks the final state with the same definitions as the
    verifier (podtopologyspread's Filter against the global minimum over the constraint's domains;
    interpodaffinity's one pod matching every term) and removes the owner's pods that break them,
    until nothing breaks: removing pods never breaks resources, ports, anti-affinity or pool bounds.
    Returns the ``id`` of each node this left empty.
    """
    eligible: dict[tuple[int, int], bool] = {}
    emptied: set[int] = set()
    for _ in range(10_000):
        removals = _rule_removals(compiled, nodes, eligible)
        if not removals:
            break
        for node, g, count, why in removals:
            count = min(count, node.pods.get(g, 0))
            if count <= 0:
                continue
            node.pods[g] -= count
            if node.pods[g] == 0:
                del node.pods[g]
            node.free += compiled.requests[g] * count
            packer._give_up(g, count, why)
            if not node.pods:
                emptied.add(id(node))
    return emptied


def _counts_for_spread(
    compiled: CompiledProblem, s: int, option: int, cache: dict[tuple[int, int], bool]
) -> bool:
    """Whether nodes of ``option`` are domains of spread ``s`` (the shared definition in
    :func:`~eks_plan.scheduling.topology.spread_counts_node`), cached per (spread, option)."""
    from eks_plan.scheduling.topology import spread_counts_node

    key = (s, option)
    if key not in cache:
        spread = compiled.spreads[s]
        pod = compiled.groups[spread.owner].pod
        keys = tuple(c.topology_key for c in pod.topology_spread if c.binds())
        assert spread.constraint is not None
        node_option = compiled.options[option]
        cache[key] = spread_counts_node(
            spread.constraint,
            pod.node_selector,
            pod.tolerations,
            node_option.labels,
            node_option.taints,
            keys,
        )
    return cache[key]


def _rule_removals(
    compiled: CompiledProblem, nodes: Sequence[Node], eligible: dict[tuple[int, int], bool]
) -> list[tuple[Node, int, int, UnplacedReason]]:
    removals: list[tuple[Node, int, int, UnplacedReason]] = []
    zones_in_problem = [z for z, name in enumerate(compiled.zones) if name in compiled.problem.zones]
    by_zone: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    holding: dict[int, list[int]] = defaultdict(list)  # group -> positions of the nodes holding it
    for position, node in enumerate(nodes):
        for g, count in node.pods.items():
            if count > 0:
                by_zone[node.zone][g] += count
                holding[g].append(position)
    zone_count = len(zones_in_problem)
    per_option: dict[int, int] = defaultdict(int)
    for node in nodes:
        per_option[node.option] += 1
    for s, spread in enumerate(compiled.spreads):
        g = spread.owner
        if not holding.get(g):
            continue
        if spread.hostname:
            counted: dict[int, int] = defaultdict(int)
            for member in spread.members:
                for position in holding.get(member, ()):
                    counted[position] += nodes[position].pods[member]
            domains = sum(n for o, n in per_option.items() if _counts_for_spread(compiled, s, o, eligible))
            in_domains = [
                c for p, c in counted.items() if _counts_for_spread(compiled, s, nodes[p].option, eligible)
            ]
            if spread.min_domains is not None and domains < spread.min_domains:
                minimum = 0
            else:  # a domain holding none of the counted pods makes the minimum 0
                minimum = min(in_domains) if in_domains and len(in_domains) == domains else 0
            for position in holding[g]:
                node = nodes[position]
                excess = counted.get(position, 0) - minimum - spread.max_skew
                if excess > 0:
                    take = excess if g in spread.members else node.pods[g]
                    removals.append((node, g, take, _none_of(len(nodes), "nodes", Fit.SPREAD)))
            continue
        totals = {z: sum(by_zone[z].get(m, 0) for m in spread.members) for z in zones_in_problem}
        minimum = spread.min_count(totals.get(z, 0) for z in spread.eligible_zones)
        for z in zones_in_problem:
            excess = totals[z] - minimum - spread.max_skew
            if by_zone[z].get(g, 0) <= 0 or excess <= 0:
                continue
            take = excess if g in spread.members else by_zone[z][g]
            for node in sorted(
                (n for n in nodes if n.zone == z and n.pods.get(g, 0) > 0), key=lambda n: -n.pods[g]
            ):
                if take <= 0:
                    break
                removals.append((node, g, min(take, node.pods[g]), _none_of(zone_count, "zones", Fit.SPREAD)))
                take -= node.pods[g]
    if removals:
        return removals
    for g in range(len(compiled.groups)):
        hostname = compiled.host_affinity[g] is not None
        targets = compiled.host_affinity[g] if hostname else compiled.zone_affinity[g]
        if targets is None or not holding.get(g):
            continue
        others = targets - {g}
        # The domains holding g (a node position, or a zone) and how many of its pods each holds.
        hosting: dict[int, int] = defaultdict(int)
        for position in holding[g]:
            hosting[position if hostname else nodes[position].zone] += nodes[position].pods[g]

        bad = [
            d
            for d in hosting
            if not any((nodes[d].pods if hostname else by_zone[d]).get(h, 0) > 0 for h in others)
        ]
        if len(bad) < len(hosting):
            drop = bad  # domains with a target: the others must join them
        elif g in targets:
            # No other target anywhere near: the first pod may start a domain (interpodaffinity's
            # exception for a pod matching all its own terms); every other replica must join it.
            keep = max(hosting, key=lambda d: (hosting[d], -d))
            drop = [d for d in hosting if d != keep]
        else:
            drop = list(hosting)
        dropped = set(drop)
        for position in holding[g]:
            if (position if hostname else nodes[position].zone) in dropped:
                node = nodes[position]
                removals.append((node, g, node.pods[g], _none_of(len(nodes), "nodes", Fit.AFFINITY)))
    return removals
