"""``eks-plan explore``: a what-if session over one cluster's manifests (the library side).

:class:`~eks_plan.explore.session.Session` holds the knobs, the plans solved and their comparison;
:mod:`eks_plan.explore.knobs` defines the knobs; :mod:`eks_plan.explore.text` says it all as plain
text for the line mode. The Textual screen lives in :mod:`eks_plan.explore.tui` and is imported only
by the ``explore`` command when it runs in a terminal.
"""
