"""Selecting instance types the way amazon-ec2-instance-selector does, and checking regions/zones.

Example::

    >>> from eks_plan.catalog import load_catalog
    >>> picked = CatalogFilters(families=("m7g",), vcpus=4).apply(load_catalog())
    >>> [t.name for t in picked]
    ['m7g.xlarge']
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass

from eks_plan.catalog.instance_type import InstanceType
from eks_plan.catalog.store import Catalog
from eks_plan.errors import InputError

#: Architecture spellings users type, mapped to the Kubernetes name.
ARCH_ALIASES = {"amd64": "amd64", "x86_64": "amd64", "x86-64": "amd64", "arm64": "arm64", "aarch64": "arm64"}


@dataclass(frozen=True, slots=True)
class CatalogFilters:
    """Conditions on instance types; ``None`` or empty means "any". Memory is in GiB.

    ``families`` are family names (``m7i``) or globs on the family or the type name (``m7*``,
    ``c7g.*large``). ``generation`` is ``current`` or ``previous``. ``region``/``zone`` keep types
    offered there (see :meth:`InstanceType.offered_in` for unknown offerings).
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
        if self.arch is not None and self.arch.lower() not in ARCH_ALIASES:
            raise InputError(f"unknown architecture '{self.arch}'", hint="use amd64 or arm64")
        if self.generation is not None and self.generation not in ("current", "previous"):
            raise InputError(f"generation '{self.generation}' is not current or previous")
        for low, high, what in (
            (self.vcpus_min, self.vcpus_max, "vCPU"),
            (self.memory_min_gib, self.memory_max_gib, "memory"),
        ):
            if low is not None and high is not None and low > high:
                raise InputError(f"the {what} minimum {low:g} is above the maximum {high:g}")

    def matches(self, t: InstanceType) -> bool:
        if self.vcpus is not None and t.vcpus != self.vcpus:
            return False
        if self.vcpus_min is not None and t.vcpus < self.vcpus_min:
            return False
        if self.vcpus_max is not None and t.vcpus > self.vcpus_max:
            return False
        if self.memory_min_gib is not None and t.memory_mib < self.memory_min_gib * 1024:
            return False
        if self.memory_max_gib is not None and t.memory_mib > self.memory_max_gib * 1024:
            return False
        if self.arch is not None and t.arch != ARCH_ALIASES[self.arch.lower()]:
            return False
        if self.families and not any(
            fnmatch.fnmatchcase(t.family, pattern) or fnmatch.fnmatchcase(t.name, pattern)
            for pattern in self.families
        ):
            return False
        if self.generation is not None and t.current_generation != (self.generation == "current"):
            return False
        if self.gpus is not None and t.gpu_count != self.gpus:
            return False
        if self.gpu_name is not None and (t.gpu_name or "") != self.gpu_name.lower():
            return False
        return self.region is None or t.offered_in(self.region, self.zone)

    def apply(self, catalog: Catalog) -> Iterator[InstanceType]:
        return (t for t in catalog if self.matches(t))


def validate_region_and_zone(catalog: Catalog, region: str, zone: str | None) -> None:
    """Raise :class:`InputError` for a region the catalogue does not know, or a zone not in it.

    >>> from eks_plan.catalog import load_catalog
    >>> validate_region_and_zone(load_catalog(), "us-east-1", "us-west-2a")
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: zone 'us-west-2a' is not in region us-east-1 (its zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f)
    """  # noqa: E501
    import difflib

    regions = catalog.regions()
    if region not in regions:
        close = difflib.get_close_matches(region, regions, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "known regions: " + ", ".join(regions)
        raise InputError(f"unknown region '{region}'", hint=hint)
    if zone is None:
        return
    zones = catalog.zones(region)
    if zones and zone not in zones:
        raise InputError(f"zone '{zone}' is not in region {region}", hint="its zones: " + ", ".join(zones))
    if not zones and not (zone.startswith(region) and len(zone) == len(region) + 1 and zone[-1].isalpha()):
        raise InputError(f"zone '{zone}' is not in region {region}", hint=f"zones look like {region}a")
