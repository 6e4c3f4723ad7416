"""eks-plan.yaml: the full example, every default, every validation error with its file:line:key path."""

# The expected messages are compared whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from eks_plan.catalog.capacity import CniMode, NodeStyle
from eks_plan.config import (
    DEFAULT_ADDONS,
    DEFAULT_INSTANCE_FILTER,
    DEFAULT_NODE_POOL,
    DEFAULT_REGION,
    CapacityType,
    CniSettings,
    NodePoolConfig,
    PlanConfig,
    PricingSettings,
    Range,
    ReplicaMode,
    SubnetRole,
    build_config,
    config_schema,
    load_config,
    replace,
    validate_zones,
)
from eks_plan.config.checks import prefix_capacity
from eks_plan.errors import InputError
from eks_plan.scheduling.taints import Taint, TaintEffect

FIXTURES = Path(__file__).parent / "fixtures"
FULL = FIXTURES / "full.yaml"


def load_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> PlanConfig:
    """Load ``text`` as ./eks-plan.yaml so messages name the file as a user would see it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "eks-plan.yaml").write_text(text, encoding="utf-8")
    return load_config("eks-plan.yaml")


def error_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_text(tmp_path, monkeypatch, text)
    return str(caught.value).splitlines()


# --- the full example ------------------------------------------------------------------------------


def test_full_example_loads_every_section() -> None:
    config = load_config(FULL)
    assert config.source == str(FULL)
    assert config.region == "us-east-1"
    assert config.zones == ("us-east-1a", "us-east-1b", "us-east-1c")

    general, gpu = config.node_pools
    assert general.name == "general" and general.node_style is NodeStyle.MANAGED_NODE_GROUP
    assert general.instances.categories == ("c", "m", "r")
    assert general.instances.generation == Range(6, None)
    assert general.instances.architectures == ("amd64", "arm64")
    assert general.instances.vcpus == Range(2, 16)
    assert general.instances.memory_gib == Range(None, 128)
    assert general.instances.gpus == Range(None, 0)
    assert general.instances.exclude == ("*.metal", "*-flex.*")
    assert general.capacity_types == (CapacityType.ON_DEMAND, CapacityType.SPOT)
    assert (general.min_nodes, general.max_nodes, general.max_pods) == (3, 60, None)
    assert gpu.node_style is NodeStyle.KARPENTER
    assert gpu.instances.families == ("g5", "g6*")
    assert gpu.zones == ("us-east-1a", "us-east-1b")
    assert dict(gpu.labels) == {"workload-class": "gpu"}
    assert gpu.taints == (Taint("nvidia.com/gpu", "true", TaintEffect.NO_SCHEDULE),)
    assert (gpu.min_nodes, gpu.max_nodes, gpu.max_pods) == (0, 8, 110)
    assert config.pool_zones(gpu) == ("us-east-1a", "us-east-1b")
    assert config.pool_zones(general) == config.zones

    [batch] = config.fargate_profiles
    assert batch.matches("batch", {}) and batch.matches("reports-daily", {"compute": "fargate"})
    assert not batch.matches("reports-daily", {}) and not batch.matches("default", {"compute": "fargate"})

    addons = {addon.name: addon for addon in config.addons}
    assert list(addons) == ["aws-node", "kube-proxy", "fluent-bit", "dcgm-exporter"]
    assert addons["aws-node"] == DEFAULT_ADDONS[0]
    assert dict(addons["kube-proxy"].requests) == {"cpu": "100m", "memory": "64Mi"}
    assert (
        addons["kube-proxy"].host_network
        and addons["kube-proxy"].tolerations == DEFAULT_ADDONS[1].tolerations
    )
    assert addons["fluent-bit"].namespace == "logging" and not addons["fluent-bit"].host_network

    assert config.cni == CniSettings(mode=CniMode.PREFIX_DELEGATION)
    assert config.cni.prefix_delegation and not config.cni.custom_networking

    assert [subnet.name for subnet in config.subnets][:2] == ["private-a", "private-b"]
    assert config.subnets[0].cidr == ipaddress.IPv4Network("10.0.0.0/19")
    assert config.subnets[0].subnet_id == "subnet-0a1b2c3d4e5f60718"
    assert [subnet.roles for subnet in config.subnets].count(frozenset({SubnetRole.CLUSTER})) == 2
    assert config.subnets[0].usable == 8187  # 2^13 - 5

    assert (config.headroom_percent, config.tolerate_zone_loss, config.replicas) == (
        10,
        True,
        ReplicaMode.MAX,
    )
    assert config.pricing == PricingSettings(spot_discount=0.6, savings_plan_discount=0.2)
    assert config.pricing.spot_price(0.096) == 0.0384
    assert config.pricing.control_plane_price_per_hour == 0.10
    assert config.budget.max_monthly_cost == 25000
    assert config.defaults_applied == ("addons aws-node (50m cpu) on every node (EKS defaults)",)
    assert str(config.location_of("nodePools[1].maxPods")) == f"{FULL}:40:5"


def test_full_example_is_valid_against_the_raw_schema() -> None:
    data = yaml.safe_load(FULL.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(config_schema()).iter_errors(data)) == []


@pytest.mark.parametrize("source", ["full", "defaults"])
def test_effective_configuration_round_trips(source: str) -> None:
    config = load_config(FULL) if source == "full" else build_config({}, source=None)
    data = config.to_dict()
    assert list(Draft202012Validator(config_schema()).iter_errors(data)) == []
    again = build_config(data, source=None)
    assert again == config
    assert again.defaults_applied == ()  # every default is now written out


def test_addons_for_a_pool_follow_taints_selectors_and_auto_mode() -> None:
    config = load_config(FULL)
    general, gpu = config.node_pools
    assert [a.name for a in config.addons_for(general)] == ["aws-node", "kube-proxy", "fluent-bit"]
    assert [a.name for a in config.addons_for(gpu)] == [
        "aws-node",
        "kube-proxy",
        "fluent-bit",
        "dcgm-exporter",
    ]
    auto = replace(general, node_style=NodeStyle.AUTO_MODE)
    assert [a.name for a in config.addons_for(auto)] == ["fluent-bit"]  # CNI and kube-proxy are built in
    tainted = replace(general, taints=(Taint("dedicated", "db", TaintEffect.NO_SCHEDULE),))
    assert [a.name for a in config.addons_for(tainted)] == ["aws-node", "kube-proxy", "fluent-bit"]
    untolerated = replace(config, addons=(replace(config.addons[3], node_selector={}),))
    assert config.addons_for(general) != untolerated.addons_for(tainted)
    assert untolerated.addons_for(tainted) == ()  # dcgm-exporter tolerates only the GPU taint


# --- defaults ------------------------------------------------------------------------------------


def test_without_a_file_every_default_applies_and_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.source is None
    assert config.region == DEFAULT_REGION == "us-east-1"
    assert config.zones == ("us-east-1a", "us-east-1b", "us-east-1c")
    assert config.node_pools == (DEFAULT_NODE_POOL,)
    assert DEFAULT_NODE_POOL.node_style is NodeStyle.MANAGED_NODE_GROUP
    assert DEFAULT_NODE_POOL.capacity_types == (CapacityType.ON_DEMAND,)
    assert DEFAULT_NODE_POOL.instances == DEFAULT_INSTANCE_FILTER
    assert config.fargate_profiles == () and config.subnets == ()
    assert config.addons == DEFAULT_ADDONS
    assert config.cni == CniSettings(CniMode.SECONDARY_IP, warm_eni_target=1, warm_prefix_target=1)
    assert (config.headroom_percent, config.tolerate_zone_loss, config.replicas) == (
        0,
        False,
        ReplicaMode.MAX,
    )
    assert config.pricing == PricingSettings()
    assert config.pricing.hours_per_month == 730 and config.pricing.spot_discount is None
    assert config.budget.max_monthly_cost is None
    assert [note.split(" ", 1)[0] for note in config.defaults_applied] == [
        "zones",
        "region",
        "nodePools:",
        "addons",
        "cni",
        "headroomPercent",
        "tolerateZoneLoss",
        "replicas",
        "pricing:",
    ]
    assert config.defaults_applied[1] == "region us-east-1 (default)"


def test_an_empty_file_means_all_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_text(tmp_path, monkeypatch, "# nothing set yet\n")
    assert config == build_config({}, source=None)
    assert config.source == "eks-plan.yaml" and len(config.defaults_applied) == 9


def test_eks_plan_yaml_in_the_current_directory_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "eks-plan.yaml").write_text("region: eu-west-1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.source == "eks-plan.yaml" and config.zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def test_zones_default_to_the_zones_of_the_subnets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_text(
        tmp_path,
        monkeypatch,
        "subnets:\n  - {zone: us-east-1d, cidr: 10.0.0.0/20}\n  - {zone: us-east-1b, cidr: 10.0.16.0/20}\n"
        "  - {zone: us-east-1f, cidr: 10.0.32.0/28, role: cluster}\n",
    )
    assert config.zones == ("us-east-1b", "us-east-1d")
    assert config.defaults_applied[0] == "zones us-east-1b, us-east-1d (default: the zones of the subnets)"


def test_removing_and_overriding_default_addons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_text(
        tmp_path,
        monkeypatch,
        "addons:\n  - {name: kube-proxy, enabled: false}\n  - {name: aws-node, requests: {cpu: 0.1, memory: 80Mi}}\n",
    )
    [aws_node] = config.addons
    assert dict(aws_node.requests) == {"cpu": "0.1", "memory": "80Mi"}
    assert aws_node.host_network and aws_node.tolerations == DEFAULT_ADDONS[0].tolerations
    assert not any(note.startswith("addons") for note in config.defaults_applied)
    assert {"name": "kube-proxy", "enabled": False} in config.to_dict()["addons"]


def test_schema_defaults_agree_with_the_model() -> None:
    schema = config_schema()
    top, defs = schema["properties"], schema["$defs"]
    assert top["region"]["default"] == DEFAULT_REGION
    assert top["headroomPercent"]["default"] == PlanConfig.__dataclass_fields__["headroom_percent"].default
    assert top["tolerateZoneLoss"]["default"] is PlanConfig.__dataclass_fields__["tolerate_zone_loss"].default
    assert top["replicas"]["default"] == ReplicaMode.MAX
    pool = defs["nodePool"]["properties"]
    assert pool["nodeStyle"]["default"] == NodePoolConfig("x").node_style == DEFAULT_NODE_POOL.node_style
    assert pool["capacityTypes"]["default"] == list(NodePoolConfig("x").capacity_types)
    assert pool["minNodes"]["default"] == NodePoolConfig("x").min_nodes
    cni = defs["cni"]["properties"]
    assert cni["mode"]["default"] == CniSettings().mode
    assert cni["warmEniTarget"]["default"] == CniSettings().warm_eni_target == 1
    assert cni["warmPrefixTarget"]["default"] == CniSettings().warm_prefix_target == 1
    assert cni["securityGroupsForPods"]["default"] is CniSettings().security_groups_for_pods
    assert set(cni["mode"]["enum"]) == {mode.value for mode in CniMode}
    assert set(pool["nodeStyle"]["enum"]) == {style.value for style in NodeStyle}
    pricing = defs["pricing"]["properties"]
    assert pricing["savingsPlanDiscount"]["default"] == PricingSettings().savings_plan_discount
    assert pricing["controlPlaneSupport"]["default"] == PricingSettings().control_plane_support
    assert pricing["hoursPerMonth"]["default"] == PricingSettings().hours_per_month
    assert defs["subnet"]["properties"]["role"]["default"] == SubnetRole.NODES
    addon = defs["addon"]["properties"]
    assert addon["namespace"]["default"] == DEFAULT_ADDONS[0].namespace
    assert addon["hostNetwork"]["default"] is False


# --- validation errors ---------------------------------------------------------------------------

ERROR_CASES = {
    "minimum": (
        "nodePools:\n  - name: web\n    minNodes: 1\n    maxNodes: -1\n",
        ["eks-plan.yaml:4:5: nodePools[0].maxNodes: -1 is less than the minimum of 0"],
    ),
    "did-you-mean-nested": (
        "region: eu-west-1\nnodePools:\n  - name: web\n    maxNode: 3\n",
        ["eks-plan.yaml:4:5: nodePools[0]: unknown key 'maxNode' (did you mean 'maxNodes'?)"],
    ),
    "did-you-mean-top-level": (
        "regoin: us-east-1\n",
        ["eks-plan.yaml:1:1: unknown top-level key 'regoin' (did you mean 'region'?)"],
    ),
    "unknown-key-without-close-match": (
        "cni:\n  bananas: 1\n",
        [
            "eks-plan.yaml:2:3: cni: unknown key 'bananas' (allowed keys: maxEni, minimumIpTarget, mode, "
            "securityGroupsForPods, warmEniTarget, warmIpTarget, warmPrefixTarget)"
        ],
    ),
    "enum-did-you-mean": (
        "nodePools:\n  - name: web\n    nodeStyle: managed-nodegroup\n    capacityTypes: [ondemand]\n",
        [
            "eks-plan.yaml:3:5: nodePools[0].nodeStyle: 'managed-nodegroup' is not one of managed-node-group, "
            "self-managed, auto-mode, karpenter, bottlerocket (did you mean 'managed-node-group'?)",
            "eks-plan.yaml:4:21: nodePools[0].capacityTypes[0]: 'ondemand' is not one of on-demand, spot "
            "(did you mean 'on-demand'?)",
        ],
    ),
    "string-instead-of-list": (
        "zones: us-east-1a\n",
        [
            "eks-plan.yaml:1:1: zones: 'us-east-1a' is a string, expected a list (write a list, e.g. [us-east-1a])"
        ],
    ),
    "yaml-boolean-label-and-missing-required": (
        "nodePools:\n  - name: web\n    labels: {enabled: yes}\n    taints: [{key: a}]\n",
        [
            "eks-plan.yaml:3:14: nodePools[0].labels.enabled: true is a boolean, expected a string "
            "(quote the value: YAML reads unquoted yes/no/on/off/true/false as booleans)",
            "eks-plan.yaml:4:14: nodePools[0].taints[0]: missing required key 'effect'",
        ],
    ),
    "region-pattern": (
        "region: us_east_1\n",
        ["eks-plan.yaml:1:1: region: 'us_east_1' is not an AWS region name such as us-east-1"],
    ),
    "quantity-and-resource-name": (
        'addons:\n  - name: x\n    requests: {cpu: 12x, "Bad Key": 1}\n',
        [
            "eks-plan.yaml:3:16: addons[0].requests.cpu: '12x' is not a Kubernetes quantity such as 100m, 0.5, "
            "128Mi or 1Gi",
            "eks-plan.yaml:3:26: addons[0].requests: key 'Bad Key' is not a resource name such as cpu, memory or "
            "nvidia.com/gpu",
        ],
    ),
    "too-many-fargate-selectors": (
        "fargateProfiles:\n  - name: f\n    selectors: [{namespace: a}, {namespace: b}, {namespace: c}, "
        "{namespace: d}, {namespace: e}, {namespace: f}]\n",
        ["eks-plan.yaml:3:5: fargateProfiles[0].selectors: has 6 items; at most 5 allowed"],
    ),
    "zone-not-in-region": (
        "region: us-east-1\nzones: [us-east-1a, us-west-2a]\n",
        [
            "eks-plan.yaml:2:21: zones[1]: zone us-west-2a is not in region us-east-1 "
            "(zones of us-east-1 are named us-east-1a, us-east-1b, ...)"
        ],
    ),
    "pool-rules": (
        "nodePools:\n  - name: web\n    minNodes: 5\n    maxNodes: 2\n    capacityTypes: [spot]\n"
        "    zones: [us-east-1d]\n    labels: {kubernetes.io/arch: amd64}\n"
        "    instances: {vcpus: {min: 8, max: 4}}\n  - name: web\n",
        [
            "eks-plan.yaml:3:5: nodePools[0].minNodes: minNodes 5 is more than maxNodes 2",
            "eks-plan.yaml:5:5: nodePools[0].capacityTypes: spot capacity needs a spot price, and none is "
            "configured (set pricing.spotDiscount (e.g. 0.6 for 60% off on-demand) or pricing.spotPriceFile)",
            "eks-plan.yaml:6:13: nodePools[0].zones[0]: zone us-east-1d is not one of the plan's zones "
            "(us-east-1a, us-east-1b, us-east-1c) (add it to the top-level zones or remove it from the pool)",
            "eks-plan.yaml:7:14: nodePools[0].labels[\"kubernetes.io/arch\"]: 'kubernetes.io/arch' is set on "
            "every node by kubelet, EKS or Karpenter and cannot be a pool label (choose instance types with the "
            "pool's instances filter instead)",
            "eks-plan.yaml:8:25: nodePools[0].instances.vcpus.min: min 8 to 4 is empty: min is more than max",
            "eks-plan.yaml:9:5: nodePools[1].name: pool name 'web' is already used by nodePools[0]",
        ],
    ),
    "subnets": (
        "cni: {mode: prefix-delegation}\nsubnets:\n"
        "  - {zone: us-east-1a, cidr: 10.0.0.0/19}\n"
        "  - {zone: us-east-1b, cidr: 10.0.16.0/20}\n"
        "  - {zone: us-west-2a, cidr: 10.1.0.5/24}\n"
        "  - {zone: us-east-1c, cidr: 10.2.0.0/29}\n"
        "  - {zone: us-east-1c, cidr: 10.3.0.0/27}\n"
        "  - {zone: us-east-1c, cidr: 10.4.0.0/24, role: pods}\n"
        "  - {zone: us-east-1c, cidr: fe80::/64}\n",
        [
            "eks-plan.yaml:4:24: subnets[1].cidr: 10.0.16.0/20 overlaps subnets[0].cidr 10.0.0.0/19 at line 3 "
            "(subnets of one VPC never overlap; fix one of the two CIDR blocks)",
            "eks-plan.yaml:5:6: subnets[2].zone: zone us-west-2a is not in region us-east-1",
            "eks-plan.yaml:5:24: subnets[2].cidr: '10.1.0.5/24' has host bits set (did you mean 10.1.0.0/24?)",
            "eks-plan.yaml:6:24: subnets[3].cidr: 10.2.0.0/29 is a /29; AWS subnets are /16 to /28",
            "eks-plan.yaml:7:24: subnets[4].cidr: 10.3.0.0/27 cannot hold a single /28 prefix under prefix "
            "delegation (its first and last /28 hold the addresses AWS reserves) (use a /26 or larger subnet for "
            "prefix delegation)",
            "eks-plan.yaml:8:43: subnets[5].role: pods subnets hold pod IPs only under custom networking, and "
            "cni.mode is prefix-delegation (set cni.mode: custom-networking, or give this subnet role: nodes)",
            "eks-plan.yaml:9:24: subnets[6].cidr: 'fe80::/64' is IPv6; give the subnet's IPv4 CIDR block (in IPv6 "
            "clusters nodes still take one IPv4 address from the subnet's IPv4 block)",
        ],
    ),
    "subnet-zone-outside-the-plan": (
        "zones: [us-east-1a]\nsubnets:\n  - {zone: us-east-1b, cidr: 10.0.0.0/20}\n",
        [
            "eks-plan.yaml:3:6: subnets[0].zone: zone us-east-1b is not one of the plan's zones (us-east-1a) "
            "(add it to zones, or give the subnet role: cluster if it only holds control-plane ENIs)"
        ],
    ),
    "ipv6-limits": (
        "cni: {mode: ipv6, securityGroupsForPods: true, warmIpTarget: 5}\n",
        [
            "eks-plan.yaml:1:19: cni.securityGroupsForPods: security groups for pods are not supported in IPv6 "
            "clusters (set securityGroupsForPods: false or use an IPv4 mode)",
            "eks-plan.yaml:1:48: cni.warmIpTarget: warmIpTarget is not supported in IPv6 clusters (each node gets "
            "a /80 prefix) (remove warmIpTarget)",
        ],
    ),
    "prefix-target-zero": (
        "cni: {mode: prefix-delegation, warmPrefixTarget: 0}\n",
        [
            "eks-plan.yaml:1:32: cni.warmPrefixTarget: warmPrefixTarget 0 needs warmIpTarget or minimumIpTarget "
            "above 0 under prefix delegation (keep the VPC CNI default warmPrefixTarget: 1, or set minimumIpTarget)"
        ],
    ),
    "custom-networking-needs-pod-subnets": (
        "cni: {mode: custom-networking}\nsubnets:\n  - {zone: us-east-1a, cidr: 10.0.0.0/19}\n"
        "  - {zone: us-east-1b, cidr: 10.0.32.0/19}\n  - {zone: us-east-1a, cidr: 100.64.0.0/16, role: pods}\n",
        [
            "eks-plan.yaml:1:7: cni.mode: custom networking takes pod IPs from pods subnets, and zone us-east-1b "
            "has none (add a subnet with zone: us-east-1b and role: pods (e.g. from a 100.64.0.0/10 secondary CIDR))"
        ],
    ),
    "spot-pricing": (
        "pricing: {spotDiscount: 0.5, spotPriceFile: nope.json}\n",
        [
            "eks-plan.yaml:1:30: pricing.spotPriceFile: give spotDiscount or spotPriceFile, not both "
            "(remove one of the two)",
            "eks-plan.yaml:1:30: pricing.spotPriceFile: the spot price file nope.json does not exist "
            "(a relative path is read from the folder of the configuration file)",
        ],
    ),
    "duplicate-addon": (
        "addons: [{name: x}, {name: x}]\n",
        ["eks-plan.yaml:1:22: addons[1].name: add-on 'x' is listed twice"],
    ),
    "two-documents": (
        "region: us-east-1\n---\nregion: us-east-2\n",
        [
            "eks-plan.yaml:3:1: the file holds 2 YAML documents; a plan configuration is one document "
            "(remove the '---' separators and merge the documents)"
        ],
    ),
    "not-a-mapping": (
        "- region\n",
        [
            "eks-plan.yaml:1:1: the plan configuration must be a mapping of keys (region:, nodePools:, ...), "
            "not a list (see `eks-plan schema` for the keys)"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_validation_errors_name_file_line_and_key_path(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, expected = ERROR_CASES[case]
    assert error_lines(tmp_path, monkeypatch, text) == expected


def test_malformed_yaml_names_the_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [line] = error_lines(tmp_path, monkeypatch, "region: [us-east-1\n")
    assert line.startswith("eks-plan.yaml:2:1: malformed YAML: ")


def test_a_missing_explicit_file_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        load_config("plans/prod.yaml")
    assert str(caught.value).startswith("plans/prod.yaml: the plan configuration file does not exist")


def test_custom_networking_with_pod_subnets_in_every_zone_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_text(
        tmp_path,
        monkeypatch,
        "cni: {mode: custom-networking-prefix}\nsubnets:\n  - {zone: us-east-1a, cidr: 10.0.0.0/24}\n"
        "  - {zone: us-east-1a, cidr: 100.64.0.0/18, role: pods}\n",
    )
    assert config.cni.custom_networking and config.cni.prefix_delegation
    assert config.zones == ("us-east-1a",)
    ipamd = config.cni
    assert ipamd.mode is CniMode.CUSTOM_NETWORKING_PREFIX and ipamd.warm_prefix_target == 1


def test_prefix_capacity_follows_the_reserved_first_and_last_prefix() -> None:
    # DOMAIN.md §3.4: an empty /n holds 2^(28-n) - 2 prefixes.
    assert [prefix_capacity(n) for n in (19, 20, 24, 26, 27, 28)] == [510, 254, 14, 2, 0, 0]


# --- zones against the catalogue, and overrides ----------------------------------------------------


def test_validate_zones_against_known_zones() -> None:
    config = build_config({"region": "us-west-1"}, source=None)
    with pytest.raises(InputError) as caught:
        validate_zones(config, ["us-west-1b", "us-west-1c", "us-east-1a"])
    assert (
        str(caught.value)
        == "zones[0]: zone us-west-1a is not in region us-west-1 (zones of us-west-1: us-west-1b, us-west-1c)"
    )
    fixed = config.with_overrides(zones=("us-west-1b", "us-west-1c"))
    validate_zones(fixed, ["us-west-1b", "us-west-1c"])  # no error


def test_overrides_replace_values_and_are_checked_again() -> None:
    config = load_config(FULL)
    moved = config.with_overrides(headroom_percent=25.0, replicas=ReplicaMode.DECLARED)
    assert (moved.headroom_percent, moved.replicas, moved.node_pools) == (
        25.0,
        ReplicaMode.DECLARED,
        config.node_pools,
    )
    with pytest.raises(InputError) as caught:
        config.with_overrides(zones=("us-east-1a", "eu-west-1a"))
    first = str(caught.value).splitlines()[0]
    assert first.startswith("zones[1]: zone eu-west-1a is not in region us-east-1")
    with pytest.raises(TypeError):
        config.with_overrides(regoin="eu-west-1")


def test_a_region_override_rederives_default_zones_and_notes() -> None:
    config = build_config({}, source=None)
    moved = config.with_overrides(region="eu-central-1", headroom_percent=10.0)
    assert moved.zones == ("eu-central-1a", "eu-central-1b", "eu-central-1c")
    assert moved.defaults_applied[0].startswith("zones eu-central-1a, eu-central-1b, eu-central-1c (default")
    assert not any(note.startswith(("region", "headroomPercent")) for note in moved.defaults_applied)


def test_default_zones_pass_the_catalogue_check_in_every_region() -> None:
    """What ``size_cluster`` does (load, then ``validate_zones`` with the catalogue's zones) works for
    a file naming only the region, in every region the catalogue knows: regions without an ``a``/``c``
    zone (us-west-1, ap-northeast-1) and regions whose zones it does not list (GovCloud, China)."""
    from eks_plan.catalog import load_catalog

    catalog = load_catalog()
    for region in catalog.regions():
        config = build_config({"region": region}, source=None)
        validate_zones(config, catalog.zones(region))
        known = catalog.zones(region)
        assert set(config.zones) <= set(known) if known else config.zones[0] == f"{region}a"
    assert build_config({"region": "us-west-1"}, source=None).zones == catalog.zones("us-west-1")
    tokyo = build_config({"region": "ap-northeast-1"}, source=None)
    assert tokyo.zones == ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
    assert tokyo.defaults_applied[0] == (
        "zones ap-northeast-1a, ap-northeast-1c, ap-northeast-1d (default: the first three zones of ap-northeast-1)"
    )
    assert build_config({"region": "us-west-1"}, source=None).defaults_applied[0] == (
        "zones us-west-1a, us-west-1b (default: the 2 zones of us-west-1)"
    )
    assert build_config({"region": "cn-north-1"}, source=None).defaults_applied[0] == (
        "zones cn-north-1a, cn-north-1b, cn-north-1c (default: the catalogue lists no zones of cn-north-1)"
    )


def test_zones_of_a_region_the_catalogue_lists_none_of_are_checked_by_name() -> None:
    from eks_plan.catalog import load_catalog

    assert load_catalog().zones("us-gov-east-1") == ()
    config = build_config(
        {"region": "us-gov-east-1", "zones": ["us-gov-east-1a", "us-gov-east-1b"]}, source=None
    )
    validate_zones(config, load_catalog().zones("us-gov-east-1"))  # no error
    wrong = replace(config, zones=("us-gov-east-1a", "us-gov-west-1b"))  # unchecked, as code may build it
    with pytest.raises(InputError) as caught:
        validate_zones(wrong, ())
    assert str(caught.value) == (
        "zones[1]: zone us-gov-west-1b is not in region us-gov-east-1 "
        "(zones of us-gov-east-1 are named us-gov-east-1a, us-gov-east-1b, ...)"
    )


def test_a_region_override_takes_the_catalogues_zones() -> None:
    moved = build_config({}, source=None).with_overrides(region="ap-northeast-1")
    assert moved.zones == ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
    assert moved.defaults_applied[0].endswith("(default: the first three zones of ap-northeast-1)")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"headroom_percent": -20.0}, "headroomPercent: -20 is less than the minimum of 0"),
        ({"headroom_percent": 95.0}, "headroomPercent: 95 is greater than the maximum of 90"),
        ({"zones": ("us-east-1a", "US-EAST-1B")}, "zones[1]: 'US-EAST-1B' is not an availability zone name"),
        ({"region": "Europe"}, "region: 'Europe' is not an AWS region name such as us-east-1"),
    ],
)
def test_overrides_meet_the_schemas_rules(changes: dict, message: str) -> None:
    config = load_config(FULL)
    with pytest.raises(InputError) as caught:
        config.with_overrides(**changes)
    first = str(caught.value).splitlines()[0]
    assert first.startswith(message)
    assert first.endswith("(the value comes from a command-line flag)")
    assert caught.value.location is None  # not the file's line: the file did not set it


def test_overrides_inside_sections_meet_the_schemas_rules() -> None:
    config = load_config(FULL)
    with pytest.raises(InputError) as caught:
        config.with_overrides(pricing=replace(config.pricing, savings_plan_discount=1.0))
    assert str(caught.value).startswith(
        "pricing.savingsPlanDiscount: 1 is greater than or equal to the maximum of 1"
    )
    assert (
        config.with_overrides(headroom_percent=90.0).headroom_percent == 90.0
    )  # the bound itself is allowed


# --- instance filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "specs", "reason"),
    [
        ("m7i.large", {"vcpus": 2, "memory_mib": 8192, "arch": "amd64"}, None),
        ("c7g.4xlarge", {"vcpus": 16, "memory_mib": 32768, "arch": "arm64"}, None),
        (
            "m7i-flex.large",
            {"vcpus": 2, "memory_mib": 8192, "arch": "amd64"},
            "instance type 'm7i-flex.large' is excluded",
        ),
        ("m5.large", {"vcpus": 2, "memory_mib": 8192, "arch": "amd64"}, "generation 5 is not at least 6"),
        ("c7g.medium", {"vcpus": 1, "memory_mib": 2048, "arch": "arm64"}, "1 vCPUs is not 2 to 16"),
        (
            "g6.xlarge",
            {"vcpus": 4, "memory_mib": 16384, "arch": "amd64", "gpus": 1},
            "category 'g' is not one of c, m, r",
        ),
        ("m7i.metal-24xl", {"vcpus": 96, "memory_mib": 393216, "arch": "amd64"}, "96 vCPUs is not 2 to 16"),
    ],
)
def test_instance_filter_names_the_criterion_that_rejects(
    instance_type: str, specs: dict, reason: str | None
) -> None:
    general = load_config(FULL).node_pools[0]
    assert general.instances.rejection(instance_type, **specs) == reason
    assert general.instances.accepts(instance_type, **specs) is (reason is None)


def test_instance_filter_globs_memory_and_gpus() -> None:
    from eks_plan.config import InstanceFilter

    gpu_only = InstanceFilter(families=("g5", "g6*"), gpus=Range(1, None), memory_gib=Range(4, 64))
    assert gpu_only.accepts("g6e.xlarge", vcpus=4, memory_mib=32768, arch="amd64", gpus=1)
    assert gpu_only.rejection("p5.48xlarge", vcpus=192, memory_mib=2097152, arch="amd64", gpus=8) == (
        "family 'p5' is not one of g5, g6*"
    )
    assert gpu_only.rejection("g5.16xlarge", vcpus=64, memory_mib=262144, arch="amd64", gpus=1) == (
        "256 GiB memory is not 4 to 64 GiB"
    )
    assert (
        gpu_only.rejection("g5.xlarge", vcpus=4, memory_mib=16384, arch="amd64") == "0 GPUs is not at least 1"
    )
    named = InstanceFilter(instance_types=("m7i.large", "c7g.*"))
    assert named.accepts("c7g.2xlarge", vcpus=8, memory_mib=16384, arch="arm64")
    assert named.rejection("m7i.xlarge", vcpus=4, memory_mib=16384, arch="amd64") == (
        "instance type 'm7i.xlarge' is not in instanceTypes"
    )
