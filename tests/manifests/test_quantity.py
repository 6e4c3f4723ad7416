"""Kubernetes quantities: the grammar, exactness, rounding up, and an independent cross-check."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eks_plan.manifests.quantity import MAX_QUANTITY, QuantityError, canonical_amount, parse_quantity


@pytest.mark.parametrize(
    ("text", "resource", "expected"),
    [
        ("100m", "cpu", 100),
        ("0.5", "cpu", 500),
        (".5", "cpu", 500),
        ("1.", "cpu", 1000),
        ("+1", "cpu", 1000),
        ("1e3", "cpu", 1_000_000),
        ("1E3", "cpu", 1_000_000),
        ("1e-3", "cpu", 1),
        ("1E+2", "cpu", 100_000),
        ("250000u", "cpu", 250),
        ("1n", "cpu", 1),  # rounds up: some cpu is at least 1m
        (2, "cpu", 2000),
        (0.25, "cpu", 250),
        ("128Mi", "memory", 128 * 2**20),
        ("1.5Gi", "memory", 3 * 2**29),
        ("1G", "memory", 10**9),
        ("256M", "memory", 256 * 10**6),
        ("1k", "memory", 1000),
        ("1Ki", "memory", 1024),
        ("2Ti", "memory", 2 * 2**40),
        ("1Pi", "ephemeral-storage", 2**50),
        ("1Ei", "memory", MAX_QUANTITY),  # 2**60 fits; see the next line for the cap
        ("8Ei", "memory", MAX_QUANTITY),
        ("1E", "memory", 10**18),  # capital E alone is exa, not an exponent
        ("1P", "memory", 10**15),
        ("1T", "memory", 10**12),
        ("0.1", "memory", 1),
        ("2", "nvidia.com/gpu", 2),
        ("0", "cpu", 0),
        ("000.000", "cpu", 0),
        ("1e99999999999", "memory", MAX_QUANTITY),
    ],
)
def test_canonical_amounts(text: str | int | float, resource: str, expected: int) -> None:
    if text == "1Ei":
        expected = 2**60
    assert canonical_amount(resource, text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "12x", "1K", "1e", "1e1.5", "1ki", "1MiB", "1 Gi", " 1", "1_000", "0x10", ".", "+", "-", "1.2.3",
     "Gi", "1Gi ", "٣", True, None, float("nan"), float("inf"), [1]],
)  # fmt: skip
def test_invalid_quantities(text: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)  # type: ignore[arg-type]


def test_exact_decimals_not_floats() -> None:
    assert parse_quantity("0.1") + parse_quantity("0.2") == Fraction(3, 10)
    assert parse_quantity("-1.5") == Fraction(-3, 2)


_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
_SUFFIX_FACTOR = {
    **{s: Decimal(10) ** e for s, e in zip("num kMGTPE", (-9, -6, -3, 0, 3, 6, 9, 12, 15, 18), strict=True)},
    "": Decimal(1),
    **{s: Decimal(2) ** (10 * (i + 1)) for i, s in enumerate(["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"])},
}

quantity_texts = st.builds(
    lambda sign, whole, fraction, suffix: (sign, whole, fraction, suffix),
    st.sampled_from(["", "+"]),
    st.text("0123456789", min_size=0, max_size=6),
    st.none() | st.text("0123456789", min_size=0, max_size=6),
    st.sampled_from(_SUFFIXES) | st.integers(-12, 12).map(lambda e: f"e{e}"),
).filter(lambda parts: bool(parts[1]) or bool(parts[2]))


def _independent_value(sign: str, whole: str, fraction: str | None, suffix: str) -> Decimal:
    """The same grammar read a second way: Python's Decimal parses the number, a table the suffix."""
    number = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    factor = Decimal(10) ** int(suffix[1:]) if suffix.startswith("e") else _SUFFIX_FACTOR[suffix]
    return number * factor


@given(quantity_texts)
def test_agrees_with_an_independent_decimal_formulation(parts: tuple[str, str, str | None, str]) -> None:
    sign, whole, fraction, suffix = parts
    text = f"{sign}{whole}{'' if fraction is None else '.' + fraction}{suffix}"
    with decimal.localcontext() as context:
        context.prec = 80
        expected = _independent_value(sign, whole, fraction, suffix)
        expected_milli = int((expected * 1000).to_integral_value(rounding=decimal.ROUND_CEILING))
        expected_units = int(expected.to_integral_value(rounding=decimal.ROUND_CEILING))
    assert canonical_amount("cpu", text) == min(expected_milli, MAX_QUANTITY * 1000)
    assert canonical_amount("memory", text) == min(expected_units, MAX_QUANTITY)


@given(st.integers(0, 10**12))
def test_canonical_millicores_round_trip(millicores: int) -> None:
    assert canonical_amount("cpu", f"{millicores}m") == millicores
    assert canonical_amount("cpu", f"{Decimal(millicores) / 1000}") == millicores


@given(st.integers(0, 2**50), st.sampled_from(["Ki", "Mi", "Gi"]))
def test_binary_suffixes_round_trip(amount: int, suffix: str) -> None:
    expected = min(amount * int(_SUFFIX_FACTOR[suffix]), MAX_QUANTITY)
    assert canonical_amount("memory", f"{amount}{suffix}") == expected


@given(st.decimals(0, 10**9, places=9), st.decimals(0, 10**9, places=9))
def test_rounding_up_is_monotonic(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert canonical_amount("cpu", str(low)) <= canonical_amount("cpu", str(high))
    assert canonical_amount("memory", str(low)) <= canonical_amount("memory", str(high))
    assert canonical_amount("cpu", str(high)) >= high * 1000
