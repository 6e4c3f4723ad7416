"""Ctrl-C during a solve: stop within a second, print nothing half-done, write no file, exit 130.

A Python signal handler only runs in the main thread, between bytecodes: while the main thread is
inside OR-Tools' C++ solve it would wait until that stage's budget ended (and CP-SAT, left to
itself, catches SIGINT and stops just the one stage). So the work runs in a helper thread while
the main thread waits; the SIGINT handler cancels the library's
:class:`~eks_plan.solver.budget.CancelToken`, which stops the running CP-SAT or GLOP solve, and the
library raises :class:`~eks_plan.solver.budget.Cancelled`, which ends the command with exit code
130 and one line on stderr. A second Ctrl-C stops waiting at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

from eks_plan.cli.output import stderr
from eks_plan.solver.budget import Cancelled, CancelToken

T = TypeVar("T")

#: The shell's code for a command ended by SIGINT (128 + 2).
INTERRUPTED = 130
#: Seconds between the main thread's checks, and re-deliveries of a cancellation to solves that
#: started just after it (a stop sent before a solve starts is lost).
POLL_SECONDS = 0.1


def run_cancellable(work: Callable[[CancelToken], T]) -> T:
    """``work(token)`` in a helper thread, with Ctrl-C cancelling ``token``.

    Returns what ``work`` returns and re-raises what it raises; when it was cancelled, prints
    ``interrupted`` on stderr and exits with :data:`INTERRUPTED`.
    """
    token = CancelToken()
    if threading.current_thread() is not threading.main_thread():
        return _finish(token, lambda: work(token))  # no signal handler outside the main thread
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work(token)
        except BaseException as error:  # handed to the main thread
            outcome["error"] = error

    def on_sigint(signum: int, frame: object) -> None:
        if token.cancelled:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting
        token.cancel()

    thread = threading.Thread(target=target, name="eks-plan-solve", daemon=True)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(POLL_SECONDS)
            if token.cancelled:
                token.cancel()
    finally:
        signal.signal(signal.SIGINT, previous)

    def result() -> T:
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["value"]  # type: ignore[return-value]

    return _finish(token, result)


def _finish(token: CancelToken, result: Callable[[], T]) -> T:
    try:
        value = result()
    except Cancelled:
        _interrupted()
    if token.cancelled:  # finished just as Ctrl-C came: still nothing is printed
        _interrupted()
    return value


def _interrupted() -> NoReturn:
    stderr().print("interrupted", markup=False, highlight=False)
    raise typer.Exit(INTERRUPTED)
