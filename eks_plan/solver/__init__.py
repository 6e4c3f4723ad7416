"""The solver: cost-optimal nodes and pod placement, a proven lower bound, and a verifier.

Public API::

    solve(problem, options=SolveOptions(), observer=NullObserver()) -> Plan
    SolveOptions(cancel=CancelToken()); token.cancel() from another thread -> solve raises Cancelled
    verify.verify_plan(problem, plan) -> list[Violation]

:mod:`eks_plan.solver.solve` explains the design. OR-Tools is imported only inside the solving
functions, so importing this package stays cheap.
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
