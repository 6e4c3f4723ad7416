"""Input rules (EKP0xx): manifests that do not parse, or that the API server would refuse.

Lint reports these and goes on with the other files: a file that stops the loader becomes a
finding, and the files left are linted without it (see :mod:`eks_plan.lint.engine`).
"""

from __future__ import annotations

from collections.abc import Iterator

from eks_plan.lint.context import LintContext
from eks_plan.lint.findings import Severity
from eks_plan.lint.registry import Problem, rule

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def input_problems(context: LintContext, name: str) -> Iterator[Problem]:
    """The loader errors that belong to input rule ``name``, as problems."""
    from eks_plan.errors import SourceLocation

    for rule_name, error in context.input_errors:
        if rule_name == name:
            yield Problem(error.message, error.location or SourceLocation("-"), fix=error.hint or "")


@rule("EKP001", "invalid-yaml", ERROR)
def invalid_yaml(context: LintContext) -> Iterator[Problem]:
    """A file is not valid YAML or JSON, or is not UTF-8 text.

    Why: kubectl and Argo CD refuse the whole file, so nothing in it is applied, and eks-plan cannot
    count the pods it holds.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web
        spec:
          replicas: 2

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2

    Fix: correct the YAML syntax at the position shown (an unclosed bracket or quote, a tab used
    for indentation, a key indented one space off).
    """
    return input_problems(context, "invalid-yaml")


@rule("EKP002", "duplicate-key", ERROR)
def duplicate_key(context: LintContext) -> Iterator[Problem]:
    """A mapping sets the same key twice.

    Why: YAML parsers disagree on which value wins (PyYAML and eks-plan take the last), and
    kubectl's strict decoding refuses the object ("mapping key already defined"): what is
    reviewed is not what is applied.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          hostNetwork: false
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
          hostNetwork: true

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          hostNetwork: true
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: keep one of the two keys.
    """
    # The loader refuses the document (eks_plan.manifests.yaml_source, strict decoding as kubectl
    # applies it), naming both lines; lint reports that error here and goes on with the other files.
    return input_problems(context, "duplicate-key")


@rule("EKP003", "unrendered-template", ERROR)
def unrendered_template(context: LintContext) -> Iterator[Problem]:
    """A file is an unrendered Helm (Go) template, not Kubernetes YAML.

    Why: ``{{ .Values.replicas }}`` means nothing to the API server; what is deployed is the
    rendered output, so that is what must be checked.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: {{ .Values.replicas }}

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3

    Fix: lint the rendered chart: ``helm template my-release ./chart > rendered.yaml``.
    """
    return input_problems(context, "unrendered-template")


@rule("EKP004", "invalid-quantity", ERROR)
def invalid_quantity(context: LintContext) -> Iterator[Problem]:
    """A request, limit or overhead is not a valid Kubernetes quantity, or is negative.

    Why: the API server refuses the object, so the rollout fails.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 2 cores}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: "2"}

    Fix: write a quantity: ``500m`` or ``2`` for cpu, ``512Mi`` or ``2Gi`` for memory.
    """
    return input_problems(context, "invalid-quantity")


@rule("EKP005", "unknown-resource", ERROR)
def unknown_resource(context: LintContext) -> Iterator[Problem]:
    """A request or limit names a resource Kubernetes does not know (``memroy``), with a typo hint.

    Why: the API server refuses a name that is neither a standard resource nor a
    ``domain/name`` extended resource, and a typo in a request hides a missing one.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m, memroy: 256Mi}

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            resources:
              requests: {cpu: 250m, memory: 256Mi}

    Fix: correct the resource name (cpu, memory, ephemeral-storage, hugepages-<size>, or an
    extended resource such as nvidia.com/gpu).
    """
    return input_problems(context, "unknown-resource")


@rule("EKP006", "invalid-field", ERROR)
def invalid_field(context: LintContext) -> Iterator[Problem]:
    """A field eks-plan reads has a value Kubernetes would refuse (a string for ``replicas``...).

    Why: the API server refuses the object; the rollout fails.

    Fails:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: three
          template:
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          template:
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: give the field a value of the type the message names.
    """
    return input_problems(context, "invalid-field")


@rule("EKP007", "not-an-object", WARNING, load_codes=("not-an-object",))
def not_an_object(context: LintContext) -> Iterator[Problem]:
    """A YAML document is not a Kubernetes object (no ``kind``, or not a mapping); it is skipped.

    Why: it is usually a stray value or a broken document that kubectl would refuse.

    Fails:
        - just
        - a list
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}

    Passes:
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}

    Fix: remove the document, or give it ``apiVersion``, ``kind`` and ``metadata``.
    """
    return context_load_problems(context, "not-an-object")


@rule("EKP008", "duplicate-object", WARNING, load_codes=("duplicate",))
def duplicate_object(context: LintContext) -> Iterator[Problem]:
    """The same workload (kind, namespace, name) is defined twice, or has two HPAs.

    Why: only one object survives ``kubectl apply``; eks-plan counts both, so the plan and the
    cluster disagree. Two HPAs on one target fight over its replicas.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: remove or rename one of the two objects.
    """
    return context_load_problems(context, "duplicate")


@rule("EKP009", "owned-object", INFO, load_codes=("owned-skipped",))
def owned_object(context: LintContext) -> Iterator[Problem]:
    """Objects owned by a controller (a ``kubectl get -o yaml`` dump) are skipped.

    Why: their pods are counted once, through the owner; applying such objects from Git makes two
    controllers fight over them.

    Fails:
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web-5d4f
          ownerReferences: [{kind: Deployment, name: web, controller: true, apiVersion: apps/v1, uid: x}]
        spec:
          replicas: 1
          template:
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: web-5d4f}
        spec:
          replicas: 1
          template:
            spec:
              containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: keep only the top-level objects (the Deployment, not its ReplicaSets) in the manifests.
    """
    return context_load_problems(context, "owned-skipped")


@rule("EKP010", "operator-pods", INFO, load_codes=("operator-pods",))
def operator_pods(context: LintContext) -> Iterator[Problem]:
    """A custom resource (``Prometheus``, ``Kafka``...) runs pods through an operator; eks-plan does
    not count them.

    Why: those pods need nodes too; a plan without them is too small.

    Fails:
        apiVersion: monitoring.coreos.com/v1
        kind: Prometheus
        metadata: {name: k8s}
        spec:
          replicas: 2

    Passes:
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}

    Fix: add the pods the operator runs as workloads (e.g. the rendered StatefulSet), or size with
    ``headroomPercent``; then suppress this finding with an ``eks-plan.io/ignore`` annotation.
    """
    return context_load_problems(context, "operator-pods")


@rule("EKP011", "unsupported-field", WARNING, load_codes=("unsupported",))
def unsupported_field(context: LintContext) -> Iterator[Problem]:
    """A scheduling rule that cannot hold for planned nodes, or that selects nothing, is ignored.

    Node affinity ``matchFields`` names nodes that do not exist yet; an empty
    ``nodeSelectorTerm`` and a pod affinity term without ``labelSelector`` match nothing.

    Why: the rule does not do what it seems to; kube-scheduler would not honour it as written.

    Fails:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                - matchFields: [{key: metadata.name, operator: In, values: [node-1]}]
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Passes:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers: [{name: web, resources: {requests: {cpu: 100m, memory: 64Mi}}}]

    Fix: select nodes by labels (``matchExpressions``), or remove the rule.
    """
    return context_load_problems(context, "unsupported")


def context_load_problems(context: LintContext, load_code: str) -> Iterator[Problem]:
    """The loader's warnings of one code, as problems (their message names the object)."""
    for warning in context.manifests.warnings:
        if warning.code == load_code:
            subject, _, message = warning.message.partition(": ")
            if "/" in subject and " " not in subject and message:
                yield Problem(message, warning.location, subject=subject)
            else:
                yield Problem(warning.message, warning.location)
