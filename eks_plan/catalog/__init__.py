"""The instance catalogue: EC2 instance types, their offerings and prices, and EKS node math.

- :func:`load_catalog` -> :class:`Catalog` of :class:`InstanceType` (bundled ``data/catalog.json``)
- :mod:`eks_plan.catalog.capacity`: max pods in every VPC CNI mode, kube-reserved, allocatable
- :mod:`eks_plan.catalog.labels`: the labels a node of a type carries
- :mod:`eks_plan.catalog.pricing`: on-demand, spot and savings-plan prices; control-plane fee
- :mod:`eks_plan.catalog.fargate`: Fargate billed sizes and prices
"""

from eks_plan.catalog.instance_type import InstanceType, OfferingFacts
from eks_plan.catalog.store import Catalog, load_catalog, load_catalog_file

__all__ = ["Catalog", "InstanceType", "OfferingFacts", "load_catalog", "load_catalog_file"]
