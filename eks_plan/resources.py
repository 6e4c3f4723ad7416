"""Resource vectors: what a pod requests and what a node offers, in exact integer units.

Every resource is held as an ``int`` in one canonical unit so that sums, comparisons and the solver's
integer model never meet a float:

==========================  ===============================================================
resource name               canonical unit
==========================  ===============================================================
``cpu``                     millicores (``"250m"`` -> 250, ``"2"`` -> 2000)
``memory``                  bytes (``"128Mi"`` -> 134217728, ``"256M"`` -> 256000000)
``ephemeral-storage``       bytes
``hugepages-<size>``        bytes
``pods``                    pod slots (every pod requests exactly 1)
anything else               the integer count Kubernetes uses (``nvidia.com/gpu: 2`` -> 2)
==========================  ===============================================================

Kubernetes rounds a request up to these units (a ``0.0001`` cpu request is 1m), and so does the
loader; see :mod:`eks_plan.manifests.quantity`.

Example::

    >>> web = Resources({"cpu": 250, "memory": 512 * 2**20, "pods": 1})
    >>> node = Resources({"cpu": 1930, "memory": 6903 * 2**20, "pods": 29})
    >>> (web * 7).fits_in(node)
    True
    >>> (web * 8).fits_in(node)     # 8 x 250m = 2000m > 1930m
    False
    >>> sorted((web * 8).shortfall(node))
    ['cpu']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
PODS = "pods"
NVIDIA_GPU = "nvidia.com/gpu"
AMD_GPU = "amd.com/gpu"
NEURON = "aws.amazon.com/neuron"
NEURON_CORE = "aws.amazon.com/neuroncore"
POD_ENI = "vpc.amazonaws.com/pod-eni"
HUGEPAGES_PREFIX = "hugepages-"
#: Pods on a node that take a VPC address from ipamd's pool (not hostNetwork, not on a branch ENI):
#: a per-node capacity the planner adds when addresses, not maxPods, bind. Not a Kubernetes
#: resource (no domain, so no manifest can request it: the API accepts only cpu, memory,
#: ephemeral-storage and hugepages-* without one).
VPC_IP_PODS = "vpc-ip-pods"

#: Resources every node has a capacity for; any other name is an extended resource a node only
#: has when its instance type provides it (GPUs, Neuron devices, pod ENIs).
STANDARD_RESOURCES = frozenset({CPU, MEMORY, EPHEMERAL_STORAGE, PODS})


def is_byte_resource(name: str) -> bool:
    """True for resources measured in bytes (memory, ephemeral-storage, hugepages-*)."""
    return name in (MEMORY, EPHEMERAL_STORAGE) or name.startswith(HUGEPAGES_PREFIX)


class Resources(Mapping[str, int]):
    """An immutable map from resource name to a non-negative integer amount in canonical units.

    Missing names read as 0, so ``Resources()["nvidia.com/gpu"] == 0``; zero entries are dropped on
    construction so two vectors that mean the same thing compare equal.
    """

    __slots__ = ("_amounts", "_hash")

    def __init__(self, amounts: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        items = amounts.items() if isinstance(amounts, Mapping) else amounts
        self._amounts: dict[str, int] = {name: int(value) for name, value in items if value}
        self._hash: int | None = None

    def __getitem__(self, name: str) -> int:
        return self._amounts.get(name, 0)

    def __contains__(self, name: object) -> bool:
        return name in self._amounts

    def __iter__(self) -> Iterator[str]:
        return iter(self._amounts)

    def __len__(self) -> int:
        return len(self._amounts)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._amounts.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Resources):
            return self._amounts == other._amounts
        if isinstance(other, Mapping):
            return self._amounts == {k: v for k, v in other.items() if v}
        return NotImplemented

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in sorted(self._amounts.items()))
        return f"Resources({inner})"

    def __add__(self, other: Mapping[str, int]) -> Resources:
        merged = dict(self._amounts)
        for name, value in other.items():
            merged[name] = merged.get(name, 0) + value
        return Resources(merged)

    def __sub__(self, other: Mapping[str, int]) -> Resources:
        """Subtract, allowing negative results (a node over-committed by its DaemonSets)."""
        merged = dict(self._amounts)
        for name, value in other.items():
            merged[name] = merged.get(name, 0) - value
        return Resources(merged)

    def __mul__(self, factor: int) -> Resources:
        return Resources({name: value * factor for name, value in self._amounts.items()})

    __rmul__ = __mul__

    def fits_in(self, capacity: Mapping[str, int]) -> bool:
        """True when every requested amount is at most the capacity's (a missing name is 0)."""
        return all(value <= capacity.get(name, 0) for name, value in self._amounts.items() if value > 0)

    def shortfall(self, capacity: Mapping[str, int]) -> dict[str, int]:
        """The resources this vector requests beyond ``capacity``, with how much is missing."""
        return {
            name: value - capacity.get(name, 0)
            for name, value in self._amounts.items()
            if value > capacity.get(name, 0)
        }

    def maximum(self, other: Mapping[str, int]) -> Resources:
        """Per-resource maximum of two vectors (used by the init-container rule)."""
        names = set(self._amounts) | set(other)
        return Resources({name: max(self[name], other.get(name, 0)) for name in names})

    def as_dict(self) -> dict[str, int]:
        """A plain, sorted ``dict`` copy, for JSON output."""
        return dict(sorted(self._amounts.items()))


_BINARY_UNITS = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))
_DECIMAL_UNITS = (("E", 10**18), ("P", 10**15), ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3))


def format_amount(resource: str, amount: int) -> str:
    """A canonical amount written as the Kubernetes quantity a person would write.

    Exact where possible, in the shortest form (``250m``, ``128Mi``, ``256M`` rather than
    ``250000Ki``); otherwise bytes are rounded to a tenth of the largest binary unit below them.

    >>> format_amount("cpu", 250), format_amount("cpu", 2000), format_amount("cpu", 1500)
    ('250m', '2', '1500m')
    >>> format_amount("memory", 128 * 2**20), format_amount("memory", 256_000_000)
    ('128Mi', '256M')
    >>> format_amount("memory", 3 * 2**29), format_amount("memory", 3 * 2**29 + 1)
    ('1536Mi', '1.5Gi')
    >>> format_amount("nvidia.com/gpu", 2)
    '2'
    """
    if resource == CPU:
        return str(amount // 1000) if amount % 1000 == 0 else f"{amount}m"
    if not is_byte_resource(resource) or amount == 0:
        return str(amount)
    exact = [
        f"{amount // size}{suffix}"
        for units in (_BINARY_UNITS, _DECIMAL_UNITS)
        for suffix, size in units
        if amount >= size and amount % size == 0
    ]
    if exact:
        return min(exact, key=len)  # the shortest exact form; binary first on a tie
    for suffix, size in _BINARY_UNITS:
        if amount >= size:
            return f"{amount / size:.1f}{suffix}"
    return str(amount)


def total(vectors: Iterable[Mapping[str, int]]) -> Resources:
    """Sum of many resource vectors."""
    merged: dict[str, int] = {}
    for vector in vectors:
        for name, value in vector.items():
            merged[name] = merged.get(name, 0) + value
    return Resources(merged)
