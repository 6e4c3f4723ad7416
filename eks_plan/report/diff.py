"""The ``eks-plan diff`` report for people: a Markdown pull-request comment and Rich tables.

:func:`markdown` is empty when nothing changed, so a CI step can skip the comment. Its headline
says which way the monthly cost goes ("Monthly cost rises by $412 (+8.1%)"), then the changed node
groups, then collapsed details: the workload changes with their share of the cost change, pods
newly unschedulable, and free addresses per subnet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

#: The hidden marker a CI step finds the comment by, to update it instead of adding another.
COMMENT_MARKER = "<!-- eks-plan diff -->"


def _symbol(currency: str) -> str:
    return "$" if currency == "USD" else f"{currency} "


def _amount(value: float, currency: str, signed: bool = False) -> str:
    sign = ("+" if value > 0 else "−" if value < 0 else "±") if signed else ("−" if value < 0 else "")
    return f"{sign}{_symbol(currency)}{abs(value):,.2f}"


def headline(report: Mapping[str, Any]) -> str:
    """``Monthly cost rises by $412.00 (+8.1%)``, ``falls by``, or ``does not change``."""
    change = float(report["diffTotalMonthlyCost"])
    currency = report["currency"]
    percent = report["diffPercent"]
    if abs(change) < 0.005:
        return "Monthly cost does not change"
    verb = "rises" if change > 0 else "falls"
    share = f" ({percent:+.1f}%)" if percent is not None else ""
    return f"Monthly cost {verb} by {_amount(abs(change), currency)}{share}"


def markdown(report: Mapping[str, Any]) -> str:
    """The pull-request comment, or ``""`` when nothing changed."""
    if not report["changed"]:
        return ""
    currency = report["currency"]
    lines = [
        COMMENT_MARKER,
        f"### eks-plan: {headline(report)}",
        "",
        f"{_amount(float(report['pastTotalMonthlyCost']), currency)} → "
        f"**{_amount(float(report['totalMonthlyCost']), currency)}** a month "
        "(nodes, EKS control plane, Fargate and persistent volumes).",
        "",
    ]
    groups = [group for group in report["nodeGroups"] if group["status"] != "unchanged"]
    if groups:
        lines += [
            "| node group | nodes | change | per month |",
            "|---|---:|---|---:|",
        ]
        for group in groups:
            lines.append(
                f"| {group['pool']} · {group['instanceType']} · {group['zone']} · {group['capacityType']} "
                f"| {group['pastCount']} → {group['count']} | {group['status']} "
                f"| {_amount(float(group['diffMonthlyCost']), currency, signed=True)} |"
            )
        lines.append("")
    new = report["unschedulable"]["new"]
    if new:
        pods = sum(item["count"] - item["pastCount"] for item in new)
        lines += [f"**{pods} pods newly unschedulable**", ""]
        for item in new:
            reasons = "; ".join(item["reasons"]) or "see `eks-plan size`"
            lines.append(f"- `{item['workload']}`: {item['pastCount']} → {item['count']}: {reasons}")
        lines.append("")
    if report["workloads"]:
        attribution = report["attribution"]
        lines += ["<details><summary>Workload changes and what they cost</summary>", ""]
        priced = attribution["method"].startswith("shapley")
        lines += (
            ["| workload | change | per month | share |", "|---|---|---:|---:|"]
            if priced
            else [
                "| workload | change |",
                "|---|---|",
            ]
        )
        for item in report["workloads"]:
            what = "; ".join(item["changes"])
            if priced:
                share = f"{item['share']:+.1f}%" if item.get("share") is not None else ""
                amount = _amount(float(item["diffMonthlyCost"]), currency, signed=True)
                lines.append(f"| `{item['name']}` | {what} | {amount} | {share} |")
            else:
                lines.append(f"| `{item['name']}` | {what} |")
        lines.append("")
        if priced:
            rest = _amount(float(attribution["unattributedMonthlyCost"]), currency, signed=True)
            lines += [
                f"Shares: {attribution['why']}. Whole nodes and zone balance, which the relaxation does not "
                f"see, account for the remaining {rest}.",
                "",
            ]
        else:
            lines += [f"No shares: {attribution['why']}.", ""]
        lines += ["</details>", ""]
    if report["subnets"]:
        lines += [
            "<details><summary>Free addresses per subnet (steady state)</summary>",
            "",
            "| subnet | usable | free before | free after |",
            "|---|---:|---:|---:|",
        ]
        for subnet in report["subnets"]:
            lines.append(
                f"| {subnet['subnet']} | {subnet['usable']:,} | {_count(subnet['pastFree'])} "
                f"| {_count(subnet['free'])} |"
            )
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def render(report: Mapping[str, Any], console: Console) -> None:
    """The report as Rich tables on a terminal."""
    from rich import box
    from rich.table import Table

    currency = report["currency"]
    console.print(f"[bold]{headline(report)}[/]", highlight=False)
    console.print(
        f"{report['base']} {_amount(float(report['pastTotalMonthlyCost']), currency)} → "
        f"{report['head']} {_amount(float(report['totalMonthlyCost']), currency)} a month",
        markup=False,
        highlight=False,
    )
    if not report["changed"]:
        console.print("Nothing changed.")
        return

    def table(title: str) -> Table:
        return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)

    groups = [group for group in report["nodeGroups"] if group["status"] != "unchanged"]
    if groups:
        node_table = table("Node groups")
        for column, right in (("pool", False), ("instance type", False), ("zone", False), ("capacity", False),
                              ("nodes", True), ("change", False), ("per month", True)):  # fmt: skip
            node_table.add_column(column, justify="right" if right else "left", no_wrap=True)
        for group in groups:
            node_table.add_row(
                group["pool"], group["instanceType"], group["zone"], group["capacityType"],
                f"{group['pastCount']} → {group['count']}", group["status"],
                _amount(float(group["diffMonthlyCost"]), currency, signed=True),
            )  # fmt: skip
        console.print(node_table)
    if report["workloads"]:
        attribution = report["attribution"]
        priced = attribution["method"].startswith("shapley")
        workload_table = table("Workload changes")
        workload_table.add_column("workload", no_wrap=True)
        workload_table.add_column("change")
        if priced:
            workload_table.add_column("per month", justify="right", no_wrap=True)
            workload_table.add_column("share", justify="right", no_wrap=True)
        for item in report["workloads"]:
            row = [item["name"], "; ".join(item["changes"])]
            if priced:
                share = f"{item['share']:+.1f}%" if item.get("share") is not None else ""
                row += [_amount(float(item["diffMonthlyCost"]), currency, signed=True), share]
            workload_table.add_row(*row)
        console.print(workload_table)
        rest = _amount(float(attribution["unattributedMonthlyCost"]), currency, signed=True)
        note = f"shares: {attribution['why']}; not attributed (whole nodes, zone balance): {rest}"
        console.print(note if priced else f"no shares: {attribution['why']}", markup=False, highlight=False)
    for item in report["unschedulable"]["new"]:
        console.print(
            f"[red]newly unschedulable:[/] {item['workload']} {item['pastCount']} → {item['count']}",
            highlight=False,
        )
    if report["subnets"]:
        subnet_table = table("Free addresses per subnet (steady state)")
        for column in ("subnet", "usable", "free before", "free after"):
            subnet_table.add_column(column, justify="left" if column == "subnet" else "right", no_wrap=True)
        for subnet in report["subnets"]:
            subnet_table.add_row(
                subnet["subnet"], f"{subnet['usable']:,}", _count(subnet["pastFree"]), _count(subnet["free"])
            )
        console.print(subnet_table)
