"""Subnet IP addresses under the Amazon VPC CNI: per-node math, subnet accounting, peak scenarios.

- :mod:`eks_plan.network.ipamd`: the addresses one node holds for its pods, as ipamd behaves.
- :mod:`eks_plan.network.subnets`: usable addresses, aligned free /28 blocks, one subnet's verdict.
- :mod:`eks_plan.network.check`: the cluster at steady state and at peak, and recommendations.
- :mod:`eks_plan.network.plan_input`: reading ``eks-plan size --plan-out`` into that model.
"""
