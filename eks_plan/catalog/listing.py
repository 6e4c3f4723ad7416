"""``eks-plan catalog`` as library calls: one instance type in full, or the filtered, sorted list.

The command (:mod:`eks_plan.cli.catalog`) parses flags into :class:`~eks_plan.catalog.filters.
CatalogFilters` and :class:`~eks_plan.catalog.capacity.NodeSettings`, calls :func:`type_detail` or
:func:`list_types`, and picks an output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eks_plan.catalog.capacity import NodeSettings
from eks_plan.catalog.filters import CatalogFilters, validate_region_and_zone
from eks_plan.catalog.pricing import (
    FALLBACK_REGION,
    UNPRICED,
    CapacityType,
    PriceSettings,
    Pricing,
    PricingNote,
)
from eks_plan.catalog.store import Catalog
from eks_plan.errors import InputError


@dataclass(frozen=True)
class TypeDetail:
    """One instance type in full, and the pricing notes it needed."""

    data: dict[str, Any]
    notes: tuple[PricingNote, ...]


@dataclass(frozen=True)
class TypeListing:
    """The instance types that pass the filters: ``rows`` (at most ``limit`` of ``total``), sorted,
    the table's ``title``, and the pricing notes worth showing (not the on-demand prices missing for
    some types: the list shows those as ``-``)."""

    rows: list[dict[str, Any]]
    total: int
    title: str
    notes: tuple[PricingNote, ...]


def pricing_for(catalog: Catalog, region: str, zone: str | None) -> Pricing:
    """The region's on-demand prices, after checking the region and zone exist."""
    validate_region_and_zone(catalog, region, zone)
    return Pricing(PriceSettings(region=region), catalog)


def type_detail(
    catalog: Catalog, name: str, settings: NodeSettings, region: str, zone: str | None = None
) -> TypeDetail:
    """One instance type in full (``eks-plan catalog m7i.large``), priced in ``region``."""
    from eks_plan.report import catalog as report

    pricing = pricing_for(catalog, region, zone)
    found = catalog.lookup(name.strip())
    data = report.type_detail_data(found, settings, pricing, catalog)
    return TypeDetail(data, pricing.notes)


def list_types(
    catalog: Catalog,
    filters: CatalogFilters,
    settings: NodeSettings,
    *,
    sort: str = "price",
    descending: bool = False,
    limit: int | None = None,
    max_price: float | None = None,
) -> TypeListing:
    """The types that pass ``filters`` (and cost at most ``max_price`` on demand), sorted by
    ``sort``; an :class:`InputError` for an unknown sort column, a limit below 1, or no match."""
    from eks_plan.report import catalog as report

    region, zone = filters.region or FALLBACK_REGION, filters.zone
    pricing = pricing_for(catalog, region, zone)
    if sort not in report.SORT_COLUMNS:
        columns = ", ".join(report.SORT_COLUMNS)
        raise InputError(f"--sort '{sort}' is not a column", hint=f"use one of: {columns}")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, not {limit}")
    rows = [report.type_row(t, settings, pricing) for t in filters.apply(catalog)]
    if max_price is not None:
        rows = [
            row for row in rows if row["price_per_hour"] is not None and row["price_per_hour"] <= max_price
        ]
    if not rows:
        raise InputError(
            "no instance type matches these filters" + (f" in {region}" if region else ""),
            hint="loosen a filter; `eks-plan catalog --family 'm7*'` lists a family",
        )
    rows = report.sort_rows(rows, sort, descending)
    total = len(rows)
    if limit is not None:
        rows = rows[:limit]
    shown = f"{len(rows)} of {total}" if len(rows) < total else str(total)
    title = (
        f"{shown} instance types in {region}{' ' + zone if zone else ''} "
        f"({settings.node_style.value}, {settings.cni_mode.value}; sorted by {sort})"
    )
    notes = tuple(
        note
        for note in pricing.notes
        if not (note.code == UNPRICED and note.capacity_type == CapacityType.ON_DEMAND)
    )
    return TypeListing(rows, total, title, notes)
