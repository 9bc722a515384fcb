"""Run tasks in forked worker processes, a few at a time, each with a hard time limit.

One process per task: a task that crashes or hangs its process takes nothing
else with it, and the process can be killed outright when it overruns. Forking
(rather than spawning) shares the already imported nbgrader with the children,
which saves seconds per task. Each running task holds a *slot* number
(0 .. jobs-1) that no other running task holds: the grader gives each slot its
own sandbox user.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["TaskResult", "run_tasks"]


@dataclass(frozen=True)
class TaskResult:
    """What became of one task: its key, the value it returned (None if it failed), and an error message."""

    key: str
    value: Any
    error: str | None
    seconds: float


@dataclass
class _Running:
    process: Any
    receiver: Connection
    started: float
    slot: int
    outcome: tuple[Any, str | None] | None = None

    def collect(self) -> None:
        """Read the task's (value, error) if it has been sent (a large result must be read before the join)."""
        if self.outcome is None and self.receiver.poll():
            try:
                self.outcome = self.receiver.recv()
            except EOFError:
                self.outcome = (None, f"the worker process ended without a result (exit code {self.process.exitcode})")

    @property
    def done(self) -> bool:
        return self.outcome is not None or not self.process.is_alive()


def _child(function: Callable[[str, int], Any], key: str, slot: int, sender: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    try:
        sender.send((function(key, slot), None))
    except BaseException as error:  # report anything, never hang the parent
        sender.send((None, f"{type(error).__name__}: {error}"))
    finally:
        sender.close()


def _start(function: Callable[[str, int], Any], key: str, slot: int) -> _Running:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(function, key, slot, sender), daemon=True)
    process.start()
    sender.close()
    return _Running(process, receiver, time.monotonic(), slot)


def _finish(key: str, task: _Running, time_limit: float | None) -> TaskResult:
    """The result of a finished task; an overrunning one (``time_limit`` given) is killed first."""
    if time_limit is not None:
        os.kill(task.process.pid, signal.SIGKILL)
    else:
        task.collect()
    task.process.join()
    seconds = time.monotonic() - task.started
    task.receiver.close()
    if time_limit is not None:
        return TaskResult(key, None, f"stopped after {time_limit:.0f} s, the hard time limit", seconds)
    if task.outcome is None:
        return TaskResult(key, None, f"the worker process ended without a result (exit code {task.process.exitcode})",
                          seconds)
    return TaskResult(key, task.outcome[0], task.outcome[1], seconds)


def run_tasks(
    function: Callable[[str, int], Any], keys: Iterable[str], jobs: int, time_limit: float,
    checkpoint: Callable[[], None] = lambda: None,
) -> Iterator[TaskResult]:
    """Run ``function(key, slot)`` for every key, ``jobs`` at a time; yield results as tasks finish.

    A task running longer than ``time_limit`` seconds is killed and reported as
    failed. ``checkpoint()`` is called between waits; if it raises (a deferred
    Ctrl-C) or the caller stops early, the running tasks are killed.
    """
    queue, running = deque(keys), {}
    free = list(range(max(1, jobs)))
    try:
        while queue or running:
            checkpoint()
            while queue and free:
                key = queue.popleft()
                running[key] = _start(function, key, free.pop(0))
            wait([r.process.sentinel for r in running.values()] + [r.receiver for r in running.values()], timeout=0.5)
            now = time.monotonic()
            for key, task in list(running.items()):
                task.collect()
                overran = not task.done and now - task.started > time_limit
                if task.done or overran:
                    del running[key]
                    free.append(task.slot)
                    yield _finish(key, task, time_limit if overran else None)
    finally:
        for task in running.values():
            if task.process.is_alive():
                os.kill(task.process.pid, signal.SIGKILL)
            task.process.join()
