"""The plan configuration ``eks-plan.yaml``: its JSON Schema, loader, typed model and defaults.

>>> config = build_config({"region": "eu-west-1"}, source=None)
>>> config.region, config.zones, [pool.name for pool in config.node_pools]
('eu-west-1', ('eu-west-1a', 'eu-west-1b', 'eu-west-1c'), ['default'])
"""

from eks_plan.catalog.capacity import CniMode, NodeStyle
from eks_plan.catalog.pricing import SupportTier
from eks_plan.config.checks import validate_zones, zone_in_region
from eks_plan.config.defaults import (
    DEFAULT_ADDONS,
    DEFAULT_CONFIG_NAMES,
    DEFAULT_INSTANCE_FILTER,
    DEFAULT_NODE_POOL,
    DEFAULT_REGION,
    default_zones,
)
from eks_plan.config.loader import (
    ConfigError,
    build_config,
    config_schema,
    find_config_file,
    format_key_path,
    load_config,
)
from eks_plan.config.model import (
    AddonDaemonSet,
    BudgetSettings,
    CapacityType,
    CniSettings,
    FargateProfile,
    FargateSelector,
    InstanceFilter,
    LintSettings,
    NodePoolConfig,
    PlanConfig,
    PricingSettings,
    Range,
    ReplicaMode,
    replace,
)
from eks_plan.network.subnets import SubnetRole

__all__ = [
    "DEFAULT_ADDONS",
    "DEFAULT_CONFIG_NAMES",
    "DEFAULT_INSTANCE_FILTER",
    "DEFAULT_NODE_POOL",
    "DEFAULT_REGION",
    "AddonDaemonSet",
    "BudgetSettings",
    "CapacityType",
    "CniMode",
    "CniSettings",
    "ConfigError",
    "FargateProfile",
    "FargateSelector",
    "InstanceFilter",
    "LintSettings",
    "NodePoolConfig",
    "NodeStyle",
    "PlanConfig",
    "PricingSettings",
    "Range",
    "ReplicaMode",
    "SubnetRole",
    "SupportTier",
    "build_config",
    "config_schema",
    "default_zones",
    "find_config_file",
    "format_key_path",
    "load_config",
    "replace",
    "validate_zones",
    "zone_in_region",
]
