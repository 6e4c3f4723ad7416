"""The Textual screen of `eks-plan explore`, driven headless with Textual's pilot (``App.run_test``).

Solves are real (the tiny cluster, one solver worker). Where a test must act *while* a solve runs, the
session's ``run`` waits on a gate first, inside the worker thread, so the test knows the solve is in
flight without relying on timing; the gate also opens when the solve is cancelled.

The two screen snapshots are the screen's text (``screen_text``) compared with golden files in
tests/explore/golden; ``EKS_PLAN_UPDATE_GOLDEN=1`` rewrites them.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from textual import events

from eks_plan.explore.tui import ExploreApp, Progress, screen_text

GOLDEN = Path(__file__).parent / "golden"
SIZE = (120, 40)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("EKS_PLAN_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"the screen differs from {path} (EKS_PLAN_UPDATE_GOLDEN=1 rewrites it)"


class Gate:
    """Holds the session's solves at their start until opened (or until their token is cancelled)."""

    def __init__(self, session: Any) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        self.tokens: list[Any] = []
        original = session.run

        def run(request: Any, observer: Any = None, cancel: Any = None) -> Any:
            self.tokens.append(cancel)
            self.entered.set()
            while not self.open.wait(0.02):
                if cancel is not None and cancel.cancelled:
                    break
            return original(request, observer, cancel)

        session.run = run


def drive(session: Any, steps: Callable[[ExploreApp, Any], Awaitable[None]]) -> ExploreApp:
    """Run the app headless at 120x40 and play ``steps`` with its pilot."""
    app = ExploreApp(session)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steps(app, pilot)

    asyncio.run(main())
    return app


async def settle(app: ExploreApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot: Any, text: str) -> None:
    """Type ``text`` into the focused input: all but its last character set directly (fast), the last
    one as a key press (so the keys reach it)."""
    pilot.app.focused.value = text[:-1]
    pilot.app.focused.cursor_position = len(text) - 1
    await pilot.press(text[-1])


def status(app: ExploreApp) -> str:
    return str(app.query_one("#status").render())


def test_opens_on_the_first_plan_and_edits_a_knob(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        assert session.current_record.number == 1
        check_golden("explore-main.txt", screen_text(app))
        # Enter on the headroom row puts it in the command line; change it and make it pending.
        table = app.query_one("#knobs")
        table.move_cursor(row=list(session.knob_values()).index("headroom"))
        await pilot.press("enter")
        command = app.query_one("#command")
        assert command.value == "headroom=0"
        await pilot.press("backspace")
        await pilot.press("2", "0")
        assert command.value == "headroom=20"
        await pilot.press("enter")
        await pilot.pause()
        assert session.pending == [("headroom", "20")], status(app)
        assert "*headroom" in screen_text(app)
        await pilot.press("f5")
        await settle(app, pilot)
        assert session.current_record.number == 2 and session.pending == []
        screen = screen_text(app)
        assert "plan #2 from #1: headroom=20" in screen and "vs #1 (previous and first)" in screen

    drive(session, steps)


def test_invalid_input_is_refused_with_the_loaders_message(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        await pilot.press("colon")
        await type_text(pilot, "headroom=lots")
        await pilot.press("enter")
        await pilot.pause()
        assert status(app) == "headroomPercent: 'lots' is a string, expected a number"
        assert app.query_one("#status").has_class("error")
        assert session.pending == []
        await type_text(pilot, "open 7")
        await pilot.press("enter")
        await pilot.pause()
        assert "there is no plan #7" in status(app)

    drive(session, steps)


def test_the_screen_stays_live_during_a_real_solve(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    """While the first solve is held in its worker thread, keys still edit knobs; the solve then
    finishes for real and the edit made meanwhile stays pending on the new plan."""
    session = session_of(tiny)
    gate = Gate(session)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await pilot.pause()
        assert await asyncio.to_thread(gate.entered.wait, 30)
        assert app.solving is not None and session.current_record is None
        # The solver's reports, posted from its thread, show on the status line.
        app.post_message(Progress(best=0.3448, bound=0.3276, elapsed=1.5))
        await pilot.pause()
        assert "solving plan #1:" in status(app)
        assert "best $0.3448/h, bound $0.3276/h, gap 4.99%, 1.5 s (Esc cancels)" in status(app)
        await pilot.press("colon")
        await type_text(pilot, "zone-loss=true")
        await pilot.press("enter")
        await pilot.pause()
        assert session.pending == [("zone-loss", "true")]
        await pilot.press("f5")  # a second solve is refused while one runs
        assert "already solving plan #1" in status(app)
        gate.open.set()
        await settle(app, pilot)
        assert session.current_record.number == 1
        assert session.pending == [("zone-loss", "true")]
        assert "*zone-loss" in screen_text(app)

    drive(session, steps)


def test_escape_cancels_a_solve_and_keeps_the_last_plan(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)
    session.solve()
    session.set("headroom", "30")
    gate = Gate(session)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await pilot.pause()
        assert await asyncio.to_thread(gate.entered.wait, 30)
        await pilot.press("escape")
        await settle(app, pilot)
        assert gate.tokens[0].cancelled
        assert "plan #2 cancelled; the pending edits are kept" in status(app)
        assert len(session.history) == 1 and session.pending == [("headroom", "30")]

    drive(session, steps)


def test_undo_then_save_plan_and_config(tiny: Path, session_of, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)
    plan_file, config_file = tmp_path / "saved-plan.json", tmp_path / "saved.yaml"

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        session.set("headroom", "25")
        app.action_solve()
        await settle(app, pilot)
        assert session.current_record.number == 2
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert status(app) == "back to plan #1"
        assert session.knob_values()["headroom"] == "0"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "nothing to undo" in status(app)
        for path in (plan_file, config_file):
            await pilot.press("ctrl+s")
            await pilot.pause()
            app.screen.query_one("#path").value = str(path)
            await pilot.press("enter")
            await pilot.pause()
        assert "saved the configuration to" in status(app)

    drive(session, steps)
    assert json.loads(plan_file.read_text())["node_count"] == session.record(1).summary.nodes
    assert "headroomPercent" not in config_file.read_text()  # plan #1's configuration


def test_help_and_quit_twice(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        check_golden("explore-help.txt", screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Solve", "Undo", "Save", "Export", "Open plan #1", "Quit"} <= set(titles)
        await pilot.press("q")
        await pilot.pause()
        assert "press q again to quit (the plans are not saved" in status(app)
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(session, steps)


def test_quitting_mid_solve_cancels_it(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    session = session_of(tiny)
    gate = Gate(session)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await pilot.pause()
        assert await asyncio.to_thread(gate.entered.wait, 30)
        await pilot.press("ctrl+q")
        await pilot.press("ctrl+q")
        await pilot.pause()

    drive(session, steps)
    assert gate.tokens[0].cancelled and not gate.open.is_set()
    assert session.history == []


def test_a_colon_typed_into_the_open_command_line_is_the_prompt_not_the_command(  # type: ignore[no-untyped-def]
    tiny: Path, session_of
) -> None:
    """':' opens the command line; typed again once it is open (as the tmux smoke test once did when
    the key raced the focus change), ':headroom=20' is the command 'headroom=20'."""
    session = session_of(tiny)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        await pilot.press("colon")
        await type_text(pilot, ":headroom=20")
        await pilot.press("enter")
        await pilot.pause()
        assert session.pending == [("headroom", "20")], status(app)

    drive(session, steps)


def test_keys_that_arrive_with_the_colon_go_to_the_command_line(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    """A terminal delivers ':headroom=20' typed fast in one read, so its keys reach the app
    together, before the ':' has been handled. Every key after the ':' goes to the command line:
    none is left with the knobs table, where it would be lost (the tmux smoke test lost some this
    way on a busy machine, the first key or all of them)."""
    session = session_of(tiny)
    names = {":": "colon", "=": "equals_sign"}

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        assert app.focused is app.query_one("#knobs")
        for character in ":headroom=20":
            app.post_message(events.Key(names.get(character, character), character))
        await pilot.pause()
        assert app.query_one("#command").value == "headroom=20"
        await pilot.press("enter")
        await pilot.pause()
        assert session.pending == [("headroom", "20")], status(app)
        # Where text is typed, ':' is a colon: in the command line (still focused after Enter) and
        # in the save dialog's path.
        assert app.focused is app.query_one("#command")
        await pilot.press("colon")
        assert app.query_one("#command").value == ":"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("colon")
        assert app.screen.query_one("#path").value == ":"  # the default path is selected: replaced

    drive(session, steps)


def test_a_pasted_command_opens_the_command_line_with_it(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    """A paste arrives as one event, not as keys: pasted on the knobs table, ':headroom=20' opens
    the command line holding 'headroom=20' (its first line), as typing it would; other text pasted
    there is ignored, as typed keys are."""
    session = session_of(tiny)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        command = app.query_one("#command")
        app.post_message(events.Paste("headroom=20"))
        await pilot.pause()
        assert app.focused is app.query_one("#knobs") and command.value == ""
        app.post_message(events.Paste(":headroom=20\nzone-loss=true\n"))
        await pilot.pause()
        assert app.focused is command and command.value == "headroom=20"
        await pilot.press("enter")
        await pilot.pause()
        assert session.pending == [("headroom", "20")], status(app)
        # Pasted where the command line has focus, the text goes in as it is, ':' and all.
        app.post_message(events.Paste(":zone-loss=true"))
        await pilot.pause()
        assert command.value == ":zone-loss=true"

    drive(session, steps)


def test_a_colon_on_the_help_screen_leaves_the_command_line_alone(tiny: Path, session_of) -> None:  # type: ignore[no-untyped-def]
    """':' opens the command line from the main screen only: on the help screen it does nothing,
    and closing help gives the focus back to the knobs table."""
    session = session_of(tiny)

    async def steps(app: ExploreApp, pilot: Any) -> None:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        await pilot.press("colon")
        await pilot.pause()
        assert app.screen is help_screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.query_one("#knobs")
        assert app.query_one("#command").value == ""

    drive(session, steps)
