"""What persistent volumes cost a month, from the bundled EBS price table ``data/ebs-prices.json``.

The table is dated and names its source (the reference notes' part 1d: Infracost's us-east-1 EBS test
golden of 2024-07-01). A volume is priced as AWS bills it (``infracost internal/resources/aws/
ebs_volume.go``): size in GiB (the EBS CSI driver rounds a request up to whole GiB) x the type's
$/GB-month, plus, for gp3, IOPS above the 3,000 included x $/IOPS-month and throughput above the
125 MiB/s included x $/(MiB/s)-month, and for io1/io2 every provisioned IOPS x $/IOPS-month.

Example: a 200Gi gp3 volume with the included baseline is 200 x $0.08 = $16.00 a month; with
``iops: "6000"`` and ``throughput: "250"`` it is 16 + 3000 x 0.005 + 125 x 0.04 = $36.00.

    >>> prices = load_ebs_prices()
    >>> prices.monthly("us-east-1", "gp3", 200 * 2**30, None, None).cost
    16.0
    >>> prices.monthly("us-east-1", "gp3", 200 * 2**30, 6000, 250).cost
    36.0
    >>> prices.monthly("eu-west-1", "gp3", 2**30, None, None).cost is None
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

PRICE_FILE = "ebs-prices.json"


@dataclass(frozen=True, slots=True)
class VolumePrice:
    """One volume's monthly cost (``None``: not priced, ``note`` says why) and its parts."""

    cost: float | None
    note: str = ""


@dataclass(frozen=True)
class EbsPrices:
    """The bundled table: per region and volume type, the price components."""

    dated: str
    currency: str
    source: str
    regions: dict[str, dict[str, dict[str, float]]]
    notes: dict[str, str]

    def monthly(
        self, region: str, volume_type: str, size_bytes: int | None, iops: int | None, throughput: int | None
    ) -> VolumePrice:
        """The monthly price of one volume of this type and size, with its provisioned IOPS and
        throughput (``None``: the type's baseline)."""
        table = self.regions.get(region)
        if table is None:
            return VolumePrice(
                None, f"no EBS prices are bundled for {region} (only {', '.join(sorted(self.regions))})"
            )
        rates = table.get(volume_type)
        if rates is None:
            return VolumePrice(None, f"no price for EBS type {volume_type} in the bundled table")
        if size_bytes is None:
            return VolumePrice(None, "size unknown")
        gib = -(-size_bytes // 2**30)
        cost = gib * rates["per_gib_month"]
        note = self.notes.get(volume_type, "")
        if "included_iops" in rates:
            if iops is not None:
                cost += max(iops - rates["included_iops"], 0) * rates["per_iops_month"]
            if throughput is not None:
                cost += max(throughput - rates["included_throughput_mibps"], 0) * rates["per_mibps_month"]
        elif "per_iops_month" in rates:
            if iops is None:
                note = "no iops or iopsPerGB in its StorageClass: its IOPS are not priced"
            else:
                cost += iops * rates["per_iops_month"]
        return VolumePrice(round(cost, 6), note)


@cache
def load_ebs_prices() -> EbsPrices:
    """The bundled EBS price table, loaded once."""
    from eks_plan.data_files import data_path

    document: dict[str, Any] = json.loads(data_path(PRICE_FILE).read_text(encoding="utf-8"))
    return EbsPrices(
        dated=document["dated"],
        currency=document["currency"],
        source=document["source"],
        regions=document["regions"],
        notes=document.get("notes", {}),
    )
