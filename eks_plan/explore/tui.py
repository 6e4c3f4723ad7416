"""The full-screen ``eks-plan explore`` (Textual): knobs on the left, the plan and its comparison on the
right, a command line, and the solve running in a worker thread so the screen stays live.

Only ``eks-plan explore`` in a terminal imports this module (Textual costs ~100 ms to import; ``eks-plan
--help`` must stay fast). Everything it shows and does goes through the UI-free
:class:`~eks_plan.explore.session.Session`, and the texts are :mod:`eks_plan.explore.text`'s, the same as
the line mode prints.

Solving: :meth:`ExploreApp.action_solve` takes the pending edits on the UI thread
(:meth:`Session.prepare`), runs :meth:`Session.run` in a thread worker with a
:class:`~eks_plan.solver.budget.CancelToken`, and commits the plan on the UI thread when the worker
succeeds. Progress comes back as messages (``post_message`` is thread-safe). Esc cancels the token (the
solver stops within a fraction of a second); quitting cancels it too, so Textual, which waits for its
thread workers on exit, returns at once.

Keys: F5 (or ctrl+r) solve, Esc cancel, ctrl+z undo, ctrl+s save, ctrl+o export, ``:`` command line,
Enter on a knob edits it, F1 or ``?`` help, ctrl+p command palette, ``q`` twice (or ctrl+q twice) quits.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from eks_plan.errors import InputError
from eks_plan.explore import text
from eks_plan.explore.lines import LineMode, help_lines
from eks_plan.explore.session import PlanRecord, Session, SolveRequest
from eks_plan.solver.budget import Cancelled, CancelToken

KEYS = (
    ("F5 / ctrl+r", "solve with the pending edits (a new plan)"),
    ("Esc", "cancel the running solve"),
    ("Enter on a knob", "edit it in the command line (KNOB=VALUE, Enter makes it pending)"),
    (":", "the command line: KNOB=VALUE or any line-mode command (open 1, save plan.json, diff)"),
    ("ctrl+z", "undo: drop pending edits, else back to the previous plan"),
    ("ctrl+s", "save the plan (.json) or its eks-plan.yaml (.yaml)"),
    ("ctrl+o", "export the plan (*.tf Terraform, *karpenter*.yaml Karpenter, other *.yaml eksctl)"),
    ("ctrl+p", "command palette (solve, undo, save, export, open plan #N, quit)"),
    ("F1 / ?", "this help"),
    ("q q / ctrl+q ctrl+q", "quit (twice, so it is not hit by accident)"),
)


class Progress(Message):
    """A solver report from the worker thread: a phase, or the best cost and bound so far."""

    def __init__(
        self,
        phase: str | None = None,
        best: float | None = None,
        bound: float | None = None,
        elapsed: float = 0.0,
    ) -> None:
        super().__init__()
        self.phase, self.best, self.bound, self.elapsed = phase, best, bound, elapsed


class _Observer:
    """The solver's observer in the worker thread: posts :class:`Progress` to the app."""

    def __init__(self, app: ExploreApp) -> None:
        self.app = app

    def on_phase(self, message: str) -> None:
        self.app.post_message(Progress(phase=message))

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
        self.app.post_message(Progress(best=best_cost, bound=bound, elapsed=elapsed_seconds))


@dataclass
class _Solve:
    """The solve in flight: its plan number and cancel token."""

    number: int
    token: CancelToken
    phase: str = "starting"
    line: str = ""


class HelpScreen(ModalScreen[None]):
    """Every key, every line-mode command and every knob."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96%; height: 90%; border: round $accent; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        keys = text.table([["key", "does"], *[[key, what] for key, what in KEYS]])
        lines = ["eks-plan explore: keys", *keys, "", "commands (the command line, ':')", *help_lines()]
        with VerticalScroll():
            yield Static("\n".join(lines), markup=False)

    def action_dismiss(self, result: None = None) -> Any:  # type: ignore[override]
        self.dismiss(None)


class PathScreen(ModalScreen[str | None]):
    """Asks for a file name: where to save (a path ending .json saves the plan, .yaml its
    eks-plan.yaml) or to export (by name: *.tf Terraform, *karpenter*.yaml Karpenter, *.yaml eksctl)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PathScreen { align: center middle; }
    PathScreen > Vertical {
        width: 90; height: auto; border: round $accent; background: $surface; padding: 1;
    }
    """

    def __init__(self, prompt: str, default: str) -> None:
        super().__init__()
        self.prompt, self.default = prompt, default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.prompt}; Enter confirms, Esc cancels", markup=False)
            yield Input(value=self.default, id="path")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExploreApp(App[None]):
    """The what-if screen over a :class:`Session` (see the module docstring)."""

    TITLE = "eks-plan explore"
    CSS = """
    #body { height: 1fr; }
    #left { width: 46; }
    #knobs { height: 1fr; border: round $primary; }
    #command { border: round $primary; }
    #right { border: round $primary; overflow-x: auto; }
    #right > Static { width: auto; }
    #status { height: 1; padding: 0 1; }
    #status.error { color: $error; text-style: bold; }
    .section { margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "solve", "Solve"),
        Binding("ctrl+r", "solve", "Solve", show=False),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+z", "undo", "Undo", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "export", "Export", priority=True),
        # A priority binding: the app handles ':' as it arrives, so the keys that came with it (a
        # terminal delivers fast typing in one read) find the command line already focused. Bubbled
        # up from the knobs table instead, ':' would move focus only after they had gone there.
        Binding("colon", "command_line", "Command", show=False, priority=True),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("q", "quit_twice", "Quit", show=False),
        Binding("ctrl+q", "quit_twice", "Quit", priority=True),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.solving: _Solve | None = None
        self._quit_armed = False
        self.last_error = ""

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            with Vertical(id="left"):
                table: DataTable[str] = DataTable(id="knobs", cursor_type="row", zebra_stripes=True)
                table.border_title = "Knobs (* pending; Enter edits)"
                yield table
                command = Input(
                    select_on_focus=False,
                    placeholder="KNOB=VALUE, or a command: solve, undo, open 1, save plan.json",
                    id="command",
                )
                command.border_title = "Command"
                yield command
            with VerticalScroll(id="right") as right:
                right.border_title = "Plan"
                yield Static("", id="plan", classes="section", markup=False)
                yield Static("", id="compare", classes="section", markup=False)
                yield Static("", id="history", markup=False)
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#knobs", DataTable)
        table.add_columns("knob", "value", "plan")
        self.refresh_view()
        table.focus()
        self.action_solve()

    # --- views ---------------------------------------------------------------------------------

    def refresh_view(self) -> None:
        """Redraw the knobs, the plan, the comparison and the history from the session."""
        session = self.session
        table = self.query_one("#knobs", DataTable)
        row = table.cursor_row
        table.clear()
        pending = session.pending_knobs()
        for name, value in session.knob_values().items():
            marked = f"*{name}" if name in pending else f" {name}"
            table.add_row(marked, value, pending[name][0] if name in pending else "", key=name)
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        record = session.current_record
        plan = self.query_one("#plan", Static)
        compare = self.query_one("#compare", Static)
        if record is None:
            plan.update("no plan yet: solving the first plan" if self.solving else "no plan yet (F5 solves)")
            compare.update("")
        else:
            plan.update("\n".join(text.plan_lines(record)))
            compare.update("\n".join(text.comparison_lines(session)))
        self.query_one("#history", Static).update("history:\n" + "\n".join(text.history_lines(session)))
        self.sub_title = self._subtitle()

    def _subtitle(self) -> str:
        parts = [f"{len(self.session.history)} plan(s)"]
        if self.session.pending:
            parts.append(f"{len(self.session.pending)} pending edit(s)")
        if not self.session.saved:
            parts.append("unsaved")
        return ", ".join(parts)

    def status(self, message: str, error: bool = False) -> None:
        widget = self.query_one("#status", Static)
        widget.update(message)
        widget.set_class(error, "error")
        self.last_error = message if error else ""

    # --- solving -------------------------------------------------------------------------------

    def action_solve(self) -> None:
        self._quit_armed = False
        if self.solving is not None:
            self.status(f"already solving plan #{self.solving.number} (Esc cancels)")
            return
        try:
            request = self.session.prepare()
        except InputError as error:
            self.status(str(error), error=True)
            return
        self.solving = _Solve(len(self.session.history) + 1, CancelToken())
        self.status(f"solving plan #{self.solving.number}…")
        self.refresh_view()
        token = self.solving.token
        self.run_worker(
            lambda: self._solve(request, token),
            name="solve",
            group="solve",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _solve(self, request: SolveRequest, token: CancelToken) -> PlanRecord:
        """The worker thread: solve, never touching the session's state."""
        return self.session.run(request, _Observer(self), token)

    def on_progress(self, message: Progress) -> None:
        solving = self.solving
        if solving is None:
            return
        if message.phase is not None:
            solving.phase = message.phase
        elif message.best:
            gap = max(0.0, (message.best - (message.bound or 0.0)) / message.best)
            solving.line = (
                f"best ${message.best:.4f}/h, bound ${message.bound or 0:.4f}/h, gap {gap:.2%}, "
                f"{message.elapsed:.1f} s"
            )
        else:
            solving.line = f"bound ${message.bound or 0:.4f}/h, {message.elapsed:.1f} s"
        self.status(
            f"solving plan #{solving.number}: {solving.phase}"
            + (f"; {solving.line}" if solving.line else "")
            + " (Esc cancels)"
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "solve" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        solving, self.solving = self.solving, None
        number = solving.number if solving else len(self.session.history) + 1
        if event.state is WorkerState.SUCCESS:
            result = event.worker.result
            assert isinstance(result, PlanRecord)
            record = self.session.commit(result)
            summary = record.summary
            nodes = f"{summary.nodes} node{'s' if summary.nodes != 1 else ''}"
            self.status(f"{record.title}: {nodes}, {text.money(summary.cost_per_month)}/month")
        elif isinstance(event.worker.error, Cancelled) or event.state is WorkerState.CANCELLED:
            self.status(f"plan #{number} cancelled; the pending edits are kept (F5 solves again)")
        elif isinstance(event.worker.error, InputError):
            self.status(f"plan #{number} failed: {event.worker.error}", error=True)
        else:
            error = event.worker.error
            self.status(f"internal error while solving: {type(error).__name__}: {error}", error=True)
        self.refresh_view()

    def action_cancel(self) -> None:
        self._quit_armed = False
        if self.solving is None:
            self.status("nothing to cancel")
            return
        self.solving.token.cancel()
        self.status(f"cancelling plan #{self.solving.number}…")

    # --- editing -------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#knobs")
    def knob_selected(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        command = self.query_one("#command", Input)
        command.value = f"{name}={self.session.knob_values()[name]}"
        command.cursor_position = len(command.value)
        command.focus()

    def _on_main_screen(self) -> bool:
        """Whether the knobs, plan and command line are showing (no dialog, help or palette)."""
        return self.screen is self.screen_stack[0]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # ':' opens the command line from the main screen only: on a dialog with no input (help)
        # it would focus the hidden command line. Where an input has focus (the command line, a
        # dialog's path, the palette) Textual gives it the key first, and ':' is a colon.
        if action == "command_line":
            return self._on_main_screen()
        return super().check_action(action, parameters)

    def action_command_line(self) -> None:
        # Focus now, not through Widget.focus() (which defers it with call_later): keys typed right
        # after ':' are already queued and would otherwise go to the knobs table and be lost.
        self.screen.set_focus(self.query_one("#command", Input))

    def on_paste(self, event: events.Paste) -> None:
        """Text pasted where no input has focus (the knobs table; an input takes its pastes and
        stops them): a paste arrives as one event, not as keys, so the ':' binding never sees it.
        Pasted ':headroom=20' opens the command line with 'headroom=20' in it, as the same keys
        typed would; other text is ignored, as typed keys are there."""
        if not self._on_main_screen():
            return
        lines = event.text.splitlines()
        if not lines or not lines[0].startswith(":"):
            return
        event.stop()
        self.action_command_line()
        self.query_one("#command", Input).insert_text_at_cursor(lines[0][1:])

    @on(Input.Submitted, "#command")
    def command_submitted(self, event: Input.Submitted) -> None:
        self._quit_armed = False
        # ':' opens the command line; typed again while it is open (a vim habit, or a key that raced
        # the focus change), it is the same prompt, not part of the command.
        line = event.value.strip().lstrip(":").strip()
        if not line:
            return
        word = line.split()[0].lower()
        if word == "solve":
            self.action_solve()
        elif word in ("quit", "exit"):
            self.action_quit_now()
        elif word == "help":
            self.action_help()
        else:
            if "=" in word and not line.lower().startswith("set "):
                line = f"set {line}"
            self.run_command(line)
        event.input.value = ""

    def run_command(self, line: str) -> None:
        """Run a line-mode command on the session; its output (or error) goes to the status line."""
        out = io.StringIO()
        try:
            LineMode(self.session, out, solver=None).execute(line)
        except InputError as error:
            self.status(str(error), error=True)
            return
        finally:
            self.refresh_view()
        printed = out.getvalue().strip().splitlines()
        if line.startswith(("diff", "show", "knobs", "history")):
            self.query_one("#compare", Static).update(out.getvalue())
        self.status((printed[-1] if printed else "done") + ("  (F5 solves)" if self.session.pending else ""))

    def action_undo(self) -> None:
        self._quit_armed = False
        if self.solving is not None:
            self.status("solving: Esc cancels first")
            return
        try:
            self.status(self.session.undo())
        except InputError as error:
            self.status(str(error), error=True)
        self.refresh_view()

    def action_save(self) -> None:
        self._ask_path("save", "Save to (.json: the plan, .yaml: its eks-plan.yaml)", "plan.json")

    def action_export(self) -> None:
        self._ask_path(
            "export",
            "Export to (*.tf Terraform, *karpenter*.yaml Karpenter, other *.yaml eksctl)",
            "cluster.yaml",
        )

    def _ask_path(self, verb: str, prompt: str, default: str) -> None:
        self._quit_armed = False
        if self.session.current_record is None:
            self.status(f"no plan to {verb} yet", error=True)
            return

        def done(path: str | None) -> None:
            if path is None:
                self.status(f"not {verb}ed")
                return
            self.run_command(f"{verb} {shlex.quote(path)}")

        self.push_screen(PathScreen(prompt, default), done)

    def action_help(self) -> None:
        self._quit_armed = False
        self.push_screen(HelpScreen())

    # --- quitting ------------------------------------------------------------------------------

    def action_quit_twice(self) -> None:
        """The first press asks; the second, right after, quits (cancelling any solve)."""
        if self._quit_armed:
            self.action_quit_now()
            return
        self._quit_armed = True
        unsaved = " (the plans are not saved: ctrl+s saves)" if not self.session.saved else ""
        solving = " (the solve is cancelled)" if self.solving else ""
        self.status(f"press q again to quit{unsaved}{solving}")

    def action_quit_now(self) -> None:
        if self.solving is not None:
            self.solving.token.cancel()
        self.exit()

    def on_unmount(self) -> None:
        # Textual waits for thread workers on exit: stop the solve so quitting returns at once.
        if self.solving is not None:
            self.solving.token.cancel()

    # --- command palette -----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title.lower() != "quit":
                yield command
        yield SystemCommand("Solve", "Solve with the pending edits (F5)", self.action_solve)
        yield SystemCommand("Cancel solve", "Stop the running solve (Esc)", self.action_cancel)
        yield SystemCommand(
            "Undo", "Drop pending edits, else back to the previous plan (ctrl+z)", self.action_undo
        )
        yield SystemCommand("Save", "Save the plan JSON or its eks-plan.yaml (ctrl+s)", self.action_save)
        yield SystemCommand(
            "Export", "Export the plan for eksctl, Karpenter or Terraform (ctrl+o)", self.action_export
        )
        yield SystemCommand("Keys and commands", "Help (F1)", self.action_help)
        for record in self.session.history:
            yield SystemCommand(
                f"Open plan #{record.number}",
                record.title,
                lambda number=record.number: self.run_command(f"open {number}"),
            )
        yield SystemCommand("Quit", "Quit eks-plan explore (cancels a running solve)", self.action_quit_now)


def screen_text(app: App[Any]) -> str:
    """The current screen as plain text, one line per terminal row (for golden tests and the README)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips).rstrip() + "\n"


def run_tui(session: Session) -> None:
    """Run the screen until the user quits."""
    ExploreApp(session).run()
