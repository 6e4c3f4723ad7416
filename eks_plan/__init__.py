"""eks-plan: plan Amazon EKS clusters from Kubernetes manifests.

The package is a library first; :mod:`eks_plan.cli` is a thin Typer layer over it. Data flows one way:
``manifests`` and ``catalog`` in, a ``solver`` in the middle, ``report`` out.
"""

__version__ = "0.1.0"
