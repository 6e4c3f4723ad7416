"""A pod template read into its containers and a :class:`~eks_plan.scheduling.pod.PodSpec`.

This is where the API server's defaulting (limits into requests, LimitRange defaults, RuntimeClass
overhead and scheduling, PriorityClass values, ``hostPort`` under ``hostNetwork``) is applied, so the
solver sees the pod kube-scheduler would see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from eks_plan.errors import REQUEST_ABOVE_LIMIT, UNKNOWN_RESOURCE, InputError, SourceLocation
from eks_plan.manifests.fields import Field
from eks_plan.manifests.model import Container, ContainerRole, LimitRange, PriorityClass, RuntimeClass
from eks_plan.manifests.objects import BUILT_IN_PRIORITY_CLASSES
from eks_plan.manifests.quantity import parse_quantity
from eks_plan.manifests.requests import (
    apply_pod_level_resources,
    container_requests,
    is_extended_resource,
    is_overcommit_allowed,
    is_pod_level_resource,
    pod_request,
    request_limit_problem,
    resource_name_problem,
)
from eks_plan.manifests.selectors import label_selector, node_selector_term, toleration
from eks_plan.resources import CPU, HUGEPAGES_PREFIX, MEMORY, Resources
from eks_plan.scheduling.labels import label_key_hint
from eks_plan.scheduling.pod import HostPort, PodSpec
from eks_plan.scheduling.selectors import (
    LabelSelector,
    NodeSelector,
    NodeSelectorTerm,
    Operator,
    PreferredNodeTerm,
    Requirement,
)
from eks_plan.scheduling.taints import Toleration
from eks_plan.scheduling.topology import (
    NodeInclusionPolicy,
    PodAffinityTerm,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    WhenUnsatisfiable,
)

#: ``warn(code, message, location)``: how pod reading reports what the user should know.
WarnFunction = Callable[[str, str, SourceLocation], None]


@dataclass(frozen=True)
class PodContext:
    """The cluster-wide objects a pod template is read against."""

    limit_ranges: Mapping[str, Sequence[LimitRange]] = field(default_factory=dict)
    runtime_classes: Mapping[str, RuntimeClass] = field(default_factory=dict)
    priority_classes: Mapping[str, PriorityClass] = field(default_factory=dict)
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def defaults_for(self, namespace: str) -> tuple[Resources, Resources, SourceLocation | None]:
        """The namespace's merged LimitRange container defaults (the first LimitRange wins)."""
        requests: dict[str, int] = {}
        limits: dict[str, int] = {}
        source = None
        for limit_range in self.limit_ranges.get(namespace, ()):
            source = source or limit_range.source
            for name, amount in limit_range.default_requests.items():
                requests.setdefault(name, amount)
            for name, amount in limit_range.default_limits.items():
                limits.setdefault(name, amount)
        return Resources(requests), Resources(limits), source

    def default_priority_class(self) -> PriorityClass | None:
        return next((pc for pc in self.priority_classes.values() if pc.global_default), None)


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """What :func:`read_pod_template` returns."""

    pod: PodSpec
    containers: tuple[Container, ...]
    field_locations: Mapping[str, SourceLocation]


def read_pod_template(
    template: Field,
    namespace: str,
    context: PodContext,
    warn: WarnFunction,
    owner: str,
    extra_labels: Mapping[str, str] | None = None,
) -> PodTemplate:
    """Read ``template`` (a pod, or a ``spec.template``: anything with ``metadata`` and ``spec``).

    ``owner`` (``Kind/namespace/name``) prefixes warnings. ``extra_labels`` are labels the pod's
    controller adds to every pod it creates (a Deployment's ``pod-template-hash``).
    """
    spec = template.child("spec")
    label_map = {key: value.string() for key, value in template.get("metadata", "labels").items()}
    label_map.update(extra_labels or {})
    labels = tuple(sorted(label_map.items()))
    locations: dict[str, SourceLocation] = {}

    default_requests, default_limits, limit_range_source = context.defaults_for(namespace)
    containers = [
        _container(item, ContainerRole.REGULAR, default_requests, default_limits, limit_range_source)
        for item in spec.child("containers").sequence()
    ]
    if not containers:
        raise spec.child("containers").error("must list at least one container")
    init_containers = [
        _container(
            item,
            ContainerRole.SIDECAR if item.child("restartPolicy").string() == "Always" else ContainerRole.INIT,
            default_requests,
            default_limits,
            limit_range_source,
        )
        for item in spec.child("initContainers").sequence()
    ]

    overhead = Resources()
    extra_node_selector: tuple[tuple[str, str], ...] = ()
    extra_tolerations: tuple[Toleration, ...] = ()
    runtime_class_field = spec.child("runtimeClassName")
    runtime_class_name = runtime_class_field.string() or None
    if runtime_class_name:
        locations["runtimeClassName"] = runtime_class_field.location
        runtime_class = context.runtime_classes.get(runtime_class_name)
        if runtime_class is not None:
            overhead = runtime_class.overhead
            extra_node_selector = runtime_class.node_selector
            extra_tolerations = runtime_class.tolerations
        else:
            overhead = Resources(spec.child("overhead").resources()[0])
            warn(
                "unknown-runtime-class",
                f"{owner}: RuntimeClass '{runtime_class_name}' is not in the manifests, so its pod "
                "overhead is not counted",
                runtime_class_field.location,
            )

    pod_resources = spec.child("resources")
    pod_level_requests, _ = pod_resources.child("requests").resources()
    pod_level_limits, _ = pod_resources.child("limits").resources()
    if any(is_pod_level_resource(name) for name in (*pod_level_requests, *pod_level_limits)):
        # Pod-level resources (spec.resources): PodRequests uses them instead of the containers'.
        locations["resources"] = pod_resources.location
        requests = apply_pod_level_resources(
            pod_request(
                (c.requests for c in containers),
                ((c.requests, c.role is ContainerRole.SIDECAR) for c in init_containers),
            ),
            pod_level_requests,
            pod_level_limits,
            overhead,
        )
    else:
        requests = pod_request(
            (c.requests for c in containers),
            ((c.requests, c.role is ContainerRole.SIDECAR) for c in init_containers),
            overhead,
        )

    node_selector_field = spec.child("nodeSelector")
    node_selector_map = {key: value.string() for key, value in node_selector_field.items()}
    node_selector_map.update(extra_node_selector)
    if node_selector_field.present:
        locations["nodeSelector"] = node_selector_field.location
    for key, value_field in node_selector_field.items():
        _hint(key, value_field.location, warn, owner)

    affinity = spec.child("affinity")
    node_affinity = affinity.child("nodeAffinity")
    required_terms = _required_node_terms(node_affinity, warn, owner)
    if node_affinity.present:
        locations["nodeAffinity"] = node_affinity.location
    preferred_terms = tuple(
        PreferredNodeTerm(
            item.child("weight").integer(minimum=1), _checked_term(item.child("preference"), warn, owner)
        )
        for item in node_affinity.child("preferredDuringSchedulingIgnoredDuringExecution").sequence()
    )

    pod_labels = dict(labels)
    affinity_reader = _AffinityReader(namespace, pod_labels, context, warn, owner)
    pod_affinity = affinity.child("podAffinity")
    pod_anti_affinity = affinity.child("podAntiAffinity")
    for name, section in (("podAffinity", pod_affinity), ("podAntiAffinity", pod_anti_affinity)):
        if section.present:
            locations[name] = section.location

    spread_field = spec.child("topologySpreadConstraints")
    if spread_field.present:
        locations["topologySpreadConstraints"] = spread_field.location
    spreads = tuple(_spread(item, warn, owner) for item in spread_field.sequence())

    host_network_field = spec.child("hostNetwork")
    host_network = host_network_field.boolean()
    if host_network:
        locations["hostNetwork"] = host_network_field.location
    port_sources = [item for item in spec.child("containers").sequence()] + [
        item
        for item in spec.child("initContainers").sequence()
        if item.child("restartPolicy").string() == "Always"
    ]
    host_ports = tuple(port for item in port_sources for port in _host_ports(item, host_network))

    priority_field = spec.child("priorityClassName")
    priority_class_name = priority_field.string() or None
    priority = spec.child("priority").optional_integer(minimum=None) or 0
    if priority_class_name:
        locations["priorityClassName"] = priority_field.location
        if priority_class_name in context.priority_classes:
            priority = context.priority_classes[priority_class_name].value
        elif priority_class_name in BUILT_IN_PRIORITY_CLASSES:
            priority = BUILT_IN_PRIORITY_CLASSES[priority_class_name]
        else:
            warn(
                "unknown-priority-class",
                f"{owner}: PriorityClass '{priority_class_name}' is not in the manifests; priority 0 assumed",
                priority_field.location,
            )
    elif (default_class := context.default_priority_class()) is not None:
        priority_class_name, priority = default_class.name, default_class.value

    pod = PodSpec(
        namespace=namespace,
        labels=labels,
        requests=requests,
        node_selector=NodeSelector(NodeSelectorTerm.from_node_selector(node_selector_map), required_terms),
        preferred_node_terms=preferred_terms,
        tolerations=tuple(toleration(item) for item in spec.child("tolerations").sequence())
        + extra_tolerations,
        pod_affinity=affinity_reader.required(pod_affinity),
        pod_anti_affinity=affinity_reader.required(pod_anti_affinity),
        preferred_pod_affinity=affinity_reader.preferred(pod_affinity),
        preferred_pod_anti_affinity=affinity_reader.preferred(pod_anti_affinity),
        topology_spread=spreads,
        host_network=host_network,
        host_ports=host_ports,
        priority_class_name=priority_class_name,
        priority=priority,
        runtime_class_name=runtime_class_name,
    )
    return PodTemplate(pod, tuple(containers + init_containers), MappingProxyType(locations))


def _container(
    item: Field,
    role: ContainerRole,
    default_requests: Resources,
    default_limits: Resources,
    limit_range_source: SourceLocation | None,
) -> Container:
    resources = item.child("resources")
    requests, request_locations = resources.child("requests").resources()
    limits, limit_locations = resources.child("limits").resources()
    _check_resource_names(resources, request_locations, limit_locations)
    _check_requirements(resources, requests, limits)
    effective_requests, effective_limits = container_requests(
        requests, limits, default_requests, default_limits
    )
    locations = dict(request_locations)
    for name in effective_requests:
        if name not in locations:
            locations[name] = limit_locations.get(name) or limit_range_source or item.location
    return Container(
        name=item.child("name").string(),
        role=role,
        requests=effective_requests,
        limits=effective_limits,
        declared=bool(requests or limits),
        location=item.location,
        request_locations=MappingProxyType(locations),
        limit_locations=MappingProxyType(limit_locations),
        image=item.child("image").string(),
    )


def _check_resource_names(
    resources: Field,
    request_locations: Mapping[str, SourceLocation],
    limit_locations: Mapping[str, SourceLocation],
) -> None:
    """Refuse a resource name the API server would refuse (``memroy``, ``requests.cpu``), naming it."""
    for section, locations in (("requests", request_locations), ("limits", limit_locations)):
        for name, location in locations.items():
            problem = resource_name_problem(name)
            if problem is not None:
                message, hint = problem
                raise InputError(
                    f"{message} in {resources.child(section).name}",
                    location,
                    hint=hint,
                    code=UNKNOWN_RESOURCE,
                )


def _check_requirements(resources: Field, requests: Mapping[str, int], limits: Mapping[str, int]) -> None:
    """Refuse what ``validateResourceRequirements`` refuses: a request above its limit (or, for
    extended resources and huge pages, different from it or without one), a fractional extended
    resource, huge pages without cpu or memory."""
    requests_field, limits_field = resources.child("requests"), resources.child("limits")
    for section_field, amounts in ((requests_field, requests), (limits_field, limits)):
        for name in amounts:
            if is_extended_resource(name):
                entry = section_field.child(name)
                if parse_quantity(entry.value).denominator != 1:
                    raise entry.error(
                        f"must be a whole number, not {entry.value!r}",
                        hint=f"{name} is counted in whole devices",
                    )
    for name, amount in requests.items():
        limit = limits.get(name)
        if is_overcommit_allowed(name) and (limit is None or amount < limit):
            continue  # amounts are rounded up, so the exact request is below the exact limit too
        request_entry = requests_field.child(name)
        exact_limit = None if limit is None else parse_quantity(limits_field.child(name).value)
        problem = request_limit_problem(name, parse_quantity(request_entry.value), exact_limit)
        if problem is not None:
            limit_text = "" if limit is None else f" of {limits_field.child(name).value}"
            raise request_entry.error(
                f"({request_entry.value}) {problem}{limit_text}",
                hint="the API server refuses this container; make the request at most the limit"
                if is_overcommit_allowed(name)
                else f"write {name} under limits (a request defaults to its limit) and drop it from requests",
                code=REQUEST_ABOVE_LIMIT,
            )
    if not any(name in amounts for name in (CPU, MEMORY) for amounts in (requests, limits)):
        huge_pages = next((name for name in (*requests, *limits) if name.startswith(HUGEPAGES_PREFIX)), None)
        if huge_pages is not None:
            raise resources.error(
                f"asks for {huge_pages} without cpu or memory, which Kubernetes forbids",
                hint="huge pages require a cpu or memory request or limit in the same container",
            )


def _hint(key: str, location: SourceLocation, warn: WarnFunction, owner: str) -> None:
    hint = label_key_hint(key)
    if hint is not None:
        warn("label-hint", f"{owner}: {hint}", location)


def _checked_term(term_field: Field, warn: WarnFunction, owner: str) -> NodeSelectorTerm:
    term = node_selector_term(term_field)
    for item in term_field.child("matchExpressions").sequence():
        _hint(item.child("key").string(), item.child("key").location, warn, owner)
    if term_field.child("matchFields").present:
        warn(
            "unsupported",
            f"{owner}: node affinity matchFields (node names) cannot hold for planned nodes; ignored",
            term_field.child("matchFields").location,
        )
    return term


def _required_node_terms(
    node_affinity: Field, warn: WarnFunction, owner: str
) -> tuple[NodeSelectorTerm, ...]:
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    terms = []
    for item in required.sequence():
        term = _checked_term(item, warn, owner)
        if term.requirements:
            terms.append(term)
        else:
            warn("unsupported", f"{owner}: an empty nodeSelectorTerm matches no node; ignored", item.location)
    return tuple(terms)


class _AffinityReader:
    """Reads pod (anti-)affinity terms, resolving namespaces and ``matchLabelKeys`` for one pod."""

    def __init__(
        self, namespace: str, pod_labels: dict[str, str], context: PodContext, warn: WarnFunction, owner: str
    ) -> None:
        self._namespace = namespace
        self._pod_labels = pod_labels
        self._context = context
        self._warn = warn
        self._owner = owner

    def required(self, section: Field) -> tuple[PodAffinityTerm, ...]:
        terms = (
            self._term(item)
            for item in section.child("requiredDuringSchedulingIgnoredDuringExecution").sequence()
        )
        return tuple(term for term in terms if term is not None)

    def preferred(self, section: Field) -> tuple[WeightedPodAffinityTerm, ...]:
        weighted = []
        for item in section.child("preferredDuringSchedulingIgnoredDuringExecution").sequence():
            term = self._term(item.child("podAffinityTerm"))
            if term is not None:
                weighted.append(WeightedPodAffinityTerm(item.child("weight").integer(minimum=1), term))
        return tuple(weighted)

    def _term(self, item: Field) -> PodAffinityTerm | None:
        topology_key_field = item.child("topologyKey")
        topology_key = topology_key_field.string()
        if not topology_key:
            raise topology_key_field.error("is required")
        _hint(topology_key, topology_key_field.location, self._warn, self._owner)
        selector = label_selector(item.child("labelSelector"))
        if selector is None:
            self._warn(
                "unsupported",
                f"{self._owner}: a pod affinity term without labelSelector matches no pods; ignored",
                item.location,
            )
            return None
        extra = [
            Requirement(key.string(), operator, (self._pod_labels[key.string()],))
            for name, operator in (("matchLabelKeys", Operator.IN), ("mismatchLabelKeys", Operator.NOT_IN))
            for key in item.child(name).sequence()
            if key.string() in self._pod_labels
        ]
        if extra:
            selector = LabelSelector(selector.match_labels, selector.match_expressions + tuple(extra))
        namespaces = {entry.string() for entry in item.child("namespaces").sequence()}
        namespace_selector_field = item.child("namespaceSelector")
        namespace_selector = label_selector(namespace_selector_field)
        all_namespaces = False
        if namespace_selector is not None:
            if not namespace_selector.match_labels and not namespace_selector.match_expressions:
                all_namespaces = True
            else:
                namespaces.update(
                    name
                    for name, labels in self._context.namespace_labels.items()
                    if namespace_selector.matches(labels)
                )
        elif not namespaces:
            namespaces = {self._namespace}
        return PodAffinityTerm(selector, topology_key, frozenset(namespaces), all_namespaces)


def _spread(item: Field, warn: WarnFunction, owner: str) -> TopologySpreadConstraint:
    topology_key_field = item.child("topologyKey")
    topology_key = topology_key_field.string()
    if not topology_key:
        raise topology_key_field.error("is required")
    _hint(topology_key, topology_key_field.location, warn, owner)
    when_field = item.child("whenUnsatisfiable")
    try:
        when = WhenUnsatisfiable(when_field.string())
    except ValueError:
        raise when_field.error(f"must be DoNotSchedule or ScheduleAnyway, not {when_field.value!r}") from None
    policies = {}
    for name, default in (
        ("nodeAffinityPolicy", NodeInclusionPolicy.HONOR),
        ("nodeTaintsPolicy", NodeInclusionPolicy.IGNORE),
    ):
        policy_field = item.child(name)
        try:
            policies[name] = NodeInclusionPolicy(policy_field.string(str(default)) or str(default))
        except ValueError:
            raise policy_field.error(f"must be Honor or Ignore, not {policy_field.value!r}") from None
    return TopologySpreadConstraint(
        node_affinity_policy=policies["nodeAffinityPolicy"],
        node_taints_policy=policies["nodeTaintsPolicy"],
        max_skew=item.child("maxSkew").integer(minimum=1),
        topology_key=topology_key,
        when_unsatisfiable=when,
        selector=label_selector(item.child("labelSelector")),
        min_domains=item.child("minDomains").optional_integer(minimum=1),
        match_label_keys=tuple(key.string() for key in item.child("matchLabelKeys").sequence()),
    )


def _host_ports(container: Field, host_network: bool) -> list[HostPort]:
    ports = []
    for port in container.child("ports").sequence():
        host_port = port.child("hostPort").optional_integer()
        if not host_port and host_network:  # the API server defaults hostPort to containerPort
            host_port = port.child("containerPort").optional_integer()
        if host_port:
            ports.append(
                HostPort(host_port, port.child("protocol").string("TCP"), port.child("hostIP").string())
            )
    return ports


__all__ = ["PodContext", "PodTemplate", "read_pod_template"]
