"""The benchmark's cluster generator: deterministic, every constraint kind present, shares honoured."""

from __future__ import annotations

import doctest
import math
from collections import Counter

import cluster_generator
import pytest
from cluster_generator import (
    GENERIC,
    GPU,
    HOSTNAME_ANTI_AFFINITY,
    HOSTNAME_SPREAD,
    ZONAL_AFFINITY,
    ZONE_SPREAD,
    generate_pod_groups,
    generate_problem,
    workload_kind,
)

from eks_plan.catalog import load_catalog
from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU
from eks_plan.scheduling import WhenUnsatisfiable
from eks_plan.scheduling.labels import ARCH
from eks_plan.scheduling.topology import HOSTNAME, ZONE


def test_docstring_examples() -> None:
    # benchmarks/ is outside the doctest collection of `python -m pytest`, so run them here.
    result = doctest.testmod(cluster_generator)
    assert result.attempted > 0 and result.failed == 0


def test_same_seed_gives_the_same_groups_and_another_seed_does_not() -> None:
    first = generate_pod_groups(1_000, 50, seed=3, with_gpu=True)
    assert generate_pod_groups(1_000, 50, seed=3, with_gpu=True) == first
    other = generate_pod_groups(1_000, 50, seed=4, with_gpu=True)
    assert [g.key for g in other] == [g.key for g in first]  # the same kinds and names...
    assert [(g.count, g.pod.requests) for g in other] != [(g.count, g.pod.requests) for g in first]


@pytest.mark.parametrize(("pods", "workloads"), [(1_000, 50), (10_000, 400), (100_000, 3_000), (7, 7)])
def test_counts_add_up_and_every_workload_has_a_replica(pods: int, workloads: int) -> None:
    groups = generate_pod_groups(pods, workloads, seed=1)
    assert len(groups) == workloads
    assert sum(g.count for g in groups) == pods
    assert min(g.count for g in groups) >= 1
    assert len({g.key for g in groups}) == workloads


def test_too_few_pods_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one replica"):
        generate_pod_groups(5, 6, seed=1)


def test_each_kind_carries_its_rule_and_only_that_rule() -> None:
    groups = generate_pod_groups(2_000, 100, seed=11, with_gpu=True)
    kinds = Counter(workload_kind(g) for g in groups)
    assert set(kinds) == {GENERIC, ZONE_SPREAD, HOSTNAME_SPREAD, ZONAL_AFFINITY, HOSTNAME_ANTI_AFFINITY, GPU}
    for group in groups:
        pod, kind = group.pod, workload_kind(group)
        own = dict(pod.labels)
        rules = (pod.topology_spread, pod.pod_affinity, pod.pod_anti_affinity)
        assert (pod.requests[NVIDIA_GPU] > 0) == (kind == GPU)
        if kind in (GENERIC, GPU):
            assert rules == ((), (), ())
        elif kind in (ZONE_SPREAD, HOSTNAME_SPREAD):
            (spread,) = pod.topology_spread
            assert spread.topology_key == (ZONE if kind == ZONE_SPREAD else HOSTNAME)
            assert spread.when_unsatisfiable is WhenUnsatisfiable.DO_NOT_SCHEDULE
            assert spread.selector is not None and spread.selector.matches(own)
            assert spread.max_skew == 1 if kind == ZONE_SPREAD else 1 <= spread.max_skew <= 3
            assert pod.pod_affinity == pod.pod_anti_affinity == ()
        else:
            terms = pod.pod_affinity if kind == ZONAL_AFFINITY else pod.pod_anti_affinity
            (term,) = terms
            assert term.topology_key == (ZONE if kind == ZONAL_AFFINITY else HOSTNAME)
            assert term.selects(pod.namespace, own)  # the rule is about the workload's own pods
            assert pod.topology_spread == ()


def test_no_gpu_workloads_unless_asked() -> None:
    groups = generate_pod_groups(10_000, 400, seed=2)
    assert all(g.pod.requests[NVIDIA_GPU] == 0 for g in groups)
    assert all(not g.pod.tolerations for g in groups)


def test_pod_shares_follow_the_mix() -> None:
    groups = generate_pod_groups(100_000, 3_000, seed=5, with_gpu=True)
    pods = Counter()
    for group in groups:
        pods[workload_kind(group)] += group.count
    for kind, share in cluster_generator.POD_SHARES.items():
        assert pods[kind] == pytest.approx(share * 100_000, abs=2)


def test_requests_stay_in_the_documented_ranges() -> None:
    groups = generate_pod_groups(10_000, 400, seed=9, with_gpu=True)
    for group in groups:
        requests = group.pod.requests
        gib_per_vcpu = requests[MEMORY] / 2**30 / (requests[CPU] / 1000)
        if workload_kind(group) == GPU:
            assert 1 <= requests[NVIDIA_GPU] <= 4
            assert 1 <= requests[CPU] / 1000 / requests[NVIDIA_GPU] <= 3
            assert 4 <= gib_per_vcpu * requests[CPU] / 1000 / requests[NVIDIA_GPU] <= 12
        else:
            assert 50 <= requests[CPU] <= 8000
            step = 64 * 2**20
            assert requests[MEMORY] % step == 0
            # 1-8 GiB per vCPU, rounded up to a 64 MiB step.
            assert gib_per_vcpu >= 1
            assert requests[MEMORY] <= math.ceil(requests[CPU] / 1000 * 8 * 2**30 / step) * step
    cpus = {g.pod.requests[CPU] for g in groups if workload_kind(g) != GPU}
    assert min(cpus) == 50 and max(cpus) == 8000


def test_catalogue_problems_over_the_two_instance_type_sets() -> None:
    default = generate_problem(200, 20, seed=1)
    assert default.zones == ("us-east-1a", "us-east-1b", "us-east-1c")
    # The default pool is a managed node group, whose nodes carry no karpenter.k8s.aws/* labels.
    types = [load_catalog().lookup(option.instance_type) for option in default.node_options]
    assert {t.category for t in types} == {"c", "m", "r"}
    assert min(t.generation or 0 for t in types) == 3
    assert {option.capacity_type for option in default.node_options} == {"on-demand"}
    assert all(workload_kind(group) != GPU for group in default.pod_groups)

    everything = generate_problem(200, 20, seed=1, instance_types="all-current")
    assert len(everything.node_options) > len(default.node_options)
    assert {option.labels[ARCH] for option in everything.node_options} == {"amd64", "arm64"}
    gpu_groups = [group for group in everything.pod_groups if workload_kind(group) == GPU]
    assert gpu_groups
    for group in gpu_groups:  # every GPU workload fits some GPU type
        assert any(group.pod.requests.fits_in(option.usable()) for option in everything.node_options)


def test_unknown_instance_type_set_is_refused() -> None:
    with pytest.raises(ValueError, match="instance_types"):
        generate_problem(10, 2, seed=1, instance_types="everything")
