"""EBS volumes in the plan: which volumes are EBS, how many a node can attach (the EBS CSI driver's
count), zonal binding under zone loss, and what the volumes cost.

Modules: :mod:`~eks_plan.storage.model` (the objects), :mod:`~eks_plan.storage.manifests` (reading
them), :mod:`~eks_plan.storage.volumes` (per workload: which volumes, EBS or not, sizes),
:mod:`~eks_plan.storage.attach` (attachable-volume counts per node), :mod:`~eks_plan.storage.pricing`
(dollars per month).
"""
