"""A submission's code cells, run in a sandboxed worker that can be restarted without losing what ran.

:meth:`NotebookSession.run_cells` runs the cells in order, each with the
per-cell time limit. A cell that hangs or kills the process costs only that
cell: the worker is started again, the cells that ran before are replayed, and
the next cell runs. Calls made afterwards (:meth:`request`) get the same
treatment: if a call kills the worker, the next call finds a fresh one with the
notebook's cells replayed. The whole session has a wall-clock budget; once it
is spent, nothing more runs and every later request fails with that reason.

The limits are the run's :class:`~dlfcourse.settings.GradingSettings`: ``cell_timeout``
(None: no limit of its own, only what is left of the notebook's), ``notebook_timeout`` and
``restarts``; the caller passes each call's own limit with the request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from dlfcourse.sandbox.worker import Serve, WorkerFailure, WorkerProcess
from dlfcourse.settings import GradingSettings

__all__ = ["CellRun", "NotebookSession"]


@dataclass
class CellRun:
    """What running one cell gave: its output, its error (as data), figures, or why it did not run."""

    index: int
    stdout: str = ""
    stderr: str = ""
    error: dict[str, Any] | None = None
    figures: list[str] = field(default_factory=list)
    stopped: str | None = None  # the cell was stopped or not run: why (a sentence)
    seconds: float = 0.0


class NotebookSession:
    """The code cells ``{index: source}`` of one submission and the worker that runs them.

    ``uid`` and ``withheld_kit`` are passed on to each worker (:class:`WorkerProcess`).
    """

    def __init__(self, cells: dict[int, str], settings: GradingSettings, submission_dir: str,
                 uid: int | None = None, withheld_kit: tuple[str, ...] = ()) -> None:
        self.cells = cells
        self.settings = settings
        self.submission_dir = submission_dir
        self.uid, self.withheld_kit = uid, withheld_kit
        self.cell_timeout = settings.cell_timeout if settings.cell_timeout is not None else settings.notebook_timeout
        self.deadline = time.monotonic() + settings.notebook_timeout
        self.worker: WorkerProcess | None = None
        self.ran: list[int] = []  # cells to replay into a new worker
        self.restarts = 0
        self.gave_up: str | None = None

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _start(self) -> WorkerProcess:
        """A live worker with every cell that ran replayed; WorkerFailure if none can be had."""
        if self.worker is not None and self.worker.alive:
            return self.worker
        if self.gave_up:
            raise WorkerFailure("crashed", self.gave_up)
        if self.worker is not None:
            self.restarts += 1
            if self.restarts > self.settings.restarts:
                self.gave_up = f"the notebook's process ended or hung {self.restarts} times; grading stopped"
                raise WorkerFailure("crashed", self.gave_up)
        self.worker = WorkerProcess(self.settings, self.submission_dir, self.uid, self.withheld_kit)
        for index in self.ran:
            self._send({"op": "run", "cell": index, "source": self.cells[index]}, self.cell_timeout,
                       f"replaying cell {index}")
        return self.worker

    def _send(self, message: dict[str, Any], timeout: float, doing: str, serve: Serve | None = None) -> Any:
        left = self._left()
        if left <= 0:
            self.gave_up = f"the notebook's time limit of {self.settings.notebook_timeout:g} s was reached"
            raise WorkerFailure("time-limit", self.gave_up)
        if self.worker is None:
            raise RuntimeError("no worker: _start comes first")
        try:
            return self.worker.request(message, min(timeout, left), doing, serve)
        except WorkerFailure as failure:
            if failure.kind == "time-limit" and self._left() <= 0:
                self.gave_up = f"the notebook's time limit of {self.settings.notebook_timeout:g} s was reached"
                raise WorkerFailure("time-limit", f"{failure.detail} ({self.gave_up})") from None
            raise

    def request(self, message: dict[str, Any], timeout: float, doing: str, serve: Serve | None = None) -> Any:
        """Send one request to a live worker (started and replayed if needed); ``serve`` answers its proxies."""
        self._start()
        return self._send(message, timeout, doing, serve)

    def run_cells(self) -> list[CellRun]:
        """Run every cell once, in order; never raises for what a cell does."""
        runs = []
        for index, source in self.cells.items():
            started = time.monotonic()
            try:
                reply = self.request({"op": "run", "cell": index, "source": source}, self.cell_timeout,
                                     f"running cell {index}")
            except WorkerFailure as failure:
                runs.append(CellRun(index, stopped=_stopped(failure), seconds=time.monotonic() - started))
                continue
            runs.append(_cell_run(index, reply, time.monotonic() - started))
            self.ran.append(index)
        return runs

    def close(self) -> None:
        """Stop the worker."""
        if self.worker is not None:
            self.worker.close()


def _stopped(failure: WorkerFailure) -> str:
    if failure.kind == "time-limit":
        return f"This cell was stopped: {failure.detail}. The cells after it ran in a fresh process."
    return f"This cell did not finish: {failure.detail}. The cells after it ran in a fresh process."


def _cell_run(index: int, reply: Any, seconds: float) -> CellRun:
    if not isinstance(reply, dict):
        return CellRun(index, stopped="the grader could not read what this cell did", seconds=seconds)
    error = reply.get("error") if isinstance(reply.get("error"), dict) else None
    figures = [f for f in reply.get("figures") or [] if isinstance(f, str)]
    return CellRun(index, str(reply.get("stdout") or ""), str(reply.get("stderr") or ""), error, figures,
                   seconds=seconds)
