"""Node prices: on-demand from the catalogue, spot from a discount or a price file, savings plans,
and the EKS control-plane fee (DOMAIN.md §5).

One :class:`Pricing` serves one region and one currency. A region without bundled prices uses the
us-east-1 table, with a warning (as Karpenter does); China regions are billed in CNY and their
prices stay in CNY, never mixed with USD (:attr:`Pricing.currency` says which).

Spot price file formats (prices per hour in the region's currency; an optional zone column gives
per-zone prices, a row without zone applies to every zone):

- TSV or CSV with a header: ``instance_type`` and ``price_per_hour``, optionally ``zone``;
  lines starting with ``#`` are comments::

      instance_type,zone,price_per_hour
      m5.large,us-east-1a,0.0391
      m5.large,,0.0402

- JSON: ``{"m5.large": 0.0402, "m7i.large": {"us-east-1a": 0.041, "us-east-1b": 0.043}}``.

Example::

    >>> from eks_plan.catalog import load_catalog
    >>> m5 = load_catalog().lookup("m5.large")
    >>> pricing = Pricing(PriceSettings(region="eu-west-1", spot_discount=0.6, savings_plan_discount=0.25))
    >>> round(pricing.price_per_hour(m5, "on-demand"), 4), round(pricing.price_per_hour(m5, "spot"), 4)
    (0.072, 0.0384)
    >>> pricing.warnings
    ('no bundled prices for eu-west-1: using us-east-1 on-demand prices (USD), which differ by region',)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from eks_plan.catalog.instance_type import InstanceType
from eks_plan.catalog.store import Catalog, load_catalog
from eks_plan.errors import InputError, SourceLocation


class CapacityType(StrEnum):
    """How EC2 capacity is bought: the one spelling of capacity type for the config
    (``capacityTypes``), the catalogue's prices, the solver's node options, the plan and the exports.
    The values are Karpenter's ``karpenter.sh/capacity-type`` label values; :attr:`eks_label` is the
    EKS API's spelling, on managed node groups' ``eks.amazonaws.com/capacityType`` label.

    >>> CapacityType.parse("spot").eks_label
    'SPOT'
    >>> CapacityType.parse("ondemand")
    Traceback (most recent call last):
    ...
    eks_plan.errors.InputError: unknown capacity type 'ondemand' (use on-demand or spot)
    """

    ON_DEMAND = "on-demand"
    SPOT = "spot"

    @property
    def eks_label(self) -> str:
        """``ON_DEMAND`` or ``SPOT``: the EKS API's spelling (node group ``capacityType``)."""
        return self.name

    @classmethod
    def parse(cls, value: str) -> CapacityType:
        """The capacity type ``value`` names, or an input error saying which there are."""
        try:
            return cls(value)
        except ValueError:
            raise InputError(f"unknown capacity type '{value}'", hint="use on-demand or spot") from None


FALLBACK_REGION = "us-east-1"

#: EKS cluster fee per hour, USD (DOMAIN.md §5: AWS blog on extended support pricing, April 2024).
CONTROL_PLANE_USD_PER_HOUR = {"standard": 0.10, "extended": 0.60}


class SupportTier(StrEnum):
    """EKS Kubernetes version support: 14 months standard, then 12 months extended."""

    STANDARD = "standard"
    EXTENDED = "extended"


def control_plane_price_per_hour(support_tier: SupportTier | str = SupportTier.STANDARD) -> float:
    """The EKS control-plane fee per cluster-hour in USD: $0.10 standard, $0.60 extended support.

    >>> control_plane_price_per_hour("standard"), control_plane_price_per_hour(SupportTier.EXTENDED)
    (0.1, 0.6)
    >>> round(control_plane_price_per_hour() * 730, 2)      # a month
    73.0
    """
    try:
        return CONTROL_PLANE_USD_PER_HOUR[SupportTier(support_tier).value]
    except ValueError:
        raise InputError(
            f"unknown EKS support tier '{support_tier}'", hint="use standard or extended"
        ) from None


@dataclass(frozen=True, slots=True)
class PriceSettings:
    """How to price nodes.

    ``spot_discount``: the fraction spot saves against on-demand (0.6 -> spot costs 40% of
    on-demand); used for types the spot price file does not list. ``savings_plan_discount``: the
    fraction a Compute Savings Plan saves on on-demand usage (spot is not covered by savings plans).
    """

    region: str = FALLBACK_REGION
    spot_discount: float | None = None
    spot_price_file: Path | None = None
    savings_plan_discount: float = 0.0

    def __post_init__(self) -> None:
        for name in ("spot_discount", "savings_plan_discount"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < 1:
                raise InputError(f"{name.replace('_', ' ')} must be a fraction in [0, 1), not {value}")


SpotPrices = dict[str, dict[str | None, float]]


def read_spot_prices(path: Path) -> SpotPrices:
    """``{instance type: {zone or None: price}}`` from a spot price file (formats: module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the spot price file: {error}", SourceLocation(str(path))) from None
    if path.suffix.lower() == ".json":
        return _spot_prices_from_json(text, path)
    return _spot_prices_from_table(text, path)


def _price(value: object, where: SourceLocation) -> float:
    try:
        price = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"price {value!r} is not a number", where, hint="write e.g. 0.0402") from None
    if not price >= 0:
        raise InputError(f"price {value!r} is negative or not a number", where)
    return price


def _spot_prices_from_json(text: str, path: Path) -> SpotPrices:
    where = SourceLocation(str(path))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"invalid JSON: {error.msg}", SourceLocation(str(path), error.lineno, error.colno)
        ) from None
    if not isinstance(document, dict):
        raise InputError("a JSON spot price file must be an object of instance type -> price", where)
    prices: SpotPrices = {}
    for name, value in document.items():
        if isinstance(value, dict):
            prices[name] = {str(zone): _price(price, where) for zone, price in value.items()}
        else:
            prices[name] = {None: _price(value, where)}
    return prices


def _spot_prices_from_table(text: str, path: Path) -> SpotPrices:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    lines = [(number, line) for number, line in lines if not line.lstrip().startswith("#")]
    if not lines:
        raise InputError("the spot price file is empty", SourceLocation(str(path)))
    delimiter = "\t" if "\t" in lines[0][1] else ","
    header_number, header_line = lines[0]
    header = [cell.strip() for cell in next(csv.reader(io.StringIO(header_line), delimiter=delimiter))]
    if "instance_type" not in header or "price_per_hour" not in header:
        raise InputError(
            "the spot price file needs a header with instance_type and price_per_hour",
            SourceLocation(str(path), header_number),
            hint="e.g. 'instance_type,zone,price_per_hour'",
        )
    name_at, price_at = header.index("instance_type"), header.index("price_per_hour")
    zone_at = header.index("zone") if "zone" in header else None
    prices: SpotPrices = {}
    for number, line in lines[1:]:
        cells = [cell.strip() for cell in next(csv.reader(io.StringIO(line), delimiter=delimiter))]
        where = SourceLocation(str(path), number)
        if len(cells) != len(header):
            raise InputError(f"expected {len(header)} columns, found {len(cells)}", where)
        zone = cells[zone_at] or None if zone_at is not None else None
        prices.setdefault(cells[name_at], {})[zone] = _price(cells[price_at], where)
    return prices


@dataclass(frozen=True, slots=True)
class PricingNote:
    """A warning about how prices were obtained: ``code`` says which (:data:`FALLBACK_PRICES`,
    :data:`FOREIGN_CURRENCY`, or :data:`UNPRICED` with the ``capacity_type`` without a price), so
    that a caller picks notes by code, never by their words."""

    code: str
    message: str
    capacity_type: str | None = None

    def __str__(self) -> str:
        return self.message


#: The region has no bundled prices: us-east-1's stand in.
FALLBACK_PRICES = "fallback-prices"
#: The region is billed in another currency than USD.
FOREIGN_CURRENCY = "foreign-currency"
#: Types with no price of a capacity type (listed without a price, or left out of a plan).
UNPRICED = "unpriced"


class Pricing:
    """Prices per hour of nodes in one region, in one currency, with the warnings they needed."""

    def __init__(self, settings: PriceSettings | None = None, catalog: Catalog | None = None) -> None:
        self.settings = settings or PriceSettings()
        self.catalog = catalog or load_catalog()
        region = self.settings.region
        self._notes: list[PricingNote] = []
        if region in self.catalog.price_regions():
            self.price_region = region
        else:
            self.price_region = FALLBACK_REGION
            self._notes.append(
                PricingNote(
                    FALLBACK_PRICES,
                    f"no bundled prices for {region}: using {FALLBACK_REGION} on-demand prices (USD), "
                    "which differ by region",
                )
            )
        self.currency: str = self.catalog.currency(self.price_region) or "USD"
        if self.currency != "USD":
            dated = self.catalog.info.get("prices_dated", {}).get(self.price_region, "an unknown date")
            self._notes.append(
                PricingNote(
                    FOREIGN_CURRENCY,
                    f"{self.price_region} prices are in {self.currency} (AWS bills this region in "
                    f"{self.currency}) and date from {dated}; costs are shown in {self.currency}",
                )
            )
        self._spot = read_spot_prices(self.settings.spot_price_file) if self.settings.spot_price_file else {}
        self._unpriced: set[tuple[str, str]] = set()
        self.key: tuple[object, ...] = (
            self.price_region,
            self.settings.savings_plan_discount,
            self.settings.spot_discount,
            tuple((name, tuple(by_zone.items())) for name, by_zone in self._spot.items()),
        )
        """Everything :meth:`price_per_hour` reads besides its arguments and the instance type's own
        prices: the price region, both discounts and the spot price file's rows. Two pricings with
        equal keys give every node the same price (``eks_plan.planning`` keeps node options by it)."""

    @property
    def warnings(self) -> tuple[str, ...]:
        """Messages for the user about how the prices were obtained (stderr material)."""
        return tuple(note.message for note in self.notes)

    @property
    def notes(self) -> tuple[PricingNote, ...]:
        """The warnings as coded notes, in the order :attr:`warnings` lists them."""
        missing: dict[str, list[str]] = {}
        for capacity_type, name in sorted(self._unpriced):
            missing.setdefault(capacity_type, []).append(name)
        notes = list(self._notes)
        for capacity_type, names in missing.items():
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            hint = (
                " (give a spot discount or list them in the spot price file)"
                if capacity_type == CapacityType.SPOT
                else ""
            )
            message = f"no {capacity_type} price in {self.price_region} for {shown}{hint}"
            notes.append(PricingNote(UNPRICED, message, capacity_type))
        return tuple(notes)

    def on_demand(self, instance_type: InstanceType) -> float | None:
        """The on-demand price per hour, before any savings-plan discount."""
        return instance_type.price_per_hour(self.price_region)

    def price_per_hour(
        self,
        instance_type: InstanceType,
        capacity_type: str = CapacityType.ON_DEMAND,
        zone: str | None = None,
    ) -> float | None:
        """What a node costs per hour in :attr:`currency`, or ``None`` when no price is known
        (the type is then listed in :attr:`warnings`).

        On-demand: the bundled price less the savings-plan discount. Spot: the price file's price
        for the zone (or its zone-less row), else on-demand less the spot discount.
        """
        capacity_type = CapacityType.parse(capacity_type)
        if capacity_type is CapacityType.SPOT:
            listed = self._spot.get(instance_type.name, {})
            price = listed.get(zone) if zone in listed else listed.get(None)
            if price is not None:
                return price
        on_demand = self.on_demand(instance_type)
        if on_demand is None:
            self._unpriced.add((str(capacity_type), instance_type.name))
            return None
        if capacity_type is CapacityType.ON_DEMAND:
            return on_demand * (1 - self.settings.savings_plan_discount)
        if self.settings.spot_discount is None:
            self._unpriced.add((str(CapacityType.SPOT), instance_type.name))
            return None
        return on_demand * (1 - self.settings.spot_discount)
