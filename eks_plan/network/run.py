"""``eks-plan check-ips`` as one library call: the cluster from a plan, a plan document or nodes by
hand, the subnets and CNI settings from flags, the VPC or the config, then :func:`check_ips`.

The command (:mod:`eks_plan.cli.check_ips`) parses flags, calls :func:`check_cluster_ips` and
picks an output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from eks_plan.catalog.capacity import NodeStyle
from eks_plan.errors import InputError
from eks_plan.network.check import (
    CheckReport,
    ClusterNetwork,
    NodeFacts,
    WorkloadFacts,
    check_ips,
    hand_written_nodes,
    validate_inputs,
)
from eks_plan.network.subnets import SubnetRole

if TYPE_CHECKING:
    from eks_plan.plan.document import PlanDocument


def check_cluster_ips(
    *,
    plan_file: Path | None,
    plan_document: PlanDocument | None,
    nodes: list[str],
    pods_per_node: int | None,
    config_path: Path | None,
    region: str | None,
    subnet_flags: list[str],
    vpc_id: str | None,
    cni_mode: str | None,
    cni_flags: Mapping[str, object],
    node_style: NodeStyle,
    max_pods: int | None,
    min_free: float,
) -> CheckReport:
    """Check the subnets against a cluster given one way: a plan file (``plan_file``), a plan
    document in memory (sized in place), or nodes by hand (``nodes``: ``--nodes`` flags, with
    ``pods_per_node``, ``node_style`` and ``max_pods``). The CNI settings are the plan's (else the
    config's) with the flags given on top; the subnets are the flags', else the VPC's (``vpc_id``),
    else the config's. Every problem with the inputs is an :class:`InputError`.
    """

    from eks_plan.catalog import load_catalog
    from eks_plan.catalog.capacity import max_pods as catalogue_max_pods
    from eks_plan.catalog.filters import validate_region_and_zone
    from eks_plan.config import load_config
    from eks_plan.network.inputs import (
        override_cni,
        parse_nodes_flags,
        parse_subnet_flag,
        spread_counts,
        subnets_from_config,
    )
    from eks_plan.network.ipamd import NodeNetworkLimits
    from eks_plan.network.plan_input import plan_to_cluster, read_plan_file

    catalog = load_catalog()
    settings = load_config(config_path)
    cni = settings.cni

    def limits_of(name: str, node_max_pods: int) -> NodeNetworkLimits:
        return NodeNetworkLimits.of(catalog.lookup(name), node_max_pods)

    cluster = None
    plan_cni = None
    if plan_file is not None:
        cluster, plan_cni = read_plan_file(plan_file, limits_of)
    elif plan_document is not None:
        cluster, plan_cni = plan_to_cluster(plan_document, limits_of, source="the manifests, sized in place")
    if plan_cni is not None:
        cni = plan_cni
    cni = override_cni(cni, cni_mode, **cni_flags)
    region = region or (cluster.region if cluster else settings.region)
    validate_region_and_zone(catalog, region, None)

    subnets = [parse_subnet_flag(text) for text in subnet_flags]
    if not subnets and vpc_id:
        from eks_plan.network.aws import describe_vpc_subnets

        subnets = describe_vpc_subnets(vpc_id, region)
    if not subnets:
        subnets = subnets_from_config(settings)

    if cluster is None:
        node_settings = cni.node_settings(node_style, max_pods)
        node_zones = sorted({s.zone for s in subnets if s.has_role(SubnetRole.NODES)}) or list(settings.zones)
        hand_nodes: list[NodeFacts] = []
        workloads: dict[str, WorkloadFacts] = {}
        for flag in parse_nodes_flags(nodes):
            instance_type = catalog.lookup(flag.instance_type)
            limits = NodeNetworkLimits.of(instance_type, catalogue_max_pods(instance_type, node_settings))
            if pods_per_node is not None and pods_per_node > limits.max_pods:
                raise InputError(
                    f"--pods-per-node {pods_per_node} is more than maxPods {limits.max_pods} "
                    f"of {flag.instance_type}"
                )
            counts = {flag.zone: flag.count} if flag.zone else spread_counts(flag.count, node_zones)
            for zone, count in counts.items():
                made, workload = hand_written_nodes(zone, flag.instance_type, count, limits, pods_per_node)
                hand_nodes += made
                if workload.key in workloads:
                    workload = replace(
                        workload, replicas=workloads[workload.key].replicas + workload.replicas
                    )
                workloads[workload.key] = workload
        cluster = ClusterNetwork(
            region=region,
            zones=tuple(node_zones),
            nodes=tuple(hand_nodes),
            workloads=workloads,
            source="--nodes " + " ".join(nodes),
        )
    elif region != cluster.region:
        cluster = replace(cluster, region=region)

    validate_inputs(cluster, subnets, cni, catalog.zones(region))
    return check_ips(cluster, subnets, cni, min_free)
