"""Kubernetes resource quantities (``100m``, ``1.5Gi``, ``1e3``), read exactly as the API server does.

The grammar is the one of ``k8s.io/apimachinery/pkg/api/resource.Quantity``::

    quantity        ::= signed-number suffix
    signed-number   ::= [ "+" | "-" ] number
    number          ::= digits | digits "." digits | digits "." | "." digits
    suffix          ::= binary-SI | decimal-SI | decimal-exponent
    binary-SI       ::= Ki | Mi | Gi | Ti | Pi | Ei                       (powers of 2**10)
    decimal-SI      ::= n | u | m | "" | k | M | G | T | P | E           (powers of 10**3)
    decimal-exponent::= ( "e" | "E" ) [ "+" | "-" ] digits               (a power of ten)

so ``1E`` is one exa, ``1e`` is an error, and ``1K`` is an error (it is ``k``). Values are exact
fractions: ``0.1`` is one tenth, not a binary float. As in Kubernetes, a non-zero value is rounded
up to the next nano unit and capped at 2**63 - 1; then :func:`canonical_amount` rounds it up to the
unit eks-plan counts in (millicores for ``cpu``, whole units for everything else), which is what
kube-scheduler does with ``MilliValue()`` and ``Value()``.

Example::

    >>> parse_quantity("1.5Gi")
    Fraction(1610612736, 1)
    >>> parse_quantity("100m"), parse_quantity(".5"), parse_quantity("1e3"), parse_quantity("+1")
    (Fraction(1, 10), Fraction(1, 2), Fraction(1000, 1), Fraction(1, 1))
    >>> canonical_amount("cpu", "0.0001"), canonical_amount("cpu", 2), canonical_amount("memory", "256M")
    (1, 2000, 256000000)
    >>> canonical_amount("memory", "0.5")           # half a byte is a byte
    1
    >>> parse_quantity("12x")
    Traceback (most recent call last):
    ...
    eks_plan.manifests.quantity.QuantityError: '12x' is not a Kubernetes quantity
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

from eks_plan.resources import CPU

#: The largest value a Quantity holds (it is backed by an int64).
MAX_QUANTITY = 2**63 - 1

_DECIMAL_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SI = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SYNTAX = re.compile(r"([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(.*)", re.ASCII | re.DOTALL)
_EXPONENT = re.compile(r"[eE]([+-]?\d+)", re.ASCII)
_NANO = Fraction(1, 10**9)


def shown(value: object, width: int = 40) -> str:
    """``repr(value)`` cut to ``width`` characters, for messages about values that may be huge.

    >>> shown("9" * 5000)
    "'9999999999999999999999999999999999…' (5,002 characters)"
    """
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 5]}…' ({len(text):,} characters)"


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity; the loader adds file, line and field."""


def parse_quantity(value: str | int | float) -> Fraction:
    """The exact value of a quantity, rounded up to a nano unit and capped like Kubernetes does.

    YAML numbers (``cpu: 2``, ``cpu: 0.5``) are read through their decimal text, as the API
    server reads JSON numbers.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuantityError(f"{shown(value)} is not a Kubernetes quantity")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{shown(value)} is not a Kubernetes quantity")
        text = repr(value)
    else:
        text = str(value)
    match = _SYNTAX.fullmatch(text)
    if match is None:
        raise QuantityError(f"{shown(text)} is not a Kubernetes quantity")
    sign, whole, fraction, only_fraction, suffix = match.groups()
    digits_after_point = fraction if only_fraction is None else only_fraction
    digits_after_point = digits_after_point or ""
    mantissa, decimal_exponent = _mantissa((whole or "") + digits_after_point)
    decimal_exponent -= len(digits_after_point)
    binary_exponent = 0
    if suffix in _DECIMAL_SI:
        decimal_exponent += _DECIMAL_SI[suffix]
    elif suffix in _BINARY_SI:
        binary_exponent = _BINARY_SI[suffix]
    else:
        exponent = _EXPONENT.fullmatch(suffix)
        if exponent is None:
            raise QuantityError(f"{shown(text)} is not a Kubernetes quantity")
        decimal_exponent += _exponent(exponent.group(1))
    if mantissa == 0:
        return Fraction(0)
    magnitude = _magnitude(mantissa, decimal_exponent, binary_exponent)
    return -magnitude if sign == "-" else magnitude


#: Significant digits kept of a longer number (Python will not convert text past 4,300 digits).
_SIGNIFICANT_DIGITS = 60


def _mantissa(digits: str) -> tuple[int, int]:
    """``(mantissa, decimal exponent)`` of a digit string, rounded up past 60 significant digits.

    Rounding the 60th digit up never changes the result: a value with more digits than that is
    either capped or rounded up to a nano unit, whose boundaries are multiples of the unit of
    that 60th digit.

    >>> _mantissa("000123"), _mantissa("1" * 61) == (int("1" * 59 + "2"), 1)
    ((123, 0), True)
    """
    digits = digits.lstrip("0")
    if len(digits) <= _SIGNIFICANT_DIGITS:
        return int(digits or "0"), 0
    dropped = digits[_SIGNIFICANT_DIGITS:]
    mantissa = int(digits[:_SIGNIFICANT_DIGITS]) + (1 if dropped.strip("0") else 0)
    return mantissa, len(dropped)


def _exponent(text: str) -> int:
    """A decimal exponent, held to +-10**12 (beyond the cap, or below a nano unit, either way)."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    return sign * (10**12 if len(digits) > 12 else int(digits))


def _magnitude(mantissa: int, decimal_exponent: int, binary_exponent: int) -> Fraction:
    """``mantissa * 10**decimal_exponent * 2**binary_exponent``, rounded up to nano and capped,
    without building astronomically large numbers for inputs such as ``1e999999999``."""
    digits = len(str(mantissa))
    if digits + decimal_exponent > 40:  # at least 10**39: far above the cap
        return Fraction(MAX_QUANTITY)
    if digits + decimal_exponent < -9 and binary_exponent == 0:  # below one nano: rounds up to it
        return _NANO
    exact = Fraction(mantissa) * Fraction(10) ** decimal_exponent * 2**binary_exponent
    rounded = Fraction(math.ceil(exact / _NANO)) * _NANO
    return min(rounded, Fraction(MAX_QUANTITY))


@functools.lru_cache(maxsize=4096, typed=True)  # manifests repeat the same few quantities ("100m", "128Mi")
def canonical_amount(resource: str, value: str | int | float) -> int:
    """A quantity in the canonical integer unit of ``resource`` (see :mod:`eks_plan.resources`),
    rounded up: ``cpu`` in millicores, everything else in whole units (bytes, devices).

    >>> canonical_amount("cpu", "250m"), canonical_amount("cpu", "1.0005"), canonical_amount("amd.com/gpu", 2)
    (250, 1001, 2)
    """
    amount = parse_quantity(value)
    scaled = amount * 1000 if resource == CPU else amount
    return math.ceil(scaled)
