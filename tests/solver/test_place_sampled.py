"""``Packer.place_sampled``: a decision laid node by node in proportion over whole nodes.

The random-rule test in ``test_random_plans.py`` checks that its plans pass the verifier, and the
method's doctest that each node gets the class's mix; this one checks that one-per-node pods a
class's nodes cannot hold move to the zone's other class instead of opening a node each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from eks_plan.scheduling import LabelSelector, PodAffinityTerm
from eks_plan.scheduling.labels import HOSTNAME
from eks_plan.solver import NodePool
from eks_plan.solver.compat import CompiledProblem, compile_problem
from eks_plan.solver.packing import Packer
from eks_plan.solver.problem import PodGroup, Problem
from tests.builders import make_group, make_option, make_pod

ZONE = "us-east-1a"


def _classes(compiled: CompiledProblem) -> dict[str, int]:
    return {compiled.classes[c].instance_type: c for c in range(len(compiled.classes))}


def test_one_per_node_pods_beyond_a_class_nodes_move_to_the_other_class() -> None:
    """The decision puts 6 pods of a hostname anti-affinity group on a class whose pods fill 2
    nodes, and 32 pods of 2 cpu on a class of 16 cpu nodes (4 nodes). The 4 pods the 2 nodes
    cannot hold move to the 4 bigger nodes, whose displaced cpu pods share one new node:
    7 nodes, where leaving them to first-fit opens one node per pod (10 nodes). One per node is
    interpodaffinity ``filtering.go`` ``satisfyPodAntiAffinity`` on the hostname key, with two
    workloads on the same nodes."""
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


def test_a_group_whose_replicas_share_one_node_stays_on_one_node() -> None:
    """Pod affinity of a group to itself on hostname puts every replica on one node (what
    first-fit does); an even share over the block's nodes would split them, and the rule pass
    would then list half as unschedulable. The rule is kube-scheduler's: interpodaffinity
    ``filtering.go`` ``satisfyPodAffinity`` admits a pod only on a node whose hostname domain
    already holds a matching pod, except for the very first one (``podMatchesAllAffinityTerms``
    on the pod itself); the verifier follows it."""
    pod = make_pod("tight", cpu="1", memory="1Gi")
    own = LabelSelector(match_labels=pod.labels)
    pod = replace(pod, pod_affinity=(PodAffinityTerm(own, HOSTNAME, frozenset({pod.namespace})),))
    tight = PodGroup("Deployment/default/tight", 4, pod)
    small = make_group("small", 8, cpu="500m", memory="512Mi")
    node = make_option("a.big", zone=ZONE, cpu=4000, memory_mib=65536, pods=99, price=1.0)
    compiled = compile_problem(Problem((tight, small), (node,), (ZONE,)))
    for balanced in (True, False):
        packer = Packer(compiled)
        packer.place_sampled({0: {0: 4}, 1: {0: 8}}, [4, 8], balanced=balanced)
        assert sorted(node.pods.get(0, 0) for node in packer.nodes) == [0, 4]
        assert not packer.unplaced


def test_what_is_left_of_a_group_free_of_zone_rules_may_use_any_zone() -> None:
    """16 one-per-node pods free of zone rules, split 8 and 8 over zones a and b; pool p0 (both
    zones) holds at most 4 nodes, pool p2 (zone b only) 12. Zone a's leftovers must be free to
    go to p2 in zone b, as first-fit sends them, not pinned to zone a, where no node is left."""
    web = make_group("web", 16, cpu="1500m", memory="64Mi", anti_affinity_hostname=True)
    options = (
        make_option("s.large", zone="a", pool="p0", cpu=2000, memory_mib=4096, pods=10, price=0.05),
        make_option("s.large", zone="b", pool="p0", cpu=2000, memory_mib=4096, pods=10, price=0.05),
        make_option("s.large", zone="b", pool="p2", cpu=2000, memory_mib=4096, pods=10, price=0.05),
    )
    pools = (NodePool("p0", 0, 4), NodePool("p2", 0, 12))
    compiled = compile_problem(Problem((web,), options, ("a", "b"), pools))
    packer = Packer(compiled)
    packer.place_sampled({0: {0: 16}}, [16])
    assert not packer.unplaced
    assert sum(node.pods.get(0, 0) for node in packer.nodes) == 16
