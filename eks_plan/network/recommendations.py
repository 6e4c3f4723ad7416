"""What ``eks-plan check-ips`` recommends: subnet sizes that hold the peak, and the CNI settings
(IP targets, prefix delegation, custom networking) that would need fewer addresses, each measured
by running the scenarios again (:mod:`eks_plan.network.scenarios`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from ipaddress import IPv4Network

from eks_plan.network.cluster import CUSTOM_NETWORKING_RANGE, LARGEST_VPC_CIDR_PREFIX
from eks_plan.network.ipamd import (
    NO_ADDRESSES,
    AddressDemand,
    CniSettings,
    fargate_addresses,
)
from eks_plan.network.scenarios import ScenarioResult, ScenarioState, evaluate, zone_demands
from eks_plan.network.subnets import (
    CONTROL_PLANE_FREE_ADDRESSES,
    Subnet,
    SubnetCapacity,
    SubnetRole,
    Verdict,
    smallest_fitting_prefix_length,
)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One change with its numbers: ``summary`` for people, ``details`` for scripts."""

    kind: str
    summary: str
    details: Mapping[str, object]

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "summary": self.summary, **self.details}


def _peak(results: Sequence[ScenarioResult], role: SubnetRole | None = None) -> tuple[int, str]:
    """The most addresses held in any scenario (in subnets of ``role``), and that scenario."""
    best = max(results, key=lambda r: r.held if role is None else r.held_in(role))
    return (best.held if role is None else best.held_in(role)), best.key


def _zone_role_peaks(
    states: Sequence[ScenarioState], cni: CniSettings, role: SubnetRole
) -> dict[str, tuple[AddressDemand, str]]:
    """Per zone, the largest demand on subnets of ``role`` over all scenarios, and its scenario."""
    peaks: dict[str, tuple[AddressDemand, str]] = {}
    for state in states:
        for zone, demand in zone_demands(state, cni).items():
            if role is SubnetRole.PODS:
                wanted = sum(demand.pod_subnet, NO_ADDRESSES)
            else:
                wanted = sum(demand.node_subnet, NO_ADDRESSES) + fargate_addresses(demand.fargate)
            if zone not in peaks or wanted.total > peaks[zone][0].total:
                peaks[zone] = (wanted, state.key)
    return peaks


def _cidr_size(length: int | None) -> str:
    """Words for the smallest fitting subnet; ``None`` is more than the largest subnet, a /16."""
    if length is None:
        return "more than a /16 (the largest subnet; split the nodes over several subnets)"
    return f"a /{length} ({2 ** (32 - length) - 5:,} usable)"


def subnet_size_recommendations(
    states: Sequence[ScenarioState], subnets: Sequence[Subnet], cni: CniSettings, min_free: float
) -> list[Recommendation]:
    recommendations = []
    roles = [SubnetRole.NODES] + ([SubnetRole.PODS] if cni.custom_networking and not cni.ipv6 else [])
    for role in roles:
        for zone, (demand, scenario) in sorted(_zone_role_peaks(states, cni, role).items()):
            current = [s for s in subnets if s.zone == zone and s.has_role(role)]
            if any(s.has_role(SubnetRole.CLUSTER) for s in current):
                demand = demand + AddressDemand(control_plane=CONTROL_PLANE_FREE_ADDRESSES)
            length = smallest_fitting_prefix_length(demand, min_free)
            now = ", ".join(f"{s.cidr} ({s.usable:,} usable)" for s in current) or "none"
            recommendations.append(
                Recommendation(
                    "subnet-size",
                    f"{zone} {role.value}: peak {demand.total:,} addresses ({scenario}) needs "
                    f"{_cidr_size(length)} with {min_free:.0%} free; now {now}",
                    {
                        "zone": zone,
                        "role": role.value,
                        "peak_addresses": demand.total,
                        "peak_prefixes": demand.prefixes,
                        "peak_scenario": scenario,
                        "smallest_prefix_length": length,
                        "current": [str(s.cidr) for s in current],
                    },
                )
            )
    return recommendations


def suggest_ip_targets(states: Sequence[ScenarioState]) -> tuple[int, int]:
    """A MINIMUM_IP_TARGET/WARM_IP_TARGET pair for the cluster: MIT = the mean pool pods per node at
    steady state (rounded up), WIT = the most pods any node gains in a rollout or HPA peak (at
    least 1), so rollouts find addresses warm and idle nodes hold little more than they use
    (the VPC CNI docs: MIT about the expected pods per node, WIT small).

    The data set is the scenarios' own nodes, so the pair follows the plan.
    """
    steady = states[0]
    if not steady.nodes:
        return 1, 1
    minimum = max(math.ceil(sum(n.pool_pods for n in steady.nodes) / len(steady.nodes)), 1)
    before = {node.name: node.pool_pods for node in steady.nodes}
    burst = 1
    for state in states:
        if state.key in ("hpa-max", "surge"):
            for node in state.nodes:
                burst = max(burst, node.pool_pods - before.get(node.name, node.facts.daemonset_pool_pods))
    return minimum, burst


def _measured(peak_now: int, results: Sequence[ScenarioResult]) -> dict[str, object]:
    """What an alternative setting was measured at: its peak against today's, and its worst verdict."""
    peak, scenario = _peak(results)
    return {
        "peak_addresses_now": peak_now,
        "peak_addresses": peak,
        "addresses_saved": peak_now - peak,
        "peak_scenario": scenario,
        "worst_verdict": worst_verdict(results).value,
    }


def alternatives(
    states: Sequence[ScenarioState],
    subnets: Sequence[Subnet],
    cni: CniSettings,
    min_free: float,
    capacities: Mapping[Subnet, SubnetCapacity],
    current: Sequence[ScenarioResult],
) -> list[Recommendation]:
    if cni.ipv6 or not states[0].nodes:
        return []
    recommendations = []
    peak_now, _ = _peak(current)

    def run(settings: CniSettings) -> list[ScenarioResult]:
        return [evaluate(state, subnets, settings, min_free, capacities) for state in states]

    minimum, warm = suggest_ip_targets(states)
    targets = replace(cni, warm_ip_target=warm, minimum_ip_target=minimum)
    if targets != cni:
        results = run(targets)
        peak, _ = _peak(results)
        recommendations.append(
            Recommendation(
                "ip-targets",
                f"MINIMUM_IP_TARGET={minimum} WARM_IP_TARGET={warm}: peak {peak_now:,} → {peak:,} addresses "
                f"({_saving(peak_now - peak)})" + _worst_note(results),
                {
                    "minimum_ip_target": minimum,
                    "warm_ip_target": warm,
                    **_measured(peak_now, results),
                },
            )
        )
    if not cni.prefix_delegation:
        prefixes = replace(
            cni.with_switches(custom_networking=cni.custom_networking, prefix_delegation=True),
            warm_ip_target=None,
            minimum_ip_target=None,
        )
        results = run(prefixes)
        peak, _ = _peak(results)
        recommendations.append(
            Recommendation(
                "prefix-delegation",
                f"prefix delegation (WARM_PREFIX_TARGET={prefixes.warm_prefix_target}, maxPods as planned): "
                f"peak {peak_now:,} → {peak:,} addresses ({_saving(peak_now - peak)}), each /28 needing a "
                f"free aligned block" + _worst_note(results),
                {"warm_prefix_target": prefixes.warm_prefix_target, **_measured(peak_now, results)},
            )
        )
    if not cni.custom_networking:
        recommendations.append(_custom_networking(states, subnets, cni, min_free, capacities, current))
    return recommendations


def _custom_networking(
    states: Sequence[ScenarioState],
    subnets: Sequence[Subnet],
    cni: CniSettings,
    min_free: float,
    capacities: Mapping[Subnet, SubnetCapacity],
    current: Sequence[ScenarioResult],
) -> Recommendation:
    custom = cni.with_switches(custom_networking=True, prefix_delegation=cni.prefix_delegation)
    node_subnets = [s for s in subnets if not s.has_role(SubnetRole.PODS)]
    # Without pod subnets yet, ENIConfig demand is measured per zone, not placed.
    results = [evaluate(state, node_subnets, custom, min_free, capacities) for state in states]
    node_peak_now, _ = _peak(current, SubnetRole.NODES)
    node_peak, _ = _peak(results, SubnetRole.NODES)
    pod_peaks = _zone_role_peaks(states, custom, SubnetRole.PODS)
    lengths = {
        zone: smallest_fitting_prefix_length(demand, min_free) for zone, (demand, _) in pod_peaks.items()
    }
    carved = _carve(CUSTOM_NETWORKING_RANGE.network_address, lengths)
    without = max(result.pods_without_address for result in results)
    pod_subnets = ", ".join(
        f"{zone} {network if network is not None else 'more than a /16: split it'}"
        for zone, network in carved.items()
    )
    secondary = _secondary_cidr(carved)
    if not carved:
        where = "pod subnets"
    elif secondary is None:
        where = "several secondary CIDRs (the pod subnets need more than one /16, the largest VPC CIDR)"
    elif secondary.prefixlen < LARGEST_VPC_CIDR_PREFIX:
        where = f"secondary CIDRs from {secondary} (larger than a VPC CIDR /16: split it)"
    else:
        where = f"a {secondary} secondary CIDR"
    summary = (
        f"custom networking with {where}: node subnets peak {node_peak_now:,} → "
        f"{node_peak:,} addresses ({_saving(node_peak_now - node_peak)}); pod subnets {pod_subnets}"
    )
    if without:
        summary += (
            f"; the primary ENI stops carrying pods, so up to {without:,} pods would get no address "
            "(lower maxPods to the custom-networking value and re-plan)"
        )
    fits_vpc = secondary is not None and secondary.prefixlen >= LARGEST_VPC_CIDR_PREFIX
    return Recommendation(
        "custom-networking",
        summary,
        {
            "secondary_cidr": None if secondary is None else str(secondary),
            "secondary_cidr_fits_vpc": fits_vpc,
            "node_subnet_peak_now": node_peak_now,
            "node_subnet_peak": node_peak,
            "addresses_saved": node_peak_now - node_peak,
            "pod_subnets": {
                zone: {
                    "cidr": None if network is None else str(network),
                    "prefix_length": lengths[zone],
                    "peak_addresses": pod_peaks[zone][0].total,
                    "peak_scenario": pod_peaks[zone][1],
                }
                for zone, network in carved.items()
            },
            "pods_without_address": without,
        },
    )


def _carve(start: object, lengths: Mapping[str, int | None]) -> dict[str, IPv4Network | None]:
    """Lay out one subnet per zone, aligned, largest first, from ``start`` upward; ``None`` for a
    zone that needs more than a /16 (no subnet is larger: :func:`smallest_fitting_prefix_length`).

    >>> from ipaddress import IPv4Address
    >>> carved = _carve(IPv4Address("100.64.0.0"), {"a": 20, "b": 19, "c": 20, "d": None})
    >>> {zone: str(network) for zone, network in carved.items()}
    {'d': 'None', 'b': '100.64.0.0/19', 'a': '100.64.32.0/20', 'c': '100.64.48.0/20'}
    """
    cursor = int(start)  # type: ignore[call-overload]
    carved: dict[str, IPv4Network | None] = {}
    for zone, length in sorted(lengths.items(), key=lambda item: (item[1] or 0, item[0])):
        if length is None:
            carved[zone] = None
            continue
        size = 2 ** (32 - length)
        cursor = -(-cursor // size) * size
        carved[zone] = IPv4Network((cursor, length))
        cursor += size
    return carved


def _secondary_cidr(carved: Mapping[str, IPv4Network | None]) -> IPv4Network | None:
    """The smallest block from 100.64.0.0 holding every carved subnet (a VPC CIDR when its prefix
    is /16 or longer), or ``None`` when a zone needs more than a /16 or there is no subnet.

    >>> _secondary_cidr({"a": IPv4Network("100.64.0.0/19"), "b": IPv4Network("100.64.32.0/20")})
    IPv4Network('100.64.0.0/18')
    >>> _secondary_cidr({"a": IPv4Network("100.64.0.0/19"), "b": None}) is None
    True
    """
    networks = [network for network in carved.values() if network is not None]
    if not networks or len(networks) != len(carved):
        return None
    end = max(int(network.broadcast_address) for network in networks) - int(
        CUSTOM_NETWORKING_RANGE.network_address
    )
    length = 32 - max(math.ceil(math.log2(end + 1)), 0)
    return IPv4Network((CUSTOM_NETWORKING_RANGE.network_address, length))


def _saving(addresses: int) -> str:
    if addresses > 0:
        return f"saves {addresses:,}"
    if addresses < 0:
        return f"costs {-addresses:,} more"
    return "no change"


def worst_verdict(results: Iterable[ScenarioResult]) -> Verdict:
    return max((result.verdict for result in results), key=lambda v: v.severity, default=Verdict.OK)


def _worst_note(results: Sequence[ScenarioResult]) -> str:
    worst = worst_verdict(results)
    return "" if worst is Verdict.OK else f"; still {worst.value} in some scenario"
