"""The rule modules, one per group; importing this package registers every rule in code order.

=====  ==========  ===========================================================================
codes  group       what the rules look at
=====  ==========  ===========================================================================
EKP0   input       files that do not parse or that Kubernetes would refuse
EKP1   requests    container requests and limits, HPAs, priority and runtime classes
EKP2   placement   selectors, affinity, spread, host ports and resources against the pools
EKP3   resilience  zone spread and disruption budgets
EKP4   plan        the solved plan: unplaceable pods, subnet addresses, cost (runs the solver)
EKP9   meta        the suppressions themselves
=====  ==========  ===========================================================================
"""

from eks_plan.lint.rules import input, meta, placement, plan, requests, resilience  # noqa: F401
