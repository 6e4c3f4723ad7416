"""The solver: cost-optimal nodes and pod placement, a proven lower bound, and a verifier.

Public API::

    solve(problem, options=SolveOptions(), observer=NullObserver()) -> Plan
    SolveOptions(cancel=CancelToken()); token.cancel() from another thread -> solve raises Cancelled
    verify.verify_plan(problem, plan) -> list[Violation]

:mod:`eks_plan.solver.solve` explains the design. OR-Tools is imported only inside the solving
functions, so importing this package stays cheap.

Glossary (the types a reader meets, by stage)::

    Input (problem.py)
      Problem            what to plan: pod groups, node options, zones, pools (built by
                         eks_plan.planning.build_loaded_cluster from manifests and config)
      PodGroup           ``count`` interchangeable replicas of one workload (key Kind/ns/name)
      NodeOption         one kind of node the plan may buy: instance type x zone x capacity type
                         x pool, with its allocatable and DaemonSet overhead
      NodePool           a pool and its bounds on the node count
    Compiled (compat.py)
      CompiledProblem    the problem as arrays and relations, indexed by group g, option o,
                         option class c, zone z, resource r (``compile_problem(problem)``)
      OptionClass        the node options that differ only in zone (one instance type of one
                         pool and capacity type); ``class_index`` is its index ``c``
      Spread             one topology spread constraint over group indices
    Being searched (bound.py, model.py, solve.py)
      PodsPerClass       ``counts[g][c]``: pods of group g on option class c, zones not chosen
      LpResult           the LP relaxation: its proven bound, duals and fractional pod counts
    Being packed (packing.py, lns.py, patterns.py)
      Node               a node being filled by the first-fit packer (option, zone, free, pods)
      Portion            pods of one group waiting to be packed onto one class (and zone)
      LnsNode            a node of the plan the neighbourhood search improves
      Pattern            one whole node (option and pods per group) in column generation
    Final (plan.py)
      Plan               the solver's result: PlannedNodes, Unschedulable pods, the bound
      PlannedNode        one node to run: a NodeOption and pods per group key
      Unschedulable      pods left Pending, with coded UnplacedReasons
    After the solver (outside this package)
      LoadedCluster      eks_plan.planning: the Problem plus what the report needs
      SizeResult         eks_plan.planning.size_cluster: Plan + LoadedCluster + warnings
      PlanDocument       eks_plan.plan: the typed plan file, built from Plan + LoadedCluster;
                         report.size.plan_file_data is its dict
"""

from eks_plan.solver.budget import Cancelled, CancelToken
from eks_plan.solver.plan import NullObserver, Plan, PlannedNode, SolveObserver, Unschedulable
from eks_plan.solver.problem import NodeOption, NodePool, PodGroup, Problem, SolveOptions
from eks_plan.solver.solve import SolverBug, solve

__all__ = [
    "CancelToken",
    "Cancelled",
    "NodeOption",
    "NodePool",
    "NullObserver",
    "Plan",
    "PlannedNode",
    "PodGroup",
    "Problem",
    "SolveObserver",
    "SolveOptions",
    "SolverBug",
    "Unschedulable",
    "solve",
]
