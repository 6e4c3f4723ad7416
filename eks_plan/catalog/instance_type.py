"""One EC2 instance type as the planner sees it: its hardware, network limits, offerings and prices.

The facts come from the bundled catalogue (``data/catalog.json``, built by
``scripts/build_catalog.py``); node math on top of them (max pods, allocatable) lives in
:mod:`eks_plan.catalog.capacity`.

Example::

    >>> from eks_plan.catalog import load_catalog
    >>> m5 = load_catalog().lookup("m5.large")
    >>> (m5.vcpus, m5.memory_mib, m5.arch, m5.default_card_enis, m5.ipv4_per_eni, m5.branch_interfaces)
    (2, 8192, 'amd64', 3, 10, 9)
    >>> m5.price_per_hour("us-east-1"), m5.price_per_hour("eu-west-1")   # no bundled eu-west-1 price
    (0.096, None)
    >>> m5.offered_in("us-east-1", "us-east-1f"), m5.offered_in("us-east-1", "us-east-1e")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class OfferingFacts:
    """What the catalogue knows about where types are sold, shared by every :class:`InstanceType`.

    ``complete_regions``: regions whose offering lists are complete for types marked
    ``offerings_complete`` (moto's DescribeInstanceTypeOfferings dumps). ``price_regions``: regions
    with a bundled price file, which names every type sold there. ``zones``: known zone names per
    region.
    """

    complete_regions: frozenset[str]
    price_regions: frozenset[str]
    zones: Mapping[str, tuple[str, ...]]
    #: Zone name -> zone ID (``use1-az6``) where the catalogue knows one (one account's mapping).
    zone_ids: Mapping[str, str]
    #: Position of each region in :attr:`InstanceType.offering_row` / :attr:`InstanceType.price_row`.
    offering_index: Mapping[str, int]
    price_index: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class InstanceType:
    """An EC2 instance type with the facts node math and filters need.

    Units: memory in MiB, bandwidth in Mbps, local NVMe in GiB (as EC2 reports it), prices per hour
    in the region's currency (USD, CNY for ``cn-*``; see :meth:`Catalog.currency`). ``None`` means
    the type has none of a thing (no GPU) or the fact is unknown.

    ENIs: ``default_card_enis`` is ``E`` of DOMAIN.md §1 (the default network card, the only one the
    VPC CNI uses); ``max_enis_all_cards`` sums every card (p4d.24xlarge: 15 and 60).
    ``ipv4_per_eni`` is ``A`` (including the ENI's primary address).
    """

    name: str
    vcpus: int
    memory_mib: int
    arch: str
    hypervisor: str
    bare_metal: bool
    category: str
    family: str
    generation: int | None
    size: str
    current_generation: bool
    cpu_manufacturer: str | None
    gpu_count: int
    gpu_name: str | None
    gpu_manufacturer: str | None
    gpu_memory_mib: int | None
    accelerator_count: int
    accelerator_name: str | None
    accelerator_manufacturer: str | None
    #: NeuronCores (``aws.amazon.com/neuroncore``): Neuron devices x cores per device (0: none).
    neuron_cores: int
    default_card_enis: int
    max_enis_all_cards: int
    network_cards: int
    ipv4_per_eni: int
    trunking_compatible: bool
    branch_interfaces: int
    efa_interfaces: int | None
    local_nvme_gib: int | None
    network_bandwidth_mbps: int | None
    capability_flex: bool
    #: Zone letters where sold, per region of ``facts.offering_index`` ("" = zones unknown, None =
    #: not known to be sold there). Stored as a row, as in the file, to keep loading fast.
    offering_row: tuple[str | None, ...] = field(default=(), repr=False, compare=False)
    #: True when moto's offering lists know this type (so "absent from a region" means "not sold").
    offerings_complete: bool = field(default=False, repr=False, compare=False)
    #: On-demand Linux price per hour per region of ``facts.price_index``, in its currency.
    price_row: tuple[float | None, ...] = field(default=(), repr=False, compare=False)
    #: EC2's ``EbsInfo.MaximumEbsAttachments`` (which already leaves out the primary ENI, NVMe
    #: instance-store disks and GPUs on shared types) and ``AttachmentLimitType``: ``"shared"`` (EBS
    #: volumes share these slots with the ENIs) or ``"dedicated"``; ``None`` when the reference data
    #: does not know the type. The EBS CSI driver's node count: :mod:`eks_plan.storage.attach`.
    ebs_attachments: int | None = None
    ebs_attachment_kind: str | None = None
    facts: OfferingFacts | None = field(default=None, repr=False, compare=False)

    @property
    def prices(self) -> dict[str, float]:
        """On-demand Linux price per hour by region, in each region's currency."""
        if self.facts is None:
            return {}
        return {
            region: price
            for region, position in self.facts.price_index.items()
            if (price := self.price_row[position]) is not None
        }

    @property
    def offerings(self) -> dict[str, str]:
        """Regions known to sell the type -> the zone letters there ("" when zones are unknown)."""
        if self.facts is None:
            return {}
        return {
            region: letters
            for region, position in self.facts.offering_index.items()
            if (letters := self.offering_row[position]) is not None
        }

    @property
    def memory_gib(self) -> float:
        return self.memory_mib / 1024

    def price_per_hour(self, region: str) -> float | None:
        """On-demand Linux price per hour in ``region``, in its native currency, or ``None`` when the
        catalogue has no price for the type there (use :mod:`eks_plan.catalog.pricing` for the
        us-east-1 fallback and spot/savings-plan factors)."""
        position = self.facts.price_index.get(region) if self.facts else None
        return None if position is None else self.price_row[position]

    def _letters(self, region: str) -> str | None:
        position = self.facts.offering_index.get(region) if self.facts else None
        return None if position is None else self.offering_row[position]

    def _offering_known(self, region: str) -> bool:
        if self.facts is None:
            return False
        if region in self.facts.price_regions:
            return True
        return self.offerings_complete and region in self.facts.complete_regions

    def offered_in(self, region: str, zone: str | None = None) -> bool:
        """Whether the type is sold in ``region`` (and in ``zone`` when given).

        Absent facts are not evidence of absence: when the catalogue knows nothing about the type in
        that region (a type newer than the offering data, in a region without a price file), or
        knows the region but not its zones, the answer is ``True``. It is ``False`` only when the
        facts say so, or when ``zone`` is not a zone of ``region``.
        """
        if zone is not None and not zone.startswith(region):
            return False
        letters = self._letters(region)
        if letters is None:
            return not self._offering_known(region)
        if zone is None or not letters:
            return True
        return zone.removeprefix(region) in letters

    def zones_offered(self, region: str) -> tuple[str, ...]:
        """The zones of ``region`` that offer the type; every known zone of the region when the type's
        zones there are unknown, and ``()`` when it is known not to be sold there."""
        all_zones = self.facts.zones.get(region, ()) if self.facts else ()
        letters = self._letters(region)
        if letters is None:
            return () if self._offering_known(region) else all_zones
        if not letters:
            return all_zones
        return tuple(region + letter for letter in letters)
