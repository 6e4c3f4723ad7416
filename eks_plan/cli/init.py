"""``eks-plan init``: ask the questions a new user can answer and write a valid, commented eks-plan.yaml.

Every question has a flag; a flag answers its question without asking. Otherwise the question is
asked on stderr (so ``--output -`` keeps stdout clean YAML) with its default shown, Enter keeping it,
and the answer is checked at once by the configuration loader's own rules (the same message a file
with that value would get), asking again when it is refused. Answers may come from a pipe; when
standard input ends before the questions do, the command exits 2 naming the flag that answers the
next question, so it never hangs. ``--no-input`` takes the defaults and flags only.

When manifests are given and some pods request GPUs, a GPU node pool is suggested, tainted so that
only the pods that tolerate the taint land there (and the general pool takes no GPU types).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from eks_plan.cli.output import check_writable, stderr, write_atomically

if TYPE_CHECKING:
    from rich.console import Console

    from eks_plan.catalog import Catalog

#: The GPU resource and the taint EKS GPU node groups conventionally carry (the NVIDIA device
#: plugin's resource name; pods that want GPUs tolerate ``nvidia.com/gpu``).
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}


def command(
    paths: list[str] = typer.Argument(None, help="Manifests to read for suggestions (e.g. a GPU pool)."),
    region: str | None = typer.Option(None, "--region", help="AWS region [us-east-1]."),
    zones: str | None = typer.Option(None, "--zones", help="Availability zones, comma separated."),
    node_style: str | None = typer.Option(
        None, "--node-style", help="managed-node-group, karpenter, self-managed, auto-mode or bottlerocket."
    ),
    pool_name: str | None = typer.Option(
        None, "--pool-name", help="Name of the general node pool [general]."
    ),
    families: str | None = typer.Option(
        None, "--families", help="Instance families, e.g. m7i,c7i (none: any)."
    ),
    categories: str | None = typer.Option(None, "--categories", help="Instance categories [c,m,r]."),
    arch: str | None = typer.Option(None, "--arch", help="amd64, arm64 or amd64,arm64 [amd64]."),
    capacity: str | None = typer.Option(None, "--capacity", help="on-demand, spot or spot,on-demand."),
    spot_discount: str | None = typer.Option(
        None, "--spot-discount", help="Spot price discount off on-demand, 0-1 (needed for spot)."
    ),
    max_nodes: str | None = typer.Option(None, "--max-nodes", help="Most nodes in the general pool (none)."),
    gpu_pool: bool | None = typer.Option(
        None, "--gpu-pool/--no-gpu-pool", help="Add a tainted GPU pool when the manifests request GPUs."
    ),
    cni: str | None = typer.Option(
        None, "--cni", help="VPC CNI mode: secondary-ip, prefix-delegation, custom-networking, ..."
    ),
    subnet: list[str] = typer.Option(
        [], "--subnet", metavar="ZONE=CIDR", help="A nodes subnet per zone (repeatable); none: leave out."
    ),
    headroom: str | None = typer.Option(None, "--headroom", help="Percent of node cpu/memory kept free [0]."),
    tolerate_zone_loss: bool | None = typer.Option(
        None, "--tolerate-zone-loss/--no-tolerate-zone-loss", help="Keep room for any one lost zone's pods."
    ),
    budget: str | None = typer.Option(None, "--budget", help="Most $/month the cluster may cost (none)."),
    no_input: bool = typer.Option(
        False, "--no-input", "--yes", "-y", help="Ask nothing: the defaults and the flags only."
    ),
    output: str = typer.Option("eks-plan.yaml", "--output", help="File to write, or - for standard output."),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file if it exists."),
) -> None:
    """Write a commented eks-plan.yaml from a few questions (every question also has a flag).

    Each answer is checked by the configuration's own rules; the file written passes
    `eks-plan schema --validate`. With manifests, pods that request GPUs get a suggested GPU pool
    with a taint they tolerate. Standard input may carry the answers; when it ends before the
    questions do, the exit code is 2 and the message names the flag for the next question.

    Examples:

    \b
    eks-plan init
    eks-plan init manifests/ --region eu-west-1 --capacity spot,on-demand --spot-discount 0.6 -y
    eks-plan init --no-input --output - > eks-plan.yaml
    """
    from eks_plan.catalog import load_catalog
    from eks_plan.errors import InputError

    err = stderr()
    to_stdout = output == "-"
    target = Path(output)
    if not to_stdout:
        check_writable(target, "--output")
    interactive = not no_input
    if not to_stdout and target.exists() and not force:
        if not (interactive and sys.stdin.isatty()):
            raise InputError(
                f"{target} exists; not overwritten",
                hint="pass --force to replace it, or --output another file",
            )
        from rich.prompt import Confirm

        try:
            replace = Confirm.ask(f"{target} exists. Overwrite it?", default=False, console=err)
        except EOFError:
            replace = False
        if not replace:
            raise InputError(f"{target} exists; not overwritten", hint="pass --force to replace it")

    catalog = load_catalog()
    gpu = _gpu_demand(paths or [])
    flags = {
        "region": region,
        "zones": zones,
        "node_style": node_style,
        "pool_name": pool_name,
        "families": families,
        "categories": categories,
        "arch": arch,
        "capacity": capacity,
        "spot_discount": spot_discount,
        "max_nodes": max_nodes,
        "gpu_pool": None if gpu_pool is None else ("yes" if gpu_pool else "no"),
        "cni": cni,
        "headroom": headroom,
        "tolerate_zone_loss": None if tolerate_zone_loss is None else ("yes" if tolerate_zone_loss else "no"),
        "budget": budget,
    }
    wizard = Wizard(catalog, Asker(interactive, err), gpu)
    text = wizard.run(flags, subnet)
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomically(target, text)
    err.print(
        f"wrote {target}: check it with eks-plan schema --validate {target}; "
        f"plan with eks-plan size -c {target} MANIFESTS",
        markup=False,
        highlight=False,
    )


@dataclass(frozen=True)
class GpuDemand:
    """What the manifests ask of GPUs: the workloads that request them, the most one pod requests,
    and whether every such pod tolerates the GPU taint (so the pool may carry it)."""

    workloads: tuple[str, ...] = ()
    most_per_pod: int = 0
    tolerate_taint: bool = True


def _gpu_demand(paths: Sequence[str]) -> GpuDemand:
    """Read the manifests (if any) for pods that request ``nvidia.com/gpu``."""
    if not paths:
        return GpuDemand()
    from eks_plan.manifests import load_manifests
    from eks_plan.scheduling.taints import Taint, TaintEffect, untolerated

    taint = Taint(GPU_TAINT["key"], GPU_TAINT["value"], TaintEffect.NO_SCHEDULE)
    manifests = load_manifests(list(paths))
    names, most, tolerate = [], 0, True
    for workload in manifests.pods_to_place:
        count = workload.pod.requests[GPU_RESOURCE]
        if count > 0:
            names.append(workload.key)
            most = max(most, int(count))
            tolerate = tolerate and not untolerated((taint,), workload.pod.tolerations)
    return GpuDemand(tuple(names), most, tolerate)


class Asker:
    """Asks one question: a flag's value if given, the default with ``--no-input``, else a prompt on
    stderr (re-asked while the configuration's rules refuse the answer)."""

    def __init__(self, interactive: bool, console: Console) -> None:
        self.interactive = interactive
        self.console = console
        self.echo = not sys.stdin.isatty()

    def ask(
        self, flag: str, prompt: str, default: str, given: str | None, check: Callable[[str], None]
    ) -> str:
        from eks_plan.errors import InputError

        if given is not None:
            try:
                check(given)
            except InputError as error:
                raise InputError(f"{flag} {given}: {error.message}", hint=error.hint) from None
            return given
        if not self.interactive:
            try:
                check(default)
            except InputError as error:
                raise InputError(
                    f"{prompt} (default {default}): {error.message}", hint=f"pass {flag}"
                ) from None
            return default
        from rich.prompt import Prompt

        while True:
            try:
                answer = Prompt.ask(_escape(prompt), default=default, console=self.console)
            except EOFError:
                if self.echo:
                    self.console.print()
                raise InputError(
                    f"standard input ended before '{prompt}' was answered",
                    hint=f"pass {flag}, or --no-input to take the defaults",
                ) from None
            answer = answer.strip()
            if self.echo:
                self.console.print(answer, markup=False, highlight=False)
            try:
                check(answer)
                return answer
            except InputError as error:
                self.console.print(f"[red]{_escape(str(error))}[/]; try again", highlight=False)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.replace(" ", ",").split(",") if word.strip()]


def _none(text: str) -> bool:
    return text.strip().lower() in ("", "none", "any", "no")


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _yes(text: str) -> bool | str:
    word = text.strip().lower()
    if word in ("y", "yes", "true", "on"):
        return True
    if word in ("n", "no", "false", "off"):
        return False
    return text


class Wizard:
    """The questions, in order, building the file's data and checking it after every answer."""

    def __init__(self, catalog: Catalog, asker: Asker, gpu: GpuDemand) -> None:
        self.catalog = catalog
        self.asker = asker
        self.gpu = gpu
        self.data: dict[str, Any] = {"apiVersion": "eks-plan.io/v1alpha1", "kind": "PlanConfig"}

    def check(self, data: dict[str, Any]) -> None:
        """The loader's rules and the catalogue's zones on the data so far."""
        from eks_plan.config import build_config, validate_zones

        config = build_config(data, source=None)
        validate_zones(config, self.catalog.zones(config.region))

    def step(
        self,
        flag: str,
        prompt: str,
        default: str,
        given: str | None,
        edit: Callable[[dict[str, Any], str], None],
    ) -> str:
        """Ask, apply the answer to a copy of the data, check it, keep it."""
        import copy

        def check(answer: str) -> None:
            candidate = copy.deepcopy(self.data)
            edit(candidate, answer)
            self.check(candidate)

        answer = self.asker.ask(flag, prompt, default, given, check)
        edit(self.data, answer)
        return answer

    def pool(self) -> dict[str, Any]:
        pools: list[dict[str, Any]] = self.data["nodePools"]
        return pools[0]

    def run(self, flags: dict[str, str | None], subnets: list[str]) -> str:
        from eks_plan.catalog.filters import validate_region_and_zone
        from eks_plan.config import default_zones

        def set_region(data: dict[str, Any], answer: str) -> None:
            validate_region_and_zone(self.catalog, answer, None)
            data["region"] = answer

        region = self.step("--region", "AWS region", "us-east-1", flags["region"], set_region)
        zones_default = ",".join(default_zones(region, self.catalog.zones(region)))
        self.step(
            "--zones",
            "Availability zones",
            zones_default,
            flags["zones"],
            lambda d, a: d.__setitem__("zones", _words(a)),
        )
        self.data["nodePools"] = [{"name": "general"}]
        self.step(
            "--pool-name",
            "Name of the general node pool",
            "general",
            flags["pool_name"],
            lambda d, a: d["nodePools"][0].__setitem__("name", a),
        )
        self.step(
            "--node-style",
            "Node style [managed-node-group/karpenter/self-managed/auto-mode/bottlerocket]",
            "managed-node-group",
            flags["node_style"],
            lambda d, a: d["nodePools"][0].__setitem__("nodeStyle", a),
        )

        def instances(key: str, clear_words: bool = True) -> Callable[[dict[str, Any], str], None]:
            def edit(data: dict[str, Any], answer: str) -> None:
                section = data["nodePools"][0].setdefault("instances", {})
                if _none(answer):
                    section.pop(key, None)
                else:
                    section[key] = _words(answer)

            return edit

        chosen_families = self.step(
            "--families",
            "Instance families (none: any family)",
            "none",
            flags["families"],
            instances("families"),
        )
        if _none(chosen_families):
            self.step(
                "--categories",
                "Instance categories (c compute, m general, r memory, ...)",
                "c,m,r",
                flags["categories"],
                instances("categories"),
            )
        elif flags["categories"] is not None:
            instances("categories")(self.data, flags["categories"])
            self.check(self.data)
        self.step(
            "--arch", "CPU architectures [amd64/arm64/amd64,arm64]", "amd64", flags["arch"], instances("arch")
        )

        def set_capacity(data: dict[str, Any], answer: str) -> None:
            data["nodePools"][0]["capacityTypes"] = _words(answer)
            if "spot" in _words(answer):
                # Spot needs a price, which the next question asks; a stand-in lets the rest be checked.
                data.setdefault("pricing", {}).setdefault("spotDiscount", 0.5)

        capacity = self.step(
            "--capacity",
            "Capacity types [on-demand/spot/spot,on-demand]",
            "on-demand",
            flags["capacity"],
            set_capacity,
        )
        if "spot" in _words(capacity):

            def set_discount(data: dict[str, Any], answer: str) -> None:
                pricing = data.setdefault("pricing", {})
                if _none(answer):
                    pricing.pop("spotDiscount", None)  # the loader then says spot needs a price
                else:
                    pricing["spotDiscount"] = _number(answer)

            self.data["pricing"].pop("spotDiscount", None)
            self.step(
                "--spot-discount",
                "Spot discount off on-demand (0-1, e.g. 0.6 for 60% off)",
                "none",
                flags["spot_discount"],
                set_discount,
            )

        def set_max_nodes(data: dict[str, Any], answer: str) -> None:
            if _none(answer):
                data["nodePools"][0].pop("maxNodes", None)
            else:
                data["nodePools"][0]["maxNodes"] = _number(answer)

        self.step(
            "--max-nodes",
            "Most nodes in the pool (none: no limit)",
            "none",
            flags["max_nodes"],
            set_max_nodes,
        )
        gpu_note = ""
        if self.gpu.workloads:
            names = ", ".join(self.gpu.workloads[:3]) + (" ..." if len(self.gpu.workloads) > 3 else "")

            def set_gpu(data: dict[str, Any], answer: str) -> None:
                wanted = _yes(answer)
                if not isinstance(wanted, bool):
                    from eks_plan.errors import InputError

                    raise InputError(f"answer yes or no, not '{answer}'")
                data["nodePools"] = data["nodePools"][:1]
                general = data["nodePools"][0].setdefault("instances", {})
                general.pop("gpus", None)
                if wanted:
                    general["gpus"] = {"max": 0}
                    data["nodePools"].append(self._gpu_pool(data))

            answer = self.step(
                "--gpu-pool",
                f"Pods request GPUs ({names}). Add a GPU node pool? [yes/no]",
                "yes",
                flags["gpu_pool"],
                set_gpu,
            )
            if _yes(answer) is True and not self.gpu.tolerate_taint:
                gpu_note = (
                    "the GPU pool is not tainted: not every GPU pod tolerates nvidia.com/gpu=true:NoSchedule "
                    "(add that toleration to them, then the taint, to keep other pods off GPU nodes)"
                )
        self.step(
            "--cni",
            "VPC CNI mode [secondary-ip/prefix-delegation/custom-networking/custom-networking-prefix/ipv6]",
            "secondary-ip",
            flags["cni"],
            lambda d, a: d.setdefault("cni", {}).__setitem__("mode", a),
        )
        self._subnets(subnets)

        def set_headroom(data: dict[str, Any], answer: str) -> None:
            data["headroomPercent"] = _number(answer)

        self.step(
            "--headroom",
            "Percent of each node's cpu and memory to keep free",
            "0",
            flags["headroom"],
            set_headroom,
        )
        self.step(
            "--tolerate-zone-loss",
            "Keep room to re-place the pods of a lost zone? [yes/no]",
            "no",
            flags["tolerate_zone_loss"],
            lambda d, a: d.__setitem__("tolerateZoneLoss", _yes(a)),
        )

        def set_budget(data: dict[str, Any], answer: str) -> None:
            if _none(answer):
                data.pop("budget", None)
            else:
                data["budget"] = {"maxMonthlyCost": _number(answer)}

        self.step(
            "--budget",
            "Most $/month the cluster may cost (none: no limit)",
            "none",
            flags["budget"],
            set_budget,
        )
        return render(self.data, gpu_note)

    def _gpu_pool(self, data: dict[str, Any]) -> dict[str, Any]:
        pool: dict[str, Any] = {
            "name": "gpu",
            "nodeStyle": data["nodePools"][0].get("nodeStyle", "managed-node-group"),
            "instances": {"gpus": {"min": max(1, self.gpu.most_per_pod)}},
            "capacityTypes": ["on-demand"],
            "labels": {"workload-class": "gpu"},
        }
        if self.gpu.tolerate_taint:
            pool["taints"] = [dict(GPU_TAINT)]
        return pool

    def _subnets(self, flags: list[str]) -> None:
        from eks_plan.errors import InputError

        def entry(zone: str, cidr: str) -> dict[str, str]:
            return {"zone": zone, "cidr": cidr}

        if flags:
            entries = []
            for text in flags:
                zone, equals, cidr = text.partition("=")
                if not equals:
                    raise InputError(
                        f"--subnet {text}: not ZONE=CIDR", hint="e.g. --subnet us-east-1a=10.0.0.0/22"
                    )
                entries.append(entry(zone, cidr))
            candidate = {**self.data, "subnets": entries}
            try:
                self.check(candidate)
            except InputError as error:
                raise InputError(f"--subnet: {error.message}", hint=error.hint) from None
            self.data = candidate
            return
        for zone in self.data["zones"]:

            def add(data: dict[str, Any], answer: str, zone: str = zone) -> None:
                if not _none(answer):
                    data.setdefault("subnets", []).append(entry(zone, answer))

            self.step(
                f"--subnet {zone}=CIDR", f"Nodes subnet CIDR in {zone} (none: leave out)", "none", None, add
            )


#: One comment per key the wizard writes, saying what it does.
COMMENTS = {
    "region": "The AWS region: instance types and prices are the region's.",
    "zones": "Availability zones the plan may put nodes in.",
    "nodePools": "Groups of nodes the planner may buy; each pool filters the instance types it may use.",
    "cni": "Amazon VPC CNI settings: the mode decides max pods per node and how addresses are taken.",
    "subnets": "Subnets the nodes and pods take addresses from (eks-plan check-ips checks they suffice).",
    "headroomPercent": "Percent of every node's cpu and memory kept free for spikes.",
    "tolerateZoneLoss": "true: keep room to re-place the pods of any one lost zone in the others.",
    "pricing": "How prices are worked out (spotDiscount: spot = on-demand x (1 - discount)).",
    "budget": "Most the cluster may cost a month (eks-plan lint reports a plan above it).",
}
POOL_COMMENTS = {
    "nodeStyle": "who manages the nodes (sets maxPods and reserved resources)",
    "instances": "which instance types: families/categories, arch, generation, GPUs",
    "capacityTypes": "on-demand and/or spot",
    "maxNodes": "most nodes of this pool",
    "labels": "labels on every node of the pool (for nodeSelector)",
    "taints": "only pods that tolerate this land here",
}


def _flow(value: Any) -> str:
    """A value as one line of YAML flow style: ``[us-east-1a, us-east-1b]``, ``{max: 0}``."""
    import yaml

    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def render(data: dict[str, Any], note: str = "") -> str:
    """The configuration as commented YAML: a comment above each top-level key and beside each pool key."""
    lines = [
        "# eks-plan.yaml written by `eks-plan init`. Check it: eks-plan schema --validate eks-plan.yaml",
        "# Every key: eks-plan schema -o table. Plan a cluster: eks-plan size -c eks-plan.yaml manifests/",
    ]
    if note:
        lines.append(f"# Note: {note}")
    lines += [f"apiVersion: {data['apiVersion']}", f"kind: {data['kind']}", ""]
    for key, value in data.items():
        if key in ("apiVersion", "kind"):
            continue
        lines.append(f"# {COMMENTS.get(key, key)}")
        if key == "nodePools":
            lines.append("nodePools:")
            for pool in value:
                first = True
                for pool_key, pool_value in pool.items():
                    prefix = "  - " if first else "    "
                    first = False
                    comment = POOL_COMMENTS.get(pool_key)
                    suffix = f"  # {comment}" if comment else ""
                    lines.append(f"{prefix}{pool_key}: {_flow(pool_value)}{suffix}")
        elif key == "subnets":
            lines.append("subnets:")
            lines += [f"  - {_flow(entry)}" for entry in value]
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {sub_key}: {_flow(sub_value)}" for sub_key, sub_value in value.items()]
        else:
            lines.append(f"{key}: {_flow(value)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
