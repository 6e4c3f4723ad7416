"""EKS node math: max pods in every VPC CNI mode, kube-reserved, eviction and allocatable.

Every formula is in one function here, with the source it follows in ``../shared/docs/DOMAIN.md``
(§1 max pods, §2 reserved resources and allocatable) and a worked example from that document.
Notation: ``E`` = ENIs of the default network card, ``A`` = IPv4 addresses per ENI, ``V`` = vCPUs.

Example (DOMAIN.md §7, m5.large: V=2, 8192 MiB, E=3, A=10, Karpenter on AL2023)::

    >>> from eks_plan.catalog import load_catalog
    >>> m5 = load_catalog().lookup("m5.large")
    >>> settings = NodeSettings()
    >>> max_pods(m5, settings), eni_max_pods(m5, CniMode.PREFIX_DELEGATION)
    (29, 434)
    >>> node = allocatable(m5, settings)
    >>> node["cpu"], node["memory"] // 2**20, node["ephemeral-storage"] // 2**30, node["pods"]
    (1930, 6903, 17, 29)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from eks_plan.catalog.instance_type import InstanceType
from eks_plan.errors import InputError
from eks_plan.resources import (
    AMD_GPU,
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    NEURON,
    NEURON_CORE,
    NVIDIA_GPU,
    POD_ENI,
    PODS,
    Resources,
)

MIB = 2**20
GIB = 2**30

#: Pods the +2 of the max-pods formula stands for: aws-node and kube-proxy use the host network.
HOST_NETWORK_PODS = 2
#: Addresses in one IPv4 /28 prefix (prefix delegation) or one slot of an IPv6 /80 (counted as 16).
IPS_PER_PREFIX = 16
#: kubeReserved memory = 11 MiB per pod + 255 MiB (bootstrap.sh, nodeadm, Bottlerocket, Karpenter).
MEMORY_MIB_PER_POD = 11
MEMORY_MIB_BASE = 255
#: evictionHard memory.available on AL2, AL2023 and the kubelet default.
EVICTION_MEMORY_MIB = 100
#: evictionHard nodefs.available.
EVICTION_NODEFS_PERCENT = 10
#: kubeReserved ephemeral-storage.
KUBE_RESERVED_EPHEMERAL = 1 * GIB
#: Karpenter's estimate of the CMA memory Graviton kernels reserve.
ARM64_CMA_MIB = 64
#: The recommended caps of max-pods-calculator.sh, managed node groups and Auto Mode.
SMALL_NODE_POD_CAP = 110
LARGE_NODE_POD_CAP = 250
#: Above this many vCPUs the 250 cap applies (the calculator's strict ``-gt 30``).
SMALL_NODE_MAX_VCPUS = 30
DEFAULT_VM_MEMORY_OVERHEAD_PERCENT = 7.5
DEFAULT_ROOT_VOLUME_GIB = 20


class CniMode(StrEnum):
    """How the Amazon VPC CNI gives pods addresses (DOMAIN.md §1.1, §1.4, §1.5, §1.7).

    Custom networking and prefix delegation are independent switches; the five members are their
    combinations that exist (IPv6 always uses prefixes and never custom networking).
    Security groups for pods and ``MAX_ENI`` are separate settings on :class:`NodeSettings`.

    >>> CniMode.of(custom_networking=True, prefix_delegation=True)
    <CniMode.CUSTOM_NETWORKING_PREFIX: 'custom-networking-prefix'>
    >>> CniMode.CUSTOM_NETWORKING_PREFIX.prefix_delegation, CniMode.IPV6.custom_networking
    (True, False)
    """

    SECONDARY_IP = "secondary-ip"
    PREFIX_DELEGATION = "prefix-delegation"
    CUSTOM_NETWORKING = "custom-networking"
    CUSTOM_NETWORKING_PREFIX = "custom-networking-prefix"
    IPV6 = "ipv6"

    @property
    def prefix_delegation(self) -> bool:
        """True when every ENI slot holds a 16-address prefix instead of one address."""
        return self in (CniMode.PREFIX_DELEGATION, CniMode.CUSTOM_NETWORKING_PREFIX, CniMode.IPV6)

    @property
    def custom_networking(self) -> bool:
        """True when the primary ENI holds no pod addresses (pods use ENIConfig subnets)."""
        return self in (CniMode.CUSTOM_NETWORKING, CniMode.CUSTOM_NETWORKING_PREFIX)

    @classmethod
    def of(cls, *, custom_networking: bool = False, prefix_delegation: bool = False) -> CniMode:
        """The mode of a VPC CNI configured with these two switches (IPv4)."""
        if custom_networking:
            return cls.CUSTOM_NETWORKING_PREFIX if prefix_delegation else cls.CUSTOM_NETWORKING
        return cls.PREFIX_DELEGATION if prefix_delegation else cls.SECONDARY_IP


class NodeStyle(StrEnum):
    """Who sets the kubelet's maxPods and kube-reserved, which decides both (DOMAIN.md §1.3, §2.2).

    - ``self-managed``: AL2023 nodeadm, uncapped ENI formula.
    - ``managed-node-group``: EKS managed node groups, capped at 110 (V <= 30) or 250.
    - ``auto-mode``: EKS Auto Mode, capped at 110.
    - ``karpenter``: Karpenter's AL2023 NodeClass, uncapped ENI formula less reserved ENIs.
    - ``bottlerocket``: pluto's eni-max-pods table, uncapped.
    """

    SELF_MANAGED = "self-managed"
    MANAGED_NODE_GROUP = "managed-node-group"
    AUTO_MODE = "auto-mode"
    KARPENTER = "karpenter"
    BOTTLEROCKET = "bottlerocket"


class MemoryModel(StrEnum):
    """How the kubelet's memory capacity is estimated (DOMAIN.md §2.4).

    ``karpenter`` (default): nominal size less 64 MiB on arm64, less the VM overhead percent,
    which is what Karpenter plans with and matches its published table. ``nominal``: the EC2
    nominal size (optimistic: real MemTotal is always lower).
    """

    KARPENTER = "karpenter"
    NOMINAL = "nominal"


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """The node and VPC CNI settings that change max pods and allocatable.

    ``max_pods``: an explicit kubelet maxPods (NodeClass ``kubelet.maxPods``, nodeadm
    ``kubelet.config.maxPods``, Bottlerocket ``settings.kubernetes.max-pods``); it always wins.
    ``max_eni``: the VPC CNI ``MAX_ENI`` limit. ``security_groups_for_pods``: ``ENABLE_POD_ENI``
    (a trunk ENI takes one ENI slot; branch ENIs add pods). ``reserved_enis``: Karpenter's
    ``RESERVED_ENIS``, ENIs kept away from pods *besides* custom networking's primary ENI (choose a
    custom-networking mode for that; do not also count it here).
    """

    cni_mode: CniMode = CniMode.SECONDARY_IP
    node_style: NodeStyle = NodeStyle.KARPENTER
    max_pods: int | None = None
    memory_model: MemoryModel = MemoryModel.KARPENTER
    vm_memory_overhead_percent: float = DEFAULT_VM_MEMORY_OVERHEAD_PERCENT
    root_volume_gib: int = DEFAULT_ROOT_VOLUME_GIB
    max_eni: int | None = None
    security_groups_for_pods: bool = False
    reserved_enis: int = 0

    def __post_init__(self) -> None:
        if self.max_pods is not None and self.max_pods < 1:
            raise InputError(f"maxPods must be at least 1, not {self.max_pods}")
        if self.max_eni is not None and self.max_eni < 1:
            raise InputError(f"MAX_ENI must be at least 1, not {self.max_eni}")
        if not 0 <= self.vm_memory_overhead_percent < 100:
            raise InputError(
                f"VM memory overhead must be a percent in [0, 100), not {self.vm_memory_overhead_percent}"
            )
        if self.root_volume_gib < 2:
            raise InputError(f"the root volume must be at least 2 GiB, not {self.root_volume_gib}")
        if self.reserved_enis < 0:
            raise InputError(f"reserved ENIs cannot be negative ({self.reserved_enis})")
        if self.cni_mode is CniMode.IPV6 and self.security_groups_for_pods:
            raise InputError(
                "security groups for pods are not supported in IPv6 clusters",
                hint="VPC CNI README feature matrix; turn one of them off",
            )


def prefix_delegation_supported(instance_type: InstanceType) -> bool:
    """Prefix delegation (and IPv6) needs a Nitro instance or bare metal (DOMAIN.md §1.2, §1.7).

    >>> from eks_plan.catalog import load_catalog
    >>> catalog = load_catalog()
    >>> [prefix_delegation_supported(catalog.lookup(name)) for name in ("m5.large", "m5.metal", "t2.large")]
    [True, True, False]
    """
    return instance_type.hypervisor == "nitro" or instance_type.bare_metal


def eni_max_pods(
    instance_type: InstanceType,
    cni_mode: CniMode = CniMode.SECONDARY_IP,
    *,
    max_eni: int | None = None,
    security_groups_for_pods: bool = False,
    reserved_enis: int = 0,
) -> int:
    """The raw VPC CNI max-pods formula of a mode, uncapped (DOMAIN.md §1).

    ``(ENIs for pods) x (A - 1) x (16 with prefixes, else 1) + 2``, where ENIs for pods is ``E``,
    at most ``MAX_ENI``, less Karpenter's reserved ENIs, less 1 for custom networking (the primary
    ENI) and less 1 for the security-groups-for-pods trunk ENI; each branch ENI then adds one pod.
    Prefix delegation on a Xen type falls back to one address per slot, as the CNI does.

    DOMAIN.md §1 and §7 examples (m5.large: E=3, A=10; m5.24xlarge: E=15, A=50; p4d.24xlarge has
    4 cards of 15 ENIs but only card 0 counts):

    >>> from eks_plan.catalog import load_catalog
    >>> catalog = load_catalog()
    >>> m5, m5_24, p4d = (catalog.lookup(n) for n in ("m5.large", "m5.24xlarge", "p4d.24xlarge"))
    >>> [eni_max_pods(m5, mode) for mode in CniMode]
    [29, 434, 20, 290, 434]
    >>> eni_max_pods(m5_24), eni_max_pods(m5_24, CniMode.CUSTOM_NETWORKING), eni_max_pods(p4d)
    (737, 688, 737)
    >>> eni_max_pods(catalog.lookup("p5.48xlarge"))
    100
    >>> eni_max_pods(m5, security_groups_for_pods=True)     # 2 ENIs x 9 + 2, plus 9 branch ENIs
    29
    >>> eni_max_pods(m5, max_eni=1)
    11
    """
    enis = instance_type.default_card_enis
    if max_eni is not None:
        enis = min(enis, max_eni)
    enis -= reserved_enis
    if cni_mode.custom_networking:
        enis -= 1
    trunk = security_groups_for_pods and instance_type.trunking_compatible
    if trunk:
        enis -= 1
    per_slot = (
        IPS_PER_PREFIX if cni_mode.prefix_delegation and prefix_delegation_supported(instance_type) else 1
    )
    pods = max(enis, 0) * (instance_type.ipv4_per_eni - 1) * per_slot + HOST_NETWORK_PODS
    if trunk:
        pods += instance_type.branch_interfaces
    return pods


def pod_addresses(instance_type: InstanceType, settings: NodeSettings) -> int | None:
    """The most pods needing a VPC address (not hostNetwork, not on a branch ENI) that ipamd can
    address on one node, whatever the kubelet's maxPods says; ``None`` under IPv6 (every pod
    takes an address from the node's /80 prefix, never short).

    ``(ENIs ipamd may attach) x (A - 1) x (16 with prefixes, else 1)``: the ENIs of the default
    card, at most ``MAX_ENI``, less Karpenter's reserved ENIs, less the primary ENI under custom
    networking, and less the trunk ENI's slot with security groups for pods on a trunking-compatible
    type only (aws/amazon-vpc-cni-k8s ``pkg/ipamd/ipamd.go`` ``hasRoomForEni``; since PR #3250 no
    slot is reserved on a type that cannot trunk). This is :func:`eni_max_pods` without its
    ``+ 2`` host-network pods and branch ENIs: maxPods above it leaves pods without an address.

    m5.large (E=3, A=10) with maxPods 110 still addresses only 27 pods; t3.large (E=3, A=12, not
    trunking compatible) keeps all three ENIs with security groups for pods:

    >>> from eks_plan.catalog import load_catalog
    >>> catalog = load_catalog()
    >>> m5, t3 = catalog.lookup("m5.large"), catalog.lookup("t3.large")
    >>> pod_addresses(m5, NodeSettings(max_pods=110))
    27
    >>> pod_addresses(m5, NodeSettings(CniMode.CUSTOM_NETWORKING))
    18
    >>> pod_addresses(m5, NodeSettings(security_groups_for_pods=True))
    18
    >>> pod_addresses(t3, NodeSettings(security_groups_for_pods=True))
    33
    >>> [pod_addresses(m5, NodeSettings(mode)) for mode in (CniMode.PREFIX_DELEGATION, CniMode.IPV6)]
    [432, None]
    """
    if settings.cni_mode is CniMode.IPV6:
        return None
    enis = instance_type.default_card_enis
    if settings.max_eni is not None:
        enis = min(enis, settings.max_eni)
    enis -= settings.reserved_enis
    if settings.cni_mode.custom_networking:
        enis -= 1
    if settings.security_groups_for_pods and instance_type.trunking_compatible:
        enis -= 1
    per_slot = (
        IPS_PER_PREFIX
        if settings.cni_mode.prefix_delegation and prefix_delegation_supported(instance_type)
        else 1
    )
    return max(enis, 0) * (instance_type.ipv4_per_eni - 1) * per_slot


def recommended_pod_cap(instance_type: InstanceType) -> int:
    """The 110/250 cap of max-pods-calculator.sh and managed node groups: 110 up to 30 vCPUs.

    >>> from eks_plan.catalog import load_catalog
    >>> [recommended_pod_cap(load_catalog().lookup(name)) for name in ("m5.large", "m5.8xlarge")]
    [110, 250]
    """
    return SMALL_NODE_POD_CAP if instance_type.vcpus <= SMALL_NODE_MAX_VCPUS else LARGE_NODE_POD_CAP


def _mode_pods(instance_type: InstanceType, settings: NodeSettings) -> int:
    return eni_max_pods(
        instance_type,
        settings.cni_mode,
        max_eni=settings.max_eni,
        security_groups_for_pods=settings.security_groups_for_pods,
        reserved_enis=settings.reserved_enis,
    )


def _ami_default_pods(instance_type: InstanceType, settings: NodeSettings) -> int:
    """The uncapped value the AMI (or Karpenter) sets by itself: the secondary-IP ENI formula, which
    prefix delegation and IPv6 do not raise, lowered by custom networking, MAX_ENI or a trunk ENI.
    (A self-managed custom-networking node uses nodeadm's documented ``maxPodsExpression``.)"""
    return min(
        eni_max_pods(instance_type, reserved_enis=settings.reserved_enis), _mode_pods(instance_type, settings)
    )


def max_pods(instance_type: InstanceType, settings: NodeSettings) -> int:
    """The kubelet maxPods a node of this type really gets (DOMAIN.md §1.3).

    An explicit ``settings.max_pods`` always wins. Otherwise: managed node groups cap the mode's
    formula at 110/250, Auto Mode at 110; self-managed AL2023, Karpenter and Bottlerocket keep the
    uncapped ENI formula, which prefix delegation does not raise (set ``max_pods`` to use it).

    DOMAIN.md §7 (m5.large / m5.24xlarge):

    >>> from eks_plan.catalog import load_catalog
    >>> m5, m5_24 = load_catalog().lookup("m5.large"), load_catalog().lookup("m5.24xlarge")
    >>> [max_pods(m5_24, NodeSettings(node_style=style)) for style in NodeStyle]
    [737, 250, 110, 737, 737]
    >>> max_pods(m5, NodeSettings(CniMode.PREFIX_DELEGATION, NodeStyle.MANAGED_NODE_GROUP))
    110
    >>> max_pods(m5, NodeSettings(CniMode.CUSTOM_NETWORKING, NodeStyle.KARPENTER))
    20
    >>> max_pods(m5, NodeSettings(max_pods=58))
    58
    """
    if settings.max_pods is not None:
        return settings.max_pods
    style = settings.node_style
    if style is NodeStyle.MANAGED_NODE_GROUP:
        return min(_mode_pods(instance_type, settings), recommended_pod_cap(instance_type))
    if style is NodeStyle.AUTO_MODE:
        return min(_mode_pods(instance_type, settings), SMALL_NODE_POD_CAP)
    return _ami_default_pods(instance_type, settings)


def kube_reserved_pods(instance_type: InstanceType, settings: NodeSettings) -> int:
    """The max-pods value that feeds kube-reserved memory, which is not always the kubelet's
    maxPods (DOMAIN.md §2.2).

    - Karpenter (AL2023): the ENI formula with no reserved ENIs, whatever maxPods is.
    - Self-managed AL2023 (nodeadm) and managed node groups: nodeadm's own computed value,
      uncapped; a maxPods override does not change it.
    - Bottlerocket and Auto Mode (Bottlerocket-based): the effective maxPods, override included.

    >>> from eks_plan.catalog import load_catalog
    >>> m5_24 = load_catalog().lookup("m5.24xlarge")
    >>> kube_reserved_pods(m5_24, NodeSettings(node_style=NodeStyle.MANAGED_NODE_GROUP))  # maxPods 250
    737
    >>> kube_reserved_pods(m5_24, NodeSettings(node_style=NodeStyle.BOTTLEROCKET, max_pods=110))
    110
    """
    style = settings.node_style
    if style is NodeStyle.KARPENTER:
        return eni_max_pods(instance_type)
    if style in (NodeStyle.SELF_MANAGED, NodeStyle.MANAGED_NODE_GROUP):
        return _ami_default_pods(instance_type, settings)
    return max_pods(instance_type, settings)


def kube_reserved_cpu_millicores(vcpus: int) -> int:
    """kube-reserved cpu: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the
    rest, each range in integer millicores (DOMAIN.md §2.1; nodeadm, bootstrap.sh, Bottlerocket).

    >>> [kube_reserved_cpu_millicores(v) for v in (1, 2, 3, 4, 5, 6, 8, 16, 32, 36, 48, 64, 72, 96, 128, 192)]
    [60, 70, 75, 80, 82, 85, 90, 110, 150, 160, 190, 230, 250, 310, 390, 550]
    """
    total = vcpus * 1000
    reserved = 0
    for start, end, percent_x100 in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, total, 25)):
        if total > start:
            reserved += (min(total, end) - start) * percent_x100 // 10000
    return reserved


def kube_reserved_memory_mib(pods: int) -> int:
    """kube-reserved memory: ``11 x pods + 255`` MiB (DOMAIN.md §2.2).

    >>> kube_reserved_memory_mib(29), kube_reserved_memory_mib(737)
    (574, 8362)
    """
    return MEMORY_MIB_PER_POD * pods + MEMORY_MIB_BASE


def kube_reserved(instance_type: InstanceType, settings: NodeSettings) -> Resources:
    """kube-reserved cpu, memory (fed by :func:`kube_reserved_pods`) and 1Gi ephemeral storage.

    >>> from eks_plan.catalog import load_catalog
    >>> reserved = kube_reserved(load_catalog().lookup("m5.large"), NodeSettings())
    >>> reserved["cpu"], reserved["memory"] // 2**20, reserved["ephemeral-storage"] // 2**30
    (70, 574, 1)
    """
    return Resources(
        {
            CPU: kube_reserved_cpu_millicores(instance_type.vcpus),
            MEMORY: kube_reserved_memory_mib(kube_reserved_pods(instance_type, settings)) * MIB,
            EPHEMERAL_STORAGE: KUBE_RESERVED_EPHEMERAL,
        }
    )


def eviction_threshold(settings: NodeSettings) -> Resources:
    """evictionHard: ``memory.available`` 100Mi and ``nodefs.available`` 10% of the root volume,
    rounded up to a byte as Karpenter does (DOMAIN.md §2.3, §2.5).

    >>> threshold = eviction_threshold(NodeSettings())
    >>> threshold["memory"] // 2**20, threshold["ephemeral-storage"] / 2**30
    (100, 2.0)
    """
    root = settings.root_volume_gib * GIB
    return Resources(
        {MEMORY: EVICTION_MEMORY_MIB * MIB, EPHEMERAL_STORAGE: -(-root * EVICTION_NODEFS_PERCENT // 100)}
    )


def memory_capacity_mib(instance_type: InstanceType, settings: NodeSettings) -> int:
    """The kubelet's memory capacity under the chosen :class:`MemoryModel` (DOMAIN.md §2.4).

    Karpenter's estimate, in its own float arithmetic (``types.go memory()``): less 64 MiB on
    arm64, then less ``ceil(bytes x percent / 1024 / 1024)`` MiB.

    >>> from eks_plan.catalog import load_catalog
    >>> catalog = load_catalog()
    >>> memory_capacity_mib(catalog.lookup("m5.large"), NodeSettings())       # 8192 - ceil(614.4)
    7577
    >>> memory_capacity_mib(catalog.lookup("c6g.16xlarge"), NodeSettings())   # (131072 - 64) x 92.5%
    121182
    >>> memory_capacity_mib(catalog.lookup("m5.large"), NodeSettings(memory_model=MemoryModel.NOMINAL))
    8192
    """
    if settings.memory_model is MemoryModel.NOMINAL:
        return instance_type.memory_mib
    mib = instance_type.memory_mib - (ARM64_CMA_MIB if instance_type.arch == "arm64" else 0)
    overhead = float(mib * MIB) * (settings.vm_memory_overhead_percent / 100) / 1024 / 1024
    return mib - _ceil(overhead)


def _ceil(value: float) -> int:
    whole = int(value)
    return whole + 1 if whole < value else whole


def accelerators(instance_type: InstanceType) -> Resources:
    """The device-plugin resources a node of this type advertises: ``nvidia.com/gpu`` and
    ``amd.com/gpu`` (the GPUs), ``aws.amazon.com/neuron`` (Inferentia and Trainium devices) and
    ``aws.amazon.com/neuroncore`` (their NeuronCores), as Karpenter's instance type provider
    computes capacity (aws/karpenter-provider-aws ``pkg/providers/instancetype/types.go``:
    ``nvidiaGPUs``, ``amdGPUs``, ``awsNeuronDevices`` = the Neuron device count, ``awsNeuronCores``
    = devices x ``CoreInfo.Count``; the Neuron device plugin advertises the same two resources).

    >>> from eks_plan.catalog import load_catalog
    >>> [accelerators(load_catalog().lookup(name)) for name in ("p4d.24xlarge", "inf2.24xlarge")]
    [Resources(nvidia.com/gpu=8), Resources(aws.amazon.com/neuron=6, aws.amazon.com/neuroncore=12)]
    """
    devices: dict[str, int] = {}
    if instance_type.gpu_count and instance_type.gpu_manufacturer == "nvidia":
        devices[NVIDIA_GPU] = instance_type.gpu_count
    elif instance_type.gpu_count and instance_type.gpu_manufacturer == "amd":
        devices[AMD_GPU] = instance_type.gpu_count
    if instance_type.accelerator_count and instance_type.accelerator_manufacturer == "aws":
        devices[NEURON] = instance_type.accelerator_count
        if instance_type.neuron_cores:
            devices[NEURON_CORE] = instance_type.neuron_cores
    return Resources(devices)


@dataclass(frozen=True, slots=True)
class CapacityBreakdown:
    """Every number between an instance type's size and its allocatable, for ``eks-plan catalog TYPE``.

    Memory figures are MiB, storage bytes, cpu millicores.
    """

    instance_type: str
    arch: str
    settings: NodeSettings
    cpu_capacity: int
    cpu_reserved: int
    memory_nominal_mib: int
    memory_capacity_mib: int
    max_pods: int
    kube_reserved_pods: int
    memory_reserved_mib: int
    eviction_memory_mib: int
    ephemeral_capacity: int
    ephemeral_reserved: int
    ephemeral_eviction: int
    allocatable: Resources

    def lines(self) -> list[str]:
        """The arithmetic as short lines of text."""
        s = self.settings
        memory_model = (
            f"{self.memory_nominal_mib}Mi nominal"
            if s.memory_model is MemoryModel.NOMINAL
            else f"{self.memory_nominal_mib}Mi nominal -> {self.memory_capacity_mib}Mi (Karpenter estimate: "
            + ("-64Mi arm64 CMA, " if self.arch == "arm64" else "")
            + f"-{s.vm_memory_overhead_percent:g}% VM overhead)"
        )
        return [
            f"cpu: {self.cpu_capacity}m - {self.cpu_reserved}m kube-reserved = {self.allocatable[CPU]}m",
            f"memory capacity: {memory_model}",
            f"memory: {self.memory_capacity_mib}Mi - {self.memory_reserved_mib}Mi kube-reserved "
            f"(11 x {self.kube_reserved_pods} pods + 255) - {self.eviction_memory_mib}Mi eviction "
            f"= {self.allocatable[MEMORY] // MIB}Mi",
            f"ephemeral-storage: {self.ephemeral_capacity // GIB}Gi root - "
            f"{self.ephemeral_reserved / GIB:g}Gi kube-reserved - {self.ephemeral_eviction / GIB:g}Gi "
            f"eviction (10%) = {self.allocatable[EPHEMERAL_STORAGE] / GIB:g}Gi",
            f"pods: {self.max_pods} ({s.node_style.value}, {s.cni_mode.value}"
            + (", explicit maxPods" if s.max_pods is not None else "")
            + ")",
        ]


#: Breakdowns kept per process, by (instance type, settings): every ``size``, ``lint``, ``diff`` side
#: and explore re-solve builds the node options of every type its pools accept again, and a process
#: sees few settings. Both keys are frozen dataclasses whose equality covers every field read here
#: (``InstanceType`` leaves only its offering and price rows out, which node math does not read), and
#: the result is immutable, so a kept breakdown is the one a new call would compute. Measured on the
#: default pool (714 types, 2,142 node options): node_options_for_config 0.126 s -> 0.087 s (median
#: of 16, under load); 1,365 types x a few settings stay well inside the bound.
BREAKDOWN_CACHE_SIZE = 8192


@lru_cache(maxsize=BREAKDOWN_CACHE_SIZE)
def capacity_breakdown(instance_type: InstanceType, settings: NodeSettings) -> CapacityBreakdown:
    """The arithmetic of :func:`allocatable`, step by step.

    >>> from eks_plan.catalog import load_catalog
    >>> for line in capacity_breakdown(load_catalog().lookup("m5.large"), NodeSettings()).lines():
    ...     print(line)
    cpu: 2000m - 70m kube-reserved = 1930m
    memory capacity: 8192Mi nominal -> 7577Mi (Karpenter estimate: -7.5% VM overhead)
    memory: 7577Mi - 574Mi kube-reserved (11 x 29 pods + 255) - 100Mi eviction = 6903Mi
    ephemeral-storage: 20Gi root - 1Gi kube-reserved - 2Gi eviction (10%) = 17Gi
    pods: 29 (karpenter, secondary-ip)
    """
    reserved = kube_reserved(instance_type, settings)
    eviction = eviction_threshold(settings)
    memory_capacity = memory_capacity_mib(instance_type, settings)
    ephemeral_capacity = settings.root_volume_gib * GIB
    pods = max_pods(instance_type, settings)
    capacity = Resources(
        {
            CPU: instance_type.vcpus * 1000,
            MEMORY: memory_capacity * MIB,
            EPHEMERAL_STORAGE: ephemeral_capacity,
        }
    )
    extended = dict(accelerators(instance_type))
    if settings.security_groups_for_pods and instance_type.trunking_compatible:
        extended[POD_ENI] = instance_type.branch_interfaces
    node_allocatable = capacity - reserved - eviction + {PODS: pods, **extended}
    return CapacityBreakdown(
        instance_type=instance_type.name,
        arch=instance_type.arch,
        settings=settings,
        cpu_capacity=capacity[CPU],
        cpu_reserved=reserved[CPU],
        memory_nominal_mib=instance_type.memory_mib,
        memory_capacity_mib=memory_capacity,
        max_pods=pods,
        kube_reserved_pods=kube_reserved_pods(instance_type, settings),
        memory_reserved_mib=reserved[MEMORY] // MIB,
        eviction_memory_mib=eviction[MEMORY] // MIB,
        ephemeral_capacity=ephemeral_capacity,
        ephemeral_reserved=reserved[EPHEMERAL_STORAGE],
        ephemeral_eviction=eviction[EPHEMERAL_STORAGE],
        allocatable=node_allocatable,
    )


def allocatable(instance_type: InstanceType, settings: NodeSettings) -> Resources:
    """What pods may request on a node: capacity - kube-reserved - eviction threshold (no
    system-reserved is set by the EKS AMIs), plus the pods limit, accelerators and, with security
    groups for pods, ``vpc.amazonaws.com/pod-eni`` branch ENIs (DOMAIN.md §2.4, §2.5).

    DOMAIN.md §7 allocatable rows (Karpenter memory model, then nominal):

    >>> from eks_plan.catalog import load_catalog
    >>> catalog = load_catalog()
    >>> for name in ("m5.large", "m5.24xlarge", "t3.medium", "c6g.16xlarge", "p4d.24xlarge"):
    ...     karpenter = allocatable(catalog.lookup(name), NodeSettings())
    ...     nominal = allocatable(catalog.lookup(name), NodeSettings(memory_model=MemoryModel.NOMINAL))
    ...     print(name, karpenter["cpu"], karpenter["memory"] // 2**20, nominal["memory"] // 2**20)
    m5.large 1930 6903 7518
    m5.24xlarge 95690 355262 384754
    t3.medium 1930 3246 3554
    c6g.16xlarge 63770 112720 122610
    p4d.24xlarge 95690 1082712 1171186
    """
    return capacity_breakdown(instance_type, settings).allocatable
