"""One smoke test of `eks-plan explore` in a real terminal: tmux runs it in a 120x40 pane, keys are
sent with send-keys and the screen read with capture-pane. Skipped where tmux is not installed.

It catches what the headless pilot cannot: the real terminal driver, the terminal's size, keys as a
terminal sends them, and the process ending when the user quits. Each step waits for the screen to
show its result (no fixed sleeps); the waits are generous because a busy machine is slow, and they
bound the test rather than time it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import eks_plan

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

REPO = Path(eks_plan.__file__).resolve().parents[1]
WAIT_SECONDS = 120


class Pane:
    """A tmux server of our own (its own socket) with one 120x40 session."""

    def __init__(self, command: str) -> None:
        self.socket = f"eks-plan-test-{os.getpid()}"
        self.tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "explore", command)

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        )
        return result.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "explore", *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "explore")

    def wait_for(self, text: str, seconds: float = WAIT_SECONDS) -> str:
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")
            time.sleep(0.2)

    def type_command(self, text: str) -> None:
        """':' then ``text`` on the command line, as a user types them fast: the text in one
        send-keys, so its keys arrive together, right behind the ':'."""
        self.keys(":")
        self.keys(text, literal=True)
        self.wait_for(text)

    def close(self) -> None:
        socket = self.tmux("display-message", "-p", "#{socket_path}").strip()
        self.tmux("kill-server")
        if socket:
            Path(socket).unlink(missing_ok=True)  # tmux leaves the socket file behind


def test_explore_in_a_real_terminal(tiny: Path) -> None:
    # COLUMNS/LINES leak from pytest's readline into the environment and would override the pane's size.
    command = (
        f"unset COLUMNS LINES; cd {shlex.quote(str(tiny))}; "
        f"PYTHONPATH={shlex.quote(str(REPO))} {shlex.quote(sys.executable)} -m eks_plan.cli.app explore "
        "manifests -c eks-plan.yaml --time-limit 5 --workers 1; echo EXIT=$?; sleep 60"
    )
    pane = Pane(command)
    try:
        screen = pane.wait_for("pods placed")
        assert "plan #1" in screen and "Knobs" in screen and "^q Quit" in screen
        assert len(screen.splitlines()[0]) <= 120
        pane.type_command("headroom=20")
        pane.keys("Enter")
        pane.wait_for("*headroom")
        pane.keys("F5")
        screen = pane.wait_for("plan #2 from #1: headroom=20")
        pane.wait_for("vs #1 (previous and first)")
        pane.keys("C-q")
        pane.wait_for("press q again to quit")
        pane.keys("C-q")
        pane.wait_for("EXIT=0")
    finally:
        pane.close()
