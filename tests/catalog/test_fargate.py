"""DOMAIN.md §4: Fargate billed sizes and prices."""

from __future__ import annotations

import pytest

from eks_plan.catalog.fargate import FARGATE_SIZES, fargate_billed_size, fargate_price_per_hour
from eks_plan.errors import InputError

MIB = 2**20
GIB = 2**30


def test_user_guide_example() -> None:
    """1 vCPU + 8 GB -> 8.25 GB -> 2 vCPU / 9 GB -> 2 x 0.04048 + 9 x 0.004445 = $0.120965/h."""
    assert fargate_billed_size(1000, 8 * GIB) == (2.0, 9.0)
    assert fargate_price_per_hour(1000, 8 * GIB) == pytest.approx(0.120965, abs=1e-12)


def test_smallest_pod() -> None:
    """0.25 vCPU / 256Mi -> 0.25 / 0.5 GB -> $0.0123425/h; no requests -> the same size."""
    assert fargate_billed_size(250, 256 * MIB) == (0.25, 0.5)
    assert fargate_price_per_hour(250, 256 * MIB) == pytest.approx(0.0123425, abs=1e-12)
    assert fargate_billed_size(0, 0) == (0.25, 0.5)


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        (250, 1792 * MIB, (0.25, 2.0)),  # 1792 + 256 = 2048: exactly the tier's top
        (250, 1793 * MIB, (0.5, 3.0)),  # one MiB more: next tier
        (500, 3840 * MIB, (0.5, 4.0)),
        (1000, 0, (1.0, 2.0)),  # the tier's minimum memory
        (2000, 16 * GIB - 256 * MIB, (2.0, 16.0)),
        (4000, 30 * GIB - 256 * MIB, (4.0, 30.0)),
        (4001, 17 * GIB, (8.0, 20.0)),  # 4 GB steps
        (16000, 120 * GIB - 256 * MIB, (16.0, 120.0)),
    ],
)
def test_rounding_table(cpu: int, memory: int, expected: tuple[float, float]) -> None:
    assert fargate_billed_size(cpu, memory) == expected


def test_every_valid_size_is_its_own_billed_size() -> None:
    for vcpu, choices in FARGATE_SIZES:
        for memory_gb in choices:
            billed = fargate_billed_size(int(vcpu * 1000), int(memory_gb * GIB) - 256 * MIB)
            assert billed == (vcpu, memory_gb)


def test_too_large_for_fargate() -> None:
    with pytest.raises(InputError, match="larger than the largest Fargate size"):
        fargate_billed_size(16001, GIB)
    with pytest.raises(InputError):
        fargate_billed_size(1000, 120 * GIB)


def test_extra_storage() -> None:
    base = fargate_price_per_hour(250, 0)
    assert fargate_price_per_hour(250, 0, ephemeral_storage_gb=120) == pytest.approx(base + 100 * 0.000111)
    with pytest.raises(InputError):
        fargate_price_per_hour(250, 0, ephemeral_storage_gb=176)
