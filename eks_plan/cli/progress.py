"""The solver's progress on stderr, for every command that sizes manifests (``size``, ``check-ips``,
``diff``, ``lint``): the observer :func:`eks_plan.planning.size_cluster` reports to."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from eks_plan.cli.output import stderr

if TYPE_CHECKING:
    from rich.status import Status


class RichProgress:
    """Shows the solver's progress on stderr: a live status line on a terminal, plain lines in CI logs."""

    def __init__(self, quiet: bool) -> None:
        self._console = stderr()
        self._quiet = quiet
        self._status: Status | None = None
        self._last_line = 0.0

    def __enter__(self) -> RichProgress:
        if not self._quiet and self._console.is_terminal:
            self._status = self._console.status("solving…")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def on_phase(self, message: str) -> None:
        if self._quiet:
            return
        if self._status is not None:
            self._status.update(message)
        else:
            self._console.print(message)

    def on_progress(self, best_cost: float | None, bound: float, elapsed_seconds: float) -> None:
        if self._quiet:
            return
        if best_cost:
            gap = max(0.0, (best_cost - bound) / best_cost)
            line = f"best ${best_cost:.4f}/h, bound ${bound:.4f}/h, gap {gap:.2%}, {elapsed_seconds:.1f} s"
        else:
            line = f"searching, bound ${bound:.4f}/h, {elapsed_seconds:.1f} s"
        if self._status is not None:
            self._status.update(line)
        elif time.monotonic() - self._last_line >= 5:
            self._last_line = time.monotonic()
            self._console.print(line)
