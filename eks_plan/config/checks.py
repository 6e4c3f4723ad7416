"""Rules of ``eks-plan.yaml`` that span keys, which a JSON Schema cannot say.

Each rule returns problems as :class:`~eks_plan.errors.InputError` values carrying the key path and,
when the value came from a file, its line; :func:`find_problems` runs them all so a user sees every
problem at once. They run on the typed :class:`~eks_plan.config.model.PlanConfig`, so command-line
overrides (:meth:`PlanConfig.with_overrides`) are checked by the same code as the file.

Example: the usable /28 prefixes of an empty subnet under prefix delegation (DOMAIN.md §3.4: the
first and the last /28 hold AWS's reserved addresses)::

    >>> [prefix_capacity(length) for length in (24, 26, 27, 28)]
    [14, 2, 0, 0]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from eks_plan.catalog.filters import zone_in_region
from eks_plan.config.model import (
    INVALID_CIDR,
    CapacityType,
    CniMode,
    CniSettings,
    PlanConfig,
    Range,
    SubnetRole,
)
from eks_plan.errors import InputError
from eks_plan.scheduling.labels import WELL_KNOWN_NODE_LABELS

#: AWS accepts subnet blocks from /16 to /28 (VPC User Guide, "Subnet CIDR blocks").
SMALLEST_SUBNET_PREFIX = 28
LARGEST_SUBNET_PREFIX = 16


def prefix_capacity(prefix_length: int) -> int:
    """How many /28 prefixes an empty subnet of this size can hand out under prefix delegation."""
    if prefix_length > SMALLEST_SUBNET_PREFIX:
        return 0
    return max(0, 2 ** (SMALLEST_SUBNET_PREFIX - prefix_length) - 2)


def validate_zones(config: PlanConfig, known_zones: Iterable[str]) -> None:
    """Check the plan's zones (and its subnets' and pools' zones) against the catalogue's zones of the
    region; raises :class:`InputError` naming the first unknown zone and the zones that exist.

    The loader checks only that a zone's name belongs to the region; whether the zone exists (some
    regions have no ``a`` zone, or only two zones) needs the catalogue, which the caller holds. Where
    the catalogue lists no zones of the region (GovCloud, China, regions newer than its data), the
    name is all there is to check.

    >>> from eks_plan.config import build_config
    >>> config = build_config({"region": "us-gov-east-1", "zones": ["us-gov-east-1a"]}, source=None)
    >>> validate_zones(config, known_zones=())
    >>> validate_zones(config, known_zones=["us-gov-east-1b"])
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: zones[0]: zone us-gov-east-1a is not in region us-gov-east-1 (zones of us-gov-east-1: us-gov-east-1b)
    """  # noqa: E501
    region_zones = sorted({zone for zone in known_zones if zone_in_region(zone, config.region)})
    candidates: list[tuple[str, str]] = [(f"zones[{i}]", zone) for i, zone in enumerate(config.zones)]
    candidates += [(f"subnets[{i}].zone", subnet.zone) for i, subnet in enumerate(config.subnets)]
    for pool_index, pool in enumerate(config.node_pools):
        candidates += [(f"nodePools[{pool_index}].zones[{i}]", zone) for i, zone in enumerate(pool.zones)]
    for key_path, zone in candidates:
        exists = zone in region_zones if region_zones else zone_in_region(zone, config.region)
        if not exists:
            hint = (
                f"zones of {config.region}: {', '.join(region_zones)}"
                if region_zones
                else f"zones of {config.region} are named {config.region}a, {config.region}b, ..."
            )
            raise InputError(
                f"{key_path}: zone {zone} is not in region {config.region}",
                config.location_of(key_path),
                hint=hint,
            )


Problem = InputError
Check = Callable[[PlanConfig], Iterable[Problem]]


def find_problems(config: PlanConfig) -> list[Problem]:
    """Every cross-key problem of a configuration, in the order of the checks."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(config))
    return problems


def _problem(config: PlanConfig, key_path: str, message: str, hint: str | None = None) -> Problem:
    return InputError(f"{key_path}: {message}", config.location_of(key_path), hint=hint)


def check_region(config: PlanConfig) -> Iterable[Problem]:
    """The region is one the bundled catalogue knows (zones or prices), with a "did you mean"."""
    from eks_plan.catalog import load_catalog
    from eks_plan.catalog.filters import unknown_region_hint

    hint = unknown_region_hint(config.region, load_catalog().regions())
    if hint is not None:
        yield _problem(config, "region", f"unknown region '{config.region}'", hint=hint)


def check_zones(config: PlanConfig) -> Iterable[Problem]:
    for index, zone in enumerate(config.zones):
        if not zone_in_region(zone, config.region):
            yield _problem(
                config,
                f"zones[{index}]",
                f"zone {zone} is not in region {config.region}",
                hint=f"zones of {config.region} are named {config.region}a, {config.region}b, ...",
            )


def check_node_pools(config: PlanConfig) -> Iterable[Problem]:
    seen: dict[str, int] = {}
    spot_is_priced = config.pricing.spot_discount is not None or config.pricing.spot_price_file is not None
    for index, pool in enumerate(config.node_pools):
        prefix = f"nodePools[{index}]"
        if pool.name in seen:
            yield _problem(
                config,
                f"{prefix}.name",
                f"pool name '{pool.name}' is already used by nodePools[{seen[pool.name]}]",
            )
        seen.setdefault(pool.name, index)
        for zone_index, zone in enumerate(pool.zones):
            if zone not in config.zones:
                yield _problem(
                    config,
                    f"{prefix}.zones[{zone_index}]",
                    f"zone {zone} is not one of the plan's zones ({', '.join(config.zones)})",
                    hint="add it to the top-level zones or remove it from the pool",
                )
        if pool.max_nodes is not None and pool.min_nodes > pool.max_nodes:
            yield _problem(
                config,
                f"{prefix}.minNodes",
                f"minNodes {pool.min_nodes} is more than maxNodes {pool.max_nodes}",
            )
        filter_ranges = {
            "generation": pool.instances.generation,
            "vcpus": pool.instances.vcpus,
            "memoryGiB": pool.instances.memory_gib,
            "gpus": pool.instances.gpus,
        }
        for key, value in filter_ranges.items():
            yield from _check_range(config, f"{prefix}.instances.{key}", value)
        for key in pool.labels:
            if key in WELL_KNOWN_NODE_LABELS:
                yield _problem(
                    config,
                    f'{prefix}.labels["{key}"]',
                    f"'{key}' is set on every node by kubelet, EKS or Karpenter and cannot be a pool label",
                    hint="choose instance types with the pool's instances filter instead",
                )
        if CapacityType.SPOT in pool.capacity_types and not spot_is_priced:
            yield _problem(
                config,
                f"{prefix}.capacityTypes",
                "spot capacity needs a spot price, and none is configured",
                hint="set pricing.spotDiscount (e.g. 0.6 for 60% off on-demand) or pricing.spotPriceFile",
            )


def _check_range(config: PlanConfig, key_path: str, value: Range) -> Iterable[Problem]:
    if value.minimum is not None and value.maximum is not None and value.minimum > value.maximum:
        yield _problem(config, f"{key_path}.min", f"min {value} is empty: min is more than max")


def _repeats(values: Iterable[str | None]) -> Iterator[tuple[int, str, int]]:
    """``(index, value, first)`` for each value already seen at index ``first`` (``None`` skipped)."""
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value is None:
            continue
        if value in seen:
            yield index, value, seen[value]
        seen.setdefault(value, index)


def check_unique_names(config: PlanConfig) -> Iterable[Problem]:
    for index, name, first in _repeats(profile.name for profile in config.fargate_profiles):
        yield _problem(
            config,
            f"fargateProfiles[{index}].name",
            f"profile name '{name}' is already used by fargateProfiles[{first}]",
        )


def check_cni(config: PlanConfig) -> Iterable[Problem]:
    for key, message, hint in cni_rule_problems(config.cni):
        yield _problem(config, f"cni.{key}", message, hint=hint)


def _file_setting(key: str, value: object) -> str:
    return f"{key}: {str(value).lower()}"


def cni_rule_problems(
    cni: CniSettings,
    name: Callable[[str], str] = str,
    setting: Callable[[str, object], str] = _file_setting,
) -> Iterator[tuple[str, str, str]]:
    """The rules a set of VPC CNI settings must meet, as ``(key, message, hint)`` with the ``cni``
    key at fault (``warmIpTarget``). ``name`` spells a key in the message and ``setting`` a key with
    a value: the file's spelling by default (``warmPrefixTarget: 1``), or the flags' (``--warm-ip-
    target``) when ``eks-plan check-ips`` checks its flags with these same rules.

    >>> from eks_plan.config.model import CniSettings
    >>> list(cni_rule_problems(CniSettings(CniMode.IPV6, warm_ip_target=3)))[0][:2]
    ('warmIpTarget', 'warmIpTarget is not supported in IPv6 clusters (each node gets a /80 prefix)')
    """
    if cni.mode is CniMode.IPV6:
        # VPC CNI README feature matrix, IPv6 row: security groups for pods "No", WARM & MIN
        # targets "No" (DOMAIN.md §1.7).
        if cni.security_groups_for_pods:
            yield (
                "securityGroupsForPods",
                "security groups for pods are not supported in IPv6 clusters",
                f"set {setting('securityGroupsForPods', False)} or use an IPv4 mode",
            )
        for key, value in (("warmIpTarget", cni.warm_ip_target), ("minimumIpTarget", cni.minimum_ip_target)):
            if value is not None:
                yield (
                    key,
                    f"{name(key)} is not supported in IPv6 clusters (each node gets a /80 prefix)",
                    f"remove {name(key)}",
                )
    if cni.prefix_delegation and cni.mode is not CniMode.IPV6:
        no_ip_targets = not cni.warm_ip_target and not cni.minimum_ip_target
        if cni.warm_prefix_target == 0 and no_ip_targets:
            # docs/prefix-and-ip-target.md: WARM_PREFIX_TARGET 0 with WARM_IP_TARGET and
            # MINIMUM_IP_TARGET both 0 or unset is "not supported" (DOMAIN.md §3.4).
            yield (
                "warmPrefixTarget",
                f"{name('warmPrefixTarget')} 0 needs {name('warmIpTarget')} or {name('minimumIpTarget')} "
                "above 0 under prefix delegation",
                f"keep the VPC CNI default {setting('warmPrefixTarget', 1)}, "
                f"or set {name('minimumIpTarget')}",
            )


def check_subnets(config: PlanConfig) -> Iterable[Problem]:
    cni = config.cni
    for index, subnet in enumerate(config.subnets):
        prefix = f"subnets[{index}]"
        if not zone_in_region(subnet.zone, config.region):
            yield _problem(config, f"{prefix}.zone", f"zone {subnet.zone} is not in region {config.region}")
        elif not subnet.has_role(SubnetRole.CLUSTER) and subnet.zone not in config.zones:
            yield _problem(
                config,
                f"{prefix}.zone",
                f"zone {subnet.zone} is not one of the plan's zones ({', '.join(config.zones)})",
                hint="add it to zones, or give the subnet role: cluster if it only holds control-plane ENIs",
            )
        if subnet.cidr == INVALID_CIDR:
            continue
        length = subnet.cidr.prefixlen
        if not LARGEST_SUBNET_PREFIX <= length <= SMALLEST_SUBNET_PREFIX:
            yield _problem(
                config,
                f"{prefix}.cidr",
                f"{subnet.cidr} is a /{length}; AWS subnets are "
                f"/{LARGEST_SUBNET_PREFIX} to /{SMALLEST_SUBNET_PREFIX}",
            )
            continue
        holds_pod_prefixes = (subnet.has_role(SubnetRole.NODES) and not cni.custom_networking) or (
            subnet.has_role(SubnetRole.PODS)
        )
        holds_prefixes = cni.prefix_delegation and cni.mode is not CniMode.IPV6 and holds_pod_prefixes
        if holds_prefixes and prefix_capacity(length) == 0:
            yield _problem(
                config,
                f"{prefix}.cidr",
                f"{subnet.cidr} cannot hold a single /28 prefix under prefix delegation "
                "(its first and last /28 hold the addresses AWS reserves)",
                hint="use a /26 or larger subnet for prefix delegation",
            )
        if subnet.has_role(SubnetRole.PODS) and not cni.custom_networking:
            yield _problem(
                config,
                f"{prefix}.role",
                f"pods subnets hold pod IPs only under custom networking, and cni.mode is {cni.mode}",
                hint="set cni.mode: custom-networking, or give this subnet role: nodes",
            )
    yield from _overlaps(config)
    yield from _duplicate_ids(config)
    if cni.custom_networking:
        node_zones = {s.zone for s in config.subnets if s.has_role(SubnetRole.NODES)}
        pod_zones = {s.zone for s in config.subnets if s.has_role(SubnetRole.PODS)}
        for zone in sorted(node_zones - pod_zones):
            yield _problem(
                config,
                "cni.mode",
                f"custom networking takes pod IPs from pods subnets, and zone {zone} has none",
                hint=f"add a subnet with zone: {zone} and role: pods "
                "(e.g. from a 100.64.0.0/10 secondary CIDR)",
            )


def _overlaps(config: PlanConfig) -> Iterable[Problem]:
    valid = [(index, subnet) for index, subnet in enumerate(config.subnets) if subnet.cidr != INVALID_CIDR]
    for position, (index, subnet) in enumerate(valid):
        for earlier_index, earlier in valid[:position]:
            if subnet.cidr.overlaps(earlier.cidr):
                earlier_path = f"subnets[{earlier_index}].cidr"
                where = config.locations.get(earlier_path)
                at = f" at line {where.line}" if where is not None and where.line else ""
                yield _problem(
                    config,
                    f"subnets[{index}].cidr",
                    f"{subnet.cidr} overlaps {earlier_path} {earlier.cidr}{at}",
                    hint="subnets of one VPC never overlap; fix one of the two CIDR blocks",
                )


def _duplicate_ids(config: PlanConfig) -> Iterable[Problem]:
    for index, subnet_id, first in _repeats(subnet.subnet_id for subnet in config.subnets):
        yield _problem(config, f"subnets[{index}].id", f"{subnet_id} is already subnets[{first}]")


def check_pricing(config: PlanConfig) -> Iterable[Problem]:
    pricing = config.pricing
    if pricing.spot_discount is not None and pricing.spot_price_file is not None:
        yield _problem(
            config,
            "pricing.spotPriceFile",
            "give spotDiscount or spotPriceFile, not both",
            hint="remove one of the two",
        )
    if pricing.spot_price_file is not None and not os.path.isfile(pricing.spot_price_file):
        yield _problem(
            config,
            "pricing.spotPriceFile",
            f"the spot price file {pricing.spot_price_file} does not exist",
            hint="a relative path is read from the folder of the configuration file",
        )


CHECKS: tuple[Check, ...] = (
    check_region,
    check_zones,
    check_node_pools,
    check_unique_names,
    check_cni,
    check_subnets,
    check_pricing,
)
