"""The knobs of a what-if session: named edits of ``eks-plan.yaml``, written as ``KNOB=VALUE`` text.

A knob is a small function that changes the configuration *as the file holds it* (camelCase keys,
plain lists and numbers), so that every edit is then validated by the configuration loader itself
(:func:`eks_plan.config.build_config`) and refused with the loader's own message, and so that the
edited data is, as it stands, a valid ``eks-plan.yaml`` that reproduces the plan.

Knobs that belong to a node pool (``families``, ``capacity``, ``max-nodes``, ...) change every pool,
or one pool when prefixed with its name: ``general.families=m7g``. Values are the words a user would
type: comma lists (``c,m,r``), ``none``/``any`` to clear a setting, ``true``/``false``.

Example::

    >>> data = {"region": "us-east-1", "nodePools": [{"name": "web"}, {"name": "gpu"}]}
    >>> edited = apply_knob(data, "web.capacity", "spot,on-demand")
    >>> edited["nodePools"][0]["capacityTypes"], "capacityTypes" in edited["nodePools"][1]
    (['spot', 'on-demand'], False)
    >>> apply_knob(data, "headroom", "15")["headroomPercent"]
    15
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eks_plan.errors import InputError

Data = dict[str, Any]

#: Words that clear an optional setting (the loader's default applies again).
CLEAR_WORDS = frozenset({"none", "any", "default", ""})
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def scalar(text: str) -> Any:
    """A knob value as the YAML file would hold it: an int, a float, or the text itself (so that a
    value of the wrong type reaches the schema and gets its message).

    >>> scalar("10"), scalar("0.65"), scalar("lots")
    (10, 0.65, 'lots')
    """
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def boolean(text: str) -> Any:
    """``true/yes/on/1`` and ``false/no/off/0``; anything else as text, for the schema to refuse."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return text.strip()


def word_list(text: str) -> list[str]:
    """``"c, m,r"`` -> ``["c", "m", "r"]``."""
    return [item.strip() for item in text.replace(" ", ",").split(",") if item.strip()]


def _clears(text: str) -> bool:
    return text.strip().lower() in CLEAR_WORDS


def _set_or_clear(section: Data, key: str, value: Any, clear: bool) -> None:
    if clear:
        section.pop(key, None)
    else:
        section[key] = value


@dataclass(frozen=True)
class Knob:
    """One what-if setting: its name, what it changes, an example value, and how it edits the data.

    ``edit(data, value, pool)`` changes ``data`` in place (``pool``: the pool's entry for a pool knob,
    else ``None``); ``show(data, pool)`` says the knob's current value in the same words.
    """

    name: str
    key: str
    help: str
    example: str
    pool_knob: bool
    edit: Callable[[Data, str, Data | None], None]
    show: Callable[[Data, Data | None], str]


def _instances_list(key: str) -> tuple[Callable[[Data, str, Data | None], None], Callable[..., str]]:
    def edit(data: Data, value: str, pool: Data | None) -> None:
        assert pool is not None
        instances = pool.setdefault("instances", {})
        _set_or_clear(instances, key, word_list(value), _clears(value))
        if not instances:
            pool.pop("instances")

    def show(data: Data, pool: Data | None) -> str:
        assert pool is not None
        values = pool.get("instances", {}).get(key)
        return ",".join(str(v) for v in values) if values else "any"

    return edit, show


def _pool_value(key: str, convert: Callable[[str], Any], default: str) -> tuple[Any, Any]:
    def edit(data: Data, value: str, pool: Data | None) -> None:
        assert pool is not None
        _set_or_clear(pool, key, convert(value), _clears(value))

    def show(data: Data, pool: Data | None) -> str:
        assert pool is not None
        value = pool.get(key)
        if value is None:
            return default
        return ",".join(value) if isinstance(value, list) else str(value)

    return edit, show


def _top(
    key: str, convert: Callable[[str], Any], default: str, section: str | None = None
) -> tuple[Any, Any]:
    def edit(data: Data, value: str, pool: Data | None) -> None:
        target = data.setdefault(section, {}) if section else data
        _set_or_clear(target, key, convert(value), _clears(value))

    def show(data: Data, pool: Data | None) -> str:
        target = data.get(section, {}) if section else data
        value = target.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)

    return edit, show


def parse_subnets(text: str) -> list[dict[str, str]]:
    """``ZONE=CIDR[:ROLE]`` entries separated by spaces or ``;`` (the ``check-ips --subnet`` syntax)
    as the file's ``subnets`` list.

    >>> parse_subnets("us-east-1a=10.0.0.0/24 us-east-1b=10.0.1.0/24:pods")[1]
    {'zone': 'us-east-1b', 'cidr': '10.0.1.0/24', 'role': 'pods'}
    """
    entries = []
    for item in text.replace(";", " ").split():
        zone, equals, rest = item.partition("=")
        if not equals or not zone or not rest:
            raise InputError(
                f"subnets: {item!r} is not ZONE=CIDR[:ROLE]",
                hint="e.g. subnets=us-east-1a=10.0.0.0/24 us-east-1b=10.0.1.0/24, or subnets=none",
            )
        cidr, colon, role = rest.partition(":")
        entry = {"zone": zone, "cidr": cidr}
        if colon:
            entry["role"] = role
        entries.append(entry)
    return entries


def _subnets_edit(data: Data, value: str, pool: Data | None) -> None:
    if _clears(value):
        data.pop("subnets", None)
    else:
        data["subnets"] = parse_subnets(value)


def _subnets_show(data: Data, pool: Data | None) -> str:
    subnets = data.get("subnets") or []
    if not subnets:
        return "none"
    return " ".join(
        f"{entry['zone']}={entry['cidr']}"
        + (f":{entry['role']}" if entry.get("role", "nodes") != "nodes" else "")
        for entry in subnets
    )


def _knobs() -> tuple[Knob, ...]:
    knobs = []

    def add(name: str, key: str, help: str, example: str, pool_knob: bool, pair: tuple[Any, Any]) -> None:
        knobs.append(Knob(name, key, help, example, pool_knob, pair[0], pair[1]))

    add(
        "families",
        "nodePools[].instances.families",
        "instance families or globs",
        "m7g,c7g",
        True,
        _instances_list("families"),
    )
    add(
        "categories",
        "nodePools[].instances.categories",
        "instance categories",
        "c,m,r",
        True,
        _instances_list("categories"),
    )
    add("arch", "nodePools[].instances.arch", "CPU architectures", "arm64", True, _instances_list("arch"))
    add(
        "capacity",
        "nodePools[].capacityTypes",
        "capacity types: on-demand, spot",
        "spot,on-demand",
        True,
        _pool_value("capacityTypes", word_list, "on-demand"),
    )
    add(
        "min-nodes",
        "nodePools[].minNodes",
        "fewest nodes of the pool",
        "0",
        True,
        _pool_value("minNodes", scalar, "0"),
    )
    add(
        "max-nodes",
        "nodePools[].maxNodes",
        "most nodes of the pool (none: no limit)",
        "20",
        True,
        _pool_value("maxNodes", scalar, "none"),
    )
    add(
        "spot-discount",
        "pricing.spotDiscount",
        "spot price = on-demand x (1 - discount)",
        "0.65",
        False,
        _top("spotDiscount", scalar, "none", "pricing"),
    )
    add(
        "zones",
        "zones",
        "availability zones of the plan",
        "us-east-1a,us-east-1b",
        False,
        _top("zones", word_list, "default"),
    )
    add(
        "headroom",
        "headroomPercent",
        "percent of each node's cpu and memory kept free",
        "20",
        False,
        _top("headroomPercent", scalar, "0"),
    )
    add(
        "replicas",
        "replicas",
        "HPA workloads sized at min, declared or max replicas",
        "declared",
        False,
        _top("replicas", str.strip, "max"),
    )
    add(
        "zone-loss",
        "tolerateZoneLoss",
        "keep room for any one lost zone's pods",
        "true",
        False,
        _top("tolerateZoneLoss", boolean, "false"),
    )
    add(
        "cni",
        "cni.mode",
        "VPC CNI mode",
        "prefix-delegation",
        False,
        _top("mode", str.strip, "secondary-ip", "cni"),
    )
    add(
        "warm-eni-target",
        "cni.warmEniTarget",
        "WARM_ENI_TARGET",
        "1",
        False,
        _top("warmEniTarget", scalar, "1", "cni"),
    )
    add(
        "warm-ip-target",
        "cni.warmIpTarget",
        "WARM_IP_TARGET (none: unset)",
        "5",
        False,
        _top("warmIpTarget", scalar, "none", "cni"),
    )
    add(
        "minimum-ip-target",
        "cni.minimumIpTarget",
        "MINIMUM_IP_TARGET (none: unset)",
        "10",
        False,
        _top("minimumIpTarget", scalar, "none", "cni"),
    )
    add(
        "warm-prefix-target",
        "cni.warmPrefixTarget",
        "WARM_PREFIX_TARGET",
        "1",
        False,
        _top("warmPrefixTarget", scalar, "1", "cni"),
    )
    add(
        "subnets",
        "subnets",
        "ZONE=CIDR[:ROLE] ... (none: no subnets)",
        "us-east-1a=10.0.0.0/22",
        False,
        (_subnets_edit, _subnets_show),
    )
    return tuple(knobs)


#: Every knob, in the order the TUI and ``help`` list them.
KNOBS: tuple[Knob, ...] = _knobs()
KNOBS_BY_NAME = {knob.name: knob for knob in KNOBS}


def knob_names() -> list[str]:
    return [knob.name for knob in KNOBS]


def split_name(name: str) -> tuple[Knob, str | None]:
    """The knob and the pool a ``[POOL.]KNOB`` name refers to; an unknown name is an input error with
    a did-you-mean."""
    pool, dot, knob_name = name.strip().rpartition(".")
    knob = KNOBS_BY_NAME.get(knob_name)
    if knob is None:
        import difflib

        close = difflib.get_close_matches(knob_name, knob_names(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"knobs: {', '.join(knob_names())}"
        raise InputError(f"unknown knob '{name}'", hint=hint)
    if dot and not knob.pool_knob:
        raise InputError(f"'{knob.name}' is not a node pool setting: write it without '{pool}.'")
    return knob, (pool if dot else None)


def _pools(data: Data, pool_name: str | None) -> list[Data]:
    pools: list[Data] = data.setdefault("nodePools", [])
    if pool_name is None:
        return pools
    chosen = [pool for pool in pools if pool.get("name") == pool_name]
    if not chosen:
        names = ", ".join(str(pool.get("name")) for pool in pools)
        raise InputError(f"there is no node pool '{pool_name}'", hint=f"pools: {names}")
    return chosen


def apply_knob(data: Data, name: str, value: str) -> Data:
    """A copy of the file-shaped ``data`` with ``[POOL.]KNOB`` set to ``value`` (not yet validated)."""
    knob, pool_name = split_name(name)
    edited = copy.deepcopy(data)
    if knob.pool_knob:
        for pool in _pools(edited, pool_name):
            knob.edit(edited, value, pool)
    else:
        knob.edit(edited, value, None)
    return edited


def knob_values(data: Data) -> dict[str, str]:
    """Every knob's current value in ``data``, pool knobs once per pool (``general.families``)."""
    values: dict[str, str] = {}
    for knob in KNOBS:
        if knob.pool_knob:
            for pool in data.get("nodePools", []):
                values[f"{pool.get('name')}.{knob.name}"] = knob.show(data, pool)
        else:
            values[knob.name] = knob.show(data, None)
    return values
