"""Subnet IP addresses under the Amazon VPC CNI: per-node math, subnet accounting, peak scenarios.

- :mod:`eks_plan.network.ipamd`: the addresses one node holds for its pods, as ipamd behaves.
- :mod:`eks_plan.network.subnets`: usable addresses, aligned free /28 blocks, one subnet's verdict.
- :mod:`eks_plan.network.cluster`: the cluster as address facts (workloads, nodes, Fargate pods).
- :mod:`eks_plan.network.scenarios`: steady state and peaks, and the addresses each takes per subnet.
- :mod:`eks_plan.network.recommendations`: subnet sizes and CNI settings that need fewer addresses.
- :mod:`eks_plan.network.check`: runs the three (:func:`~eks_plan.network.check.check_ips`).
- :mod:`eks_plan.network.run`: ``eks-plan check-ips`` as one call, from a plan, a file or flags.
- :mod:`eks_plan.network.plan_input`: reading ``eks-plan size --plan-out`` into that model.
"""
