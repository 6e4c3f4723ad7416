"""The documented caps on how much one run of eks-plan sizes or checks.

Every phase works on groups of identical pods (a workload's replicas are one group, placed and
counted in bulk), but a plan is still written node by node and the packing, the verifier and the
address check visit every node. These caps keep every command within seconds and a few hundred MB
on any input; each is checked before the work starts, and going past one is an input error (exit
code 2) that names the file and line, or the flag, that asked for it. The README states them.

They sit above Kubernetes' own documented scalability limits ("Considerations for large clusters",
kubernetes.io/docs/setup/best-practices/cluster-large/: at most 5,000 nodes, 150,000 pods and
110 pods per node), so no real cluster is refused.
"""

from __future__ import annotations

#: The most pods one plan places or one address check counts in a scenario (replicas, HPA max,
#: surge and Fargate pods, summed over workloads).
MAX_PODS = 200_000

#: The most workloads (groups of identical pods) one plan places: the solver's tables hold a row per
#: workload and a column per node option (about 2,000 over the default pools), so memory and time
#: grow with their product. The solver benchmark's largest case has 3,000.
MAX_WORKLOADS = 5_000

#: The most nodes one plan may need (by a lower bound computed before solving), and the most one
#: address check starts from (a plan's nodes, ``--nodes`` counts, or a pool's max size).
MAX_NODES = 5_000
