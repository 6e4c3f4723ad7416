"""The loading rules, one by one, on small manifests written for each rule."""

# ruff: noqa: E501 - the YAML fixtures read best one object per line

from __future__ import annotations

import io
import textwrap

import pytest

from eks_plan.errors import InputError, SourceLocation
from eks_plan.manifests import ContainerRole, ManifestSet, ReplicaMode, Workload, load_manifests
from eks_plan.scheduling import Operator, TaintEffect, TolerationOperator, WhenUnsatisfiable
from eks_plan.scheduling.pod import HostPort

MI = 2**20


def load(text: str, **options: object) -> ManifestSet:
    """Load manifests given as text on standard input (``-``)."""
    return load_manifests(["-"], stdin=io.StringIO(textwrap.dedent(text)), **options)  # type: ignore[arg-type]


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


def only(manifests: ManifestSet) -> Workload:
    [workload] = manifests.workloads
    return workload


def deployment(
    name: str = "web", *, spec: str = "", pod: str = "", containers: str = "", namespace: str = ""
) -> str:
    """A Deployment manifest; ``spec``/``pod`` are extra lines (2-space YAML, at their level)."""
    containers = containers or "- name: app\n  image: app\n  resources: {requests: {cpu: 100m, memory: 64Mi}}"
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}{ns}\nspec:\n"
        + textwrap.indent(spec, "  ")
        + "  template:\n    metadata:\n      labels: {app: "
        + name
        + "}\n    spec:\n"
        + textwrap.indent(pod, "      ")
        + "      containers:\n"
        + textwrap.indent(containers, "      ")
        + "\n"
    )


# -- requests -----------------------------------------------------------------------------------


def test_limit_without_request_defaults_the_request() -> None:
    pod = only(load(deployment(containers="- name: a\n  resources: {limits: {cpu: '2', memory: 1Gi}}"))).pod
    assert pod.requests == {"cpu": 2000, "memory": 1024 * MI, "pods": 1}


def test_explicit_request_beats_limit() -> None:
    text = deployment(
        containers="- name: a\n  resources: {requests: {cpu: 250m}, limits: {cpu: '1', memory: 1Gi}}"
    )
    assert only(load(text)).pod.requests == {"cpu": 250, "memory": 1024 * MI, "pods": 1}


SIDECAR_PODS = {
    "init then sidecar": ("[{name: init, resources: {requests: {cpu: 100m}}}, "
                          "{name: proxy, restartPolicy: Always, resources: {requests: {cpu: 100m}}}]", 100),
    "sidecar then init": ("[{name: proxy, restartPolicy: Always, resources: {requests: {cpu: 100m}}}, "
                          "{name: init, resources: {requests: {cpu: 100m}}}]", 200),
    "big init": ("[{name: migrate, resources: {requests: {cpu: '3'}}}]", 3000),
    "init as old-style regular": ("[{name: init, restartPolicy: OnFailure, resources: {requests: {cpu: 300m}}}]", 300),
    "two sidecars add up": ("[{name: a, restartPolicy: Always, resources: {requests: {cpu: 100m}}}, "
                            "{name: b, restartPolicy: Always, resources: {requests: {cpu: 50m}}}]", 150),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SIDECAR_PODS))
def test_init_container_and_native_sidecar_rule(case: str) -> None:
    init_containers, expected_cpu = SIDECAR_PODS[case]
    text = deployment(
        pod=f"initContainers: {init_containers}\n",
        containers="- name: app\n  resources: {requests: {memory: 64Mi}}",  # no cpu, as istio's apps
    )
    workload = only(load(text))
    assert workload.pod.requests["cpu"] == expected_cpu
    roles = {c.name: c.role for c in workload.containers}
    assert roles["app"] is ContainerRole.REGULAR
    if "proxy" in roles:
        assert roles["proxy"] is ContainerRole.SIDECAR


def test_extended_resources_hugepages_and_ephemeral_storage() -> None:
    text = deployment(
        containers="- name: a\n  resources:\n    requests: {cpu: '1', memory: 1Gi, ephemeral-storage: 10Gi,"
        " hugepages-2Mi: 128Mi}\n    limits: {nvidia.com/gpu: 2, amd.com/gpu: 1, aws.amazon.com/neuron: 1,"
        " vpc.amazonaws.com/pod-eni: 1, hugepages-2Mi: 128Mi}"
    )
    assert only(load(text)).pod.requests == {
        "cpu": 1000, "memory": 1024 * MI, "ephemeral-storage": 10 * 1024 * MI, "hugepages-2Mi": 128 * MI,
        "nvidia.com/gpu": 2, "amd.com/gpu": 1, "aws.amazon.com/neuron": 1, "vpc.amazonaws.com/pod-eni": 1,
        "pods": 1,
    }  # fmt: skip


LIMIT_RANGE = """\
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: team}
spec:
  limits:
  - type: Container
    defaultRequest: {cpu: 100m}
    default: {cpu: 500m, memory: 512Mi}
  - type: Pod
    max: {cpu: '4'}
"""


def test_limit_range_defaults_fill_missing_requests() -> None:
    text = deployment(namespace="team", containers="- name: a") + LIMIT_RANGE
    manifests = load(text)
    workload = only(manifests)
    # cpu from defaultRequest; memory from default (the limit), which defaultRequest defaults to.
    assert workload.pod.requests == {"cpu": 100, "memory": 512 * MI, "pods": 1}
    assert workload.containers[0].limits == {"cpu": 500, "memory": 512 * MI}
    assert workload.containers[0].request_locations["cpu"].line == line_of(
        text, "apiVersion: v1\nkind: LimitRange"
    )
    assert workload.containers_without_requests == ()
    assert not [w for w in manifests.warnings if w.code == "no-requests"]


def test_limit_range_leaves_explicit_values_and_other_namespaces_alone() -> None:
    explicit = deployment(
        "explicit", namespace="team", containers="- name: a\n  resources: {limits: {cpu: 300m}}"
    )
    elsewhere = deployment("elsewhere", namespace="other", containers="- name: a")
    manifests = load(explicit + "---\n" + elsewhere + LIMIT_RANGE)
    by_name = {w.name: w for w in manifests.workloads}
    assert by_name["explicit"].pod.requests == {"cpu": 300, "memory": 512 * MI, "pods": 1}
    assert by_name["elsewhere"].pod.requests == {"pods": 1}
    assert by_name["elsewhere"].containers_without_requests == ("a",)


def test_limit_range_max_defaults_the_default() -> None:
    limit_range = LIMIT_RANGE.replace("    defaultRequest: {cpu: 100m}\n    default: {cpu: 500m, memory: 512Mi}\n",
                                      "    max: {memory: 2Gi}\n")  # fmt: skip
    workload = only(load(deployment(namespace="team", containers="- name: a") + limit_range))
    assert workload.pod.requests == {"memory": 2048 * MI, "pods": 1}


def limit_range_with(item: str) -> str:
    """``LIMIT_RANGE`` with its ``type: Container`` item's defaults replaced by ``item`` lines."""
    return LIMIT_RANGE.replace(
        "    defaultRequest: {cpu: 100m}\n    default: {cpu: 500m, memory: 512Mi}\n", item
    )


def test_limit_range_min_defaults_the_request() -> None:
    # SetDefaults_LimitRangeItem: min fills defaultRequest where neither default nor max set it.
    workload = only(load(deployment(namespace="team", containers="- name: a") + limit_range_with(
        "    min: {cpu: 150m}\n")))  # fmt: skip
    assert workload.pod.requests == {"cpu": 150, "pods": 1}
    assert workload.containers[0].limits == {}


def test_limit_range_default_limit_comes_before_min_for_the_request() -> None:
    # max -> default -> defaultRequest runs before min -> defaultRequest, so the request is max.
    workload = only(load(deployment(namespace="team", containers="- name: a") + limit_range_with(
        "    min: {cpu: 50m, memory: 64Mi}\n    max: {memory: 1Gi}\n    defaultRequest: {cpu: 80m}\n")))  # fmt: skip
    assert workload.pod.requests == {"cpu": 80, "memory": 1024 * MI, "pods": 1}
    assert workload.containers[0].limits == {"memory": 1024 * MI}


def test_limit_range_min_does_not_override_an_explicit_limit() -> None:
    text = deployment(namespace="team", containers="- name: a\n  resources: {limits: {cpu: 300m}}")
    workload = only(load(text + limit_range_with("    min: {cpu: 150m}\n")))
    assert workload.pod.requests == {"cpu": 300, "pods": 1}  # the request defaults to the limit first


def load_container(resources: str) -> ManifestSet:
    return load(deployment(containers=f"- name: a\n  resources: {resources}"))


@pytest.mark.parametrize(
    ("resources", "message", "hint"),
    [
        ("{requests: {memroy: 1Gi}}", "unknown resource 'memroy' in spec.template.spec.containers[0]"
         ".resources.requests", "did you mean 'memory'?"),
        ("{limits: {CPU: '1'}}", "unknown resource 'CPU' in", "did you mean 'cpu'?"),
        ("{requests: {requests.cpu: 1}}", "unknown resource 'requests.cpu'", "did you mean 'cpu'?"),
        ("{requests: {storage: 1Gi}}", "unknown resource 'storage'", "did you mean 'ephemeral-storage'?"),
        ("{limits: {gpu: 1}}", "unknown resource 'gpu'", "'nvidia.com/gpu'"),
        ("{requests: {pods: 1}}", "unknown resource 'pods'", "a container may request cpu, memory"),
        ("{limits: {hugepages-big: 1Gi}}", "invalid huge page resource 'hugepages-big'", "hugepages-2Mi"),
        ("{limits: {NVIDIA.com/gpu: 1}}", "invalid extended resource name 'NVIDIA.com/gpu'",
         "did you mean 'nvidia.com/gpu'?"),
        ("{limits: {requests.example.com/foo: 1}}", "invalid extended resource name", "<domain>/<name>"),
    ],
)  # fmt: skip
def test_resource_names_the_api_server_refuses_are_input_errors(
    resources: str, message: str, hint: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_container(resources)
    error = caught.value
    assert message in error.message
    assert hint in (error.hint or "")
    assert error.location == SourceLocation(
        "-", 12, 32 if resources.startswith("{requests") else 30
    )  # the key


def test_extended_and_native_prefixed_resource_names_are_accepted() -> None:
    workload = only(load_container(
        "{requests: {cpu: 100m}, limits: {example.com/foo: 3, nvidia.com/gpu: 1, kubernetes.io/bar: 1,"
        " hugepages-1Gi: 2Gi, ephemeral-storage: 1Gi}}"))  # fmt: skip
    assert workload.pod.requests == {
        "cpu": 100, "example.com/foo": 3, "nvidia.com/gpu": 1, "kubernetes.io/bar": 1, "hugepages-1Gi": 2 * 1024 * MI,
        "ephemeral-storage": 1024 * MI, "pods": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ("{requests: {cpu: '2'}, limits: {cpu: '1'}}",
         "requests.cpu (2) must be less than or equal to the cpu limit of 1"),
        ("{requests: {memory: 2Gi}, limits: {memory: 1Gi}}", "must be less than or equal to the memory limit of 1Gi"),
        # both round up to 101m: only the exact values show the request is larger
        ("{requests: {cpu: 100.5m}, limits: {cpu: 100.2m}}", "must be less than or equal to the cpu limit"),
        ("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}", "must be equal to the nvidia.com/gpu limit"),
        ("{requests: {nvidia.com/gpu: 1, cpu: 1}}", "needs a limit"),
        ("{requests: {hugepages-2Mi: 2Mi, cpu: 1}, limits: {hugepages-2Mi: 4Mi}}", "must be equal to the hugepages-2Mi"),
        ("{limits: {nvidia.com/gpu: 0.5}}", "must be a whole number"),
        ("{limits: {hugepages-2Mi: 4Mi}}", "asks for hugepages-2Mi without cpu or memory"),
    ],
)  # fmt: skip
def test_requirements_the_api_server_refuses_are_input_errors(resources: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_container(resources)
    assert message in caught.value.message
    assert caught.value.location is not None and caught.value.location.line == 12
    assert caught.value.hint


def test_request_equal_to_limit_and_below_it_are_accepted() -> None:
    workload = only(load_container("{requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: '0.5', memory: 2Gi}}"))
    assert workload.pod.requests == {"cpu": 500, "memory": 1024 * MI, "pods": 1}


RUNTIME_CLASS = """\
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: kata}
handler: kata
overhead:
  podFixed: {cpu: 250m, memory: 120Mi}
scheduling:
  nodeSelector: {runtime: kata}
  tolerations: [{key: kata, operator: Exists, effect: NoSchedule}]
"""


def test_runtime_class_overhead_and_scheduling_are_added() -> None:
    workload = only(load(deployment(pod="runtimeClassName: kata\n") + RUNTIME_CLASS))
    assert workload.pod.requests == {"cpu": 350, "memory": 184 * MI, "pods": 1}
    assert workload.pod.runtime_class_name == "kata"
    assert workload.pod.node_selector.matches({"runtime": "kata"})
    assert not workload.pod.node_selector.matches({})
    assert workload.pod.tolerations[-1].key == "kata"


def test_unknown_runtime_class_is_a_warning() -> None:
    manifests = load(deployment(pod="runtimeClassName: gvisor\n"))
    assert only(manifests).pod.requests == {"cpu": 100, "memory": 64 * MI, "pods": 1}
    assert [w.code for w in manifests.warnings] == ["unknown-runtime-class"]


# -- replicas -----------------------------------------------------------------------------------


HPA_V2 = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-hpa, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
"""


@pytest.mark.parametrize(
    ("mode", "replicas", "reason", "surge", "unavailable"),
    [
        (ReplicaMode.MIN, 2, "HPA web-hpa min 2", 1, 0),
        (ReplicaMode.DECLARED, 3, "declared 3 (HPA web-hpa 2..10)", 1, 0),
        (ReplicaMode.MAX, 10, "HPA web-hpa max 10", 3, 2),
    ],
)
def test_hpa_linked_by_kind_name_and_namespace(
    mode: ReplicaMode, replicas: int, reason: str, surge: int, unavailable: int
) -> None:
    text = deployment(namespace="shop", spec="replicas: 3\n") + HPA_V2
    workload = only(load(text, replicas=mode))
    assert (workload.replicas, workload.replicas_reason) == (replicas, reason)
    assert (workload.declared_replicas, workload.hpa_min, workload.hpa_max) == (3, 2, 10)
    # maxSurge 25% rounds up and maxUnavailable 25% rounds down, at the replicas planned for
    assert (workload.max_surge, workload.max_unavailable) == (surge, unavailable)


def test_hpa_v1_and_unlinked_hpas() -> None:
    hpa_v1 = """\
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 4, targetCPUUtilizationPercentage: 80}
"""
    other_namespace = HPA_V2.replace("namespace: shop", "namespace: prod")
    other_kind = HPA_V2.replace("kind: Deployment", "kind: StatefulSet")
    manifests = load(deployment(namespace="shop") + hpa_v1 + other_namespace + other_kind)
    workload = only(manifests)
    assert (workload.replicas, workload.hpa_min, workload.hpa_max) == (4, 1, 4)
    missing = [w.message for w in manifests.warnings if w.code == "hpa-target-missing"]
    assert len(missing) == 2
    assert any("Deployment/prod/web" in message for message in missing)
    assert any("StatefulSet/shop/web" in message for message in missing)


def test_hpa_max_below_min_is_an_error() -> None:
    with pytest.raises(InputError, match="maxReplicas"):
        load(HPA_V2.replace("maxReplicas: 10", "maxReplicas: 1"))


def test_declared_replicas_default_to_one_and_zero_stays_zero() -> None:
    manifests = load(deployment("a") + "---\n" + deployment("b", spec="replicas: 0\n"))
    by_name = {w.name: w for w in manifests.workloads}
    assert (by_name["a"].replicas, by_name["a"].replicas_reason) == (1, "declared 1 (default)")
    assert by_name["b"].replicas == 0
    assert manifests.total_pods == 1


@pytest.mark.parametrize(
    ("strategy", "replicas", "surge", "unavailable"),
    [
        ("", 10, 3, 2),
        ("strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n", 10, 1, 0),
        ("strategy: {rollingUpdate: {maxSurge: 50%, maxUnavailable: 10%}}\n", 5, 3, 0),
        ("strategy: {type: Recreate}\n", 4, 0, 4),
    ],
)
def test_rolling_update_surge(strategy: str, replicas: int, surge: int, unavailable: int) -> None:
    workload = only(load(deployment(spec=f"replicas: {replicas}\n{strategy}")))
    assert (workload.max_surge, workload.max_unavailable) == (surge, unavailable)


JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
%s  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, resources: {requests: {cpu: 500m}}}]
"""


@pytest.mark.parametrize(
    ("spec", "pods", "reason"),
    [
        ("", 1, "Job parallelism 1"),
        ("  parallelism: 5\n", 5, "Job parallelism 5"),
        ("  parallelism: 5\n  completions: 2\n", 2, "Job parallelism 5, completions 2"),
        ("  completions: 8\n", 1, "Job parallelism 1, completions 8"),
        ("  parallelism: 0\n", 0, "Job parallelism 0"),
        (
            "  parallelism: 2\n  completions: 2\n  suspend: true\n",
            2,
            "Job parallelism 2, completions 2, suspended",
        ),
    ],
)
def test_job_pods(spec: str, pods: int, reason: str) -> None:
    manifests = load(JOB % spec)
    workload = only(manifests)
    assert (workload.replicas, workload.replicas_reason) == (pods, reason)
    assert workload.suspended == ("suspend" in spec)
    assert ("suspended" in [w.code for w in manifests.warnings]) == ("suspend" in spec)
    assert manifests.total_requests()["cpu"] == 500 * pods


CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  schedule: "0 3 * * *"
%s  jobTemplate:
    spec:
      parallelism: 3
      template:
        spec:
          containers: [{name: report, resources: {requests: {cpu: 200m}}}]
"""


@pytest.mark.parametrize("policy", ["", "Allow", "Forbid", "Replace"])
def test_cronjob_counts_one_run(policy: str) -> None:
    manifests = load(CRONJOB % (f"  concurrencyPolicy: {policy}\n" if policy else ""))
    workload = only(manifests)
    assert workload.key == "CronJob/ops/nightly"
    assert workload.replicas == 3
    allows_overlap = policy in ("", "Allow")  # Allow is the Kubernetes default
    assert ("overlapping runs" in workload.replicas_reason) == allows_overlap
    assert ("cronjob-concurrency" in [w.code for w in manifests.warnings]) == allows_overlap


def test_suspended_cronjob_still_counts() -> None:
    manifests = load(CRONJOB % "  suspend: true\n  concurrencyPolicy: Forbid\n")
    workload = only(manifests)
    assert workload.suspended and workload.replicas == 3
    assert [w.code for w in manifests.warnings] == ["suspended"]


def test_daemonsets_are_per_node_overhead() -> None:
    daemonset = deployment("agent").replace("kind: Deployment", "kind: DaemonSet")
    manifests = load(daemonset + "---\n" + deployment("web", spec="replicas: 2\n"))
    assert [w.name for w in manifests.daemonsets] == ["agent"]
    assert [w.name for w in manifests.pods_to_place] == ["web"]
    agent = manifests.daemonsets[0]
    assert agent.replicas == 0 and agent.is_daemonset
    assert manifests.total_pods == 2
    assert manifests.total_requests()["cpu"] == 200


def test_every_workload_kind_is_read() -> None:
    kinds = ["ReplicaSet", "StatefulSet", "ReplicationController"]
    text = "---\n".join(
        deployment(kind.lower()).replace("kind: Deployment", f"kind: {kind}") for kind in kinds
    )
    text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec: {containers: [{name: c}]}\n"
    manifests = load(text)
    assert sorted(w.kind for w in manifests.workloads) == [
        "Pod",
        "ReplicaSet",
        "ReplicationController",
        "StatefulSet",
    ]
    assert manifests.total_pods == 4
    assert {w.namespace for w in manifests.workloads} == {"default"}


# -- objects skipped, flattened, ignored ---------------------------------------------------------


OWNED_POD = """\
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f-abcde
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f, uid: x, controller: true}
spec: {containers: [{name: app, resources: {requests: {cpu: 100m}}}]}
"""


def test_controller_owned_objects_are_skipped_and_counted() -> None:
    not_controller = OWNED_POD.replace("controller: true", "controller: false").replace("abcde", "keep")
    text = deployment() + OWNED_POD + not_controller
    manifests = load(text)
    assert sorted(w.name for w in manifests.workloads) == ["web", "web-7d9f-keep"]
    assert manifests.owned_skipped == 1
    assert manifests.documents == 3
    [warning] = [w for w in manifests.warnings if w.code == "owned-skipped"]
    assert "ReplicaSet/web-7d9f" in warning.message
    assert warning.location.line == line_of(text, "apiVersion: v1\nkind: Pod")


def test_lists_are_flattened_with_positions() -> None:
    text = """\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Pod
      metadata: {name: a}
      spec: {containers: [{name: c, resources: {requests: {cpu: 1}}}]}
    - apiVersion: v1
      kind: PodList
      items:
      - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c}]}}
    - apiVersion: v1
      kind: Service
      metadata: {name: s}
    """
    manifests = load(text)
    assert [w.name for w in manifests.workloads] == ["a", "b"]
    assert manifests.workloads[0].source == SourceLocation("-", 4, 3)
    assert manifests.workloads[1].source == SourceLocation("-", 11, 5)
    assert dict(manifests.ignored_kinds) == {"Service": 1}
    assert manifests.documents == 3


def test_typed_lists_of_ignored_kinds_count_their_items() -> None:
    text = """\
    apiVersion: v1
    kind: ConfigMapList
    items:
    - apiVersion: v1
      kind: ConfigMap
      data:
        a.json: |-
          - not an item
    - apiVersion: v1
      kind: ConfigMap
    """
    manifests = load(textwrap.dedent(text) + "---\n" + deployment())
    assert dict(manifests.ignored_kinds) == {"ConfigMap": 2}
    assert manifests.documents == 3


def test_other_kinds_are_counted_and_ignored() -> None:
    text = """\
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    ---
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    ---
    apiVersion: example.com/v1
    kind: Widget
    metadata: {name: w}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: db}
    """
    manifests = load(textwrap.dedent(text) + "---\n" + deployment())
    assert dict(manifests.ignored_kinds) == {"CustomResourceDefinition": 1, "Service": 2, "Widget": 1}
    assert manifests.documents == 5


def test_json_manifests_load() -> None:
    text = (
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "apps/v1", "kind": "Deployment",\n'
        '"metadata": {"name": "j"}, "spec": {"replicas": 2, "template": {"spec": {"containers":\n'
        '\t[{"name": "c", "resources": {"requests": {"cpu": "1.5"}}}]}}}}]}\n'
    )  # the tab makes YAML refuse it, so the JSON reader takes over
    manifests = load(text)
    assert only(manifests).replicas == 2
    assert manifests.total_requests()["cpu"] == 3000


def test_documents_without_kind_are_skipped_with_a_warning() -> None:
    manifests = load("replicaCount: 3\n---\n- a list\n---\n" + deployment())
    assert len(manifests.workloads) == 1
    assert [w.code for w in manifests.warnings] == ["not-an-object", "not-an-object"]
    assert "a list of strings, not a Kubernetes object" in manifests.warnings[1].message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- 1\n", "a list of numbers"),
        ("just some text\n", "a string ('just some text')"),
        ("replicaCount: 3\n---\n- a\n", "a mapping without kind"),
    ],
)
def test_input_without_any_object_says_what_it_found_and_where(text: str, found: str) -> None:
    with pytest.raises(InputError) as caught:
        load(text)
    error = caught.value
    assert error.message.startswith(f"no Kubernetes objects found in -: this document is {found}, not a ")
    assert "empty input" not in error.message
    assert error.location == SourceLocation("-", 1, 1)
    assert "apiVersion" in (error.hint or "")


# -- unrendered templates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        deployment(spec="replicas: {{ .Values.replicas }}\n"),
        deployment().replace("image: app", "image: {{ .Values.image }}"),
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ include "x.fullname" . }}\n',
        "{{- if .Values.enabled }}\n" + deployment() + "{{- end }}\n",
    ],
)
def test_unrendered_helm_template_is_an_error(text: str) -> None:
    with pytest.raises(InputError) as caught:
        load(text)
    assert "Helm template" in caught.value.message
    assert "helm template" in (caught.value.hint or "")
    assert caught.value.location is not None and caught.value.location.line > 0


def test_braces_in_string_payloads_are_not_templates() -> None:
    text = """\
    apiVersion: v1
    kind: ConfigMap
    data:
      alert.tmpl: |
        {{ define "slack.title" }}{{ .Status }}{{ end }}
    ---
    apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    spec:
      groups:
      - rules:
        - annotations:
            description: Pod {{ $labels.pod }} is down
            summary: '{{ $value }} restarts'
    """
    env = "- name: app\n  args: ['--format={{.Name}}']\n  resources: {requests: {cpu: 1}}"
    manifests = load(textwrap.dedent(text) + "---\n" + deployment(containers=env))
    assert dict(manifests.ignored_kinds) == {"ConfigMap": 1, "PrometheusRule": 1}
    assert len(manifests.workloads) == 1


# -- scheduling constraints -------------------------------------------------------------------


SCHEDULING = """\
nodeSelector: {kubernetes.io/arch: arm64}
priorityClassName: high
hostNetwork: true
tolerations:
- {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
- {operator: Exists}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: karpenter.k8s.aws/instance-cpu, operator: Gt, values: ['3']}
        - {key: karpenter.k8s.aws/instance-family, operator: NotIn, values: [t3]}
        - {key: karpenter.sh/capacity-type, operator: Exists}
      - matchExpressions:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m7g.large]}
        - {key: example.com/legacy, operator: DoesNotExist}
        - {key: karpenter.k8s.aws/instance-memory, operator: Lt, values: ['65536']}
    preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 50
      preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}]}
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
    - labelSelector: {matchLabels: {app: web}}
      topologyKey: kubernetes.io/hostname
    - labelSelector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
      topologyKey: topology.kubernetes.io/zone
      namespaces: [data]
    preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 10
      podAffinityTerm:
        labelSelector: {matchLabels: {tier: cache}}
        topologyKey: kubernetes.io/hostname
        namespaceSelector: {}
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
    - labelSelector: {matchLabels: {app: queue}}
      topologyKey: topology.kubernetes.io/zone
      namespaceSelector: {matchLabels: {team: data}}
topologySpreadConstraints:
- maxSkew: 1
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: DoNotSchedule
  minDomains: 3
  labelSelector: {matchLabels: {app: web}}
  matchLabelKeys: [pod-template-hash]
- {maxSkew: 2, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}
"""

PRIORITY_AND_NAMESPACE = """\
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 100000
---
apiVersion: v1
kind: Namespace
metadata: {name: data, labels: {team: data}}
"""


def test_scheduling_constraints_are_parsed() -> None:
    ports = (
        "- name: app\n  ports: [{containerPort: 9100}, {containerPort: 53, protocol: UDP, hostPort: 5353}]"
    )
    text = deployment(namespace="shop", pod=SCHEDULING, containers=ports) + PRIORITY_AND_NAMESPACE
    pod = only(load(text)).pod
    selector = pod.node_selector
    assert [str(r) for r in selector.node_selector.requirements] == ["kubernetes.io/arch In (arm64)"]
    assert [[r.operator for r in term.requirements] for term in selector.terms] == [
        [Operator.GT, Operator.NOT_IN, Operator.EXISTS],
        [Operator.IN, Operator.DOES_NOT_EXIST, Operator.LT],
    ]
    assert selector.matches({
        "kubernetes.io/arch": "arm64", "karpenter.k8s.aws/instance-cpu": "4", "karpenter.sh/capacity-type": "spot",
    })  # fmt: skip
    assert not selector.matches({"kubernetes.io/arch": "arm64", "karpenter.k8s.aws/instance-cpu": "2"})
    assert [(p.weight, str(p.term.requirements[0])) for p in pod.preferred_node_terms] == [
        (50, "topology.kubernetes.io/zone In (us-east-1a)")
    ]
    assert pod.tolerations[0].effect is TaintEffect.NO_SCHEDULE
    assert pod.tolerations[1].operator is TolerationOperator.EXISTS and pod.tolerations[1].key == ""
    hostname, zone = pod.pod_anti_affinity
    assert hostname.namespaces == frozenset({"shop"}) and hostname.topology_key == "kubernetes.io/hostname"
    assert zone.namespaces == frozenset({"data"})
    [preferred] = pod.preferred_pod_anti_affinity
    assert preferred.weight == 10 and preferred.term.all_namespaces
    [affinity] = pod.pod_affinity
    assert affinity.namespaces == frozenset({"data"})
    zone_spread, host_spread = pod.topology_spread
    assert (zone_spread.max_skew, zone_spread.min_domains, zone_spread.match_label_keys) == (
        1,
        3,
        ("pod-template-hash",),
    )
    assert zone_spread.when_unsatisfiable is WhenUnsatisfiable.DO_NOT_SCHEDULE
    assert (
        host_spread.selector is None and host_spread.when_unsatisfiable is WhenUnsatisfiable.SCHEDULE_ANYWAY
    )
    assert pod.host_network
    assert pod.host_ports == (HostPort(9100), HostPort(5353, "UDP"))  # hostNetwork: hostPort = containerPort
    assert (pod.priority_class_name, pod.priority) == ("high", 100000)


def test_priority_classes_built_in_default_and_unknown() -> None:
    global_default = (
        "---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: normal}\n"
        "value: 1000\nglobalDefault: true\n"
    )
    text = (
        deployment("critical", pod="priorityClassName: system-node-critical\n")
        + "---\n" + deployment("plain")
        + "---\n" + deployment("typo", pod="priorityClassName: hihg\n")
        + global_default
    )  # fmt: skip
    manifests = load(text)
    by_name = {w.name: w.pod for w in manifests.workloads}
    assert by_name["critical"].priority == 2_000_001_000
    assert (by_name["plain"].priority_class_name, by_name["plain"].priority) == ("normal", 1000)
    assert by_name["typo"].priority == 0
    assert [w.code for w in manifests.warnings] == ["unknown-priority-class"]


def test_label_key_hints() -> None:
    pod = "nodeSelector: {kubernetes.io/arc: amd64, cloud.google.com/gke-nodepool: pool, app.example.com/tier: web}\n"
    manifests = load(deployment(pod=pod))
    hints = sorted(w.message for w in manifests.warnings if w.code == "label-hint")
    assert len(hints) == 2
    assert "did you mean 'kubernetes.io/arch'" in hints[1]
    assert "GKE" in hints[0]


def test_request_locations_point_at_the_keys() -> None:
    text = deployment(
        containers="- name: a\n  resources:\n    requests: {cpu: 250m}\n    limits:\n      memory: 1Gi"
    )
    container = only(load(text)).containers[0]
    assert container.request_locations["cpu"] == SourceLocation("-", line_of(text, "requests: {cpu"), 22)
    assert container.request_locations["memory"] == SourceLocation("-", line_of(text, "memory: 1Gi"), 13)
    assert container.location == SourceLocation("-", line_of(text, "- name: a"), 9)


def test_invalid_quantity_names_file_line_and_field() -> None:
    text = deployment(containers="- name: a\n  resources: {requests: {cpu: 12x}}")
    with pytest.raises(InputError) as caught:
        load(text)
    error = caught.value
    assert error.location == SourceLocation("-", line_of(text, "cpu: 12x"), 32)
    assert error.message.startswith(
        "spec.template.spec.containers[0].resources.requests.cpu is not a valid quantity"
    )


@pytest.mark.parametrize(
    ("pod", "field"),
    [
        ("tolerations: [{key: a, operator: Maybe}]\n", "spec.template.spec.tolerations[0].operator"),
        ("topologySpreadConstraints: [{maxSkew: 0, topologyKey: z, whenUnsatisfiable: DoNotSchedule}]\n",
         "spec.template.spec.topologySpreadConstraints[0].maxSkew"),
        ("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
         "[{matchExpressions: [{key: a, operator: Gt, values: [x]}]}]}}}\n",
         "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
         ".nodeSelectorTerms[0].matchExpressions[0].values"),
    ],
)  # fmt: skip
def test_invalid_scheduling_fields_name_the_field(pod: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        load(deployment(pod=pod))
    assert caught.value.message.startswith(field)


def test_wrong_types_name_the_field() -> None:
    with pytest.raises(InputError, match=r"spec.replicas must be an integer, not 'three'"):
        load(deployment(spec="replicas: three\n"))
    with pytest.raises(InputError, match=r"spec.template.spec.containers must be a list"):
        load(deployment().replace("      containers:\n      - name", "      containers:\n        name"))
