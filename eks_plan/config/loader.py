"""Reading ``eks-plan.yaml``: JSON Schema validation with file:line:key-path errors, then typed values.

Loading runs in three steps, each of which reports every problem it finds at once:

1. parse the YAML with positions (:mod:`eks_plan.manifests.yaml_source`);
2. validate it against the schema that ships in the package (Draft 2020-12); an unknown key gets a
   "did you mean" from the keys allowed at that place;
3. build the frozen dataclasses of :mod:`eks_plan.config.model`, filling defaults, and check the
   rules that span keys (:mod:`eks_plan.config.checks`).

Example::

    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "eks-plan.yaml")
    >>> _ = open(path, "w").write("region: eu-west-1\\nnodePools:\\n  - name: web\\n    maxNode: 3\\n")
    >>> try:
    ...     load_config(path)
    ... except InputError as error:
    ...     print(str(error).replace(path, "eks-plan.yaml"))
    eks-plan.yaml:4:5: nodePools[0]: unknown key 'maxNode' (did you mean 'maxNodes'?)
    >>> _ = open(path, "w").write("region: eu-west-1\\n")
    >>> config = load_config(path)
    >>> config.zones
    ('eu-west-1a', 'eu-west-1b', 'eu-west-1c')
    >>> config.defaults_applied[0]
    'zones eu-west-1a, eu-west-1b, eu-west-1c (default: the first three zones of eu-west-1)'
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from eks_plan.catalog.filters import zone_in_region
from eks_plan.catalog.pricing import SupportTier
from eks_plan.config.defaults import (
    DEFAULT_ADDONS,
    DEFAULT_CONFIG_NAMES,
    DEFAULT_NODE_POOL,
    DEFAULT_REGION,
    catalog_zones,
    default_zones,
    default_zones_note,
)
from eks_plan.config.model import (
    INVALID_CIDR,
    AddonDaemonSet,
    BudgetSettings,
    CapacityType,
    CniMode,
    CniSettings,
    FargateProfile,
    FargateSelector,
    InstanceFilter,
    LintSettings,
    NodePoolConfig,
    NodeStyle,
    PlanConfig,
    PricingSettings,
    Range,
    ReplicaMode,
    Subnet,
    SubnetRole,
)
from eks_plan.errors import InputError, SourceLocation
from eks_plan.scheduling.taints import Taint, TaintEffect, Toleration, TolerationOperator

KeyPath = tuple[str | int, ...]


class ConfigError(InputError):
    """Every problem found in a plan configuration, each an :class:`InputError` with its own place.

    It prints one problem per line, so a user fixes them all in one go rather than one per run.
    """

    def __init__(self, problems: Sequence[InputError]):
        self.problems = tuple(problems)
        first = self.problems[0]
        super().__init__(first.message, first.location, first.hint)

    def __str__(self) -> str:
        return "\n".join(InputError.__str__(problem) for problem in self.problems)


@cache
def _schema_text() -> str:
    return resources.files("eks_plan.config").joinpath("schema.json").read_text(encoding="utf-8")


def config_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``eks-plan.yaml``, as shipped in the package (a fresh copy)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(config_schema())


def find_config_file(directory: Path | None = None) -> Path | None:
    """``eks-plan.yaml`` (or ``eks-plan.yml``) in ``directory`` (default: the current one), if present."""
    folder = directory if directory is not None else Path.cwd()
    for name in DEFAULT_CONFIG_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path | None = None) -> PlanConfig:
    """The plan configuration from ``path``; with ``None``, from ``./eks-plan.yaml`` if there is one,
    else the documented defaults (and ``defaults_applied`` says so).

    An explicit ``path`` that does not exist is an :class:`InputError`; so is any schema or rule
    violation (a :class:`ConfigError` listing all of them, each with file, line and key path).
    """
    if path is None:
        found = find_config_file()
        if found is None:
            return build_config({}, source=None)
        path = found.name  # as a user would write it: relative to the current directory
    from eks_plan.manifests.yaml_source import parse_yaml_documents, read_text_file

    display = str(path)
    file_path = Path(path)
    if not file_path.exists():
        raise InputError(
            "the plan configuration file does not exist",
            SourceLocation(display),
            hint="check the path, or leave --config out to use ./eks-plan.yaml or the defaults",
        )
    text = read_text_file(file_path, display)
    documents = parse_yaml_documents(text, display)
    if len(documents) > 1:
        raise InputError(
            f"the file holds {len(documents)} YAML documents; a plan configuration is one document",
            documents[1].start,
            hint="remove the '---' separators and merge the documents",
        )
    if not documents:
        return build_config({}, source=display, base_dir=file_path.parent)
    document = documents[0]
    if not isinstance(document.data, dict):
        raise InputError(
            f"the plan configuration must be a mapping of keys (region:, nodePools:, ...), "
            f"not {_json_type(document.data)}",
            document.start,
            hint="see `eks-plan schema` for the keys",
        )
    return build_config(document.data, source=display, base_dir=file_path.parent, locate=document.location)


def build_config(
    data: Mapping[str, Any],
    *,
    source: str | None,
    base_dir: Path | None = None,
    locate: Any = None,
) -> PlanConfig:
    """Validate plain data (what the YAML file holds) and build the :class:`PlanConfig`.

    ``locate`` maps a key path tuple to a :class:`SourceLocation` (``YamlDocument.location``);
    without it, problems name ``source`` (or nothing) and the key path only.
    """

    def where(path: KeyPath) -> SourceLocation | None:
        if locate is not None:
            location: SourceLocation = locate(path)
            return location
        return SourceLocation(source) if source else None

    schema_errors = list(_validator().iter_errors(data))
    problems = [_schema_problem(error, data, where) for error in schema_errors]
    reported = {tuple(error.absolute_path) for error in schema_errors}
    problems += [problem for path, problem in _non_finite_numbers(data, where) if path not in reported]
    if problems:
        raise ConfigError(_sorted_problems(problems))
    locations = MappingProxyType(_all_locations(data, where) if locate is not None else {})
    builder = _Builder(data, source, base_dir or Path("."), locations)
    config = builder.build()
    _raise_problems(config, builder.problems)
    return config


def apply_overrides(config: PlanConfig, changes: Mapping[str, Any]) -> PlanConfig:
    """The implementation of :meth:`PlanConfig.with_overrides` (see there)."""
    fields = {item.name for item in dataclasses.fields(PlanConfig)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise TypeError(f"PlanConfig has no field {', '.join(unknown)}")
    changes = dict(changes)
    overridden_keys = {_FIELD_KEYS.get(name, name) for name in changes}
    defaults_applied = [
        note for note in config.defaults_applied if note.split(" ", 1)[0].rstrip(":") not in overridden_keys
    ]
    zones_were_defaulted = any(note.startswith("zones ") for note in config.defaults_applied)
    if "region" in changes and "zones" not in changes and zones_were_defaulted and not config.subnets:
        # The default zones belong to the old region: derive them again for the new one.
        changes["zones"], zones_note = _default_zones(changes["region"])
        defaults_applied = [note for note in defaults_applied if not note.startswith("zones ")]
        defaults_applied.insert(0, zones_note)
    locations = {
        path: location
        for path, location in config.locations.items()
        if re.split(r"[.\[]", path, maxsplit=1)[0] not in overridden_keys
    }
    changes.setdefault("defaults_applied", tuple(defaults_applied))
    changes.setdefault("locations", MappingProxyType(locations))
    changes.setdefault("overridden", config.overridden | overridden_keys)
    updated = dataclasses.replace(config, **changes)
    schema_problems = _override_schema_problems(updated, overridden_keys)
    if schema_problems:
        raise ConfigError(schema_problems)
    _raise_problems(updated)
    return updated


def _override_schema_problems(config: PlanConfig, overridden_keys: Iterable[str]) -> list[InputError]:
    """The schema's rules (ranges, patterns, enums) applied to a configuration after overrides, the
    same rules the file meets: the effective configuration (:meth:`PlanConfig.to_dict`) is validated
    and each problem names its key; a key a flag replaced says so.

    >>> config = build_config({}, source=None)
    >>> try:
    ...     config.with_overrides(headroom_percent=-20.0)
    ... except InputError as error:
    ...     print(error)
    headroomPercent: -20 is less than the minimum of 0 (the value comes from a command-line flag)
    """
    data = config.to_dict()
    overridden = set(overridden_keys)
    problems = []
    for error in _validator().iter_errors(data):
        problem = _schema_problem(error, data, lambda path: None)
        top_key = next(iter(error.absolute_path), None)
        if top_key in overridden and problem.hint is None:
            problem = InputError(problem.message, None, hint="the value comes from a command-line flag")
        problems.append(problem)
    return _sorted_problems(problems)


#: PlanConfig field -> the top-level key of the file it comes from.
_FIELD_KEYS = {
    "node_pools": "nodePools",
    "fargate_profiles": "fargateProfiles",
    "headroom_percent": "headroomPercent",
    "tolerate_zone_loss": "tolerateZoneLoss",
}


def _raise_problems(config: PlanConfig, earlier: Sequence[InputError] = ()) -> None:
    from eks_plan.config.checks import find_problems

    problems = [*earlier, *find_problems(config)]
    if problems:
        raise ConfigError(_sorted_problems(problems))


def _sorted_problems(problems: Iterable[InputError]) -> list[InputError]:
    def order(problem: InputError) -> tuple[int, int, str]:
        location = problem.location
        return (location.line, location.column, problem.message) if location else (0, 0, problem.message)

    unique: dict[str, InputError] = {}
    for problem in sorted(problems, key=order):
        unique.setdefault(str(problem), problem)
    return list(unique.values())


# --- schema errors -> messages -----------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

#: What a value must look like, by the key it sits under, for pattern errors (a regex is no message).
_PATTERN_WORDS = {
    "region": "an AWS region name such as us-east-1",
    "zones": "an availability zone name such as us-east-1a",
    "name": "a lower-case name of letters, digits and '-' that starts with a letter (at most 63 characters)",
    "instanceTypes": "an instance type name or glob such as m7i.large or 'c7g.*'",
    "families": "an instance family or glob such as m7i or 'm7*'",
    "categories": "an instance category of lower-case letters such as c, m or r",
    "id": "a subnet ID such as subnet-0123456789abcdef0",
    "requests": "a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi",
    "labels": "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending "
    "with a letter or digit",
    "nodeSelector": "a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending "
    "with a letter or digit",
}


def format_key_path(path: Iterable[str | int]) -> str:
    """A key path as users read it: list indexes in brackets, keys with dots or slashes quoted.

    >>> format_key_path(["nodePools", 0, "maxNodes"])
    'nodePools[0].maxNodes'
    >>> format_key_path(["nodePools", 1, "labels", "kubernetes.io/arch"])
    'nodePools[1].labels["kubernetes.io/arch"]'
    """
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        elif _IDENTIFIER.match(element):
            text += f".{element}" if text else element
        else:
            text += f'["{element}"]'
    return text


def _schema_problem(error: Any, data: Mapping[str, Any], where: Any) -> InputError:
    path: KeyPath = tuple(error.absolute_path)
    subject = format_key_path(path)
    prefix = f"{subject}: " if subject else ""
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(key for key in error.instance if key not in allowed)
        key = extra[0] if extra else ""
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint: str | None = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        what = f"unknown key '{key}'" if subject else f"unknown top-level key '{key}'"
        others = f" (and {', '.join(repr(k) for k in extra[1:])})" if len(extra) > 1 else ""
        return InputError(f"{prefix}{what}{others}", where((*path, key)), hint=hint)
    if validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else error.message
        return InputError(f"{prefix}missing required key '{key}'", where(path))
    if validator == "enum":
        allowed_values = [str(value) for value in error.validator_value]
        close = difflib.get_close_matches(str(error.instance), allowed_values, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else None
        return InputError(
            f"{prefix}{_show(error.instance)} is not one of {', '.join(allowed_values)}",
            where(path),
            hint=hint,
        )
    if validator == "const":
        return InputError(
            f"{prefix}must be {error.validator_value}, not {_show(error.instance)}", where(path)
        )
    if validator == "pattern":
        under_property_names = "propertyNames" in error.schema_path
        if under_property_names:
            key = str(error.instance)
            words = (
                "a label key: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_', '.'"
            )
            if path and path[-1] == "requests":
                words = "a resource name such as cpu, memory or nvidia.com/gpu"
            return InputError(f"{prefix}key {_show(key)} is not {words}", where((*path, key)))
        parent = _named_parent(path)
        words = _PATTERN_WORDS.get(parent, f"of the form {error.validator_value}")
        return InputError(f"{prefix}{_show(error.instance)} is not {words}", where(path))
    if validator == "type":
        expected = error.validator_value
        expected_names = expected if isinstance(expected, list) else [expected]
        message = f"{prefix}{_show(error.instance)} is {_json_type(error.instance)}, expected " + " or ".join(
            str(_TYPE_WORDS.get(name, name)) for name in expected_names
        )
        hint = None
        if "string" in expected_names and isinstance(error.instance, bool):
            hint = "quote the value: YAML reads unquoted yes/no/on/off/true/false as booleans"
        elif "string" in expected_names and isinstance(error.instance, int | float):
            hint = "quote the value to make it a string"
        elif "array" in expected_names and not isinstance(error.instance, list | dict):
            hint = f"write a list, e.g. [{error.instance}]"
        return InputError(message, where(path), hint=hint)
    if validator in ("minItems", "maxItems") and isinstance(error.instance, list):
        bound = "at least" if validator == "minItems" else "at most"
        count = len(error.instance)
        return InputError(
            f"{prefix}has {count} item{'s' if count != 1 else ''}; {bound} {error.validator_value} allowed",
            where(path),
        )
    if validator == "uniqueItems" and isinstance(error.instance, list):
        repeated = sorted({_show(item) for item in error.instance if error.instance.count(item) > 1})
        return InputError(f"{prefix}{', '.join(repeated)} is listed more than once", where(path))
    return InputError(f"{prefix}{error.message}", where(path))


_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
}


def _named_parent(path: KeyPath) -> str:
    """The nearest key in a path, skipping list indexes and map keys of free-form maps."""
    names = [element for element in path if isinstance(element, str)]
    if len(names) >= 2 and names[-2] in ("labels", "nodeSelector", "requests"):
        return names[-2]
    return names[-1] if names else ""


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _walk(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every value of the file with its key path, the file's root first (files are small)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def _non_finite_numbers(data: Any, where: Any) -> list[tuple[KeyPath, InputError]]:
    """A ``.nan`` or ``.inf`` anywhere in the file, with its key path: the schema's bounds cannot
    catch NaN (every comparison with it is false), and no setting means infinity."""
    return [
        (
            path,
            InputError(
                f"{format_key_path(path)}: {value} is not a usable number",
                where(path),
                hint="give a finite number",
            ),
        )
        for path, value in _walk(data)
        if isinstance(value, float) and not math.isfinite(value)
    ]


def _all_locations(data: Any, where: Any) -> dict[str, SourceLocation]:
    """Key path text -> location, for every key and list item of the file (files are small)."""
    return {format_key_path(path): where(path) for path, _ in _walk(data) if path}


# --- validated data -> dataclasses ----------------------------------------------------------------


def _default_zones(region: str) -> tuple[tuple[str, ...], str]:
    """The default zones of ``region`` from the catalogue, and the note that names them."""
    known = catalog_zones(region)
    zones = default_zones(region, known)
    return zones, default_zones_note(zones, region, known)


class _Builder:
    """Turns schema-valid data into a :class:`PlanConfig`, recording each default it applies."""

    def __init__(
        self,
        data: Mapping[str, Any],
        source: str | None,
        base_dir: Path,
        locations: Mapping[str, SourceLocation],
    ):
        self.data = data
        self.source = source
        self.base_dir = base_dir
        self.locations = locations
        self.defaults: list[str] = []
        self.problems: list[InputError] = []

    def build(self) -> PlanConfig:
        data = self.data
        locations = self.locations
        region = data.get("region")
        if region is None:
            region = DEFAULT_REGION
            self.defaults.append(f"region {region} (default)")
        subnets = tuple(self._subnet(index, item) for index, item in enumerate(data.get("subnets", ())))
        zones = tuple(data.get("zones", ()))
        if not zones:
            subnet_zones = sorted(
                {
                    subnet.zone
                    for subnet in subnets
                    if not subnet.has_role(SubnetRole.CLUSTER) and zone_in_region(subnet.zone, region)
                }
            )
            if subnet_zones:
                zones = tuple(subnet_zones)
                self.defaults.insert(0, f"zones {', '.join(zones)} (default: the zones of the subnets)")
            else:
                zones, note = _default_zones(region)
                self.defaults.insert(0, note)
        if "nodePools" in data:
            pools = tuple(self._pool(item) for item in data["nodePools"])
        else:
            pools = (DEFAULT_NODE_POOL,)
            self.defaults.append(
                "nodePools: one pool 'default' of managed node groups, on-demand, amd64 instance types "
                "of categories c, m, r and generation 3 or later (default)"
            )
        config = PlanConfig(
            region=region,
            zones=zones,
            node_pools=pools,
            fargate_profiles=tuple(self._fargate_profile(item) for item in data.get("fargateProfiles", ())),
            addons=self._addons(data.get("addons", ())),
            cni=self._cni(data.get("cni")),
            subnets=subnets,
            headroom_percent=float(self._value(data, "headroomPercent", 0, "headroomPercent 0% (default)")),
            tolerate_zone_loss=self._value(
                data,
                "tolerateZoneLoss",
                False,
                "tolerateZoneLoss false: no spare capacity for a lost zone (default)",
            ),
            replicas=ReplicaMode(self._value(data, "replicas", "max", "replicas max: HPA maximum (default)")),
            pricing=self._pricing(data.get("pricing")),
            budget=BudgetSettings(data.get("budget", {}).get("maxMonthlyCost")),
            lint=LintSettings(
                select=tuple(data.get("lint", {}).get("select", ())),
                ignore=tuple(data.get("lint", {}).get("ignore", ())),
                severity=MappingProxyType(dict(data.get("lint", {}).get("severity", {}))),
            ),
            source=self.source,
            defaults_applied=(),
            locations=locations,
        )
        return dataclasses.replace(config, defaults_applied=tuple(self.defaults))

    def _value(self, data: Mapping[str, Any], key: str, default: Any, note: str) -> Any:
        if key in data:
            return data[key]
        self.defaults.append(note)
        return default

    def _pool(self, item: Mapping[str, Any]) -> NodePoolConfig:
        return NodePoolConfig(
            name=item["name"],
            node_style=NodeStyle(item.get("nodeStyle", NodeStyle.MANAGED_NODE_GROUP)),
            instances=_instance_filter(item.get("instances", {})),
            capacity_types=tuple(CapacityType(value) for value in item.get("capacityTypes", ["on-demand"])),
            zones=tuple(item.get("zones", ())),
            labels=MappingProxyType(dict(item.get("labels", {}))),
            taints=tuple(
                Taint(taint["key"], taint.get("value", ""), TaintEffect(taint["effect"]))
                for taint in item.get("taints", ())
            ),
            min_nodes=item.get("minNodes", 0),
            max_nodes=item.get("maxNodes"),
            max_pods=item.get("maxPods"),
        )

    def _fargate_profile(self, item: Mapping[str, Any]) -> FargateProfile:
        selectors = tuple(
            FargateSelector(selector["namespace"], MappingProxyType(dict(selector.get("labels", {}))))
            for selector in item["selectors"]
        )
        return FargateProfile(item["name"], selectors)

    def _check_addon_requests(self, index: int, item: Mapping[str, Any]) -> None:
        """An add-on request at Kubernetes' quantity cap (2**63 - 1, in millicores for cpu) is
        refused, as in manifests: no node holds it, and the solver's integers cannot."""
        from eks_plan.manifests.quantity import MAX_QUANTITY, QuantityError, canonical_amount, shown

        for name, value in (item.get("requests") or {}).items():
            try:
                too_large = canonical_amount(name, value) >= MAX_QUANTITY
            except QuantityError:
                continue  # the schema's pattern reports it
            if too_large:
                key_path = f"addons[{index}].requests.{name}"
                self.problems.append(
                    InputError(
                        f"{key_path}: {shown(value)} is larger than the largest quantity Kubernetes holds",
                        self.locations.get(key_path),
                        hint="use e.g. 100m or 0.5 for cpu, 128Mi or 1Gi for memory",
                    )
                )

    def _addons(self, items: Sequence[Mapping[str, Any]]) -> tuple[AddonDaemonSet, ...]:
        declared: dict[str, Mapping[str, Any]] = {}
        for index, item in enumerate(items):
            if item["name"] in declared:
                key_path = f"addons[{index}].name"
                self.problems.append(
                    InputError(
                        f"{key_path}: add-on '{item['name']}' is listed twice", self.locations.get(key_path)
                    )
                )
            declared.setdefault(item["name"], item)
            self._check_addon_requests(index, item)
        result: list[AddonDaemonSet] = []
        kept_defaults: list[str] = []
        for default in DEFAULT_ADDONS:
            override = declared.get(default.name)
            if override is None:
                result.append(default)
                kept_defaults.append(default.name)
            elif override.get("enabled", True):
                result.append(_addon(override, base=default))
        default_names = {addon.name for addon in DEFAULT_ADDONS}
        result.extend(
            _addon(item)
            for name, item in declared.items()
            if name not in default_names and item.get("enabled", True)
        )
        if kept_defaults:
            described = ", ".join(
                f"{addon.name} ({addon.requests.get('cpu', '0')} cpu)"
                for addon in DEFAULT_ADDONS
                if addon.name in kept_defaults
            )
            self.defaults.append(f"addons {described} on every node (EKS defaults)")
        return tuple(result)

    def _cni(self, item: Mapping[str, Any] | None) -> CniSettings:
        if item is None:
            self.defaults.append(
                "cni mode secondary-ip, WARM_ENI_TARGET 1, WARM_PREFIX_TARGET 1 (VPC CNI defaults)"
            )
            item = {}
        mode = CniMode(item.get("mode", CniMode.SECONDARY_IP))
        return CniSettings.for_mode(
            mode,
            warm_eni_target=item.get("warmEniTarget", 1),
            warm_ip_target=item.get("warmIpTarget"),
            minimum_ip_target=item.get("minimumIpTarget"),
            warm_prefix_target=item.get("warmPrefixTarget", 1),
            max_eni=item.get("maxEni"),
            security_groups_for_pods=item.get("securityGroupsForPods", False),
        )

    def _subnet(self, index: int, item: Mapping[str, Any]) -> Subnet:
        return Subnet(
            zone=item["zone"],
            cidr=self._cidr(index, item["cidr"]),
            roles=frozenset({SubnetRole(item.get("role", SubnetRole.NODES))}),
            subnet_id=item.get("id"),
            source="eks-plan.yaml",
            name=item.get("name"),
        )

    def _cidr(self, index: int, text: str) -> ipaddress.IPv4Network:
        """The subnet's network; a bad CIDR is recorded as a problem (so every problem is reported
        together) and stands in as 0.0.0.0/32, which the later checks skip."""
        key_path = f"subnets[{index}].cidr"
        try:
            return ipaddress.IPv4Network(text, strict=True)
        except ValueError:
            hint = None
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                message = f"{key_path}: {text!r} is not an IPv4 CIDR block"
                hint = "write it as address/prefix, e.g. 10.0.32.0/19"
            else:
                if network.version == 6:
                    message = f"{key_path}: {text!r} is IPv6; give the subnet's IPv4 CIDR block"
                    hint = "in IPv6 clusters nodes still take one IPv4 address from the subnet's IPv4 block"
                else:
                    message = f"{key_path}: {text!r} has host bits set"
                    hint = f"did you mean {network}?"
            self.problems.append(InputError(message, self.locations.get(key_path), hint=hint))
            return INVALID_CIDR

    def _pricing(self, item: Mapping[str, Any] | None) -> PricingSettings:
        if item is None:
            self.defaults.append(
                "pricing: on-demand prices, no savings plan, standard control-plane support, "
                "730 hours a month (default)"
            )
            item = {}
        spot_file = item.get("spotPriceFile")
        return PricingSettings(
            spot_discount=item.get("spotDiscount"),
            spot_price_file=(self.base_dir / spot_file) if spot_file else None,
            savings_plan_discount=float(item.get("savingsPlanDiscount", 0)),
            control_plane_support=SupportTier(item.get("controlPlaneSupport", "standard")),
            hours_per_month=float(item.get("hoursPerMonth", 730)),
        )


def _instance_filter(item: Mapping[str, Any]) -> InstanceFilter:
    return InstanceFilter(
        instance_types=tuple(item.get("instanceTypes", ())),
        families=tuple(item.get("families", ())),
        categories=tuple(item.get("categories", ())),
        architectures=tuple(item.get("arch", ())),
        generation=_range(item.get("generation")),
        vcpus=_range(item.get("vcpus")),
        memory_gib=_range(item.get("memoryGiB")),
        gpus=_range(item.get("gpus")),
        exclude=tuple(item.get("exclude", ())),
    )


def _range(item: Mapping[str, float] | None) -> Range:
    return Range(item.get("min"), item.get("max")) if item else Range()


def _addon(item: Mapping[str, Any], base: AddonDaemonSet | None = None) -> AddonDaemonSet:
    """An add-on from the file; keys it leaves out come from the default of the same name."""
    base = base or AddonDaemonSet(name=item["name"])
    requests = base.requests
    if "requests" in item:
        requests = MappingProxyType({name: _quantity_text(value) for name, value in item["requests"].items()})
    tolerations = base.tolerations
    if "tolerations" in item:
        tolerations = tuple(
            Toleration(
                key=toleration.get("key", ""),
                operator=TolerationOperator(toleration.get("operator", "Equal")),
                value=toleration.get("value", ""),
                effect=TaintEffect(toleration["effect"]) if "effect" in toleration else None,
            )
            for toleration in item["tolerations"]
        )
    return AddonDaemonSet(
        name=item["name"],
        requests=requests,
        host_network=item.get("hostNetwork", base.host_network),
        tolerations=tolerations,
        node_selector=MappingProxyType(dict(item.get("nodeSelector", base.node_selector))),
        namespace=item.get("namespace", base.namespace),
    )


def _quantity_text(value: str | int | float) -> str:
    """A quantity as Kubernetes would print it from YAML: ``0.5`` -> ``"0.5"``, ``2`` -> ``"2"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
