"""``Packer.place_sampled``: a decision laid node by node in proportion over whole nodes.

The random-rule test in ``test_random_plans.py`` checks that its plans pass the verifier, and the
method's doctest that each node gets the class's mix; this one checks that one-per-node pods a
class's nodes cannot hold move to the zone's other class instead of opening a node each.
"""

from __future__ import annotations

from collections import Counter

from eks_plan.solver.compat import compile_problem
from eks_plan.solver.packing import Packer
from eks_plan.solver.problem import Problem
from tests.builders import make_group, make_option

ZONE = "us-east-1a"


def _classes(compiled) -> dict[str, int]:
    return {compiled.classes[c].instance_type: c for c in range(len(compiled.classes))}


def test_one_per_node_pods_beyond_a_class_nodes_move_to_the_other_class() -> None:
    """The decision puts 6 pods of a hostname anti-affinity group on a class whose pods fill 2
    nodes, and 32 pods of 2 cpu on a class of 16 cpu nodes (4 nodes). The 4 pods the 2 nodes
    cannot hold move to the 4 bigger nodes, whose displaced cpu pods share one new node:
    7 nodes, where leaving them to first-fit opens one node per pod (10 nodes)."""
    solo = make_group("solo", 6, cpu="100m", memory="128Mi", anti_affinity_hostname=True)
    small = make_group("small", 16, cpu="1", memory="1Gi")
    wide = make_group("wide", 32, cpu="2", memory="1Gi")
    a = make_option("a.big", zone=ZONE, cpu=8000, memory_mib=65536, pods=99, price=1.0)
    b = make_option("b.big", zone=ZONE, cpu=16000, memory_mib=65536, pods=99, price=1.5)
    compiled = compile_problem(Problem((solo, small, wide), (a, b), (ZONE,)))
    c = _classes(compiled)
    packer = Packer(compiled)
    packer.place_sampled({0: {c["a.big"]: 6}, 1: {c["a.big"]: 16}, 2: {c["b.big"]: 32}}, [6, 16, 32])

    assert not packer.unplaced
    assert len(packer.nodes) == 7
    assert [node.pods.get(0, 0) for node in packer.nodes].count(1) == 6  # one per node, as the rule says
    held = Counter()
    for node in packer.nodes:
        for g, count in node.pods.items():
            held[g] += count
    assert held == {0: 6, 1: 16, 2: 32}


def test_a_class_whose_pods_all_move_opens_no_node() -> None:
    """Two one-per-node pods alone on a class they do not fill one node of: both move to the
    other class's four nodes, and the emptied class opens nothing (it once failed looking up
    the option of a block with no pods)."""
    solo = make_group("solo", 2, cpu="100m", memory="128Mi", anti_affinity_hostname=True)
    wide = make_group("wide", 32, cpu="2", memory="1Gi")
    a = make_option("a.big", zone=ZONE, cpu=8000, memory_mib=65536, pods=99, price=1.0)
    b = make_option("b.big", zone=ZONE, cpu=16000, memory_mib=65536, pods=99, price=1.5)
    compiled = compile_problem(Problem((solo, wide), (a, b), (ZONE,)))
    c = _classes(compiled)
    packer = Packer(compiled)
    packer.place_sampled({0: {c["a.big"]: 2}, 1: {c["b.big"]: 32}}, [2, 32])

    assert not packer.unplaced
    assert {compiled.options[node.option].instance_type for node in packer.nodes} == {"b.big"}
    assert [node.pods.get(0, 0) for node in packer.nodes].count(1) == 2
