"""Prices: bundled on-demand, us-east-1 fallback, CNY kept apart, spot and savings plans, EKS fee."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_plan.catalog import load_catalog
from eks_plan.catalog.pricing import PriceSettings, Pricing, control_plane_price_per_hour, read_spot_prices
from eks_plan.errors import InputError


def m5():
    return load_catalog().lookup("m5.large")


def test_bundled_region_no_warning() -> None:
    pricing = Pricing(PriceSettings(region="us-gov-west-1"))
    assert pricing.price_per_hour(m5()) == 0.121
    assert pricing.currency == "USD"
    assert pricing.warnings == ()


def test_unbundled_region_falls_back_to_us_east_1_with_warning() -> None:
    pricing = Pricing(PriceSettings(region="eu-west-1"))
    assert pricing.price_per_hour(m5()) == 0.096
    assert pricing.price_region == "us-east-1"
    assert any("no bundled prices for eu-west-1" in warning for warning in pricing.warnings)


def test_china_prices_stay_in_cny() -> None:
    pricing = Pricing(PriceSettings(region="cn-north-1"))
    assert pricing.currency == "CNY"
    assert pricing.price_per_hour(m5()) == 1.013
    assert any("CNY" in warning and "2024-11-06" in warning for warning in pricing.warnings)
    # A type without a CNY price has no price: never a silent USD one.
    newer = load_catalog().lookup("m7i.large")
    assert newer.price_per_hour("cn-north-1") is None
    assert pricing.price_per_hour(newer) is None
    assert any("m7i.large" in warning for warning in pricing.warnings)


def test_spot_needs_an_input() -> None:
    pricing = Pricing(PriceSettings())
    assert pricing.price_per_hour(m5(), "spot") is None
    assert any("no spot price" in warning and "m5.large" in warning for warning in pricing.warnings)
    discounted = Pricing(PriceSettings(spot_discount=0.7))
    assert discounted.price_per_hour(m5(), "spot") == pytest.approx(0.096 * 0.3)


def test_savings_plan_applies_to_on_demand_only() -> None:
    pricing = Pricing(PriceSettings(spot_discount=0.5, savings_plan_discount=0.2))
    assert pricing.price_per_hour(m5(), "on-demand") == pytest.approx(0.0768)
    assert pricing.price_per_hour(m5(), "spot") == pytest.approx(0.048)


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_spot_price_table_file(tmp_path: Path, suffix: str) -> None:
    separator = "," if suffix == ".csv" else "\t"
    rows = ["# spot prices, 2026-08-01", "instance_type,zone,price_per_hour", "m5.large,us-east-1a,0.0391",
            "m5.large,,0.0402", "m7i.large,,0.041"]  # fmt: skip
    path = tmp_path / f"spot{suffix}"
    path.write_text("\n".join(row.replace(",", separator) for row in rows) + "\n")
    pricing = Pricing(PriceSettings(spot_price_file=path, spot_discount=0.5))
    assert pricing.price_per_hour(m5(), "spot", zone="us-east-1a") == 0.0391
    assert pricing.price_per_hour(m5(), "spot", zone="us-east-1b") == 0.0402
    c5 = load_catalog().lookup("c5.large")
    assert pricing.price_per_hour(c5, "spot") == pytest.approx(c5.price_per_hour("us-east-1") * 0.5)


def test_spot_price_json_file(tmp_path: Path) -> None:
    path = tmp_path / "spot.json"
    path.write_text('{"m5.large": 0.04, "m7i.large": {"us-east-1a": 0.041}}')
    assert read_spot_prices(path) == {"m5.large": {None: 0.04}, "m7i.large": {"us-east-1a": 0.041}}


def test_bad_spot_price_files_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "spot.csv"
    bad.write_text("instance_type,price_per_hour\nm5.large,cheap\n")
    with pytest.raises(InputError, match=r"spot.csv:2: price 'cheap' is not a number"):
        read_spot_prices(bad)
    headerless = tmp_path / "h.csv"
    headerless.write_text("m5.large,0.04\n")
    with pytest.raises(InputError, match="needs a header"):
        read_spot_prices(headerless)
    broken = tmp_path / "b.json"
    broken.write_text("{\n  nope")
    with pytest.raises(InputError, match=r"b.json:2:"):
        read_spot_prices(broken)
    with pytest.raises(InputError, match="cannot read"):
        read_spot_prices(tmp_path / "missing.csv")


def test_bad_settings() -> None:
    with pytest.raises(InputError):
        PriceSettings(spot_discount=1.5)
    with pytest.raises(InputError):
        Pricing().price_per_hour(m5(), "reserved")


def test_control_plane_fee() -> None:
    assert control_plane_price_per_hour("standard") == 0.10
    assert control_plane_price_per_hour("extended") == 0.60
    with pytest.raises(InputError, match="support tier"):
        control_plane_price_per_hour("premium")
