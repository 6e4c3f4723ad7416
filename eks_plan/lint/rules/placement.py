"""Placement rules (EKP2xx): scheduling rules checked against the node pools of eks-plan.yaml.

These read the kinds of node the pools may buy (instance type x zone x capacity type, with the
pool's labels and taints) as the solver sees them (:attr:`LintContext.node_options`), and answer
kube-scheduler's filters one by one: node selector and required node affinity (NodeAffinity
plugin), taints (TaintToleration), required pod anti-affinity (InterPodAffinity).
"""

from __future__ import annotations

from collections.abc import Iterator

from eks_plan.errors import SourceLocation
from eks_plan.lint.context import LintContext
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Problem, rule
from eks_plan.lint.rules.input import context_load_problems
from eks_plan.lint.rules.requests import _request_location
from eks_plan.manifests.model import Workload
from eks_plan.resources import PODS
from eks_plan.scheduling import labels as well_known
from eks_plan.scheduling import untolerated

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_ZONE_KEYS = frozenset({well_known.ZONE, well_known.LEGACY_ZONE})


@rule("EKP201", "foreign-node-label", WARNING, load_codes=("label-hint",))
def foreign_node_label(context: LintContext) -> Iterator[Problem]:
    """A node selector or affinity uses a label that no EKS node of this kind carries: a GKE or AKS
    label, or one only another node style (Karpenter, managed node groups, Auto Mode) sets.

    Why: the pod stays Pending on EKS; the manifest was usually written for another cloud.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: train}
        spec:
          nodeSelector: {cloud.google.com/gke-accelerator: nvidia-l4}
          containers: [{name: train, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: train}
        spec:
          nodeSelector: {karpenter.k8s.aws/instance-gpu-name: l4}
          containers: [{name: train, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: use the EKS equivalent the message names (``node.kubernetes.io/instance-type``,
    ``karpenter.k8s.aws/instance-gpu-name``, ``eks.amazonaws.com/nodegroup``...).
    """
    return context_load_problems(context, "label-hint")


@rule("EKP202", "no-matching-pool", ERROR)
def no_matching_pool(context: LintContext) -> Iterator[Problem]:
    """No node any pool may buy satisfies a pod's node selector, required node affinity and
    tolerations together.

    Checked against every instance type, zone and capacity type of every pool, with the pool's
    labels and taints, as kube-scheduler's NodeAffinity and TaintToleration filters do.

    Why: the pods stay Pending: no node the cluster can add will ever match them.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          nodeSelector: {kubernetes.io/arch: s390x}
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          nodeSelector: {kubernetes.io/arch: amd64}
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: correct the selector, add the toleration the pool's taints need, or add a node pool to
    eks-plan.yaml whose instance filter, labels and zones match.
    """
    options = context.node_options
    if not options:
        return
    for workload in context.manifests.workloads:
        pod = workload.pod
        selector_ok = [option for option in options if pod.node_selector.matches(option.labels)]
        if not selector_ok:
            where = workload.field_locations.get("nodeSelector") or workload.location_of("nodeAffinity")
            yield Problem(
                "no node of any pool matches the node selector and required node affinity",
                where,
                subject=workload.key,
                fix="correct the selector, or add a matching node pool to eks-plan.yaml",
            )
            continue
        if not any(not untolerated(option.taints, pod.tolerations) for option in selector_ok):
            taints = sorted(
                {str(taint) for o in selector_ok for taint in untolerated(o.taints, pod.tolerations)}
            )
            yield Problem(
                f"every node that matches the selector has a taint the pod does not tolerate: "
                f"{', '.join(taints[:3])}",
                workload.location_of("tolerations")
                if "tolerations" in workload.field_locations
                else workload.source,
                subject=workload.key,
                fix="add a toleration for the pool's taint, or select another pool",
            )


@rule("EKP203", "unsatisfiable-anti-affinity", ERROR)
def unsatisfiable_anti_affinity(context: LintContext) -> Iterator[Problem]:
    """Required pod anti-affinity on the zone keeps a workload's replicas in different zones, but
    there are more replicas than zones (4 replicas over 3 zones).

    Why: kube-scheduler's InterPodAffinity filter leaves the extra replicas Pending for ever, and
    a rollout with maxSurge needs one zone more still.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 4
          template:
            metadata: {labels: {app: web}}
            spec:
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - topologyKey: topology.kubernetes.io/zone
                    labelSelector: {matchLabels: {app: web}}
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 4
          template:
            metadata: {labels: {app: web}}
            spec:
              topologySpreadConstraints:
              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule,
                 labelSelector: {matchLabels: {app: web}}}
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: spread with a ``topologySpreadConstraint`` (maxSkew 1) instead, or keep the replicas at
    most the number of zones.
    """
    zones = len(context.config.zones)
    for workload in context.manifests.workloads:
        if workload.is_daemonset:
            continue
        labels = workload.pod.label_map
        for term in workload.pod.pod_anti_affinity:
            if (
                term.topology_key in _ZONE_KEYS
                and term.selector.matches(labels)
                and workload.replicas > zones
            ):
                yield Problem(
                    f"{workload.replicas} replicas with required anti-affinity on the zone, but the plan has "
                    f"{zones} zone(s): {workload.replicas - zones} replica(s) can never be placed",
                    workload.location_of("podAntiAffinity"),
                    subject=workload.key,
                    fix=f"use a zone topologySpreadConstraint with maxSkew 1, or at most {zones} replicas",
                )
                break


@rule("EKP204", "unknown-extended-resource", ERROR)
def unknown_extended_resource(context: LintContext) -> Iterator[Problem]:
    """A pod requests an extended resource (``nvidia.com/gpu``, ``aws.amazon.com/neuron``...) that no
    instance type the pools allow offers.

    Why: the pod stays Pending: no node the cluster can add advertises that resource.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: infer}
        spec:
          containers:
          - name: infer
            resources:
              requests: {cpu: "1", memory: 4Gi}
              limits: {nvidia.com/gpu: 1}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: infer}
        spec:
          containers:
          - name: infer
            resources:
              requests: {cpu: "1", memory: 4Gi}

    Fix: allow instance types that offer it in ``nodePools[].instances`` (e.g. a GPU pool of
    category g), or correct the resource name.
    """
    options = context.node_options
    if not options:
        return
    offered = {name for option in options for name, amount in option.allocatable.items() if amount > 0}
    for workload in context.manifests.workloads:
        for name, amount in workload.pod.requests.items():
            if name != PODS and amount > 0 and name not in offered:
                yield Problem(
                    f"requests {name}, which no instance type of the node pools offers",
                    _request_location(workload, name),
                    subject=workload.key,
                    fix=f"add a node pool whose instance types offer {name}, or correct the name",
                )


@rule("EKP205", "host-port-cap", ERROR)
def host_port_cap(context: LintContext) -> Iterator[Problem]:
    """A workload binds a ``hostPort``, so at most one of its pods fits on a node, and it has more
    replicas than the node pools' ``maxNodes`` allow nodes.

    Counted as kube-scheduler's NodePorts filter counts: two pods binding the same port, protocol
    and host IP never share a node.

    Why: the replicas beyond the number of nodes stay Pending; a rolling update with maxSurge
    needs one node more per surge pod.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: proxy}
        spec:
          replicas: 40
          template:
            spec:
              containers:
              - name: proxy
                ports: [{containerPort: 8080, hostPort: 8080}]
                resources: {requests: {cpu: 100m, memory: 64Mi}}

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: proxy}
        spec:
          replicas: 40
          template:
            spec:
              containers:
              - name: proxy
                ports: [{containerPort: 8080}]
                resources: {requests: {cpu: 100m, memory: 64Mi}}

    Fix: drop the ``hostPort`` (use a Service), run it as a DaemonSet, or raise the pools'
    ``maxNodes``.
    """
    pools = context.config.node_pools
    if not pools or any(pool.max_nodes is None for pool in pools):
        return  # some pool may grow without limit
    max_nodes = sum(pool.max_nodes or 0 for pool in pools)
    for workload in context.manifests.workloads:
        if workload.is_daemonset or not workload.pod.host_ports or workload.replicas <= max_nodes:
            continue
        port = workload.pod.host_ports[0]
        yield Problem(
            f"hostPort {port.port}/{port.protocol} allows one pod per node, but {workload.replicas} replicas "
            f"exceed the {max_nodes} node(s) the pools may have (maxNodes)",
            _host_port_location(context, workload, port.port),
            subject=workload.key,
            fix="drop the hostPort (use a Service), or raise nodePools[].maxNodes",
        )


def _host_port_location(context: LintContext, workload: Workload, port: int) -> SourceLocation:
    found = context.object_of(workload)
    if found is not None:
        spec = found.pod_template().child("spec")
        for section in ("initContainers", "containers"):
            for container in spec.child(section).sequence():
                for item in container.child("ports").sequence():
                    if item.child("hostPort").value == port:
                        return item.child("hostPort").location
    return workload.source
