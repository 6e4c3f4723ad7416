"""The human report of ``eks-plan check-ips``: one table per scenario with usage bars, then advice.

It renders the same plain data that ``-o json|yaml`` prints (:meth:`CheckReport.as_dict`), so the
two can never disagree. Rich is imported by the caller's console only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eks_plan.report import count_of

if TYPE_CHECKING:
    from rich.console import Console

BAR_WIDTH = 6
_STYLE = {"ok": "green", "at-risk": "yellow", "exhausted": "bold red"}
_LABEL = {"ok": "ok", "at-risk": "AT RISK", "exhausted": "EXHAUSTED"}


def usage_bar(percent: float, verdict: str, width: int = BAR_WIDTH) -> str:
    """A text bar of ``percent`` used, coloured by verdict (Rich markup).

    >>> usage_bar(50.0, "ok", 10)
    '[green]█████[/][dim]░░░░░[/] 50%'
    """
    filled = max(min(round(width * percent / 100), width), 0)
    return f"[{_STYLE[verdict]}]{'█' * filled}[/][dim]{'░' * (width - filled)}[/] {percent:.0f}%"


def render(data: dict[str, Any], console: Console) -> None:
    """Print the report: the settings, a table per scenario, the recommendations, the verdict."""
    from rich.table import Table

    from eks_plan.report.layout import print_table

    cni = data["cni"]
    settings = ", ".join(f"{key}={value}" for key, value in cni.items() if value is not None)
    console.print(
        f"[bold]IP addresses[/] {data['source']} · region {data['region']} · VPC CNI {settings} · "
        f"at least {data['min_free_percent']:g}% free"
    )
    from rich.markup import escape

    console.print()
    subnets = Table(
        title="Subnets", title_justify="left", title_style="bold", show_edge=False, pad_edge=False
    )
    for name in ("subnet", "id", "roles", "usable", "in use", "worst"):
        subnets.add_column(name, justify="right" if name in ("usable", "in use") else "left")
    for subnet in data["subnets"]:
        worst = subnet["worst_verdict"]
        subnets.add_row(
            f"{subnet['zone']} {subnet['cidr']}",
            subnet["subnet_id"] or "",
            escape(",".join(subnet["roles"])),
            f"{subnet['usable']:,}",
            f"{subnet['in_use']:,}",
            f"[{_STYLE[worst]}]{_LABEL[worst]}[/]",
        )
    print_table(console, subnets)
    steady = data["scenarios"][0] if data["scenarios"] else None
    for scenario in data["scenarios"]:
        if steady is not None and scenario is not steady and scenario["subnets"] == steady["subnets"]:
            why = "; ".join(scenario["notes"]) or "nothing changes"
            console.print()
            console.print(f"[bold]{scenario['title']}[/]: same as {steady['title']} ({why})")
            continue
        table = Table(
            title=f"{scenario['title']} — {scenario['description']}",
            title_justify="left",
            title_style="bold",
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("subnet", no_wrap=True)
        table.add_column("usable", justify="right")
        table.add_column("held", justify="right")
        if any(usage["held"]["prefixes"] for usage in scenario["subnets"]):
            table.add_column("/28s", justify="right")
        table.add_column("free", justify="right")
        table.add_column("used", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        reasons = []
        for usage in scenario["subnets"]:
            subnet, held = usage["subnet"], usage["held"]
            label = f"{subnet['zone']} {subnet['cidr']}"
            verdict = usage["verdict"]
            table.add_row(
                label,
                f"{subnet['usable']:,}",
                f"{held['total']:,}",
                *([f"{held['prefixes']:,}"] if len(table.columns) == 7 else []),
                f"{usage['free']:,}",
                usage_bar(usage["used_percent"], verdict),
                f"[{_STYLE[verdict]}]{_LABEL[verdict]}[/]",
            )
            if usage["reason"]:
                name = subnet["subnet_id"] or f"{subnet['zone']} {subnet['cidr']}"
                reasons.append(f"[{_STYLE[verdict]}]{escape(name)}: {escape(usage['reason'])}[/]")
        console.print()
        print_table(console, table)
        for reason in reasons:
            console.print(f"  {reason}")
        facts = count_of(scenario["nodes"], "node")
        if scenario["added_nodes"]:
            facts += f" ({scenario['added_nodes']} added)"
        if scenario["fargate_pods"]:
            facts += f", {count_of(scenario['fargate_pods'], 'Fargate pod')}"
        console.print(f"[dim]{facts}[/]")
        if scenario["pods_without_address"]:
            console.print(
                f"[bold red]{count_of(scenario['pods_without_address'], 'pod')} get no address on their "
                "node[/] "
                "(the ENIs are full: raise MAX_ENI, turn on prefix delegation or lower maxPods)"
            )
        if scenario["unplaced_pods"]:
            unplaced = count_of(scenario["unplaced_pods"], "pod")
            console.print(f"[yellow]{unplaced} fit no node of their kind[/]")
        for note in scenario["notes"]:
            console.print(f"note: {note}", style="dim", markup=False)

    if data["recommendations"]:
        console.print()
        console.print("[bold]Recommendations[/]")
        for recommendation in data["recommendations"]:
            console.print(f"  • {recommendation['summary']}", soft_wrap=False, markup=False)
    console.print()
    verdict = data["verdict"]
    console.print(f"Worst verdict: [{_STYLE[verdict]}]{_LABEL[verdict]}[/]")
