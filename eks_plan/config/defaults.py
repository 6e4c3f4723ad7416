"""The defaults of ``eks-plan.yaml``: what the planner assumes for every key a file leaves out.

They are also the ``default`` values of the JSON Schema (a test checks that both agree).

Example::

    >>> default_zones("eu-west-1"), default_zones("ap-northeast-1")   # no ap-northeast-1b
    (('eu-west-1a', 'eu-west-1b', 'eu-west-1c'), ('ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'))
    >>> default_zones("us-west-1"), default_zones("us-gov-east-1")   # two zones; zones unknown
    (('us-west-1a', 'us-west-1b'), ('us-gov-east-1a', 'us-gov-east-1b', 'us-gov-east-1c'))
    >>> default_zones("us-west-1", known_zones=["us-west-1c", "us-west-1b"])
    ('us-west-1b', 'us-west-1c')
    >>> [(addon.name, addon.requests["cpu"]) for addon in DEFAULT_ADDONS]
    [('aws-node', '50m'), ('kube-proxy', '100m')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import MappingProxyType

from eks_plan.catalog.filters import zone_in_region
from eks_plan.config.model import (
    TOLERATE_EVERYTHING,
    AddonDaemonSet,
    CapacityType,
    InstanceFilter,
    NodePoolConfig,
    NodeStyle,
    Range,
)

DEFAULT_REGION = "us-east-1"
DEFAULT_ZONE_COUNT = 3
DEFAULT_CONFIG_NAMES = ("eks-plan.yaml", "eks-plan.yml")

#: The instance filter of Karpenter's getting-started NodePool: categories c, m, r (compute, general
#: purpose, memory optimised), ``karpenter.k8s.aws/instance-generation Gt 2`` (so generation 3 or
#: later), ``kubernetes.io/arch In [amd64]``. amd64 by default because arm64 (Graviton) needs
#: multi-arch images, which a planner cannot see in a manifest; opt in with ``instances.arch``.
DEFAULT_INSTANCE_FILTER = InstanceFilter(
    categories=("c", "m", "r"),
    architectures=("amd64",),
    generation=Range(3, None),
)

#: The default pool: managed node groups are what most EKS clusters run (eksctl's default
#: ``managedNodeGroups``), and their max-pods cap (110, or 250 above 30 vCPUs) is the conservative one.
DEFAULT_NODE_POOL = NodePoolConfig(
    name="default",
    node_style=NodeStyle.MANAGED_NODE_GROUP,
    instances=DEFAULT_INSTANCE_FILTER,
    capacity_types=(CapacityType.ON_DEMAND,),
)

#: The DaemonSets EKS installs on every EC2 node of a new cluster, with their real requests.
#:
#: aws-node (Amazon VPC CNI): the pod has two containers, ``aws-node`` and ``aws-eks-nodeagent``
#: (the network-policy agent, part of the pod since VPC CNI v1.14), each requesting ``cpu: 25m``, so
#: the pod requests 50m (its init container's 25m is less). Source: aws/amazon-vpc-cni-k8s
#: ``config/master/aws-k8s-cni.yaml`` (the shipped manifest) and ``charts/aws-vpc-cni/values.yaml``
#: (``resources.requests.cpu: 25m``, applied to both containers by ``templates/daemonset.yaml``).
#: No memory request. hostNetwork: true; tolerations ``[{operator: Exists}]``.
#:
#: kube-proxy (EKS add-on, e.g. image ``eks/kube-proxy:v1.28.1-minimal-eksbuild.1``): one container
#: with ``resources.requests.cpu: 100m``, no memory request, hostNetwork: true, tolerations
#: ``[{operator: Exists}]`` (the DaemonSet as EKS deploys it, ``kubectl get ds kube-proxy -n
#: kube-system -o yaml``).
#:
#: CoreDNS is a Deployment, not a DaemonSet: it belongs with the manifests when it matters.
DEFAULT_ADDONS: tuple[AddonDaemonSet, ...] = (
    AddonDaemonSet(
        name="aws-node",
        requests=MappingProxyType({"cpu": "50m"}),
        host_network=True,
        tolerations=TOLERATE_EVERYTHING,
    ),
    AddonDaemonSet(
        name="kube-proxy",
        requests=MappingProxyType({"cpu": "100m"}),
        host_network=True,
        tolerations=TOLERATE_EVERYTHING,
    ),
)

#: The add-ons EKS Auto Mode builds into its nodes instead of running them as DaemonSets.
EKS_NODE_ADDON_NAMES = frozenset({"aws-node", "kube-proxy"})


def default_zones(region: str, known_zones: Iterable[str] | None = None) -> tuple[str, ...]:
    """The zones a plan uses when the file names none: the first three zones of the region.

    They are the first three, in name order, of the region's zones in the catalogue (``known_zones``;
    ``None`` asks the bundled catalogue), since some regions lack an ``a`` zone or have only two
    zones. Where no zone of the region is known (GovCloud and China regions, which the catalogue's
    zone data does not cover), they are ``<region>a``, ``b`` and ``c``.
    """
    if known_zones is None:
        known_zones = catalog_zones(region)
    known = sorted(zone for zone in known_zones if zone_in_region(zone, region))
    if known:
        return tuple(known[:DEFAULT_ZONE_COUNT])
    return tuple(f"{region}{letter}" for letter in "abc"[:DEFAULT_ZONE_COUNT])


def catalog_zones(region: str) -> tuple[str, ...]:
    """The bundled catalogue's zones of ``region`` (``()`` when it lists none); loads the catalogue
    on first use (cached, about 20 ms) so that importing the configuration stays cheap."""
    from eks_plan.catalog import load_catalog

    return load_catalog().zones(region)


def default_zones_note(zones: Sequence[str], region: str, known_zones: Sequence[str]) -> str:
    """How ``defaults_applied`` names default zones, saying where they came from.

    >>> default_zones_note(("us-west-1a", "us-west-1b"), "us-west-1", ("us-west-1a", "us-west-1b"))
    'zones us-west-1a, us-west-1b (default: the 2 zones of us-west-1)'
    >>> default_zones_note(("cn-north-1a", "cn-north-1b", "cn-north-1c"), "cn-north-1", ())
    'zones cn-north-1a, cn-north-1b, cn-north-1c (default: the catalogue lists no zones of cn-north-1)'
    """
    if not known_zones:
        origin = f"the catalogue lists no zones of {region}"
    elif len(zones) < DEFAULT_ZONE_COUNT:
        origin = f"the {len(zones)} zones of {region}"
    else:
        origin = f"the first three zones of {region}"
    return f"zones {', '.join(zones)} (default: {origin})"
