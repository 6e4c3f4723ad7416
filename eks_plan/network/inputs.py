"""The check's inputs from flags and eks-plan.yaml: ``--subnet``, ``--nodes``, the ``cni`` section.

Every problem is an :class:`InputError` naming the flag or file and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from eks_plan.errors import InputError
from eks_plan.limits import MAX_NODES
from eks_plan.network.ipamd import CniSettings
from eks_plan.network.subnets import Subnet, SubnetRole, parse_cidr

if TYPE_CHECKING:
    from eks_plan.config.model import PlanConfig

_NODES = re.compile(r"^(?:(?P<zone>[a-z0-9-]+):)?(?P<type>[a-z0-9-]+\.[a-z0-9-]+)=(?P<count>\d+)$")


def parse_subnet_flag(text: str) -> Subnet:
    """``--subnet ZONE=CIDR[:ROLE[,ROLE...]]``; the role defaults to ``nodes``.

    >>> subnet = parse_subnet_flag("us-east-1a=100.64.0.0/19:pods")
    >>> subnet.zone, str(subnet.cidr), sorted(subnet.roles)
    ('us-east-1a', '100.64.0.0/19', [<SubnetRole.PODS: 'pods'>])
    >>> sorted(parse_subnet_flag("us-east-1b=10.0.16.0/20:nodes,cluster").roles)
    [<SubnetRole.CLUSTER: 'cluster'>, <SubnetRole.NODES: 'nodes'>]
    """
    where = f"--subnet {text}"
    zone, equals, rest = text.partition("=")
    if not equals or not zone.strip():
        raise InputError(
            f"{where}: expected ZONE=CIDR, e.g. us-east-1a=10.0.0.0/20 or us-east-1a=100.64.0.0/19:pods"
        )
    cidr_text, _, roles_text = rest.partition(":")
    try:
        cidr = parse_cidr(cidr_text, where)
    except ValueError as error:
        raise InputError(str(error)) from None
    roles = frozenset({SubnetRole.NODES})
    if roles_text:
        try:
            roles = frozenset(SubnetRole(part.strip()) for part in roles_text.split(",") if part.strip())
        except ValueError:
            raise InputError(
                f"{where}: roles are nodes, pods and cluster (comma-separated), not {roles_text!r}"
            ) from None
    return Subnet(zone.strip(), cidr, roles, source="--subnet")


@dataclass(frozen=True, slots=True)
class NodesFlag:
    """One ``--nodes [ZONE:]TYPE=COUNT``; without a zone the nodes spread over the zones."""

    zone: str | None
    instance_type: str
    count: int


def parse_nodes_flag(text: str) -> NodesFlag:
    """``--nodes us-east-1a:m6i.large=12`` or ``--nodes m6i.large=12``.

    >>> parse_nodes_flag("us-east-1a:m6i.large=12")
    NodesFlag(zone='us-east-1a', instance_type='m6i.large', count=12)
    >>> parse_nodes_flag("m6i.large=3").zone is None
    True
    """
    match = _NODES.match(text.strip())
    if not match:
        raise InputError(
            f"--nodes {text}: expected [ZONE:]TYPE=COUNT, e.g. us-east-1a:m6i.large=12 or m6i.large=12"
        )
    digits = match["count"].lstrip("0") or "0"
    if len(digits) > len(str(MAX_NODES)) or int(digits) > MAX_NODES:
        shown = text if len(text) <= 60 else f"{text[:57]}…"
        raise _too_many_nodes(f"--nodes {shown}", f"{digits[:12]}{'…' if len(digits) > 12 else ''}")
    return NodesFlag(match["zone"], match["type"], int(digits))


def parse_nodes_flags(texts: Sequence[str]) -> list[NodesFlag]:
    """Every ``--nodes`` flag, refusing more than :data:`~eks_plan.limits.MAX_NODES` in all.

    >>> parse_nodes_flags(["m5.large=3000", "m5.xlarge=3000"])
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: --nodes m5.large=3000 --nodes m5.xlarge=3000: 6,000 nodes is more \
than eks-plan checks at once (5,000) (check the cluster in parts, e.g. one node pool at a time)
    """
    flags = [parse_nodes_flag(text) for text in texts]
    total = sum(flag.count for flag in flags)
    if total > MAX_NODES:
        raise _too_many_nodes(" ".join(f"--nodes {text}" for text in texts), f"{total:,}")
    return flags


def _too_many_nodes(flag: str, count: str) -> InputError:
    return InputError(
        f"{flag}: {count} nodes is more than eks-plan checks at once ({MAX_NODES:,})",
        hint="check the cluster in parts, e.g. one node pool at a time",
    )


def spread_counts(count: int, zones: Sequence[str]) -> dict[str, int]:
    """``count`` nodes over ``zones`` as evenly as possible, earlier zones first.

    >>> spread_counts(7, ["a", "b", "c"])
    {'a': 3, 'b': 2, 'c': 2}
    """
    base, extra = divmod(count, len(zones))
    return {zone: base + (1 if index < extra else 0) for index, zone in enumerate(zones)}


def subnets_from_config(config: PlanConfig) -> list[Subnet]:
    """The ``subnets`` of eks-plan.yaml as :class:`Subnet` values, each naming where the file set it."""
    subnets = []
    for index, entry in enumerate(config.subnets):
        where = config.locations.get(f"subnets[{index}]") if config.locations else None
        subnets.append(replace(entry, source=str(where) if where else (config.source or "eks-plan.yaml")))
    return subnets


def override_cni(base: CniSettings, mode: str | None, **flags: Any) -> CniSettings:
    """``base`` with the CNI flags that were given (``None`` means not given)."""
    from dataclasses import replace

    from eks_plan.catalog.capacity import CniMode

    settings = base
    if mode is not None:
        try:
            named = CniSettings.for_mode(CniMode(mode))
        except ValueError:
            modes = ", ".join(m.value for m in CniMode)
            raise InputError(f"--cni-mode {mode}: not a VPC CNI mode", hint=f"use one of {modes}") from None
        settings = replace(settings, mode=named.mode)
    changes = {name: value for name, value in flags.items() if value is not None}
    try:
        settings = replace(settings, **changes)
    except ValueError as error:
        raise InputError(f"CNI settings: {error}") from None
    check_cni_flags(settings)
    return settings


#: The ``cni`` keys of eks-plan.yaml and the ``check-ips`` flags that set them.
CNI_FLAGS = {
    "mode": "--cni-mode",
    "warmEniTarget": "--warm-eni-target",
    "warmIpTarget": "--warm-ip-target",
    "minimumIpTarget": "--minimum-ip-target",
    "warmPrefixTarget": "--warm-prefix-target",
    "maxEni": "--max-eni",
    "securityGroupsForPods": "--security-groups-for-pods",
}


def _flag_setting(key: str, value: object) -> str:
    if isinstance(value, bool):
        return CNI_FLAGS[key] if value else CNI_FLAGS[key].replace("--", "--no-", 1)
    return f"{CNI_FLAGS[key]} {value}"


def check_cni_flags(settings: CniSettings) -> None:
    """Reject CNI settings that eks-plan.yaml would reject, with the same rules
    (:func:`eks_plan.config.checks.cni_rule_problems`), naming the flags: ``--cni-mode ipv6
    --warm-ip-target 3`` is as wrong as ``cni: {mode: ipv6, warmIpTarget: 3}``.

    >>> from eks_plan.catalog.capacity import CniMode
    >>> check_cni_flags(CniSettings.for_mode(CniMode.IPV6, warm_ip_target=3))
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: --warm-ip-target is not supported in IPv6 clusters (each node gets a /80 prefix) (remove --warm-ip-target)
    """  # noqa: E501
    from eks_plan.config.checks import cni_rule_problems

    for _key, message, hint in cni_rule_problems(settings, CNI_FLAGS.__getitem__, _flag_setting):
        raise InputError(message, hint=hint)
