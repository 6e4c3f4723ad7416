"""A session said in plain text: the plan, the comparison, the knobs and the history.

The line mode prints these, and the Textual screen shows the same words in its panels, so a script's
transcript and the screen agree. Plain strings only (no Rich markup): they go through pipes and logs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from eks_plan.explore.knobs import KNOBS
from eks_plan.explore.session import PlanRecord, Session


def money(value: float) -> str:
    return f"${value:,.2f}"


def signed(value: float, unit: str = "", digits: int = 0) -> str:
    """``+3``, ``-$12.50``, ``0``: a change with its sign."""
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "-"
    if unit == "$":
        return f"{sign}${abs(value):,.2f}"
    return f"{sign}{abs(value):,.{digits}f}{unit}"


def table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Rows as aligned text columns (the first row is the header, underlined)."""
    if not rows:
        return []
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def utilisation(document: Mapping[str, Any]) -> list[tuple[str, str, float]]:
    """(pool, resource, used fraction) for cpu and memory: pod and DaemonSet requests over allocatable."""
    workloads = document.get("workloads", {})
    used: dict[tuple[str, str], float] = defaultdict(float)
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for node in document.get("nodes", []):
        for resource, key in (("cpu", "cpu_millicores"), ("memory", "memory_bytes")):
            capacity[(node["pool"], resource)] += node["allocatable"][key]
            used[(node["pool"], resource)] += node["daemonset_overhead"][key] + sum(
                workloads.get(name, {}).get("requests", {}).get(key, 0) * count
                for name, count in node["pods"].items()
            )
    return [
        (pool, resource, used[(pool, resource)] / total if total else 0.0)
        for (pool, resource), total in capacity.items()
    ]


def _nodes(count: int) -> str:
    return f"{count} node{'s' if count != 1 else ''}"


def plan_lines(record: PlanRecord) -> list[str]:
    """The plan: headline, node groups, utilisation, unschedulable pods and IP headroom."""
    document = record.document
    summary = record.summary
    lines = [
        f"{record.title}",
        f"{_nodes(summary.nodes)}, {money(summary.cost_per_month)}/month "
        f"({money(summary.cost_per_hour)}/hour), {summary.status} (gap {summary.gap:.2%})",
        f"{summary.pods_placed} pods placed, {summary.pods_unschedulable} unschedulable",
        "",
    ]
    rows = [["pool", "instance type", "zone", "capacity", "nodes", "$/month"]]
    for group in document.get("node_groups", []):
        rows.append(
            [
                group["pool"],
                group["instance_type"],
                group["zone"],
                group["capacity_type"],
                str(group["count"]),
                f"{group['cost_per_month']:,.2f}",
            ]
        )
    lines += table(rows, right=(4, 5)) if len(rows) > 1 else ["no nodes"]
    usage: dict[str, list[str]] = defaultdict(list)
    for pool, resource, fraction in utilisation(document):
        usage[pool].append(f"{resource} {fraction:.0%}")
    if usage:
        lines.append("")
        lines.append(
            "utilisation: " + "; ".join(f"{pool} {' '.join(parts)}" for pool, parts in usage.items())
        )
    for item in document.get("unschedulable", []):
        lines.append(f"unschedulable: {item['workload']} x{item['count']}: {'; '.join(item['reasons'])}")
    if summary.ip_headroom:
        lines.append("IP headroom: fewest free addresses over check-ips's scenarios")
        lines += [f"  {subnet}: {free}" for subnet, free in summary.ip_headroom.items()]
    if record.ip_note:
        lines.append(record.ip_note)
    return lines


def comparison_lines(session: Session) -> list[str]:
    """The current plan against the plan it came from and the first plan, and the knobs that differ."""
    data = session.comparison()
    current = data["current"]
    header = [f"#{current['plan']}"]
    others = [(key, data[key]) for key in ("previous", "first") if data[key] is not None]
    if len(others) == 2 and others[0][1]["plan"] == others[1][1]["plan"]:
        others = [("previous and first", others[0][1])]  # one column when they are the same plan
    for key, other in others:
        header.append(f"vs #{other['plan']} ({'prev' if key == 'previous' else key})")
    rows = [["", *header]]

    def row(label: str, value: str, changes: list[str]) -> None:
        rows.append([label, value, *changes])

    row("nodes", str(current["nodes"]), [signed(o["change"]["nodes"]) for _, o in others])
    row(
        "$/month",
        money(current["cost_per_month"]),
        [
            signed(o["change"]["cost_per_month"], "$")
            + (
                f" ({signed(o['change']['cost_per_month_percent'], '%', 1)})"
                if o["change"]["cost_per_month_percent"]
                else ""
            )
            for _, o in others
        ],
    )
    row("pods placed", str(current["pods_placed"]), [signed(o["change"]["pods_placed"]) for _, o in others])
    row(
        "unschedulable",
        str(current["pods_unschedulable"]),
        [signed(o["change"]["pods_unschedulable"]) for _, o in others],
    )
    for subnet, free in current["ip_headroom"].items():
        row(
            f"free IPs {subnet.split()[-1] if ' ' in subnet else subnet}",
            str(free),
            [
                signed(o["change"]["ip_headroom"][subnet]) if subnet in o["change"]["ip_headroom"] else "-"
                for _, o in others
            ],
        )
    lines = table(rows, right=tuple(range(1, len(rows[0]))))
    for key, other in others:
        changed = other["knobs_changed"]
        if changed:
            lines.append(
                f"knobs vs #{other['plan']} ({key}): "
                + ", ".join(f"{name} {before} -> {after}" for name, (before, after) in changed.items())
            )
    if not others:
        lines.append("(the first plan: nothing to compare with yet)")
    return lines


def knob_lines(session: Session) -> list[str]:
    """Every knob with its value; a pending edit is marked ``*`` with the current plan's value."""
    pending = session.pending_knobs()
    rows = [["knob", "value", "pending"]]
    for name, value in session.knob_values().items():
        if name in pending:
            rows.append([f"*{name}", value, f"(plan: {pending[name][0]})"])
        else:
            rows.append([f" {name}", value, ""])
    return table(rows)


def history_lines(session: Session) -> list[str]:
    lines = []
    for record in session.history:
        mark = ">" if session.current_record is record else " "
        summary = record.summary
        lines.append(
            f"{mark} {record.title}: {_nodes(summary.nodes)}, {money(summary.cost_per_month)}/month, "
            f"{summary.pods_unschedulable} unschedulable"
        )
    return lines or ["no plans yet"]


def knob_help_lines() -> list[str]:
    rows = [["knob", "sets", "example"]]
    for knob in KNOBS:
        name = f"[POOL.]{knob.name}" if knob.pool_knob else knob.name
        rows.append([name, f"{knob.key}: {knob.help}", knob.example])
    return table(rows)
