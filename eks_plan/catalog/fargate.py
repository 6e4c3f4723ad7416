"""EKS on Fargate: the size a pod is billed for, and its price (DOMAIN.md §4).

Fargate sizes a pod from its requests (the larger of the biggest init container and the sum of the
app containers, as :mod:`eks_plan.manifests` computes them), adds 256 MB for kubelet, kube-proxy
and containerd, and rounds up to the smallest valid vCPU / memory combination. A pod with no
requests gets the smallest, 0.25 vCPU / 0.5 GB. Fargate's "GB" are GiB (0.5 GB = 512 MiB).

Example (the EKS User Guide's: 1 vCPU and 8 GB requested -> 8.25 GB -> billed 2 vCPU / 9 GB)::

    >>> fargate_billed_size(1000, 8 * 2**30)
    (2.0, 9.0)
    >>> round(fargate_price_per_hour(1000, 8 * 2**30), 6)
    0.120965
"""

from __future__ import annotations

from eks_plan.errors import InputError

MIB = 2**20
#: Memory Fargate adds to every pod for kubelet, kube-proxy and containerd.
FARGATE_OVERHEAD_MIB = 256

#: (vCPU, memory choices in GiB), smallest first: the valid combinations of DOMAIN.md §4.
FARGATE_SIZES: tuple[tuple[float, tuple[float, ...]], ...] = (
    (0.25, (0.5, 1.0, 2.0)),
    (0.5, tuple(float(gb) for gb in range(1, 5))),
    (1.0, tuple(float(gb) for gb in range(2, 9))),
    (2.0, tuple(float(gb) for gb in range(4, 17))),
    (4.0, tuple(float(gb) for gb in range(8, 31))),
    (8.0, tuple(float(gb) for gb in range(16, 61, 4))),
    (16.0, tuple(float(gb) for gb in range(32, 121, 8))),
)

#: us-east-1 Linux/x86 rates, USD (DOMAIN.md §4, 3rd-party sources consistent with each other).
FARGATE_USD_PER_VCPU_HOUR = 0.04048
FARGATE_USD_PER_GB_HOUR = 0.004445
FARGATE_USD_PER_EXTRA_STORAGE_GB_HOUR = 0.000111
FARGATE_INCLUDED_STORAGE_GB = 20
FARGATE_MAX_STORAGE_GB = 175
FARGATE_PRICE_REGION = "us-east-1"


def fargate_billed_size(cpu_millicores: int, memory_bytes: int) -> tuple[float, float]:
    """The (vCPU, memory GB) a pod with these requests is billed for.

    The smallest vCPU tier that covers the cpu request and whose largest memory covers the memory
    request + 256 MB, then the smallest memory choice of that tier that covers it.

    >>> fargate_billed_size(250, 256 * 2**20)      # 256Mi + 256 = 512 MiB
    (0.25, 0.5)
    >>> fargate_billed_size(0, 0)                  # no requests: the smallest size
    (0.25, 0.5)
    >>> fargate_billed_size(250, 1800 * 2**20)     # 2056 MiB > 2 GB: the 0.5 vCPU tier
    (0.5, 3.0)
    >>> fargate_billed_size(4100, 2**30)           # cpu above 4: 8 vCPU, at least 16 GB
    (8.0, 16.0)
    >>> fargate_billed_size(8000, 61 * 2**30)      # 61.25 GB: 16 vCPU, 8 GB steps
    (16.0, 64.0)
    """
    if cpu_millicores < 0 or memory_bytes < 0:
        raise InputError("Fargate requests cannot be negative")
    needed_mib = -(-memory_bytes // MIB) + FARGATE_OVERHEAD_MIB
    for vcpu, memory_choices in FARGATE_SIZES:
        if vcpu * 1000 < cpu_millicores or memory_choices[-1] * 1024 < needed_mib:
            continue
        for memory_gb in memory_choices:
            if memory_gb * 1024 >= needed_mib:
                return vcpu, memory_gb
    raise InputError(
        f"a pod requesting {cpu_millicores}m cpu and {-(-memory_bytes // MIB)}Mi memory is larger than "
        "the largest Fargate size (16 vCPU, 120 GB including 256 MB overhead)",
        hint="run it on EC2 nodes or lower its requests",
    )


def fargate_price_per_hour(
    cpu_millicores: int, memory_bytes: int, *, ephemeral_storage_gb: float = FARGATE_INCLUDED_STORAGE_GB
) -> float:
    """USD per hour of one Fargate pod (us-east-1 Linux/x86 rates; other regions differ).

    Billed vCPU x $0.04048 + billed GB x $0.004445, plus $0.000111 per GB-hour of ephemeral
    storage above the 20 GB included.

    >>> round(fargate_price_per_hour(250, 256 * 2**20), 7)      # 0.25 x 0.04048 + 0.5 x 0.004445
    0.0123425
    >>> round(fargate_price_per_hour(250, 256 * 2**20, ephemeral_storage_gb=30), 7)
    0.0134525
    """
    if not 0 <= ephemeral_storage_gb <= FARGATE_MAX_STORAGE_GB:
        raise InputError(f"Fargate ephemeral storage is at most {FARGATE_MAX_STORAGE_GB} GB")
    vcpu, memory_gb = fargate_billed_size(cpu_millicores, memory_bytes)
    extra_storage = max(0.0, ephemeral_storage_gb - FARGATE_INCLUDED_STORAGE_GB)
    return (
        vcpu * FARGATE_USD_PER_VCPU_HOUR
        + memory_gb * FARGATE_USD_PER_GB_HOUR
        + extra_storage * FARGATE_USD_PER_EXTRA_STORAGE_GB_HOUR
    )
