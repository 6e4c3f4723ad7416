"""Seeded synthetic clusters for the solver benchmark, modelled on Karpenter's scheduling benchmark.

Karpenter measures its scheduler with ``makeDiversePods`` (kubernetes-sigs/karpenter,
``pkg/controllers/provisioning/scheduling/scheduling_benchmark_test.go``): the pods are split evenly over
six kinds (generic pods, zone spread and hostname spread with ``maxSkew: 1, DoNotSchedule``, pod
affinity on hostname and on zone, and pod anti-affinity on hostname), with cpu drawn from
100m-1500m and memory from 100Mi-4Gi, from one ``rand.NewSource(42)``. This generator keeps the idea
and the kinds the issue names, and makes the mix look like a real cluster that is worth sizing:

=========================  ============================  ==========================================
kind here                  Karpenter's maker             rule on every replica of the workload
=========================  ============================  ==========================================
``generic``                makeGenericPods               none
``zone-spread``            makeTopologySpreadPods(zone)  zone spread, maxSkew 1, DoNotSchedule
``hostname-spread``        makeTopologySpreadPods(host)  hostname spread, maxSkew 1-3, DoNotSchedule
``zonal-affinity``         makePodAffinityPods(zone)     required pod affinity on zone (one zone)
``hostname-anti-affinity`` makePodAntiAffinityPods(host) required pod anti-affinity on hostname
``gpu``                    (none)                        requests nvidia.com/gpu 1-4
=========================  ============================  ==========================================

Differences from Karpenter's mix, and why:

* Pods come in workloads (Deployments) and every rule selects the workload's own pods
  (``app=<name>``), as real Deployments do. Karpenter's pods pick a random label out of seven, so its
  spread and affinity groups are arbitrary unions of pods; its anti-affinity pods all share one label,
  which at 1/6 of 100,000 pods would ask for 16,667 nodes.
* Pod affinity on hostname is left out (the issue's list leaves it out too): it pins a whole workload
  on one node, so it only tests whether the workload fits on the largest type.
* Hostname spread draws ``maxSkew`` from 1-3 so that it is not the same rule as anti-affinity.
* Requests are wider, as the issue asks: cpu 50m-8 (mostly small), memory 1-8 GiB per vCPU
  (log-uniform, rounded up to 64 MiB), so that the c, m and r families all have a job to do.
* GPU workloads (nvidia.com/gpu 1-4, with 1-3 vCPU and 4-12 GiB per GPU, tolerating the
  ``nvidia.com/gpu`` taint) appear only over the whole current-generation catalogue. Karpenter's
  default NodePool (categories c, m, r) has no GPU type, so there they could only be reported
  unschedulable by both planners and would say nothing about packing; in that mix their share goes
  to generic workloads.

Pods are shared between kinds in fixed proportions (:data:`POD_SHARES`), then between the workloads
of a kind by seeded log-normal weights, so a few workloads are large and most are small, as in real
clusters. Everything comes from one ``random.Random(seed)``: the same arguments give the same problem.

Example::

    >>> groups = generate_pod_groups(1_000, 50, seed=1)
    >>> len(groups), sum(group.count for group in groups)
    (50, 1000)
    >>> sorted({workload_kind(group) for group in groups})
    ['generic', 'hostname-anti-affinity', 'hostname-spread', 'zonal-affinity', 'zone-spread']
    >>> generate_pod_groups(1_000, 50, seed=1) == groups
    True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from eks_plan.resources import CPU, MEMORY, NVIDIA_GPU, PODS, Resources
from eks_plan.scheduling import (
    LabelSelector,
    PodAffinityTerm,
    Toleration,
    TolerationOperator,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
)
from eks_plan.scheduling.pod import PodSpec
from eks_plan.scheduling.topology import HOSTNAME, ZONE
from eks_plan.solver.problem import NodeOption, PodGroup, Problem

KARPENTER_DEFAULT = "karpenter-default"
ALL_CURRENT = "all-current"
INSTANCE_TYPE_SETS = (KARPENTER_DEFAULT, ALL_CURRENT)
DEFAULT_REGION = "us-east-1"
DEFAULT_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")

GENERIC = "generic"
ZONE_SPREAD = "zone-spread"
HOSTNAME_SPREAD = "hostname-spread"
ZONAL_AFFINITY = "zonal-affinity"
HOSTNAME_ANTI_AFFINITY = "hostname-anti-affinity"
GPU = "gpu"

#: Share of the pods (and of the workloads) of each kind. GPU's share goes to generic workloads when
#: the instance types have no GPU (Karpenter's default NodePool).
POD_SHARES: dict[str, float] = {
    GENERIC: 0.29,
    ZONE_SPREAD: 0.20,
    HOSTNAME_SPREAD: 0.15,
    ZONAL_AFFINITY: 0.15,
    HOSTNAME_ANTI_AFFINITY: 0.20,
    GPU: 0.01,
}
#: GPU workloads are few but each holds few replicas: their share of workloads is larger than of pods.
GPU_WORKLOAD_SHARE = 0.03

NAMESPACE = "bench"
MIB = 2**20
GIB = 2**30

# cpu requests in millicores and how often each is drawn (most pods are small, a few are 4-8 vCPU).
_CPU_CHOICES = (50, 100, 250, 500, 1000, 2000, 4000, 8000)
_CPU_WEIGHTS = (10, 15, 20, 20, 15, 10, 6, 4)
_GPU_COUNTS = (1, 1, 1, 2, 4)


def generate_problem(
    pods: int,
    workloads: int,
    *,
    seed: int,
    instance_types: str = KARPENTER_DEFAULT,
    region: str = DEFAULT_REGION,
    zones: Sequence[str] | None = None,
    node_options: Sequence[NodeOption] | None = None,
) -> Problem:
    """A benchmark problem: :func:`generate_pod_groups` over the node options of ``instance_types``.

    ``instance_types`` is ``"karpenter-default"`` (no GPU workloads) or ``"all-current"`` (with GPU
    workloads); their node options come from the real catalogue (:func:`catalogue_node_options`)
    unless ``node_options`` gives others (tests pass small hand-made ones). ``zones`` default to the
    region's default zones of ``eks-plan.yaml`` (us-east-1a, b and c), or those of ``node_options``.
    """
    if instance_types not in INSTANCE_TYPE_SETS:
        raise ValueError(f"instance_types must be one of {INSTANCE_TYPE_SETS}, not {instance_types!r}")
    if node_options is None:
        node_options = catalogue_node_options(instance_types, region, zones)
    if zones is None:
        zones = sorted({option.zone for option in node_options}) or DEFAULT_ZONES
    groups = generate_pod_groups(pods, workloads, seed=seed, with_gpu=instance_types == ALL_CURRENT)
    return Problem(pod_groups=groups, node_options=tuple(node_options), zones=tuple(sorted(zones)))


def catalogue_node_options(
    instance_types: str, region: str = DEFAULT_REGION, zones: Sequence[str] | None = None
) -> tuple[NodeOption, ...]:
    """The real node options of one of :data:`INSTANCE_TYPE_SETS`, on-demand, as ``eks-plan size``
    builds them with no ``eks-plan.yaml`` (a managed-node-group pool, the prefix-free VPC CNI, the
    aws-node and kube-proxy DaemonSets on every node):

    * ``karpenter-default``: the default pool's filter, which is Karpenter's getting-started
      NodePool (categories c, m, r; generation > 2; amd64);
    * ``all-current``: every current-generation type the region sells, any category and
      architecture (GPU and other accelerated types included).

    >>> options = catalogue_node_options(KARPENTER_DEFAULT)
    >>> sorted({option.instance_type.split(".")[0][0] for option in options})
    ['c', 'm', 'r']
    >>> any(option.allocatable[NVIDIA_GPU] for option in catalogue_node_options(ALL_CURRENT))
    True
    """
    from eks_plan.catalog import load_catalog
    from eks_plan.config import load_config
    from eks_plan.config.model import InstanceFilter, replace
    from eks_plan.planning import default_addon_loads, node_options_for_config

    if instance_types not in INSTANCE_TYPE_SETS:
        raise ValueError(f"instance_types must be one of {INSTANCE_TYPE_SETS}, not {instance_types!r}")
    overrides: dict[str, object] = {"region": region}
    if zones is not None:
        overrides["zones"] = tuple(zones)
    config = load_config(None).with_overrides(**overrides)
    catalog = load_catalog()
    if instance_types == ALL_CURRENT:
        (pool,) = config.node_pools
        config = replace(config, node_pools=(replace(pool, instances=InstanceFilter()),))
    options = node_options_for_config(config, catalog, daemonsets=default_addon_loads(config))
    if instance_types == ALL_CURRENT:
        current = {instance_type.name for instance_type in catalog if instance_type.current_generation}
        options = tuple(option for option in options if option.instance_type in current)
    return options


def generate_pod_groups(
    pods: int, workloads: int, *, seed: int, with_gpu: bool = False
) -> tuple[PodGroup, ...]:
    """``workloads`` Deployments holding ``pods`` replicas in all, in the mix described above.

    ``with_gpu`` adds the GPU workloads (only meaningful when the instance types include GPU types).
    Raises ``ValueError`` when there are fewer pods than workloads (every workload has a replica).

    Example: the 10,000-pod case has 400 workloads, every kind present, the same for the same seed::

        >>> groups = generate_pod_groups(10_000, 400, seed=7, with_gpu=True)
        >>> sum(g.count for g in groups), len(groups), GPU in {workload_kind(g) for g in groups}
        (10000, 400, True)
    """
    if workloads < 1 or pods < workloads:
        raise ValueError(f"need at least one replica per workload: {pods} pods for {workloads} workloads")
    rng = random.Random(seed)
    pod_shares = dict(POD_SHARES)
    workload_shares = dict(POD_SHARES)
    if with_gpu:
        workload_shares[GPU] = GPU_WORKLOAD_SHARE
        workload_shares[GENERIC] -= GPU_WORKLOAD_SHARE - POD_SHARES[GPU]
    else:
        pod_shares[GENERIC] += pod_shares.pop(GPU)
        workload_shares[GENERIC] += workload_shares.pop(GPU)
    kinds = list(pod_shares)
    workloads_per_kind = _apportion(workloads, [workload_shares[kind] for kind in kinds], minimum=1)
    # Each kind's pods, but never fewer than one per workload of that kind.
    pods_per_kind = _apportion(pods, [pod_shares[kind] for kind in kinds], minimum=1)
    pods_per_kind = _rebalance(pods_per_kind, workloads_per_kind)

    groups: list[PodGroup] = []
    for kind, kind_workloads, kind_pods in zip(kinds, workloads_per_kind, pods_per_kind, strict=True):
        weights = [rng.lognormvariate(0.0, 1.0) for _ in range(kind_workloads)]
        replicas = _apportion(kind_pods, weights, minimum=1)
        for index, count in enumerate(replicas):
            name = f"{kind}-{index:04d}"
            groups.append(PodGroup(f"Deployment/{NAMESPACE}/{name}", count, _make_pod(kind, name, rng)))
    return tuple(groups)


def workload_kind(group: PodGroup) -> str:
    """The generator kind of a workload it made, read back from its name.

    >>> workload_kind(PodGroup("Deployment/bench/zone-spread-0003", 2, None))  # type: ignore[arg-type]
    'zone-spread'
    """
    name = group.key.rsplit("/", 1)[-1]
    return name.rsplit("-", 1)[0]


def _make_pod(kind: str, name: str, rng: random.Random) -> PodSpec:
    """One workload's pod template: requests drawn from ``rng`` and the rule of its kind."""
    labels = (("app", name),)
    own_pods = LabelSelector(match_labels=labels)
    own_namespace = frozenset({NAMESPACE})
    if kind == GPU:
        gpus = rng.choice(_GPU_COUNTS)
        cpu = gpus * 1000 * rng.choice((1, 2, 3))
        memory = gpus * GIB * rng.choice((4, 8, 12))
        requests = Resources({CPU: cpu, MEMORY: memory, NVIDIA_GPU: gpus, PODS: 1})
        toleration = Toleration(NVIDIA_GPU, TolerationOperator.EXISTS)
        return PodSpec(NAMESPACE, labels, requests, tolerations=(toleration,))
    cpu = rng.choices(_CPU_CHOICES, weights=_CPU_WEIGHTS)[0]
    gib_per_vcpu = math.exp(rng.uniform(0.0, math.log(8.0)))
    memory = max(1, math.ceil(cpu / 1000 * gib_per_vcpu * GIB / (64 * MIB))) * 64 * MIB
    requests = Resources({CPU: cpu, MEMORY: memory, PODS: 1})
    match kind:
        case "generic":
            return PodSpec(NAMESPACE, labels, requests)
        case "zone-spread":
            spread = TopologySpreadConstraint(1, ZONE, WhenUnsatisfiable.DO_NOT_SCHEDULE, own_pods)
            return PodSpec(NAMESPACE, labels, requests, topology_spread=(spread,))
        case "hostname-spread":
            skew = rng.choice((1, 2, 3))
            spread = TopologySpreadConstraint(skew, HOSTNAME, WhenUnsatisfiable.DO_NOT_SCHEDULE, own_pods)
            return PodSpec(NAMESPACE, labels, requests, topology_spread=(spread,))
        case "zonal-affinity":
            affinity = PodAffinityTerm(own_pods, ZONE, own_namespace)
            return PodSpec(NAMESPACE, labels, requests, pod_affinity=(affinity,))
        case "hostname-anti-affinity":
            anti = PodAffinityTerm(own_pods, HOSTNAME, own_namespace)
            return PodSpec(NAMESPACE, labels, requests, pod_anti_affinity=(anti,))
    raise ValueError(f"unknown workload kind {kind!r}")


def _apportion(total: int, weights: Sequence[float], *, minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``
    (largest-remainder method, ties to the earlier entry), so the parts always sum to ``total``.

    >>> _apportion(10, [1.0, 1.0, 1.0])
    [4, 3, 3]
    >>> _apportion(5, [100.0, 1.0, 1.0], minimum=1)
    [3, 1, 1]
    """
    if total < minimum * len(weights):
        raise ValueError(f"cannot split {total} into {len(weights)} parts of at least {minimum}")
    spare = total - minimum * len(weights)
    weight_sum = sum(weights)
    exact = [spare * weight / weight_sum for weight in weights]
    parts = [math.floor(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for index in by_remainder[: spare - sum(parts)]:
        parts[index] += 1
    return [minimum + part for part in parts]


def _rebalance(pods_per_kind: list[int], workloads_per_kind: list[int]) -> list[int]:
    """Move pods from kinds with spare replicas to kinds with fewer pods than workloads.

    >>> _rebalance([10, 1], [2, 3])
    [8, 3]
    """
    pods = list(pods_per_kind)
    for needy, need in enumerate(workloads_per_kind):
        while pods[needy] < need:
            donor = max(range(len(pods)), key=lambda i: pods[i] - workloads_per_kind[i])
            pods[donor] -= 1
            pods[needy] += 1
    return pods
