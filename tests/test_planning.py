"""The planning layer: which nodes may be bought, and what DaemonSets take from each."""

from __future__ import annotations

from builders import make_pod

from eks_plan.catalog import load_catalog
from eks_plan.catalog.capacity import NodeSettings, NodeStyle
from eks_plan.catalog.pricing import PriceSettings, Pricing
from eks_plan.config import load_config
from eks_plan.config.model import (
    CapacityType,
    InstanceFilter,
    NodePoolConfig,
    PricingSettings,
    replace,
)
from eks_plan.planning import (
    DaemonSetLoad,
    build_node_options,
    default_addon_loads,
    node_options_for_config,
    node_settings,
)
from eks_plan.scheduling import Taint, TaintEffect, Toleration, TolerationOperator
from eks_plan.scheduling import labels as well_known

GPU_TAINT = Taint("nvidia.com/gpu", "true", TaintEffect.NO_SCHEDULE)


def _options(names, **kwargs):
    catalog = load_catalog()
    defaults = {
        "pool": "p",
        "region": "us-east-1",
        "zones": ("us-east-1a", "us-east-1b"),
        "capacity_types": ("on-demand",),
        "settings": NodeSettings(),
        "pricing": Pricing(PriceSettings(region="us-east-1"), catalog),
    }
    defaults.update(kwargs)
    return build_node_options([catalog.lookup(name) for name in names], **defaults)


def test_each_type_is_offered_per_zone_and_capacity_type_with_its_price_and_allocatable():
    catalog = load_catalog()
    pricing = Pricing(PriceSettings(region="us-east-1", spot_discount=0.5), catalog)
    options = _options(["m5.large", "c6g.16xlarge"], capacity_types=("on-demand", "spot"), pricing=pricing)
    assert len(options) == 2 * 2 * 2
    m5 = {(o.zone, o.capacity_type): o for o in options if o.instance_type == "m5.large"}
    # DOMAIN.md §7: m5.large allocatable 1930m / 6903Mi (Karpenter memory model) / 29 pods, $0.096/h.
    on_demand = m5[("us-east-1a", "on-demand")]
    assert on_demand.allocatable["cpu"] == 1930
    assert on_demand.allocatable["memory"] == 6903 * 2**20
    assert on_demand.allocatable["pods"] == 29
    assert on_demand.price_per_hour == 0.096
    assert m5[("us-east-1b", "spot")].price_per_hour == 0.048
    assert on_demand.labels[well_known.ZONE] == "us-east-1a"
    assert m5[("us-east-1b", "spot")].labels[well_known.CAPACITY_TYPE] == "spot"


def test_daemonset_overhead_counts_only_daemonsets_that_select_and_tolerate_the_node():
    everywhere = DaemonSetLoad(
        "DaemonSet/logging/agent",
        make_pod(
            "agent", cpu="100m", memory="128Mi", tolerations=(Toleration(operator=TolerationOperator.EXISTS),)
        ),
    )
    untainted_only = DaemonSetLoad(
        "DaemonSet/monitoring/exporter", make_pod("exporter", cpu="50m", memory="64Mi")
    )
    arm_only = DaemonSetLoad(
        "DaemonSet/kube-system/arm-agent",
        make_pod("arm-agent", cpu="30m", memory="10Mi", node_selector={well_known.ARCH: "arm64"}),
    )
    daemonsets = (everywhere, untainted_only, arm_only)

    plain = _options(["m5.large"], daemonsets=daemonsets)[0]
    assert plain.daemonset_overhead["cpu"] == 150
    assert plain.daemonset_overhead["memory"] == (128 + 64) * 2**20
    assert plain.daemonset_overhead["pods"] == 2

    tainted = _options(["m5.large"], daemonsets=daemonsets, taints=(GPU_TAINT,))[0]
    assert tainted.daemonset_overhead["cpu"] == 100
    assert tainted.daemonset_overhead["pods"] == 1

    graviton = _options(["m7g.large"], daemonsets=daemonsets)[0]
    assert graviton.daemonset_overhead["cpu"] == 180


def test_default_config_uses_the_eks_addons_and_managed_node_group_max_pods():
    config = load_config(None)
    options = node_options_for_config(config, load_catalog(), daemonsets=default_addon_loads(config))
    by_type = {o.instance_type: o for o in options if o.zone == config.zones[0]}
    # aws-node 50m + kube-proxy 100m, both hostNetwork: two pod slots, no memory.
    assert by_type["m5.large"].daemonset_overhead == {"cpu": 150, "pods": 2}
    # A managed node group caps max pods at 250 above 30 vCPUs (DOMAIN.md §1.3), m5.24xlarge has 737 by ENIs,
    # and kube-reserved memory still follows the ENI value (11 x 737 + 255 = 8362Mi, DOMAIN.md §2.2).
    big = by_type["m5.24xlarge"]
    assert big.allocatable["pods"] == 250
    assert big.allocatable["memory"] == 355262 * 2**20
    # The default pool is Karpenter's default NodePool filter: c, m, r of generation 3 or later, amd64.
    # (a managed node group's nodes carry no karpenter.k8s.aws/* labels: read the catalogue)
    types = {o.instance_type: load_catalog().lookup(o.instance_type) for o in options}
    assert all(t.category in {"c", "m", "r"} for t in types.values())
    assert all(o.labels[well_known.ARCH] == "amd64" for o in options)
    assert all((t.generation or 0) >= 3 for t in types.values())
    assert "m3.medium" in by_type and "t3.large" not in by_type and "m7g.large" not in by_type
    assert by_type["m5.large"].labels[well_known.NODEGROUP] == "default"


def test_pool_taints_labels_and_node_style_reach_the_options():
    config = load_config(None)
    gpu_pool = NodePoolConfig(
        name="gpu",
        node_style=NodeStyle.KARPENTER,
        instances=InstanceFilter(families=("g5",)),
        capacity_types=(CapacityType.ON_DEMAND,),
        labels={"workload": "inference"},
        taints=(GPU_TAINT,),
    )
    config = replace(config, node_pools=(gpu_pool,))
    options = node_options_for_config(config, load_catalog(), daemonsets=default_addon_loads(config))
    assert options and {o.instance_type.split(".")[0] for o in options} == {"g5"}
    g5 = next(o for o in options if o.instance_type == "g5.xlarge")
    assert g5.taints == (GPU_TAINT,)
    assert g5.labels["workload"] == "inference"
    assert g5.labels[well_known.NODEPOOL] == "gpu"
    assert g5.allocatable["nvidia.com/gpu"] == 1
    # aws-node and kube-proxy tolerate every taint, so they run on GPU nodes too.
    assert g5.daemonset_overhead["cpu"] == 150
    assert node_settings(gpu_pool, config.cni).node_style is NodeStyle.KARPENTER


def test_spot_without_a_discount_or_price_file_offers_no_spot_nodes():
    config = load_config(None)
    pool = replace(config.node_pools[0], capacity_types=(CapacityType.SPOT,))
    config = replace(config, node_pools=(pool,), pricing=PricingSettings())
    assert node_options_for_config(config, load_catalog()) == ()
