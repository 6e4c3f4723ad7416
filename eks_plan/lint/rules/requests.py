"""Requests rules (EKP1xx): container requests and limits, and the objects that scale on them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from eks_plan.errors import SourceLocation
from eks_plan.lint.context import LintContext
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Problem, rule
from eks_plan.lint.rules.input import context_load_problems, input_problems
from eks_plan.manifests.model import ContainerRole, Workload
from eks_plan.resources import CPU, MEMORY, PODS, format_amount

if TYPE_CHECKING:
    from eks_plan.solver.problem import NodeOption

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@rule("EKP101", "missing-requests", WARNING, load_codes=("no-requests",))
def missing_requests(context: LintContext) -> Iterator[Problem]:
    """A container requests no cpu or no memory, after LimitRange defaults.

    A request a limit stands in for counts (the API server copies the limit); one a LimitRange of
    the namespace defaults counts too.

    Why: kube-scheduler reserves nothing for a missing request, so the pod lands on a full node and
    is throttled or OOM-killed there; the plan cannot reserve room for it either.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m, memory: 256Mi}

    Fix: set ``resources.requests.cpu`` and ``resources.requests.memory`` on every container (or
    a LimitRange ``defaultRequest`` in the namespace).
    """
    yield from context_load_problems(context, "no-requests")  # neither cpu nor memory
    for workload in context.manifests.workloads:
        for container in workload.containers:
            if container.role is ContainerRole.INIT:
                continue
            has = [name for name in (CPU, MEMORY) if container.requests.get(name)]
            if len(has) == 1:
                missing = MEMORY if has[0] == CPU else CPU
                yield Problem(
                    f"container '{container.name}' requests {has[0]} but no {missing}",
                    container.request_locations.get(has[0], container.location),
                    subject=workload.key,
                    fix=f"add resources.requests.{missing}",
                )


@rule("EKP102", "limit-without-request", INFO)
def limit_without_request(context: LintContext) -> Iterator[Problem]:
    """A container sets a cpu or memory limit without a request; the request defaults to the limit.

    Why: the API server copies the limit into the request, so the pod reserves its whole limit on
    the node: often far more than it uses, which costs nodes. It is valid, but rarely meant.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m}
              limits: {cpu: "1", memory: 1Gi}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m, memory: 512Mi}
              limits: {cpu: "1", memory: 1Gi}

    Fix: set the request explicitly to what the container needs.
    """
    for workload in context.manifests.workloads:
        for container in workload.containers:
            for name in (CPU, MEMORY):
                limit_at = container.limit_locations.get(name)
                if limit_at is not None and container.request_locations.get(name) == limit_at:
                    yield Problem(
                        f"container '{container.name}' limits {name} to "
                        f"{format_amount(name, container.limits[name])} without a request, so it requests "
                        "the whole limit (the API server default)",
                        limit_at,
                        subject=workload.key,
                        fix=f"set resources.requests.{name} to what the container needs",
                    )


@rule("EKP103", "request-above-limit", ERROR)
def request_above_limit(context: LintContext) -> Iterator[Problem]:
    """A container requests more than its limit (or, for a resource that cannot be overcommitted,
    not exactly its limit).

    Why: the API server refuses the pod ("must be less than or equal to cpu limit").

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: "2", memory: 1Gi}
              limits: {cpu: "1", memory: 1Gi}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: "1", memory: 1Gi}
              limits: {cpu: "2", memory: 1Gi}

    Fix: make the request at most the limit.
    """
    return input_problems(context, "request-above-limit")


_MILLI_VALUE = re.compile(r"""\s*:\s*["']?([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?m)["']?\s*(?:[,}#]|$)""")


@rule("EKP104", "memory-millibytes", ERROR)
def memory_millibytes(context: LintContext) -> Iterator[Problem]:
    """A memory request or limit is written in thousandths of a byte (``memory: 512m``).

    Why: ``m`` is milli: ``512m`` of memory is half a byte, rounded up to one byte. The author
    meant ``512Mi``; the container gets no memory reserved, and a limit that small kills it.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m, memory: 512m}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m, memory: 512Mi}

    Fix: write ``Mi`` (mebibytes) or ``M`` (megabytes): ``512Mi``.
    """
    for workload in context.manifests.workloads:
        for container in workload.containers:
            places = {("requests", container.request_locations.get(MEMORY))}
            places.add(("limits", container.limit_locations.get(MEMORY)))
            for section, location in sorted(places, key=lambda p: (p[0], p[1] or SourceLocation(""))):
                if location is None or not location.column:
                    continue
                line = context.line(location)
                start = location.column - 1
                if not line[start:].startswith(MEMORY):
                    continue
                match = _MILLI_VALUE.match(line, start + len(MEMORY))
                if match:
                    value = match.group(1)
                    yield Problem(
                        f"container '{container.name}' {section} memory: {value} is {value[:-1]} "
                        "thousandths of a byte",
                        location,
                        subject=workload.key,
                        fix=f"write {value[:-1]}Mi (mebibytes) or {value[:-1]}M (megabytes)",
                    )


@rule("EKP105", "request-too-large", ERROR)
def request_too_large(context: LintContext) -> Iterator[Problem]:
    """A pod requests more of a resource than any instance type the node pools allow can give it.

    Counted as the scheduler counts: the pod's effective request (init containers, sidecars and
    overhead included) against allocatable less the DaemonSets and add-ons on that node.

    Why: the pod stays Pending for ever: no node the cluster may buy can hold it.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: big}
        spec:
          containers:
          - name: big
            resources:
              requests: {cpu: "900", memory: 1Gi}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: big}
        spec:
          containers:
          - name: big
            resources:
              requests: {cpu: "30", memory: 1Gi}

    Fix: lower the request, split the workload, or allow larger instance types in
    ``nodePools[].instances`` of eks-plan.yaml.
    """
    options = context.node_options
    if not options:
        return
    usable = [(option, option.usable()) for option in options]
    largest: dict[str, tuple[NodeOption, int] | None] = {}  # per resource: the roomiest type

    def roomiest(name: str) -> tuple[NodeOption, int] | None:
        if name not in largest:
            offering = [(o, free.get(name, 0)) for o, free in usable if o.allocatable.get(name, 0) > 0]
            largest[name] = max(offering, key=lambda item: (item[1], -item[0].price_per_hour), default=None)
        return largest[name]

    for workload in context.manifests.workloads:
        for name, amount in workload.pod.requests.items():
            if name == PODS or amount <= 0:
                continue
            found = roomiest(name)
            if found is None:
                continue  # no type offers it at all: unknown-extended-resource (EKP204)
            best, room = found
            if amount <= room:
                continue
            yield Problem(
                f"a pod requests {format_amount(name, amount)} {name}; the largest allowed instance type, "
                f"{best.instance_type}, has {format_amount(name, max(room, 0))} for pods after DaemonSets "
                f"({format_amount(name, amount - max(room, 0))} short)",
                _request_location(workload, name),
                subject=workload.key,
                fix=f"lower the {name} request below {format_amount(name, max(room, 0))}, or allow larger "
                "instance types in nodePools[].instances",
            )


def _request_location(workload: Workload, resource: str) -> SourceLocation:
    """Where the largest container request of ``resource`` is written (else the pod spec)."""
    best: tuple[int, SourceLocation] | None = None
    for container in workload.containers:
        amount = container.requests.get(resource, 0)
        location = container.request_locations.get(resource)
        if location is not None and (best is None or amount > best[0]):
            best = (amount, location)
    return best[1] if best else workload.source


@rule("EKP106", "hpa-without-cpu-request", ERROR)
def hpa_without_cpu_request(context: LintContext) -> Iterator[Problem]:
    """An HPA scales on cpu utilisation, but a container of its target requests no cpu.

    Why: utilisation is usage divided by request; with a container's request missing the HPA
    controller cannot compute it ("missing request for cpu") and never scales the workload.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers: [{name: web, resources: {requests: {memory: 256Mi}}}]
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          maxReplicas: 4
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers: [{name: web, resources: {requests: {cpu: 250m, memory: 256Mi}}}]
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          maxReplicas: 4
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}

    Fix: set ``resources.requests.cpu`` on every container of the target, or scale on
    ``AverageValue`` instead of ``Utilization``.
    """
    workloads = {workload.key: workload for workload in context.manifests.workloads}
    for hpa in context.objects_of_kind("HorizontalPodAutoscaler"):
        spec = hpa.root.child("spec")
        target = spec.child("scaleTargetRef")
        key = f"{target.child('kind').value}/{hpa.namespace}/{target.child('name').value}"
        workload = workloads.get(key)
        if workload is None:
            continue
        metric_at = _cpu_utilisation_metric(spec)
        if metric_at is None:
            continue
        without = [
            container.name
            for container in workload.containers
            if container.role is not ContainerRole.INIT and not container.requests.get(CPU)
        ]
        if without:
            names = ", ".join(f"'{name}'" for name in without)
            yield Problem(
                f"HPA {hpa.namespace}/{hpa.name} scales {key} on cpu utilisation, but container(s) {names} "
                "request no cpu, so utilisation is undefined and the HPA never scales",
                metric_at,
                subject=key,
                fix="set resources.requests.cpu on every container of the target",
            )


def _cpu_utilisation_metric(spec: object) -> SourceLocation | None:
    from eks_plan.manifests.fields import Field

    assert isinstance(spec, Field)
    v1 = spec.child("targetCPUUtilizationPercentage")
    if v1.present:
        return v1.location
    for metric in spec.child("metrics").sequence():
        for kind in ("resource", "containerResource"):
            source = metric.child(kind)
            if source.child("name").value == CPU and source.get("target", "type").value == "Utilization":
                return source.child("name").location
    return None


@rule("EKP107", "hpa-target-missing", WARNING, load_codes=("hpa-target-missing",))
def hpa_target_missing(context: LintContext) -> Iterator[Problem]:
    """An HPA scales a workload that is not in the manifests.

    Why: a typo in ``scaleTargetRef`` leaves the workload unscaled, and the plan sizes it for its
    declared replicas instead of the HPA's maximum.

    Fails:
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: wbe}
          maxReplicas: 4

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers: [{name: web, resources: {requests: {cpu: 250m, memory: 256Mi}}}]
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          maxReplicas: 4

    Fix: correct ``scaleTargetRef`` (kind and name), or add the workload to the manifests.
    """
    return context_load_problems(context, "hpa-target-missing")


@rule("EKP108", "unknown-priority-class", WARNING, load_codes=("unknown-priority-class",))
def unknown_priority_class(context: LintContext) -> Iterator[Problem]:
    """A pod names a PriorityClass that is not in the manifests; priority 0 is assumed.

    Why: the API server refuses pods whose PriorityClass does not exist in the cluster (unless it
    is a built-in ``system-*`` class), and preemption in the plan depends on it.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          priorityClassName: high
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: high}
        value: 1000
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          priorityClassName: high
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: add the PriorityClass to the manifests, or correct its name.
    """
    return context_load_problems(context, "unknown-priority-class")


@rule("EKP109", "unknown-runtime-class", WARNING, load_codes=("unknown-runtime-class",))
def unknown_runtime_class(context: LintContext) -> Iterator[Problem]:
    """A pod names a RuntimeClass that is not in the manifests, so its overhead is unknown.

    Why: the API server refuses pods whose RuntimeClass does not exist, and a RuntimeClass's pod
    overhead and node selector change where and how the pod fits.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          runtimeClassName: gvisor
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: node.k8s.io/v1
        kind: RuntimeClass
        metadata: {name: gvisor}
        handler: runsc
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          runtimeClassName: gvisor
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: add the RuntimeClass to the manifests, or correct its name.
    """
    return context_load_problems(context, "unknown-runtime-class")


@rule("EKP110", "cronjob-overlap", INFO, load_codes=("cronjob-concurrency",))
def cronjob_overlap(context: LintContext) -> Iterator[Problem]:
    """A CronJob allows overlapping runs (``concurrencyPolicy: Allow``, the default); one run is counted.

    Why: a slow run that overlaps the next doubles the pods the CronJob needs.

    Fails:
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: report}
        spec:
          schedule: "0 * * * *"
          concurrencyPolicy: Allow
          jobTemplate:
            spec:
              template:
                spec:
                  containers: [{name: report, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: report}
        spec:
          schedule: "0 * * * *"
          concurrencyPolicy: Forbid
          jobTemplate:
            spec:
              template:
                spec:
                  containers: [{name: report, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: set ``concurrencyPolicy: Forbid`` or ``Replace``, or size with headroom for overlaps.
    """
    return context_load_problems(context, "cronjob-concurrency")


@rule("EKP111", "suspended-workload", INFO, load_codes=("suspended",))
def suspended_workload(context: LintContext) -> Iterator[Problem]:
    """A Job or CronJob is suspended; its pods are still counted, as they run once it is resumed.

    Why: a suspended workload takes no nodes today but will when resumed (Kueue resumes queued
    Jobs on its own); the plan keeps room for it.

    Fails:
        apiVersion: batch/v1
        kind: Job
        metadata: {name: train}
        spec:
          suspend: true
          template:
            spec:
              containers: [{name: train, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: batch/v1
        kind: Job
        metadata: {name: train}
        spec:
          template:
            spec:
              containers: [{name: train, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: nothing to fix if it is meant; suppress with ``eks-plan.io/ignore: suspended-workload``.
    """
    return context_load_problems(context, "suspended")
