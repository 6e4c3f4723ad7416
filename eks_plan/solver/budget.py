"""What bounds a solve: deterministic work per stage, a wall-clock safety net, and cancellation.

"The same input gives the same plan" must hold on a busy machine, so no stage of the solver decides
anything by the wall clock. Each stage gets a share of :attr:`SolveBudget.work`, counted in
deterministic units: CP-SAT's deterministic time (its measure of work done, about seconds on an
idle machine), GLOP's simplex iterations, and the search's own count (:mod:`~eks_plan.solver.lns`).
The wall clock (``time_limit_seconds``) is only a safety net: when it cuts a stage short, the
stage is recorded in :attr:`SolveBudget.cut` and the plan says ``stopped_by: wall-clock``, since
it may then differ from run to run.

Cancellation (Ctrl-C in the CLI, a newer request in an interactive front end) goes through a
:class:`CancelToken` given in :class:`~eks_plan.solver.problem.SolveOptions`: every stage checks
it, running CP-SAT and GLOP solves are stopped through it, and the solve raises :class:`Cancelled`
instead of returning a plan.

Example::

    >>> token = CancelToken()
    >>> budget = SolveBudget(time_limit=30.0, cancel=token)
    >>> budget.stopped_by
    'work-limit'
    >>> token.cancel()
    >>> budget.check()
    Traceback (most recent call last):
    ...
    eks_plan.solver.budget.Cancelled: the solve was cancelled
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from eks_plan.errors import EksPlanError

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

#: :attr:`SolveBudget.stopped_by` when only the deterministic budgets (or a proof, or running out of
#: moves) ended the stages: the same input gives the same plan on any machine.
WORK_LIMIT = "work-limit"
#: ... when the wall-clock safety net cut a stage short (a slow or busy machine).
WALL_CLOCK = "wall-clock"


class Cancelled(EksPlanError):
    """The solve was cancelled through its :class:`CancelToken`; there is no plan."""

    def __init__(self) -> None:
        super().__init__("the solve was cancelled")


class CancelToken:
    """A thread-safe cancellation flag that stops the solver's running sub-solves.

    :meth:`cancel` may be called from any thread or a signal handler, and more than once: each call
    runs the stop functions registered at that moment (:meth:`stopping`), so a caller that calls
    it again while waiting also reaches a solve that started just after the first call.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.RLock()  # re-entrant: a signal handler may interrupt a holder
        self._stops: dict[int, Callable[[], object]] = {}
        self._next = 0

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Cancel: set the flag and stop every sub-solve running under :meth:`stopping`."""
        self._event.set()
        with self._lock:
            stops = list(self._stops.values())
        for stop in stops:
            stop()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    @contextmanager
    def stopping(self, stop: Callable[[], object]) -> Iterator[None]:
        """Within the block, :meth:`cancel` calls ``stop`` (e.g. ``CpSolver.stop_search``)."""
        with self._lock:
            key = self._next
            self._next += 1
            self._stops[key] = stop
        try:
            yield
        finally:
            with self._lock:
                del self._stops[key]


class SolveBudget:
    """One solve's limits: ``work`` in deterministic seconds, shared out among the stages; the wall
    clock's ``time_limit`` as a safety net; and the cancellation token.

    ``cut`` lists the stages the wall clock cut short (in order), and :attr:`stopped_by` sums it up.
    """

    def __init__(
        self, time_limit: float, work: float | None = None, cancel: CancelToken | None = None
    ) -> None:
        self.start = time.monotonic()
        self.limit = max(time_limit, 0.5)
        self.work = self.limit if work is None else max(work, 0.0)
        self.cancel = cancel
        self.cut: list[str] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def left(self) -> float:
        """Wall seconds left before the safety net."""
        return self.limit - self.elapsed()

    @property
    def deadline(self) -> float:
        """The safety net as a ``time.monotonic()`` instant."""
        return self.start + self.limit

    @property
    def stopped_by(self) -> str:
        return WALL_CLOCK if self.cut else WORK_LIMIT

    def check(self) -> None:
        """Raise :class:`Cancelled` if the solve was cancelled."""
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()

    def note_cut(self, stage: str) -> None:
        """Record that the wall clock cut ``stage`` short (or left it no time at all)."""
        if stage not in self.cut:
            self.cut.append(stage)

    def out_of_time(self, stage: str, reserve: float = 0.0) -> bool:
        """Whether fewer than ``reserve`` wall seconds are left; if so ``stage`` is recorded as cut."""
        if self.left() > reserve:
            return False
        self.note_cut(stage)
        return True

    @contextmanager
    def stopping(self, stop: Callable[[], object]) -> Iterator[None]:
        """:meth:`CancelToken.stopping` when there is a token; a no-op block otherwise."""
        if self.cancel is None:
            yield
            return
        with self.cancel.stopping(stop):
            if self.cancel.cancelled:
                stop()
            yield


def cp_sat_parameters(parameters: Any, *, work: float, wall: float, workers: int, seed: int) -> None:
    """Set up every CP-SAT solve of eks-plan the same way.

    ``work`` is CP-SAT's deterministic time limit, which decides where the search stops; ``wall``
    (seconds) is only the safety net. Several workers interleave their search, which CP-SAT makes
    deterministic; CP-SAT does not catch Ctrl-C itself (cancellation goes through the
    :class:`CancelToken`, and a caught signal would stop one stage silently).
    """
    parameters.max_deterministic_time = max(work, 0.0)
    parameters.max_time_in_seconds = max(wall, 0.001)
    parameters.num_workers = max(1, workers)
    parameters.interleave_search = workers > 1
    parameters.random_seed = seed
    parameters.catch_sigint_signal = False
    parameters.log_search_progress = False


def run_cp_sat(
    model: cp_model.CpModel,
    budget: SolveBudget,
    stage: str,
    *,
    work: float,
    workers: int,
    seed: int,
    wall: float | None = None,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    tune: Callable[[Any], None] | None = None,
) -> tuple[cp_model.CpSolver, Any]:
    """Solve ``model`` within ``work`` deterministic seconds; return the solver and its status.

    The wall-clock net is ``wall`` seconds (default: what is left of the budget's); when it ends
    the search, ``stage`` is recorded in ``budget.cut``. A cancelled token stops the search at once
    and raises :class:`Cancelled`. ``tune`` may set further parameters.
    """
    from ortools.sat.python import cp_model

    budget.check()
    net = budget.left() if wall is None else wall
    solver = cp_model.CpSolver()
    cp_sat_parameters(solver.parameters, work=work, wall=net, workers=workers, seed=seed)
    if tune is not None:
        tune(solver.parameters)
    with budget.stopping(solver.stop_search):
        status = solver.solve(model, callback)
    budget.check()
    proven = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    if not proven and solver.wall_time >= 0.95 * net and solver.deterministic_time < work:
        budget.note_cut(stage)
    return solver, status
