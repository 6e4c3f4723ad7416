"""Pod-level resources (``spec.resources`` on the pod; beta, on by default from Kubernetes 1.34).

The effective request is kube-scheduler's ``PodRequests`` in
``k8s.io/component-helpers/resource/helpers.go``: the containers' aggregate
(``AggregateContainerRequests``), then every supported pod-level request (cpu, memory,
``hugepages-*``: ``IsSupportedPodLevelResource``) replaces the aggregate for its resource
(``applyPodLevelResources``, when ``IsPodLevelRequestsSet``), then the RuntimeClass overhead is
added. Before that the API server defaults a pod-level request from a pod-level limit
(``defaultPodRequests`` in ``pkg/apis/core/v1/defaults.go``): the containers' aggregate when they
request the resource, else the limit.
"""

from __future__ import annotations

import io
import textwrap

from eks_plan.manifests import ManifestSet, Workload, load_manifests

GI = 2**30
MI = 2**20


def load(text: str) -> ManifestSet:
    return load_manifests(["-"], stdin=io.StringIO(textwrap.dedent(text)))


def only(manifests: ManifestSet) -> Workload:
    [workload] = manifests.workloads
    return workload


def pod(pod_resources: str, containers: str) -> str:
    """A Pod manifest (unindented) with these spec lines and containers."""
    return textwrap.dedent(f"""\
    apiVersion: v1
    kind: Pod
    metadata: {{name: p, namespace: default}}
    spec:
{textwrap.indent(textwrap.dedent(pod_resources), "      ")}
      containers:
{textwrap.indent(textwrap.dedent(containers), "      ")}
    """)


def test_pod_level_requests_replace_the_containers_and_silence_the_no_requests_warning() -> None:
    """helpers.go ``PodRequests``: with ``spec.resources.requests`` set, cpu and memory come from
    it, not from the containers (which here request nothing); no "requests nothing" warning, since
    the pod reserves for all its containers."""
    manifests = load(
        pod(
            "resources: {requests: {cpu: '2', memory: 4Gi}, limits: {cpu: '4', memory: 4Gi}}",
            "- {name: app, image: app}\n- {name: log, image: log}",
        )
    )
    workload = only(manifests)
    assert dict(workload.pod.requests) == {"cpu": 2000, "memory": 4 * GI, "pods": 1}
    assert not [w for w in manifests.warnings if w.code == "no-requests"]


def test_pod_level_request_wins_per_resource_even_over_init_containers() -> None:
    """helpers.go ``applyPodLevelResources`` replaces the aggregate resource by resource: pod-level
    cpu 1 beats the containers' 3 cpu and the 6-cpu init container (the init-container rule lives
    in ``aggregateContainerResourcesByFn``, which the pod-level value overrides); memory, not set at
    pod level, stays the containers' aggregate."""
    workload = only(
        load(
            pod(
                """\
                resources: {requests: {cpu: '1'}}
                initContainers:
                - {name: init, image: i, resources: {requests: {cpu: '6', memory: 64Mi}}}
                """,
                "- {name: a, image: a, resources: {requests: {cpu: '2', memory: 1Gi}}}\n"
                "- {name: b, image: b, resources: {requests: {cpu: '1', memory: 1Gi}}}",
            )
        )
    )
    assert workload.pod.requests["cpu"] == 1000
    assert workload.pod.requests["memory"] == 2 * GI


def test_pod_level_limit_defaults_the_request_from_containers_or_the_limit() -> None:
    """defaults.go ``defaultPodRequests``: a pod-level limit without a pod-level request becomes
    the request only where no container requests that resource (memory here); where they do (cpu)
    their aggregate stays. Huge pages are pod-level resources too (``IsSupportedPodLevelResource``
    accepts the ``hugepages-`` prefix)."""
    workload = only(
        load(
            pod(
                "resources: {limits: {cpu: '8', memory: 3Gi, hugepages-2Mi: 128Mi}}",
                "- {name: a, image: a, resources: {requests: {cpu: 1500m}}}",
            )
        )
    )
    expected = {"cpu": 1500, "memory": 3 * GI, "hugepages-2Mi": 128 * MI, "pods": 1}
    assert dict(workload.pod.requests) == expected


def test_runtime_class_overhead_adds_to_pod_level_requests() -> None:
    """helpers.go ``PodRequests`` adds ``pod.Spec.Overhead`` after the pod-level values."""
    manifests = load(
        textwrap.dedent("""\
        apiVersion: node.k8s.io/v1
        kind: RuntimeClass
        metadata: {name: kata}
        handler: kata
        overhead: {podFixed: {cpu: 250m, memory: 120Mi}}
        ---
        """)
        + pod(
            "runtimeClassName: kata\nresources: {requests: {cpu: '1', memory: 1Gi}}",
            "- {name: a, image: a}",
        )
    )
    workload = only(manifests)
    assert workload.pod.requests["cpu"] == 1250
    assert workload.pod.requests["memory"] == GI + 120 * MI


def test_without_pod_level_resources_the_container_rule_is_unchanged_and_warns() -> None:
    """No ``spec.resources``: ``IsPodLevelRequestsSet`` is false and the containers' aggregate is the
    request; a container without requests is still reported."""
    manifests = load(pod("hostNetwork: false", "- {name: a, image: a}"))
    assert dict(only(manifests).pod.requests) == {"pods": 1}
    assert [w.code for w in manifests.warnings] == ["no-requests"]


def test_two_workloads_one_with_pod_level_resources_size_differently() -> None:
    """Two workloads in one input, one with pod-level resources and one with the same containers
    without them: only the first gets the pod-level request, and only the second is warned about."""
    text = (
        pod("resources: {requests: {cpu: 500m, memory: 256Mi}}", "- {name: a, image: a}")
        + "---\n"
        + pod("hostNetwork: false", "- {name: a, image: a}").replace("name: p,", "name: q,")
    )
    manifests = load(text)
    by_name = {w.name: w for w in manifests.workloads}
    assert by_name["p"].pod.requests["cpu"] == 500
    assert by_name["q"].pod.requests["cpu"] == 0
    assert [w.message.split(":")[0] for w in manifests.warnings] == ["Pod/default/q"]
