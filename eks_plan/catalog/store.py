"""The bundled instance catalogue: loading ``data/catalog.json`` and looking types up.

The file holds one row per type (see ``scripts/build_catalog.py``); loading parses it once per
process (:func:`load_catalog` is cached) and builds the :class:`InstanceType` values.

Example::

    >>> catalog = load_catalog()
    >>> len(catalog) > 1300, catalog.get("m7i.large").vcpus, catalog.get("m7i.lage")
    (True, 2, None)
    >>> catalog.zones("us-west-1")
    ('us-west-1a', 'us-west-1b')
    >>> catalog.currency("cn-north-1")
    'CNY'
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from eks_plan.catalog.instance_type import InstanceType, OfferingFacts
from eks_plan.errors import InputError

if TYPE_CHECKING:
    from eks_plan.catalog.filters import InstanceFilter

CATALOG_FILE = "catalog.json"
SUPPORTED_FORMAT = 1

_Types = tuple[InstanceType, ...]

#: Columns whose "none" is a count of zero rather than unknown.
_COUNT_COLUMNS = ("gpu_count", "accelerator_count", "neuron_cores")


class Catalog:
    """Every instance type of the bundled catalogue, sorted by name, with region and zone facts."""

    def __init__(
        self,
        types: Mapping[str, InstanceType],
        facts: OfferingFacts,
        currencies: Mapping[str, str],
        info: Mapping[str, Any],
    ) -> None:
        self._types = dict(sorted(types.items()))
        self._facts = facts
        self._currencies = dict(currencies)
        self.info: Mapping[str, Any] = MappingProxyType(dict(info))
        self._split: dict[tuple[InstanceFilter, str], tuple[_Types, _Types]] = {}

    def __iter__(self) -> Iterator[InstanceType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def names(self) -> tuple[str, ...]:
        return tuple(self._types)

    def get(self, name: str) -> InstanceType | None:
        return self._types.get(name)

    def lookup(self, name: str) -> InstanceType:
        """The type called ``name``, or an :class:`InputError` suggesting the closest names.

        >>> load_catalog().lookup("m7i.lage")
        Traceback (most recent call last):
        ...
        eks_plan.errors.InputError: unknown instance type 'm7i.lage' (did you mean 'm7i.large'?)
        """
        found = self._types.get(name)
        if found is not None:
            return found
        raise InputError(f"unknown instance type '{name}'", hint=self.suggest(name))

    def suggest(self, name: str) -> str:
        """A "did you mean" hint for an unknown type name."""
        import difflib

        wanted = name.strip().lower()
        close = difflib.get_close_matches(wanted, list(self._types), n=3, cutoff=0.6)
        if close:
            # Keep only the candidates about as close as the best one: "m7i.lage" -> m7i.large alone.
            best = difflib.SequenceMatcher(None, wanted, close[0]).ratio()
            close = [c for c in close if difflib.SequenceMatcher(None, wanted, c).ratio() >= best - 0.03]
            return "did you mean " + " or ".join(f"'{candidate}'" for candidate in close) + "?"
        return "run `eks-plan catalog` to list the known types"

    def matching(self, pattern: str) -> tuple[InstanceType, ...]:
        """Types whose name matches a shell glob such as ``m7*.large``."""
        import fnmatch

        return tuple(t for name, t in self._types.items() if fnmatch.fnmatchcase(name, pattern))

    def split(self, instance_filter: InstanceFilter, region: str) -> tuple[_Types, _Types]:
        """The types sold in ``region`` (:meth:`InstanceType.offered_in`) that the filter accepts, and
        those it rejects, each in name order.

        Kept per (filter, region): every ``size``, ``lint``, ``diff`` side and explore re-solve
        splits the catalogue by each pool's filter twice (the types it may buy, and the rejected ones
        the explanations name as fixes), about 2 ms a split over 1,365 types here, and a process sees few
        filters. The catalogue never changes once built and :class:`InstanceFilter` is frozen, its
        equality covering every criterion, so a kept split is the one a new pass would make.

        >>> from eks_plan.catalog.filters import InstanceFilter
        >>> accepted, rejected = load_catalog().split(InstanceFilter(families=("m7i",)), "us-east-1")
        >>> [t.name for t in accepted][:2], "m5.large" in {t.name for t in rejected}
        (['m7i.12xlarge', 'm7i.16xlarge'], True)
        """
        key = (instance_filter, region)
        found = self._split.get(key)
        if found is None:
            offered = [t for t in self._types.values() if t.offered_in(region)]
            accepts = [instance_filter.accepts_type(t) for t in offered]
            found = self._split[key] = (
                tuple(t for t, yes in zip(offered, accepts, strict=True) if yes),
                tuple(t for t, yes in zip(offered, accepts, strict=True) if not yes),
            )
        return found

    def regions(self) -> tuple[str, ...]:
        """Every region the catalogue has zone or price facts for, sorted."""
        return tuple(sorted(set(self._facts.zones) | self._facts.price_regions))

    def price_regions(self) -> tuple[str, ...]:
        """Regions with bundled on-demand prices."""
        return tuple(sorted(self._facts.price_regions))

    def zones(self, region: str) -> tuple[str, ...]:
        """Known availability-zone names of ``region`` (``()`` when the catalogue has none, as for
        GovCloud and China, whose zones moto's data does not list)."""
        return self._facts.zones.get(region, ())

    def zone_id(self, zone: str) -> str | None:
        """The zone ID of a zone name (``us-east-1a`` -> ``use1-az6``), or ``None`` when unknown.

        Zone names map to zone IDs per AWS account in older regions; the catalogue holds one
        account's mapping (moto's table), so the ID is one per zone but may name another
        physical zone than in the user's account.

        >>> load_catalog().zone_id("us-east-1a"), load_catalog().zone_id("us-gov-west-1a")
        ('use1-az6', None)
        """
        return self._facts.zone_ids.get(zone)

    def currency(self, region: str) -> str | None:
        """Currency of the bundled prices of ``region`` (``USD``, ``CNY``), ``None`` without prices."""
        return self._currencies.get(region)


def _build(document: Mapping[str, Any]) -> Catalog:
    if document.get("format") != SUPPORTED_FORMAT:
        raise RuntimeError(f"catalogue format {document.get('format')!r} is not {SUPPORTED_FORMAT}")
    zones = {
        region: tuple(region + letter for letter in letters) for region, letters in document["zones"].items()
    }
    facts = OfferingFacts(
        complete_regions=frozenset(document["offering_regions"]),
        price_regions=frozenset(document["price_columns"]),
        zones=MappingProxyType(zones),
        zone_ids=MappingProxyType(
            {
                region + letter: zone_id
                for region, letters in document.get("zone_ids", {}).items()
                for letter, zone_id in letters.items()
            }
        ),
        offering_index=MappingProxyType({r: i for i, r in enumerate(document["offering_columns"])}),
        price_index=MappingProxyType({r: i for i, r in enumerate(document["price_columns"])}),
    )
    columns = document["columns"]
    # The file's column order is the dataclass's field order, so rows go in positionally (fast).
    expected = [f for f in InstanceType.__dataclass_fields__ if f != "facts"]
    if columns != expected:
        raise RuntimeError(f"catalogue columns {columns} do not match InstanceType fields {expected}")
    count_positions = [columns.index(column) for column in _COUNT_COLUMNS]
    offering_position = columns.index("offering_row")
    price_position = columns.index("price_row")
    types: dict[str, InstanceType] = {}
    for row in document["types"]:
        for position in count_positions:
            if row[position] is None:
                row[position] = 0
        row[offering_position] = tuple(row[offering_position])
        row[price_position] = tuple(row[price_position])
        types[row[0]] = InstanceType(*row, facts)  # type: ignore[call-arg]  # the catalogue's columns, in field order
    return Catalog(types, facts, document["currencies"], document["info"])


def load_catalog_file(path: Path) -> Catalog:
    """Load a catalogue file (the bundled one unless a test or refresh names another)."""
    with open(path, encoding="utf-8") as file:
        return _build(json.load(file))


@cache
def load_catalog() -> Catalog:
    """The bundled catalogue, loaded once per process."""
    from eks_plan.data_files import data_path

    return load_catalog_file(data_path(CATALOG_FILE))
