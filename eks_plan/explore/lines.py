"""The line mode of ``eks-plan explore``: one command a line, on standard input or from ``--script``.

The commands are the TUI's keys in words, run on the same :class:`~eks_plan.explore.session.Session`,
so every interactive path has a scripted twin (and tests drive the session the screen drives)::

    set KNOB VALUE | set KNOB=VALUE ...   a pending edit (refused with the config loader's message)
    solve                                  solve with the pending edits: a new plan in the history
    diff                                   the current plan against the previous and the first plan
    show | knobs | history                 the current plan, every knob, every plan
    undo                                   drop pending edits, else back to the previous plan
    open N                                 make plan #N current again
    save PATH | save plan PATH | save config PATH
                                           the plan JSON (*.json) or an eks-plan.yaml (*.yaml)
    export [eksctl|karpenter|terraform] PATH
                                           the plan as ``eks-plan export --to`` writes it (else by name:
                                           *.tf/*.tf.json Terraform, *karpenter*.yaml Karpenter,
                                           other *.yaml eksctl)
    help | quit                            ``#`` starts a comment; a blank line does nothing

A command that fails raises :class:`~eks_plan.errors.InputError` naming the script and line, so a
script stops at its first mistake (the CLI exits 2); nothing after it runs.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from eks_plan.errors import InputError, SourceLocation
from eks_plan.explore import text
from eks_plan.explore.session import PlanRecord, Session

COMMANDS = (
    ("set KNOB VALUE", "a pending edit; also set KNOB=VALUE [KNOB=VALUE ...]"),
    ("solve", "solve with the pending edits (a new plan)"),
    ("diff", "the current plan against the previous one and the first one"),
    ("show", "the current plan"),
    ("knobs", "every knob; * marks a pending edit"),
    ("history", "every plan of the session"),
    ("undo", "drop pending edits, else return to the previous plan"),
    ("open N", "make plan #N current again"),
    ("save PATH", "the plan as JSON (PATH.json) or its eks-plan.yaml (PATH.yaml); save plan|config PATH"),
    (
        "export [TO] PATH",
        "the plan for eksctl, karpenter or terraform (TO, else by name: *.tf, *karpenter*.yaml, *.yaml)",
    ),
    ("help", "this list and the knobs"),
    ("quit", "end the session (so does the end of the input)"),
)

Solver = Callable[[Session], PlanRecord]


def help_lines() -> list[str]:
    rows = [["command", "does"], *[[name, what] for name, what in COMMANDS]]
    return [*text.table(rows), "", *text.knob_help_lines()]


class LineMode:
    """Runs commands against a session, printing results to ``out``.

    ``solver`` solves the session's pending edits (the CLI passes one that shows progress and lets
    Ctrl-C cancel); by default :meth:`Session.solve` in this thread.
    """

    def __init__(self, session: Session, out: TextIO, solver: Solver | None = None) -> None:
        self.session = session
        self.out = out
        self.solver = solver or (lambda session: session.solve())

    def print(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def solve(self) -> PlanRecord:
        record = self.solver(self.session)
        self.print(*text.plan_lines(record), "")
        if record.parent is not None:
            self.print(*text.comparison_lines(self.session), "")
        return record

    def run(self, lines: Iterable[str], source: str) -> None:
        """Run every line (stops at ``quit``); an error names ``source`` and the line number."""
        for number, line in enumerate(lines, start=1):
            try:
                if not self.execute(line):
                    return
            except InputError as error:
                raise InputError(
                    f"{line.strip()}: {error.message}", SourceLocation(source, number), hint=error.hint
                ) from None

    def execute(self, line: str) -> bool:
        """Run one command; False when it was ``quit``."""
        try:
            words = shlex.split(line, comments=True)
        except ValueError as error:
            raise InputError(f"cannot read the command: {error}") from None
        if not words:
            return True
        command, args = words[0].lower(), words[1:]
        session = self.session
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.print(*help_lines())
        elif command == "set":
            self._set(args)
        elif command == "solve":
            self._no_args(command, args)
            self.solve()
        elif command == "diff":
            self._no_args(command, args)
            self.print(*text.comparison_lines(session))
        elif command == "show":
            record = session.current_record
            if record is None:
                raise InputError("no plan yet", hint="solve first")
            self.print(*text.plan_lines(record))
        elif command == "knobs":
            self.print(*text.knob_lines(session))
        elif command == "history":
            self.print(*text.history_lines(session))
        elif command == "undo":
            self._no_args(command, args)
            self.print(session.undo())
        elif command == "open":
            if len(args) != 1 or not args[0].lstrip("#").isdigit():
                raise InputError("open takes a plan number", hint="e.g. open 1 (see history)")
            self.print(session.reopen(int(args[0].lstrip("#"))))
        elif command == "save":
            self._save(args)
        elif command == "export":
            self._export(args)
        else:
            import difflib

            names = [name.split()[0] for name, _ in COMMANDS]
            close = difflib.get_close_matches(command, names, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"commands: {', '.join(names)}"
            raise InputError(f"unknown command '{command}'", hint=hint)
        return True

    @staticmethod
    def _no_args(command: str, args: list[str]) -> None:
        if args:
            raise InputError(f"{command} takes no arguments, not '{' '.join(args)}'")

    def _set(self, args: list[str]) -> None:
        if not args:
            raise InputError(
                "set needs a knob and a value", hint="e.g. set headroom 20 (help lists the knobs)"
            )
        if "=" in args[0]:
            pairs = []
            for arg in args:
                name, equals, value = arg.partition("=")
                if not equals:
                    raise InputError(f"'{arg}' is not KNOB=VALUE")
                pairs.append((name, value))
        else:
            if len(args) < 2:
                raise InputError(f"set {args[0]} needs a value", hint="e.g. set headroom 20")
            pairs = [(args[0], " ".join(args[1:]))]
        for name, value in pairs:
            self.session.set(name, value)
            self.print(f"pending: {name}={value}")

    def _export(self, args: list[str]) -> None:
        target = None
        if args and args[0] in ("eksctl", "karpenter", "terraform"):
            target, args = args[0], args[1:]
        if len(args) != 1:
            raise InputError(
                "export takes a path",
                hint="export eksctl cluster.yaml, export karpenter nodepools.yaml, export main.tf",
            )
        path, used = self.session.export(args[0], target)
        self.print(f"exported the plan for {used} to {path}")

    def _save(self, args: list[str]) -> None:
        kind = None
        if args and args[0] in ("plan", "config"):
            kind, args = args[0], args[1:]
        if len(args) != 1:
            raise InputError(
                "save takes one path", hint="save plan.json, save eks-plan.yaml, save config FILE"
            )
        path = Path(args[0])
        if kind is None:
            if path.suffix == ".json":
                kind = "plan"
            elif path.suffix in (".yaml", ".yml"):
                kind = "config"
            else:
                raise InputError(
                    f"save {path}: say what to save", hint=f"save plan {path} or save config {path}"
                )
        if kind == "plan":
            self.session.save_plan(path)
            self.print(f"saved the plan to {path}")
        else:
            self.session.save_config(path)
            self.print(
                f"saved the configuration to {path} (eks-plan size -c {path} MANIFESTS "
                f"{self.session.solver_flags} reproduces the plan)"
            )
