"""Live subnets of a VPC from the EC2 API (optional extra ``eks-plan[aws]``: boto3, imported lazily).

For each subnet of the VPC: zone, CIDR, id, the addresses already taken (every ENI's private
addresses and delegated /28 prefixes, so fragmentation is real) and its CIDR reservations.
Roles come from the tag ``eks-plan.io/role`` (``nodes``, ``pods``, ``cluster``, comma-separated);
without it a subnet in 100.64.0.0/10 is a pod (ENIConfig) subnet and any other a node subnet.
IPv6-only subnets (no IPv4 CIDR) are skipped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from eks_plan.errors import InputError
from eks_plan.network.subnets import CidrReservation, ReservationType, Subnet, SubnetRole

ROLE_TAG = "eks-plan.io/role"
_POD_RANGE = ipaddress.ip_network("100.64.0.0/10")


def describe_vpc_subnets(vpc_id: str, region: str, client: Any | None = None) -> list[Subnet]:
    """Every IPv4 subnet of ``vpc_id`` with its in-use addresses and reservations."""
    if client is None:
        client = _ec2_client(region)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        described = _paginate(
            client, "describe_subnets", "Subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
        )
        subnets = [_subnet(client, item) for item in described if item.get("CidrBlock")]
    except ClientError as error:
        raise InputError(
            f"cannot read the subnets of {vpc_id} in {region}: "
            f"{error.response['Error'].get('Message', error)}",
            hint="check the VPC id, the region and your AWS credentials (ec2:DescribeSubnets, "
            "ec2:DescribeNetworkInterfaces, ec2:GetSubnetCidrReservations)",
        ) from None
    except BotoCoreError as error:
        raise InputError(
            f"cannot reach the EC2 API in {region}: {error}", hint="check your AWS credentials"
        ) from None
    if not subnets:
        raise InputError(
            f"VPC {vpc_id} has no IPv4 subnets in {region}", hint="check the VPC id and --region"
        )
    return sorted(subnets, key=lambda subnet: (subnet.zone, int(subnet.cidr.network_address)))


def _ec2_client(region: str) -> Any:
    try:
        import boto3
    except ImportError:
        raise InputError(
            "--vpc-id needs boto3, which is not installed", hint="pip install 'eks-plan[aws]'"
        ) from None
    return boto3.client("ec2", region_name=region)


def _paginate(client: Any, operation: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**arguments):
        items.extend(page.get(key, []))
    return items


def _subnet(client: Any, item: dict[str, Any]) -> Subnet:
    subnet_id = item["SubnetId"]
    cidr = ipaddress.ip_network(item["CidrBlock"])
    interfaces = _paginate(
        client,
        "describe_network_interfaces",
        "NetworkInterfaces",
        Filters=[{"Name": "subnet-id", "Values": [subnet_id]}],
    )
    in_use = sorted(set(_taken_addresses(interfaces)) & set(cidr), key=int)
    reservations = client.get_subnet_cidr_reservations(SubnetId=subnet_id).get(
        "SubnetIpv4CidrReservations", []
    )
    tags = {tag["Key"]: tag["Value"] for tag in item.get("Tags", [])}
    return Subnet(
        zone=item["AvailabilityZone"],
        cidr=cidr,  # type: ignore[arg-type]
        roles=_roles(tags.get(ROLE_TAG), cidr, subnet_id),  # type: ignore[arg-type]
        subnet_id=subnet_id,
        in_use=tuple(in_use),  # type: ignore[arg-type]
        reservations=tuple(
            CidrReservation(ipaddress.ip_network(entry["Cidr"]), ReservationType(entry["ReservationType"]))  # type: ignore[arg-type]
            for entry in reservations
        ),
        source=f"--vpc-id {item.get('VpcId', '')}".strip(),
    )


def _taken_addresses(interfaces: Iterable[dict[str, Any]]) -> Iterable[ipaddress.IPv4Address]:
    for interface in interfaces:
        for address in interface.get("PrivateIpAddresses", []):
            yield ipaddress.IPv4Address(address["PrivateIpAddress"])
        for prefix in interface.get("Ipv4Prefixes", []) or []:
            yield from ipaddress.ip_network(prefix["Ipv4Prefix"])  # type: ignore[misc]


def _roles(tag: str | None, cidr: Any, subnet_id: str) -> frozenset[SubnetRole]:
    if tag:
        try:
            return frozenset(SubnetRole(part.strip()) for part in tag.split(",") if part.strip())
        except ValueError:
            raise InputError(
                f"subnet {subnet_id}: tag {ROLE_TAG}={tag!r} is not a list of nodes, pods, cluster"
            ) from None
    return frozenset({SubnetRole.PODS if cidr.subnet_of(_POD_RANGE) else SubnetRole.NODES})
