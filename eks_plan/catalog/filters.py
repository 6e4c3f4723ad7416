"""Selecting instance types: the one filter behind a node pool's ``instances`` and ``eks-plan catalog``.

:class:`InstanceFilter` is the source of truth: ``eks-plan.yaml`` builds one per node pool, and the
``catalog`` command's flags (:class:`CatalogFilters`) build one too, so a glob or an architecture
alias means the same in both places. Category and generation come from the catalogue's
:class:`InstanceType` (Karpenter's ``instance-category``/``instance-generation`` labels, parsed once
by ``scripts/build_catalog.py``), never from the name again here.

Example::

    >>> from eks_plan.catalog import load_catalog
    >>> picked = CatalogFilters(families=("m7g",), vcpus=4).apply(load_catalog())
    >>> [t.name for t in picked]
    ['m7g.xlarge']
    >>> graviton = InstanceFilter(families=("c7g.*large",), architectures=("aarch64",), vcpus=Range(8, 8))
    >>> graviton.architectures, [t.name for t in load_catalog() if graviton.accepts_type(t)]
    (('arm64',), ['c7g.2xlarge'])
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eks_plan.catalog.instance_type import InstanceType
from eks_plan.catalog.store import Catalog
from eks_plan.errors import InputError

#: Architecture spellings users type (in eks-plan.yaml and on the command line), mapped to the
#: Kubernetes name (``kubernetes.io/arch``) the catalogue uses.
ARCH_ALIASES = {"amd64": "amd64", "x86_64": "amd64", "x86-64": "amd64", "arm64": "arm64", "aarch64": "arm64"}

#: A zone of a region: the region name and a letter (us-east-1a), or a Local Zone or Wavelength
#: Zone, which add a dash-separated location (us-east-1-bos-1a, us-east-1-wl1-bos-wlz-1).
_ZONE_SUFFIX = re.compile(r"^([a-z]|-[a-z0-9]+(-[a-z0-9]+)*)$")


def canonical_arch(name: str) -> str:
    """The Kubernetes name of an architecture spelling, or an :class:`InputError`.

    >>> canonical_arch("x86_64"), canonical_arch("AArch64"), canonical_arch("arm64")
    ('amd64', 'arm64', 'arm64')
    """
    canonical = ARCH_ALIASES.get(name.lower())
    if canonical is None:
        raise InputError(f"unknown architecture '{name}'", hint="use amd64 (x86_64) or arm64 (aarch64)")
    return canonical


def zone_in_region(zone: str, region: str) -> bool:
    """True when ``zone`` is named like an availability zone (or Local/Wavelength Zone) of ``region``.

    It checks the name only; whether the zone exists needs the catalogue's zones of the region.

    >>> zone_in_region("us-east-1a", "us-east-1"), zone_in_region("us-east-1-bos-1a", "us-east-1")
    (True, True)
    >>> zone_in_region("us-east-2a", "us-east-1"), zone_in_region("us-east-1", "us-east-1")
    (False, False)
    """
    return zone.startswith(region) and bool(_ZONE_SUFFIX.match(zone[len(region) :]))


def plain_number(value: float) -> float:
    """``3.0`` -> ``3``, so numbers print and serialise as a user wrote them."""
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True, slots=True)
class Range:
    """An inclusive range whose bounds may be missing (``None``): ``Range(2, None)`` is "2 or more".

    >>> Range(2, 16).contains(8), Range(2, 16).contains(32), Range().contains(10**6)
    (True, False, True)
    >>> str(Range(3, None)), str(Range(None, 0)), str(Range(4, 64))
    ('at least 3', 'at most 0', '4 to 64')
    """

    minimum: float | None = None
    maximum: float | None = None

    def contains(self, value: float) -> bool:
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum

    @property
    def unbounded(self) -> bool:
        return self.minimum is None and self.maximum is None

    def __str__(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            if self.minimum == self.maximum:
                return f"exactly {plain_number(self.minimum)}"
            return f"{plain_number(self.minimum)} to {plain_number(self.maximum)}"
        if self.minimum is not None:
            return f"at least {plain_number(self.minimum)}"
        if self.maximum is not None:
            return f"at most {plain_number(self.maximum)}"
        return "any"

    def to_dict(self) -> dict[str, float]:
        bounds = {"min": self.minimum, "max": self.maximum}
        return {key: plain_number(value) for key, value in bounds.items() if value is not None}


@dataclass(frozen=True, slots=True)
class InstanceFilter:
    """Which EC2 instance types a pool may use (the ``instances`` key of a node pool). Every
    criterion that is set must hold (they are ANDed, as Karpenter requirements are); an empty tuple
    or unbounded range does not filter.

    ``instance_types`` and ``exclude`` are shell globs on the type name (``"c7g.*"``, ``"*.metal"``);
    ``families`` are globs on the family or the name (``"m7*"``, ``"c7g.*large"``).
    ``architectures`` accept the aliases of :data:`ARCH_ALIASES` and are kept as Kubernetes names.

    >>> web = InstanceFilter(categories=("c", "m"), architectures=("x86_64",), generation=Range(6, None))
    >>> web.architectures
    ('amd64',)
    >>> web.rejection("m5.large", vcpus=2, memory_mib=8192, arch="amd64")   # generation from the catalogue
    'generation 5 is not at least 6'
    """

    instance_types: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()
    generation: Range = Range()
    vcpus: Range = Range()
    memory_gib: Range = Range()
    gpus: Range = Range()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        canonical = tuple(dict.fromkeys(canonical_arch(arch) for arch in self.architectures))
        if canonical != self.architectures:
            object.__setattr__(self, "architectures", canonical)

    def rejection_of(self, instance_type: InstanceType) -> str | None:
        """Why this filter rejects a catalogue type, or ``None`` when it accepts it. The reason names
        the first criterion that failed, so "no instance type left after filters" can say which
        filter removed a candidate."""
        return self._rejection(
            instance_type.name,
            family=instance_type.family,
            category=instance_type.category,
            generation=instance_type.generation,
            arch=instance_type.arch,
            vcpus=instance_type.vcpus,
            memory_mib=instance_type.memory_mib,
            gpus=instance_type.gpu_count,
        )

    def accepts_type(self, instance_type: InstanceType) -> bool:
        """True when :meth:`rejection_of` finds no reason to reject the catalogue type."""
        return self.rejection_of(instance_type) is None

    def rejection(
        self,
        instance_type: str,
        *,
        vcpus: int,
        memory_mib: int,
        arch: str,
        gpus: int = 0,
        category: str | None = None,
        generation: int | None = None,
    ) -> str | None:
        """:meth:`rejection_of` for a type given by name and facts rather than as an
        :class:`InstanceType`. ``category`` and ``generation`` left out come from the catalogue's
        entry of that name (only when a criterion needs them); a type the catalogue does not know has
        neither, and a category or generation criterion then rejects it."""
        needs_catalogue = (self.categories and category is None) or (
            not self.generation.unbounded and generation is None
        )
        known = _catalogue_type(instance_type) if needs_catalogue else None
        if known is not None:
            category = category if category is not None else known.category
            generation = generation if generation is not None else known.generation
        return self._rejection(
            instance_type,
            family=instance_type.split(".", 1)[0],
            category=category,
            generation=generation,
            arch=arch,
            vcpus=vcpus,
            memory_mib=memory_mib,
            gpus=gpus,
        )

    def accepts(self, instance_type: str, **facts: Any) -> bool:
        """True when :meth:`rejection` finds no reason to reject the instance type."""
        return self.rejection(instance_type, **facts) is None

    def _rejection(
        self,
        name: str,
        *,
        family: str,
        category: str | None,
        generation: int | None,
        arch: str,
        vcpus: int,
        memory_mib: int,
        gpus: int,
    ) -> str | None:
        if self.instance_types and not _matches_any((name,), self.instance_types):
            return f"instance type '{name}' is not in instanceTypes"
        if self.families and not _matches_any((family, name), self.families):
            return f"family '{family}' is not one of {', '.join(self.families)}"
        if self.categories and category not in self.categories:
            shown = f"'{category}'" if category is not None else "unknown"
            return f"category {shown} is not one of {', '.join(self.categories)}"
        if self.architectures and ARCH_ALIASES.get(arch.lower(), arch) not in self.architectures:
            return f"arch '{arch}' is not one of {', '.join(self.architectures)}"
        if not self.generation.unbounded and (generation is None or not self.generation.contains(generation)):
            shown = str(generation) if generation is not None else "unknown"
            return f"generation {shown} is not {self.generation}"
        if not self.vcpus.contains(vcpus):
            return f"{vcpus} vCPUs is not {self.vcpus}"
        if not self.memory_gib.contains(memory_mib / 1024):
            return f"{plain_number(memory_mib / 1024)} GiB memory is not {self.memory_gib} GiB"
        if not self.gpus.contains(gpus):
            return f"{gpus} GPUs is not {self.gpus}"
        if _matches_any((name,), self.exclude):
            return f"instance type '{name}' is excluded"
        return None

    def to_dict(self) -> dict[str, Any]:
        """The filter as the ``instances`` key of ``eks-plan.yaml`` writes it."""
        data: dict[str, Any] = {}
        lists = {
            "instanceTypes": self.instance_types,
            "families": self.families,
            "categories": self.categories,
            "arch": self.architectures,
        }
        data.update({key: list(value) for key, value in lists.items() if value})
        ranges = {"generation": self.generation, "vcpus": self.vcpus, "memoryGiB": self.memory_gib}
        ranges["gpus"] = self.gpus
        data.update({key: value.to_dict() for key, value in ranges.items() if not value.unbounded})
        if self.exclude:
            data["exclude"] = list(self.exclude)
        return data


def _matches_any(names: tuple[str, ...], patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


def _catalogue_type(name: str) -> InstanceType | None:
    from eks_plan.catalog.store import load_catalog

    return load_catalog().get(name)


def _bounds(exact: float | None, low: float | None, high: float | None) -> Range:
    """A range from an exact value and/or bounds (all optional), as the catalog flags give them."""
    lows = [value for value in (exact, low) if value is not None]
    highs = [value for value in (exact, high) if value is not None]
    return Range(max(lows) if lows else None, min(highs) if highs else None)


@dataclass(frozen=True, slots=True)
class CatalogFilters:
    """The flags of ``eks-plan catalog``, as amazon-ec2-instance-selector has them; ``None`` or empty
    means "any". Memory is in GiB.

    The shape criteria become an :class:`InstanceFilter` (:attr:`instance_filter`), so ``--family``
    and ``--arch`` mean exactly what ``families`` and ``arch`` mean in ``eks-plan.yaml``. Three
    criteria are the command's own: ``generation`` is ``current`` or ``previous`` (EC2's
    current-generation flag, not Karpenter's generation number), ``gpu_name`` a GPU model, and
    ``region``/``zone`` keep types offered there (see :meth:`InstanceType.offered_in`).
    """

    vcpus: int | None = None
    vcpus_min: int | None = None
    vcpus_max: int | None = None
    memory_min_gib: float | None = None
    memory_max_gib: float | None = None
    arch: str | None = None
    families: tuple[str, ...] = ()
    generation: str | None = None
    gpus: int | None = None
    gpu_name: str | None = None
    region: str | None = None
    zone: str | None = None

    def __post_init__(self) -> None:
        if self.generation is not None and self.generation not in ("current", "previous"):
            raise InputError(f"generation '{self.generation}' is not current or previous")
        for low, high, what in (
            (self.vcpus_min, self.vcpus_max, "vCPU"),
            (self.memory_min_gib, self.memory_max_gib, "memory"),
        ):
            if low is not None and high is not None and low > high:
                raise InputError(f"the {what} minimum {low:g} is above the maximum {high:g}")
        if self.arch is not None:
            canonical_arch(self.arch)  # an unknown --arch is an error before any type is read

    @property
    def instance_filter(self) -> InstanceFilter:
        """The flags' shape criteria as the one :class:`InstanceFilter`."""
        return InstanceFilter(
            families=self.families,
            architectures=(self.arch,) if self.arch is not None else (),
            vcpus=_bounds(self.vcpus, self.vcpus_min, self.vcpus_max),
            memory_gib=_bounds(None, self.memory_min_gib, self.memory_max_gib),
            gpus=_bounds(self.gpus, None, None),
        )

    def matches(self, t: InstanceType, instance_filter: InstanceFilter | None = None) -> bool:
        if not (instance_filter or self.instance_filter).accepts_type(t):
            return False
        if self.generation is not None and t.current_generation != (self.generation == "current"):
            return False
        if self.gpu_name is not None and (t.gpu_name or "") != self.gpu_name.lower():
            return False
        return self.region is None or t.offered_in(self.region, self.zone)

    def apply(self, catalog: Catalog) -> Iterator[InstanceType]:
        instance_filter = self.instance_filter
        return (t for t in catalog if self.matches(t, instance_filter))


def unknown_region_hint(region: str, regions: Sequence[str]) -> str | None:
    """``None`` when ``region`` is one of ``regions``; else what to write instead: the closest name
    ("did you mean"), or the list of regions when none is close. The one region check of every
    command and of eks-plan.yaml.

    >>> unknown_region_hint("us-esat-1", ["eu-west-1", "us-east-1", "us-west-2"])
    "did you mean 'us-east-1'?"
    >>> unknown_region_hint("us-east-1", ["us-east-1"]) is None
    True
    """
    import difflib

    if region in regions:
        return None
    # Transposed letters first (us-esat-1 -> us-east-1): difflib alone ranks us-west-1 closer.
    close = [known for known in regions if sorted(known) == sorted(region)]
    close = close or difflib.get_close_matches(region, regions, n=1)
    return f"did you mean '{close[0]}'?" if close else "known regions: " + ", ".join(regions)


def validate_region_and_zone(catalog: Catalog, region: str, zone: str | None) -> None:
    """Raise :class:`InputError` for a region the catalogue does not know, or a zone not in it. Where
    the catalogue lists no zones of the region (GovCloud, China), only the zone's name is checked.

    >>> from eks_plan.catalog import load_catalog
    >>> validate_region_and_zone(load_catalog(), "us-east-1", "us-west-2a")
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: zone 'us-west-2a' is not in region us-east-1 (its zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f)
    >>> validate_region_and_zone(load_catalog(), "us-gov-east-1", "us-gov-east-1b")
    """  # noqa: E501
    hint = unknown_region_hint(region, catalog.regions())
    if hint is not None:
        raise InputError(f"unknown region '{region}'", hint=hint)
    if zone is None:
        return
    zones = catalog.zones(region)
    if zones and zone not in zones:
        raise InputError(f"zone '{zone}' is not in region {region}", hint="its zones: " + ", ".join(zones))
    if not zones and not zone_in_region(zone, region):
        raise InputError(f"zone '{zone}' is not in region {region}", hint=f"zones look like {region}a")
