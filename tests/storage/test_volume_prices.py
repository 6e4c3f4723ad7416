"""EBS volume prices per month from ``data/ebs-prices.json``: the reference notes' part 1d table
(infracost ``internal/providers/terraform/aws/testdata/ebs_volume_test/ebs_volume_test.golden``,
us-east-1, 2024-07-01; cost components as in ``internal/resources/aws/ebs_volume.go``)."""

from __future__ import annotations

import pytest

from eks_plan.storage.pricing import load_ebs_prices

GIB = 2**30


@pytest.mark.parametrize(
    ("volume_type", "gib", "iops", "throughput", "expected"),
    [
        # The golden's own lines: gp3 40 GB $3.20, +1,000 IOPS $5.00, +5 MiB/s $0.20.
        ("gp3", 40, None, None, 3.20),
        ("gp3", 40, 4000, 130, 3.20 + 5.00 + 0.20),
        ("gp3", 40, 3000, 125, 3.20),  # the included baseline costs nothing extra
        ("gp2", 10, None, None, 1.00),
        ("io1", 30, 300, None, 3.75 + 19.50),
        ("io2", 30, 300, None, 3.75 + 19.50),
        ("st1", 40, None, None, 1.80),
        ("sc1", 50, None, None, 0.75),
        ("standard", 20, None, None, 1.00),
    ],
)
def test_prices_reproduce_the_infracost_golden(
    volume_type: str, gib: int, iops: int | None, throughput: int | None, expected: float
) -> None:
    price = load_ebs_prices().monthly("us-east-1", volume_type, gib * GIB, iops, throughput)
    assert price.cost == pytest.approx(expected)


def test_sizes_round_up_to_whole_gib_and_unknowns_are_said() -> None:
    prices = load_ebs_prices()
    assert prices.monthly("us-east-1", "gp2", GIB + 1, None, None).cost == pytest.approx(0.20)
    no_iops = prices.monthly("us-east-1", "io1", 10 * GIB, None, None)
    assert no_iops.cost == pytest.approx(1.25) and "IOPS are not priced" in no_iops.note
    assert prices.monthly("us-east-1", "io2", GIB, 1000, None).note.startswith("one IOPS tier")
    unknown = prices.monthly("us-east-1", "gp9", GIB, None, None)
    assert unknown.cost is None and "no price for EBS type gp9" in unknown.note
    assert prices.dated == "2024-07-01" and "ebs_volume_test.golden" in prices.source
